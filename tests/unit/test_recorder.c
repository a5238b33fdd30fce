// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the recorder (userspace/recorder.c, rows.c, snapshot.c):
 * phase attribution against a scripted stand-in for the module, CSV quoting
 * read back with libcsv's parser, JSON escaping, timestamps, deltas, and a
 * full disk.
 *
 *   gcc -D_GNU_SOURCE -I kmod/include/uapi -I userspace -o /tmp/t \
 *	tests/unit/test_recorder.c userspace/{recorder,rows,snapshot,names,dev}.c \
 *	userspace/modload.c -lcsv -lkmod -lm
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>

#include "latency.h"
#include "recorder.h"
#include "rows.h"
#include "snapshot.h"
#include "check.h"

/* ---- a scripted module ------------------------------------------------- */

#define MAX_RECS 32

struct fake_vm {
	uint64_t id;
	pid_t pid;
	bool gone;
	struct cvmstat_record recs[MAX_RECS];
	uint32_t nr;
	/* counters at the latest mark, as the module keeps them */
	struct cvmstat_record at[MAX_RECS];
	uint32_t n_at;
	uint64_t at_seq;
};

struct fake {
	struct fake_vm vms[4];
	int nr_vms;
	struct cvmstat_phase marks[200];
	uint64_t seq;
	uint64_t now;
	uint64_t ring_lost;	/* marks to report lost once */
	/* make a host mark during the next N live reads (a racing mark) */
	int race;
	int live_reads;
};

static struct fake_vm *fake_vm(struct fake *f, uint64_t id)
{
	int i;

	for (i = 0; i < f->nr_vms; i++)
		if (f->vms[i].id == id)
			return &f->vms[i];
	return NULL;
}

static struct fake_vm *fake_add_vm(struct fake *f, uint64_t id, pid_t pid)
{
	struct fake_vm *v = &f->vms[f->nr_vms++];

	memset(v, 0, sizeof(*v));
	v->id = id;
	v->pid = pid;
	/* like the module: a VM born after a mark reads zero as of it */
	v->at_seq = f->seq;
	return v;
}

/* vCPU @vcpu of @v did @n more events of (kind, key, dir). */
static void fake_count(struct fake_vm *v, uint32_t vcpu, uint16_t kind,
		       uint64_t key, uint8_t dir, uint64_t n)
{
	uint32_t i;

	for (i = 0; i < v->nr; i++) {
		struct cvmstat_record *r = &v->recs[i];

		if (r->vcpu_id == vcpu && r->kind == kind && r->key == key &&
		    r->dir == dir) {
			r->count += n;
			return;
		}
	}
	v->recs[v->nr++] = (struct cvmstat_record){
		.vcpu_id = vcpu, .kind = kind, .dir = dir, .key = key,
		.count = n,
	};
}

static uint64_t fake_mark(struct fake *f, uint32_t source, uint64_t vm_id,
			  uint32_t value, const char *name)
{
	struct cvmstat_phase *m = &f->marks[f->seq++];
	int i;

	memset(m, 0, sizeof(*m));
	m->seq = f->seq;
	m->time_ns = ++f->now;
	m->vm_id = vm_id;
	m->source = source;
	m->value = value;
	snprintf(m->name, sizeof(m->name), "%s", name);
	for (i = 0; i < f->nr_vms; i++) {
		struct fake_vm *v = &f->vms[i];

		memcpy(v->at, v->recs, sizeof(v->at));
		v->n_at = v->nr;
		v->at_seq = m->seq;
	}
	return m->seq;
}

static int fake_list_vms(void *ctx, struct cvmstat_vm_info **out)
{
	struct fake *f = ctx;
	struct cvmstat_vm_info *vms = calloc(f->nr_vms + 1, sizeof(*vms));
	int i, n = 0;

	for (i = 0; i < f->nr_vms; i++) {
		if (f->vms[i].gone)
			continue;
		vms[n].vm_id = f->vms[i].id;
		vms[n].pid = f->vms[i].pid;
		vms[n].flags = CVMSTAT_VM_ALIVE;
		n++;
	}
	*out = vms;
	return n;
}

static bool is_lat(const struct cvmstat_record *r)
{
	return r->kind >= CVMSTAT_KIND_LAT_COUNT && r->kind <= CVMSTAT_KIND_LAT_LOST;
}

/* Live, or as of mark @phase; the times (LAT_*) only with @lat, live. */
static int fake_read(void *ctx, uint64_t vm_id, uint64_t phase, bool lat,
		     struct cvm_vm_read *out)
{
	struct fake *f = ctx;
	struct fake_vm *v = fake_vm(f, vm_id);
	const struct cvmstat_record *src;
	uint32_t n;

	if (!v || v->gone)
		return -ENOENT;
	if (phase) {
		if (phase != v->at_seq)
			return -ESTALE;
		src = v->at;
		n = v->n_at;
	} else {
		src = v->recs;
		n = v->nr;
		f->live_reads++;
		if (f->race > 0) {
			/* a mark lands between this read and the check */
			f->race--;
			fake_mark(f, CVMSTAT_PHASE_HOST, 0, 0, "raced");
		}
	}
	out->vm_id = vm_id;
	out->snap_ns = ++f->now;
	out->recs = malloc((n + 1) * sizeof(*src));
	out->nr = 0;
	for (uint32_t i = 0; i < n; i++)
		if (lat || !is_lat(&src[i]))
			out->recs[out->nr++] = src[i];
	return 0;
}

static int fake_read_vm(void *ctx, uint64_t vm_id, uint64_t phase,
			struct cvm_vm_read *out)
{
	return fake_read(ctx, vm_id, phase, false, out);
}

static int fake_read_lat(void *ctx, uint64_t vm_id, struct cvm_vm_read *out)
{
	return fake_read(ctx, vm_id, 0, true, out);
}

/* vCPU @vcpu of @v took @n exits of CPUID in the kernel, @ns each. */
static void fake_time(struct fake_vm *v, uint32_t vcpu, uint64_t n, uint64_t ns)
{
	uint64_t key = CVMSTAT_LAT_KEY(CVMSTAT_ISA_SVM, 0x72);
	uint32_t i;
	bool seen = false;

	for (i = 0; i < v->nr; i++) {
		struct cvmstat_record *r = &v->recs[i];

		if (r->vcpu_id != vcpu || r->dir != CVMSTAT_LAT_KERNEL ||
		    CVMSTAT_LAT_REASON_OF(r->key) != key)
			continue;
		if (r->kind == CVMSTAT_KIND_LAT_MIN) {
			seen = true;
			if (ns < r->count)
				r->count = ns;
		} else if (r->kind == CVMSTAT_KIND_LAT_MAX && ns > r->count) {
			r->count = ns;
		}
	}
	if (!seen) {
		fake_count(v, vcpu, CVMSTAT_KIND_LAT_MIN, key, CVMSTAT_LAT_KERNEL, ns);
		fake_count(v, vcpu, CVMSTAT_KIND_LAT_MAX, key, CVMSTAT_LAT_KERNEL, ns);
	}
	fake_count(v, vcpu, CVMSTAT_KIND_LAT_COUNT, key, CVMSTAT_LAT_KERNEL, n);
	fake_count(v, vcpu, CVMSTAT_KIND_LAT_SUM, key, CVMSTAT_LAT_KERNEL, n * ns);
	fake_count(v, vcpu, CVMSTAT_KIND_LAT_BUCKET,
		   key | CVMSTAT_LAT_BUCKET_KEY(cvm_lat_bucket_of(ns)),
		   CVMSTAT_LAT_KERNEL, n);
	fake_count(v, vcpu, CVMSTAT_KIND_REASON, key, 0, n);
}

static int fake_list_marks(void *ctx, uint64_t after,
			   struct cvmstat_phase *marks, uint64_t *last,
			   uint32_t *lost)
{
	struct fake *f = ctx;
	uint64_t s;
	int n = 0;

	*last = f->seq;
	*lost = f->ring_lost;
	f->ring_lost = 0;
	for (s = after + *lost + 1; s <= f->seq && n < CVMSTAT_PHASE_RING; s++)
		marks[n++] = f->marks[s - 1];
	return n;
}

/* ---- reading the CSV back ------------------------------------------------ */

#define NCOL 14		/* with --latency; 12 without */
#define MAX_ROWS 256

struct row {
	char *col[NCOL];
};

struct parsed {
	struct row rows[MAX_ROWS];
	int nr;		/* rows, the header included */
	int field;
	int ncol;	/* the fields every row must have */
	bool bad;
};

static void on_field(void *s, size_t len, void *data)
{
	struct parsed *p = data;

	if (p->nr >= MAX_ROWS || p->field >= p->ncol) {
		p->bad = true;
		return;
	}
	p->rows[p->nr].col[p->field] = strndup(s, len);
	p->field++;
}

static void on_row(int c, void *data)
{
	struct parsed *p = data;

	(void)c;
	if (p->field != p->ncol)
		p->bad = true;
	p->field = 0;
	p->nr++;
}

static void parse_csv_n(const char *text, size_t len, struct parsed *p,
			int ncol)
{
	struct csv_parser cp;

	memset(p, 0, sizeof(*p));
	p->ncol = ncol;
	csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI);
	if (csv_parse(&cp, text, len, on_field, on_row, p) != len ||
	    csv_fini(&cp, on_field, on_row, p))
		p->bad = true;
	csv_free(&cp);
}

static void parse_csv(const char *text, size_t len, struct parsed *p)
{
	parse_csv_n(text, len, p, 12);
}

static void free_parsed(struct parsed *p)
{
	int i, j;

	for (i = 0; i < p->nr && i < MAX_ROWS; i++)
		for (j = 0; j < p->ncol; j++)
			free(p->rows[i].col[j]);
}

enum { C_TIME_NS, C_TIME, C_PHASE_SEQ, C_PHASE, C_VM, C_PID, C_VCPU, C_KIND,
       C_KEY, C_DIR, C_NAME, C_COUNT, C_LO, C_HI };

/* Sum of count over the rows matching every non-NULL column given. */
static unsigned long long sum(const struct parsed *p, const char *phase,
			      const char *vm, const char *vcpu,
			      const char *kind, const char *key,
			      const char *dir)
{
	unsigned long long s = 0;
	int i;

	for (i = 1; i < p->nr; i++) {
		char *const *c = p->rows[i].col;

		if ((phase && strcmp(c[C_PHASE], phase)) ||
		    (vm && strcmp(c[C_VM], vm)) ||
		    (vcpu && strcmp(c[C_VCPU], vcpu)) ||
		    (kind && strcmp(c[C_KIND], kind)) ||
		    (key && strcmp(c[C_KEY], key)) ||
		    (dir && strcmp(c[C_DIR], dir)))
			continue;
		s += strtoull(c[C_COUNT], NULL, 10);
	}
	return s;
}

/* How many rows have this kind. */
static int rows_of_kind(const struct parsed *p, const char *kind)
{
	int i, n = 0;

	for (i = 1; i < p->nr; i++)
		n += !strcmp(p->rows[i].col[C_KIND], kind);
	return n;
}

/* ---- a recording in memory -------------------------------------------- */

struct session {
	struct fake f;
	struct cvm_recorder r;
	struct cvm_out out;
	char *buf;
	size_t len;
	FILE *mem;
	struct parsed p;
	bool lat;	/* record --latency */
};

static void start(struct session *s, pid_t pid)
{
	s->mem = open_memstream(&s->buf, &s->len);
	cvm_out_init(&s->out, s->mem, CVM_VIEW_CSV);
	s->r = (struct cvm_recorder){
		.src = { &s->f, fake_list_vms, fake_read_vm, fake_list_marks },
		.out = &s->out,
		.pid = pid,
	};
	if (s->lat) {
		cvm_out_latency(&s->out);
		s->r.src.read_lat = fake_read_lat;
	}
	cvm_out_header(&s->out);
	CHECK(cvm_rec_start(&s->r) == 0, "start");
}

static void finish(struct session *s)
{
	CHECK(cvm_rec_finish(&s->r) == 0, "last interval");
	cvm_rec_free(&s->r);
	fclose(s->mem);
	parse_csv_n(s->buf, s->len, &s->p, s->lat ? 14 : 12);
	CHECK(!s->p.bad, "CSV parses with %d columns per row", s->p.ncol);
}

static void done(struct session *s)
{
	free_parsed(&s->p);
	free(s->buf);
}

#define R	CVMSTAT_KIND_REASON
#define PIO	CVMSTAT_KIND_PIO
#define SVM(r)	CVMSTAT_REASON_KEY(CVMSTAT_ISA_SVM, r)
#define W	CVMSTAT_DIR_WRITE
#define RD	CVMSTAT_DIR_READ
#define MSR	CVMSTAT_KIND_MSR
#define OVF	CVMSTAT_KIND_OVERFLOW

/* ---- the tests ----------------------------------------------------------- */

/* Before start: baseline, not written; then exact deltas per phase. */
static void test_host_phases(void)
{
	struct session s = { 0 };
	struct fake_vm *v = fake_add_vm(&s.f, 1, 100);

	fake_count(v, 0, R, SVM(0x72), 0, 50);		/* before recording */
	start(&s, 0);
	fake_count(v, 0, R, SVM(0x72), 0, 3);
	fake_count(v, 1, R, SVM(0x72), 0, 4);
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	fake_count(v, 0, R, SVM(0x72), 0, 2);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "warm, \"up\"\nnaïve");
	fake_count(v, 0, R, SVM(0x72), 0, 7);		/* after the mark */
	fake_count(v, 1, R, SVM(0x7b), 0, 1);
	CHECK(cvm_rec_marks(&s.r) == 0, "marks");
	fake_count(v, 0, R, SVM(0x72), 0, 10);
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "steady");
	fake_count(v, 1, R, SVM(0x7b), 0, 5);
	finish(&s);

	CHECK(!strcmp(s.p.rows[0].col[0], "time_ns") &&
	      !strcmp(s.p.rows[0].col[C_COUNT], "count"), "header");
	CHECK(sum(&s.p, "-", "1", "0", "reason", "114", "-") == 5,
	      "before the first mark: vCPU 0 CPUID 5 (not the 50 before start)");
	CHECK(sum(&s.p, "-", "1", "1", "reason", "114", "-") == 4, "vCPU 1 4");
	CHECK(sum(&s.p, "warm, \"up\"\nnaïve", "1", "0", "reason", "114", "-") == 17,
	      "odd phase name round-trips; its CPUID 17");
	CHECK(sum(&s.p, "warm, \"up\"\nnaïve", "1", "1", "reason", "123", "-") == 1,
	      "its IOIO 1");
	CHECK(sum(&s.p, "steady", "1", "1", "reason", "123", "-") == 5,
	      "steady IOIO 5");
	CHECK(sum(&s.p, "steady", NULL, NULL, "reason", "114", NULL) == 0,
	      "nothing else in steady");
	CHECK(rows_of_kind(&s.p, "mark") == 2 &&
	      rows_of_kind(&s.p, "mark_inexact") == 0, "two exact mark rows");
	CHECK(sum(&s.p, "steady", "0", "0", "mark", "2", "-") == 1,
	      "mark row: host, key = seq 2");
	CHECK(s.r.inexact == 0 && s.r.lost == 0, "nothing inexact");
	done(&s);
}

/* Guest marks start a phase for their own VM only. */
static void test_guest_marks(void)
{
	struct session s = { 0 };
	struct fake_vm *a = fake_add_vm(&s.f, 1, 100);
	struct fake_vm *b = fake_add_vm(&s.f, 2, 200);
	int i;

	start(&s, 0);
	fake_count(a, 0, PIO, 0xf4, W, 1);
	fake_count(b, 0, PIO, 0x80, W, 6);
	fake_mark(&s.f, CVMSTAT_PHASE_GUEST, 1, 2, "");
	s.f.marks[0].vcpu_id = 0;
	fake_count(a, 0, PIO, 0xf4, W, 3);
	fake_count(b, 0, PIO, 0x80, W, 4);
	finish(&s);

	CHECK(sum(&s.p, "-", "1", "0", "pio", "244", "write") == 1,
	      "the marking write ends the phase before");
	CHECK(sum(&s.p, "guest phase 2", "1", "0", "pio", "244", "write") == 3,
	      "VM 1 after its mark: guest phase 2");
	CHECK(sum(&s.p, "-", "2", "0", "pio", "128", "write") == 10,
	      "VM 2 stays in its phase");
	CHECK(sum(&s.p, "guest phase 2", "2", NULL, NULL, NULL, NULL) == 0,
	      "VM 2 never in VM 1's guest phase");
	for (i = 1; i < s.p.nr; i++)
		if (!strcmp(s.p.rows[i].col[C_KIND], "mark"))
			CHECK(!strcmp(s.p.rows[i].col[C_VM], "1") &&
			      !strcmp(s.p.rows[i].col[C_PID], "100") &&
			      !strcmp(s.p.rows[i].col[C_NAME], "guest") &&
			      !strcmp(s.p.rows[i].col[C_PHASE_SEQ], "1"),
			      "guest mark row names VM 1, pid 100");
	done(&s);
}

/* --vm PID: other VMs and their guest marks stay out. */
static void test_pid_filter(void)
{
	struct session s = { 0 };
	struct fake_vm *a = fake_add_vm(&s.f, 1, 100);
	struct fake_vm *b = fake_add_vm(&s.f, 2, 200);

	start(&s, 200);
	fake_count(a, 0, R, SVM(0x78), 0, 9);
	fake_count(b, 0, R, SVM(0x78), 0, 2);
	fake_mark(&s.f, CVMSTAT_PHASE_GUEST, 1, 7, "");
	fake_count(b, 0, R, SVM(0x78), 0, 1);
	finish(&s);
	CHECK(sum(&s.p, NULL, "1", NULL, NULL, NULL, NULL) == 0, "VM 1 left out");
	CHECK(sum(&s.p, "-", "2", "0", "reason", "120", "-") == 3,
	      "VM 2 all in its phase");
	CHECK(rows_of_kind(&s.p, "mark") == 0, "no row for VM 1's mark");
	done(&s);
}

/* A boundary the module no longer holds: said, not guessed. */
static void test_stale(void)
{
	struct session s = { 0 };
	struct fake_vm *v = fake_add_vm(&s.f, 1, 100);

	start(&s, 0);
	fake_count(v, 0, R, SVM(0x72), 0, 1);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "one");
	fake_count(v, 0, R, SVM(0x72), 0, 2);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "two");	/* overwrites */
	fake_count(v, 0, R, SVM(0x72), 0, 4);
	finish(&s);
	/* a host mark keeps its row; the VM read inexactly gets one of its own */
	CHECK(rows_of_kind(&s.p, "mark_inexact") == 1 &&
	      rows_of_kind(&s.p, "mark") == 2, "mark 1 inexact for VM 1, mark 2 exact");
	CHECK(sum(&s.p, "one", "1", "0", "mark_inexact", "1", "-") == 1,
	      "the inexact row is VM 1's, at mark 1");
	CHECK(sum(&s.p, "one", "1", "0", "reason", "114", "-") == 3,
	      "what mark 1 could not split goes to the phase after it");
	CHECK(sum(&s.p, "two", "1", "0", "reason", "114", "-") == 4, "two: 4");
	CHECK(s.r.inexact == 1, "counted inexact");
	done(&s);
}

/* A mark during a live read: the read is taken again, after the mark. */
static void test_race(void)
{
	struct session s = { 0 };
	struct fake_vm *v = fake_add_vm(&s.f, 1, 100);

	start(&s, 0);
	fake_count(v, 0, R, SVM(0x72), 0, 5);
	s.f.race = 1;
	s.f.live_reads = 0;
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	CHECK(s.f.live_reads == 2, "live read retried (%d reads)",
	      s.f.live_reads);
	fake_count(v, 0, R, SVM(0x72), 0, 1);
	finish(&s);
	CHECK(sum(&s.p, "-", "1", "0", "reason", "114", "-") == 5,
	      "counts before the raced mark in the phase before");
	CHECK(sum(&s.p, "raced", "1", "0", "reason", "114", "-") == 1,
	      "after it in the new phase");
	done(&s);
}

/* VMs that come and go; counters reset underneath. */
static void test_vm_lifetime(void)
{
	struct session s = { 0 };
	struct fake_vm *a = fake_add_vm(&s.f, 1, 100), *b;

	start(&s, 0);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "p1");
	b = fake_add_vm(&s.f, 2, 300);		/* created after the mark */
	fake_count(b, 3, R, SVM(0x400), 0, 8);
	CHECK(cvm_rec_marks(&s.r) == 0, "marks");
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	fake_count(a, 0, R, SVM(0x72), 0, 10);
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	a->recs[0].count = 2;			/* reset, then 2 more */
	a->gone = false;
	b->gone = true;				/* forgotten */
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	finish(&s);
	CHECK(sum(&s.p, "p1", "2", "3", "reason", "1024", "-") == 8,
	      "a VM born during the recording: everything counts");
	CHECK(sum(&s.p, "p1", "1", "0", "reason", "114", "-") == 12,
	      "after a reset: the count since the reset");
	done(&s);
}

/* The module's ring wrapped: said on stderr and counted. */
static void test_lost(void)
{
	struct session s = { 0 };

	fake_add_vm(&s.f, 1, 100);
	start(&s, 0);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "a");
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "b");
	s.f.ring_lost = 1;
	finish(&s);
	CHECK(s.r.lost == 1, "one lost");
	CHECK(rows_of_kind(&s.p, "mark") == 1, "the mark still held is there");
	done(&s);
}

/* Starting mid-experiment: the phase in effect is the newest mark's. */
static void test_start_phase(void)
{
	struct session s = { 0 };
	struct fake_vm *a = fake_add_vm(&s.f, 1, 100);

	fake_add_vm(&s.f, 2, 200);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "setup");
	fake_mark(&s.f, CVMSTAT_PHASE_GUEST, 1, 3, "");
	start(&s, 0);
	fake_count(a, 0, R, SVM(0x72), 0, 1);
	fake_count(&s.f.vms[1], 0, R, SVM(0x72), 0, 1);
	finish(&s);
	CHECK(sum(&s.p, "guest phase 3", "1", NULL, NULL, NULL, NULL) == 1,
	      "VM 1 in its own guest phase");
	CHECK(sum(&s.p, "setup", "2", NULL, NULL, NULL, NULL) == 1,
	      "VM 2 in the host phase");
	done(&s);
}

/* A mark while the baseline is read: start over, nothing written early. */
static void test_start_race(void)
{
	struct session s = { 0 };
	struct fake_vm *v = fake_add_vm(&s.f, 1, 100);

	fake_count(v, 0, R, SVM(0x72), 0, 40);		/* before recording */
	s.f.race = 1;
	start(&s, 0);
	CHECK(s.f.live_reads == 2, "baseline read twice (%d)", s.f.live_reads);
	fake_count(v, 0, R, SVM(0x72), 0, 2);
	finish(&s);
	CHECK(sum(&s.p, NULL, "1", "0", "reason", "114", "-") == 2,
	      "only what came after the start, none of the 40 before");
	CHECK(sum(&s.p, "raced", "1", "0", "reason", "114", "-") == 2,
	      "in the phase of the mark made during the start");
	CHECK(rows_of_kind(&s.p, "mark") == 0, "a mark before the start has no row");
	done(&s);
}

/*
 * Events a full key table counted without their key: rows of kind overflow
 * (key and name: the kind), attributed to phases like any other, so a
 * kind's rows plus its overflow rows are all its events in each phase.
 */
static void test_not_keyed(void)
{
	struct session s = { 0 };
	struct fake_vm *v = fake_add_vm(&s.f, 1, 100);
	int i, n = 0;

	fake_count(v, 0, OVF, MSR, 0, 9);		/* before recording */
	start(&s, 0);
	fake_count(v, 0, MSR, 0x1b, RD, 2);
	fake_count(v, 0, OVF, MSR, 0, 5);
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	CHECK(s.r.not_keyed == 1U << MSR, "msr seen not keyed: %#x",
	      s.r.not_keyed);
	fake_count(v, 0, OVF, MSR, 0, 1);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "p");
	fake_count(v, 0, OVF, MSR, 0, 7);
	fake_count(v, 1, OVF, CVMSTAT_KIND_MMIO, 0, 3);
	fake_count(v, 1, CVMSTAT_KIND_MMIO, 0xfee000b0, W, 4);
	finish(&s);
	CHECK(sum(&s.p, "-", "1", "0", "overflow", "5", "-") == 6,
	      "before the mark: 6 MSR events without a key (not the 9 before)");
	CHECK(sum(&s.p, "-", "1", "0", "msr", NULL, NULL) +
	      sum(&s.p, "-", "1", "0", "overflow", "5", NULL) == 8,
	      "all 8 MSR events of the phase: keyed rows + overflow rows");
	CHECK(sum(&s.p, "p", "1", "0", "overflow", "5", "-") == 7,
	      "after it: 7, in its phase");
	CHECK(sum(&s.p, "p", "1", "1", "overflow", "4", "-") == 3 &&
	      sum(&s.p, "p", "1", "1", "mmio", NULL, NULL) == 4,
	      "vCPU 1: 3 MMIO events without a key, 4 with");
	for (i = 1; i < s.p.nr; i++) {
		char *const *c = s.p.rows[i].col;

		if (strcmp(c[C_KIND], "overflow"))
			continue;
		n++;
		CHECK(!strcmp(c[C_NAME], !strcmp(c[C_KEY], "5") ? "msr" : "mmio"),
		      "overflow row: name %s is the kind of key %s", c[C_NAME],
		      c[C_KEY]);
	}
	CHECK(n == 4, "4 overflow rows (5, 1 at the mark, 7; 3), got %d", n);
	CHECK(s.r.not_keyed == (1U << MSR | 1U << CVMSTAT_KIND_MMIO),
	      "msr and mmio seen not keyed: %#x", s.r.not_keyed);
	done(&s);
}

/* ---- output details ------------------------------------------------------ */

/* The column of @kind's rows matching phase, vcpu and lo (NULL: any), joined. */
static void lat_col(const struct parsed *p, const char *phase, const char *kind,
		    const char *lo, int col, char *out, size_t len)
{
	int i;

	*out = '\0';
	for (i = 1; i < p->nr; i++) {
		char *const *c = p->rows[i].col;

		if (strcmp(c[C_KIND], kind) || (phase && strcmp(c[C_PHASE], phase)) ||
		    (lo && strcmp(c[C_LO], lo)))
			continue;
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
			 *out ? " " : "", c[col]);
	}
}

/*
 * --latency: the LAT_* deltas as rows per phase, taken at a mark right after
 * its snapshot (so exits timed after the mark but before it was handled go
 * to the phase before) and at the end, never at an interval; the extremes
 * when they changed; never the open exit; the bounds of buckets.
 */
static void test_latency(void)
{
	struct session s = { .lat = true };
	struct fake_vm *v = fake_add_vm(&s.f, 1, 100);
	char got[256];
	int i, ok;

	fake_time(v, 0, 10, 700);			/* before: baseline */
	fake_count(v, 0, CVMSTAT_KIND_LAT_OPEN, SVM(0x7b), CVMSTAT_LAT_USER, 1);
	start(&s, 0);
	fake_time(v, 0, 3, 1000);		/* bucket [992, 1024) */
	fake_time(v, 1, 1, 20);			/* bucket [20, 21) */
	CHECK(cvm_rec_interval(&s.r) == 0, "interval");
	fake_time(v, 0, 2, 1000);
	fake_mark(&s.f, CVMSTAT_PHASE_HOST, 0, 0, "p2");
	fake_time(v, 0, 4, 400);		/* after the mark, not yet handled */
	CHECK(cvm_rec_marks(&s.r) == 0, "marks");
	fake_time(v, 0, 5, 5000);		/* handled: the new phase */
	finish(&s);

	CHECK(s.p.nr > 0 && !strcmp(s.p.rows[0].col[C_LO], "lo_ns") &&
	      !strcmp(s.p.rows[0].col[C_HI], "hi_ns"), "header ends lo_ns,hi_ns");
	CHECK(sum(&s.p, "-", "1", "0", "lat_count", "114", "kernel") == 3 + 2 + 4,
	      "phase -: vCPU 0's 9 exits, those after the mark it was read at too");
	CHECK(sum(&s.p, "-", "1", "0", "lat_sum", "114", "kernel") ==
	      5 * 1000 + 4 * 400, "their time");
	CHECK(sum(&s.p, "-", "1", "1", "lat_count", "114", "kernel") == 1,
	      "vCPU 1's");
	CHECK(sum(&s.p, "p2", "1", "0", "lat_count", "114", "kernel") == 5 &&
	      sum(&s.p, "p2", "1", "0", "lat_bucket", "114", "kernel") == 5,
	      "p2: 5 exits, in the buckets too");
	lat_col(&s.p, "-", "lat_bucket", "992", C_HI, got, sizeof(got));
	CHECK(!strcmp(got, "1024"), "[992, 1024) once, at the mark: %s", got);
	lat_col(&s.p, "-", "lat_bucket", "992", C_COUNT, got, sizeof(got));
	CHECK(!strcmp(got, "5"), "3 before the interval and 2 after: %s", got);
	lat_col(&s.p, "-", "lat_bucket", "20", C_HI, got, sizeof(got));
	CHECK(!strcmp(got, "21"), "[20, 21): %s", got);
	lat_col(&s.p, "p2", "lat_bucket", NULL, C_LO, got, sizeof(got));
	CHECK(!strcmp(got, "4864"), "p2's one bucket [4864, 5120): %s", got);
	lat_col(&s.p, NULL, "lat_max", NULL, C_COUNT, got, sizeof(got));
	CHECK(!strcmp(got, "1000 20 5000"),
	      "lat_max rows when it rose (vCPU 0 to 1000, vCPU 1's first 20, p2 5000): %s",
	      got);
	lat_col(&s.p, NULL, "lat_min", NULL, C_COUNT, got, sizeof(got));
	CHECK(!strcmp(got, "400 20"), "lat_min rows when it fell: %s", got);
	CHECK(rows_of_kind(&s.p, "lat_open") == 0, "no open exit rows");
	CHECK(sum(&s.p, NULL, NULL, NULL, "reason", "114", "-") == 15,
	      "the reasons as ever");
	for (i = 1, ok = 1; i < s.p.nr; i++) {
		char *const *c = s.p.rows[i].col;

		if (!strcmp(c[C_KIND], "lat_bucket"))
			ok &= strcmp(c[C_LO], c[C_HI]) < 0 || strlen(c[C_LO]) < strlen(c[C_HI]);
		else
			ok &= !strcmp(c[C_LO], "0") && !strcmp(c[C_HI], "0");
		if (!strncmp(c[C_KIND], "lat_", 4))
			ok &= !strcmp(c[C_NAME], "CPUID") && !strcmp(c[C_KEY], "114");
	}
	CHECK(ok, "bounds on buckets only, 0 elsewhere; reason named, key 114");
	done(&s);
}

static void test_iso8601(void)
{
	char buf[48];

	cvm_format_iso8601(buf, sizeof(buf), 1795345200123456789LL);
	CHECK(!strcmp(buf, "2026-11-22T11:00:00.123456789Z"), "iso %s", buf);
	cvm_format_iso8601(buf, sizeof(buf), 0);
	CHECK(!strcmp(buf, "1970-01-01T00:00:00.000000000Z"), "epoch %s", buf);
}

/* The header and @n rows as cvm_out writes them, with a set clock offset. */
static bool written_lat;	/* written() with record --latency's columns */

static char *written(enum cvm_view_format format, int64_t wall_offset_ns,
		     const struct cvm_row *rows, size_t n)
{
	struct cvm_out o;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	cvm_out_init(&o, f, format);
	if (written_lat)
		cvm_out_latency(&o);
	o.wall_offset_ns = wall_offset_ns;
	ret = cvm_out_header(&o);
	for (i = 0; i < n; i++)
		ret |= cvm_out_row(&o, &rows[i]);
	CHECK(ret == 0, "%zu rows written", n);
	fclose(f);
	return buf;
}

static void test_json(void)
{
	struct cvm_row r = {
		.time_ns = 5, .phase_seq = 2, .phase = "a\"b\\c\nd\x01é\xff",
		.vm_id = 3, .pid = 42, .vcpu = 1, .kind = "reason",
		.key = 123, .dir = "-", .name = "IOIO", .count = 9,
	};
	char *buf = written(CVM_VIEW_JSON, 0, &r, 1);

	CHECK(!strcmp(buf,
		      "{\"time_ns\":5,\"time\":\"1970-01-01T00:00:00.000000005Z\","
		      "\"phase_seq\":2,\"phase\":\"a\\\"b\\\\c\\u000ad\\u0001é\\ufffd\","
		      "\"vm_id\":3,\"pid\":42,\"vcpu\":1,\"kind\":\"reason\","
		      "\"key\":123,\"dir\":\"-\",\"name\":\"IOIO\",\"count\":9}\n"),
	      "json line: %s", buf);
	free(buf);
}

/* --latency: two columns more, integers in CSV and JSON alike. */
static void test_latency_bytes(void)
{
	struct cvm_row r[2] = { {
		.time_ns = 7, .phase_seq = 1, .phase = "p", .vm_id = 2,
		.pid = 3, .vcpu = 0, .kind = "lat_bucket", .key = 114,
		.dir = "kernel", .name = "CPUID", .count = 30,
		.lo_ns = 19456, .hi_ns = 20480,
	}, {
		.time_ns = 7, .phase_seq = 1, .phase = "p", .vm_id = 2,
		.pid = 3, .vcpu = 0, .kind = "reason", .key = 114, .dir = "-",
		.name = "CPUID", .count = 30,
	} };
	char *buf;

	written_lat = true;
	buf = written(CVM_VIEW_CSV, 0, r, 2);
	CHECK(!strcmp(buf,
		      "time_ns,time,phase_seq,phase,vm_id,pid,vcpu,kind,key,dir,name,count,lo_ns,hi_ns\n"
		      "7,1970-01-01T00:00:00.000000007Z,1,p,2,3,0,lat_bucket,114,kernel,CPUID,30,19456,20480\n"
		      "7,1970-01-01T00:00:00.000000007Z,1,p,2,3,0,reason,114,-,CPUID,30,0,0\n"),
	      "csv bytes: %s", buf);
	free(buf);
	buf = written(CVM_VIEW_JSON, 0, r, 1);
	CHECK(!strcmp(buf,
		      "{\"time_ns\":7,\"time\":\"1970-01-01T00:00:00.000000007Z\","
		      "\"phase_seq\":1,\"phase\":\"p\",\"vm_id\":2,\"pid\":3,"
		      "\"vcpu\":0,\"kind\":\"lat_bucket\",\"key\":114,"
		      "\"dir\":\"kernel\",\"name\":\"CPUID\",\"count\":30,"
		      "\"lo_ns\":19456,\"hi_ns\":20480}\n"),
	      "json line: %s", buf);
	free(buf);
	written_lat = false;
}

/* The header and rows, byte for byte: the bytes recordings always had. */
static void test_csv_exact(void)
{
	struct cvm_row r[2] = { {
		.time_ns = 18446744073709551615ULL, .phase_seq = 0,
		.phase = "-", .vm_id = 7, .pid = -1, .vcpu = 4294967295U,
		.kind = "mmio", .key = 4276093824ULL, .dir = "write",
		.name = "LAPIC TIMER_INIT_COUNT", .count = 3768,
	} };
	char *buf;

	r[1] = r[0];
	r[1].time_ns = 1;
	r[1].pid = 2147483647;
	r[1].phase = "steady, \"hot\"";
	buf = written(CVM_VIEW_CSV, 1795345200123456789LL, r, 2);
	CHECK(!strcmp(buf,
		      "time_ns,time,phase_seq,phase,vm_id,pid,vcpu,kind,key,dir,name,count\n"
		      "18446744073709551615,2026-11-22T11:00:00.123456788Z,0,-,7,-1,"
		      "4294967295,mmio,4276093824,write,LAPIC TIMER_INIT_COUNT,3768\n"
		      "1,2026-11-22T11:00:00.123456790Z,0,\"steady, \"\"hot\"\"\",7,"
		      "2147483647,4294967295,mmio,4276093824,write,"
		      "LAPIC TIMER_INIT_COUNT,3768\n"),
	      "csv bytes: %s", buf);
	free(buf);
}

static void test_csv_quoting(void)
{
	static const char *const names[] = {
		"plain", "a,b", "say \"hi\"", "two\nlines", "cr\rlf",
		"ünïcødé ✓", " spaced ", "\"", ",",
	};
	struct cvm_out o;
	struct parsed p;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	cvm_out_init(&o, f, CVM_VIEW_CSV);
	cvm_out_header(&o);
	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		struct cvm_row r = {
			.phase = names[i], .kind = "mark", .key = 1,
			.dir = "-", .name = names[i], .count = i,
		};
		cvm_out_row(&o, &r);
	}
	fclose(f);
	CHECK(strstr(buf, ",plain,") && strstr(buf, "\"a,b\"") &&
	      strstr(buf, "\"say \"\"hi\"\"\""), "quoting only where needed");
	parse_csv(buf, len, &p);
	CHECK(!p.bad && p.nr == 1 + (int)(sizeof(names) / sizeof(*names)),
	      "parses back, %d rows", p.nr);
	for (i = 0; !p.bad && i < sizeof(names) / sizeof(*names); i++)
		CHECK(!strcmp(p.rows[i + 1].col[C_PHASE], names[i]) &&
		      !strcmp(p.rows[i + 1].col[C_NAME], names[i]),
		      "field %zu round-trips", i);
	free_parsed(&p);
	free(buf);
}

/*
 * Fields longer than the row buffer (1 KiB) and than libcsv's quoting
 * buffer (256 bytes): written whole, in order, quoted where needed.
 */
static void test_long_fields(void)
{
	static char plain[1500], quoted[700], json[1200];
	struct cvm_row r = {
		.phase = quoted, .kind = "mark", .key = 1, .dir = "-",
		.name = plain, .count = 2,
	};
	struct cvm_out o;
	struct parsed p;
	char *buf = NULL, *want;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	memset(plain, 'x', sizeof(plain) - 1);
	memset(quoted, 'q', sizeof(quoted) - 1);
	quoted[100] = ',';
	quoted[400] = '"';
	cvm_out_init(&o, f, CVM_VIEW_CSV);
	cvm_out_header(&o);
	cvm_out_row(&o, &r);
	r.phase = "short";
	cvm_out_row(&o, &r);
	fclose(f);
	parse_csv(buf, len, &p);
	CHECK(!p.bad && p.nr == 3, "long fields parse back, %d rows", p.nr);
	for (i = 1; !p.bad && i < 3; i++)
		CHECK(!strcmp(p.rows[i].col[C_PHASE], i == 1 ? quoted : "short") &&
		      !strcmp(p.rows[i].col[C_NAME], plain),
		      "row %zu: long fields round-trip", i);
	free_parsed(&p);
	free(buf);

	memset(json, 'j', sizeof(json) - 1);
	json[500] = '"';
	r.phase = json;
	r.name = "n";
	buf = written(CVM_VIEW_JSON, 0, &r, 1);
	want = malloc(sizeof(json) + 16);
	snprintf(want, sizeof(json) + 16, "\"phase\":\"%.500s\\\"%s\",",
		 json, json + 501);
	CHECK(strstr(buf, want) && strstr(buf, "\"name\":\"n\",\"count\":2}\n"),
	      "a long JSON string is escaped and whole");
	free(want);
	free(buf);
}

/* A full disk is an error of the interval that hit it. */
static void test_full_disk(void)
{
	struct session s = { 0 };
	struct fake_vm *v = fake_add_vm(&s.f, 1, 100);
	FILE *f = fopen("/dev/full", "w");
	int i, ret = 0;

	if (!f) {
		CHECK(0, "open /dev/full: %s", strerror(errno));
		return;
	}
	cvm_out_init(&s.out, f, CVM_VIEW_CSV);
	s.r = (struct cvm_recorder){
		.src = { &s.f, fake_list_vms, fake_read_vm, fake_list_marks },
		.out = &s.out,
	};
	CHECK(cvm_rec_start(&s.r) == 0, "start");
	for (i = 0; i < 3 && !ret; i++) {
		fake_count(v, 0, R, SVM(0x72), 0, 1);
		ret = cvm_rec_interval(&s.r);
	}
	CHECK(ret == -EXIT_SYSTEM && s.r.err == -ENOSPC && i == 1,
	      "the first interval reports ENOSPC (ret %d err %d after %d)",
	      ret, s.r.err, i);
	cvm_rec_free(&s.r);
	fclose(f);
}

static void test_snap(void)
{
	struct cvmstat_record a[] = {
		{ .vcpu_id = 1, .kind = R, .key = 5, .count = 10 },
		{ .vcpu_id = 0, .kind = R, .key = 5, .count = 3 },
		{ .vcpu_id = 0, .kind = PIO, .dir = W, .key = 9, .count = 4 },
	};
	struct cvmstat_record b[] = {
		{ .vcpu_id = 0, .kind = PIO, .dir = W, .key = 9, .count = 4 },
		{ .vcpu_id = 0, .kind = R, .key = 5, .count = 7 },
		{ .vcpu_id = 1, .kind = R, .key = 5, .count = 2 },
		{ .vcpu_id = 2, .kind = R, .key = 5, .count = 1 },
	};
	struct cvmstat_record d[4], m[3];
	uint32_t n;

	cvm_snap_sort(a, 3);
	cvm_snap_sort(b, 4);
	CHECK(a[0].vcpu_id == 0 && a[0].kind == R && a[1].kind == PIO &&
	      a[2].vcpu_id == 1, "sorted by vcpu, kind");
	n = cvm_snap_delta(a, 3, b, 4, d);
	CHECK(n == 3, "three changed, %u", n);
	CHECK(n == 3 && d[0].vcpu_id == 0 && d[0].count == 4 &&
	      d[1].vcpu_id == 1 && d[1].count == 2 &&
	      d[2].vcpu_id == 2 && d[2].count == 1,
	      "4 more; reset to 2; new 1");
	memcpy(m, a, sizeof(m));
	m[0].vcpu_id = m[1].vcpu_id = m[2].vcpu_id = 0;
	n = cvm_snap_merge(m, 3);
	CHECK(n == 2 && m[0].kind == R && m[0].count == 13 && m[1].count == 4,
	      "merged over vCPUs");
}

int main(void)
{
	test_host_phases();
	test_guest_marks();
	test_pid_filter();
	test_stale();
	test_race();
	test_vm_lifetime();
	test_lost();
	test_start_phase();
	test_start_race();
	test_not_keyed();
	test_latency();
	test_iso8601();
	test_json();
	test_csv_exact();
	test_latency_bytes();
	test_csv_quoting();
	test_long_fields();
	test_full_disk();
	test_snap();
	printf("recorder: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * recorder: counter deltas attributed to benchmark phases.
 *
 * The module keeps, for every vCPU, its counters as they were at the latest
 * mark, so the counts of a phase are exact when each mark is read before the
 * next one: a mark's rows are that VM's counters as of the mark minus the
 * previous rows.  Live reads between marks are accepted only when no mark
 * was made while they ran (the mark sequence is the same before and after);
 * otherwise the marks are handled first and the read is taken again.
 *
 * Host marks start a phase for every recorded VM, guest marks (the phase
 * port) for the VM that wrote them only.
 *
 * Exit-handling times (the LAT_* records, only with src.read_lat) are
 * deltas per phase: read and written when a phase ends and when the
 * recording does, not at every interval (a 64-vCPU VM's histograms are
 * some 10 000 rows; written ten times a second they cost a sixth of a CPU).
 * They are not in the module's mark snapshot, so they are attributed at the
 * recorder's reads: for every VM a mark concerns, a live read right after
 * the mark's snapshot closes the phase before it.
 * The exits timed between a mark and the recorder handling it (poll()
 * wakes on a mark: typically well under a millisecond, at most the time
 * the process takes to be scheduled) go to the phase before.  A lat_min or
 * lat_max row is written when the extreme changed: the new value, reached
 * in the phase it is attributed to.
 *
 * Halt-polling settings are "setting" rows: the global parameters at the
 * start and whenever a read at an interval finds them changed, changes
 * this process made (a sweep) when it makes them, and the changes the
 * module logged (a VM's maximum, a guest's opt-out) at the time it gives,
 * in the phase the VM was in then: the log is listed before the marks, so
 * a change made before a mark is written before the mark closes the phase.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "names.h"
#include "recorder.h"
#include "snapshot.h"

/* Live reads retried this often when marks keep arriving meanwhile. */
#define LIVE_TRIES	8

struct cvm_rec_vm {
	uint64_t vm_id;
	pid_t pid;
	uint64_t phase_seq;
	char phase[CVM_PHASE_NAME_MAX];
	struct cvmstat_record *prev;	/* last rows' counters, sorted */
	uint32_t n_prev;
	struct cvmstat_record *lat_prev; /* the same of the LAT_* records */
	uint32_t n_lat_prev;
	bool listed;			/* still held by the module */
	bool stale;			/* not read exactly at this host mark */
};

static void phase_name(const struct cvmstat_phase *m, char *buf)
{
	if (m->source == CVMSTAT_PHASE_GUEST)
		snprintf(buf, CVM_PHASE_NAME_MAX, "guest phase %u", m->value);
	else
		snprintf(buf, CVM_PHASE_NAME_MAX, "%.*s",
			 (int)sizeof(m->name), m->name);
}

static void set_phase(struct cvm_rec_vm *v, uint64_t seq, const char *name)
{
	v->phase_seq = seq;
	snprintf(v->phase, sizeof(v->phase), "%s", name);
}

static int out_row(struct cvm_recorder *r, const struct cvm_row *row)
{
	int ret = cvm_out_row(r->out, row);

	if (ret && !r->err)
		r->err = ret;
	return ret ? -EXIT_SYSTEM : 0;
}

/* The row fields of a LAT_* record @d (its key, dir, name, bounds). */
static void lat_row(const struct cvmstat_record *d, struct cvm_row *row,
		    char *name, size_t len)
{
	unsigned int b;

	if (d->kind == CVMSTAT_KIND_LAT_LOST) {
		snprintf(name, len, "%s", cvm_lat_lost_name(d->key));
		row->key = d->key;
		row->dir = "-";
		return;
	}
	cvm_lat_key_name(name, len, CVMSTAT_LAT_REASON_OF(d->key));
	/* like a reason's key, without the isa; a VMGEXIT code's keeps its class */
	row->key = CVMSTAT_LAT_REASON_OF(d->key) & ~0xf00000000ULL;
	row->dir = d->dir == CVMSTAT_LAT_USER ? "user" : "kernel";
	if (d->kind == CVMSTAT_KIND_LAT_BUCKET) {
		b = CVMSTAT_LAT_BUCKET_OF(d->key);
		row->lo_ns = cvm_lat_lo(b);
		row->hi_ns = cvm_lat_hi(b);
	}
}

/*
 * Rows for what changed in @v between its last rows (*@prev) and @recs;
 * keeps @recs (sorted) as *@prev.
 */
static int emit_deltas(struct cvm_recorder *r, struct cvm_rec_vm *v,
		       struct cvmstat_record **recs, uint32_t nr,
		       uint64_t time_ns, struct cvmstat_record **prev,
		       uint32_t *n_prev)
{
	struct cvmstat_record *d;
	uint32_t i, n;
	int ret = 0;

	cvm_snap_sort(*recs, nr);
	d = malloc((nr ? nr : 1) * sizeof(*d));
	if (!d) {
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	n = cvm_snap_delta(*prev, *n_prev, *recs, nr, d);
	for (i = 0; i < n && !ret; i++) {
		char name[128];
		const char *kind = cvm_name_kind(d[i].kind);
		struct cvm_row row = {
			.time_ns = time_ns,
			.phase_seq = v->phase_seq,
			.phase = v->phase,
			.vm_id = v->vm_id,
			.pid = v->pid,
			.vcpu = d[i].vcpu_id,
			.kind = kind ? kind : "unknown",
			/* a reason's key without the ISA in its upper half */
			.key = d[i].kind == CVMSTAT_KIND_REASON ?
			       (uint32_t)d[i].key : d[i].key,
			.dir = cvm_dir_name(d[i].dir),
			.name = name,
			.count = d[i].count,
		};

		if (d[i].kind >= CVMSTAT_KIND_LAT_COUNT &&
		    d[i].kind <= CVMSTAT_KIND_LAT_LOST)
			lat_row(&d[i], &row, name, sizeof(name));
		else
			cvm_format_record_name(name, sizeof(name), d[i].kind,
					       d[i].key);
		if (d[i].kind == CVMSTAT_KIND_OVERFLOW && d[i].key < 32 &&
		    !(r->not_keyed & 1U << d[i].key)) {
			r->not_keyed |= 1U << d[i].key;
			cvm_err("warning: VM %llu: %s events found the module's key table full and have no key; they are counted in rows of kind overflow, name %s",
				(unsigned long long)v->vm_id, name, name);
		}
		ret = out_row(r, &row);
	}
	free(d);
	free(*prev);
	*prev = *recs;
	*n_prev = nr;
	*recs = NULL;
	return ret;
}

/*
 * Moves the LAT_* records of @rd (but the open exit's, not a count) into
 * *@lat (malloc'ed, *@n_lat of them).  0 or -(exit code).
 */
static int take_lat(struct cvm_vm_read *rd, struct cvmstat_record **lat,
		    uint32_t *n_lat)
{
	uint32_t i, k = 0, n = 0;

	*lat = malloc((rd->nr ? rd->nr : 1) * sizeof(**lat));
	if (!*lat) {
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	for (i = 0; i < rd->nr; i++) {
		uint16_t kind = rd->recs[i].kind;

		if (kind < CVMSTAT_KIND_LAT_COUNT || kind > CVMSTAT_KIND_LAT_LOST)
			rd->recs[k++] = rd->recs[i];
		else if (kind != CVMSTAT_KIND_LAT_OPEN)
			(*lat)[n++] = rd->recs[i];
	}
	rd->nr = k;
	*n_lat = n;
	return 0;
}

/* The rows of a live read @rd of @v: its counters', then its times' if read. */
static int emit_live(struct cvm_recorder *r, struct cvm_rec_vm *v,
		     struct cvm_vm_read *rd, bool with_lat)
{
	struct cvmstat_record *lat = NULL;
	uint32_t n_lat = 0;
	int ret = 0;

	if (with_lat)
		ret = take_lat(rd, &lat, &n_lat);
	if (!ret)
		ret = emit_deltas(r, v, &rd->recs, rd->nr, rd->snap_ns,
				  &v->prev, &v->n_prev);
	if (!ret && with_lat)
		ret = emit_deltas(r, v, &lat, n_lat, rd->snap_ns,
				  &v->lat_prev, &v->n_lat_prev);
	free(lat);
	return ret;
}

static struct cvm_rec_vm *find_vm(struct cvm_recorder *r, uint64_t vm_id)
{
	int i;

	for (i = 0; i < r->nr_vms; i++)
		if (r->vms[i].vm_id == vm_id)
			return &r->vms[i];
	return NULL;
}

static void free_vm(struct cvm_rec_vm *v)
{
	free(v->prev);
	free(v->lat_prev);
}

/*
 * Follows the module's VM list: new VMs (of the recorded VMM) join in the
 * current host phase with an empty baseline, so everything they do counts;
 * VMs the module no longer holds are dropped.
 */
static int sync_vms(struct cvm_recorder *r)
{
	struct cvmstat_vm_info *vms;
	int i, n, k;

	n = r->src.list_vms(r->src.ctx, &vms);
	if (n < 0)
		return n;
	for (i = 0; i < r->nr_vms; i++)
		r->vms[i].listed = false;
	for (i = 0; i < n; i++) {
		struct cvm_rec_vm *v;

		if (r->pid && vms[i].pid != r->pid)
			continue;
		v = find_vm(r, vms[i].vm_id);
		if (!v) {
			v = realloc(r->vms, (r->nr_vms + 1) * sizeof(*v));
			if (!v) {
				free(vms);
				cvm_err("out of memory");
				return -EXIT_SYSTEM;
			}
			r->vms = v;
			v = &r->vms[r->nr_vms++];
			memset(v, 0, sizeof(*v));
			v->vm_id = vms[i].vm_id;
			v->pid = vms[i].pid;
			set_phase(v, r->host_seq, r->host_phase);
		}
		v->listed = true;
	}
	free(vms);
	for (i = k = 0; i < r->nr_vms; i++) {
		if (r->vms[i].listed)
			r->vms[k++] = r->vms[i];
		else
			free_vm(&r->vms[i]);
	}
	r->nr_vms = k;
	return 0;
}

static int read_error(uint64_t vm_id, int err)
{
	cvm_err("reading VM %llu: %s", (unsigned long long)vm_id,
		strerror(-err));
	return -cvm_errno_exit(-err);
}

/*
 * A live read of @vm_id; with its times when @times (the start, the end)
 * and the recording has them.
 */
static int read_live_vm(struct cvm_recorder *r, uint64_t vm_id,
			struct cvm_vm_read *rd, bool times)
{
	if (times)
		return r->src.read_lat(r->src.ctx, vm_id, rd);
	return r->src.read_vm(r->src.ctx, vm_id, 0, rd);
}

/* At a mark: @v's times up to now, in the phase the mark closes. */
static int mark_lat(struct cvm_recorder *r, struct cvm_rec_vm *v)
{
	struct cvmstat_record *lat = NULL;
	struct cvm_vm_read rd;
	uint32_t n_lat;
	int ret;

	if (!r->src.read_lat)
		return 0;
	ret = r->src.read_lat(r->src.ctx, v->vm_id, &rd);
	if (ret == -ENOENT)
		return 0;	/* forgotten: next sync */
	if (ret)
		return read_error(v->vm_id, ret);
	/* the counters are left out: the mark's snapshot has them */
	ret = take_lat(&rd, &lat, &n_lat);
	if (!ret)
		ret = emit_deltas(r, v, &lat, n_lat, rd.snap_ns, &v->lat_prev,
				  &v->n_lat_prev);
	free(lat);
	cvm_vm_read_free(&rd);
	return ret;
}

/* ---- halt-polling settings ---------------------------------------------- */

/* The key of "vm_halt_poll_ns=global": past every 32-bit value. */
#define HP_KEY_GLOBAL	4294967296ULL

static int setting_row(struct cvm_recorder *r, uint64_t time_ns,
		       uint64_t phase_seq, const char *phase,
		       const struct cvm_rec_vm *v, uint32_t vcpu, uint64_t key,
		       const char *name)
{
	return out_row(r, &(struct cvm_row){
		.time_ns = time_ns,
		.phase_seq = phase_seq,
		.phase = phase,
		.vm_id = v ? v->vm_id : 0,
		.pid = v ? v->pid : 0,
		.vcpu = vcpu,
		.kind = "setting",
		.key = key,
		.dir = "-",
		.name = name,
		.count = 1,
	});
}

/* The global parameters; a row for each that changed since (@how). */
static int hp_globals(struct cvm_recorder *r, const char *how)
{
	uint32_t vals[CVM_REC_HP_GLOBALS];
	bool have[CVM_REC_HP_GLOBALS];
	uint64_t now = cvm_now_ns();
	int i, ret = 0;

	if (!r->src.read_hp_globals)
		return 0;
	r->src.read_hp_globals(r->src.ctx, vals, have);
	for (i = 0; i < CVM_REC_HP_GLOBALS && !ret; i++) {
		char name[64];

		if (!have[i] || (r->hp.have[i] && r->hp.globals[i] == vals[i])) {
			r->hp.have[i] = have[i];
			continue;
		}
		r->hp.have[i] = true;
		r->hp.globals[i] = vals[i];
		snprintf(name, sizeof(name), "%s=%u %s", cvm_hp_names[i],
			 vals[i], how);
		ret = setting_row(r, now, r->host_seq, r->host_phase, NULL, 0,
				  vals[i], name);
	}
	return ret;
}

int cvm_rec_setting(struct cvm_recorder *r, int param, uint32_t value)
{
	char name[64];

	r->hp.have[param] = true;
	r->hp.globals[param] = value;
	snprintf(name, sizeof(name), "%s=%u by cvmstat", cvm_hp_names[param],
		 value);
	return setting_row(r, cvm_now_ns(), r->host_seq, r->host_phase, NULL,
			   0, value, name);
}

/* The changes the module logged since the last call, kept until written. */
static int hp_fetch(struct cvm_recorder *r)
{
	struct cvmstat_hp_event evs[CVMSTAT_HP_EVENT_RING], *p;
	uint64_t last;
	uint32_t lost;
	int n;

	if (!r->src.list_hp_events)
		return 0;
	do {
		n = r->src.list_hp_events(r->src.ctx, r->hp.listed, evs, &last,
					  &lost);
		if (n < 0) {
			cvm_err("listing halt-polling changes: %s", strerror(-n));
			return -cvm_errno_exit(-n);
		}
		if (lost) {
			r->hp.lost += lost;
			cvm_err("warning: %u halt-polling changes came faster than they could be read and are lost",
				lost);
		}
		if (n) {
			p = realloc(r->hp.pending,
				    (r->hp.nr_pending + n) * sizeof(*p));
			if (!p) {
				cvm_err("out of memory");
				return -EXIT_SYSTEM;
			}
			memcpy(p + r->hp.nr_pending, evs, n * sizeof(*p));
			r->hp.pending = p;
			r->hp.nr_pending += n;
			r->hp.listed = evs[n - 1].seq;
		} else {
			r->hp.listed = last;
		}
	} while (r->hp.listed < last);
	return 0;
}

static int hp_event_row(struct cvm_recorder *r,
			const struct cvmstat_hp_event *e)
{
	struct cvm_rec_vm *v = find_vm(r, e->vm_id);
	char name[96], val[24];
	uint64_t key = e->new;

	if (!v)
		return 0;	/* a VM this recording leaves out */
	if (e->type == CVMSTAT_HPE_GUEST) {
		snprintf(name, sizeof(name), "guest_poll_control=%llu by guest",
			 (unsigned long long)e->new);
	} else if (e->type == CVMSTAT_HPE_VM_MAX) {
		if (e->new == CVMSTAT_HP_GLOBAL)
			key = HP_KEY_GLOBAL;
		snprintf(val, sizeof(val), "%llu", (unsigned long long)e->new);
		snprintf(name, sizeof(name), "vm_halt_poll_ns=%s by %s",
			 e->new == CVMSTAT_HP_GLOBAL ? "global" : val,
			 e->source == CVMSTAT_HP_SRC_CVMSTAT ? "cvmstat" : "vmm");
	} else {
		return 0;
	}
	return setting_row(r, e->time_ns, v->phase_seq, v->phase, v,
			   e->vcpu_id, key, name);
}

/* Writes the logged changes made before @before; keeps the rest. */
static int hp_flush(struct cvm_recorder *r, uint64_t before)
{
	uint32_t i, k = 0;
	int ret = 0;

	for (i = 0; i < r->hp.nr_pending; i++) {
		if (r->hp.pending[i].time_ns >= before)
			r->hp.pending[k++] = r->hp.pending[i];
		else if (!ret)
			ret = hp_event_row(r, &r->hp.pending[i]);
	}
	r->hp.nr_pending = k;
	return ret;
}

/*
 * A host mark some VMs could not be read exactly at: one mark_inexact row
 * per such VM, after the host's mark row, so that one VM's trouble (a guest
 * marking faster than it can be read) says nothing of the others.
 */
static int inexact_rows(struct cvm_recorder *r, const struct cvmstat_phase *m,
			const char *name)
{
	int i, ret;

	for (i = 0; i < r->nr_vms; i++) {
		if (!r->vms[i].stale)
			continue;
		r->vms[i].stale = false;
		ret = out_row(r, &(struct cvm_row){
			.time_ns = m->time_ns,
			.phase_seq = m->seq,
			.phase = name,
			.vm_id = r->vms[i].vm_id,
			.pid = r->vms[i].pid,
			.vcpu = 0,
			.kind = "mark_inexact",
			.key = m->seq,
			.dir = "-",
			.name = "host",
			.count = 1,
		});
		if (ret)
			return ret;
	}
	return 0;
}

/* One mark: close the phase of every VM it concerns, then a mark row. */
static int handle_mark(struct cvm_recorder *r, const struct cvmstat_phase *m)
{
	bool host = m->source != CVMSTAT_PHASE_GUEST;
	struct cvm_rec_vm *marker = NULL;
	char name[CVM_PHASE_NAME_MAX];
	bool exact = true;
	int i, ret;

	phase_name(m, name);
	for (i = 0; i < r->nr_vms; i++) {
		struct cvm_rec_vm *v = &r->vms[i];
		struct cvm_vm_read rd;

		if (!host && v->vm_id != m->vm_id)
			continue;
		if (!host)
			marker = v;
		ret = r->src.read_vm(r->src.ctx, v->vm_id, m->seq, &rd);
		if (ret == -ESTALE) {
			/* A later mark overwrote this one's boundary. */
			exact = false;
			v->stale = true;
		} else if (ret == -ENOENT) {
			/* Forgotten (reset, retention limit): next sync. */
		} else if (ret) {
			return read_error(v->vm_id, ret);
		} else {
			ret = emit_deltas(r, v, &rd.recs, rd.nr, m->time_ns,
					  &v->prev, &v->n_prev);
			cvm_vm_read_free(&rd);
			if (ret)
				return ret;
		}
		if (ret != -ENOENT) {
			ret = mark_lat(r, v);
			if (ret)
				return ret;
		}
		set_phase(v, m->seq, name);
	}
	if (host) {
		r->host_seq = m->seq;
		snprintf(r->host_phase, sizeof(r->host_phase), "%s", name);
	} else if (!marker) {
		return 0;	/* a VM this recording leaves out */
	}
	if (!exact) {
		r->inexact++;
		cvm_err("warning: mark %llu (%s) came too soon after the previous one to be read exactly; counts around it go to the phase after it",
			(unsigned long long)m->seq, name);
	}
	ret = out_row(r, &(struct cvm_row){
		.time_ns = m->time_ns,
		.phase_seq = m->seq,
		.phase = name,
		.vm_id = host ? 0 : m->vm_id,
		.pid = host ? 0 : marker->pid,
		.vcpu = host ? 0 : m->vcpu_id,
		.kind = exact || host ? "mark" : "mark_inexact",
		.key = m->seq,
		.dir = "-",
		.name = host ? "host" : "guest",
		.count = 1,
	});
	if (ret || exact || !host)
		return ret;
	return inexact_rows(r, m, name);
}

/* The newest mark: whether any came since @r->listed. */
static int newest_mark(struct cvm_recorder *r, uint64_t *last)
{
	struct cvmstat_phase marks[CVMSTAT_PHASE_RING];
	uint32_t lost;
	int n = r->src.list_marks(r->src.ctx, r->listed, marks, last, &lost);

	if (n < 0) {
		cvm_err("listing phase marks: %s", strerror(-n));
		return -cvm_errno_exit(-n);
	}
	return 0;
}

int cvm_rec_marks(struct cvm_recorder *r)
{
	struct cvmstat_phase marks[CVMSTAT_PHASE_RING];
	bool synced = false;
	uint64_t last;
	uint32_t lost;
	int i, n, ret;

	ret = hp_fetch(r);
	if (ret)
		return ret;
	do {
		n = r->src.list_marks(r->src.ctx, r->listed, marks, &last,
				      &lost);
		if (n < 0) {
			cvm_err("listing phase marks: %s", strerror(-n));
			return -cvm_errno_exit(-n);
		}
		if (last <= r->listed)
			return 0;
		if (lost) {
			r->lost += lost;
			cvm_err("warning: %u phase marks were made faster than they could be read and are lost",
				lost);
		}
		if (!synced) {
			ret = sync_vms(r);
			if (ret)
				return ret;
			synced = true;
		}
		for (i = 0; i < n; i++) {
			ret = hp_flush(r, marks[i].time_ns);
			if (!ret)
				ret = handle_mark(r, &marks[i]);
			if (ret)
				return ret;
			r->listed = marks[i].seq;
		}
		if (!n)
			r->listed = last;
	} while (r->listed < last);
	return 0;
}

static void free_reads(struct cvm_vm_read *rd, int n)
{
	int i;

	for (i = 0; i < n; i++)
		cvm_vm_read_free(&rd[i]);
	free(rd);
}

/*
 * Every recorded VM read live, into @rds (one per VM, in order; a VM
 * forgotten meanwhile reads empty, vm_id 0).  *@quiet: no mark was made
 * while they were read, so the reads all lie inside the current phases.
 */
static int read_all(struct cvm_recorder *r, struct cvm_vm_read **rds,
		    bool times, bool *quiet)
{
	struct cvm_vm_read *rd;
	uint64_t last;
	int i, ret;

	rd = calloc(r->nr_vms ? r->nr_vms : 1, sizeof(*rd));
	if (!rd) {
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	for (i = 0; i < r->nr_vms; i++) {
		ret = read_live_vm(r, r->vms[i].vm_id, &rd[i], times);
		if (ret && ret != -ENOENT) {
			ret = read_error(r->vms[i].vm_id, ret);
			goto fail;
		}
	}
	ret = newest_mark(r, &last);
	if (ret)
		goto fail;
	*quiet = last <= r->listed;
	*rds = rd;
	return 0;
fail:
	free_reads(rd, r->nr_vms);
	return ret;
}

/* Live reads, taken again (after handling the marks) while marks come. */
static int read_live(struct cvm_recorder *r, struct cvm_vm_read **rds,
		     bool times)
{
	bool quiet = false;
	int tries, ret;

	for (tries = 0; !quiet && tries <= LIVE_TRIES; tries++) {
		if (tries)
			free_reads(*rds, r->nr_vms);
		ret = cvm_rec_marks(r);
		if (!ret)
			ret = sync_vms(r);
		if (!ret)
			ret = read_all(r, rds, times, &quiet);
		if (ret)
			return ret;
	}
	if (!quiet)
		cvm_err("warning: phase marks keep coming while reading; some counts may go to the phase after them");
	return 0;
}

int cvm_rec_start(struct cvm_recorder *r)
{
	struct cvmstat_phase marks[CVMSTAT_PHASE_RING];
	struct cvm_vm_read *rd;
	bool quiet = false;
	uint64_t last;
	uint32_t lost;
	int i, k, n, ret, tries;

	/*
	 * The phase in effect and the baseline must belong together: when a
	 * mark comes while the baseline is read, start over.
	 */
	for (tries = 0; !quiet; tries++) {
		if (tries) {
			free_reads(rd, r->nr_vms);
			cvm_rec_free(r);
		}
		r->host_seq = 0;
		snprintf(r->host_phase, sizeof(r->host_phase), "-");
		n = r->src.list_marks(r->src.ctx, 0, marks, &last, &lost);
		if (n < 0) {
			cvm_err("listing phase marks: %s", strerror(-n));
			return -cvm_errno_exit(-n);
		}
		/* The phase in effect: the newest host mark held. */
		for (i = 0; i < n; i++) {
			if (marks[i].source != CVMSTAT_PHASE_GUEST) {
				r->host_seq = marks[i].seq;
				phase_name(&marks[i], r->host_phase);
			}
		}
		r->listed = last;
		ret = sync_vms(r);
		/* the times' baseline too */
		if (!ret)
			ret = read_all(r, &rd, r->src.read_lat != NULL,
				       &quiet);
		if (ret)
			return ret;
		if (!quiet && tries == LIVE_TRIES)
			cvm_err("warning: phase marks keep coming; starting anyway");
		quiet |= tries == LIVE_TRIES;
	}
	/* A VM's own newer guest mark rules it; the baseline is not written. */
	for (k = 0; k < r->nr_vms; k++) {
		struct cvm_rec_vm *v = &r->vms[k];

		for (i = 0; i < n; i++) {
			if (marks[i].source == CVMSTAT_PHASE_GUEST &&
			    marks[i].vm_id == v->vm_id &&
			    marks[i].seq > v->phase_seq) {
				char name[CVM_PHASE_NAME_MAX];

				phase_name(&marks[i], name);
				set_phase(v, marks[i].seq, name);
			}
		}
		free(v->lat_prev);
		v->lat_prev = NULL;
		v->n_lat_prev = 0;
		if (r->src.read_lat &&
		    take_lat(&rd[k], &v->lat_prev, &v->n_lat_prev)) {
			free_reads(rd, r->nr_vms);
			return -EXIT_SYSTEM;
		}
		cvm_snap_sort(v->lat_prev, v->n_lat_prev);
		cvm_snap_sort(rd[k].recs, rd[k].nr);
		free(v->prev);
		v->prev = rd[k].recs;
		v->n_prev = rd[k].nr;
		rd[k].recs = NULL;
	}
	free_reads(rd, r->nr_vms);
	/* settings: as they are now; only changes from now on are listed */
	if (r->src.list_hp_events) {
		struct cvmstat_hp_event evs[CVMSTAT_HP_EVENT_RING];

		n = r->src.list_hp_events(r->src.ctx, 0, evs, &last, &lost);
		if (n < 0) {
			cvm_err("listing halt-polling changes: %s", strerror(-n));
			return -cvm_errno_exit(-n);
		}
		r->hp.listed = last;
	}
	return hp_globals(r, "at start");
}

/* One interval's rows; with the times' deltas when @times (the end). */
static int interval(struct cvm_recorder *r, bool times)
{
	struct cvm_vm_read *rd;
	int i, ret = 0;

	times = times && r->src.read_lat != NULL;
	ret = read_live(r, &rd, times);
	if (!ret)
		ret = hp_flush(r, UINT64_MAX);
	if (!ret)
		ret = hp_globals(r, "by sysfs");
	if (ret) {
		free_reads(rd, r->nr_vms);
		return ret;
	}
	for (i = 0; i < r->nr_vms && !ret; i++)
		if (rd[i].vm_id)
			ret = emit_live(r, &r->vms[i], &rd[i], times);
	free_reads(rd, r->nr_vms);
	if (ret)
		return ret;
	ret = cvm_out_flush(r->out);
	if (ret) {
		if (!r->err)
			r->err = ret;
		return -EXIT_SYSTEM;
	}
	return 0;
}

void cvm_rec_free(struct cvm_recorder *r)
{
	int i;

	for (i = 0; i < r->nr_vms; i++)
		free_vm(&r->vms[i]);
	free(r->vms);
	r->vms = NULL;
	r->nr_vms = 0;
	free(r->hp.pending);
	r->hp.pending = NULL;
	r->hp.nr_pending = 0;
}

int cvm_rec_interval(struct cvm_recorder *r)
{
	return interval(r, false);
}

int cvm_rec_finish(struct cvm_recorder *r)
{
	return interval(r, true);
}

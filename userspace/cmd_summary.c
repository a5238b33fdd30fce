// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat summary: a recording's exit-handling times (`record --latency`)
 * per phase and reason: count, mean, p50, p95, p99, max in us, with the
 * percentiles of userspace/latency.c.  Reads the CSV with libcsv's parser.
 *
 * The histogram rows of a phase are summed over VMs and vCPUs.  Its min and
 * max are those of its lat_min and lat_max rows (the extremes reached in
 * it) where a vCPU has them, else that vCPU's outer buckets' bounds: per
 * series (VM, vCPU, reason, where), then the phase's extremes over them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>

#include "commands.h"
#include "dev.h"
#include "fields.h"
#include "latency.h"

/* The columns read, by name (cvmstat(8), OUTPUT). */
enum { C_PHASE_SEQ, C_PHASE, C_VM, C_VCPU, C_KIND, C_KEY, C_DIR, C_NAME,
       C_COUNT, C_LO, C_NR };
static const char *const col_names[C_NR] = {
	"phase_seq", "phase", "vm_id", "vcpu", "kind", "key", "dir", "name",
	"count", "lo_ns",
};

/*
 * Items found by hash: an array that grows by doubling, and open addressing
 * over it.  An item's first member is its hash.
 */
struct table {
	char *items;		/* @nr of @size bytes, room for @cap */
	size_t size;
	int nr, cap;
	int *slot;		/* item + 1, 0: free; @mask + 1 of them */
	unsigned int mask;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	while (*s)
		h = mix(h, (unsigned char)*s++);
	return h;
}

static void *item(const struct table *t, int i)
{
	return t->items + (size_t)i * t->size;
}

static bool table_grow(struct table *t)
{
	unsigned int mask = t->mask ? t->mask * 2 + 1 : 63;
	int *slot = calloc(mask + 1, sizeof(*slot));
	int i;

	if (!slot)
		return false;
	for (i = 0; i < t->nr; i++) {
		unsigned int k = *(uint64_t *)item(t, i) & mask;

		while (slot[k])
			k = (k + 1) & mask;
		slot[k] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->mask = mask;
	return true;
}

/*
 * The item hashed @hash for which @same(item, @ctx) holds; else a new one,
 * zeroed but for its hash (*@added).  NULL: out of memory.
 */
static void *table_find(struct table *t, uint64_t hash,
			bool (*same)(const void *item, const void *ctx),
			const void *ctx, bool *added)
{
	unsigned int k;
	void *it;

	*added = false;
	if ((unsigned int)(t->nr + 1) * 2 > t->mask + 1 && !table_grow(t))
		return NULL;
	for (k = hash & t->mask; t->slot[k]; k = (k + 1) & t->mask) {
		it = item(t, t->slot[k] - 1);
		if (*(uint64_t *)it == hash && same(it, ctx))
			return it;
	}
	if (t->nr == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		char *items = realloc(t->items, (size_t)cap * t->size);

		if (!items)
			return NULL;
		t->items = items;
		t->cap = cap;
	}
	t->slot[k] = ++t->nr;
	it = item(t, t->nr - 1);
	memset(it, 0, t->size);
	*(uint64_t *)it = hash;
	*added = true;
	return it;
}

static void table_free(struct table *t)
{
	free(t->items);
	free(t->slot);
}

/* One phase's times of one reason and where (dir 0: both). */
struct agg {
	uint64_t hash;
	uint64_t phase_seq;
	char *phase;
	struct cvm_lat_stat s;
};

/* One VM's vCPU's series in a phase: what bounds its min and max. */
struct series {
	uint64_t hash;
	uint64_t phase_seq, vm_id, key;
	uint32_t vcpu;
	uint8_t dir;
	const char *phase;	/* its agg's */
	bool have_min, have_max;	/* lat_min, lat_max rows */
	uint64_t min, max;
	int lo_b, hi_b;		/* its lowest and highest bucket, -1: none */
};

struct summary {
	long vcpu;		/* --vcpu, -1: all */
	uint64_t vm_id;		/* --vm-id, 0: all */
	int col[C_NR];		/* field index of each column, -1: none */
	char *field[C_NR];	/* this row's */
	int nfield;
	uint64_t line;		/* rows read, the header included */
	int err;		/* the first bad row's exit code */
	struct table aggs;	/* struct agg */
	struct table series;	/* struct series */
};

static int bad(struct summary *s, const char *what)
{
	if (!s->err) {
		cvm_err("row %llu: %s", (unsigned long long)s->line, what);
		s->err = EXIT_SYSTEM;
	}
	return -1;
}

static bool same_agg(const void *item, const void *ctx)
{
	const struct agg *a = item, *b = ctx;

	return a->phase_seq == b->phase_seq && a->s.key == b->s.key &&
	       a->s.dir == b->s.dir && !strcmp(a->phase, b->phase);
}

static struct agg *find_agg(struct summary *s, uint64_t seq, const char *phase,
			    uint64_t key, uint8_t dir, const char *name)
{
	struct agg want = { .phase_seq = seq, .phase = (char *)phase,
			    .s = { .key = key, .dir = dir } };
	uint64_t h = hash_str(mix(mix(mix(0, seq), key), dir), phase);
	struct agg *a;
	bool added;

	a = table_find(&s->aggs, h, same_agg, &want, &added);
	if (!a || !added)
		return a;
	a->phase_seq = seq;
	a->phase = strdup(phase);
	a->s.key = key;
	a->s.dir = dir;
	snprintf(a->s.name, sizeof(a->s.name), "%s", name);
	return a->phase ? a : NULL;
}

static bool same_series(const void *item, const void *ctx)
{
	const struct series *a = item, *b = ctx;

	return a->phase_seq == b->phase_seq && a->vm_id == b->vm_id &&
	       a->vcpu == b->vcpu && a->key == b->key && a->dir == b->dir &&
	       !strcmp(a->phase, b->phase);
}

static struct series *find_series(struct summary *s, uint64_t seq,
				  const char *phase, uint64_t vm_id,
				  uint32_t vcpu, uint64_t key, uint8_t dir)
{
	struct series want = { .phase_seq = seq, .phase = phase,
			       .vm_id = vm_id, .vcpu = vcpu, .key = key,
			       .dir = dir };
	uint64_t h = hash_str(mix(mix(mix(mix(mix(0, seq), vm_id), vcpu), key),
				  dir), phase);
	struct series *t;
	bool added;

	t = table_find(&s->series, h, same_series, &want, &added);
	if (t && added) {
		*t = want;
		t->hash = h;
		t->lo_b = t->hi_b = -1;
	}
	return t;
}

/* A decimal field (cvm_parse_uint(): an unsigned long is 64 bits here). */
static bool num(const char *f, uint64_t *v)
{
	unsigned long u;

	if (!cvm_parse_uint(f, 0, ULONG_MAX, &u))
		return false;
	*v = u;
	return true;
}

/* One lat_* row into its phase's aggregate and its series. */
static int add_row(struct summary *s)
{
	char **f = s->field;
	uint64_t seq, vm_id, vcpu, key, count, lo = 0;
	struct cvmstat_record r = { 0 };
	struct series *t;
	struct agg *a;
	uint8_t dir;

	if (strncmp(f[C_KIND], "lat_", 4) || !strcmp(f[C_KIND], "lat_lost"))
		return 0;
	if (!num(f[C_PHASE_SEQ], &seq) || !num(f[C_VM], &vm_id) ||
	    !num(f[C_VCPU], &vcpu) || vcpu > UINT32_MAX ||
	    !num(f[C_KEY], &key) || !num(f[C_COUNT], &count) ||
	    !num(f[C_LO], &lo))
		return bad(s, "not a number where one belongs");
	if ((s->vm_id && vm_id != s->vm_id) ||
	    (s->vcpu >= 0 && vcpu != (uint64_t)s->vcpu))
		return 0;
	if (!strcmp(f[C_DIR], "kernel"))
		dir = CVMSTAT_LAT_KERNEL;
	else if (!strcmp(f[C_DIR], "user"))
		dir = CVMSTAT_LAT_USER;
	else
		return bad(s, "a lat_* row's dir is neither kernel nor user");
	if (!strcmp(f[C_KIND], "lat_count"))
		r.kind = CVMSTAT_KIND_LAT_COUNT;
	else if (!strcmp(f[C_KIND], "lat_sum"))
		r.kind = CVMSTAT_KIND_LAT_SUM;
	else if (!strcmp(f[C_KIND], "lat_min"))
		r.kind = CVMSTAT_KIND_LAT_MIN;
	else if (!strcmp(f[C_KIND], "lat_max"))
		r.kind = CVMSTAT_KIND_LAT_MAX;
	else if (!strcmp(f[C_KIND], "lat_bucket"))
		r.kind = CVMSTAT_KIND_LAT_BUCKET;
	else
		return 0;
	r.count = count;
	if (r.kind == CVMSTAT_KIND_LAT_BUCKET) {
		unsigned int b = cvm_lat_bucket_of(lo);

		if (cvm_lat_lo(b) != lo)
			return bad(s, "lo_ns is not a bucket's lower bound");
		r.key = CVMSTAT_LAT_BUCKET_KEY(b);
	}
	a = find_agg(s, seq, f[C_PHASE], key, dir, f[C_NAME]);
	t = a ? find_series(s, seq, a->phase, vm_id, vcpu, key, dir) : NULL;
	if (!t) {
		cvm_err("out of memory");
		s->err = EXIT_SYSTEM;
		return -1;
	}
	if (r.kind == CVMSTAT_KIND_LAT_MIN) {
		if (!t->have_min || count < t->min)
			t->min = count;
		t->have_min = true;
	} else if (r.kind == CVMSTAT_KIND_LAT_MAX) {
		if (!t->have_max || count > t->max)
			t->max = count;
		t->have_max = true;
	} else {
		cvm_lat_add_record(&a->s, &r);
	}
	if (r.kind == CVMSTAT_KIND_LAT_BUCKET && count) {
		int b = (int)CVMSTAT_LAT_BUCKET_OF(r.key);

		if (t->lo_b < 0 || b < t->lo_b)
			t->lo_b = b;
		if (b > t->hi_b)
			t->hi_b = b;
	}
	return 0;
}

static void on_field(void *p, size_t len, void *data)
{
	struct summary *s = data;
	int i;

	for (i = 0; i < C_NR; i++) {
		if (!s->line) {
			/* the header: which field is which column */
			if (strlen(col_names[i]) == len &&
			    !memcmp(p, col_names[i], len))
				s->col[i] = s->nfield;
		} else if (s->col[i] == s->nfield) {
			free(s->field[i]);
			s->field[i] = strndup(p ? p : "", len);
		}
	}
	s->nfield++;
}

static void on_row(int c, void *data)
{
	struct summary *s = data;
	int i;

	(void)c;
	s->line++;
	for (i = 0; i < C_NR && !s->err; i++) {
		if (s->line == 1 && s->col[i] < 0)
			bad(s, i == C_LO ? "no lo_ns column: not recorded with --latency" :
			    "not a recording's header");
		else if (s->line > 1 && !s->field[i])
			bad(s, "too few fields");
	}
	if (s->line > 1 && !s->err)
		add_row(s);
	for (i = 0; i < C_NR; i++) {
		free(s->field[i]);
		s->field[i] = NULL;
	}
	s->nfield = 0;
}

static int read_csv(struct summary *s, FILE *f, const char *path)
{
	struct csv_parser p;
	char buf[65536];
	size_t n;
	int ret = 0;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI)) {
		cvm_err("out of memory");
		return EXIT_SYSTEM;
	}
	while (!s->err && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (csv_parse(&p, buf, n, on_field, on_row, s) != n)
			break;
	if (ferror(f)) {
		cvm_err("reading %s: %s", path, strerror(errno));
		ret = EXIT_SYSTEM;
	} else if (!s->err && (csv_error(&p) != CSV_SUCCESS ||
			       csv_fini(&p, on_field, on_row, s))) {
		cvm_err("%s: not CSV: %s", path, csv_strerror(csv_error(&p)));
		ret = EXIT_SYSTEM;
	} else if (!s->err && !s->line) {
		cvm_err("%s: empty", path);
		ret = EXIT_SYSTEM;
	}
	csv_free(&p);
	return ret ? ret : s->err;
}

/* Phases by sequence, then name. */
static int by_phase(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;

	if (a->phase_seq != b->phase_seq)
		return a->phase_seq < b->phase_seq ? -1 : 1;
	return strcmp(a->phase, b->phase);
}

/*
 * Each phase's extremes from its series, its "all" rows, and the phases in
 * order: the aggs sorted by phase.  0, or -1 when out of memory.
 */
static int finish(struct summary *s)
{
	int i, n = s->aggs.nr;

	for (i = 0; i < s->series.nr; i++) {
		struct series *t = item(&s->series, i);
		struct agg *a = find_agg(s, t->phase_seq, t->phase, t->key,
					 t->dir, "");
		struct cvm_lat_stat b = {
			.have_min = t->have_min, .min = t->min,
			.have_max = t->have_max, .max = t->max,
		};

		if (!a)
			return -1;
		if (t->lo_b >= 0) {
			/* the extremes not recorded: the outer buckets' */
			b.hist[t->lo_b] = b.hist[t->hi_b] = 1;
			cvm_lat_bound(&b);
			memset(b.hist, 0, sizeof(b.hist));
		}
		cvm_lat_merge(&a->s, &b);
	}
	for (i = 0; i < n; i++) {
		struct agg *a = item(&s->aggs, i);
		struct agg *all = find_agg(s, a->phase_seq, a->phase, a->s.key,
					   0, a->s.name);

		if (!all)
			return -1;
		a = item(&s->aggs, i);	/* find_agg() may have moved it */
		cvm_lat_merge(&all->s, &a->s);
	}
	qsort(s->aggs.items, s->aggs.nr, s->aggs.size, by_phase);
	return 0;
}

/* Per phase, its reasons by total time (as show --latency), as @format. */
static int print(struct summary *s, FILE *out, enum cvm_view_format format)
{
	struct cvm_view v = { .f = out, .format = format };
	struct cvm_lat_stat *st;
	int i, j, k;

	for (i = 0; i < s->aggs.nr; i = j) {
		struct agg *first = item(&s->aggs, i);

		for (j = i; j < s->aggs.nr && !by_phase(first, item(&s->aggs, j)); j++)
			;
		st = malloc((j - i) * sizeof(*st));
		if (!st)
			return -1;
		for (k = i; k < j; k++)
			st[k - i] = ((struct agg *)item(&s->aggs, k))->s;
		cvm_lat_sort(st, j - i);
		if (format == CVM_VIEW_TEXT)
			fprintf(out, "%sphase %s (seq %llu)\n", i ? "\n" : "",
				first->phase,
				(unsigned long long)first->phase_seq);
		cvm_lat_rows(&v, st, j - i, true,
			     format == CVM_VIEW_TEXT || (!i && format == CVM_VIEW_CSV),
			     first->phase_seq, first->phase);
		free(st);
	}
	return 0;
}

int cvm_summary(FILE *in, const char *path, uint64_t vm_id, long vcpu,
		FILE *out, int format)
{
	struct summary s = {
		.vcpu = vcpu, .vm_id = vm_id,
		.aggs = { .size = sizeof(struct agg) },
		.series = { .size = sizeof(struct series) },
	};
	int i, ret;

	for (i = 0; i < C_NR; i++)
		s.col[i] = -1;
	ret = read_csv(&s, in, path);
	if (!ret && !s.aggs.nr && format == CVM_VIEW_TEXT)
		fprintf(out, "(no exit-handling times in %s)\n", path);
	if (!ret && (finish(&s) || print(&s, out, format))) {
		cvm_err("out of memory");
		ret = EXIT_SYSTEM;
	}
	for (i = 0; i < C_NR; i++)
		free(s.field[i]);
	for (i = 0; i < s.aggs.nr; i++)
		free(((struct agg *)item(&s.aggs, i))->phase);
	table_free(&s.aggs);
	table_free(&s.series);
	return ret;
}

static int summary_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "vm-id", required_argument, NULL, 'm' },
		{ "vcpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cvm_view_format format = CVM_VIEW_TEXT;
	uint64_t vm_id = 0;
	long vcpu = -1;
	unsigned long v;
	const char *path;
	int opt, ret;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			ret = cvm_opt_format(optarg, &format);
			if (ret)
				return ret;
			break;
		case 'm':
			if (!cvm_parse_uint(optarg, 1, ULONG_MAX, &v))
				return cvm_usage_error("invalid VM id `%s'", optarg);
			vm_id = v;
			break;
		case 'c':
			if (!cvm_parse_uint(optarg, 0, UINT32_MAX, &v))
				return cvm_usage_error("invalid vCPU `%s'", optarg);
			vcpu = (long)v;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_summary, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind == argc)
		return cvm_usage_error("no recording (FILE, or - for standard input)");
	if (optind + 1 < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind + 1]);
	path = argv[optind];
	f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	if (!f) {
		cvm_err("cannot open %s: %s", path, strerror(errno));
		return EXIT_SYSTEM;
	}
	ret = cvm_summary(f, strcmp(path, "-") ? path : "standard input", vm_id,
			  vcpu, stdout, format);
	if (f != stdin)
		fclose(f);
	return ret;
}

const struct cvm_command cvm_cmd_summary = {
	.name = "summary",
	.main = summary_main,
	.summary = "exit-handling time percentiles per phase from a recording",
	.usage =
	"Usage: cvmstat summary [--format text|csv|json] [--vm-id ID] [--vcpu N] FILE\n"
	"\n"
	"Reads a recording made with `cvmstat record --latency` (CSV; - for\n"
	"standard input) and prints, per phase and exit reason, the exits timed,\n"
	"the mean, p50, p95, p99 and max exit-handling time in us: for the reason\n"
	"(all) and split by in the kernel and via userspace, summed over VMs and\n"
	"vCPUs.  Percentiles are interpolated inside the histogram's buckets (at\n"
	"most 1/32 off), as `cvmstat show --latency` does.  Max is exact where\n"
	"the phase has lat_max rows, else its highest bucket's upper bound.\n"
	"\n"
	"  -f, --format F  text (default); csv or json: one row per phase, reason\n"
	"                  and where (cvmstat(8), OUTPUT)\n"
	"  --vm-id ID      only the VM with this vm_id\n"
	"  --vcpu N        only vCPU N\n"
	"  -h, --help      this help\n",
};

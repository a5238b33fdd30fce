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

/* One phase's times of one reason and where (dir 0: both). */
struct agg {
	uint64_t phase_seq;
	char *phase;
	struct cvm_lat_stat s;
};

/* One VM's vCPU's series: what bounds its min and max. */
struct series {
	uint64_t phase_seq, vm_id, key;
	uint32_t vcpu;
	uint8_t dir;
	const char *phase;	/* an agg's */
	struct cvm_lat_stat b;	/* min, max, and two buckets: the outer ones */
	int lo_b, hi_b;
};

struct summary {
	long vcpu;		/* --vcpu, -1: all */
	uint64_t vm_id;		/* --vm-id, 0: all */
	int col[C_NR];		/* field index of each column, -1: none */
	char *field[C_NR];	/* this row's */
	int nfield;
	uint64_t line;		/* rows read, the header included */
	int err;		/* the first bad row's exit code */
	struct agg *aggs;
	int nr_aggs;
	struct series *series;
	int nr_series;
	int last;		/* the series found last */
};

static int bad(struct summary *s, const char *what)
{
	if (!s->err) {
		cvm_err("row %llu: %s", (unsigned long long)s->line, what);
		s->err = EXIT_SYSTEM;
	}
	return -1;
}

static struct agg *find_agg(struct summary *s, uint64_t seq, const char *phase,
			    uint64_t key, uint8_t dir, const char *name)
{
	struct agg *a;
	int i;

	for (i = s->nr_aggs - 1; i >= 0; i--) {
		a = &s->aggs[i];
		if (a->phase_seq == seq && a->s.key == key && a->s.dir == dir &&
		    !strcmp(a->phase, phase))
			return a;
	}
	a = realloc(s->aggs, (s->nr_aggs + 1) * sizeof(*a));
	if (!a)
		return NULL;
	s->aggs = a;
	a = &a[s->nr_aggs++];
	memset(a, 0, sizeof(*a));
	a->phase_seq = seq;
	a->phase = strdup(phase);
	a->s.key = key;
	a->s.dir = dir;
	snprintf(a->s.name, sizeof(a->s.name), "%s", name);
	return a->phase ? a : NULL;
}

static struct series *find_series(struct summary *s, uint64_t seq,
				  const char *phase, uint64_t vm_id,
				  uint32_t vcpu, uint64_t key, uint8_t dir)
{
	struct series *t;
	int i, k;

	for (k = 0; k < s->nr_series; k++) {
		i = (s->last + k) % s->nr_series;
		t = &s->series[i];
		if (t->phase_seq == seq && t->vm_id == vm_id &&
		    t->vcpu == vcpu && t->key == key && t->dir == dir &&
		    !strcmp(t->phase, phase)) {
			s->last = i;
			return t;
		}
	}
	t = realloc(s->series, (s->nr_series + 1) * sizeof(*t));
	if (!t)
		return NULL;
	s->series = t;
	s->last = s->nr_series;
	t = &t[s->nr_series++];
	memset(t, 0, sizeof(*t));
	t->phase_seq = seq;
	t->phase = phase;
	t->vm_id = vm_id;
	t->vcpu = vcpu;
	t->key = key;
	t->dir = dir;
	t->lo_b = -1;
	return t;
}

static bool num(const char *f, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(f, &end, 10);
	return *f >= '0' && *f <= '9' && !*end && !errno;
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
	if (r.kind != CVMSTAT_KIND_LAT_MIN && r.kind != CVMSTAT_KIND_LAT_MAX)
		cvm_lat_add_record(&a->s, &r);
	if (r.kind == CVMSTAT_KIND_LAT_BUCKET && count) {
		unsigned int b = CVMSTAT_LAT_BUCKET_OF(r.key);

		if (t->lo_b < 0 || (int)b < t->lo_b)
			t->lo_b = b;
		if ((int)b > t->hi_b)
			t->hi_b = b;
	} else if (r.kind == CVMSTAT_KIND_LAT_MIN ||
		   r.kind == CVMSTAT_KIND_LAT_MAX) {
		cvm_lat_add_record(&t->b, &r);
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

/* Phases by sequence, then name; in a phase reasons by time (latency.c). */
static int by_phase(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;

	if (a->phase_seq != b->phase_seq)
		return a->phase_seq < b->phase_seq ? -1 : 1;
	return strcmp(a->phase, b->phase);
}

/* Each phase's min and max from its series; the "all" rows; sorted. */
static int finish(struct summary *s)
{
	int i, j, n = s->nr_aggs;

	for (i = 0; i < s->nr_series; i++) {
		struct series *t = &s->series[i];
		struct agg *a = find_agg(s, t->phase_seq, t->phase, t->key,
					 t->dir, "");

		if (!a)
			return -1;
		if (t->lo_b >= 0) {
			/* the outer buckets, for the extremes not recorded */
			t->b.hist[t->lo_b] = t->b.hist[t->hi_b] = 1;
			cvm_lat_bound(&t->b);
		}
		t->b.count = 0;
		memset(t->b.hist, 0, sizeof(t->b.hist));
		cvm_lat_merge(&a->s, &t->b);
	}
	for (i = 0; i < n; i++) {
		struct agg *a = &s->aggs[i];
		struct agg *all = find_agg(s, a->phase_seq, a->phase, a->s.key,
					   0, a->s.name);

		if (!all)
			return -1;
		a = &s->aggs[i];	/* find_agg() may have moved it */
		cvm_lat_merge(&all->s, &a->s);
	}
	qsort(s->aggs, s->nr_aggs, sizeof(*s->aggs), by_phase);
	for (i = 0; i < s->nr_aggs; i = j) {
		for (j = i; j < s->nr_aggs && !by_phase(&s->aggs[i], &s->aggs[j]); j++)
			;
		/* one phase's: sort its stats as show --latency does */
		{
			struct cvm_lat_stat *st = calloc(j - i, sizeof(*st));
			int k;

			if (!st)
				return -1;
			for (k = i; k < j; k++)
				st[k - i] = s->aggs[k].s;
			cvm_lat_sort(st, j - i);
			for (k = i; k < j; k++)
				s->aggs[k].s = st[k - i];
			free(st);
		}
	}
	return 0;
}

static void print(struct summary *s, enum cvm_view_format format)
{
	struct cvm_view v = { .f = stdout, .format = format };
	struct cvm_lat_stat *st;
	int i, j, k;

	for (i = 0; i < s->nr_aggs; i = j) {
		for (j = i; j < s->nr_aggs && !by_phase(&s->aggs[i], &s->aggs[j]); j++)
			;
		st = malloc((j - i) * sizeof(*st));
		if (!st)
			return;
		for (k = i; k < j; k++)
			st[k - i] = s->aggs[k].s;
		if (format == CVM_VIEW_TEXT)
			printf("%sphase %s (seq %llu)\n", i ? "\n" : "",
			       s->aggs[i].phase,
			       (unsigned long long)s->aggs[i].phase_seq);
		cvm_lat_rows(&v, st, j - i, true,
			     format == CVM_VIEW_TEXT || (!i && format == CVM_VIEW_CSV),
			     s->aggs[i].phase_seq, s->aggs[i].phase);
		free(st);
	}
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
	struct summary s = { .vcpu = -1 };
	enum cvm_view_format format = CVM_VIEW_TEXT;
	unsigned long v;
	const char *path;
	int opt, i, ret;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (cvm_view_parse(optarg, &format))
				return cvm_usage_error("invalid --format `%s' (text, csv, json)",
						       optarg);
			break;
		case 'm':
			if (!cvm_parse_uint(optarg, 1, ULONG_MAX, &v))
				return cvm_usage_error("invalid VM id `%s'", optarg);
			s.vm_id = v;
			break;
		case 'c':
			if (!cvm_parse_uint(optarg, 0, UINT32_MAX, &v))
				return cvm_usage_error("invalid vCPU `%s'", optarg);
			s.vcpu = (long)v;
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
	for (i = 0; i < C_NR; i++)
		s.col[i] = -1;
	ret = read_csv(&s, f, strcmp(path, "-") ? path : "standard input");
	if (f != stdin)
		fclose(f);
	if (!ret && finish(&s)) {
		cvm_err("out of memory");
		ret = EXIT_SYSTEM;
	}
	if (!ret) {
		if (!s.nr_aggs && format == CVM_VIEW_TEXT)
			printf("(no exit-handling times in %s)\n", path);
		print(&s, format);
	}
	for (i = 0; i < C_NR; i++)
		free(s.field[i]);
	for (i = 0; i < s.nr_aggs; i++)
		free(s.aggs[i].phase);
	free(s.aggs);
	free(s.series);
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

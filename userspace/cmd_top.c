// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat top: exit reasons per second, like kvm_stat's live view.  On a
 * terminal the table is redrawn in place; otherwise one plain block per
 * interval, for logs and pipes.  While the module times exits, each
 * reason's mean and p99 exit-handling time over the interval too.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "commands.h"
#include "dev.h"
#include "fields.h"
#include "hpview.h"
#include "latency.h"
#include "names.h"
#include "rows.h"
#include "snapshot.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * One VM's exit reasons and overflow records (events counted without their
 * key), and with timing its LAT_COUNT, _SUM and _BUCKET records, summed
 * over its vCPUs, sorted.
 */
struct top_vm {
	uint64_t vm_id;
	struct cvmstat_record *recs;
	uint32_t nr;
	struct cvm_hp_sum hp;	/* halt polling, summed over vCPUs */
};

struct top_state {
	int fd;
	pid_t pid;
	struct top_vm *vms;
	int nr_vms;
	uint64_t sampled_ns;	/* when vms was read: rates use the real interval */
	bool lat;		/* timing was on at the start: its columns */
};

/* The records a sample keeps. */
static bool kept(const struct cvmstat_record *r)
{
	return r->kind == CVMSTAT_KIND_REASON ||
	       r->kind == CVMSTAT_KIND_OVERFLOW ||
	       r->kind == CVMSTAT_KIND_LAT_COUNT ||
	       r->kind == CVMSTAT_KIND_LAT_SUM ||
	       r->kind == CVMSTAT_KIND_LAT_BUCKET;
}

/* Reads the VMs' reasons into a new list; -(exit code) on error. */
static int sample(struct top_state *s, struct top_vm **out, int *nr)
{
	struct cvmstat_vm_info *info;
	struct top_vm *vms;
	int i, n, k = 0;

	n = cvm_select_vms(s->fd, s->pid, &info);
	if (n < 0)
		return n;
	vms = calloc(n ? n : 1, sizeof(*vms));
	if (!vms) {
		free(info);
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	for (i = 0; i < n; i++) {
		struct cvm_vm_read rd;
		uint32_t j, m = 0;
		int ret = cvm_read_vm_flags(s->fd, info[i].vm_id, 0,
					    cvm_read_flags |
					    (s->lat ? CVMSTAT_READ_LATENCY : 0),
					    &rd);

		if (ret == -ENOENT)
			continue;
		if (ret) {
			cvm_err("reading VM %llu: %s",
				(unsigned long long)info[i].vm_id, strerror(-ret));
			free(info);
			while (k--)
				free(vms[k].recs);
			free(vms);
			return -cvm_errno_exit(-ret);
		}
		cvm_hp_sum_add(&vms[k].hp, rd.recs, rd.nr, -1);
		for (j = 0; j < rd.nr; j++) {
			if (!kept(&rd.recs[j]))
				continue;
			rd.recs[m] = rd.recs[j];
			rd.recs[m++].vcpu_id = 0;
		}
		vms[k].vm_id = info[i].vm_id;
		vms[k].recs = rd.recs;
		vms[k].nr = cvm_snap_merge(rd.recs, m);
		k++;
	}
	free(info);
	*out = vms;
	*nr = k;
	return 0;
}

static void free_vms(struct top_vm *vms, int n)
{
	while (n-- > 0)
		free(vms[n].recs);
	free(vms);
}

struct rate {
	uint16_t kind;		/* REASON, or OVERFLOW (key: the kind) */
	uint64_t key;
	uint64_t delta;
	uint64_t total;
};

/* Reasons by rate, then total; the overflow records after them, by kind. */
static int cmp_rate(const void *a, const void *b)
{
	const struct rate *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == CVMSTAT_KIND_OVERFLOW)
		return x->key < y->key ? -1 : x->key > y->key;
	if (x->delta != y->delta)
		return x->delta > y->delta ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* Adds @n records of @recs into @rates (by kind, key), as deltas or totals. */
static int add_rates(struct rate **rates, int *nr, const struct cvmstat_record *recs,
		     uint32_t n, bool delta)
{
	uint32_t i;
	int j;

	for (i = 0; i < n; i++) {
		if (recs[i].kind != CVMSTAT_KIND_REASON &&
		    recs[i].kind != CVMSTAT_KIND_OVERFLOW)
			continue;
		for (j = 0; j < *nr && ((*rates)[j].key != recs[i].key ||
					(*rates)[j].kind != recs[i].kind); j++)
			;
		if (j == *nr) {
			struct rate *r = realloc(*rates, (*nr + 1) * sizeof(**rates));

			if (!r)
				return -1;
			*rates = r;
			memset(&r[j], 0, sizeof(r[j]));
			r[j].kind = recs[i].kind;
			r[j].key = recs[i].key;
			(*nr)++;
		}
		if (delta)
			(*rates)[j].delta += recs[i].count;
		else
			(*rates)[j].total += recs[i].count;
	}
	return 0;
}

/*
 * Events counted without their key, per kind: "not keyed (table full):
 * msr 12.0/s (7528 total), ...", or nothing when there are none.
 */
static void print_not_keyed(const struct rate *rates, int n, double secs)
{
	const char *sep = "not keyed (table full):";
	int i;

	for (i = 0; i < n; i++) {
		const char *kind = cvm_name_kind(rates[i].key);

		if (rates[i].kind != CVMSTAT_KIND_OVERFLOW)
			continue;
		printf("%s %s %.1f/s (%llu total)", sep, kind ? kind : "?",
		       rates[i].delta / secs,
		       (unsigned long long)rates[i].total);
		sep = ",";
	}
	if (*sep == ',')
		printf("\n");
}

/* One row of a refresh; cvmstat(8), OUTPUT, names the fields. */
struct top_row {
	uint64_t time_ns;	/* CLOCK_MONOTONIC, as record's */
	const char *time;
	const char *kind;
	uint64_t key;
	const char *name;
	double rate;		/* per second over the interval */
	double share;
	uint64_t count;		/* in the interval */
	uint64_t total;
	/* exit-handling time over the interval (NaN: none timed) */
	double lat_mean_us, lat_p99_us;
};

#define TOP_FIELD(type, member, in, heading, width, sep) \
	CVM_FIELD(type, struct top_row, member, in, heading, width, sep)
static const struct cvm_field top_fields[] = {
	TOP_FIELD(CVM_FIELD_U64, time_ns, CVM_IN_DATA, NULL, 0, NULL),
	TOP_FIELD(CVM_FIELD_STR, time, CVM_IN_DATA, NULL, 0, NULL),
	TOP_FIELD(CVM_FIELD_STR, kind, CVM_IN_DATA, NULL, 0, NULL),
	TOP_FIELD(CVM_FIELD_U64, key, CVM_IN_DATA, NULL, 0, NULL),
	TOP_FIELD(CVM_FIELD_STR, name, CVM_IN_ALL, "REASON", -32, ""),
	TOP_FIELD(CVM_FIELD_F64, rate, CVM_IN_ALL, "RATE/s", 14, " "),
	TOP_FIELD(CVM_FIELD_PCT, share, CVM_IN_ALL, "SHARE", 7, " "),
	TOP_FIELD(CVM_FIELD_U64, count, CVM_IN_DATA, NULL, 0, NULL),
	TOP_FIELD(CVM_FIELD_U64, total, CVM_IN_ALL, "TOTAL", 16, " "),
	/* only while timing: top_view.nr covers them then */
	TOP_FIELD(CVM_FIELD_F3_OPT, lat_mean_us, CVM_IN_ALL, "MEAN_US", 10, " "),
	TOP_FIELD(CVM_FIELD_F3_OPT, lat_p99_us, CVM_IN_ALL, "P99_US", 10, " "),
};
#define TOP_NR_LAT	2

static struct cvm_view top_view = {
	.fields = top_fields,
	.nr = sizeof(top_fields) / sizeof(top_fields[0]) - TOP_NR_LAT,
};

/* The reason @key's times in @lat (the interval's, dir 0 rows). */
static void lat_cols(struct top_row *row, struct cvm_lat_stat *lat, int n,
		     uint64_t key)
{
	int i;

	row->lat_mean_us = row->lat_p99_us = NAN;
	for (i = 0; i < n; i++) {
		struct cvm_lat_stat *t = &lat[i];

		if (t->dir || t->key != key || !t->count)
			continue;
		cvm_lat_bound(t);
		row->lat_mean_us = (double)t->sum / (double)t->count / 1000.0;
		row->lat_p99_us = cvm_lat_percentile(t->hist, t->count, t->min,
						     t->max, 0.99) / 1000.0;
	}
}

static void print_rates(struct rate *rates, int n, double secs, int nr_vms,
			bool tty, int64_t wall_offset,
			struct cvm_lat_stat *lat, int nr_lat)
{
	uint64_t sum = 0, now = cvm_now_ns();
	char when[48];
	int i;

	/* every exit: the keyed reasons and those counted without a key */
	for (i = 0; i < n; i++)
		if (rates[i].kind == CVMSTAT_KIND_REASON ||
		    (rates[i].kind == CVMSTAT_KIND_OVERFLOW &&
		     rates[i].key == CVMSTAT_KIND_REASON))
			sum += rates[i].delta;
	qsort(rates, n, sizeof(*rates), cmp_rate);
	cvm_format_iso8601(when, sizeof(when), (int64_t)now + wall_offset);
	top_view.f = stdout;
	if (top_view.format == CVM_VIEW_TEXT) {
		if (tty)
			printf("\033[H\033[J");
		printf("%s  %d VM%s  %.0f exits/s  (interval %.2f s)\n", when,
		       nr_vms, nr_vms == 1 ? "" : "s", sum / secs, secs);
		cvm_view_header(&top_view);
	}
	/* CSV and JSON: the overflow records are rows too, kind "overflow" */
	for (i = 0; i < n && (rates[i].kind == CVMSTAT_KIND_REASON ||
			      top_view.format != CVM_VIEW_TEXT); i++) {
		char name[64];
		struct top_row row = {
			.time_ns = now, .time = when, .key = rates[i].key,
			.kind = cvm_name_kind(rates[i].kind), .name = name,
			.rate = rates[i].delta / secs, .count = rates[i].delta,
			.share = sum ? 100.0 * rates[i].delta / sum : 0.0,
			.total = rates[i].total,
		};

		lat_cols(&row, lat, nr_lat, rates[i].kind == CVMSTAT_KIND_REASON ?
			 rates[i].key : ~0ULL);
		if (rates[i].kind == CVMSTAT_KIND_OVERFLOW) {
			snprintf(name, sizeof(name), "(not keyed: table full)");
			row.share = 0.0;
		} else {
			cvm_format_record_name(name, sizeof(name),
					       CVMSTAT_KIND_REASON, rates[i].key);
		}
		cvm_view_row(&top_view, &row);
	}
	if (top_view.format == CVM_VIEW_TEXT) {
		print_not_keyed(rates, n, secs);
		if (!tty)
			printf("\n");
	}
	fflush(stdout);
}

/* One refresh: rates since the previous sample.  -(exit code) on error. */
static int refresh(struct top_state *s, bool tty, int64_t wall)
{
	uint64_t now = cvm_now_ns();
	double secs = (now - s->sampled_ns) / 1e9;
	struct top_vm *cur;
	struct rate *rates = NULL;
	struct cvmstat_record *deltas = NULL;
	struct cvm_lat_stat *lat = NULL;
	uint32_t nr_deltas = 0;
	uint64_t open, lost;
	int i, j, n, nr = 0, nr_lat = 0, ret;
	bool hp_header;

	ret = sample(s, &cur, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		struct cvmstat_record *d = realloc(deltas, (nr_deltas + cur[i].nr + 1) *
						   sizeof(*d));
		const struct top_vm *old = NULL;
		uint32_t m;

		for (j = 0; j < s->nr_vms; j++)
			if (s->vms[j].vm_id == cur[i].vm_id)
				old = &s->vms[j];
		if (!d) {
			ret = -1;
			break;
		}
		deltas = d;
		d += nr_deltas;
		m = cvm_snap_delta(old ? old->recs : NULL, old ? old->nr : 0,
				   cur[i].recs, cur[i].nr, d);
		nr_deltas += m;
		ret = add_rates(&rates, &nr, d, m, true) ||
		      add_rates(&rates, &nr, cur[i].recs, cur[i].nr, false);
	}
	/* every VM's times over the interval, per reason */
	if (!ret && s->lat)
		ret = (nr_lat = cvm_lat_collect(deltas, nr_deltas, -1, &lat,
						&open, &lost)) < 0;
	free(deltas);
	if (ret) {
		free(rates);
		free_vms(cur, n);
		cvm_err("out of memory");
		return -EXIT_SYSTEM;
	}
	print_rates(rates, nr, secs, n, tty, wall, lat, nr_lat);
	free(lat);
	/* the halt-polling table: text only (csv and json are the reasons') */
	for (i = 0, hp_header = false; i < n && tty; i++)
		hp_header |= cur[i].hp.stat[CVMSTAT_HALT_HALTS] != 0;
	if (hp_header && top_view.format == CVM_VIEW_TEXT)
		printf("\n");	/* a terminal: no blank line after the reasons */
	for (i = 0, hp_header = false;
	     i < n && top_view.format == CVM_VIEW_TEXT; i++) {
		const struct top_vm *old = NULL;

		for (j = 0; j < s->nr_vms; j++)
			if (s->vms[j].vm_id == cur[i].vm_id)
				old = &s->vms[j];
		cvm_hp_top_row(cur[i].vm_id, &cur[i].hp, old ? &old->hp : NULL,
			       secs, &hp_header);
	}
	if (hp_header && !tty)
		printf("\n");
	fflush(stdout);
	free(rates);
	free_vms(s->vms, s->nr_vms);
	s->vms = cur;
	s->nr_vms = n;
	s->sampled_ns = now;
	return 0;
}

static int top_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct top_state s = { .fd = -1 };
	struct cvmstat_version ver;
	struct cvmstat_latency lat = { .size = sizeof(lat) };
	uint64_t interval = 1000000000ULL, next;
	unsigned long count = 0, k;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts;
	int opt, ret;
	bool tty = isatty(STDOUT_FILENO);
	int64_t wall_offset = cvm_wall_offset_ns();

	while ((opt = getopt_long(argc, argv, "+:p:i:n:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			ret = cvm_opt_format(optarg, &top_view.format);
			if (ret)
				return ret;
			break;
		case 'p':
			ret = cvm_opt_pid(optarg, &s.pid);
			if (ret)
				return ret;
			break;
		case 'i':
			ret = cvm_opt_interval(optarg, &interval);
			if (ret)
				return ret;
			break;
		case 'n':
			if (!cvm_parse_uint(optarg, 1, ULONG_MAX, &count))
				return cvm_usage_error("invalid count `%s' (>= 1)", optarg);
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_top, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind]);
	s.fd = cvm_dev_open(&ver);
	if (s.fd < 0)
		return -s.fd;
	/* timing on now: its columns, for the whole run ("-" once off) */
	s.lat = (ver.features & CVMSTAT_FEAT_LATENCY) &&
		!ioctl(s.fd, CVMSTAT_IOC_LATENCY, &lat) && lat.on;
	if (s.lat)
		top_view.nr += TOP_NR_LAT;
	s.sampled_ns = cvm_now_ns();
	ret = sample(&s, &s.vms, &s.nr_vms);
	if (ret)
		goto out;
	if (top_view.format == CVM_VIEW_CSV) {
		top_view.f = stdout;
		cvm_view_header(&top_view);
	}
	if (top_view.format != CVM_VIEW_TEXT)
		tty = false;	/* no redrawing: rows for a program */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	next = cvm_now_ns();
	for (k = 0; !stop && (!count || k < count); k++) {
		next += interval;
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&ts, NULL) == EINTR)
			;
		if (stop)
			break;
		ret = refresh(&s, tty, wall_offset);
		if (ret)
			goto out;
	}
out:
	free_vms(s.vms, s.nr_vms);
	close(s.fd);
	return ret < 0 ? -ret : EXIT_OK;
}

const struct cvm_command cvm_cmd_top = {
	.name = "top",
	.main = top_main,
	.summary = "live exit rates per reason",
	.usage =
	"Usage: cvmstat top [--vm PID] [-i SECONDS] [-n COUNT] [--format F]\n"
	"\n"
	"Shows VM exits per second by reason, summed over all VMs (or the VMs\n"
	"of one VMM), refreshed every interval: redrawn in place on a terminal,\n"
	"one block of plain lines per interval otherwise.  Events counted without\n"
	"their key (a key table was full) get a line of their own, per kind.\n"
	"VMs that halted in the kernel get a halt-polling row: halts/s, how\n"
	"they went (polled with success, in vain, not polled), time polled and\n"
	"waited per second, and the poll windows in force.  While the module\n"
	"times exits (`cvmstat latency on` before top starts), each reason's\n"
	"mean and 99th percentile exit-handling time over the interval, in us\n"
	"(\"-\": none timed).  Ends on Ctrl-C.\n"
	"\n"
	"  --vm PID             only the VMs of VMM process PID\n"
	"  -i, --interval SECS  refresh interval in seconds (default 1, 0.01..86400)\n"
	"  -n, --count N        stop after N refreshes\n"
	"  --format F           text (default); csv or json: one row per reason\n"
	"                       and refresh (cvmstat(8), OUTPUT)\n"
	"  -h, --help           this help\n",
};

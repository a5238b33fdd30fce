/* SPDX-License-Identifier: GPL-2.0 */
/*
 * latency: exit-handling times (CVMSTAT_KIND_LAT_* records) turned into
 * per-reason statistics and percentiles, for show --latency, top, and
 * summary (a recording's lat_* rows).  The buckets are the module's own
 * (kmod/core/latency.h).
 */
#ifndef CVMSTAT_LATENCY_H
#define CVMSTAT_LATENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/cvmstat.h>

#include "fields.h"

/* One key's times: a reason, in the kernel, via userspace, or both (dir 0). */
struct cvm_lat_stat {
	uint64_t key;		/* CVMSTAT_LAT_REASON_OF(): class, isa, code */
	uint8_t dir;		/* CVMSTAT_LAT_KERNEL, _USER, or 0: both */
	uint64_t count, sum, min, max;
	uint64_t hist[CVMSTAT_LAT_BUCKETS];
	uint64_t key_sum;	/* the key's total over both dirs (ordering) */
	/* min and max came from LAT_MIN/LAT_MAX records (else 0) */
	bool have_min, have_max;
	char name[64];		/* the reason's name; "": from the key */
};

/*
 * A timed key's name (CVMSTAT_LAT_REASON_OF() of a record's key): the exit
 * reason, or "VMGEXIT ", "GHCB_MSR " or "TDCALL " and the code behind it.
 */
int cvm_lat_key_name(char *buf, size_t len, uint64_t key);

/*
 * Lower and upper bound (exclusive) of bucket @i, ns.  The last bucket's
 * upper bound is one past the longest time the module records (an hour:
 * longer pairs are counted as lost, CVMSTAT_LAT_LOST_ABSURD).
 */
uint64_t cvm_lat_lo(unsigned int i);
uint64_t cvm_lat_hi(unsigned int i);
/* A LAT_LOST record's key as a name: cross_cpu, absurd, table_full. */
const char *cvm_lat_lost_name(uint64_t key);
/* The bucket of @ns. */
unsigned int cvm_lat_bucket_of(uint64_t ns);

/*
 * The @q-quantile (0 < q <= 1) of a histogram of @count values whose
 * extremes are @min and @max: the bucket holding the ceil(q * count)-th
 * value, interpolated linearly inside it, clamped to [min, max].
 */
double cvm_lat_percentile(const uint64_t *hist, uint64_t count, uint64_t min,
			  uint64_t max, double q);

/* Adds one LAT_* record to @s (whose key/dir the caller matched). */
void cvm_lat_add_record(struct cvm_lat_stat *s, const struct cvmstat_record *r);

/*
 * The LAT_* records of @recs (vCPU @vcpu, or all when < 0) summed per key
 * and dir, plus a dir 0 row per key summing both, into *out (malloc'ed),
 * sorted by total time, largest first.  Returns the number, or -1 (ENOMEM).
 * *open gets the exits still open, *lost the pairs not recorded.
 */
int cvm_lat_collect(const struct cvmstat_record *recs, uint32_t nr, long vcpu,
		    struct cvm_lat_stat **out, uint64_t *open, uint64_t *lost);

/* Sorts @s as cvm_lat_collect() does: by total time, largest first. */
void cvm_lat_sort(struct cvm_lat_stat *s, int n);

/*
 * Where min or max did not come from a record (histogram deltas: a
 * recording's phase, top's interval), the outer buckets' bounds: the lowest
 * one's lower, the highest one's upper bound less 1 ns.
 */
void cvm_lat_bound(struct cvm_lat_stat *s);

/* Adds @src into @dst: counts, sums and buckets; min and max of both. */
void cvm_lat_merge(struct cvm_lat_stat *dst, const struct cvm_lat_stat *src);

/*
 * The rows of show --latency and summary: per reason, count, mean, p50,
 * p95, p99, max, in us; the reason's total ("all") and with @split its
 * "kernel" and "user" rows.  @phase (NULL: none) and @phase_seq go into
 * the CSV and JSON rows.  Text: the heading when @header.
 */
void cvm_lat_rows(struct cvm_view *v, const struct cvm_lat_stat *s, int n,
		  bool split, bool header, uint64_t phase_seq,
		  const char *phase);

/* The table of show --latency: cvm_lat_rows() as text on stdout. */
void cvm_lat_print(const struct cvm_lat_stat *s, int n, bool split);

#endif /* CVMSTAT_LATENCY_H */

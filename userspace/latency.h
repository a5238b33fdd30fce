/* SPDX-License-Identifier: GPL-2.0 */
/*
 * latency: exit-handling times (CVMSTAT_KIND_LAT_* records) turned into
 * per-reason statistics and percentiles, for show --latency and summary.
 * The buckets are the module's own (kmod/core/latency.h).
 */
#ifndef CVMSTAT_LATENCY_H
#define CVMSTAT_LATENCY_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/cvmstat.h>

/* One key's times: a reason, in the kernel, via userspace, or both (dir 0). */
struct cvm_lat_stat {
	uint64_t key;		/* CVMSTAT_LAT_REASON_OF(): class, isa, code */
	uint8_t dir;		/* CVMSTAT_LAT_KERNEL, _USER, or 0: both */
	uint64_t count, sum, min, max;
	uint64_t hist[CVMSTAT_LAT_BUCKETS];
	uint64_t key_sum;	/* the key's total over both dirs (ordering) */
};

/*
 * A timed key's name (CVMSTAT_LAT_REASON_OF() of a record's key): the exit
 * reason, or "VMGEXIT ", "GHCB_MSR " or "TDCALL " and the code behind it.
 */
int cvm_lat_key_name(char *buf, size_t len, uint64_t key);

/* Lower and upper bound of bucket @i, ns (upper: UINT64_MAX for the last). */
uint64_t cvm_lat_lo(unsigned int i);
uint64_t cvm_lat_hi(unsigned int i);

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

/* The table of show --latency: per reason, count, mean, p50/95/99, max, us. */
void cvm_lat_print(const struct cvm_lat_stat *s, int n, bool split);

#endif /* CVMSTAT_LATENCY_H */

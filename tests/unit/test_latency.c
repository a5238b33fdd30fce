// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of exit-handling times: the module's buckets and pairing
 * (kmod/core/latency.h) and the tool's percentiles (userspace/latency.c)
 * against distributions whose percentiles are known.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/latency.h"
#include "latency.h"

#define KEY(r)	CVMSTAT_REASON_KEY(CVMSTAT_ISA_SVM, r)

static void test_buckets(void)
{
	uint64_t v;
	unsigned int i, bad = 0;

	for (i = 0; i + 1 < CVM_LAT_BUCKETS; i++) {
		if (cvm_lat_bucket_hi(i) != cvm_lat_bucket_lo(i + 1) ||
		    cvm_lat_bucket(cvm_lat_bucket_lo(i)) != i ||
		    cvm_lat_bucket(cvm_lat_bucket_hi(i) - 1) != i)
			bad++;
		/* at most 1/16 of its lower bound wide */
		if (i >= CVM_LAT_SUB &&
		    16 * (cvm_lat_bucket_hi(i) - cvm_lat_bucket_lo(i)) >
		    cvm_lat_bucket_lo(i))
			bad++;
	}
	CHECK(!bad, "buckets contiguous, bounds round-trip, width <= lo/16 (%u bad)", bad);
	for (v = 1, bad = 0; v < (1ULL << 40); v = v * 3 / 2 + 1) {
		i = cvm_lat_bucket(v);
		if (i + 1 < CVM_LAT_BUCKETS &&
		    (v < cvm_lat_bucket_lo(i) || v >= cvm_lat_bucket_hi(i)))
			bad++;
	}
	CHECK(!bad, "every value in its bucket's bounds (%u bad)", bad);
	for (v = 0, bad = 0; v < (1ULL << 35); v = v < 4096 ? v + 1 : v * 9 / 8 + 1)
		if (cvm_lat_bucket_fast(v) != cvm_lat_bucket(v) ||
		    cvm_lat_bucket_fast(v) >= CVM_LAT_BUCKETS)
			bad++;
	CHECK(!bad && cvm_lat_bucket_fast((1ULL << 35) - 1) == CVM_LAT_BUCKETS - 1,
	      "the probe's branchless bucket is the bucket below 2^35 ns (%u bad)", bad);
	CHECK(cvm_lat_mult(CVM_LAT_MIN_KHZ) <= (1ULL << 35) &&
	      (((unsigned __int128)0xffffffffULL * cvm_lat_mult(CVM_LAT_MIN_KHZ)) >> 32) < (1ULL << 35),
	      "at the slowest clock timed, a fast-path pair stays below 2^35 ns");
	CHECK(cvm_lat_bucket(0) == 0 && cvm_lat_bucket(15) == 15 &&
	      cvm_lat_bucket(16) == 16 && cvm_lat_bucket(32) == 32 &&
	      cvm_lat_bucket((1ULL << 35) - 1) == 511 && cvm_lat_bucket(1ULL << 35) == 511 && cvm_lat_bucket(~0ULL) == 511,
	      "bucket edges");
	CHECK(cvm_lat_bucket_lo(511) == (31ULL << 30), "last bucket from 31 << 30 ns");
	/* the uapi's formula */
	for (i = CVM_LAT_SUB, bad = 0; i < CVM_LAT_BUCKETS; i++)
		if (cvm_lat_bucket_lo(i) != (uint64_t)(16 + i % 16) << (i / 16 - 1))
			bad++;
	CHECK(!bad, "bounds as cvmstat.h documents them");
}

/* What the module's kvm_entry probe does, with @synced its clock answer. */
static void entry(struct cvm_lat *l, uint64_t t, uint32_t cpu, bool synced,
		  uint64_t mult)
{
	if (!cvm_lat_entry(l, t, cpu, mult))
		cvm_lat_entry_moved(l, t, mult, synced);
}

#define NS	(1ULL << 32)	/* mult of a clock in ns */

static void test_pairs(void)
{
	static struct cvm_lat l;
	struct cvm_lat_entry *e;

	cvm_lat_clear(&l);
	/* mult 1 << 32: clock units are ns */
	entry(&l, 100, 0, true, NS);
	CHECK(!cvm_lat_count(&l.e[0]) && !l.lost[0], "an entry without an exit records nothing");
	/* exit reason 0 (SVM's READ_CR0) is a key like any other */
	cvm_lat_exit(&l, 0, 100, 0, NULL);
	entry(&l, 150, 0, true, NS);
	cvm_lat_exit(&l, 0x60, 200, 0, NULL);	/* hashes where 0 does */
	entry(&l, 210, 0, true, NS);
	CHECK(cvm_lat_count(cvm_lat_find(&l, 0)) == 1 &&
	      cvm_lat_find(&l, 0)->sum == 50 &&
	      cvm_lat_count(cvm_lat_find(&l, 0x60)) == 1 &&
	      cvm_lat_find(&l, 0x60)->sum == 10,
	      "reason 0 keeps its own entry; 0x60 beside it");
	cvm_lat_clear(&l);
	cvm_lat_exit(&l, KEY(0x72), 1000, 0, NULL);
	entry(&l, 1700, 0, true, NS);
	cvm_lat_exit(&l, KEY(0x72), 2000, 0, NULL);
	entry(&l, 2300, 0, true, NS);
	cvm_lat_exit(&l, KEY(0x7b), 3000, 0, NULL);
	l.key |= CVM_LAT_USER_BIT;
	entry(&l, 9000, 1, true, NS);
	e = cvm_lat_find(&l, KEY(0x72));
	CHECK(cvm_lat_count(e) == 2 && e->sum == 1000 && e->min == 300 && e->max == 700,
	      "CPUID: 2 exits, 300 + 700 ns");
	e = cvm_lat_find(&l, KEY(0x7b) | CVM_LAT_USER_BIT);
	CHECK(cvm_lat_count(e) == 1 && e->sum == 6000, "IOIO via userspace, across CPUs (synced)");
	cvm_lat_exit(&l, KEY(0x7b), 10000, 0, NULL);
	entry(&l, 11000, 1, false, NS);
	CHECK(l.lost[CVM_LAT_LOST_CROSS_CPU] == 1, "cross-CPU, clock not synced: lost");
	cvm_lat_exit(&l, KEY(0x7b), 12000, 0, NULL);
	entry(&l, 11000, 0, true, NS);
	CHECK(l.lost[CVM_LAT_LOST_ABSURD] == 1, "negative: lost");
	/* TSC at 2.5 GHz: 0.4 ns per cycle */
	cvm_lat_exit(&l, KEY(0x7c), 0, 0, NULL);
	entry(&l, 2500, 0, true, cvm_lat_mult(2500000));
	e = cvm_lat_find(&l, KEY(0x7c));
	CHECK(e->sum >= 999 && e->sum <= 1000, "2500 cycles at 2.5 GHz: %llu ns",
	      (unsigned long long)e->sum);
	/* 2^32 cycles or more: the long path, exact */
	cvm_lat_exit(&l, KEY(0x7c), 1000, 0, NULL);
	entry(&l, 1000 + 25000000000ULL, 0, true, cvm_lat_mult(2500000));
	CHECK(cvm_lat_count(e) == 2 && e->max >= 9999999990ULL && e->max <= 10000000000ULL,
	      "10 s at 2.5 GHz (long path): max %llu ns, within 10 ns", (unsigned long long)e->max);
	cvm_lat_exit(&l, KEY(0x7c), 0, 0, NULL);
	entry(&l, CVM_LAT_ABSURD_NS + 1, 0, true, NS);
	CHECK(l.lost[CVM_LAT_LOST_ABSURD] == 2 && cvm_lat_count(e) == 2,
	      "over an hour: lost, not recorded");
	/* 0x52 hashes where 0x72 is: found past it (the slow path) */
	CHECK(cvm_lat_hash(KEY(0x52)) == cvm_lat_hash(KEY(0x72)) &&
	      cvm_lat_hash(KEY(0x72)) != cvm_lat_hash(KEY(0x72) | CVM_LAT_USER_BIT),
	      "hash: low bits of the reason, the userspace bit apart");
	cvm_lat_exit(&l, KEY(0x52), 0, 0, NULL);
	entry(&l, 50, 0, true, NS);
	cvm_lat_exit(&l, KEY(0x52), 0, 0, NULL);
	entry(&l, 70, 0, true, NS);
	e = cvm_lat_find(&l, KEY(0x52));
	CHECK(e != &l.e[cvm_lat_hash(KEY(0x52))] && cvm_lat_count(e) == 2 && e->sum == 120 &&
	      cvm_lat_count(cvm_lat_find(&l, KEY(0x72))) == 2,
	      "colliding keys: each its own entry");

	/* the records, and the tool's sums of them */
	{
		struct cvmstat_record recs[CVM_LAT_MAX_RECORDS];
		struct cvm_lat_stat *s;
		uint64_t open, lost;
		unsigned int n;
		int m, i, found = 0;

		cvm_lat_exit(&l, KEY(0x78), 0, 0, NULL);	/* left open */
		n = cvm_lat_emit(&l, 3, CVMSTAT_ISA_SVM, recs);
		m = cvm_lat_collect(recs, n, -1, &s, &open, &lost);
		CHECK(open == 1 && lost == 3, "open %llu, lost %llu",
		      (unsigned long long)open, (unsigned long long)lost);
		for (i = 0; i < m; i++) {
			if (s[i].key == KEY(0x7b) && s[i].dir == 0)
				found += s[i].count == 1 && s[i].sum == 6000;
			if (s[i].key == KEY(0x7b) && s[i].dir == CVMSTAT_LAT_USER)
				found += s[i].count == 1;
			if (s[i].key == KEY(0x72) && s[i].dir == CVMSTAT_LAT_KERNEL)
				found += s[i].count == 2 && s[i].min == 300 &&
					 s[i].max == 700;
		}
		CHECK(found == 3 && m == 8, "collected rows (%d rows, %d found)", m, found);
		CHECK(m > 0 && s[0].dir == 0 && s[0].key == KEY(0x7c),
		      "largest total time first");
		free(s);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * @n values from @gen into a histogram; the tool's p50/p95/p99 must be
 * within @tol (relative) of the exact order statistics.
 */
static void check_dist(const char *what, unsigned int n,
		       uint64_t (*gen)(unsigned int i, unsigned int n), double tol)
{
	static const double qs[] = { 0.5, 0.95, 0.99, 1.0 };
	uint64_t *v = calloc(n, sizeof(*v));
	uint64_t hist[CVMSTAT_LAT_BUCKETS] = { 0 };
	uint64_t min = ~0ULL, max = 0;
	unsigned int i, q;

	for (i = 0; i < n; i++) {
		v[i] = gen(i, n);
		hist[cvm_lat_bucket(v[i])]++;
		if (v[i] < min)
			min = v[i];
		if (v[i] > max)
			max = v[i];
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (q = 0; q < sizeof(qs) / sizeof(*qs); q++) {
		unsigned int rank = (unsigned int)ceil(qs[q] * n);
		double exact = (double)v[rank - 1];
		double got = cvm_lat_percentile(hist, n, min, max, qs[q]);

		CHECK(fabs(got - exact) <= tol * exact,
		      "%s: p%g %.1f, exact %.0f (tolerance %.1f%%)", what,
		      qs[q] * 100, got, exact, tol * 100);
	}
	free(v);
}

static uint64_t uniform(unsigned int i, unsigned int n)
{
	return 1000 + (uint64_t)i * 99000 / n;		/* 1 .. 100 us */
}

static uint64_t exponential(unsigned int i, unsigned int n)
{
	return (uint64_t)(200 + 5000.0 * -log(1.0 - (i + 0.5) / n));
}

static uint64_t constant(unsigned int i, unsigned int n)
{
	(void)i, (void)n;
	return 1450;					/* a TD's CPUID */
}

static uint64_t bimodal(unsigned int i, unsigned int n)
{
	(void)n;
	return i % 10 ? 620 : 40000 + i % 7;		/* in-kernel vs VMM */
}

static uint64_t lognormal(unsigned int i, unsigned int n)
{
	/* deterministic spread over 5 decades, shuffled order */
	double u = (double)((i * 7919ULL) % n + 0.5) / n;

	return (uint64_t)(10.0 * pow(10.0, 5.0 * u * u));
}

#define CLASS(c)	CVMSTAT_LAT_CLASS_KEY(CVMSTAT_LAT_CLASS_##c)
#define TDX_KEY(r)	CVMSTAT_REASON_KEY(CVMSTAT_ISA_VMX, r)

/* SEV-ES/SNP and TDX exits timed under the code a later event tells. */
static void test_refine(void)
{
	static struct cvm_lat l;
	struct cvm_lat_entry *e;
	char name[64];

	cvm_lat_clear(&l);
	/* VMGEXIT, then kvm_vmgexit_enter: timed under the GHCB exit code */
	cvm_lat_exit(&l, KEY(0x403), 0, 0, NULL);
	cvm_lat_refine(&l, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_VMGEXIT, 0x7b);
	cvm_lat_refine(&l, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_VMGEXIT, 0x72);
	l.key |= CVM_LAT_USER_BIT;
	entry(&l, 500, 0, true, NS);
	e = cvm_lat_find(&l, KEY(0x7b) | CLASS(VMGEXIT) | CVM_LAT_USER_BIT);
	CHECK(cvm_lat_count(e) == 1 && e->sum == 500 && !cvm_lat_count(cvm_lat_find(&l, KEY(0x403))),
	      "VMGEXIT timed under its GHCB code, via userspace; refined once");
	/* the GHCB MSR protocol */
	cvm_lat_exit(&l, KEY(0x403), 0, 0, NULL);
	cvm_lat_refine(&l, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_GHCB_MSR, 0x4);
	entry(&l, 40, 0, true, NS);
	CHECK(cvm_lat_count(cvm_lat_find(&l, KEY(0x4) | CLASS(GHCB_MSR))) == 1,
	      "MSR protocol VMGEXIT timed under its request code");
	/* a code beyond 32 bits: 0xffffffff */
	cvm_lat_exit(&l, KEY(0x403), 0, 0, NULL);
	cvm_lat_refine(&l, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_VMGEXIT,
		       0x1234567890ULL);
	entry(&l, 40, 0, true, NS);
	CHECK(cvm_lat_count(cvm_lat_find(&l, KEY(0xffffffff) | CLASS(VMGEXIT))) == 1,
	      "a GHCB code over 32 bits: 0xffffffff");
	/* nothing pending, or another exit pending: untouched */
	cvm_lat_refine(&l, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_VMGEXIT, 0x7b);
	cvm_lat_exit(&l, KEY(0x72), 0, 0, NULL);
	cvm_lat_refine(&l, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_VMGEXIT, 0x7b);
	CHECK(l.key == KEY(0x72), "only a pending VMGEXIT is refined");
	entry(&l, 40, 0, true, NS);
	/* TDX: TDCALL to userspace under its GHCI leaf */
	cvm_lat_exit(&l, TDX_KEY(77), 0, 0, NULL);
	cvm_lat_refine(&l, CVM_LAT_VMX_TDCALL, CVMSTAT_LAT_CLASS_TDX_LEAF, 0x10001);
	l.key |= CVM_LAT_USER_BIT;
	entry(&l, 900, 0, true, NS);
	CHECK(cvm_lat_find(&l, TDX_KEY(0x10001) | CLASS(TDX_LEAF) |
			   CVM_LAT_USER_BIT)->sum == 900,
	      "TDCALL timed under its leaf");
	cvm_lat_key_name(name, sizeof(name), KEY(0x7b) | CLASS(VMGEXIT));
	CHECK(strstr(name, "IOIO") != NULL, "VMGEXIT key named as its code: %s", name);
	cvm_lat_key_name(name, sizeof(name), TDX_KEY(0x10001) | CLASS(TDX_LEAF));
	CHECK(strstr(name, "MAP_GPA") != NULL, "TDX leaf key named: %s", name);
	cvm_lat_key_name(name, sizeof(name), KEY(0x72));
	CHECK(strstr(name, "CPUID") != NULL, "reason key named: %s", name);
}

int main(void)
{
	test_buckets();
	test_pairs();
	test_refine();
	check_dist("uniform 1-100 us", 100000, uniform, 0.032);
	check_dist("exponential", 100000, exponential, 0.032);
	check_dist("constant", 1000, constant, 0.0);
	check_dist("bimodal", 10000, bimodal, 0.032);
	check_dist("five decades", 50000, lognormal, 0.032);
	CHECK(cvm_lat_percentile((uint64_t[CVMSTAT_LAT_BUCKETS]){ 0 }, 0, 0, 0, 0.5) == 0,
	      "empty: 0");
	printf("latency: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}

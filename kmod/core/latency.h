/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit-handling time of one vCPU: from kvm_exit to its next kvm_entry.
 *
 * Plain C, compiled into cvmstat.ko (kmod/latency.c), into the host unit
 * tests and into the tool (bucket bounds, percentiles: userspace/latency.c).
 *
 * Histograms are log-linear: values 0..15 ns have a bucket each, and every
 * power of two above is cut into CVM_LAT_SUB (16) equal buckets, so a bucket
 * is at most 1/16 of its lower bound wide and a percentile taken in it is
 * within 1/32 (3.1%) of the true value.  CVM_LAT_BUCKETS buckets reach
 * 2^35 ns (34 s); the last one also holds everything longer (max has the
 * exact value).
 *
 * Concurrency: like the counters, a struct cvm_lat is written by its vCPU's
 * thread only (kvm_exit, kvm_entry and kvm_userspace_exit all fire on it).
 * Entries only grow but for min, which only shrinks, so two equal copies of
 * an entry are a consistent one (cvm_lat_copy_entry()).
 *
 * Cost: the kvm_entry probe runs this on every entry, so each instruction
 * counts (tests/qemu/cost.sh prices it).  An entry keeps no count (the sum of
 * its buckets is one, cvm_lat_count()); "no exit pending" is a CPU number
 * no CPU has, so one compare tells both that and a move to another CPU; the
 * bucket is computed without a branch; a pending exit's key is the reason
 * alone (the vCPU's isa is added when records are written).
 */
#ifndef _CVMSTAT_CORE_LATENCY_H
#define _CVMSTAT_CORE_LATENCY_H

#include "env.h"
#include "../include/uapi/linux/cvmstat.h"

#define CVM_LAT_SUB_SHIFT	4
#define CVM_LAT_SUB		(1U << CVM_LAT_SUB_SHIFT)
#define CVM_LAT_BUCKETS		512
/* Keys (reason x in-kernel/userspace) timed per vCPU; log2. */
#define CVM_LAT_KEYS_SHIFT	5
#define CVM_LAT_KEYS		(1U << CVM_LAT_KEYS_SHIFT)
/* @cpu of a struct cvm_lat with no exit pending */
#define CVM_LAT_NONE		(~0U)
/*
 * The key of a free entry: no key has all bits set (bits 32-35, the uapi
 * key's isa, are 0 here); 0 is exit reason 0 (SVM's READ_CR0).
 */
#define CVM_LAT_FREE		(~0ULL)
/*
 * The slowest TSC timing runs with (kHz): the fast path's pairs (under 2^32
 * cycles) then stay under 2^35 ns, the last bucket's bound (no clamp).
 */
#define CVM_LAT_MIN_KHZ		125000U
/* A pair longer than this (ns) is not an exit's handling: counted, dropped. */
#define CVM_LAT_ABSURD_NS	(3600ULL * 1000000000ULL)

/* Internal key bit: the exit left to userspace (uapi: dir CVMSTAT_LAT_USER). */
#define CVM_LAT_USER_BIT	(1ULL << 63)
#define CVM_LAT_CLASS_MASK	CVMSTAT_LAT_CLASS_KEY(0xf)
/* The exits whose codes cvm_lat_refine() times finer: SVM, VMX (TDX). */
#define CVM_LAT_SVM_VMGEXIT	0x403
#define CVM_LAT_VMX_TDCALL	77

enum cvm_lat_lost {
	CVM_LAT_LOST_CROSS_CPU,	/* entry on another CPU, clocks not synced */
	CVM_LAT_LOST_ABSURD,	/* negative or over CVM_LAT_ABSURD_NS */
	CVM_LAT_LOST_FULL,	/* no free key in the table */
	CVM_LAT_LOST_NR,
};

struct cvm_lat_entry {
	u64 key;		/* CVM_LAT_FREE: free */
	u64 sum;
	u64 min;
	u64 max;
	u32 hist[CVM_LAT_BUCKETS];
};

/**
 * struct cvm_lat - one vCPU's exit-handling times
 * @cpu: CPU of the pending exit's timestamp; CVM_LAT_NONE: none pending
 * @t0: its timestamp (clock units, see @mult)
 * @key: its key: the exit reason (or, once refined, class and code: see
 *	cvm_lat_refine()), with CVM_LAT_USER_BIT once it left to userspace;
 *	uapi CVMSTAT_LAT_KEY() without the isa
 * @task: the thread that took it (kvm_userspace_exit finds the slot by it)
 * @lost: pairs not recorded, by enum cvm_lat_lost
 * @e: the entries, open addressing by key
 */
struct cvm_lat {
	u32 pad;
	u32 cpu;
	u64 t0;
	u64 key;
	const void *task;
	u64 lost[CVM_LAT_LOST_NR];
	struct cvm_lat_entry e[CVM_LAT_KEYS];
};

/*
 * The bucket of @ns < 2^35 (no clamp).  p = the top bit's position, at
 * least 4: ((p - 3) << 4) | the 4 bits below the top one; the top 5 bits are
 * 16 + those, so one addition makes it.  Below 16, p is 4 and the bucket
 * is @ns itself, with no branch.
 */
static cvm_always_inline unsigned int cvm_lat_bucket_fast(u64 ns)
{
	unsigned int p = 63 - __builtin_clzll(ns | CVM_LAT_SUB);

	return (unsigned int)(ns >> (p - CVM_LAT_SUB_SHIFT)) +
	       ((p - CVM_LAT_SUB_SHIFT) << CVM_LAT_SUB_SHIFT);
}

/* The bucket of any @ns. */
static inline unsigned int cvm_lat_bucket(u64 ns)
{
	return ns >> 35 ? CVM_LAT_BUCKETS - 1 : cvm_lat_bucket_fast(ns);
}

/* Lowest value of bucket @i. */
static inline u64 cvm_lat_bucket_lo(unsigned int i)
{
	unsigned int p;

	if (i < CVM_LAT_SUB)
		return i;
	p = (i >> CVM_LAT_SUB_SHIFT) + CVM_LAT_SUB_SHIFT - 1;
	return (u64)(CVM_LAT_SUB + (i & (CVM_LAT_SUB - 1))) <<
	       (p - CVM_LAT_SUB_SHIFT);
}

/* First value above bucket @i (the last bucket: open, UINT64_MAX). */
static inline u64 cvm_lat_bucket_hi(unsigned int i)
{
	if (i + 1 >= CVM_LAT_BUCKETS)
		return ~0ULL;
	return cvm_lat_bucket_lo(i + 1);
}

/* The reason's low bits, and the userspace bit as bit 3: one instruction. */
static cvm_always_inline u32 cvm_lat_hash(u64 key)
{
	return (u32)(key ^ (key >> 60)) & (CVM_LAT_KEYS - 1);
}

/* The entry of @key, inserting it; NULL if the table is full. */
static cvm_always_inline struct cvm_lat_entry *cvm_lat_find(struct cvm_lat *l,
							    u64 key)
{
	u32 i = cvm_lat_hash(key), n;

	for (n = 0; n < CVM_LAT_KEYS; n++, i = (i + 1) & (CVM_LAT_KEYS - 1)) {
		struct cvm_lat_entry *e = &l->e[i];

		if (likely(e->key == key))
			return e;
		if (e->key == CVM_LAT_FREE) {
			e->min = ~0ULL;
			WRITE_ONCE(e->key, key);
			return e;
		}
	}
	return NULL;
}

/* One more exit of @e that took @ns, in bucket @b. */
static cvm_always_inline void cvm_lat_record(struct cvm_lat_entry *e, u64 ns,
					     unsigned int b)
{
	e->hist[b]++;
	e->sum += ns;
	if (ns < e->min)
		e->min = ns;
	if (ns > e->max)
		e->max = ns;
}

void cvm_lat_add_slow(struct cvm_lat *l, u64 key, u64 ns, unsigned int b);

/*
 * Record one exit's handling time @ns (bucket @b) under @key: its entry is
 * at its hash unless the table had a collision (cvm_lat_add_slow()).
 */
static cvm_always_inline void cvm_lat_add(struct cvm_lat *l, u64 key, u64 ns,
					  unsigned int b)
{
	unsigned long size = sizeof(struct cvm_lat_entry);
	struct cvm_lat_entry *e;

	/*
	 * One multiplication: gcc would make four shifts and adds of a size it
	 * knows, and compute the address once per field without the barrier.
	 */
	__asm__("" : "+r" (size));
	e = (struct cvm_lat_entry *)((char *)l->e + cvm_lat_hash(key) * size);
	__asm__("" : "+r" (e));
	if (unlikely(e->key != key))
		cvm_lat_add_slow(l, key, ns, b);
	else
		cvm_lat_record(e, ns, b);
}

/*
 * kvm_exit: start timing the exit @reason at @t (clock units) on @cpu; an
 * exit still pending (its entry never came: the VM's vCPU was reset by
 * userspace, say) is forgotten.
 */
static cvm_always_inline void cvm_lat_exit(struct cvm_lat *l, u64 reason,
					   u64 t, u32 cpu, const void *task)
{
	l->key = reason;
	l->t0 = t;
	l->cpu = cpu;
	l->task = task;
}

/* Whether an exit is pending. */
static inline bool cvm_lat_pending(const struct cvm_lat *l)
{
	return READ_ONCE(l->cpu) != CVM_LAT_NONE;
}

void cvm_lat_add_long(struct cvm_lat *l, u64 key, u64 d, u64 mult);

/*
 * Close the pending exit at @t: it took (t - t0) clock units, in ns
 * units * mult >> 32.  The common case (under 2^32 units: about a second)
 * is a subtraction, a multiplication and one histogram increment; a
 * negative, long or absurd pair goes to cvm_lat_add_long().
 */
static cvm_always_inline void cvm_lat_close(struct cvm_lat *l, u64 t, u64 mult)
{
	u64 d = t - l->t0;
	u64 key = l->key;
	u64 ns;

	l->cpu = CVM_LAT_NONE;
	if (unlikely(d >> 32)) {
		cvm_lat_add_long(l, key, d, mult);
		return;
	}
	/* mult <= 2^35 (CVM_LAT_MIN_KHZ): ns < 2^35 */
	ns = (u64)(((unsigned __int128)d * mult) >> 32);
	cvm_lat_add(l, key, ns, cvm_lat_bucket_fast(ns));
}

/*
 * kvm_entry at @t on @cpu.  False when the pending exit was stamped on
 * another CPU: the caller then asks whether the clock agrees between CPUs
 * (out of line) and calls cvm_lat_entry_moved().  One compare for both
 * that and "nothing pending" (CVM_LAT_NONE).
 */
static cvm_always_inline bool cvm_lat_entry(struct cvm_lat *l, u64 t, u32 cpu,
					    u64 mult)
{
	if (unlikely(cpu != l->cpu))
		return l->cpu == CVM_LAT_NONE;
	cvm_lat_close(l, t, mult);
	return true;
}

/*
 * SEV-ES/SNP and TDX: the code behind the pending exit's reason @reason,
 * known only from a later event of the same exit (the GHCB's exit code at
 * kvm_vmgexit_enter, the MSR protocol's request, a TDCALL's leaf at
 * kvm_userspace_exit): the exit is timed under it (class @cls) instead.
 * Once per exit: a key already refined stays.
 */
static inline void cvm_lat_refine(struct cvm_lat *l, u32 reason, u32 cls,
				  u64 code)
{
	u64 key = l->key;

	if (l->cpu == CVM_LAT_NONE || (u32)key != reason ||
	    (key & CVM_LAT_CLASS_MASK))
		return;
	if (code > 0xffffffffULL)
		code = 0xffffffffULL;
	l->key = (key & ~0xffffffffULL) | CVMSTAT_LAT_CLASS_KEY(cls) | code;
}

void cvm_lat_entry_moved(struct cvm_lat *l, u64 t, u64 mult, bool synced);
/* cycles -> ns multiplier (ns = cycles * mult >> 32) of a @khz clock */
u64 cvm_lat_mult(u32 khz);
void cvm_lat_clear(struct cvm_lat *l);
u64 cvm_lat_count(const struct cvm_lat_entry *e);
bool cvm_lat_copy_entry(const struct cvm_lat_entry *e,
			struct cvm_lat_entry *out, struct cvm_lat_entry *tmp,
			unsigned int tries);
bool cvm_lat_copy(const struct cvm_lat *l, struct cvm_lat *out,
		  struct cvm_lat_entry *tmp, unsigned int tries);
unsigned int cvm_lat_emit(const struct cvm_lat *l, u32 vcpu_id, u32 isa,
			  struct cvmstat_record *out);

/* Records one vCPU's times can take at most. */
#define CVM_LAT_MAX_RECORDS \
	(CVM_LAT_KEYS * (4 + CVM_LAT_BUCKETS) + 1 + CVM_LAT_LOST_NR)

#endif /* _CVMSTAT_CORE_LATENCY_H */

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
	u64 key;		/* 0: free (a used key always has bits 32+) */
	u64 count;
	u64 sum;
	u64 min;
	u64 max;
	u32 hist[CVM_LAT_BUCKETS];
};

/**
 * struct cvm_lat - one vCPU's exit-handling times
 * @pending: an exit was seen and its entry not yet
 * @cpu: CPU of the pending exit's timestamp
 * @t0: its timestamp (clock units, see @mult)
 * @key: its key (uapi CVMSTAT_LAT_KEY(), class REASON until refined, see
 *	cvm_lat_refine()), with CVM_LAT_USER_BIT once it left to userspace
 * @task: the thread that took it (kvm_userspace_exit finds the slot by it)
 * @lost: pairs not recorded, by enum cvm_lat_lost
 * @reset_ack: the counters' reset generation last applied here
 * @e: the entries, open addressing by key
 */
struct cvm_lat {
	u8 pending;
	u8 pad[3];
	u32 cpu;
	u64 t0;
	u64 key;
	const void *task;
	u64 lost[CVM_LAT_LOST_NR];
	struct cvm_lat_entry e[CVM_LAT_KEYS];
};

/* The bucket of @ns. */
static cvm_always_inline unsigned int cvm_lat_bucket(u64 ns)
{
	unsigned int p, i;

	if (ns < CVM_LAT_SUB)
		return (unsigned int)ns;
	p = 63 - __builtin_clzll(ns);		/* >= CVM_LAT_SUB_SHIFT */
	/*
	 * ((p - 3) << 4) | the 4 bits below the top one; the top 5 bits are
	 * 16 + those, so one addition makes it
	 */
	i = (unsigned int)(ns >> (p - CVM_LAT_SUB_SHIFT)) +
	    ((p - CVM_LAT_SUB_SHIFT) << CVM_LAT_SUB_SHIFT);
	return i < CVM_LAT_BUCKETS ? i : CVM_LAT_BUCKETS - 1;
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
		if (!e->key) {
			e->min = ~0ULL;
			WRITE_ONCE(e->key, key);
			return e;
		}
	}
	return NULL;
}

/* One more exit of @e that took @ns. */
static cvm_always_inline void cvm_lat_record(struct cvm_lat_entry *e, u64 ns)
{
	e->hist[cvm_lat_bucket(ns)]++;
	e->sum += ns;
	if (ns < e->min)
		e->min = ns;
	if (ns > e->max)
		e->max = ns;
	cvm_wmb();
	WRITE_ONCE(e->count, e->count + 1);
}

void cvm_lat_add_slow(struct cvm_lat *l, u64 key, u64 ns);

/*
 * Record one exit's handling time @ns (sane) under @key: its entry is at
 * its hash unless the table had a collision (cvm_lat_add_slow()).
 */
static cvm_always_inline void cvm_lat_add(struct cvm_lat *l, u64 key, u64 ns)
{
	struct cvm_lat_entry *e = &l->e[cvm_lat_hash(key)];

	/* one address computation, not one per field (gcc rematerialises) */
	__asm__("" : "+r" (e));
	if (unlikely(e->key != key))
		cvm_lat_add_slow(l, key, ns);
	else
		cvm_lat_record(e, ns);
}

/* kvm_exit: start timing the exit @key at @t (clock units) on @cpu. */
static cvm_always_inline void cvm_lat_exit(struct cvm_lat *l, u64 key, u64 t,
					   u32 cpu, const void *task)
{
	l->key = key;
	l->t0 = t;
	l->cpu = cpu;
	l->task = task;
	l->pending = 1;
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

	l->pending = 0;
	if (unlikely(d >> 32))
		cvm_lat_add_long(l, key, d, mult);
	else
		cvm_lat_add(l, key, (u64)(((unsigned __int128)d * mult) >> 32));
}

/*
 * kvm_entry at @t on @cpu.  False when the pending exit was stamped on
 * another CPU: the caller then asks whether the clock agrees between CPUs
 * (out of line) and calls cvm_lat_entry_moved().
 */
static cvm_always_inline bool cvm_lat_entry(struct cvm_lat *l, u64 t, u32 cpu,
					    u64 mult)
{
	if (!l->pending)
		return true;
	if (unlikely(cpu != l->cpu))
		return false;
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

	if (!l->pending || (u32)key != reason || (key & CVM_LAT_CLASS_MASK))
		return;
	if (code > 0xffffffffULL)
		code = 0xffffffffULL;
	l->key = (key & ~0xffffffffULL) | CVMSTAT_LAT_CLASS_KEY(cls) | code;
}

void cvm_lat_entry_moved(struct cvm_lat *l, u64 t, u64 mult, bool synced);
/* cycles -> ns multiplier (ns = cycles * mult >> 32) of a @khz clock */
u64 cvm_lat_mult(u32 khz);
void cvm_lat_clear(struct cvm_lat *l);
bool cvm_lat_copy_entry(const struct cvm_lat_entry *e,
			struct cvm_lat_entry *out, struct cvm_lat_entry *tmp,
			unsigned int tries);
unsigned int cvm_lat_emit(const struct cvm_lat *l, u32 vcpu_id,
			  struct cvmstat_record *out);

/* Records one vCPU's times can take at most. */
#define CVM_LAT_MAX_RECORDS \
	(CVM_LAT_KEYS * (4 + CVM_LAT_BUCKETS) + 1 + CVM_LAT_LOST_NR)

#endif /* _CVMSTAT_CORE_LATENCY_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counting core: which event updates which counter of one vCPU.
 *
 * Plain C without kernel dependencies, compiled into cvmstat.ko and into the
 * host unit tests (tests/unit/).  The hot-path functions are inline so that a
 * probe is one straight-line function.
 *
 * Concurrency: a struct cvm_stats is written only by its vCPU's thread
 * (probes run on it), so counters are plain increments with no barrier or
 * sequence counter on the hot path.  Counters only grow, so a reader that
 * copies them twice and finds both copies equal holds a consistent copy
 * (cvm_stats_copy).  A reset is requested by a reader and carried out by the
 * owner (cvm_apply_reset), never by two threads at once.
 */
#ifndef _CVMSTAT_CORE_COUNTERS_H
#define _CVMSTAT_CORE_COUNTERS_H

#include "env.h"
#include "../include/uapi/linux/cvmstat.h"
#include "haltpoll.h"

/*
 * Exit reasons go to a dense array when they are in one of the ranges that
 * occur in practice, else to a keyed table:
 *   VMX basic reasons 0..255 (no flag bits)   -> [0, 256)
 *   SVM exit codes 0..0xff                    -> [256, 512)
 *   SVM 0x400..0x40f (NPF, AVIC, VMGEXIT)     -> [512, 528)
 *   SVM_EXIT_ERR (-1)                         -> 528
 *   VMX -1u (TDX entry failure, KVM-made)     -> 529
 */
#define CVM_DENSE_SVM		256
#define CVM_DENSE_SVM_HI	512
#define CVM_DENSE_SVM_ERR	528
#define CVM_DENSE_VMX_ERR	529
#define CVM_NR_DENSE		530

/*
 * Keyed tables: log2 of their capacities.  Sized for a real guest, not for
 * a test loop: a Linux guest's boot alone touches about 220 MMIO addresses
 * (PCI configuration through ECAM, LAPIC, IOAPIC, HPET), 130 MSRs (MTRRs,
 * MCA banks, x2APIC) and 130 ports on its first vCPU, and the keys that
 * matter most (the timer and interrupt paths) come after boot.  At these
 * sizes such a guest fills a quarter of each table, so a new key finds
 * room within CVM_PROBE_LIMIT slots: no overflow.  The tables are fixed
 * (about 38 KiB per vCPU slot, see cvm_max_records()), so the hot path
 * indexes them at constant offsets with no pointer to follow, and no probe
 * ever allocates; memory is max_vcpus times that, known at load.
 */
#define CVM_REASON_X_SHIFT	4
#define CVM_VMGEXIT_SHIFT	6
#define CVM_GHCB_MSR_SHIFT	4
#define CVM_MMIO_SHIFT		10
#define CVM_MSR_SHIFT		9
#define CVM_PIO_SHIFT		9
#define CVM_TDX_LEAF_SHIFT	4

/*
 * A new key looks at this many consecutive slots from its hash position; if
 * none is free the event goes to the table's overflow counter.  Bounding the
 * probe keeps the worst case of a probe short when a guest touches more keys
 * than a table holds.
 */
#define CVM_PROBE_LIMIT		16

/* Tables, indexing struct cvm_counts.overflow. */
enum cvm_table {
	CVM_T_REASON_X,
	CVM_T_VMGEXIT,
	CVM_T_GHCB_MSR,
	CVM_T_MMIO,
	CVM_T_MSR,
	CVM_T_PIO,
	CVM_T_TDX_LEAF,
	CVM_T_NR,
};

/*
 * A keyed table is two arrays, keys and counts, so that both are indexed
 * with a scaled index.  A slot is in use when its count is not 0 (inserted
 * with 1, cleared only by a reset).
 */
#define CVM_TABLE(name, shift) \
	u64 name##_key[1 << (shift)]; u64 name##_count[1 << (shift)]

struct cvm_counts {
	u64 reason[CVM_NR_DENSE];
	u64 overflow[CVM_T_NR];
	CVM_TABLE(reason_x, CVM_REASON_X_SHIFT);
	CVM_TABLE(vmgexit, CVM_VMGEXIT_SHIFT);
	CVM_TABLE(ghcb_msr, CVM_GHCB_MSR_SHIFT);
	CVM_TABLE(mmio, CVM_MMIO_SHIFT);
	CVM_TABLE(msr, CVM_MSR_SHIFT);
	CVM_TABLE(pio, CVM_PIO_SHIFT);
	CVM_TABLE(tdx_leaf, CVM_TDX_LEAF_SHIFT);
	struct cvm_hp_counts hp;	/* halt polling (core/haltpoll.h) */
};

/* How a vCPU's MMIO accesses are observed; fixed when the vCPU is first seen. */
enum cvm_mmio_source {
	CVM_MMIO_FROM_TRACE = 0,	/* kvm_mmio / kvm_fast_mmio */
	CVM_MMIO_FROM_GHCB = 1,		/* SEV-ES/SNP: VMGEXIT MMIO requests */
};

/**
 * struct cvm_stats - one vCPU's counters and the state to update them.
 * @reset_req: bumped by a reader asking for a reset
 * @reset_ack: last request the owner carried out
 * @mmio_source: enum cvm_mmio_source
 * @c: the counters
 */
struct cvm_stats {
	u32 reset_req;
	u32 reset_ack;
	u8 mmio_source;
	u8 pad[7];
	struct cvm_counts c;
};

/* SEV-ES/SNP GHCB software exit codes the core needs (uapi asm/svm.h). */
#define CVM_VMGEXIT_MMIO_READ	0x80000001ULL
#define CVM_VMGEXIT_MMIO_WRITE	0x80000002ULL
#define CVM_GHCB_MSR_INFO_MASK	0xfffULL

/* kvm_mmio's type argument (include/trace/events/kvm.h) */
#define CVM_TRACE_MMIO_READ_UNSATISFIED	0
#define CVM_TRACE_MMIO_READ		1
#define CVM_TRACE_MMIO_WRITE		2

/*
 * Multiplicative (Fibonacci) hash of all 64 bits: MMIO keys of 64-bit BARs
 * differ only above bit 32 for equal offsets in different BARs.
 */
static inline u32 cvm_hash(u64 key, unsigned int shift)
{
	return (u32)((key * 0x9E3779B97F4A7C15ULL) >> (64 - shift));
}

void cvm_kv_insert(struct cvm_counts *c, enum cvm_table t, u64 key);

/*
 * Count @key in a keyed table.  Inline: the hit at the hash position, by
 * far the most common case; the rest (probing further, new keys, a full
 * table) is cvm_kv_insert().  An empty slot has key 0 and count 0, so
 * comparing the key alone is right: key 0 "hitting" an empty slot inserts
 * it.
 */
#define CVM_KV_INC(c, table, shift, key, t)				\
	do {								\
		u64 __k = (key);					\
		u32 __i = cvm_hash(__k, shift);				\
									\
		if (likely((c)->table##_key[__i] == __k))		\
			(c)->table##_count[__i]++;			\
		else							\
			cvm_kv_insert(c, t, __k);			\
	} while (0)

/* Dense index of an exit reason, or -1 if it belongs in the keyed table. */
static inline int cvm_reason_index(u32 isa, u32 reason)
{
	if (isa == CVMSTAT_ISA_SVM) {
		if (reason < 0x100)
			return CVM_DENSE_SVM + reason;
		if (reason - 0x400 < 0x10)
			return CVM_DENSE_SVM_HI + (reason - 0x400);
		if (reason == 0xffffffffU)
			return CVM_DENSE_SVM_ERR;
		return -1;
	}
	if (isa == CVMSTAT_ISA_VMX) {
		if (reason < 0x100)
			return reason;
		if (reason == 0xffffffffU)
			return CVM_DENSE_VMX_ERR;
	}
	return -1;
}

/*
 * Reset: a reader asks, the owner carries it out at a point where it does
 * not count (cvmstat.ko: on its way through the slow lookup path, which a
 * reset forces by emptying the per-CPU caches).
 */
static inline bool cvm_reset_pending(const struct cvm_stats *s)
{
	return READ_ONCE(s->reset_req) != READ_ONCE(s->reset_ack);
}

void cvm_apply_reset(struct cvm_stats *s);

/* Ask the owner to zero its counters before its next update. */
static inline void cvm_stats_request_reset(struct cvm_stats *s)
{
	WRITE_ONCE(s->reset_req, s->reset_req + 1);
}

static inline void cvm_count_reason(struct cvm_stats *s, u32 isa, u32 reason)
{
	int i = cvm_reason_index(isa, reason);

	if (likely(i >= 0))
		s->c.reason[i]++;
	else
		CVM_KV_INC(&s->c, reason_x, CVM_REASON_X_SHIFT,
			   CVMSTAT_REASON_KEY(isa, reason), CVM_T_REASON_X);
}

/*
 * The common case of cvm_on_exit() for SVM, small enough to inline into the
 * kvm_exit probe: codes below 0x100 and NPF/AVIC/VMGEXIT.  False: not
 * counted, call cvm_on_exit().
 */
static inline bool cvm_on_svm_exit_fast(struct cvm_stats *s, u64 code)
{
	/*
	 * Indexed from the range's first counter, whose offset then folds into
	 * the increment's displacement (an index sum cost an addition).
	 */
	if (likely(code < 0x100)) {
		(&s->c.reason[CVM_DENSE_SVM])[code]++;
		return true;
	}
	if (code - 0x400 < 0x10) {
		(&s->c.reason[CVM_DENSE_SVM_HI])[code - 0x400]++;
		return true;
	}
	return false;
}

/* Direction lives in the low two bits of MMIO, MSR and port keys. */
static inline u64 cvm_dir_key(u64 value, u32 dir)
{
	return value << 2 | dir;
}

/* KVM's 0/1 "is it a write" flags (kvm_msr, kvm_pio) to CVMSTAT_DIR_*. */
static inline u32 cvm_write_dir(u32 write)
{
	BUILD_BUG_ON_CORE(CVMSTAT_DIR_READ != 1 || CVMSTAT_DIR_WRITE != 2);
	return (write & 1) + 1;
}

static inline void cvm_count_mmio(struct cvm_stats *s, u64 gpa, u32 dir)
{
	CVM_KV_INC(&s->c, mmio, CVM_MMIO_SHIFT, cvm_dir_key(gpa, dir),
		   CVM_T_MMIO);
}

/* --- events, one function per tracepoint --- */

/* kvm_exit: the hardware (or, for TDX, KVM-remapped) exit reason. */
static inline void cvm_on_exit(struct cvm_stats *s, u32 isa, u32 reason)
{
	cvm_count_reason(s, isa, reason);
}

/*
 * kvm_mmio's type to a direction.  A read left to userspace fires
 * READ_UNSATISFIED and, when it completes, READ: only READ and WRITE count,
 * so each access counts once.  0: not to be counted.
 */
static inline u32 cvm_mmio_dir(u32 type)
{
	if (type == CVM_TRACE_MMIO_READ)
		return CVMSTAT_DIR_READ;
	if (type == CVM_TRACE_MMIO_WRITE)
		return CVMSTAT_DIR_WRITE;
	return 0;
}

/*
 * kvm_mmio, with @dir from cvm_mmio_dir().  SEV-ES/SNP vCPUs take MMIO from
 * the GHCB request instead, because KVM does not trace reads that userspace
 * completes there.
 */
static inline void cvm_on_mmio(struct cvm_stats *s, u32 dir, u64 gpa)
{
	if (s->mmio_source == CVM_MMIO_FROM_TRACE)
		cvm_count_mmio(s, gpa, dir);
}

/* kvm_fast_mmio: a zero-length ioeventfd write completed on the fast path. */
static inline void cvm_on_fast_mmio(struct cvm_stats *s, u64 gpa)
{
	if (s->mmio_source != CVM_MMIO_FROM_TRACE)
		return;
	cvm_count_mmio(s, gpa, CVMSTAT_DIR_WRITE);
}

/* kvm_msr: every RDMSR/WRMSR KVM handles, faulting ones included. */
static inline void cvm_on_msr(struct cvm_stats *s, u32 write, u32 index)
{
	CVM_KV_INC(&s->c, msr, CVM_MSR_SHIFT,
		   cvm_dir_key(index, cvm_write_dir(write)),
		   CVM_T_MSR);
}

/* kvm_pio: rw is KVM_PIO_IN (0) or KVM_PIO_OUT (1); one event per exit. */
static inline void cvm_on_pio(struct cvm_stats *s, u32 rw, u32 port)
{
	CVM_KV_INC(&s->c, pio, CVM_PIO_SHIFT,
		   cvm_dir_key(port & 0xffff, cvm_write_dir(rw)),
		   CVM_T_PIO);
}

/*
 * kvm_vmgexit_enter: the GHCB software exit code of a VMGEXIT (fired before
 * KVM validates it, so any value can come).  MMIO requests carry the GPA in
 * sw_exit_info_1.
 */
static inline void cvm_on_vmgexit(struct cvm_stats *s, u64 code, u64 info1)
{
	CVM_KV_INC(&s->c, vmgexit, CVM_VMGEXIT_SHIFT, code, CVM_T_VMGEXIT);
	if (s->mmio_source == CVM_MMIO_FROM_GHCB) {
		if (code == CVM_VMGEXIT_MMIO_READ)
			cvm_count_mmio(s, info1, CVMSTAT_DIR_READ);
		else if (code == CVM_VMGEXIT_MMIO_WRITE)
			cvm_count_mmio(s, info1, CVMSTAT_DIR_WRITE);
	}
}

/* kvm_vmgexit_msr_protocol_enter: request code = GHCBInfo, bits 11:0. */
static inline void cvm_on_ghcb_msr(struct cvm_stats *s, u64 ghcb_msr)
{
	CVM_KV_INC(&s->c, ghcb_msr, CVM_GHCB_MSR_SHIFT,
		   ghcb_msr & CVM_GHCB_MSR_INFO_MASK, CVM_T_GHCB_MSR);
}

/* TDX GHCI leaves (arch/x86/include/asm/shared/tdx.h) */
#define CVM_TDVMCALL_MAP_GPA		0x10001ULL
#define CVM_TDVMCALL_REPORT_FATAL_ERROR	0x10003ULL
/* include/uapi/linux/kvm.h, kvm_para.h */
#define CVM_KVM_EXIT_HYPERCALL		3
#define CVM_KVM_EXIT_SYSTEM_EVENT	24
#define CVM_KVM_EXIT_TDX		40
#define CVM_KVM_HC_MAP_GPA_RANGE	12
#define CVM_KVM_SYSTEM_EVENT_TDX_FATAL	7
#define CVM_VMX_EXIT_TDCALL		77

/**
 * cvm_tdx_leaf() - the GHCI leaf behind a TDX exit to userspace
 * @last_reason: the exit reason kvm_exit reported for this exit
 * @run_reason: kvm_run.exit_reason
 * @run_nr: kvm_run.tdx.nr, kvm_run.hypercall.nr or kvm_run.system_event.type
 *	(by @run_reason)
 *
 * KVM folds the GHCI leaves into reason 77 (TDCALL) and makes the leaf
 * visible only when it hands the call to userspace.  Return: the leaf, or 0
 * when this exit is not a TDCALL leaving to userspace.
 */
static inline u64 cvm_tdx_leaf(u32 last_reason, u32 run_reason, u64 run_nr)
{
	if (last_reason != CVM_VMX_EXIT_TDCALL)
		return 0;
	switch (run_reason) {
	case CVM_KVM_EXIT_TDX:
		return run_nr;
	case CVM_KVM_EXIT_HYPERCALL:
		return run_nr == CVM_KVM_HC_MAP_GPA_RANGE ? CVM_TDVMCALL_MAP_GPA : 0;
	case CVM_KVM_EXIT_SYSTEM_EVENT:
		return run_nr == CVM_KVM_SYSTEM_EVENT_TDX_FATAL ?
		       CVM_TDVMCALL_REPORT_FATAL_ERROR : 0;
	}
	return 0;
}

static inline void cvm_on_tdx_leaf(struct cvm_stats *s, u64 leaf)
{
	CVM_KV_INC(&s->c, tdx_leaf, CVM_TDX_LEAF_SHIFT, leaf, CVM_T_TDX_LEAF);
}

/* --- reader side --- */

/**
 * cvm_stats_copy() - one consistent copy of a vCPU's counters
 * @s: the live counters (written concurrently by their vCPU)
 * @out: the copy; all zero while a reset is pending
 * @scratch: room for a second copy
 * @tries: attempts before giving up
 *
 * Return: true on success, false if the writer kept changing them.
 */
bool cvm_stats_copy(const struct cvm_stats *s, struct cvm_counts *out,
		    struct cvm_counts *scratch, unsigned int tries);

/* Write one uapi record at @r; returns the next one. */
static inline struct cvmstat_record *cvm_put(struct cvmstat_record *r,
					     u32 vcpu_id, u16 kind, u8 dir,
					     u64 key, u64 count)
{
	r->vcpu_id = vcpu_id;
	r->kind = kind;
	r->dir = dir;
	r->pad = 0;
	r->key = key;
	r->count = count;
	return r + 1;
}

/**
 * cvm_counts_exits() - the exits counted (every exit reason, overflow too)
 * @c: counters, a copy or a live vCPU's (then a snapshot of no precision)
 */
u64 cvm_counts_exits(const struct cvm_counts *c);

/**
 * cvm_emit() - turn counters into uapi records
 * @c: a consistent copy
 * @vcpu_id: stored in every record
 * @vcpu_idx: key of the leading CVMSTAT_KIND_VCPU record
 * @out: room for at least cvm_max_records() records
 *
 * Return: the number of records written (a vCPU record, then one per nonzero
 * counter: reasons, VMGEXIT, GHCB MSR, MMIO, MSR, PIO, TDX leaves, overflows).
 */
unsigned int cvm_emit(const struct cvm_counts *c, u32 vcpu_id, u32 vcpu_idx,
		      struct cvmstat_record *out);

static inline unsigned int cvm_max_records(void)
{
	return 1 + CVM_NR_DENSE + CVM_T_NR +
	       (1 << CVM_REASON_X_SHIFT) + (1 << CVM_VMGEXIT_SHIFT) +
	       (1 << CVM_GHCB_MSR_SHIFT) + (1 << CVM_MMIO_SHIFT) +
	       (1 << CVM_MSR_SHIFT) + (1 << CVM_PIO_SHIFT) +
	       (1 << CVM_TDX_LEAF_SHIFT);
}

#endif /* _CVMSTAT_CORE_COUNTERS_H */

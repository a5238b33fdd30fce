// SPDX-License-Identifier: GPL-2.0
/*
 * Empty probes: what any consumer of a tracepoint costs at least, for the
 * cost test (tests/qemu/cost.sh) and the overhead benchmark.
 *
 * Module parameter floor (read at load, no ABI): a mask of the tracepoints
 * that get an empty probe, 1 kvm_exit, 2 kvm_entry, 4 kvm_userspace_exit,
 * 8 kvm_mmio, 16 kvm_fast_mmio, 32 kvm_msr, 64 kvm_pio (0x79: every
 * tracepoint counting binds on a plain host; 0x7f: and timing's).
 * With any bit set cvmstat binds those and nothing else: it counts and
 * times nothing, so the guest pays the tracepoint call alone.
 *
 * Module parameter timing_skip (read when timing is switched on, no ABI):
 * bit i leaves exit-handling time's probe i unbound (0 kvm_entry,
 * 1 kvm_userspace_exit), so the cost test can price each part of the
 * timing path; the times are then wrong.
 */
#include <linux/moduleparam.h>
#include "cvmstat.h"
#include "compat/compat.h"

static uint floor_mask;
module_param_named(floor, floor_mask, uint, 0444);
MODULE_PARM_DESC(floor, "Tests only: bind empty probes (1 kvm_exit, 2 kvm_entry, 4 kvm_userspace_exit, 8 kvm_mmio, 16 kvm_fast_mmio, 32 kvm_msr, 64 kvm_pio) and nothing else");

static uint timing_skip;
module_param(timing_skip, uint, 0644);
MODULE_PARM_DESC(timing_skip, "Tests only: timing probes left unbound (1 kvm_entry, 2 kvm_userspace_exit)");

static notrace void empty_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
}

#ifdef CVMSTAT_HAVE_KVM_ENTRY_2ARG
static notrace void empty_entry(void *data, struct kvm_vcpu *vcpu, bool f)
{
}
#else
static notrace void empty_entry(void *data, struct kvm_vcpu *vcpu)
{
}
#endif

static notrace void empty_userspace_exit(void *data, __u32 reason, int err)
{
}

static notrace void empty_mmio(void *data, int type, int len, u64 gpa,
			       void *val)
{
}

static notrace void empty_fast_mmio(void *data, u64 gpa)
{
}

static notrace void empty_msr(void *data, unsigned int write, u32 ecx, u64 val,
			      bool exc)
{
}

static notrace void empty_pio(void *data, unsigned int rw, unsigned int port,
			      unsigned int size, unsigned int count,
			      const void *val)
{
}

const struct cvm_probe cvm_floor_table[CVM_FLOOR_NR] = {
	{ "kvm_exit", empty_exit, true, NULL },
	{ "kvm_entry", empty_entry, true, NULL },
	{ "kvm_userspace_exit", empty_userspace_exit,
	  CVMSTAT_KNOWN_KVM_USERSPACE_EXIT, NULL },
	/* with the prototypes, and the conditions, of probes.c's */
	{ "kvm_mmio", empty_mmio, CVMSTAT_KNOWN_KVM_MMIO, NULL },
	{ "kvm_fast_mmio", empty_fast_mmio, true, NULL },
	{ "kvm_msr", empty_msr, true, NULL },
	{ "kvm_pio", empty_pio, true, NULL },
};

u32 cvm_floor(void)
{
	return floor_mask & ((1U << CVM_FLOOR_NR) - 1);
}

u32 cvm_timing_skip(void)
{
	return READ_ONCE(timing_skip);
}

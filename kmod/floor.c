// SPDX-License-Identifier: GPL-2.0
/*
 * Empty probes: what any consumer of a tracepoint costs at least, for the
 * cost test (tests/qemu/cost.sh) and the overhead benchmark.
 *
 * Module parameter floor (read at load, no ABI): a mask of the tracepoints
 * that get an empty probe, 1 kvm_exit, 2 kvm_entry, 4 kvm_userspace_exit.
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
MODULE_PARM_DESC(floor, "Tests only: bind empty probes (1 kvm_exit, 2 kvm_entry, 4 kvm_userspace_exit) and nothing else");

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

const struct cvm_probe cvm_floor_table[CVM_FLOOR_NR] = {
	{ "kvm_exit", empty_exit, true, NULL },
	{ "kvm_entry", empty_entry, true, NULL },
	{ "kvm_userspace_exit", empty_userspace_exit,
	  CVMSTAT_KNOWN_KVM_USERSPACE_EXIT, NULL },
};

u32 cvm_floor(void)
{
	return floor_mask & ((1U << CVM_FLOOR_NR) - 1);
}

u32 cvm_timing_skip(void)
{
	return READ_ONCE(timing_skip);
}

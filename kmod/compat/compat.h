/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernels cvmstat builds for, in one
 * place.  Each CVMSTAT_HAVE_* comes from a compile test (compat/tests/, run
 * by compat/Kbuild.include against the target's headers); no version numbers.
 */
#ifndef _CVMSTAT_COMPAT_H
#define _CVMSTAT_COMPAT_H

#include <linux/kvm_host.h>

/* Without get_exit_info of the known prototype no exit reason can be read. */
#ifndef CVMSTAT_HAVE_GET_EXIT_INFO
#error "cvmstat: kvm_x86_ops.get_exit_info has an unknown prototype"
#endif

/*
 * x86 VM type (KVM_X86_*_VM).  Kernels without kvm->arch.vm_type know only
 * plain and SEV/SEV-ES VMs; those are told apart by protected guest state.
 */
static inline int cvm_kvm_vm_type(struct kvm *kvm)
{
#ifdef CVMSTAT_HAVE_VM_TYPE
	return kvm->arch.vm_type;
#else
	return -1;
#endif
}

#ifdef CVMSTAT_HAVE_VM_TYPE
#define CVMSTAT_FEAT_VM_TYPE_IF		CVMSTAT_FEAT_VM_TYPE
#else
#define CVMSTAT_FEAT_VM_TYPE_IF		0
#endif

#ifdef CVMSTAT_HAVE_KVM_ENTRY_2ARG
#define CVMSTAT_FEAT_KVM_ENTRY_IF	CVMSTAT_FEAT_KVM_ENTRY_2ARG
#else
#define CVMSTAT_FEAT_KVM_ENTRY_IF	0
#endif

/* A TDX host: only then is kvm_userspace_exit worth its cost (GHCI leaves). */
static inline bool cvm_tdx_host(void)
{
#if defined(CVMSTAT_HAVE_TDX_HOST_FEATURE) && defined(CVMSTAT_HAVE_TDX_RUN)
	return boot_cpu_has(X86_FEATURE_TDX_HOST_PLATFORM);
#else
	return false;
#endif
}

/* kvm_run.tdx.nr, or 0 where the kernel has no TDX exits. */
static inline u64 cvm_run_tdx_nr(struct kvm_run *run)
{
#ifdef CVMSTAT_HAVE_TDX_RUN
	return run->tdx.nr;
#else
	return 0;
#endif
}

/*
 * Prototypes established by a compile test against a shipped declaration
 * (include/trace/events/kvm.h).  The events in arch/x86/kvm/trace.h are not
 * shipped in header packages; their prototypes (kvm_exit, kvm_fast_mmio,
 * kvm_msr, kvm_pio, kvm_vmgexit_*) have not changed from 5.18 to 7.1, and
 * the ones that did change (kvm_entry) are detected through a shipped witness.
 */
#ifdef CVMSTAT_HAVE_KVM_MMIO_PROTO
#define CVMSTAT_KNOWN_KVM_MMIO		true
#else
#define CVMSTAT_KNOWN_KVM_MMIO		false
#endif
#ifdef CVMSTAT_HAVE_KVM_USERSPACE_EXIT_PROTO
#define CVMSTAT_KNOWN_KVM_USERSPACE_EXIT true
#else
#define CVMSTAT_KNOWN_KVM_USERSPACE_EXIT false
#endif
#ifdef CVMSTAT_HAVE_GHCB
#define CVMSTAT_KNOWN_KVM_VMGEXIT	true
#else
#define CVMSTAT_KNOWN_KVM_VMGEXIT	false
#endif

/*
 * Halt polling: measured with both events' prototypes and the vCPU fields
 * their probes read; a VM's maximum set only where the VM fields and KVM's
 * VM-list lock have the shapes the module relies on.
 */
#if defined(CVMSTAT_HAVE_KVM_VCPU_WAKEUP_PROTO) && defined(CVMSTAT_HAVE_HALT_POLL_STATS)
#define CVMSTAT_KNOWN_KVM_VCPU_WAKEUP	true
#define CVMSTAT_FEAT_HALTPOLL_IF	CVMSTAT_FEAT_HALTPOLL
#else
#define CVMSTAT_KNOWN_KVM_VCPU_WAKEUP	false
#define CVMSTAT_FEAT_HALTPOLL_IF	0
#endif
#if defined(CVMSTAT_HAVE_KVM_HALT_POLL_NS_PROTO) && defined(CVMSTAT_HAVE_HALT_POLL_STATS)
#define CVMSTAT_KNOWN_KVM_HALT_POLL_NS	true
#else
#define CVMSTAT_KNOWN_KVM_HALT_POLL_NS	false
#endif

#endif /* _CVMSTAT_COMPAT_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * What the kvm_vcpu_wakeup probe reads of the vCPU it runs for: KVM's
 * generic halt-poll statistics (struct kvm_vcpu_stat_generic, upstream
 * v5.14), the poll window, and the guest's MSR_KVM_POLL_CONTROL (x86, v5.2).
 */
#include <linux/kvm_host.h>
u64 cvm_test(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_stat_generic *g = &vcpu->stat.generic;

	return g->halt_attempted_poll + g->halt_successful_poll +
	       g->halt_poll_success_ns + g->halt_poll_fail_ns +
	       g->halt_wait_ns + vcpu->halt_poll_ns +
	       (vcpu->arch.msr_kvm_poll_control & 1);
}

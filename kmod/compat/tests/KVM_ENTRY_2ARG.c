// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_entry gained a second argument (bool force_immediate_exit) in the same
 * change that gave kvm_x86_ops.vcpu_run a second argument (upstream
 * 9c9025ea003a, v6.9; later made u64 run_flags).  Both were backported to
 * stable series (Debian 6.1.192 has them), so the version number says
 * nothing: vcpu_run's arity is the shipped witness of kvm_entry's prototype.
 */
#include <linux/kvm_host.h>
void cvm_test(struct kvm_x86_ops *ops, struct kvm_vcpu *vcpu)
{
	ops->vcpu_run(vcpu, 0);
}

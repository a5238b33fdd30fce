// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_exit carries no reason; the event computes it with
 * kvm_x86_ops.get_exit_info.  Same prototype 6.1 (5.18) to 7.1.
 */
#include <linux/kvm_host.h>
void cvm_test(struct kvm_x86_ops *ops)
{
	void (*f)(struct kvm_vcpu *, u32 *, u64 *, u64 *, u32 *, u32 *) =
		ops->get_exit_info;
	(void)f;
}

// SPDX-License-Identifier: GPL-2.0
/* KVM_EXIT_TDX and kvm_run.tdx (TDX host support, upstream v6.16). */
#include <linux/kvm_host.h>
u64 cvm_test(struct kvm_run *run)
{
	return run->tdx.nr + KVM_EXIT_TDX;
}

// SPDX-License-Identifier: GPL-2.0
/* kvm_vmgexit_enter(vcpu_id, struct ghcb *): the probe reads the GHCB save area. */
#include <linux/kvm_host.h>
#include <asm/svm.h>
u64 cvm_test(struct ghcb *ghcb)
{
	return ghcb->save.sw_exit_code + ghcb->save.sw_exit_info_1;
}

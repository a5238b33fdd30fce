// SPDX-License-Identifier: GPL-2.0
/*
 * The exit reason.  kvm_exit passes (vcpu, isa) and computes the reason in
 * its own event code through kvm_x86_ops.get_exit_info, which KVM does not
 * export; the ops table is found by name when kvm.ko comes.
 */
#include <linux/uaccess.h>
#include "cvmstat.h"

static struct kvm_x86_ops *cvm_x86_ops;
u32 cvm_host_isa;
/* Set once a VMCB read disagreed with get_exit_info: never trust it again. */
bool cvm_svm_fast_broken;

int cvm_exit_reason_bind(void)
{
	cvm_x86_ops = (struct kvm_x86_ops *)cvm_kallsyms_lookup("kvm_x86_ops");
	if (!cvm_x86_ops) {
		pr_warn("kvm_x86_ops not found (CONFIG_KALLSYMS_ALL?): exit reasons unavailable\n");
		return -ENOENT;
	}
	return 0;
}

void cvm_exit_reason_unbind(void)
{
	cvm_x86_ops = NULL;
}

u32 cvm_exit_reason_slow(struct kvm_vcpu *vcpu)
{
	u32 reason = 0, intr_info, error_code;
	u64 info1, info2;

	READ_ONCE(cvm_x86_ops->get_exit_info)(vcpu, &reason, &info1, &info2,
					       &intr_info, &error_code);
	return reason;
}

/*
 * May this vCPU's exit code be read from its VMCB?  Only if the vendor
 * callback is SVM's own, and reading the VMCB the way cvm_svm_exit_code()
 * does, without faulting, gives what get_exit_info gives right now.
 * Runs once per vCPU, at its first exit.
 */
bool cvm_svm_fast_usable(struct kvm_vcpu *vcpu)
{
	unsigned long svm_fn = cvm_kallsyms_lookup("svm_get_exit_info");
	struct vmcb *vmcb;
	u64 code;

	/* The VMCB layout is architectural (AMD APM vol. 2, appendix B). */
	BUILD_BUG_ON(offsetof(struct vmcb, control.exit_code) != 0x70);

	if (READ_ONCE(cvm_svm_fast_broken) || !svm_fn ||
	    (unsigned long)READ_ONCE(cvm_x86_ops->get_exit_info) != svm_fn)
		return false;
	if (copy_from_kernel_nofault(&vmcb, (void *)(vcpu + 1), sizeof(vmcb)) ||
	    !virt_addr_valid(vmcb) ||
	    copy_from_kernel_nofault(&code, &vmcb->control.exit_code,
				     sizeof(code)))
		goto broken;
	if ((u32)code != cvm_exit_reason_slow(vcpu))
		goto broken;
	return true;
broken:
	WRITE_ONCE(cvm_svm_fast_broken, true);
	return false;
}

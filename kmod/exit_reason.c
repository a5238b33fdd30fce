// SPDX-License-Identifier: GPL-2.0
/*
 * The exit reason.  kvm_exit passes (vcpu, isa) and computes the reason in
 * its own event code through kvm_x86_ops.get_exit_info, which KVM does not
 * export; the ops table is found in kvm.ko's symbol table (symbols.c) when
 * kvm.ko comes.
 *
 * On SVM the reason can be read from the VMCB instead of calling
 * get_exit_info, once per vCPU checked against it.  That is allowed only
 * while get_exit_info is svm_get_exit_info, which is decided in process
 * context whenever a module goes live or away (the vendor module fills
 * kvm_x86_ops in its init, after kvm.ko came): cvm_svm_gei holds that
 * address or 0.  A probe only compares it, never looks a symbol up.
 */
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include "cvmstat.h"

static struct kvm_x86_ops *cvm_x86_ops;
static unsigned long cvm_svm_gei;
u32 cvm_host_isa;
/* Set once a VMCB read disagreed with get_exit_info: never trust it again. */
bool cvm_svm_fast_broken;

void cvm_exit_reason_bind(struct kvm_x86_ops *ops)
{
	WRITE_ONCE(cvm_x86_ops, ops);
	cvm_exit_reason_refresh();
}

void cvm_exit_reason_unbind(void)
{
	WRITE_ONCE(cvm_svm_gei, 0);
	WRITE_ONCE(cvm_x86_ops, NULL);
}

/* Process context, cvm_bind_mutex held: a vendor module came or went. */
void cvm_exit_reason_refresh(void)
{
	unsigned long fn = cvm_exit_reason_fn();

	WRITE_ONCE(cvm_svm_gei, cvm_is_svm_get_exit_info(fn) ? fn : 0);
}

/* The current get_exit_info, 0 if none. */
unsigned long cvm_exit_reason_fn(void)
{
	struct kvm_x86_ops *ops = READ_ONCE(cvm_x86_ops);

	return ops ? (unsigned long)READ_ONCE(ops->get_exit_info) : 0;
}

void cvm_exit_reason_show(struct seq_file *m)
{
	seq_printf(m, "kvm_x86_ops %px\n", READ_ONCE(cvm_x86_ops));
	seq_printf(m, "svm_get_exit_info %px\n",
		   (void *)READ_ONCE(cvm_svm_gei));
}

/*
 * Called only from the kvm_exit probe, which KVM fires for @vcpu: the ops
 * table is bound (probes are bound after it and unbound before it goes).
 */
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
 * Runs once per vCPU, at its first exit (in the probe: no lookup here).
 */
bool cvm_svm_fast_usable(struct kvm_vcpu *vcpu)
{
	unsigned long svm_fn = READ_ONCE(cvm_svm_gei);
	struct vmcb *vmcb;
	u64 code;

	/* The VMCB layout is architectural (AMD APM vol. 2, appendix B). */
	BUILD_BUG_ON(offsetof(struct vmcb, control.exit_code) != 0x70);

	if (READ_ONCE(cvm_svm_fast_broken) || !svm_fn ||
	    cvm_exit_reason_fn() != svm_fn)
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
	cvm_svm_fast_disable_all();
	return false;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU destruction.  KVM has no tracepoint for it, and a destroyed
 * VM's memory is soon reused by the next one: without this, a new VM could
 * inherit an old one's slot.  kprobes on the arch hooks that KVM calls
 * before freeing (both global functions in kvm.ko, called from kvm_main.c,
 * so not inlined into their callers by a build without LTO) detach the
 * slots first.  Should a hook not fire anyway (kprobes disarmed through
 * debugfs, an LTO build that inlined a copy), registry.c notices the reused
 * object and retires the old VM, counted as lifetime_missed.
 */
#include <linux/kprobes.h>
#include "cvmstat.h"

static int vcpu_destroy_pre(struct kprobe *p, struct pt_regs *regs)
{
	cvm_vcpu_destroyed((struct kvm_vcpu *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static int vm_destroy_pre(struct kprobe *p, struct pt_regs *regs)
{
	cvm_vm_destroyed((struct kvm *)regs_get_kernel_argument(regs, 0));
	return 0;
}

static struct kprobe kp_vcpu = {
	.symbol_name = "kvm_arch_vcpu_destroy",
	.pre_handler = vcpu_destroy_pre,
};

static struct kprobe kp_vm = {
	.symbol_name = "kvm_arch_destroy_vm",
	.pre_handler = vm_destroy_pre,
};

static struct kprobe *kps[] = { &kp_vm, &kp_vcpu };

/* Called when kvm.ko comes; the kprobes go away with it. */
int cvm_lifetime_bind(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(kps); i++) {
		/* a kprobe cannot be registered twice without a reset */
		kps[i]->addr = NULL;
		kps[i]->flags = 0;
	}
	ret = register_kprobes(kps, ARRAY_SIZE(kps));
	if (ret) {
		pr_warn("cannot hook VM destruction (%d): not counting\n", ret);
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(kps); i++) {
		if (kprobe_disabled(kps[i])) {
			pr_warn("%s: kprobe disabled: not counting\n",
				kps[i]->symbol_name);
			unregister_kprobes(kps, ARRAY_SIZE(kps));
			return -EBUSY;
		}
	}
	return 0;
}

void cvm_lifetime_unbind(void)
{
	unregister_kprobes(kps, ARRAY_SIZE(kps));
}

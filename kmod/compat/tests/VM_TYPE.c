// SPDX-License-Identifier: GPL-2.0
/* kvm->arch.vm_type (KVM_X86_*_VM), upstream v6.8 (SW_PROTECTED), SEV/SNP 6.10. */
#include <linux/kvm_host.h>
unsigned long cvm_test(struct kvm *kvm)
{
	return kvm->arch.vm_type;
}

// SPDX-License-Identifier: GPL-2.0
/* Must always compile: proves the compile tests themselves work. */
#include <linux/kvm_host.h>
int cvm_test(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id;
}

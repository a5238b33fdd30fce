// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's own maximum poll window, set as KVM_CAP_HALT_POLL does: the value
 * and the flag that makes it count instead of the global halt_poll_ns
 * (kvm->override_halt_poll_ns, upstream v6.3, in 6.1.y stable), found
 * alive in KVM's VM list under kvm_lock, the mutex its destruction takes
 * (names and types from the shipped declarations; the addresses come from
 * kvm.ko's symbol table at run time).
 */
#include <linux/kvm_host.h>
bool cvm_test(struct kvm *kvm, struct mutex **lock, struct list_head **list)
{
	struct kvm *k;
	unsigned int *max = &kvm->max_halt_poll_ns;
	bool *override = &kvm->override_halt_poll_ns;

	*lock = &kvm_lock;
	*list = &vm_list;
	list_for_each_entry(k, *list, vm_list)
		if (k == kvm)
			break;
	*max = 0;
	*override = true;
	return refcount_read(&kvm->users_count);
}

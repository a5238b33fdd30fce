// SPDX-License-Identifier: GPL-2.0
/*
 * KVM symbols cvmstat needs and KVM does not export, resolved in process
 * context when kvm.ko (or a vendor module) comes, never in a probe, and
 * without calling into kernel text:
 *
 *   kvm_x86_ops       (kvm.ko data) whose get_exit_info gives the exit reason
 *   kvm_running_vcpu  (kvm.ko per-CPU data) the vCPU KVM runs on this CPU,
 *                     which attributes events that carry no vCPU
 *
 * Both are read from kvm.ko's own symbol table (core/symtab.h says why not
 * kallsyms_lookup_name).  The one function address cvmstat cares about,
 * svm_get_exit_info, is never called by us through a looked-up address: it
 * is only compared with kvm_x86_ops.get_exit_info after sprint_symbol() has
 * named that pointer, so the only indirect call cvmstat makes into KVM is
 * the one KVM itself makes, through the ops table, to a function entry
 * (ENDBR and kCFI hash in place).
 */
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include "cvmstat.h"
#include "core/symtab.h"

struct kvm_vcpu * __percpu *cvm_running_vcpu __read_mostly;

/*
 * A data symbol of @mod.  The module is alive (we are in its notifier);
 * its kallsyms pointer moves from the load-time table to the core one once
 * its init has run and is RCU-protected (plain RCU in newer kernels, RCU-sched
 * in older ones: hold both).
 */
unsigned long cvm_module_data_symbol(struct module *mod, const char *name)
{
	struct mod_kallsyms *ks;
	unsigned long v;

	rcu_read_lock();
	preempt_disable();
	ks = rcu_dereference_raw(mod->kallsyms);
	v = cvm_symtab_find(ks->symtab, ks->num_symtab, ks->strtab, name,
			    STT_OBJECT);
	preempt_enable();
	rcu_read_unlock();
	return v;
}

int cvm_symbols_bind(struct module *kvm)
{
	unsigned long ops = cvm_module_data_symbol(kvm, "kvm_x86_ops");
	unsigned long running = cvm_module_data_symbol(kvm, "kvm_running_vcpu");

	if (!ops || !running) {
		pr_warn("kvm.ko symbols not found (kvm_x86_ops %s, kvm_running_vcpu %s; CONFIG_KALLSYMS_ALL?): not counting\n",
			ops ? "ok" : "missing", running ? "ok" : "missing");
		return -ENOENT;
	}
	cvm_exit_reason_bind((struct kvm_x86_ops *)ops);
	WRITE_ONCE(cvm_running_vcpu, (struct kvm_vcpu * __percpu *)running);
	return 0;
}

void cvm_symbols_unbind(void)
{
	WRITE_ONCE(cvm_running_vcpu, NULL);
	cvm_exit_reason_unbind();
}

/*
 * Is @fn the entry of svm_get_exit_info in kvm_amd?  sprint_symbol() names
 * an address as "name+0xoff/0xsize [module]" (a direct call to an exported
 * function): offset 0 means the exact start of the symbol.
 */
bool cvm_is_svm_get_exit_info(unsigned long fn)
{
	static const char want[] = "svm_get_exit_info+0x0/";
	char buf[KSYM_SYMBOL_LEN];
	size_t n;

	if (!fn)
		return false;
	sprint_symbol(buf, fn);
	n = strlen(buf);
	return !strncmp(buf, want, sizeof(want) - 1) && n > 10 &&
	       !strcmp(buf + n - 10, " [kvm_amd]");
}

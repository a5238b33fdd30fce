/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cvmstat.ko internals shared between its files.
 *
 * Architecture:
 *   tpbind.c    binds probes to kvm.ko's tracepoints by name when kvm.ko
 *               comes and unbinds them when it goes (tracepoint notifier)
 *   probes.c    the probe bodies: find the vCPU's slot, update its counters
 *   exit_reason.c  reads the exit reason kvm_exit does not pass
 *   registry.c  VM and vCPU slots: preallocated pools, lookup, first sight
 *   lifetime.c  sees VMs and vCPUs being destroyed (kprobes), so a freed
 *               struct kvm/kvm_vcpu is never mistaken for a new one
 *   chardev.c   /dev/cvmstat and its ioctls
 *   core/       the counting logic, shared with the host unit tests
 */
#ifndef _CVMSTAT_H
#define _CVMSTAT_H

#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <asm/svm.h>
#include "core/counters.h"

struct cvm_vm {
	struct list_head node;		/* cvm_vm_list, oldest first */
	struct list_head vcpus;		/* struct cvm_vcpu.vm_node */
	struct kvm *kvm;		/* compared only; NULL once destroyed */
	u64 id;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	u32 type;			/* enum cvmstat_vm_type */
	u32 nr_vcpus;
	u32 pinned;			/* readers copying it: not evicted */
	bool alive;
	u64 first_ns;
	u64 exit_ns;
};

/*
 * One vCPU.  @stats is written only by the vCPU's thread; the rest is
 * written under cvm_lock and read by probes without it.
 */
struct cvm_vcpu {
	struct cvm_stats stats;
	struct kvm_vcpu *vcpu;		/* compared only; NULL once destroyed */
	struct task_struct *task;	/* thread last seen running it */
	struct cvm_vm *vm;
	struct hlist_node vcpu_node;	/* cvm_vcpu_hash */
	struct hlist_node task_node;	/* cvm_task_hash */
	struct list_head vm_node;	/* vm->vcpus, or the free list */
	u32 vcpu_id;
	u32 vcpu_idx;
	u8 isa;
	bool reason_fast;		/* exit reason read from the VMCB */
	bool tdx;
	/* phase boundaries, written by the owner (registry.c) */
	u64 attached_seq;		/* last mark before the vCPU was seen */
	u64 phase_seen;			/* last mark its slow path went past */
	u64 boundary_from;		/* boundary holds marks (from, seq] */
	u64 boundary_seq;
} ____cacheline_aligned;

/* Per CPU: the slot of the vCPU whose exit this CPU saw last. */
struct cvm_cpu_cache {
	struct kvm_vcpu *vcpu;
	struct task_struct *task;
	struct cvm_vcpu *slot;
	u64 unattributed;
};
DECLARE_PER_CPU(struct cvm_cpu_cache, cvm_cache);

extern unsigned int cvm_max_vms;
extern unsigned int cvm_max_vcpus;

/* registry.c */
int cvm_registry_init(void);
void cvm_registry_exit(void);
struct cvm_vcpu *cvm_lookup_exit_slow(struct kvm_vcpu *vcpu, u32 isa);
struct cvm_vcpu *cvm_lookup_task_slow(void);
void cvm_vcpu_destroyed(struct kvm_vcpu *vcpu);
void cvm_vm_destroyed(struct kvm *kvm);
int cvm_list_vms(struct cvmstat_vm_info *out, u32 nr, u32 *total);
struct cvm_vm *cvm_vm_pin(u64 vm_id);
void cvm_vm_unpin(struct cvm_vm *vm);
int cvm_vm_vcpus(struct cvm_vm *vm, struct cvm_vcpu **out, u32 nr);
int cvm_reset(u64 vm_id, bool all);
void cvm_registry_stats(u32 *nr_vms, u64 *untracked_vms,
			u64 *untracked_vcpus, u64 *unattributed);

/* exit_reason.c */
int cvm_exit_reason_bind(void);
void cvm_exit_reason_unbind(void);
u32 cvm_exit_reason_slow(struct kvm_vcpu *vcpu);
bool cvm_svm_fast_usable(struct kvm_vcpu *vcpu);
extern u32 cvm_host_isa;
extern bool cvm_svm_fast_broken;

/*
 * Reads SVM's exit code straight from the VMCB: struct vcpu_svm starts with
 * struct kvm_vcpu followed by the current VMCB pointer, and exit_code is at a
 * fixed offset of the architectural VMCB.  Only used for vCPUs on which
 * cvm_svm_fast_usable() checked it against get_exit_info; it saves an
 * indirect call per exit.
 */
static __always_inline u32 cvm_svm_exit_code(struct kvm_vcpu *vcpu)
{
	struct vmcb *vmcb = *(struct vmcb **)(vcpu + 1);

	return (u32)vmcb->control.exit_code;
}

/* kallsyms.c */
int cvm_kallsyms_init(void);
unsigned long cvm_kallsyms_lookup(const char *name);

/* lifetime.c */
int cvm_lifetime_bind(void);
void cvm_lifetime_unbind(void);

/* tpbind.c */
int cvm_tpbind_init(void);
void cvm_tpbind_exit(void);
u32 cvm_probes_known(void);
u32 cvm_probes_bound(void);
bool cvm_lifetime_ok(void);

/* probes.c: the table tpbind.c binds */
struct cvm_probe {
	const char *name;
	void *func;
	bool known;		/* prototype established for this kernel */
	bool (*wanted)(void);	/* NULL: always; else bind only if true */
};
extern const struct cvm_probe cvm_probe_table[CVMSTAT_PROBE_NR];

/* phase.c */
extern int cvm_phase_port;
extern u64 cvm_phase_seq;
u64 cvm_phase_mark(u32 source, u64 vm_id, u32 vcpu_id, u32 value,
		   const char *name);
void cvm_phase_mark_guest(struct cvm_vcpu *s, const void *val);
u32 cvm_phase_list(u64 after, struct cvmstat_phase *out, u32 nr, u64 *last,
		   u32 *lost);
void cvm_phase_poll_wait(struct file *file, poll_table *wait);
void cvm_phase_exit(void);

/* registry.c: phase boundaries */
void cvm_uncache_all(void);
int cvm_boundaries_enable(void);
bool cvm_boundary_copy(struct cvm_vcpu *s, u64 phase, struct cvm_counts *out);

/* chardev.c */
int cvm_chardev_init(void);
void cvm_chardev_exit(void);

#endif /* _CVMSTAT_H */

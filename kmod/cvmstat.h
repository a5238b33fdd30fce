/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cvmstat.ko internals shared between its files.
 *
 * Architecture:
 *   tpbind.c    binds probes to kvm.ko's tracepoints by name when kvm.ko
 *               comes and unbinds them when it goes (tracepoint notifier)
 *   probes.c    the probe bodies: find the vCPU's slot, update its counters
 *   symbols.c   finds the KVM data cvmstat needs in kvm.ko's symbol table
 *   exit_reason.c  reads the exit reason kvm_exit does not pass
 *   latency.c   exit-handling time (kvm_exit to kvm_entry), switched on
 *               and off at run time; its probes and memory
 *   registry.c  VM and vCPU slots: preallocated pools, lookup, first sight,
 *               phase boundaries and snapshots taken by the owning vCPU
 *   lifetime.c  sees VMs and vCPUs being destroyed (kprobes), so a freed
 *               struct kvm/kvm_vcpu is never mistaken for a new one
 *   phase.c     phase marks from the host and, opted in, from guests
 *   haltpoll.c  halt polling: measured per vCPU, a VM's maximum read and
 *               set under KVM's VM-list lock, the log of changes
 *   chardev.c   /dev/cvmstat and its ioctls
 *   debugfs.c   what the tests inspect that is no ABI
 *   floor.c     empty probes: the floor of any tracepoint consumer (tests)
 *   core/       the counting logic (exits, halt polling, the latency
 *               histograms) and the symbol-table walk, shared with the host
 *               unit tests
 */
#ifndef _CVMSTAT_H
#define _CVMSTAT_H

#include <linux/jump_label.h>
#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <asm/svm.h>
#include <asm/tsc.h>
#include "core/counters.h"
#include "core/latency.h"

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
	bool partial;			/* a vCPU was counted after its 1st exit */
	bool stale;			/* retired: KVM destroyed it unseen */
	bool guest_marks;		/* a reader opted its guest marks in */
	u64 first_ns;
	u64 exit_ns;
	/* guest phase marks (phase.c, under phase_lock but for the reads) */
	u64 guest_mark_seq;		/* its latest guest mark */
	u64 gm_window_ns;		/* rate limit: window start ... */
	u32 gm_in_window;		/* ... and marks made in it */
	u64 gm_dropped;			/* over the rate limit, or not opted in */
	struct cvm_hp_vm hp;		/* its maximum poll window (haltpoll.c) */
};

/*
 * One vCPU.  @stats and the fields marked "owner" are written only by the
 * thread running the vCPU (probes run on it, with KVM's vcpu->mutex held);
 * the rest is written under cvm_lock and read by probes without it.
 */
struct cvm_vcpu {
	/* what every probe reads first, in one cache line with the reasons */
	struct kvm_vcpu *vcpu;		/* compared only; CVM_NO_VCPU once
					 * destroyed */
	bool reason_fast;		/* exit reason read from the VMCB */
	bool tdx;
	u8 isa;
	struct cvm_stats stats;
	struct cvm_vm *vm;
	struct cvm_lat *lat;		/* exit-handling time while on, else
					 * NULL (latency.c) */
	struct hlist_node vcpu_node;	/* vcpu_hash */
	struct hlist_node task_node;	/* task_hash (TDX vCPUs only) */
	struct list_head vm_node;	/* vm->vcpus, or the free list */
	struct task_struct *task;	/* TDX: thread of its last exit */
	u32 vcpu_id;
	u32 vcpu_idx;
	/* owner */
	u64 kvm_exits;			/* vcpu->stat.exits at its last slow path */
	struct kvm_run *tdcall_run;	/* TDX: run page of a pending TDCALL exit */
	/* phase boundaries and snapshots, written by the owner (registry.c) */
	u64 attached_seq;		/* last mark before the vCPU was seen */
	u64 phase_seen;			/* last mark its slow path went past */
	u64 boundary_from;		/* boundary holds marks (from, seq] */
	u64 boundary_seq;
	u64 snap_req;			/* reader: snapshot wanted (registry.c) */
	u64 snap_done;			/* owner: snapshot taken */
	struct cvm_hp_owner hp;		/* owner: halt polling (haltpoll.c) */
} ____cacheline_aligned;

/*
 * Per CPU: the slot of the vCPU whose event this CPU saw last (never NULL).
 * A probe trusts it only if the slot's own vcpu is the vCPU KVM runs, which
 * holds wherever the thread has migrated to between the two reads: the
 * slot pointer is a hint, the slot's vcpu the proof.
 */
struct cvm_cpu_cache {
	struct cvm_vcpu *slot;
	u64 unattributed;
};

/*
 * Slow paths take the probe's own parameters (and more) in the same
 * registers and are kept from being specialised (noipa where the compiler
 * has it), so a probe reaches them with a bare jump and its fast path needs
 * no stack frame and moves no argument.
 */
#if __has_attribute(__noipa__)
#define cvm_slow_path	noinline notrace __attribute__((__noipa__))
#else
#define cvm_slow_path	noinline notrace
#endif

/* A slot's vcpu when it names none: never equal to a vCPU, nor to NULL. */
#define CVM_NO_VCPU	((struct kvm_vcpu *)-1L)
DECLARE_PER_CPU(struct cvm_cpu_cache, cvm_cache);

extern unsigned int cvm_max_vms;
extern unsigned int cvm_max_vcpus;

/* registry.c */
int cvm_registry_init(void);
void cvm_registry_exit(void);
struct cvm_vcpu *cvm_lookup_exit_slow(struct kvm_vcpu *vcpu, u32 isa);
/* Preemption off: */
struct cvm_vcpu *cvm_lookup_running_slow(struct kvm_vcpu *vcpu);
void cvm_tdx_exit(struct cvm_vcpu *s, struct kvm_vcpu *vcpu, u32 reason);
struct cvm_vcpu *cvm_tdx_slot_of_current(void);
void cvm_vcpu_destroyed(struct kvm_vcpu *vcpu);
void cvm_vm_destroyed(struct kvm *kvm);
int cvm_list_vms(struct cvmstat_vm_info *out, u32 nr, u32 *total);
struct cvm_vm *cvm_vm_pin(u64 vm_id);
void cvm_vm_unpin(struct cvm_vm *vm);
int cvm_vm_vcpus(struct cvm_vm *vm, struct cvm_vcpu **out, u32 nr);
int cvm_snapshot(struct cvm_vcpu *s, struct cvm_counts *out,
		 struct cvm_counts *scratch);
/* How reads of a vCPU went (debugfs cvmstat/readers). */
struct cvm_reader_stats {
	u64 at_once;		/* two copies agreed within copy_tries */
	u64 by_owner;		/* the vCPU copied itself */
	u64 by_copies;		/* two copies agreed while waiting */
	u64 timeouts;		/* -EAGAIN */
};
extern struct cvm_reader_stats cvm_reader_stats;
int cvm_reset(u64 vm_id, bool all);
/* a file's guest-mark selection: 0 none, a VMM pid, or all VMs */
#define CVM_GM_ALL	((pid_t)-1)
int cvm_guest_marks_select(pid_t old, pid_t new);
void cvm_svm_fast_disable_all(void);
/* Preemption off: */
struct cvm_vcpu *cvm_lookup_entry_slow(struct kvm_vcpu *vcpu);
void cvm_registry_set_lat(struct cvm_lat *pool);
struct cvm_vcpu *cvm_slot_by_index(unsigned int i);

struct cvm_registry_stats {
	u32 nr_vms;
	u64 untracked_vms;
	u64 untracked_vcpus;
	u64 unattributed;
	u64 lifetime_missed;
};
void cvm_registry_stats(struct cvm_registry_stats *st);

/* symbols.c */
extern struct kvm_vcpu * __percpu *cvm_running_vcpu;
unsigned long cvm_module_data_symbol(struct module *mod, const char *name);
int cvm_symbols_bind(struct module *kvm);
void cvm_symbols_unbind(void);
bool cvm_is_svm_get_exit_info(unsigned long fn);

/* debugfs.c */
void cvm_debugfs_init(void);
void cvm_debugfs_exit(void);

/* exit_reason.c */
struct seq_file;
void cvm_exit_reason_bind(struct kvm_x86_ops *ops);
void cvm_exit_reason_unbind(void);
void cvm_exit_reason_refresh(void);
unsigned long cvm_exit_reason_fn(void);
void cvm_exit_reason_show(struct seq_file *m);
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
static __always_inline u64 cvm_svm_exit_code(struct kvm_vcpu *vcpu)
{
	struct vmcb *vmcb = *(struct vmcb **)(vcpu + 1);

	/*
	 * exit_code is a u32 (beside exit_code_hi) in older kernels' struct
	 * vmcb_control_area and a u64 in newer ones; as a u64 either way, the
	 * fast path compares and indexes with it as loaded (SVM_EXIT_ERR, -1,
	 * is no fast code in either width), where a u32 of the u64 field cost
	 * a zero-extension per exit.
	 */
	return vmcb->control.exit_code;
}

/* lifetime.c */
int cvm_lifetime_bind(void);
void cvm_lifetime_unbind(void);

/* tpbind.c */
int cvm_tpbind_init(void);
void cvm_tpbind_timing(bool on);
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

/* floor.c: empty probes, bound instead of everything with floor=MASK */
#define CVM_FLOOR_NR	7
extern const struct cvm_probe cvm_floor_table[CVM_FLOOR_NR];
u32 cvm_floor(void);
u32 cvm_timing_skip(void);

/*
 * latency.c: the probes bound while exit-handling time is on, and the
 * branch in the kvm_exit probe that stamps exits then (probes.c).
 */
#define CVM_TIMING_NR	2
DECLARE_STATIC_KEY_FALSE(cvm_timing);

/*
 * The clock of exit-handling time: the TSC (latency.c says why), one
 * instruction.
 */
static __always_inline u64 cvm_clock(void)
{
	return rdtsc();
}
extern const struct cvm_probe cvm_timing_table[CVM_TIMING_NR];
int cvm_latency_init(void);
void cvm_latency_exit(void);
int cvm_latency_set(bool on);
bool cvm_latency_on(u64 *bytes);
void cvm_latency_lock(void);
void cvm_latency_unlock(void);
int cvm_latency_records(struct cvm_vcpu *s, struct cvm_lat *scratch,
			struct cvmstat_record *out);

/* phase.c */
extern int cvm_phase_port;
extern u64 cvm_phase_seq;
extern u64 cvm_host_mark_seq;
u64 cvm_phase_mark_host(const char *name);
void cvm_phase_mark_guest(struct cvm_vcpu *s, const void *val);
u32 cvm_phase_list(u64 after, struct cvmstat_phase *out, u32 nr, u64 *last,
		   u32 *lost);
void cvm_phase_poll_wait(struct file *file, poll_table *wait);
void cvm_phase_exit(void);

/* registry.c: phase boundaries */
void cvm_uncache_all(void);
void cvm_uncache_vm(struct cvm_vm *vm);
int cvm_boundaries_enable(void);
bool cvm_boundary_copy(struct cvm_vcpu *s, u64 phase, struct cvm_counts *out);

/* haltpoll.c */
void cvm_hp_vm_attach(struct cvm_vm *vm, struct kvm *kvm);
void cvm_hp_vcpu_attach(struct cvm_vcpu *s, struct kvm_vcpu *vcpu);
void cvm_hp_owner_sync(struct cvm_vcpu *s, struct kvm_vcpu *vcpu, bool reset);
void cvm_hp_wakeup(struct cvm_vcpu *s, u64 halt_ns, bool valid);
void cvm_hp_adapt(struct cvm_vcpu *s, bool grow, u32 new, u32 old);
void cvm_hp_bind(struct module *kvm);
void cvm_hp_unbind(void);
bool cvm_hp_vm_ok(void);
long cvm_hp_ioc_vm(void __user *arg);
long cvm_hp_ioc_set(void __user *arg);
long cvm_hp_ioc_events(void __user *arg);

/* chardev.c */
int cvm_chardev_init(void);
void cvm_chardev_exit(void);

/*
 * The oldest entry a reader who saw up to @after (< @last) can still get
 * from a ring of @size entries whose newest is @last: entries after
 * @after, or the ring's oldest if the writer has lapped the reader (the
 * difference is what the reader lost).  Used by the phase marks and the
 * halt-poll log.
 */
static inline u64 cvm_ring_first(u64 after, u64 last, u64 size)
{
	return last >= size && after + 1 <= last - size ? last - size + 1
							 : after + 1;
}

#endif /* _CVMSTAT_H */

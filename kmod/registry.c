// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU slots.
 *
 * Slots come from pools allocated at load (module parameters max_vms and
 * max_vcpus), so no probe ever allocates.  A vCPU gets a slot at its first
 * exit; from then on probes find it through a per-CPU cache keyed by the
 * struct kvm_vcpu * KVM runs on that CPU (kvm_exit's argument, or KVM's own
 * kvm_running_vcpu for events without one) and, on a miss, through a hash by
 * struct kvm_vcpu * walked without a lock.  Slots are never freed while the
 * module is loaded, so a lockless walk is always memory-safe; a walk that
 * misses because of a concurrent change is repeated under cvm_lock, which
 * every change takes.
 *
 * Every path here that writes per-CPU data runs with preemption off: the
 * kvm_exit probe fires with interrupts off, the other probes' slow paths
 * disable preemption themselves (probes.c), since newer kernels call
 * tracepoint probes preemptible.  A CPU's cache entry is filled only by that
 * CPU, and only emptied (pointed at cvm_nobody) by others.
 *
 * KVM objects: struct kvm and struct kvm_vcpu pointers are dereferenced only
 * in probes that KVM called with them or for them (they are live there).
 * Everywhere else they are only compared, and lifetime.c clears them before
 * KVM frees the objects, so a new VM reusing the memory never meets an old
 * slot.  Should a destroy hook be missed anyway (kprobes disarmed by hand, a
 * build that inlined the hooked function), a slow path tells the new object
 * apart by a vcpu_id seen twice in a VM, by KVM's own per-vCPU exit count
 * (a first exit meeting a slot that counted exits, or a count below the old
 * vCPU's), and retires the old VM (counted as lifetime_missed, flagged
 * stale).  The fast paths compare pointers only: a new vCPU at an old one's
 * address, on the CPU whose cache still names the old slot, counts in the
 * old slot until the cache is emptied, once a second; then it may meet the
 * check and its VM is flagged partial.  A VM that lives and dies within
 * that second on that CPU is not seen: its exits went to the old VM.  That
 * is the blind spot of a missed hook, which only the hooks close.
 */
#include <linux/hash.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include "cvmstat.h"
#include "compat/compat.h"

/*
 * cvm_lock protects slot identity (vcpu, task, vm), the hashes, the VM list,
 * the free lists and the guest-mark selections.  Taken from probes, on first
 * sight and on cache misses that the lockless walk cannot settle, so it is
 * a raw spinlock taken with interrupts off.  Never held around another lock.
 */
static DEFINE_RAW_SPINLOCK(cvm_lock);

static struct cvm_vm *vm_pool;
static struct cvm_vcpu *vcpu_pool;
static LIST_HEAD(vm_free);
static LIST_HEAD(vcpu_free);
static LIST_HEAD(cvm_vm_list);
static struct hlist_head *vcpu_hash;
static struct hlist_head *task_hash;
static unsigned int hash_bits;
static u64 next_vm_id = 1;
static u32 nr_vms;
static u64 untracked_vms;
static u64 untracked_vcpus;
static u64 lifetime_missed;

DEFINE_PER_CPU(struct cvm_cpu_cache, cvm_cache);

/* What an empty cache entry points to: a slot of no vCPU. */
static struct cvm_vcpu cvm_nobody = { .vcpu = CVM_NO_VCPU };

/*
 * Where the events of a vCPU that found no slot go, one per CPU (preemption
 * is off wherever it is used): counted, never read.  Not a percpu
 * allocation: a slot is too large for the percpu allocator's units.
 */
static struct cvm_vcpu *discard;

static struct cvm_vcpu *this_discard(u32 isa)
{
	struct cvm_vcpu *d = &discard[smp_processor_id()];

	d->isa = isa;
	d->vcpu = CVM_NO_VCPU;
	return d;
}

static struct hlist_head *vcpu_bucket(struct kvm_vcpu *vcpu)
{
	return &vcpu_hash[hash_ptr(vcpu, hash_bits)];
}

static struct hlist_head *task_bucket(struct task_struct *task)
{
	return &task_hash[hash_ptr(task, hash_bits)];
}

static struct cvm_vcpu *find_vcpu(struct kvm_vcpu *vcpu)
{
	struct cvm_vcpu *s;

	hlist_for_each_entry_rcu(s, vcpu_bucket(vcpu), vcpu_node, true)
		if (READ_ONCE(s->vcpu) == vcpu)
			return s;
	return NULL;
}

static struct cvm_vcpu *find_task(struct task_struct *task)
{
	struct cvm_vcpu *s;

	hlist_for_each_entry_rcu(s, task_bucket(task), task_node, true)
		if (READ_ONCE(s->task) == task)
			return s;
	return NULL;
}

static struct cvm_vm *find_vm(struct kvm *kvm)
{
	struct cvm_vm *vm;

	list_for_each_entry(vm, &cvm_vm_list, node)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

/* Drop every per-CPU cache entry for which @match(slot, arg) holds. */
static void uncache_if(bool (*match)(struct cvm_vcpu *, const void *),
		       const void *arg)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct cvm_cpu_cache *c = per_cpu_ptr(&cvm_cache, cpu);
		struct cvm_vcpu *slot = READ_ONCE(c->slot);

		if (slot != &cvm_nobody && match(slot, arg))
			WRITE_ONCE(c->slot, &cvm_nobody);
	}
}

static bool is_slot(struct cvm_vcpu *slot, const void *s)
{
	return slot == s;
}

static bool of_vm(struct cvm_vcpu *slot, const void *vm)
{
	return READ_ONCE(slot->vm) == vm;
}

static bool any_slot(struct cvm_vcpu *slot, const void *unused)
{
	return true;
}

static void uncache(struct cvm_vcpu *s)
{
	uncache_if(is_slot, s);
}

/* A guest mark: that VM's vCPUs must come through the slow path. */
void cvm_uncache_vm(struct cvm_vm *vm)
{
	uncache_if(of_vm, vm);
}

/* A host mark: every vCPU's next event must come through the slow path. */
void cvm_uncache_all(void)
{
	uncache_if(any_slot, NULL);
}

/* TDX: @task runs @s now (kvm_userspace_exit finds the slot by thread). */
static void set_task(struct cvm_vcpu *s, struct task_struct *task)
{
	struct cvm_vcpu *old = find_task(task);

	if (old && old != s) {
		hlist_del_init_rcu(&old->task_node);
		WRITE_ONCE(old->task, NULL);
	}
	if (!hlist_unhashed(&s->task_node))
		hlist_del_init_rcu(&s->task_node);
	WRITE_ONCE(s->task, task);
	hlist_add_head_rcu(&s->task_node, task_bucket(task));
}

static void detach_vcpu(struct cvm_vcpu *s)
{
	if (!hlist_unhashed(&s->vcpu_node))
		hlist_del_init_rcu(&s->vcpu_node);
	if (!hlist_unhashed(&s->task_node))
		hlist_del_init_rcu(&s->task_node);
	WRITE_ONCE(s->vcpu, CVM_NO_VCPU);
	WRITE_ONCE(s->task, NULL);
	WRITE_ONCE(s->tdcall_run, NULL);
	uncache(s);
}

/* @vm is gone (destroyed, or found stale): detach what is left of it. */
static void retire_vm(struct cvm_vm *vm)
{
	struct cvm_vcpu *s;

	list_for_each_entry(s, &vm->vcpus, vm_node)
		if (s->vcpu != CVM_NO_VCPU)
			detach_vcpu(s);
	vm->kvm = NULL;
	vm->alive = false;
	vm->exit_ns = ktime_get_ns();
}

/* Give an exited VM's slots back.  Its vCPUs are already detached. */
static void release_vm(struct cvm_vm *vm)
{
	list_splice_init(&vm->vcpus, &vcpu_free);
	list_move(&vm->node, &vm_free);
	nr_vms--;
}

/* Retention limit: make room by forgetting the oldest exited VM. */
static bool evict_oldest(void)
{
	struct cvm_vm *vm;

	list_for_each_entry(vm, &cvm_vm_list, node) {
		if (!vm->alive && !vm->pinned) {
			release_vm(vm);
			return true;
		}
	}
	return false;
}

static u32 vm_type_of(struct kvm_vcpu *vcpu, u32 isa)
{
	/* KVM_X86_*_VM values, uapi asm/kvm.h (absent before v6.8) */
	switch (cvm_kvm_vm_type(vcpu->kvm)) {
	case 1:
		return CVMSTAT_VM_SW_PROTECTED;
	case 2:
		return CVMSTAT_VM_SEV;
	case 3:
		return CVMSTAT_VM_SEV_ES;
	case 4:
		return CVMSTAT_VM_SNP;
	case 5:
		return CVMSTAT_VM_TDX;
	}
	/*
	 * Type 0 also covers SEV VMs made with the legacy KVM_SEV_INIT; plain
	 * SEV (not ES) cannot be told from a plain VM there.
	 */
	if (vcpu->arch.guest_state_protected)
		return isa == CVMSTAT_ISA_VMX ? CVMSTAT_VM_TDX : CVMSTAT_VM_SEV_ES;
	return CVMSTAT_VM_PLAIN;
}

/*
 * Guest-mark selections of open files (cvm_guest_marks_select()): a VM's
 * guest marks count while some file selects it, by its VMM's pid or all.
 */
#define CVM_GM_PIDS	32
static u32 gm_all;
static struct {
	pid_t pid;
	u32 refs;
} gm_sel[CVM_GM_PIDS];

static bool gm_selects(pid_t pid)
{
	unsigned int i;

	if (gm_all)
		return true;
	for (i = 0; i < CVM_GM_PIDS; i++)
		if (gm_sel[i].refs && gm_sel[i].pid == pid)
			return true;
	return false;
}

/*
 * Is this kvm_exit the vCPU's first?  KVM counts an exit in stat.exits
 * after the event fired for it where kvm_exit fires in the vendor's run
 * function (6.12 and later), before it where it fires in the exit handler
 * (6.1's SVM): 0 or 1 at the first.
 */
static bool first_exit(struct kvm_vcpu *vcpu)
{
	return vcpu->stat.exits <= 1;
}

static struct cvm_vm *attach_vm(struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_vm *vm;

	if (list_empty(&vm_free) && !evict_oldest()) {
		untracked_vms++;
		return NULL;
	}
	vm = list_first_entry(&vm_free, struct cvm_vm, node);
	list_move_tail(&vm->node, &cvm_vm_list);
	nr_vms++;
	INIT_LIST_HEAD(&vm->vcpus);
	vm->kvm = vcpu->kvm;
	vm->id = next_vm_id++;
	vm->pid = task_tgid_nr(current);
	/* The thread group leader of a VMM is alive while its thread runs. */
	memcpy(vm->comm, current->group_leader->comm, sizeof(vm->comm));
	vm->comm[sizeof(vm->comm) - 1] = '\0';
	vm->type = vm_type_of(vcpu, isa);
	vm->nr_vcpus = 0;
	vm->pinned = 0;
	vm->alive = true;
	vm->partial = false;
	vm->stale = false;
	vm->guest_marks = gm_selects(vm->pid);
	vm->first_ns = ktime_get_ns();
	vm->exit_ns = 0;
	vm->guest_mark_seq = 0;
	vm->gm_window_ns = 0;
	vm->gm_in_window = 0;
	vm->gm_dropped = 0;
	cvm_hp_vm_attach(vm, vcpu->kvm);
	return vm;
}

/* A destroy hook was missed: @vm is a dead VM whose memory KVM reused. */
static void retire_stale(struct cvm_vm *vm)
{
	lifetime_missed++;
	vm->stale = true;
	retire_vm(vm);
}

static struct cvm_vcpu *attach_vcpu(struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_vm *vm = find_vm(vcpu->kvm);
	struct cvm_vcpu *s;

	if (vm) {
		/* KVM refuses a second vCPU with the same id in one VM. */
		list_for_each_entry(s, &vm->vcpus, vm_node) {
			if (s->vcpu_id == vcpu->vcpu_id) {
				retire_stale(vm);
				vm = NULL;
				break;
			}
		}
	}
	if (!vm)
		vm = attach_vm(vcpu, isa);
	if (!vm)
		return NULL;
	/* evict_oldest() takes exited VMs only, never @vm. */
	if (list_empty(&vcpu_free) && !evict_oldest()) {
		/* at its first exit only: once per vCPU, not per retry */
		if (first_exit(vcpu))
			untracked_vcpus++;
		return NULL;
	}
	s = list_first_entry(&vcpu_free, struct cvm_vcpu, vm_node);
	list_move_tail(&s->vm_node, &vm->vcpus);
	vm->nr_vcpus++;

	memset(&s->stats, 0, sizeof(s->stats));
	if (s->lat)
		cvm_lat_clear(s->lat);
	s->stats.mmio_source = isa == CVMSTAT_ISA_SVM &&
			       vcpu->arch.guest_state_protected ?
			       CVM_MMIO_FROM_GHCB : CVM_MMIO_FROM_TRACE;
	s->vm = vm;
	s->vcpu_id = vcpu->vcpu_id;
	s->vcpu_idx = vcpu->vcpu_idx;
	s->isa = isa;
	s->reason_fast = false;
	s->tdx = vm->type == CVMSTAT_VM_TDX;
	s->task = NULL;
	s->tdcall_run = NULL;
	s->kvm_exits = vcpu->stat.exits;
	if (!first_exit(vcpu))
		vm->partial = true;
	s->attached_seq = READ_ONCE(cvm_phase_seq);
	s->phase_seen = max(READ_ONCE(cvm_host_mark_seq), vm->guest_mark_seq);
	s->boundary_from = 0;
	s->boundary_seq = 0;
	s->snap_req = 0;
	s->snap_done = 0;
	cvm_hp_vcpu_attach(s, vcpu);
	WRITE_ONCE(s->vcpu, vcpu);
	hlist_add_head_rcu(&s->vcpu_node, vcpu_bucket(vcpu));
	if (!cvm_host_isa)
		WRITE_ONCE(cvm_host_isa, isa);
	return s;
}

/*
 * Is @s, found for @vcpu, an older vCPU's slot that a missed destroy hook
 * left behind?  KVM's exit count of a vCPU only grows, a vCPU stays in its
 * VM, and a vCPU has one first exit: a slot that counted more than one exit
 * already is not the slot of a vCPU at its first exit.  The sum is taken at
 * such first exits only (rare); the lockless read of another vCPU's
 * counters may miss what it counts meanwhile, never what it had.
 */
static bool stale_slot(struct cvm_vcpu *s, struct kvm_vcpu *vcpu)
{
	if (vcpu->stat.exits < READ_ONCE(s->kvm_exits) ||
	    READ_ONCE(s->vm)->kvm != vcpu->kvm)
		return true;
	return first_exit(vcpu) && cvm_counts_exits(&s->stats.c) > 1;
}

/*
 * Owner-side copies, in pools allocated once a reader needs them (process
 * context): the phase boundaries (one per vCPU, the latest) and snapshots
 * of busy vCPUs (cvm_snapshot()).
 */
static struct cvm_counts *boundaries;
static struct cvm_counts *snapshots;
static DEFINE_MUTEX(pools_mutex);

static int pool_enable(struct cvm_counts **pool)
{
	struct cvm_counts *p;
	int ret = 0;

	if (smp_load_acquire(pool))
		return 0;
	mutex_lock(&pools_mutex);
	if (!*pool) {
		p = vcalloc(cvm_max_vcpus, sizeof(*p));
		if (p)
			smp_store_release(pool, p);
		else
			ret = -ENOMEM;
	}
	mutex_unlock(&pools_mutex);
	return ret;
}

int cvm_boundaries_enable(void)
{
	return pool_enable(&boundaries);
}

static bool in_pool(struct cvm_vcpu *s)
{
	return s >= vcpu_pool && s < vcpu_pool + cvm_max_vcpus;
}

/*
 * The owner, first time past the slow path since mark(s) up to @seq: save
 * its counters as they were at those marks, before counting anything after.
 */
static void take_boundary(struct cvm_vcpu *s, u64 seq)
{
	struct cvm_counts *pool = smp_load_acquire(&boundaries);

	if (pool) {
		WRITE_ONCE(s->boundary_seq, 0);
		smp_wmb();
		memcpy(&pool[s - vcpu_pool], &s->stats.c, sizeof(*pool));
		WRITE_ONCE(s->boundary_from, s->phase_seen);
		smp_wmb();
		WRITE_ONCE(s->boundary_seq, seq);
	}
	smp_wmb();
	WRITE_ONCE(s->phase_seen, seq);
}

/*
 * @s's counters as of mark @phase (a host mark or a guest mark of its own
 * VM), into @out, which holds a consistent copy of the live counters taken
 * just before.  False: no longer known.
 */
bool cvm_boundary_copy(struct cvm_vcpu *s, u64 phase, struct cvm_counts *out)
{
	struct cvm_counts *pool = smp_load_acquire(&boundaries);
	u64 seq, from;

	if (phase <= s->attached_seq) {		/* not yet seen at the mark */
		memset(out, 0, sizeof(*out));
		return true;
	}
	smp_rmb();
	if (READ_ONCE(s->phase_seen) < phase)	/* nothing done since */
		return true;
	seq = READ_ONCE(s->boundary_seq);
	smp_rmb();
	from = READ_ONCE(s->boundary_from);
	if (!pool || !seq || from >= phase || phase > seq)
		return false;
	memcpy(out, &pool[s - vcpu_pool], sizeof(*out));
	smp_rmb();
	return READ_ONCE(s->boundary_seq) == seq;
}

/* The owner, on its slow path: a reader asked for a snapshot. */
static void take_snapshot(struct cvm_vcpu *s)
{
	struct cvm_counts *pool = smp_load_acquire(&snapshots);
	u64 req = READ_ONCE(s->snap_req);

	if (pool)
		memcpy(&pool[s - vcpu_pool], &s->stats.c, sizeof(*pool));
	smp_wmb();
	WRITE_ONCE(s->snap_done, req);
}

/*
 * Point this CPU's cache at @s, the slot of @vcpu, and carry out what
 * readers asked for meanwhile: a reset, a snapshot, a phase boundary.
 * Pairs with request_reset(), cvm_snapshot() and the marks: either we see
 * their request, or they see our cache entry and empty it, so the next
 * event comes back here.
 */
static void fill_cache(struct cvm_cpu_cache *c, struct kvm_vcpu *vcpu,
		       struct cvm_vcpu *s)
{
	bool reset = false;
	u64 seq;

	if (!in_pool(s)) {	/* a discard slot: nobody reads it */
		WRITE_ONCE(s->vcpu, vcpu);
		WRITE_ONCE(c->slot, s);
		return;
	}
	WRITE_ONCE(c->slot, s);
	smp_mb();
	WRITE_ONCE(s->kvm_exits, vcpu->stat.exits);
	if (unlikely(cvm_reset_pending(&s->stats))) {
		if (s->lat)
			cvm_lat_clear(s->lat);
		cvm_apply_reset(&s->stats);
		reset = true;
	}
	cvm_hp_owner_sync(s, vcpu, reset);
	if (unlikely(READ_ONCE(s->snap_req) != s->snap_done))
		take_snapshot(s);
	seq = max(READ_ONCE(cvm_host_mark_seq),
		  READ_ONCE(s->vm->guest_mark_seq));
	if (unlikely(s->phase_seen != seq))
		take_boundary(s, seq);
}

static void request_reset(struct cvm_vcpu *s)
{
	cvm_stats_request_reset(&s->stats);
	smp_mb();
	uncache(s);
}

/*
 * The slot of @vcpu, attaching it on first sight; retires a stale slot
 * first.  NULL: no slot to be had.
 */
static struct cvm_vcpu *slot_of(struct kvm_vcpu *vcpu, u32 isa, bool attach,
				bool *first)
{
	struct cvm_vcpu *s = find_vcpu(vcpu);
	unsigned long flags;

	if (s && !stale_slot(s, vcpu))
		return s;
	raw_spin_lock_irqsave(&cvm_lock, flags);
	s = find_vcpu(vcpu);
	if (s && stale_slot(s, vcpu)) {
		retire_stale(s->vm);
		s = NULL;
	}
	if (!s && attach) {
		s = attach_vcpu(vcpu, isa);
		*first = s;
	}
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	return s;
}

/*
 * kvm_exit missed the per-CPU cache: a vCPU seen for the first time, or one
 * that last exited on another CPU.  Preemption is off (kvm_exit fires with
 * interrupts off on 6.12 and later, with preemption off on 6.1 where SVM
 * fires it from svm_handle_exit).
 */
struct cvm_vcpu *cvm_lookup_exit_slow(struct kvm_vcpu *vcpu, u32 isa)
{
	bool first = false;
	struct cvm_vcpu *s = slot_of(vcpu, isa, true, &first);

	lockdep_assert_preemption_disabled();
	if (!s)
		s = this_discard(isa);
	else if (first && isa == CVMSTAT_ISA_SVM)
		s->reason_fast = cvm_svm_fast_usable(vcpu);
	fill_cache(this_cpu_ptr(&cvm_cache), vcpu, s);
	return s;
}

/*
 * An event without a vCPU argument (kvm_mmio, kvm_msr, kvm_pio, ...) for
 * @vcpu, the vCPU KVM runs on this CPU (kvm_running_vcpu), which this CPU's
 * cache does not name.  Such events only come between a vCPU's load and put
 * inside KVM_RUN, after its first exit; if none is running, or it has no
 * slot, the event goes to this CPU's discard slot and counts as
 * unattributed.  Preemption is off (the probe disabled it).
 */
struct cvm_vcpu *cvm_lookup_running_slow(struct kvm_vcpu *vcpu)
{
	struct cvm_cpu_cache *c = this_cpu_ptr(&cvm_cache);
	bool first = false;
	struct cvm_vcpu *s = vcpu ? slot_of(vcpu, 0, false, &first) : NULL;

	if (!s) {
		c->unattributed++;
		return this_discard(READ_ONCE(cvm_host_isa));
	}
	fill_cache(c, vcpu, s);
	return s;
}

/*
 * kvm_entry (latency.c) missed the per-CPU cache: @vcpu ran elsewhere or
 * another vCPU exited on this CPU meanwhile.  Never attaches (its exit did);
 * NULL: no slot.  Interrupts are off (kvm_entry fires right before VM entry).
 */
struct cvm_vcpu *cvm_lookup_entry_slow(struct kvm_vcpu *vcpu)
{
	bool first = false;
	struct cvm_vcpu *s = slot_of(vcpu, 0, false, &first);

	if (s)
		fill_cache(this_cpu_ptr(&cvm_cache), vcpu, s);
	return s;
}

/*
 * latency.c: give every slot its block of @pool (switched on), or none
 * (NULL: switched off; the caller frees the pool after the probes are gone).
 */
void cvm_registry_set_lat(struct cvm_lat *pool)
{
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	for (i = 0; i < cvm_max_vcpus; i++)
		WRITE_ONCE(vcpu_pool[i].lat, pool ? &pool[i] : NULL);
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
}

struct cvm_vcpu *cvm_slot_by_index(unsigned int i)
{
	return &vcpu_pool[i];
}

/*
 * TDX, from exit_slow (the owner, at kvm_exit): remember the run page of a
 * TDCALL exit, which kvm_userspace_exit decodes if the call leaves to
 * userspace.  That event fires after KVM put the vCPU (no running vCPU), so
 * it finds the slot by thread: the thread is inside that vCPU's KVM_RUN
 * until then, and the run page lives as long as the vCPU.
 */
void cvm_tdx_exit(struct cvm_vcpu *s, struct kvm_vcpu *vcpu, u32 reason)
{
	unsigned long flags;

	if (unlikely(READ_ONCE(s->task) != current)) {
		raw_spin_lock_irqsave(&cvm_lock, flags);
		if (s->vcpu == vcpu)
			set_task(s, current);
		raw_spin_unlock_irqrestore(&cvm_lock, flags);
	}
	WRITE_ONCE(s->tdcall_run,
		   reason == CVM_VMX_EXIT_TDCALL ? vcpu->run : NULL);
}

struct cvm_vcpu *cvm_tdx_slot_of_current(void)
{
	struct cvm_vcpu *s = find_task(current);

	return s && READ_ONCE(s->task) == current ? s : NULL;
}

/* lifetime.c: KVM is about to free @vcpu. */
void cvm_vcpu_destroyed(struct kvm_vcpu *vcpu)
{
	struct cvm_vcpu *s;
	unsigned long flags;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	s = find_vcpu(vcpu);
	if (s)
		detach_vcpu(s);
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
}

/* lifetime.c: KVM is about to free @kvm (and, on x86, its vCPUs). */
void cvm_vm_destroyed(struct kvm *kvm)
{
	struct cvm_vm *vm;
	unsigned long flags;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	vm = find_vm(kvm);
	if (vm)
		retire_vm(vm);
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
}

/* Once a VMCB read was wrong: no vCPU reads it any more. */
void cvm_svm_fast_disable_all(void)
{
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	for (i = 0; i < cvm_max_vcpus; i++)
		WRITE_ONCE(vcpu_pool[i].reason_fast, false);
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
}

static void fill_info(struct cvmstat_vm_info *i, const struct cvm_vm *vm)
{
	memset(i, 0, sizeof(*i));
	i->vm_id = vm->id;
	i->pid = vm->pid;
	i->nr_vcpus = vm->nr_vcpus;
	i->type = vm->type;
	i->flags = (vm->alive ? CVMSTAT_VM_ALIVE : 0) |
		   (vm->guest_marks ? CVMSTAT_VM_GUEST_MARKS : 0) |
		   (vm->partial ? CVMSTAT_VM_PARTIAL : 0) |
		   (vm->stale ? CVMSTAT_VM_STALE : 0);
	i->first_ns = vm->first_ns;
	i->exit_ns = vm->exit_ns;
	i->guest_marks_dropped = READ_ONCE(vm->gm_dropped);
	BUILD_BUG_ON(sizeof(i->comm) != sizeof(vm->comm));
	memcpy(i->comm, vm->comm, sizeof(i->comm));
}

/* Up to @nr VMs, oldest first, into @out; *@total = VMs held. */
int cvm_list_vms(struct cvmstat_vm_info *out, u32 nr, u32 *total)
{
	struct cvm_vm *vm;
	unsigned long flags;
	u32 n = 0;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	list_for_each_entry(vm, &cvm_vm_list, node)
		if (n < nr)
			fill_info(&out[n++], vm);
	*total = nr_vms;
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	return n;
}

/* Keep @vm_id's VM and its slots from being recycled while it is read. */
struct cvm_vm *cvm_vm_pin(u64 vm_id)
{
	struct cvm_vm *vm, *found = NULL;
	unsigned long flags;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	list_for_each_entry(vm, &cvm_vm_list, node) {
		if (vm->id == vm_id) {
			vm->pinned++;
			found = vm;
			break;
		}
	}
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	return found;
}

void cvm_vm_unpin(struct cvm_vm *vm)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	vm->pinned--;
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
}

static int cmp_vcpu_id(const void *a, const void *b)
{
	const struct cvm_vcpu *x = *(const struct cvm_vcpu * const *)a;
	const struct cvm_vcpu *y = *(const struct cvm_vcpu * const *)b;

	return x->vcpu_id < y->vcpu_id ? -1 : x->vcpu_id > y->vcpu_id;
}

/* A pinned VM's slots, by vcpu_id, into @out (room for @nr). */
int cvm_vm_vcpus(struct cvm_vm *vm, struct cvm_vcpu **out, u32 nr)
{
	struct cvm_vcpu *s;
	unsigned long flags;
	u32 n = 0;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	list_for_each_entry(s, &vm->vcpus, vm_node)
		if (n < nr)
			out[n++] = s;
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	sort(out, n, sizeof(*out), cmp_vcpu_id, NULL);
	return n;
}

/*
 * Two copies agree at once for all but vCPUs exiting very fast; after this
 * many tries the vCPU is asked to copy itself.  A parameter so that the
 * tests can send every read of a live vCPU down that path (0).
 */
static unsigned int cvm_copy_tries = 4;
module_param_named(copy_tries, cvm_copy_tries, uint, 0644);
MODULE_PARM_DESC(copy_tries, "Reader's tries at two equal copies before asking the vCPU for one (default 4)");
/* How long a reader waits for a busy vCPU to copy itself. */
#define CVM_SNAPSHOT_WAIT	HZ

/*
 * One consistent copy of @s's counters, in bounded time whatever its exit
 * rate (process context, the ioctl mutex held, so one request at a time).
 * Two equal copies prove a consistent one (core/counters.c); when the vCPU
 * changes its counters too fast for that, it is asked to copy itself at its
 * next slow path, which emptying its cache entries forces.  A vCPU that
 * stops meanwhile (halted, in userspace) lets the two copies agree.
 *
 * Return: 0, -ENOMEM, -EINTR (fatal signal) or -EAGAIN (no copy within
 * CVM_SNAPSHOT_WAIT: a vCPU that neither stopped nor took an exit).
 */
struct cvm_reader_stats cvm_reader_stats;	/* under the ioctl mutex */

int cvm_snapshot(struct cvm_vcpu *s, struct cvm_counts *out,
		 struct cvm_counts *scratch)
{
	unsigned long deadline = jiffies + CVM_SNAPSHOT_WAIT;
	unsigned int tries = min(READ_ONCE(cvm_copy_tries), 64U);
	struct cvm_counts *pool;
	bool expired = false;
	u64 req;
	int ret;

	if (cvm_stats_copy(&s->stats, out, scratch, tries)) {
		cvm_reader_stats.at_once++;
		return 0;
	}
	ret = pool_enable(&snapshots);
	if (ret)
		return ret;
	pool = snapshots;
	req = s->snap_req + 1;
	WRITE_ONCE(s->snap_req, req);
	smp_mb();
	uncache(s);
	for (;;) {
		if (smp_load_acquire(&s->snap_done) == req) {
			memcpy(out, &pool[s - vcpu_pool], sizeof(*out));
			if (cvm_reset_pending(&s->stats))
				memset(out, 0, sizeof(*out));
			cvm_reader_stats.by_owner++;
			return 0;
		}
		/* copy_tries 0 (tests): the owner's copy, unless it is idle */
		if ((tries || expired) &&
		    cvm_stats_copy(&s->stats, out, scratch, 1)) {
			cvm_reader_stats.by_copies++;
			return 0;
		}
		if (fatal_signal_pending(current))
			return -EINTR;
		if (expired) {
			cvm_reader_stats.timeouts++;
			return -EAGAIN;
		}
		expired = time_after(jiffies, deadline);
		cond_resched();
	}
}

static void reset_vm(struct cvm_vm *vm)
{
	struct cvm_vcpu *s;

	if (!vm->alive) {
		release_vm(vm);
		return;
	}
	list_for_each_entry(s, &vm->vcpus, vm_node) {
		if (s->vcpu != CVM_NO_VCPU)
			request_reset(s);
		else {	/* destroyed already: nobody would carry it out */
			memset(&s->stats.c, 0, sizeof(s->stats.c));
			if (s->lat)
				cvm_lat_clear(s->lat);
		}
	}
}

/* Called with the chardev mutex held, so no VM is pinned by a reader. */
int cvm_reset(u64 vm_id, bool all)
{
	struct cvm_vm *vm, *tmp;
	unsigned long flags;
	int ret = all ? 0 : -ENOENT;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	list_for_each_entry_safe(vm, tmp, &cvm_vm_list, node) {
		if (all || vm->id == vm_id) {
			reset_vm(vm);
			ret = 0;
		}
	}
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	return ret;
}

static int gm_ref(pid_t pid, int delta)
{
	unsigned int i, free = CVM_GM_PIDS;

	if (pid == CVM_GM_ALL) {
		gm_all += delta;
		return 0;
	}
	for (i = 0; i < CVM_GM_PIDS; i++) {
		if (gm_sel[i].refs && gm_sel[i].pid == pid) {
			gm_sel[i].refs += delta;
			return 0;
		}
		if (!gm_sel[i].refs && free == CVM_GM_PIDS)
			free = i;
	}
	if (delta < 0 || free == CVM_GM_PIDS)
		return -ENOSPC;
	gm_sel[free].pid = pid;
	gm_sel[free].refs = 1;
	return 0;
}

/*
 * An open file's guest-mark selection changes from @old to @new (a VMM
 * pid, CVM_GM_ALL, or 0 for none); every VM's flag follows.
 * Return: 0, or -ENOSPC (too many distinct pids selected; nothing changed).
 */
int cvm_guest_marks_select(pid_t old, pid_t new)
{
	struct cvm_vm *vm;
	unsigned long flags;
	int ret = 0;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	if (new)
		ret = gm_ref(new, 1);
	if (!ret && old)
		gm_ref(old, -1);
	list_for_each_entry(vm, &cvm_vm_list, node)
		WRITE_ONCE(vm->guest_marks, gm_selects(vm->pid));
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	return ret;
}

void cvm_registry_stats(struct cvm_registry_stats *st)
{
	unsigned long flags;
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(&cvm_cache, cpu)->unattributed);
	raw_spin_lock_irqsave(&cvm_lock, flags);
	st->nr_vms = nr_vms;
	st->untracked_vms = untracked_vms;
	st->untracked_vcpus = untracked_vcpus;
	st->lifetime_missed = lifetime_missed;
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	st->unattributed = sum;
}

/* Once a second: every vCPU comes through the slow path (see the top). */
static void revalidate_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(revalidate, revalidate_fn);

static void revalidate_fn(struct work_struct *work)
{
	cvm_uncache_all();
	schedule_delayed_work(&revalidate, HZ);
}

int cvm_registry_init(void)
{
	unsigned int i;
	int cpu;

	hash_bits = ilog2(roundup_pow_of_two(2 * cvm_max_vcpus));
	vm_pool = vcalloc(cvm_max_vms, sizeof(*vm_pool));
	vcpu_pool = vcalloc(cvm_max_vcpus, sizeof(*vcpu_pool));
	vcpu_hash = vcalloc(1U << hash_bits, sizeof(*vcpu_hash));
	task_hash = vcalloc(1U << hash_bits, sizeof(*task_hash));
	discard = vcalloc(nr_cpu_ids, sizeof(*discard));
	if (!vm_pool || !vcpu_pool || !vcpu_hash || !task_hash || !discard) {
		cvm_registry_exit();
		return -ENOMEM;
	}
	for (i = 0; i < cvm_max_vms; i++)
		list_add_tail(&vm_pool[i].node, &vm_free);
	for_each_possible_cpu(cpu)
		per_cpu_ptr(&cvm_cache, cpu)->slot = &cvm_nobody;
	for (i = 0; i < cvm_max_vcpus; i++) {
		vcpu_pool[i].vcpu = CVM_NO_VCPU;
		INIT_HLIST_NODE(&vcpu_pool[i].vcpu_node);
		INIT_HLIST_NODE(&vcpu_pool[i].task_node);
		list_add_tail(&vcpu_pool[i].vm_node, &vcpu_free);
	}
	schedule_delayed_work(&revalidate, HZ);
	return 0;
}

/* Only after every probe and kprobe is gone (tracepoint_synchronize_unregister). */
void cvm_registry_exit(void)
{
	cancel_delayed_work_sync(&revalidate);
	vfree(snapshots);
	vfree(boundaries);
	vfree(discard);
	vfree(task_hash);
	vfree(vcpu_hash);
	vfree(vcpu_pool);
	vfree(vm_pool);
	snapshots = boundaries = NULL;
	discard = NULL;
	task_hash = vcpu_hash = NULL;
	vcpu_pool = NULL;
	vm_pool = NULL;
	INIT_LIST_HEAD(&vm_free);
	INIT_LIST_HEAD(&vcpu_free);
	INIT_LIST_HEAD(&cvm_vm_list);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU slots.
 *
 * Slots come from pools allocated at load (module parameters max_vms and
 * max_vcpus), so no probe ever allocates.  A vCPU gets a slot at its first
 * exit; from then on probes find it through a per-CPU cache and, on a miss,
 * through two hashes (by struct kvm_vcpu * and by thread) walked without a
 * lock.  Slots are never freed while the module is loaded, so a lockless walk
 * is always memory-safe; a walk that misses because of a concurrent change
 * is repeated under cvm_lock, which every change takes.
 *
 * KVM objects: struct kvm and struct kvm_vcpu pointers are dereferenced only
 * in probes that KVM called with them (they are live there).  Everywhere
 * else they are only compared, and lifetime.c clears them before KVM frees
 * the objects, so a new VM reusing the memory never meets an old slot.
 */
#include <linux/hash.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include <linux/sched.h>
#include "cvmstat.h"
#include "compat/compat.h"

/*
 * cvm_lock protects slot identity (vcpu, task, vm), the hashes, the VM list
 * and the free lists.  Taken from probes with interrupts off, on first sight
 * and on cache misses that the lockless walk cannot settle, so it is a raw
 * spinlock.  Never nested inside another lock of ours.
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

DEFINE_PER_CPU(struct cvm_cpu_cache, cvm_cache);

/* Where the events of a vCPU that found no slot go: counted, never read. */
static struct cvm_vcpu __percpu *discard;

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

/* Drop every per-CPU cache entry that names @s. */
static void uncache(struct cvm_vcpu *s)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct cvm_cpu_cache *c = per_cpu_ptr(&cvm_cache, cpu);

		if (READ_ONCE(c->slot) == s) {
			WRITE_ONCE(c->vcpu, NULL);
			WRITE_ONCE(c->task, NULL);
		}
	}
}

static void set_task(struct cvm_vcpu *s, struct task_struct *task)
{
	struct cvm_vcpu *old = find_task(task);

	/* A thread runs one vCPU at a time: the one it exited from last. */
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
	WRITE_ONCE(s->vcpu, NULL);
	WRITE_ONCE(s->task, NULL);
	uncache(s);
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
	/* Type 0 also covers SEV VMs made with the legacy KVM_SEV_INIT. */
	if (vcpu->arch.guest_state_protected)
		return isa == CVMSTAT_ISA_VMX ? CVMSTAT_VM_TDX : CVMSTAT_VM_SEV_ES;
	return CVMSTAT_VM_PLAIN;
}

static struct cvm_vm *attach_vm(struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_vm *vm = find_vm(vcpu->kvm);

	if (vm)
		return vm;
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
	vm->first_ns = ktime_get_ns();
	vm->exit_ns = 0;
	return vm;
}

static struct cvm_vcpu *attach_vcpu(struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_vm *vm = attach_vm(vcpu, isa);
	struct cvm_vcpu *s;

	if (!vm)
		return NULL;
	/* evict_oldest() takes exited VMs only, never @vm. */
	if (list_empty(&vcpu_free) && !evict_oldest()) {
		untracked_vcpus++;
		return NULL;
	}
	s = list_first_entry(&vcpu_free, struct cvm_vcpu, vm_node);
	list_move_tail(&s->vm_node, &vm->vcpus);
	vm->nr_vcpus++;

	memset(&s->stats, 0, sizeof(s->stats));
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
	s->attached_seq = READ_ONCE(cvm_phase_seq);
	s->phase_seen = s->attached_seq;
	s->boundary_from = 0;
	s->boundary_seq = 0;
	WRITE_ONCE(s->vcpu, vcpu);
	hlist_add_head_rcu(&s->vcpu_node, vcpu_bucket(vcpu));
	if (!cvm_host_isa)
		WRITE_ONCE(cvm_host_isa, isa);
	return s;
}

/* Boundaries, one per vCPU slot, once a phase reader asked (process context). */
static struct cvm_counts *boundaries;
static DEFINE_MUTEX(boundaries_mutex);

int cvm_boundaries_enable(void)
{
	struct cvm_counts *b;
	int ret = 0;

	mutex_lock(&boundaries_mutex);
	if (!boundaries) {
		b = vcalloc(cvm_max_vcpus, sizeof(*b));
		if (b)
			smp_store_release(&boundaries, b);
		else
			ret = -ENOMEM;
	}
	mutex_unlock(&boundaries_mutex);
	return ret;
}

/*
 * The owner, first time past the slow path since mark(s) up to @seq: save
 * its counters as they were at those marks, before counting anything after.
 */
static void take_boundary(struct cvm_vcpu *s, u64 seq)
{
	struct cvm_counts *pool = smp_load_acquire(&boundaries);

	if (pool && s >= vcpu_pool && s < vcpu_pool + cvm_max_vcpus) {
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
 * @s's counters as of mark @phase, into @out, which holds a consistent copy
 * of the live counters taken just before.  False: no longer known.
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

/* A mark: every vCPU's next event must come through the slow path. */
void cvm_uncache_all(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct cvm_cpu_cache *c = per_cpu_ptr(&cvm_cache, cpu);

		WRITE_ONCE(c->vcpu, NULL);
		WRITE_ONCE(c->task, NULL);
	}
}

/*
 * Point this CPU's cache at @s, the slot of @vcpu run by current, and carry
 * out a reset asked for meanwhile.  Pairs with request_reset(): either we
 * see the request, or it sees our cache entry and empties it, so the next
 * event comes back here.
 */
static void fill_cache(struct cvm_cpu_cache *c, struct kvm_vcpu *vcpu,
		       struct cvm_vcpu *s)
{
	u64 seq;

	WRITE_ONCE(c->slot, s);
	WRITE_ONCE(c->vcpu, vcpu);
	WRITE_ONCE(c->task, current);
	smp_mb();
	if (unlikely(cvm_reset_pending(&s->stats)))
		cvm_apply_reset(&s->stats);
	seq = READ_ONCE(cvm_phase_seq);
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
 * kvm_exit missed the per-CPU cache: a vCPU seen for the first time, or one
 * that last exited on another CPU or from another thread.  Interrupts are
 * off (kvm_exit fires right after VM-exit).
 */
struct cvm_vcpu *cvm_lookup_exit_slow(struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_cpu_cache *c = this_cpu_ptr(&cvm_cache);
	struct cvm_vcpu *s = find_vcpu(vcpu);
	bool first = false;
	unsigned long flags;

	if (!s || READ_ONCE(s->task) != current) {
		raw_spin_lock_irqsave(&cvm_lock, flags);
		s = find_vcpu(vcpu);
		if (!s) {
			s = attach_vcpu(vcpu, isa);
			first = s;
		}
		if (s && s->task != current)
			set_task(s, current);
		raw_spin_unlock_irqrestore(&cvm_lock, flags);
	}
	if (!s) {
		s = this_cpu_ptr(discard);
		s->isa = isa;
	} else if (first && isa == CVMSTAT_ISA_SVM) {
		/* Outside the lock: it may look a symbol up. */
		s->reason_fast = cvm_svm_fast_usable(vcpu);
	}
	fill_cache(c, vcpu, s);
	return s;
}

/*
 * An event without a vCPU argument (kvm_mmio, kvm_msr, kvm_pio, ...) on a
 * thread the per-CPU cache does not know: the thread was moved or preempted
 * between its exit and this event.  If no vCPU ran on this thread, the event
 * goes to this CPU's discard slot and is counted as unattributed.
 */
struct cvm_vcpu *cvm_lookup_task_slow(void)
{
	struct cvm_cpu_cache *c = this_cpu_ptr(&cvm_cache);
	struct cvm_vcpu *s = find_task(current);
	unsigned long flags;

	if (!s) {
		raw_spin_lock_irqsave(&cvm_lock, flags);
		s = find_task(current);
		raw_spin_unlock_irqrestore(&cvm_lock, flags);
	}
	if (!s) {
		c->unattributed++;
		return this_cpu_ptr(discard);
	}
	fill_cache(c, READ_ONCE(s->vcpu), s);
	return s;
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
	struct cvm_vcpu *s;
	struct cvm_vm *vm;
	unsigned long flags;

	raw_spin_lock_irqsave(&cvm_lock, flags);
	vm = find_vm(kvm);
	if (vm) {
		list_for_each_entry(s, &vm->vcpus, vm_node)
			if (s->vcpu)
				detach_vcpu(s);
		vm->kvm = NULL;
		vm->alive = false;
		vm->exit_ns = ktime_get_ns();
	}
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
}

static void fill_info(struct cvmstat_vm_info *i, const struct cvm_vm *vm)
{
	memset(i, 0, sizeof(*i));
	i->vm_id = vm->id;
	i->pid = vm->pid;
	i->nr_vcpus = vm->nr_vcpus;
	i->type = vm->type;
	i->flags = vm->alive ? CVMSTAT_VM_ALIVE : 0;
	i->first_ns = vm->first_ns;
	i->exit_ns = vm->exit_ns;
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

static void reset_vm(struct cvm_vm *vm)
{
	struct cvm_vcpu *s;

	if (!vm->alive) {
		release_vm(vm);
		return;
	}
	list_for_each_entry(s, &vm->vcpus, vm_node) {
		if (s->vcpu)
			request_reset(s);
		else	/* destroyed already: nobody would carry it out */
			memset(&s->stats.c, 0, sizeof(s->stats.c));
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

void cvm_registry_stats(u32 *vms, u64 *untr_vms, u64 *untr_vcpus,
			u64 *unattributed)
{
	unsigned long flags;
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr(&cvm_cache, cpu)->unattributed);
	raw_spin_lock_irqsave(&cvm_lock, flags);
	*vms = nr_vms;
	*untr_vms = untracked_vms;
	*untr_vcpus = untracked_vcpus;
	raw_spin_unlock_irqrestore(&cvm_lock, flags);
	*unattributed = sum;
}

int cvm_registry_init(void)
{
	unsigned int i;

	hash_bits = ilog2(roundup_pow_of_two(2 * cvm_max_vcpus));
	vm_pool = vcalloc(cvm_max_vms, sizeof(*vm_pool));
	vcpu_pool = vcalloc(cvm_max_vcpus, sizeof(*vcpu_pool));
	vcpu_hash = vcalloc(1U << hash_bits, sizeof(*vcpu_hash));
	task_hash = vcalloc(1U << hash_bits, sizeof(*task_hash));
	discard = alloc_percpu(struct cvm_vcpu);
	if (!vm_pool || !vcpu_pool || !vcpu_hash || !task_hash || !discard) {
		cvm_registry_exit();
		return -ENOMEM;
	}
	for (i = 0; i < cvm_max_vms; i++)
		list_add_tail(&vm_pool[i].node, &vm_free);
	for (i = 0; i < cvm_max_vcpus; i++) {
		INIT_HLIST_NODE(&vcpu_pool[i].vcpu_node);
		INIT_HLIST_NODE(&vcpu_pool[i].task_node);
		list_add_tail(&vcpu_pool[i].vm_node, &vcpu_free);
	}
	return 0;
}

/* Only after every probe and kprobe is gone (tracepoint_synchronize_unregister). */
void cvm_registry_exit(void)
{
	vfree(boundaries);
	boundaries = NULL;
	free_percpu(discard);
	vfree(task_hash);
	vfree(vcpu_hash);
	vfree(vcpu_pool);
	vfree(vm_pool);
	discard = NULL;
	task_hash = vcpu_hash = NULL;
	vcpu_pool = NULL;
	vm_pool = NULL;
	INIT_LIST_HEAD(&vm_free);
	INIT_LIST_HEAD(&vcpu_free);
	INIT_LIST_HEAD(&cvm_vm_list);
}

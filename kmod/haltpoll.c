// SPDX-License-Identifier: GPL-2.0
/*
 * Halt polling: measured per vCPU, a VM's maximum window read and set, and
 * the log of changes.
 *
 * Measuring (core/haltpoll.h says what is counted): the probes of
 * kvm_vcpu_wakeup and kvm_halt_poll_ns run on the halting vCPU's thread
 * inside kvm_vcpu_halt, with the vCPU loaded, so they read that vCPU's own
 * fields (KVM's statistics, its window, the guest's MSR_KVM_POLL_CONTROL)
 * and write only its slot, like every other probe.  The guest's setting is
 * also read on the owner's slow path (registry.c, fill_cache), so a change
 * shows before the vCPU's next halt when something sends it there first.
 * The VM's maximum is read at each wakeup too: a change its VMM made with
 * KVM_CAP_HALT_POLL goes into the log when a vCPU of the VM first halts
 * under it (no event tells sooner; it only matters at halts).  A guest
 * switching its setting back and forth could fill the log that readers of
 * every VM list: at most CVM_HP_GUEST_BURST of a VM's guest changes per
 * CVM_HP_GUEST_WINDOW_NS go into it (the counters count every change).
 *
 * Setting a VM's maximum (CVMSTAT_IOC_HP_SET) must never touch a VM that is
 * being destroyed, or one already freed.  The choice, and why:
 *   - KVM's destruction (kvm_destroy_vm) unlinks the VM from vm_list under
 *     kvm_lock before anything is torn down, and frees it much later;
 *     KVM's own writers of other VMs' fields (the debugfs statistics
 *     clear, vm_stat_clear) rely on exactly this: under kvm_lock, a VM
 *     found in vm_list is not freed.  We take the same lock, find the VM
 *     there by the struct kvm pointer our registry holds for it (cleared by
 *     lifetime.c's hook before KVM frees it, so it never names a newer VM
 *     at a reused address), and also require users_count > 0, so a VM
 *     whose last reference is gone (its destruction waiting for the lock
 *     we hold) is not touched either: it is reported gone.
 *   - Not from a vCPU of the VM (its slow path, where the VM is certainly
 *     alive): a paused VM, or one whose vCPUs all sleep in a long halt,
 *     would never get the change, and the caller could not be told it
 *     happened.
 *   - Not with kvm_get_kvm_safe()/kvm_put_kvm(): linking to them makes
 *     cvmstat depend on kvm.ko (load order, no kvm.ko reload), and the put
 *     could end up destroying the VM from our ioctl.
 * kvm_lock and vm_list are kvm.ko data, read from its symbol table
 * (symbols.c) when it comes; hp_bind_mutex keeps them from going while we
 * hold the lock (kvm.ko's going waits for it in the tracepoint notifier,
 * before kvm.ko is freed).  Lock order: cvm_bind_mutex > hp_bind_mutex >
 * kvm_lock > hp_lock.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "cvmstat.h"
#include "compat/compat.h"

/*
 * hp_lock protects the log and every VM's struct cvm_hp_vm.  Taken from
 * probes (only when a VM's maximum is seen changed), so a raw spinlock.
 */
static DEFINE_RAW_SPINLOCK(hp_lock);
static struct cvmstat_hp_event hp_ring[CVMSTAT_HP_EVENT_RING];
static u64 hp_seq;

#define CVM_HP_GUEST_BURST	16
#define CVM_HP_GUEST_WINDOW_NS	(100 * NSEC_PER_MSEC)

/* hp_lock held. */
static void hp_log(u16 type, u16 source, u64 vm_id, u32 vcpu_id, u64 old,
		   u64 new, u64 now)
{
	u64 seq = hp_seq + 1;
	struct cvmstat_hp_event *e = &hp_ring[seq % CVMSTAT_HP_EVENT_RING];

	e->seq = seq;
	e->time_ns = now;
	e->vm_id = vm_id;
	e->vcpu_id = vcpu_id;
	e->type = type;
	e->source = source;
	e->old = old;
	e->new = new;
	WRITE_ONCE(hp_seq, seq);
}

#ifdef CVMSTAT_HAVE_HALT_POLL_STATS
static void read_kvm_stats(struct kvm_vcpu *vcpu, struct cvm_hp_kvm *k)
{
	const struct kvm_vcpu_stat_generic *g = &vcpu->stat.generic;

	k->attempted = READ_ONCE(g->halt_attempted_poll);
	k->successful = READ_ONCE(g->halt_successful_poll);
	k->poll_ok_ns = READ_ONCE(g->halt_poll_success_ns);
	k->poll_fail_ns = READ_ONCE(g->halt_poll_fail_ns);
	k->wait_ns = READ_ONCE(g->halt_wait_ns);
}

/* x86 kvm_arch_no_poll(): the guest cleared bit 0 of MSR_KVM_POLL_CONTROL. */
static bool guest_off(struct kvm_vcpu *vcpu)
{
	return !(READ_ONCE(vcpu->arch.msr_kvm_poll_control) & 1);
}

/* The owner: has the guest changed its mind since last seen? */
static void guest_check(struct cvm_vcpu *s, struct kvm_vcpu *vcpu)
{
	bool off = guest_off(vcpu);
	struct cvm_hp_vm *h;
	unsigned long flags;
	u64 now;

	if (likely(off == s->hp.guest_off))
		return;
	now = ktime_get_ns();
	cvm_hp_on_guest(&s->stats.c.hp, &s->hp, off, now);
	raw_spin_lock_irqsave(&hp_lock, flags);
	h = &s->vm->hp;
	if (now - h->guest_window_ns >= CVM_HP_GUEST_WINDOW_NS) {
		h->guest_window_ns = now;
		h->guest_in_window = 0;
	}
	if (h->guest_in_window++ < CVM_HP_GUEST_BURST)
		hp_log(CVMSTAT_HPE_GUEST, 0, s->vm->id, s->vcpu_id, off, !off,
		       now);
	raw_spin_unlock_irqrestore(&hp_lock, flags);
}
#endif

#ifdef CVMSTAT_HAVE_HALT_POLL_VM
/* A VM's maximum as KVM's reader sees it (kvm_vcpu_max_halt_poll_ns). */
static void read_vm_max(struct kvm *kvm, bool *ov, u32 *max)
{
	*ov = READ_ONCE(kvm->override_halt_poll_ns);
	smp_rmb();	/* pairs with the writer's smp_wmb() */
	*max = READ_ONCE(kvm->max_halt_poll_ns);
}

/* From a wakeup of a vCPU of @vm: did its VMM change the maximum? */
static void vm_check(struct cvm_vm *vm, struct kvm *kvm)
{
	struct cvm_hp_vm *h = &vm->hp;
	unsigned long flags;
	bool ov;
	u32 max;
	u64 now;

	read_vm_max(kvm, &ov, &max);
	if (likely(ov == READ_ONCE(h->seen_override) &&
		   (!ov || max == READ_ONCE(h->seen_max))))
		return;
	raw_spin_lock_irqsave(&hp_lock, flags);
	read_vm_max(kvm, &ov, &max);
	if (ov != h->seen_override || (ov && max != h->seen_max)) {
		now = ktime_get_ns();
		hp_log(CVMSTAT_HPE_VM_MAX, CVMSTAT_HP_SRC_VMM, vm->id, 0,
		       cvm_hp_value(h->seen_override, h->seen_max),
		       cvm_hp_value(ov, max), now);
		h->seen_override = ov;
		h->seen_max = max;
		h->ours = false;
		h->changed_ns = now;
	}
	raw_spin_unlock_irqrestore(&hp_lock, flags);
}
#endif

/* registry.c, attach_vm (cvm_lock held, in a probe KVM called for @kvm). */
void cvm_hp_vm_attach(struct cvm_vm *vm, struct kvm *kvm)
{
	memset(&vm->hp, 0, sizeof(vm->hp));
#ifdef CVMSTAT_HAVE_HALT_POLL_VM
	read_vm_max(kvm, &vm->hp.seen_override, &vm->hp.seen_max);
#endif
}

/* registry.c, attach_vcpu: KVM's statistics so far are not ours. */
void cvm_hp_vcpu_attach(struct cvm_vcpu *s, struct kvm_vcpu *vcpu)
{
#ifdef CVMSTAT_HAVE_HALT_POLL_STATS
	struct cvm_hp_kvm k;

	read_kvm_stats(vcpu, &k);
	cvm_hp_owner_init(&s->hp, &k, READ_ONCE(vcpu->halt_poll_ns),
			  guest_off(vcpu));
	cvm_hp_restate(&s->stats.c.hp, &s->hp);
#endif
}

/*
 * registry.c, fill_cache: the owner on its slow path (@vcpu loaded on this
 * CPU); @reset: its counters were just zeroed.
 */
void cvm_hp_owner_sync(struct cvm_vcpu *s, struct kvm_vcpu *vcpu, bool reset)
{
#ifdef CVMSTAT_HAVE_HALT_POLL_STATS
	if (unlikely(reset))
		cvm_hp_restate(&s->stats.c.hp, &s->hp);
	guest_check(s, vcpu);
#endif
}

/*
 * probes.c: kvm_vcpu_wakeup, on the halting vCPU's thread (preemptible on
 * kernels that call probes so); @s is its slot, or a discard slot.
 */
void cvm_hp_wakeup(struct cvm_vcpu *s, u64 halt_ns, bool valid)
{
#ifdef CVMSTAT_HAVE_HALT_POLL_STATS
	struct kvm_vcpu *vcpu = READ_ONCE(s->vcpu);
	struct cvm_hp_kvm k;

	if (unlikely(!s->vm || !vcpu))
		return;
	guest_check(s, vcpu);
	read_kvm_stats(vcpu, &k);
	cvm_hp_on_wakeup(&s->stats.c.hp, &s->hp, &k, halt_ns, valid,
			 READ_ONCE(vcpu->halt_poll_ns), s->hp.guest_off);
#ifdef CVMSTAT_HAVE_HALT_POLL_VM
	vm_check(s->vm, vcpu->kvm);
#endif
#endif
}

/* probes.c: kvm_halt_poll_ns, likewise; @s may be a discard slot. */
void cvm_hp_adapt(struct cvm_vcpu *s, bool grow, u32 new, u32 old)
{
	if (likely(s->vm))
		cvm_hp_on_adapt(&s->stats.c.hp, &s->hp, grow, new, old);
}

/* ---- the VM's maximum: ioctls --------------------------------------------- */

static DEFINE_MUTEX(hp_bind_mutex);
static struct mutex *hp_kvm_lock;
static struct list_head *hp_vm_list;

/* tpbind.c, kvm.ko came (cvm_bind_mutex held). */
void cvm_hp_bind(struct module *kvm)
{
#ifdef CVMSTAT_HAVE_HALT_POLL_VM
	struct mutex *lock = (void *)cvm_module_data_symbol(kvm, "kvm_lock");
	struct list_head *list = (void *)cvm_module_data_symbol(kvm, "vm_list");

	if (!lock || !list) {
		pr_info("kvm_lock/vm_list not found: no per-VM halt polling\n");
		return;
	}
	mutex_lock(&hp_bind_mutex);
	hp_kvm_lock = lock;
	hp_vm_list = list;
	mutex_unlock(&hp_bind_mutex);
#endif
}

/* tpbind.c, kvm.ko goes: waits for an ioctl holding kvm_lock. */
void cvm_hp_unbind(void)
{
	mutex_lock(&hp_bind_mutex);
	hp_kvm_lock = NULL;
	hp_vm_list = NULL;
	mutex_unlock(&hp_bind_mutex);
}

bool cvm_hp_vm_ok(void)
{
	return READ_ONCE(hp_kvm_lock);
}

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

#ifdef CVMSTAT_HAVE_HALT_POLL_VM
/*
 * kvm_lock held: @vm's struct kvm if it is alive (in vm_list, with users),
 * else NULL.  Its pointer is only compared until found in the list.
 */
static struct kvm *live_kvm(struct cvm_vm *vm)
{
	struct kvm *kvm = READ_ONCE(vm->kvm), *k;

	if (!kvm || READ_ONCE(vm->stale))
		return NULL;
	list_for_each_entry(k, hp_vm_list, vm_list)
		if (k == kvm)
			return refcount_read(&k->users_count) ? k : NULL;
	return NULL;
}

/*
 * Runs @fn on the live VM @vm_id with KVM's VM-list lock held.
 * Return: @fn's value, -ENOENT (no such vm_id), -ESRCH (exited, being
 * destroyed, or kvm.ko gone), -EINTR.
 */
static long with_live_vm(u64 vm_id, long (*fn)(struct cvm_vm *, struct kvm *,
					       void *), void *arg)
{
	struct cvm_vm *vm = cvm_vm_pin(vm_id);
	struct kvm *kvm;
	long ret;

	if (!vm)
		return -ENOENT;
	ret = -EINTR;
	if (mutex_lock_killable(&hp_bind_mutex))
		goto out_unpin;
	ret = -ESRCH;
	if (!hp_kvm_lock)
		goto out_bind;
	ret = -EINTR;
	if (mutex_lock_killable(hp_kvm_lock))
		goto out_bind;
	kvm = live_kvm(vm);
	ret = kvm ? fn(vm, kvm, arg) : -ESRCH;
	mutex_unlock(hp_kvm_lock);
out_bind:
	mutex_unlock(&hp_bind_mutex);
out_unpin:
	cvm_vm_unpin(vm);
	return ret;
}

static long get_fn(struct cvm_vm *vm, struct kvm *kvm, void *arg)
{
	struct cvmstat_hp_vm *v = arg;
	struct cvm_hp_vm *h = &vm->hp;
	unsigned long flags;
	bool ov;
	u32 max;

	raw_spin_lock_irqsave(&hp_lock, flags);
	read_vm_max(kvm, &ov, &max);
	v->max_ns = max;
	v->source = cvm_hp_source(h, ov, max);
	v->state = (ov ? CVMSTAT_HP_OVERRIDE : 0) |
		   (h->saved ? CVMSTAT_HP_SAVED : 0) |
		   (h->saved && h->orig_override ? CVMSTAT_HP_ORIG_OVERRIDE : 0);
	v->orig_max_ns = h->saved ? h->orig_max : 0;
	v->changed_ns = h->changed_ns;
	raw_spin_unlock_irqrestore(&hp_lock, flags);
	return 0;
}

/* KVM_CAP_HALT_POLL's order: the value, then the flag that makes it count. */
static void write_vm_max(struct kvm *kvm, bool ov, u32 max)
{
	WRITE_ONCE(kvm->max_halt_poll_ns, max);
	smp_wmb();	/* pairs with kvm_vcpu_max_halt_poll_ns()'s smp_rmb() */
	WRITE_ONCE(kvm->override_halt_poll_ns, ov);
}

static long set_fn(struct cvm_vm *vm, struct kvm *kvm, void *arg)
{
	const struct cvmstat_hp_set *set = arg;
	struct cvm_hp_vm *h = &vm->hp;
	unsigned long flags;
	long ret = 0;
	bool ov;
	u32 max;
	u64 now;

	raw_spin_lock_irqsave(&hp_lock, flags);
	read_vm_max(kvm, &ov, &max);
	if (set->op == CVMSTAT_HP_OP_RESTORE && !h->saved) {
		ret = -ENODATA;
		goto out;
	}
	if (!h->saved) {
		h->saved = true;
		h->orig_override = ov;
		h->orig_max = max;
	}
	switch (set->op) {
	case CVMSTAT_HP_OP_SET:
		write_vm_max(kvm, true, set->max_ns);
		h->ours = true;
		h->our_max = set->max_ns;
		break;
	case CVMSTAT_HP_OP_CLEAR:
		/* What KVM's interface cannot do: the global value rules again. */
		WRITE_ONCE(kvm->override_halt_poll_ns, false);
		h->ours = false;
		break;
	default:	/* RESTORE */
		write_vm_max(kvm, h->orig_override, h->orig_max);
		h->saved = false;
		h->ours = false;
		break;
	}
	now = ktime_get_ns();
	h->seen_override = READ_ONCE(kvm->override_halt_poll_ns);
	h->seen_max = READ_ONCE(kvm->max_halt_poll_ns);
	h->changed_ns = now;
	hp_log(CVMSTAT_HPE_VM_MAX, CVMSTAT_HP_SRC_CVMSTAT, vm->id, 0,
	       cvm_hp_value(ov, max),
	       cvm_hp_value(h->seen_override, h->seen_max), now);
out:
	raw_spin_unlock_irqrestore(&hp_lock, flags);
	return ret;
}

/* RESTORE of every live VM cvmstat changed. */
static long restore_all(struct cvmstat_hp_set *set)
{
	struct cvmstat_vm_info *infos;
	u32 total, i;
	long ret = 0, r;
	int n;

	infos = kvcalloc(cvm_max_vms, sizeof(*infos), GFP_KERNEL);
	if (!infos)
		return -ENOMEM;
	n = cvm_list_vms(infos, cvm_max_vms, &total);
	for (i = 0; i < n && !ret; i++) {
		if (!(infos[i].flags & CVMSTAT_VM_ALIVE))
			continue;
		r = with_live_vm(infos[i].vm_id, set_fn, set);
		/* gone meanwhile, or never changed: nothing to give back */
		if (r != -ENOENT && r != -ESRCH && r != -ENODATA)
			ret = r;
	}
	kvfree(infos);
	return ret;
}
#endif

long cvm_hp_ioc_vm(void __user *arg)
{
	struct cvmstat_hp_vm v;

	if (copy_from_user(&v, arg, sizeof(v)))
		return -EFAULT;
	if (v.size != sizeof(v) || v.flags || v.max_ns || v.source ||
	    v.state || v.orig_max_ns || v.changed_ns ||
	    !all_zero(v.reserved, sizeof(v.reserved)))
		return -EINVAL;
#ifdef CVMSTAT_HAVE_HALT_POLL_VM
	{
		long ret;

		if (!cvm_hp_vm_ok())
			return -EOPNOTSUPP;
		ret = with_live_vm(v.vm_id, get_fn, &v);
		if (ret)
			return ret;
		return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
	}
#else
	return -EOPNOTSUPP;
#endif
}

long cvm_hp_ioc_set(void __user *arg)
{
	struct cvmstat_hp_set set;

	if (copy_from_user(&set, arg, sizeof(set)))
		return -EFAULT;
	if (set.size != sizeof(set) || set.pad ||
	    !all_zero(set.reserved, sizeof(set.reserved)) ||
	    set.op < CVMSTAT_HP_OP_SET || set.op > CVMSTAT_HP_OP_RESTORE ||
	    (set.op != CVMSTAT_HP_OP_SET && set.max_ns) ||
	    (set.op != CVMSTAT_HP_OP_RESTORE && !set.vm_id))
		return -EINVAL;
#ifdef CVMSTAT_HAVE_HALT_POLL_VM
	if (!cvm_hp_vm_ok())
		return -EOPNOTSUPP;
	if (!set.vm_id)
		return restore_all(&set);
	return with_live_vm(set.vm_id, set_fn, &set);
#else
	return -EOPNOTSUPP;
#endif
}

long cvm_hp_ioc_events(void __user *arg)
{
	struct cvmstat_hp_events l;
	struct cvmstat_hp_event *evs;
	unsigned long flags;
	u64 seq, first;
	long ret = 0;
	u32 n = 0;

	if (copy_from_user(&l, arg, sizeof(l)))
		return -EFAULT;
	if (l.size != sizeof(l) || l.pad || l.last || l.lost ||
	    !all_zero(l.reserved, sizeof(l.reserved)))
		return -EINVAL;
	/* The common answer, "nothing new", allocates nothing. */
	seq = READ_ONCE(hp_seq);
	if (seq <= l.after) {
		l.last = seq;
		l.nr = 0;
		return copy_to_user(arg, &l, sizeof(l)) ? -EFAULT : 0;
	}
	evs = kcalloc(CVMSTAT_HP_EVENT_RING, sizeof(*evs), GFP_KERNEL);
	if (!evs)
		return -ENOMEM;
	raw_spin_lock_irqsave(&hp_lock, flags);
	l.last = hp_seq;
	first = cvm_ring_first(l.after, l.last, CVMSTAT_HP_EVENT_RING);
	l.lost = first - (l.after + 1);
	for (seq = first; seq <= l.last && n < l.nr &&
	     n < CVMSTAT_HP_EVENT_RING; seq++)
		evs[n++] = hp_ring[seq % CVMSTAT_HP_EVENT_RING];
	raw_spin_unlock_irqrestore(&hp_lock, flags);
	if (n && copy_to_user(u64_to_user_ptr(l.events), evs,
			      n * sizeof(*evs)))
		ret = -EFAULT;
	l.nr = n;
	if (!ret && copy_to_user(arg, &l, sizeof(l)))
		ret = -EFAULT;
	kfree(evs);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Phase marks: the boundaries of a benchmark's phases, made by the host
 * (ioctl) for every VM, or by a guest writing a byte to the phase port (seen
 * in the kvm_pio probe) for its own VM only.  A mark empties the per-CPU
 * cache entries of the vCPUs it concerns, so each one's next event takes the
 * slow path, which first saves the vCPU's counters as they were at the mark
 * (registry.c: the phase boundary).  The hot path pays nothing but the port
 * compare in kvm_pio.
 *
 * Guest marks are a guest acting on the host, so they are fenced in:
 *   - they count only for VMs a reader opted in (CVMSTAT_IOC_GUEST_MARKS:
 *     cvmstat record does it for the VMs it records, for as long as it has
 *     the device open).  Any other guest's write to the port is an ordinary
 *     OUT: kvm-unit-tests' isa-debug-exit on 0xf4, or a tenant probing
 *     ports, marks nothing and costs nobody anything;
 *   - they touch only their own VM: its boundary sequence, its vCPUs' cache
 *     entries; other VMs' vCPUs and recordings never notice;
 *   - at most CVM_GM_BURST per CVM_GM_WINDOW_NS per VM go into the ring
 *     (the rest are counted as dropped), so one VM cannot flood the ring
 *     that other readers list host marks from.
 */
#include <linux/irq_work.h>
#include <linux/module.h>
#include <linux/wait.h>
#include "cvmstat.h"

/*
 * 0xf4: free on PC-compatible machines and kept by QEMU for its optional
 * isa-debug-exit device, which is also why guest marks are opt-in (a write
 * there by anything not being recorded is not a mark).
 */
int cvm_phase_port = 0xf4;
module_param_named(phase_port, cvm_phase_port, int, 0644);
MODULE_PARM_DESC(phase_port, "I/O port a guest writes to mark a phase, for VMs a reader opted in (-1: off; default 0xf4)");

#define CVM_GM_BURST		16
#define CVM_GM_WINDOW_NS	(100 * NSEC_PER_MSEC)

u64 cvm_phase_seq;		/* newest mark, host or guest */
u64 cvm_host_mark_seq;		/* newest host mark */

/* phase_lock protects ring, the sequences and the VMs' guest-mark state. */
static DEFINE_RAW_SPINLOCK(phase_lock);
static struct cvmstat_phase ring[CVMSTAT_PHASE_RING];

static DECLARE_WAIT_QUEUE_HEAD(phase_wq);

/* Waking a wait queue takes its lock: not from a probe, from an irq_work. */
static void phase_wake_fn(struct irq_work *w)
{
	wake_up_interruptible_all(&phase_wq);
}

static struct irq_work phase_wake = IRQ_WORK_INIT(phase_wake_fn);

/* phase_lock held: the next mark into the ring. */
static u64 ring_add(u32 source, u64 vm_id, u32 vcpu_id, u32 value,
		    const char *name)
{
	u64 seq = cvm_phase_seq + 1;
	struct cvmstat_phase *e = &ring[seq % CVMSTAT_PHASE_RING];

	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->time_ns = ktime_get_ns();
	e->vm_id = vm_id;
	e->vcpu_id = vcpu_id;
	e->source = source;
	e->value = value;
	strscpy(e->name, name, sizeof(e->name));
	WRITE_ONCE(cvm_phase_seq, seq);
	return seq;
}

u64 cvm_phase_mark_host(const char *name)
{
	unsigned long flags;
	u64 seq;

	raw_spin_lock_irqsave(&phase_lock, flags);
	seq = ring_add(CVMSTAT_PHASE_HOST, 0, 0, 0, name);
	WRITE_ONCE(cvm_host_mark_seq, seq);
	raw_spin_unlock_irqrestore(&phase_lock, flags);

	/* Pairs with the barrier in the slow path's cache fill. */
	smp_mb();
	cvm_uncache_all();
	irq_work_queue(&phase_wake);
	return seq;
}

/* phase_lock held: may @vm mark now? */
static bool guest_mark_allowed(struct cvm_vm *vm)
{
	u64 now;

	if (!READ_ONCE(vm->guest_marks))
		return false;
	now = ktime_get_ns();
	if (now - vm->gm_window_ns >= CVM_GM_WINDOW_NS) {
		vm->gm_window_ns = now;
		vm->gm_in_window = 0;
	}
	return vm->gm_in_window++ < CVM_GM_BURST;
}

/* From the kvm_pio probe (preemption off): a guest wrote the phase port. */
void cvm_phase_mark_guest(struct cvm_vcpu *s, const void *val)
{
	struct cvm_vm *vm = s->vm;
	unsigned long flags;
	bool marked = false;

	if (!vm)		/* an untracked vCPU */
		return;
	raw_spin_lock_irqsave(&phase_lock, flags);
	if (guest_mark_allowed(vm)) {
		WRITE_ONCE(vm->guest_mark_seq,
			   ring_add(CVMSTAT_PHASE_GUEST, vm->id, s->vcpu_id,
				    *(const u8 *)val, ""));
		marked = true;
	} else if (READ_ONCE(vm->guest_marks)) {
		WRITE_ONCE(vm->gm_dropped, vm->gm_dropped + 1);
	}
	raw_spin_unlock_irqrestore(&phase_lock, flags);
	if (!marked)
		return;
	smp_mb();
	cvm_uncache_vm(vm);
	irq_work_queue(&phase_wake);
}

/* Marks after @after, oldest first, into @out (room for @nr). */
u32 cvm_phase_list(u64 after, struct cvmstat_phase *out, u32 nr, u64 *last,
		   u32 *lost)
{
	unsigned long flags;
	u64 seq, first;
	u32 n = 0;

	raw_spin_lock_irqsave(&phase_lock, flags);
	*last = cvm_phase_seq;
	*lost = 0;
	if (after >= *last) {	/* nothing newer (also: after + 1 would wrap) */
		raw_spin_unlock_irqrestore(&phase_lock, flags);
		return 0;
	}
	first = cvm_ring_first(after, *last, CVMSTAT_PHASE_RING);
	*lost = first - (after + 1);
	for (seq = first; seq <= *last && n < nr; seq++)
		out[n++] = ring[seq % CVMSTAT_PHASE_RING];
	raw_spin_unlock_irqrestore(&phase_lock, flags);
	return n;
}

void cvm_phase_poll_wait(struct file *file, poll_table *wait)
{
	poll_wait(file, &phase_wq, wait);
}

void cvm_phase_exit(void)
{
	irq_work_sync(&phase_wake);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Phase marks: the boundaries of a benchmark's phases, made by the host
 * (ioctl) or by a guest writing to the phase port (seen in the kvm_pio
 * probe).  A mark empties every per-CPU cache, so each vCPU's next event
 * takes the slow path, which first saves the vCPU's counters as they were
 * at the mark (registry.c: the phase boundary).  The hot path pays nothing
 * but the port compare in kvm_pio.
 */
#include <linux/irq_work.h>
#include <linux/module.h>
#include <linux/wait.h>
#include "cvmstat.h"

int cvm_phase_port = 0xf4;
module_param_named(phase_port, cvm_phase_port, int, 0644);
MODULE_PARM_DESC(phase_port, "I/O port a guest writes to mark a phase (-1: off; default 0xf4)");

u64 cvm_phase_seq;

/* phase_lock protects ring and the increments of cvm_phase_seq. */
static DEFINE_RAW_SPINLOCK(phase_lock);
static struct cvmstat_phase ring[CVMSTAT_PHASE_RING];

static DECLARE_WAIT_QUEUE_HEAD(phase_wq);

/* Waking a wait queue takes its lock: not from a probe, from an irq_work. */
static void phase_wake_fn(struct irq_work *w)
{
	wake_up_interruptible_all(&phase_wq);
}

static struct irq_work phase_wake = IRQ_WORK_INIT(phase_wake_fn);

u64 cvm_phase_mark(u32 source, u64 vm_id, u32 vcpu_id, u32 value,
		   const char *name)
{
	struct cvmstat_phase *e;
	unsigned long flags;
	u64 seq;

	raw_spin_lock_irqsave(&phase_lock, flags);
	seq = cvm_phase_seq + 1;
	e = &ring[seq % CVMSTAT_PHASE_RING];
	memset(e, 0, sizeof(*e));
	e->seq = seq;
	e->time_ns = ktime_get_ns();
	e->vm_id = vm_id;
	e->vcpu_id = vcpu_id;
	e->source = source;
	e->value = value;
	strscpy(e->name, name, sizeof(e->name));
	WRITE_ONCE(cvm_phase_seq, seq);
	raw_spin_unlock_irqrestore(&phase_lock, flags);

	/* Pairs with the barrier in the slow path's cache fill. */
	smp_mb();
	cvm_uncache_all();
	irq_work_queue(&phase_wake);
	return seq;
}

/* From the kvm_pio probe: a guest wrote the phase port. */
void cvm_phase_mark_guest(struct cvm_vcpu *s, const void *val)
{
	cvm_phase_mark(CVMSTAT_PHASE_GUEST, s->vm ? s->vm->id : 0, s->vcpu_id,
		       *(const u8 *)val, "");
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
	first = after + 1;
	if (*last >= CVMSTAT_PHASE_RING && first <= *last - CVMSTAT_PHASE_RING)
		first = *last - CVMSTAT_PHASE_RING + 1;
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

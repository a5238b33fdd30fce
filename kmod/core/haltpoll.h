/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The halt-polling core: what one halt of a vCPU does to its counters.
 *
 * Plain C without kernel dependencies, compiled into cvmstat.ko and into the
 * host unit tests.  Like the exit counters, the counters here are written
 * only by the vCPU's own thread (the probes of kvm_vcpu_wakeup and
 * kvm_halt_poll_ns run on it, inside kvm_vcpu_halt), so they are plain
 * increments; they live in struct cvm_counts and so are copied, reset and
 * kept at phase marks with the rest.
 *
 * One halt, as KVM does it (virt/kvm/kvm_main.c, kvm_vcpu_halt, the same
 * from 6.1 to 7.1): the window vcpu->halt_poll_ns is capped by the VM's
 * maximum; if the guest has not switched polling off and the window is not
 * 0, KVM polls for up to the window; if no wakeup came, it schedules out.
 * Then it grows or shrinks the window (each change fires kvm_halt_poll_ns
 * with the old and new window), and fires kvm_vcpu_wakeup(halt_ns,
 * waited, valid).  Whether it polled, and how long it polled and waited,
 * the event does not say: the owner reads KVM's own per-vCPU statistics
 * (vcpu->stat.generic) at every wakeup and counts the difference since the
 * previous one, so cvmstat's sums agree with KVM's to the nanosecond.
 *
 * The window in force at a halt is the old value of a grow or shrink during
 * that halt, or else the window after it (unchanged: no event fired), or,
 * when KVM zeroed it because the maximum became 0 during the halt, the
 * window after the previous halt.
 *
 * The state values (CVMSTAT_KIND_HALT_STATE) change only together with a
 * counter that grows, so two equal copies of the counters are still
 * consistent (see cvm_stats_copy).
 */
#ifndef _CVMSTAT_CORE_HALTPOLL_H
#define _CVMSTAT_CORE_HALTPOLL_H

#include "env.h"
#include "../include/uapi/linux/cvmstat.h"

/* log2 buckets of a halt's duration: 2^63 ns is about 292 years */
#define CVM_HP_HIST		64
/* distinct poll windows counted per vCPU (log2 of the table's size) */
#define CVM_HP_WIN_SHIFT	5
#define CVM_HP_WIN_SLOTS	(1U << CVM_HP_WIN_SHIFT)

struct cvm_hp_counts {
	u64 stat[CVMSTAT_HALT_NR];
	u64 hist[CVM_HP_HIST];
	/* window -> polling halts; a slot is in use when its count is not 0 */
	u64 win_key[CVM_HP_WIN_SLOTS];
	u64 win_count[CVM_HP_WIN_SLOTS];
	u64 state[CVMSTAT_HALT_STATE_NR];
};

/* KVM's own per-vCPU halt statistics (vcpu->stat.generic), at a wakeup. */
struct cvm_hp_kvm {
	u64 attempted;		/* halt_attempted_poll */
	u64 successful;		/* halt_successful_poll */
	u64 poll_ok_ns;		/* halt_poll_success_ns */
	u64 poll_fail_ns;	/* halt_poll_fail_ns */
	u64 wait_ns;		/* halt_wait_ns */
};

/*
 * What the owner remembers between events, outside the counters (a reset
 * of the counters leaves it alone).
 */
struct cvm_hp_owner {
	struct cvm_hp_kvm kvm;	/* KVM's statistics at the last wakeup */
	u64 guest_ns;		/* when guest_off was last seen to change */
	u32 window;		/* vcpu->halt_poll_ns after the last halt */
	u32 adapt_old;		/* the window a grow/shrink of this halt left */
	bool adapted;		/* a grow or shrink fired since the last wakeup */
	bool guest_off;		/* the guest has switched host polling off */
};

/*
 * A VM's maximum, as cvmstat knows it (kernel side, under its own lock;
 * here so that the rule for its source is tested with the rest).
 */
struct cvm_hp_vm {
	u64 changed_ns;		/* last change made or seen, 0: none */
	u64 guest_window_ns;	/* rate limit of its guests' log entries: */
	u32 guest_in_window;	/* the window's start, entries in it */
	u32 seen_max;		/* kvm->max_halt_poll_ns last seen or set */
	u32 orig_max;		/* before cvmstat's first change */
	u32 our_max;		/* what cvmstat set last */
	bool seen_override;	/* kvm->override_halt_poll_ns likewise */
	bool orig_override;
	bool saved;		/* orig_* hold the state before cvmstat */
	bool ours;		/* the override in force is cvmstat's */
};

/* CVMSTAT_HP_SRC_* of a VM whose override flag and max are @ov, @max. */
static inline u32 cvm_hp_source(const struct cvm_hp_vm *v, bool ov, u32 max)
{
	if (!ov)
		return CVMSTAT_HP_SRC_GLOBAL;
	return v->ours && v->our_max == max ? CVMSTAT_HP_SRC_CVMSTAT :
	       CVMSTAT_HP_SRC_VMM;
}

/* A VM's maximum as an event value: CVMSTAT_HP_GLOBAL without override. */
static inline u64 cvm_hp_value(bool ov, u32 max)
{
	return ov ? max : CVMSTAT_HP_GLOBAL;
}

/* KVM's statistics only grow, unless cleared through debugfs. */
static inline u64 cvm_hp_delta(u64 now, u64 prev)
{
	return now >= prev ? now - prev : now;
}

static inline unsigned int cvm_hp_log2(u64 ns)
{
	return ns ? 63 - (unsigned int)__builtin_clzll(ns) : 0;
}

/* The owner, when the vCPU gets a slot: KVM's statistics so far. */
static inline void cvm_hp_owner_init(struct cvm_hp_owner *o,
				     const struct cvm_hp_kvm *k, u32 window,
				     bool guest_off)
{
	memset(o, 0, sizeof(*o));
	o->kvm = *k;
	o->window = window;
	o->guest_off = guest_off;
}

/* After a reset zeroed the counters: the state values come back. */
static inline void cvm_hp_restate(struct cvm_hp_counts *c,
				  const struct cvm_hp_owner *o)
{
	c->state[CVMSTAT_HALT_STATE_WINDOW] = o->window;
	c->state[CVMSTAT_HALT_STATE_GUEST_OFF] = o->guest_off;
	c->state[CVMSTAT_HALT_STATE_GUEST_NS] = o->guest_ns;
}

/*
 * The guest's MSR_KVM_POLL_CONTROL as the owner reads it now (@guest_off:
 * bit 0 clear), at @now.  True when it changed since last seen: the caller
 * logs the change.
 */
static inline bool cvm_hp_on_guest(struct cvm_hp_counts *c,
				   struct cvm_hp_owner *o, bool guest_off,
				   u64 now)
{
	if (likely(guest_off == o->guest_off))
		return false;
	o->guest_off = guest_off;
	o->guest_ns = now;
	c->stat[guest_off ? CVMSTAT_HALT_GUEST_OFF : CVMSTAT_HALT_GUEST_ON]++;
	c->state[CVMSTAT_HALT_STATE_GUEST_OFF] = guest_off;
	c->state[CVMSTAT_HALT_STATE_GUEST_NS] = now;
	return true;
}

/* kvm_halt_poll_ns: the window changed from @old to @new during a halt. */
static inline void cvm_hp_on_adapt(struct cvm_hp_counts *c,
				   struct cvm_hp_owner *o, bool grow,
				   u32 new, u32 old)
{
	c->stat[grow ? CVMSTAT_HALT_GROW : CVMSTAT_HALT_SHRINK]++;
	if (!o->adapted) {
		o->adapted = true;
		o->adapt_old = old;
	}
	o->window = new;
	c->state[CVMSTAT_HALT_STATE_WINDOW] = new;
}

void cvm_hp_window_insert(struct cvm_hp_counts *c, u64 window);

/**
 * cvm_hp_on_wakeup() - kvm_vcpu_wakeup: one halt ended
 * @c: the vCPU's counters
 * @o: its owner state
 * @k: KVM's statistics now
 * @halt_ns, @valid: the event's arguments
 * @window: vcpu->halt_poll_ns now
 * @guest_off: the guest had switched polling off for this halt
 */
static inline void cvm_hp_on_wakeup(struct cvm_hp_counts *c,
				    struct cvm_hp_owner *o,
				    const struct cvm_hp_kvm *k, u64 halt_ns,
				    bool valid, u32 window, bool guest_off)
{
	bool polled = cvm_hp_delta(k->attempted, o->kvm.attempted) != 0;

	c->stat[CVMSTAT_HALT_HALTS]++;
	c->stat[CVMSTAT_HALT_NS] += halt_ns;
	if (polled) {
		u32 w = o->adapted ? o->adapt_old : window ? window : o->window;

		if (cvm_hp_delta(k->successful, o->kvm.successful))
			c->stat[CVMSTAT_HALT_POLL_OK]++;
		else
			c->stat[CVMSTAT_HALT_POLL_FAIL]++;
		cvm_hp_window_insert(c, w);
	} else {
		c->stat[CVMSTAT_HALT_NOT_POLLED]++;
		if (guest_off)
			c->stat[CVMSTAT_HALT_NO_POLL_GUEST]++;
	}
	if (!valid)
		c->stat[CVMSTAT_HALT_INVALID]++;
	c->stat[CVMSTAT_HALT_POLL_OK_NS] +=
		cvm_hp_delta(k->poll_ok_ns, o->kvm.poll_ok_ns);
	c->stat[CVMSTAT_HALT_POLL_FAIL_NS] +=
		cvm_hp_delta(k->poll_fail_ns, o->kvm.poll_fail_ns);
	c->stat[CVMSTAT_HALT_WAIT_NS] += cvm_hp_delta(k->wait_ns, o->kvm.wait_ns);
	c->hist[cvm_hp_log2(halt_ns)]++;
	c->state[CVMSTAT_HALT_STATE_WINDOW] = window;
	o->kvm = *k;
	o->window = window;
	o->adapted = false;
}

/* Records cvm_hp_emit() writes at most. */
static inline unsigned int cvm_hp_max_records(void)
{
	return CVMSTAT_HALT_NR + CVM_HP_HIST + CVM_HP_WIN_SLOTS +
	       CVMSTAT_HALT_STATE_NR;
}

/**
 * cvm_hp_emit() - a vCPU's halt-poll records
 * @c: a consistent copy of its counters
 * @vcpu_id: stored in every record
 * @state: also the CVMSTAT_KIND_HALT_STATE records
 * @out: room for cvm_hp_max_records()
 *
 * Return: records written (none with a zero count): HALT by key, HALT_HIST
 * by bucket, HALT_WINDOW by window, then HALT_STATE.
 */
unsigned int cvm_hp_emit(const struct cvm_hp_counts *c, u32 vcpu_id,
			 bool state, struct cvmstat_record *out);

#endif /* _CVMSTAT_CORE_HALTPOLL_H */

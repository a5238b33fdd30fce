// SPDX-License-Identifier: GPL-2.0
/*
 * Probe bodies: no sleeping, no allocation, no logging, no shared lock on
 * the steady path.  Each finds its vCPU's slot through the per-CPU cache,
 * which points at the slot whose event this CPU saw last, then hands the
 * event to the counting core.
 *
 * Attribution: events without a vCPU argument go to the vCPU KVM has loaded
 * for this thread (kvm_running_vcpu: set by vcpu_load and at every sched-in
 * inside KVM_RUN, so it is the vCPU whose KVM_RUN is executing), never to
 * one remembered by thread: a VMM thread may run several vCPUs in turn.
 *
 * Preemption: kernels up to 6.19 call tracepoint probes with preemption off;
 * newer ones (SRCU-fast tracepoints) call them preemptible.  kvm_exit fires
 * with interrupts off on every kernel but 6.1's SVM (there from
 * svm_handle_exit, inside the tracepoint's own preempt-off section).  The
 * other events fire from KVM's exit handling or from KVM_RUN's completion of
 * a userspace exit, preemptible on new kernels.  Their fast path reads two
 * per-CPU values, each read a single instruction, and needs no more: the
 * running vCPU belongs to the thread, not the CPU, and the cache's slot is
 * used only if its own vcpu is that vCPU, so a migration between the reads
 * cannot make a wrong slot look right, and the slot is written by its own
 * vCPU's thread only (KVM holds vcpu->mutex around KVM_RUN).  The slow
 * paths, which write this CPU's cache entry and use per-CPU slots, disable
 * preemption.
 */
#include "cvmstat.h"
#include "compat/compat.h"

/*
 * Exit-handling time, while on (latency.c): stamp the exit.  Reached through
 * the static branch cvm_timing, patched to a jump while timing is on; off,
 * the exit path is the counting one plus a 5-byte no-op.  Out of line and
 * reached by a tail call, so the counting fast path keeps its registers and
 * needs no stack frame.
 */
static cvm_slow_path void exit_time(struct cvm_vcpu *s, u32 reason)
{
	struct cvm_lat *l = READ_ONCE(s->lat);

	if (likely(l))
		cvm_lat_exit(l, reason, cvm_clock(), raw_smp_processor_id(),
			     current);
}

/*
 * Exit-handling time, while on: time the exit under the finer code a later
 * event of it tells (SEV-ES/SNP's VMGEXIT code, TDX's TDCALL leaf).  These
 * events are not on a plain VM's path at all.
 */
static cvm_slow_path void refine_time(struct cvm_vcpu *s, u32 reason, u32 cls,
				      u64 code)
{
	struct cvm_lat *l = READ_ONCE(s->lat);

	if (l)
		cvm_lat_refine(l, reason, cls, code);
}

#define REFINE_TIME(s, reason, cls, code)				\
do {									\
	if (static_branch_unlikely(&cvm_timing))			\
		refine_time(s, reason, cls, code);			\
} while (0)

/* kvm_exit when this CPU's cache does not know the vCPU, or no VMCB read. */
static cvm_slow_path void exit_slow(void *data, struct kvm_vcpu *vcpu,
				    u32 isa, struct cvm_vcpu *s)
{
	u32 reason;

	if (!s)
		s = cvm_lookup_exit_slow(vcpu, isa);
	if (s->reason_fast)
		reason = cvm_svm_exit_code(vcpu);
	else
		reason = cvm_exit_reason_slow(vcpu);
	cvm_on_exit(&s->stats, isa, reason);
	if (unlikely(s->tdx))
		cvm_tdx_exit(s, vcpu, reason);
	if (static_branch_unlikely(&cvm_timing))
		exit_time(s, reason);
}

/*
 * Every exit.  The steady state (cache hit, SVM, VMCB read validated, a
 * common code) is a handful of instructions with no call; the rest is a
 * tail call.
 */
static notrace void probe_kvm_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_vcpu *s = this_cpu_read(cvm_cache.slot);

	if (unlikely(READ_ONCE(s->vcpu) != vcpu)) {
		exit_slow(data, vcpu, isa, NULL);
		return;
	}
	if (likely(s->reason_fast) &&
	    likely(cvm_on_svm_exit_fast(&s->stats,
					cvm_svm_exit_code(vcpu)))) {
		/* the code read again there: here it would be kept in a register */
		if (static_branch_unlikely(&cvm_timing))
			exit_time(s, cvm_svm_exit_code(vcpu));
		return;
	}
	exit_slow(data, vcpu, isa, s);
}

/*
 * A probe for an event without a vCPU argument: @body runs with s = the
 * slot of the vCPU KVM runs for this thread (or a discard slot).
 */
#define VCPULESS_PROBE(event, params, args, body)			\
static cvm_slow_path void event##_slow params				\
{									\
	struct cvm_vcpu *s;						\
									\
	preempt_disable_notrace();					\
	s = cvm_lookup_running_slow(this_cpu_read(*cvm_running_vcpu));	\
	body;								\
	preempt_enable_notrace();					\
}									\
									\
static notrace void probe_##event params				\
{									\
	struct cvm_vcpu *s = this_cpu_read(cvm_cache.slot);		\
									\
	if (unlikely(READ_ONCE(s->vcpu) !=				\
		     this_cpu_read(*cvm_running_vcpu))) {		\
		event##_slow args;					\
		return;							\
	}								\
	body;								\
}

VCPULESS_PROBE(kvm_mmio_dir, (void *data, u32 dir, u64 gpa), (data, dir, gpa),
	       cvm_on_mmio(&s->stats, dir, gpa))

VCPULESS_PROBE(kvm_fast_mmio, (void *data, u64 gpa), (data, gpa),
	       cvm_on_fast_mmio(&s->stats, gpa))

VCPULESS_PROBE(kvm_msr,
	       (void *data, unsigned int write, u32 ecx, u64 val, bool exc),
	       (data, write, ecx, val, exc),
	       cvm_on_msr(&s->stats, write, ecx))

/*
 * A guest's write to the phase port: counted before the mark, since the
 * marking write ends its phase; phase.c decides whether it marks.
 */
VCPULESS_PROBE(kvm_pio,
	       (void *data, unsigned int rw, unsigned int port,
		unsigned int size, unsigned int count, const void *val),
	       (data, rw, port, size, count, val),
	       cvm_on_pio(&s->stats, rw, port);
	       if (unlikely(rw && (int)port == READ_ONCE(cvm_phase_port)))
			cvm_phase_mark_guest(s, val))

VCPULESS_PROBE(kvm_vmgexit_enter,
	       (void *data, unsigned int vcpu_id, struct ghcb *ghcb),
	       (data, vcpu_id, ghcb),
	       cvm_on_vmgexit(&s->stats, ghcb->save.sw_exit_code,
			      ghcb->save.sw_exit_info_1);
	       REFINE_TIME(s, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_VMGEXIT,
			   ghcb->save.sw_exit_code))

VCPULESS_PROBE(kvm_vmgexit_msr_protocol_enter,
	       (void *data, unsigned int vcpu_id, u64 ghcb_gpa),
	       (data, vcpu_id, ghcb_gpa),
	       cvm_on_ghcb_msr(&s->stats, ghcb_gpa);
	       REFINE_TIME(s, CVM_LAT_SVM_VMGEXIT, CVMSTAT_LAT_CLASS_GHCB_MSR,
			   ghcb_gpa & CVM_GHCB_MSR_INFO_MASK))

/*
 * Halt polling (haltpoll.c): both fire inside kvm_vcpu_halt on the halting
 * vCPU's thread with the vCPU loaded; halts are rare next to exits.
 */
VCPULESS_PROBE(kvm_vcpu_wakeup,
	       (void *data, __u64 ns, bool waited, bool valid),
	       (data, ns, waited, valid),
	       cvm_hp_wakeup(s, ns, valid))

VCPULESS_PROBE(kvm_halt_poll_ns,
	       (void *data, bool grow, unsigned int vcpu_id, unsigned int new,
		unsigned int old),
	       (data, grow, vcpu_id, new, old),
	       cvm_hp_adapt(s, grow, new, old))

/* Reads left to userspace fire twice; count them once (no lookup at all). */
static notrace void probe_kvm_mmio(void *data, int type, int len, u64 gpa,
				   void *val)
{
	u32 dir = cvm_mmio_dir(type);

	if (dir)
		probe_kvm_mmio_dir(data, dir, gpa);
}

/*
 * TDX folds GHCI TDVMCALL leaves into exit reason 77; the leaf shows only in
 * kvm_run when KVM hands the call to userspace.  This event fires after KVM
 * put the vCPU, so its slot is found by thread, and only a TDCALL exit that
 * kvm_exit saw on this very thread (cvm_tdx_exit) is decoded, from the run
 * page it remembered: no vCPU pointer is dereferenced here.
 */
static notrace void probe_kvm_userspace_exit(void *data, __u32 reason, int err)
{
	struct cvm_vcpu *s = cvm_tdx_slot_of_current();	/* no per-CPU data */
	struct kvm_run *run = s ? READ_ONCE(s->tdcall_run) : NULL;
	u64 nr, leaf;

	if (!run)
		return;
	WRITE_ONCE(s->tdcall_run, NULL);
	if (err)
		return;
	switch (reason) {
	case CVM_KVM_EXIT_TDX:
		nr = cvm_run_tdx_nr(run);
		break;
	case CVM_KVM_EXIT_HYPERCALL:
		nr = run->hypercall.nr;
		break;
	case CVM_KVM_EXIT_SYSTEM_EVENT:
		nr = run->system_event.type;
		break;
	default:
		return;
	}
	leaf = cvm_tdx_leaf(CVM_VMX_EXIT_TDCALL, reason, nr);
	if (!leaf)
		return;
	cvm_on_tdx_leaf(&s->stats, leaf);
	/* before the timing probe on this event marks the exit as userspace's */
	REFINE_TIME(s, CVM_LAT_VMX_TDCALL, CVMSTAT_LAT_CLASS_TDX_LEAF, leaf);
}

const struct cvm_probe cvm_probe_table[CVMSTAT_PROBE_NR] = {
	[CVMSTAT_PROBE_KVM_EXIT] = {
		"kvm_exit", probe_kvm_exit, true, NULL },
	[CVMSTAT_PROBE_KVM_MMIO] = {
		"kvm_mmio", probe_kvm_mmio, CVMSTAT_KNOWN_KVM_MMIO, NULL },
	[CVMSTAT_PROBE_KVM_FAST_MMIO] = {
		"kvm_fast_mmio", probe_kvm_fast_mmio, true, NULL },
	[CVMSTAT_PROBE_KVM_MSR] = {
		"kvm_msr", probe_kvm_msr, true, NULL },
	[CVMSTAT_PROBE_KVM_PIO] = {
		"kvm_pio", probe_kvm_pio, true, NULL },
	[CVMSTAT_PROBE_KVM_VMGEXIT_ENTER] = {
		"kvm_vmgexit_enter", probe_kvm_vmgexit_enter,
		CVMSTAT_KNOWN_KVM_VMGEXIT, NULL },
	[CVMSTAT_PROBE_KVM_VMGEXIT_MSR_PROTOCOL_ENTER] = {
		"kvm_vmgexit_msr_protocol_enter",
		probe_kvm_vmgexit_msr_protocol_enter, true, NULL },
	/* Fires on every exit to userspace: bound on TDX hosts only. */
	[CVMSTAT_PROBE_KVM_USERSPACE_EXIT] = {
		"kvm_userspace_exit", probe_kvm_userspace_exit,
		CVMSTAT_KNOWN_KVM_USERSPACE_EXIT, cvm_tdx_host },
	[CVMSTAT_PROBE_KVM_VCPU_WAKEUP] = {
		"kvm_vcpu_wakeup", probe_kvm_vcpu_wakeup,
		CVMSTAT_KNOWN_KVM_VCPU_WAKEUP, NULL },
	[CVMSTAT_PROBE_KVM_HALT_POLL_NS] = {
		"kvm_halt_poll_ns", probe_kvm_halt_poll_ns,
		CVMSTAT_KNOWN_KVM_HALT_POLL_NS, NULL },
};

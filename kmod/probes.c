// SPDX-License-Identifier: GPL-2.0
/*
 * Probe bodies: no sleeping, no allocation, no logging, no shared lock on
 * the steady path.  Each finds its vCPU's slot through the per-CPU cache,
 * keyed by the struct kvm_vcpu * KVM runs on this CPU, then hands the event
 * to the counting core.
 *
 * Preemption: kernels up to 6.19 call tracepoint probes with preemption off;
 * newer ones (SRCU-fast tracepoints) call them preemptible.  kvm_exit fires
 * with interrupts off on every kernel but 6.1's SVM (there from
 * svm_handle_exit, inside the tracepoint's own preempt-off section on that
 * kernel), so it needs nothing.  Every other event fires from KVM's exit
 * handling or from KVM_RUN's completion of a userspace exit, with interrupts
 * on: those probes disable preemption themselves, so that the running vCPU,
 * this CPU's cache entry and the slot they read belong together and the
 * slot is written by its own vCPU's thread only.
 *
 * Attribution: events without a vCPU argument go to the vCPU KVM has loaded
 * on this CPU (kvm_running_vcpu: set by vcpu_load and on sched-in, so it is
 * the vCPU whose KVM_RUN is executing here), never to one remembered by
 * thread: a VMM thread may run several vCPUs in turn.
 */
#include "cvmstat.h"
#include "compat/compat.h"

/*
 * The kvm_exit slow path takes the probe's own parameters and is kept from
 * being specialised (noipa where the compiler has it), so the probe reaches
 * it with a bare jump and its fast path needs no stack frame.
 */
#if __has_attribute(__noipa__)
#define cvm_slow_path	noinline notrace __attribute__((__noipa__))
#else
#define cvm_slow_path	noinline notrace
#endif

/* kvm_exit when this CPU's cache does not know the vCPU, or no VMCB read. */
static cvm_slow_path void exit_slow(struct kvm_vcpu *vcpu, u32 isa,
				    struct cvm_vcpu *s)
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
}

/*
 * Every exit.  The steady state (cache hit, SVM, VMCB read validated, a
 * common code) is a handful of instructions with no call; the rest is a
 * tail call.
 */
static notrace void probe_kvm_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_vcpu *s;

	if (unlikely(this_cpu_read(cvm_cache.vcpu) != vcpu)) {
		exit_slow(vcpu, isa, NULL);
		return;
	}
	s = this_cpu_read(cvm_cache.slot);
	if (likely(s->reason_fast) &&
	    likely(cvm_on_svm_exit_fast(&s->stats, cvm_svm_exit_code(vcpu))))
		return;
	exit_slow(vcpu, isa, s);
}

/*
 * The slot of the vCPU KVM runs on this CPU (or a discard slot); never NULL.
 * Preemption must be off.
 */
static __always_inline struct cvm_vcpu *running_slot(void)
{
	struct kvm_vcpu *vcpu = this_cpu_read(*cvm_running_vcpu);

	if (likely(vcpu && this_cpu_read(cvm_cache.vcpu) == vcpu))
		return this_cpu_read(cvm_cache.slot);
	return cvm_lookup_running_slow(vcpu);
}

/* A probe for an event without a vCPU argument: @body runs with @s. */
#define VCPULESS_PROBE(event, params, body)				\
static notrace void probe_##event params				\
{									\
	struct cvm_vcpu *s;						\
									\
	preempt_disable_notrace();					\
	s = running_slot();						\
	body;								\
	preempt_enable_notrace();					\
}

VCPULESS_PROBE(kvm_mmio_dir, (void *data, u32 dir, u64 gpa),
	       cvm_on_mmio(&s->stats, dir, gpa))

VCPULESS_PROBE(kvm_fast_mmio, (void *data, u64 gpa),
	       cvm_on_fast_mmio(&s->stats, gpa))

VCPULESS_PROBE(kvm_msr,
	       (void *data, unsigned int write, u32 ecx, u64 val, bool exc),
	       cvm_on_msr(&s->stats, write, ecx))

/*
 * A guest's write to the phase port: counted before the mark, since the
 * marking write ends its phase; phase.c decides whether it marks.
 */
VCPULESS_PROBE(kvm_pio,
	       (void *data, unsigned int rw, unsigned int port,
		unsigned int size, unsigned int count, const void *val),
	       cvm_on_pio(&s->stats, rw, port);
	       if (unlikely(rw && (int)port == READ_ONCE(cvm_phase_port)))
			cvm_phase_mark_guest(s, val))

VCPULESS_PROBE(kvm_vmgexit_enter,
	       (void *data, unsigned int vcpu_id, struct ghcb *ghcb),
	       cvm_on_vmgexit(&s->stats, ghcb->save.sw_exit_code,
			      ghcb->save.sw_exit_info_1))

VCPULESS_PROBE(kvm_vmgexit_msr_protocol_enter,
	       (void *data, unsigned int vcpu_id, u64 ghcb_gpa),
	       cvm_on_ghcb_msr(&s->stats, ghcb_gpa))

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
	struct kvm_run *run;
	struct cvm_vcpu *s;
	u64 nr, leaf;

	preempt_disable_notrace();
	s = cvm_tdx_slot_of_current();
	run = s ? READ_ONCE(s->tdcall_run) : NULL;
	if (!run)
		goto out;
	WRITE_ONCE(s->tdcall_run, NULL);
	if (err)
		goto out;
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
		goto out;
	}
	leaf = cvm_tdx_leaf(CVM_VMX_EXIT_TDCALL, reason, nr);
	if (leaf)
		cvm_on_tdx_leaf(&s->stats, leaf);
out:
	preempt_enable_notrace();
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
};

// SPDX-License-Identifier: GPL-2.0
/*
 * Probe bodies.  They run in the traced KVM code, in atomic context (kvm_exit
 * with interrupts off): no sleeping, no allocation, no logging, no shared
 * lock on the steady path.  Each finds its vCPU's slot through the per-CPU
 * cache that kvm_exit keeps, then hands the event to the counting core.
 */
#include "cvmstat.h"
#include "compat/compat.h"

/*
 * Slow paths are separate functions that take the probe's own parameters
 * and are kept from being specialised (noipa): the probe reaches them with a
 * bare jump and its fast path needs no stack frame.
 */
#define cvm_slow_path	noinline notrace __attribute__((__noipa__))

/* The slot of the vCPU the current thread runs; never NULL. */
static __always_inline struct cvm_vcpu *current_slot(void)
{
	if (likely(this_cpu_read(cvm_cache.task) == current))
		return this_cpu_read(cvm_cache.slot);
	return cvm_lookup_task_slow();
}

/*
 * A probe for an event without a vCPU argument: @body runs with s = the slot
 * of the vCPU the current thread runs.
 */
#define VCPULESS_PROBE(event, params, args, body)			\
static cvm_slow_path void event##_slow params				\
{									\
	struct cvm_vcpu *s = cvm_lookup_task_slow();			\
									\
	body;								\
}									\
									\
static notrace void probe_##event params				\
{									\
	struct cvm_vcpu *s;						\
									\
	if (unlikely(this_cpu_read(cvm_cache.task) != current)) {	\
		event##_slow args;					\
		return;							\
	}								\
	s = this_cpu_read(cvm_cache.slot);				\
	body;								\
}

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
}

/*
 * Every exit.  The steady state (cache hit, SVM, VMCB read validated, a
 * common code) is a handful of instructions with no call; the rest is a
 * tail call.
 */
static notrace void probe_kvm_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_vcpu *s;

	if (unlikely(this_cpu_read(cvm_cache.vcpu) != vcpu ||
		     this_cpu_read(cvm_cache.task) != current)) {
		exit_slow(vcpu, isa, NULL);
		return;
	}
	s = this_cpu_read(cvm_cache.slot);
	if (likely(s->reason_fast) &&
	    likely(cvm_on_svm_exit_fast(&s->stats, cvm_svm_exit_code(vcpu))))
		return;
	exit_slow(vcpu, isa, s);
}

VCPULESS_PROBE(kvm_mmio_dir, (void *data, u32 dir, u64 gpa), (data, dir, gpa),
	       cvm_on_mmio(&s->stats, dir, gpa))

VCPULESS_PROBE(kvm_fast_mmio, (void *data, u64 gpa), (data, gpa),
	       cvm_on_fast_mmio(&s->stats, gpa))

VCPULESS_PROBE(kvm_msr,
	       (void *data, unsigned int write, u32 ecx, u64 val, bool exc),
	       (data, write, ecx, val, exc),
	       cvm_on_msr(&s->stats, write, ecx))

/* A guest's write to the phase port: the end of a phase (phase.c). */
static __always_inline bool phase_write(unsigned int rw, unsigned int port)
{
	return rw && (int)port == READ_ONCE(cvm_phase_port);
}

static cvm_slow_path void kvm_pio_slow(void *data, unsigned int rw,
				       unsigned int port, unsigned int size,
				       unsigned int count, const void *val)
{
	struct cvm_vcpu *s = current_slot();

	/* Counted before the mark: the marking write ends its phase. */
	cvm_on_pio(&s->stats, rw, port);
	if (phase_write(rw, port))
		cvm_phase_mark_guest(s, val);
}

/* Like VCPULESS_PROBE, with phase marks also sent down the slow path. */
static notrace void probe_kvm_pio(void *data, unsigned int rw,
				  unsigned int port, unsigned int size,
				  unsigned int count, const void *val)
{
	if (unlikely(this_cpu_read(cvm_cache.task) != current ||
		     phase_write(rw, port))) {
		kvm_pio_slow(data, rw, port, size, count, val);
		return;
	}
	cvm_on_pio(&this_cpu_read(cvm_cache.slot)->stats, rw, port);
}

VCPULESS_PROBE(kvm_vmgexit_enter,
	       (void *data, unsigned int vcpu_id, struct ghcb *ghcb),
	       (data, vcpu_id, ghcb),
	       cvm_on_vmgexit(&s->stats, ghcb->save.sw_exit_code,
			      ghcb->save.sw_exit_info_1))

VCPULESS_PROBE(kvm_vmgexit_msr_protocol_enter,
	       (void *data, unsigned int vcpu_id, u64 ghcb_gpa),
	       (data, vcpu_id, ghcb_gpa),
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
 * kvm_run when KVM hands the call to userspace.  The vCPU is live and
 * current here, and its exit reason still that of the exit being handled.
 */
static notrace void probe_kvm_userspace_exit(void *data, __u32 reason, int err)
{
	struct cvm_vcpu *s = current_slot();
	struct kvm_run *run;
	u64 nr, leaf;

	if (!s->tdx || err)
		return;
	run = s->vcpu->run;
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
	leaf = cvm_tdx_leaf(cvm_exit_reason_slow(s->vcpu), reason, nr);
	if (leaf)
		cvm_on_tdx_leaf(&s->stats, leaf);
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

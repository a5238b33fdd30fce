// SPDX-License-Identifier: GPL-2.0
/*
 * Probe bodies.  They run in the traced KVM code, in atomic context (kvm_exit
 * with interrupts off): no sleeping, no allocation, no printk, no shared
 * lock on the steady path.  Each finds its vCPU's slot through the per-CPU
 * cache that kvm_exit keeps, then hands the event to the counting core.
 */
#include "cvmstat.h"
#include "compat/compat.h"

/* The slot of the vCPU this thread runs, for events without a vCPU. */
static __always_inline struct cvm_vcpu *current_slot(void)
{
	struct cvm_cpu_cache *c = this_cpu_ptr(&cvm_cache);

	if (likely(c->task == current))
		return c->slot;
	return cvm_lookup_task_slow();
}

static void probe_kvm_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	struct cvm_cpu_cache *c = this_cpu_ptr(&cvm_cache);
	struct cvm_vcpu *s;
	u32 reason;

	if (likely(c->vcpu == vcpu && c->task == current))
		s = c->slot;
	else
		s = cvm_lookup_exit_slow(vcpu, isa);
	if (likely(s->reason_fast))
		reason = cvm_svm_exit_code(vcpu);
	else
		reason = cvm_exit_reason_slow(vcpu);
	cvm_on_exit(&s->stats, isa, reason);
}

static void probe_kvm_mmio(void *data, int type, int len, u64 gpa, void *val)
{
	struct cvm_vcpu *s = current_slot();

	if (s)
		cvm_on_mmio(&s->stats, type, gpa);
}

static void probe_kvm_fast_mmio(void *data, u64 gpa)
{
	struct cvm_vcpu *s = current_slot();

	if (s)
		cvm_on_fast_mmio(&s->stats, gpa);
}

static void probe_kvm_msr(void *data, unsigned int write, u32 ecx, u64 msr_data,
			  bool exception)
{
	struct cvm_vcpu *s = current_slot();

	if (s)
		cvm_on_msr(&s->stats, write, ecx);
}

static void probe_kvm_pio(void *data, unsigned int rw, unsigned int port,
			  unsigned int size, unsigned int count, const void *val)
{
	struct cvm_vcpu *s = current_slot();

	if (s)
		cvm_on_pio(&s->stats, rw, port);
}

static void probe_kvm_vmgexit_enter(void *data, unsigned int vcpu_id,
				    struct ghcb *ghcb)
{
	struct cvm_vcpu *s = current_slot();

	if (s)
		cvm_on_vmgexit(&s->stats, ghcb->save.sw_exit_code,
			       ghcb->save.sw_exit_info_1);
}

static void probe_kvm_vmgexit_msr_protocol_enter(void *data,
						 unsigned int vcpu_id,
						 u64 ghcb_gpa)
{
	struct cvm_vcpu *s = current_slot();

	if (s)
		cvm_on_ghcb_msr(&s->stats, ghcb_gpa);
}

/*
 * TDX folds GHCI TDVMCALL leaves into exit reason 77; the leaf shows only in
 * kvm_run when KVM hands the call to userspace.  The vCPU is live and
 * current here, and its exit reason still that of the exit being handled.
 */
static void probe_kvm_userspace_exit(void *data, __u32 reason, int err)
{
	struct cvm_vcpu *s = current_slot();
	struct kvm_run *run;
	u64 nr, leaf;

	if (!s || !s->tdx || err)
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

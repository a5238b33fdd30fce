// SPDX-License-Identifier: GPL-2.0
/*
 * protos: what kmod/probes.c declares each probe as, after the tracepoint's
 * `void *data`, as shapes the BTF check compares (kvm_mmio's,
 * kvm_userspace_exit's, kvm_vcpu_wakeup's and kvm_halt_poll_ns's are also
 * proven at build time against the shipped include/trace/events/kvm.h; the
 * others' headers are not shipped).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/cvmstat.h>

#include "btf.h"
#include "protos.h"

#define P(s)		{ CVM_BTF_##s, NULL }
#define S(name)		{ CVM_BTF_PTR_STRUCT, name }
#define N(a)		(sizeof(a) / sizeof((a)[0]))

static const struct cvm_btf_param kvm_exit[] = { S("kvm_vcpu"), P(U32) };
static const struct cvm_btf_param kvm_mmio[] = {
	P(S32), P(S32), P(U64), P(PTR_VOID) };
static const struct cvm_btf_param kvm_fast_mmio[] = { P(U64) };
static const struct cvm_btf_param kvm_msr[] = {
	P(U32), P(U32), P(U64), P(BOOL) };
static const struct cvm_btf_param kvm_pio[] = {
	P(U32), P(U32), P(U32), P(U32), P(PTR_VOID) };
static const struct cvm_btf_param kvm_vmgexit_enter[] = { P(U32), S("ghcb") };
static const struct cvm_btf_param kvm_vmgexit_msr_protocol_enter[] = {
	P(U32), P(U64) };
static const struct cvm_btf_param kvm_userspace_exit[] = { P(U32), P(S32) };
static const struct cvm_btf_param kvm_vcpu_wakeup[] = { P(U64), P(BOOL), P(BOOL) };
static const struct cvm_btf_param kvm_halt_poll_ns[] = {
	P(BOOL), P(U32), P(U32), P(U32) };

static const struct {
	const char *event;
	const struct cvm_btf_param *params;
	unsigned int n;
} protos[CVMSTAT_PROBE_NR] = {
#define E(probe, name) [CVMSTAT_PROBE_##probe] = { #name, name, N(name) }
	E(KVM_EXIT, kvm_exit),
	E(KVM_MMIO, kvm_mmio),
	E(KVM_FAST_MMIO, kvm_fast_mmio),
	E(KVM_MSR, kvm_msr),
	E(KVM_PIO, kvm_pio),
	E(KVM_VMGEXIT_ENTER, kvm_vmgexit_enter),
	E(KVM_VMGEXIT_MSR_PROTOCOL_ENTER, kvm_vmgexit_msr_protocol_enter),
	E(KVM_USERSPACE_EXIT, kvm_userspace_exit),
	E(KVM_VCPU_WAKEUP, kvm_vcpu_wakeup),
	E(KVM_HALT_POLL_NS, kvm_halt_poll_ns),
#undef E
};

int cvm_prove_probes(struct cvm_proof *p)
{
	const char *dir = getenv("CVMSTAT_BTF_DIR");
	char base[PATH_MAX], kvm[PATH_MAX], why[256];
	struct cvm_btf *b;
	unsigned int i;

	memset(p, 0, sizeof(*p));
	if (!dir || !*dir)
		dir = "/sys/kernel/btf";
	snprintf(base, sizeof(base), "%s/vmlinux", dir);
	snprintf(kvm, sizeof(kvm), "%s/kvm", dir);
	b = cvm_btf_load(base, kvm);
	if (!b)
		return -errno;
	for (i = 0; i < CVMSTAT_PROBE_NR; i++) {
		int r = cvm_btf_check_probe(b, protos[i].event, protos[i].params,
					    protos[i].n, why, sizeof(why));

		if (r > 0) {
			p->proven |= 1U << i;
		} else if (r == 0) {
			p->differ |= 1U << i;
			if (!p->why[0])
				snprintf(p->why, sizeof(p->why), "%s", why);
		}
	}
	cvm_btf_free(b);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the counting core (kmod/core), the same code the module
 * runs.  They drive it with the event sequences each ISA produces, including
 * the ones no hardware here can (VMX, SEV-ES, SNP, TDX), and check the uapi
 * records it emits, exactly.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "core/counters.h"
#include "check.h"


static struct cvmstat_record recs[8192];
static unsigned int nr_recs;

static struct cvm_stats *new_stats(enum cvm_mmio_source src)
{
	struct cvm_stats *s = calloc(1, sizeof(*s));

	if (!s)
		abort();
	s->mmio_source = src;
	return s;
}

static void emit(const struct cvm_stats *s, unsigned int vcpu_id)
{
	static struct cvm_counts c, scratch;

	if (!cvm_stats_copy(s, &c, &scratch, 10))
		abort();
	nr_recs = cvm_emit(&c, vcpu_id, vcpu_id, recs);
}

/* The count of (kind, key, dir), 0 if absent; duplicates are an error. */
static unsigned long long get(unsigned int kind, unsigned long long key,
			      unsigned int dir)
{
	unsigned long long count = 0;
	unsigned int i, seen = 0;

	for (i = 0; i < nr_recs; i++) {
		if (recs[i].kind == kind && recs[i].key == key &&
		    recs[i].dir == dir) {
			count = recs[i].count;
			seen++;
		}
	}
	CHECK(seen <= 1, "kind %u key 0x%llx dir %u emitted %u times", kind,
	      key, dir, seen);
	return count;
}

static unsigned int nr_of_kind(unsigned int kind)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr_recs; i++)
		n += recs[i].kind == kind;
	return n;
}

#define REASON(isa, r)	get(CVMSTAT_KIND_REASON, CVMSTAT_REASON_KEY(isa, r), 0)
#define EXPECT(got, want)						\
	CHECK((got) == (want), "%s = %llu, want %llu", #got,		\
	      (unsigned long long)(got), (unsigned long long)(want))

/* What probe_kvm_mmio does. */
static void mmio(struct cvm_stats *s, u32 type, u64 gpa)
{
	u32 dir = cvm_mmio_dir(type);

	if (dir)
		cvm_on_mmio(s, dir, gpa);
}

static void repeat_exit(struct cvm_stats *s, u32 isa, u32 reason, int n)
{
	while (n--)
		cvm_on_exit(s, isa, reason);
}

static void test_vmx(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);

	repeat_exit(s, CVMSTAT_ISA_VMX, 10, 3);		/* CPUID */
	repeat_exit(s, CVMSTAT_ISA_VMX, 30, 2);		/* IO_INSTRUCTION */
	repeat_exit(s, CVMSTAT_ISA_VMX, 48, 1);		/* EPT_VIOLATION */
	repeat_exit(s, CVMSTAT_ISA_VMX, 0x80000021, 1);	/* failed entry */
	repeat_exit(s, CVMSTAT_ISA_VMX, 74, 4);		/* BUS_LOCK */
	cvm_on_msr(s, 1, 0x6e0);			/* TSC_DEADLINE */
	cvm_on_msr(s, 1, 0x6e0);
	cvm_on_msr(s, 0, 0x6e0);
	cvm_on_pio(s, 1, 0x3f8);
	cvm_on_pio(s, 0, 0x3fd);
	cvm_on_fast_mmio(s, 0xfe003000);		/* ioeventfd kick */
	emit(s, 3);

	EXPECT(recs[0].kind, CVMSTAT_KIND_VCPU);
	EXPECT(recs[0].vcpu_id, 3);
	EXPECT(recs[0].count, 11);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 10), 3);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 30), 2);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 48), 1);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 0x80000021), 1);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 74), 4);
	EXPECT(nr_of_kind(CVMSTAT_KIND_REASON), 5);
	EXPECT(get(CVMSTAT_KIND_MSR, 0x6e0, CVMSTAT_DIR_WRITE), 2);
	EXPECT(get(CVMSTAT_KIND_MSR, 0x6e0, CVMSTAT_DIR_READ), 1);
	EXPECT(get(CVMSTAT_KIND_PIO, 0x3f8, CVMSTAT_DIR_WRITE), 1);
	EXPECT(get(CVMSTAT_KIND_PIO, 0x3fd, CVMSTAT_DIR_READ), 1);
	EXPECT(get(CVMSTAT_KIND_MMIO, 0xfe003000, CVMSTAT_DIR_WRITE), 1);
	EXPECT(nr_recs, 1 + 5 + 2 + 2 + 1);
	free(s);
}

static void test_svm(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);
	int i;

	for (i = 0; i < 1000; i++) {	/* the QEMU test workload's loop */
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x72);		/* CPUID */
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x7b);		/* OUT */
		cvm_on_pio(s, 1, 0x500);
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x7b);		/* IN */
		cvm_on_pio(s, 0, 0x500);
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x400);		/* NPF: write */
		mmio(s, CVM_TRACE_MMIO_WRITE, 0x20000);
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x400);		/* NPF: read */
		mmio(s, CVM_TRACE_MMIO_READ_UNSATISFIED, 0x20008);
		mmio(s, CVM_TRACE_MMIO_READ, 0x20008);
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x7c);		/* RDMSR */
		cvm_on_msr(s, 0, 0x10);
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x7c);		/* WRMSR */
		cvm_on_msr(s, 1, 0x10);
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x78);		/* HLT */
	}
	cvm_on_exit(s, CVMSTAT_ISA_SVM, 0xffffffff);	/* SVM_EXIT_ERR */
	cvm_on_exit(s, CVMSTAT_ISA_SVM, 0xa6);		/* IDLE_HLT */
	cvm_on_exit(s, CVMSTAT_ISA_SVM, 0xf0000000);	/* SVM_EXIT_SW */
	emit(s, 0);

	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x72), 1000);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x7b), 2000);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x400), 2000);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x7c), 2000);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x78), 1000);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0xffffffff), 1);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0xa6), 1);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0xf0000000), 1);
	/* VMX reason 0x72 must not be confused with SVM's */
	EXPECT(REASON(CVMSTAT_ISA_VMX, 0x72), 0);
	EXPECT(recs[0].count, 8003);
	EXPECT(get(CVMSTAT_KIND_MMIO, 0x20000, CVMSTAT_DIR_WRITE), 1000);
	EXPECT(get(CVMSTAT_KIND_MMIO, 0x20008, CVMSTAT_DIR_READ), 1000);
	EXPECT(nr_of_kind(CVMSTAT_KIND_MMIO), 2);
	EXPECT(get(CVMSTAT_KIND_MSR, 0x10, CVMSTAT_DIR_READ), 1000);
	EXPECT(get(CVMSTAT_KIND_MSR, 0x10, CVMSTAT_DIR_WRITE), 1000);
	EXPECT(get(CVMSTAT_KIND_PIO, 0x500, CVMSTAT_DIR_WRITE), 1000);
	EXPECT(get(CVMSTAT_KIND_PIO, 0x500, CVMSTAT_DIR_READ), 1000);
	EXPECT(nr_of_kind(CVMSTAT_KIND_OVERFLOW), 0);
	free(s);
}

/* SEV-ES: GHCB-mediated exits, MMIO from the VMGEXIT request. */
static void test_sev_es(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_GHCB);
	int i;

	for (i = 0; i < 5; i++) {
		/* MMIO write to the local APIC timer initial count */
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x403);
		cvm_on_vmgexit(s, CVM_VMGEXIT_MMIO_WRITE, 0xfee00380);
		mmio(s, CVM_TRACE_MMIO_WRITE, 0xfee00380);
		/* MMIO read completed by userspace: KVM traces nothing */
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x403);
		cvm_on_vmgexit(s, CVM_VMGEXIT_MMIO_READ, 0xfeb00010);
		mmio(s, CVM_TRACE_MMIO_READ_UNSATISFIED, 0xfeb00010);
		/* MSR NAE */
		cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x403);
		cvm_on_vmgexit(s, 0x7c, 0);
		cvm_on_msr(s, 1, 0x6e0);
	}
	/* GHCB MSR protocol: CPUID request with data above bit 11, then TERM */
	cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x403);
	cvm_on_ghcb_msr(s, 0x8000000000000004ULL);
	cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x403);
	cvm_on_ghcb_msr(s, 0x100);
	cvm_on_exit(s, CVMSTAT_ISA_SVM, 0x78);		/* HLT: not via GHCB */
	emit(s, 1);

	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x403), 17);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x78), 1);
	EXPECT(get(CVMSTAT_KIND_VMGEXIT, CVM_VMGEXIT_MMIO_WRITE, 0), 5);
	EXPECT(get(CVMSTAT_KIND_VMGEXIT, CVM_VMGEXIT_MMIO_READ, 0), 5);
	EXPECT(get(CVMSTAT_KIND_VMGEXIT, 0x7c, 0), 5);
	EXPECT(nr_of_kind(CVMSTAT_KIND_VMGEXIT), 3);
	EXPECT(get(CVMSTAT_KIND_MMIO, 0xfee00380, CVMSTAT_DIR_WRITE), 5);
	EXPECT(get(CVMSTAT_KIND_MMIO, 0xfeb00010, CVMSTAT_DIR_READ), 5);
	EXPECT(nr_of_kind(CVMSTAT_KIND_MMIO), 2);
	EXPECT(get(CVMSTAT_KIND_GHCB_MSR, 0x004, 0), 1);
	EXPECT(get(CVMSTAT_KIND_GHCB_MSR, 0x100, 0), 1);
	EXPECT(get(CVMSTAT_KIND_MSR, 0x6e0, CVMSTAT_DIR_WRITE), 5);
	free(s);
}

/* SNP: page-state changes and guest requests, both GHCB and MSR protocol. */
static void test_snp(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_GHCB);

	cvm_on_vmgexit(s, 0x80000010, 0);	/* PSC */
	cvm_on_vmgexit(s, 0x80000010, 0);
	cvm_on_vmgexit(s, 0x80000011, 0);	/* GUEST_REQUEST */
	cvm_on_vmgexit(s, 0x80000013, 1);	/* AP_CREATION */
	cvm_on_vmgexit(s, 0x8000fffd, 0);	/* HV_FEATURES */
	cvm_on_vmgexit(s, 0xdeadbeefcafeULL, 0);	/* invalid: still counted */
	cvm_on_ghcb_msr(s, 0x0000000123456014ULL);	/* PSC_REQ */
	cvm_on_ghcb_msr(s, 0x0000000000001012ULL);	/* REG_GPA_REQ */
	emit(s, 2);

	EXPECT(get(CVMSTAT_KIND_VMGEXIT, 0x80000010, 0), 2);
	EXPECT(get(CVMSTAT_KIND_VMGEXIT, 0x80000011, 0), 1);
	EXPECT(get(CVMSTAT_KIND_VMGEXIT, 0x80000013, 0), 1);
	EXPECT(get(CVMSTAT_KIND_VMGEXIT, 0x8000fffd, 0), 1);
	EXPECT(get(CVMSTAT_KIND_VMGEXIT, 0xdeadbeefcafeULL, 0), 1);
	EXPECT(get(CVMSTAT_KIND_GHCB_MSR, 0x014, 0), 1);
	EXPECT(get(CVMSTAT_KIND_GHCB_MSR, 0x012, 0), 1);
	EXPECT(nr_of_kind(CVMSTAT_KIND_MMIO), 0);
	EXPECT(recs[0].count, 0);	/* no kvm_exit was fed */
	free(s);
}

/* TDX: KVM-remapped reasons, MMIO via kvm_mmio, GHCI leaves via userspace. */
static void test_tdx(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);

	repeat_exit(s, CVMSTAT_ISA_VMX, 77, 3);		/* TDCALL leaves */
	repeat_exit(s, CVMSTAT_ISA_VMX, 49, 2);		/* #VE MMIO -> EPT_MISCONFIG */
	repeat_exit(s, CVMSTAT_ISA_VMX, 18, 1);		/* KVM hypercall */
	repeat_exit(s, CVMSTAT_ISA_VMX, 0xffffffff, 1);	/* TDX_OPERAND_BUSY */
	mmio(s, CVM_TRACE_MMIO_WRITE, 0xfed00000);
	mmio(s, CVM_TRACE_MMIO_READ_UNSATISFIED, 0xfed000f0);
	mmio(s, CVM_TRACE_MMIO_READ, 0xfed000f0);

	EXPECT(cvm_tdx_leaf(77, CVM_KVM_EXIT_TDX, 0x10002), 0x10002);
	EXPECT(cvm_tdx_leaf(77, CVM_KVM_EXIT_TDX, 0x10000), 0x10000);
	EXPECT(cvm_tdx_leaf(77, CVM_KVM_EXIT_HYPERCALL, 12), 0x10001);
	EXPECT(cvm_tdx_leaf(77, CVM_KVM_EXIT_HYPERCALL, 5), 0);
	EXPECT(cvm_tdx_leaf(77, CVM_KVM_EXIT_SYSTEM_EVENT, 7), 0x10003);
	EXPECT(cvm_tdx_leaf(77, CVM_KVM_EXIT_SYSTEM_EVENT, 1), 0);
	EXPECT(cvm_tdx_leaf(30, CVM_KVM_EXIT_TDX, 0x10002), 0);
	EXPECT(cvm_tdx_leaf(18, CVM_KVM_EXIT_HYPERCALL, 12), 0);
	cvm_on_tdx_leaf(s, cvm_tdx_leaf(77, CVM_KVM_EXIT_TDX, 0x10002));
	cvm_on_tdx_leaf(s, cvm_tdx_leaf(77, CVM_KVM_EXIT_HYPERCALL, 12));
	cvm_on_tdx_leaf(s, cvm_tdx_leaf(77, CVM_KVM_EXIT_HYPERCALL, 12));
	emit(s, 0);

	EXPECT(REASON(CVMSTAT_ISA_VMX, 77), 3);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 49), 2);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 18), 1);
	EXPECT(REASON(CVMSTAT_ISA_VMX, 0xffffffff), 1);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0xffffffff), 0);
	EXPECT(recs[0].count, 7);
	EXPECT(get(CVMSTAT_KIND_TDX_LEAF, 0x10002, 0), 1);
	EXPECT(get(CVMSTAT_KIND_TDX_LEAF, 0x10001, 0), 2);
	EXPECT(get(CVMSTAT_KIND_MMIO, 0xfed00000, CVMSTAT_DIR_WRITE), 1);
	EXPECT(get(CVMSTAT_KIND_MMIO, 0xfed000f0, CVMSTAT_DIR_READ), 1);
	free(s);
}

/* Every dense reason maps back to the key it came from. */
static void test_reason_roundtrip(void)
{
	static const u32 svm[] = { 0, 0x60, 0xff, 0x400, 0x403, 0x40f, 0xffffffff };
	static const u32 vmx[] = { 0, 1, 77, 85, 255, 0xffffffff };
	unsigned int i;

	for (i = 0; i < sizeof(svm) / sizeof(svm[0]); i++) {
		struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);

		cvm_on_exit(s, CVMSTAT_ISA_SVM, svm[i]);
		CHECK(cvm_reason_index(CVMSTAT_ISA_SVM, svm[i]) >= 0,
		      "SVM 0x%x dense", svm[i]);
		emit(s, 0);
		EXPECT(REASON(CVMSTAT_ISA_SVM, svm[i]), 1);
		EXPECT(nr_recs, 2);
		free(s);
	}
	for (i = 0; i < sizeof(vmx) / sizeof(vmx[0]); i++) {
		struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);

		cvm_on_exit(s, CVMSTAT_ISA_VMX, vmx[i]);
		emit(s, 0);
		EXPECT(REASON(CVMSTAT_ISA_VMX, vmx[i]), 1);
		EXPECT(nr_recs, 2);
		free(s);
	}
	EXPECT(cvm_reason_index(CVMSTAT_ISA_SVM, 0x410), -1);
	EXPECT(cvm_reason_index(CVMSTAT_ISA_VMX, 0x100), -1);
	EXPECT(cvm_reason_index(0, 1), -1);
}

/* A full table loses nothing silently: counted + overflow = events. */
static void test_overflow(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);
	unsigned long long counted = 0;
	unsigned int i, n = 1000;

	n = 3 << CVM_MMIO_SHIFT;
	for (i = 0; i < n; i++)
		mmio(s, CVM_TRACE_MMIO_WRITE, 0x100000000ULL + i * 8);
	for (i = 0; i < 20; i++)	/* port 0 and MSR 0 are real keys */
		cvm_on_pio(s, 0, 0);
	cvm_on_msr(s, 0, 0);
	emit(s, 0);
	for (i = 0; i < nr_recs; i++) {
		if (recs[i].kind == CVMSTAT_KIND_MMIO) {
			counted += recs[i].count;
			CHECK(recs[i].count == 1, "MMIO key counted once");
		}
	}
	CHECK(nr_of_kind(CVMSTAT_KIND_MMIO) <= 1U << CVM_MMIO_SHIFT,
	      "bounded table");
	EXPECT(counted + get(CVMSTAT_KIND_OVERFLOW, CVMSTAT_KIND_MMIO, 0), n);
	CHECK(counted >= (1U << CVM_MMIO_SHIFT) / 2, "table mostly used (%llu)",
	      counted);
	EXPECT(get(CVMSTAT_KIND_PIO, 0, CVMSTAT_DIR_READ), 20);
	EXPECT(get(CVMSTAT_KIND_MSR, 0, CVMSTAT_DIR_READ), 1);
	CHECK(nr_recs <= cvm_max_records(), "within cvm_max_records()");
	free(s);
}

/*
 * What a Linux guest's first vCPU touches in its boot and afterwards (the
 * shapes seen under QEMU: q35 with ECAM, xAPIC, HPET; pc with x2APIC), and
 * more: no key may be lost.
 */
static void test_real_guest_keys(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);
	unsigned int i, bus, dev, fn, nm = 0, nr = 0, np = 0;
	unsigned long long sum = 0;

	/* PCI configuration through ECAM (q35: 0xb0000000): bus 0 scanned,
	 * the present functions' headers and capabilities read */
	for (dev = 0; dev < 32; dev++)
		for (fn = 0; fn < (dev < 4 || dev == 31 ? 8 : 1); fn++)
			for (i = 0; i < (dev < 4 || dev == 31 ? 8 : 1); i++, nm++)
				mmio(s, CVM_TRACE_MMIO_READ, 0xb0000000ULL |
				     dev << 15 | fn << 12 | i * 4);
	for (bus = 1; bus < 8; bus++, nm++)
		mmio(s, CVM_TRACE_MMIO_READ, 0xb0000000ULL | bus << 20);
	/* LAPIC and IOAPIC registers, HPET, a 64-bit BAR's registers */
	for (i = 0; i < 64; i++, nm++)
		mmio(s, CVM_TRACE_MMIO_WRITE, 0xfee00000ULL + i * 16);
	for (i = 0; i < 2; i++, nm++)
		mmio(s, CVM_TRACE_MMIO_WRITE, 0xfec00000ULL + i * 16);
	for (i = 0; i < 32; i++, nm++)
		mmio(s, CVM_TRACE_MMIO_READ, 0xfed00000ULL + i * 8);
	for (i = 0; i < 32; i++, nm++)
		mmio(s, CVM_TRACE_MMIO_WRITE, 0x800000000ULL + i * 4);
	/* MSRs: MTRRs, MCA banks (4 MSRs x 32 banks), x2APIC, the rest */
	for (i = 0; i < 0x20; i++, nr++)
		cvm_on_msr(s, 1, 0x200 + i);
	for (i = 0; i < 0x80; i++, nr++)
		cvm_on_msr(s, 0, 0x400 + i);
	for (i = 0; i < 0x40; i++, nr++)
		cvm_on_msr(s, 1, 0x800 + i);
	for (i = 0; i < 24; i++, nr++)
		cvm_on_msr(s, 0, 0xc0000080 + i);
	/* legacy ports: PIC, PIT, keyboard, CMOS, DMA, serial, PCI, ACPI */
	for (i = 0; i < 0x100; i++, np++)
		cvm_on_pio(s, i & 1, 0x0 + i);
	for (i = 0; i < 8; i++, np++)
		cvm_on_pio(s, 1, 0x3f8 + i);
	for (i = 0; i < 8; i++, np++)
		cvm_on_pio(s, 0, 0xcf8 + i);
	for (i = 0; i < 16; i++, np++)
		cvm_on_pio(s, 0, 0x600 + i);
	emit(s, 0);
	for (i = 0; i < nr_recs; i++)
		if (recs[i].kind == CVMSTAT_KIND_OVERFLOW)
			sum += recs[i].count;
	EXPECT(sum, 0);
	EXPECT(nr_of_kind(CVMSTAT_KIND_MMIO), nm);
	EXPECT(nr_of_kind(CVMSTAT_KIND_MSR), nr);
	EXPECT(nr_of_kind(CVMSTAT_KIND_PIO), np);
	free(s);
}

/* A reset takes effect when the owner carries it out; reads see 0 before. */
static void test_reset(void)
{
	struct cvm_stats *s = new_stats(CVM_MMIO_FROM_TRACE);

	repeat_exit(s, CVMSTAT_ISA_SVM, 0x72, 10);
	cvm_on_pio(s, 1, 0x80);
	CHECK(!cvm_reset_pending(s), "no reset pending");
	cvm_stats_request_reset(s);
	CHECK(cvm_reset_pending(s), "reset pending");
	emit(s, 0);
	EXPECT(nr_recs, 1);
	EXPECT(recs[0].count, 0);
	cvm_apply_reset(s);
	CHECK(!cvm_reset_pending(s), "reset done");
	repeat_exit(s, CVMSTAT_ISA_SVM, 0x72, 3);
	emit(s, 0);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x72), 3);
	EXPECT(get(CVMSTAT_KIND_PIO, 0x80, CVMSTAT_DIR_WRITE), 0);
	/* two requests before the owner runs: one reset */
	cvm_stats_request_reset(s);
	cvm_stats_request_reset(s);
	cvm_apply_reset(s);
	CHECK(!cvm_reset_pending(s), "both requests served");
	cvm_on_pio(s, 1, 0x80);
	emit(s, 0);
	EXPECT(nr_recs, 2);
	EXPECT(get(CVMSTAT_KIND_PIO, 0x80, CVMSTAT_DIR_WRITE), 1);
	free(s);
}

/* A reader on another thread only ever sees whole events. */
static struct cvm_stats *shared;
static volatile int writer_done;

static void *writer(void *arg)
{
	unsigned int i;

	for (i = 0; i < 2000000; i++) {
		cvm_on_exit(shared, CVMSTAT_ISA_SVM, 0x7c);
		cvm_on_msr(shared, 0, 0x10);
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	return arg;
}

/*
 * Churn: a writer spreads events over more MMIO keys than the table holds
 * while a reader copies.  Every copy is consistent: per key, and in total
 * (keyed + lost), counts never go down from one copy to the next, and the
 * final counts are exact.
 */
#define CHURN_KEYS	(2 << CVM_MMIO_SHIFT)
#define CHURN_EVENTS	2000000U
static struct cvm_stats *churned;
static int churn_done;

static void *churn_writer(void *arg)
{
	unsigned int i;

	for (i = 0; i < CHURN_EVENTS; i++)
		cvm_on_mmio(churned, CVMSTAT_DIR_WRITE,
			    0x40000000ULL + (i * 7919ULL % CHURN_KEYS) * 64);
	__atomic_store_n(&churn_done, 1, __ATOMIC_RELEASE);
	return arg;
}

static unsigned long long churn_total(const struct cvm_counts *c)
{
	unsigned long long n = c->overflow[CVM_T_MMIO];
	unsigned int i;

	for (i = 0; i < (1U << CVM_MMIO_SHIFT); i++)
		n += c->mmio_count[i];
	return n;
}

static void test_churn(void)
{
	static struct cvm_counts c, prev, scratch;
	unsigned long long copies = 0, bad = 0, total;
	pthread_t t;
	unsigned int i;

	churned = new_stats(CVM_MMIO_FROM_TRACE);
	memset(&prev, 0, sizeof(prev));
	pthread_create(&t, NULL, churn_writer, NULL);
	while (!__atomic_load_n(&churn_done, __ATOMIC_ACQUIRE)) {
		if (!cvm_stats_copy(churned, &c, &scratch, 1000000))
			continue;
		copies++;
		if (churn_total(&c) < churn_total(&prev))
			bad++;
		for (i = 0; i < (1U << CVM_MMIO_SHIFT); i++)
			if (prev.mmio_count[i] &&
			    (c.mmio_key[i] != prev.mmio_key[i] ||
			     c.mmio_count[i] < prev.mmio_count[i]))
				bad++;
		prev = c;
	}
	pthread_join(t, NULL);
	EXPECT(bad, 0);
	CHECK(copies > 0, "reader made copies");
	cvm_stats_copy(churned, &c, &scratch, 1);
	total = churn_total(&c);
	EXPECT(total, CHURN_EVENTS);
	CHECK(c.overflow[CVM_T_MMIO] > 0, "more keys than room: some lost, counted");
	free(churned);
}

static void test_concurrent_copy(void)
{
	static struct cvm_counts c, scratch;
	unsigned long long torn = 0, copies = 0, exits, msrs;
	pthread_t t;
	unsigned int i;

	shared = new_stats(CVM_MMIO_FROM_TRACE);
	pthread_create(&t, NULL, writer, NULL);
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		if (!cvm_stats_copy(shared, &c, &scratch, 1000000))
			continue;
		copies++;
		exits = c.reason[CVM_DENSE_SVM + 0x7c];
		msrs = 0;
		for (i = 0; i < (1U << CVM_MSR_SHIFT); i++)
			msrs += c.msr_count[i];
		/* each exit is followed by its MSR event: never more MSRs */
		if (msrs > exits || exits - msrs > 1)
			torn++;
	}
	pthread_join(t, NULL);
	EXPECT(torn, 0);
	CHECK(copies > 0, "reader made copies");
	nr_recs = 0;
	emit(shared, 0);
	EXPECT(REASON(CVMSTAT_ISA_SVM, 0x7c), 2000000);
	EXPECT(get(CVMSTAT_KIND_MSR, 0x10, CVMSTAT_DIR_READ), 2000000);
	free(shared);
}

int main(void)
{
	test_vmx();
	test_svm();
	test_sev_es();
	test_snp();
	test_tdx();
	test_reason_roundtrip();
	test_overflow();
	test_real_guest_keys();
	test_reset();
	test_concurrent_copy();
	test_churn();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

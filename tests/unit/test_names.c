// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of userspace/names.c, the naming library of `cvmstat show`:
 * known and unknown exit reasons, VMGEXIT codes, GHCB MSR-protocol requests,
 * TDX leaves, MSRs, MMIO annotations, ports and uapi enums.
 *
 *   gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
 *	-I kmod/include/uapi -I userspace -o /tmp/test_names \
 *	tests/unit/test_names.c userspace/names.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/cvmstat.h>
#include "names.h"
#include "check.h"


/* A name lookup: want NULL for "unknown", else the exact string. */
#define CHECK_NAME(expr, want)						\
	do {								\
		const char *_got = (expr);				\
		const char *_want = (want);				\
		CHECK(_want ? _got && !strcmp(_got, _want) : !_got,	\
		      "%s = \"%s\", want \"%s\"", #expr,		\
		      _got ? _got : "(null)", _want ? _want : "(null)"); \
	} while (0)

/* A formatter: exact string, and the returned length matches it. */
#define CHECK_FMT(fn, want, ...)					\
	do {								\
		char _buf[128];						\
		int _n;							\
		memset(_buf, 'x', sizeof(_buf));			\
		_n = fn(_buf, sizeof(_buf), __VA_ARGS__);		\
		CHECK(!strcmp(_buf, (want)) &&				\
		      _n == (int)strlen(want),				\
		      "%s(%s) = \"%s\" (%d), want \"%s\"", #fn,		\
		      #__VA_ARGS__, _buf, _n, (want));			\
	} while (0)

#define VMX	CVMSTAT_ISA_VMX
#define SVM	CVMSTAT_ISA_SVM

static void test_vmx(void)
{
	/* from the uapi table */
	CHECK_NAME(cvm_name_reason(VMX, 0), "EXCEPTION_NMI");
	CHECK_NAME(cvm_name_reason(VMX, 1), "EXTERNAL_INTERRUPT");
	CHECK_NAME(cvm_name_reason(VMX, 10), "CPUID");
	CHECK_NAME(cvm_name_reason(VMX, 12), "HLT");
	CHECK_NAME(cvm_name_reason(VMX, 18), "VMCALL");
	CHECK_NAME(cvm_name_reason(VMX, 30), "IO_INSTRUCTION");
	CHECK_NAME(cvm_name_reason(VMX, 31), "MSR_READ");
	CHECK_NAME(cvm_name_reason(VMX, 32), "MSR_WRITE");
	CHECK_NAME(cvm_name_reason(VMX, 33), "INVALID_STATE");
	CHECK_NAME(cvm_name_reason(VMX, 48), "EPT_VIOLATION");
	CHECK_NAME(cvm_name_reason(VMX, 49), "EPT_MISCONFIG");
	CHECK_NAME(cvm_name_reason(VMX, 68), "TPAUSE");
	/* own entries (or uapi, when the header is new enough) */
	CHECK_NAME(cvm_name_reason(VMX, 6), "OTHER_SMI");
	CHECK_NAME(cvm_name_reason(VMX, 74), "BUS_LOCK");
	CHECK_NAME(cvm_name_reason(VMX, 75), "NOTIFY");
	CHECK_NAME(cvm_name_reason(VMX, 76), "SEAMCALL");
	CHECK_NAME(cvm_name_reason(VMX, 77), "TDCALL");
	CHECK_NAME(cvm_name_reason(VMX, 84), "MSR_READ_IMM");
	CHECK_NAME(cvm_name_reason(VMX, 85), "MSR_WRITE_IMM");
	CHECK_NAME(cvm_name_reason(VMX, 0xffffffff), "TDX_ENTRY_FAILED");
	/* unknown */
	CHECK_NAME(cvm_name_reason(VMX, 35), NULL);
	CHECK_NAME(cvm_name_reason(VMX, 86), NULL);
	CHECK_NAME(cvm_name_reason(VMX, 0xffff), NULL);
	CHECK_NAME(cvm_name_reason(VMX, 0x80000021), NULL);	/* flagged */
	CHECK_NAME(cvm_name_reason(0, 10), NULL);
	CHECK_NAME(cvm_name_reason(3, 10), NULL);

	CHECK_FMT(cvm_format_reason, "CPUID", VMX, 10);
	CHECK_FMT(cvm_format_reason, "TDCALL", VMX, 77);
	CHECK_FMT(cvm_format_reason, "TDX_ENTRY_FAILED", VMX, 0xffffffff);
	CHECK_FMT(cvm_format_reason, "FAILED_ENTRY|INVALID_STATE", VMX,
		  0x80000021);
	CHECK_FMT(cvm_format_reason, "FAILED_ENTRY|MSR_LOAD_FAIL", VMX,
		  0x80000022);
	CHECK_FMT(cvm_format_reason, "FAILED_ENTRY|MCE_DURING_VMENTRY", VMX,
		  0x80000029);
	CHECK_FMT(cvm_format_reason, "SGX_ENCLAVE|EXCEPTION_NMI", VMX,
		  0x08000000);
	CHECK_FMT(cvm_format_reason, "FAILED_ENTRY|SGX_ENCLAVE|INVALID_STATE",
		  VMX, 0x88000021);
	CHECK_FMT(cvm_format_reason, "FAILED_ENTRY|0x63", VMX, 0x80000063);
	CHECK_FMT(cvm_format_reason, "0x23", VMX, 35);
	CHECK_FMT(cvm_format_reason, "0x1000a", VMX, 0x1000a); /* bit 16 */
	CHECK_FMT(cvm_format_reason, "0xa", 0, 10);
	CHECK_FMT(cvm_format_reason, "0xa", 7, 10);
}

static void test_svm(void)
{
	/* names are the SVM_EXIT_* macro names, upper case */
	CHECK_NAME(cvm_name_reason(SVM, 0x000), "READ_CR0");
	CHECK_NAME(cvm_name_reason(SVM, 0x003), "READ_CR3");
	CHECK_NAME(cvm_name_reason(SVM, 0x010), "WRITE_CR0");
	CHECK_NAME(cvm_name_reason(SVM, 0x018), "WRITE_CR8");
	CHECK_NAME(cvm_name_reason(SVM, 0x027), "READ_DR7");
	CHECK_NAME(cvm_name_reason(SVM, 0x037), "WRITE_DR7");
	CHECK_NAME(cvm_name_reason(SVM, 0x040), "EXCP_DE");
	CHECK_NAME(cvm_name_reason(SVM, 0x041), "EXCP_DB");
	CHECK_NAME(cvm_name_reason(SVM, 0x04e), "EXCP_PF");
	CHECK_NAME(cvm_name_reason(SVM, 0x052), "EXCP_MC");
	CHECK_NAME(cvm_name_reason(SVM, 0x05d), "EXCP_VC");
	CHECK_NAME(cvm_name_reason(SVM, 0x060), "INTR");
	CHECK_NAME(cvm_name_reason(SVM, 0x061), "NMI");
	CHECK_NAME(cvm_name_reason(SVM, 0x064), "VINTR");
	CHECK_NAME(cvm_name_reason(SVM, 0x065), "CR0_SEL_WRITE");
	CHECK_NAME(cvm_name_reason(SVM, 0x069), "TR_READ");
	CHECK_NAME(cvm_name_reason(SVM, 0x06e), "RDTSC");
	CHECK_NAME(cvm_name_reason(SVM, 0x072), "CPUID");
	CHECK_NAME(cvm_name_reason(SVM, 0x077), "PAUSE");
	CHECK_NAME(cvm_name_reason(SVM, 0x078), "HLT");
	CHECK_NAME(cvm_name_reason(SVM, 0x07b), "IOIO");
	CHECK_NAME(cvm_name_reason(SVM, 0x07c), "MSR");
	CHECK_NAME(cvm_name_reason(SVM, 0x07f), "SHUTDOWN");
	CHECK_NAME(cvm_name_reason(SVM, 0x081), "VMMCALL");
	CHECK_NAME(cvm_name_reason(SVM, 0x089), "WBINVD");
	CHECK_NAME(cvm_name_reason(SVM, 0x08d), "XSETBV");
	CHECK_NAME(cvm_name_reason(SVM, 0x08e), "RDPRU");
	CHECK_NAME(cvm_name_reason(SVM, 0x08f), "EFER_WRITE_TRAP");
	CHECK_NAME(cvm_name_reason(SVM, 0x090), "CR0_WRITE_TRAP");
	CHECK_NAME(cvm_name_reason(SVM, 0x093), "CR3_WRITE_TRAP");
	CHECK_NAME(cvm_name_reason(SVM, 0x09f), "CR15_WRITE_TRAP");
	CHECK_NAME(cvm_name_reason(SVM, 0x0a2), "INVPCID");
	CHECK_NAME(cvm_name_reason(SVM, 0x0a5), "BUS_LOCK");
	CHECK_NAME(cvm_name_reason(SVM, 0x0a6), "IDLE_HLT");
	CHECK_NAME(cvm_name_reason(SVM, 0x400), "NPF");
	CHECK_NAME(cvm_name_reason(SVM, 0x401), "AVIC_INCOMPLETE_IPI");
	CHECK_NAME(cvm_name_reason(SVM, 0x402), "AVIC_UNACCELERATED_ACCESS");
	CHECK_NAME(cvm_name_reason(SVM, 0x403), "VMGEXIT");
	CHECK_NAME(cvm_name_reason(SVM, 0xf0000000), "SW");
	CHECK_NAME(cvm_name_reason(SVM, 0xffffffff), "ERR");
	/* unknown; VMGEXIT codes are not exit reasons */
	CHECK_NAME(cvm_name_reason(SVM, 0x3ff), NULL);
	CHECK_NAME(cvm_name_reason(SVM, 0x0a7), NULL);
	CHECK_NAME(cvm_name_reason(SVM, 0x404 + 0x100), NULL);
	CHECK_NAME(cvm_name_reason(SVM, 0x80000001), NULL);
	CHECK_NAME(cvm_name_reason(SVM, 0xfffffffe), NULL);

	CHECK_FMT(cvm_format_reason, "CPUID", SVM, 0x72);
	CHECK_FMT(cvm_format_reason, "NPF", SVM, 0x400);
	CHECK_FMT(cvm_format_reason, "VMGEXIT", SVM, 0x403);
	CHECK_FMT(cvm_format_reason, "ERR", SVM, 0xffffffff);
	CHECK_FMT(cvm_format_reason, "0x3ff", SVM, 0x3ff);
	/* no VMX flag decoding on SVM */
	CHECK_FMT(cvm_format_reason, "0x80000021", SVM, 0x80000021);
}

static void test_format_edges(void)
{
	char buf[8];
	int n;

	/* truncation: NUL-terminated, length of what was stored */
	memset(buf, 'x', sizeof(buf));
	n = cvm_format_reason(buf, sizeof(buf), VMX, 0x80000021);
	CHECK(n == 7 && !strcmp(buf, "FAILED_"), "truncated reason \"%s\" %d",
	      buf, n);
	memset(buf, 'x', sizeof(buf));
	n = cvm_format_reason(buf, 1, SVM, 0x72);
	CHECK(n == 0 && buf[0] == '\0' && buf[1] == 'x',
	      "len 1 gives empty string (%d)", n);
	n = cvm_format_reason(NULL, 0, SVM, 0x72);
	CHECK(n == 0, "NULL buffer, len 0 (%d)", n);
	memset(buf, 'x', sizeof(buf));
	n = cvm_format_mmio(buf, sizeof(buf), 0xfee00380);
	CHECK(n == 7 && !strcmp(buf, "LAPIC T"), "truncated mmio \"%s\" %d",
	      buf, n);
	n = cvm_format_mmio(NULL, 0, 0xfee00380);
	CHECK(n == 0, "mmio NULL buffer, len 0 (%d)", n);
}

static void test_vmgexit(void)
{
	CHECK_NAME(cvm_name_vmgexit(0x80000001), "MMIO_READ");
	CHECK_NAME(cvm_name_vmgexit(0x80000002), "MMIO_WRITE");
	CHECK_NAME(cvm_name_vmgexit(0x80000003), "NMI_COMPLETE");
	CHECK_NAME(cvm_name_vmgexit(0x80000004), "AP_HLT_LOOP");
	CHECK_NAME(cvm_name_vmgexit(0x80000005), "AP_JUMP_TABLE");
	CHECK_NAME(cvm_name_vmgexit(0x80000010), "PSC");
	CHECK_NAME(cvm_name_vmgexit(0x80000011), "GUEST_REQUEST");
	CHECK_NAME(cvm_name_vmgexit(0x80000012), "EXT_GUEST_REQUEST");
	CHECK_NAME(cvm_name_vmgexit(0x80000013), "AP_CREATION");
	CHECK_NAME(cvm_name_vmgexit(0x80000018), "SNP_RUN_VMPL");
	CHECK_NAME(cvm_name_vmgexit(0x8000001a), "SAVIC");
	CHECK_NAME(cvm_name_vmgexit(0x8000fffd), "HV_FEATURES");
	CHECK_NAME(cvm_name_vmgexit(0x8000fffe), "TERM_REQUEST");
	CHECK_NAME(cvm_name_vmgexit(0x8000ffff), "UNSUPPORTED_EVENT");
	/* NAE events: plain SVM exit codes */
	CHECK_NAME(cvm_name_vmgexit(0x27), "READ_DR7");
	CHECK_NAME(cvm_name_vmgexit(0x37), "WRITE_DR7");
	CHECK_NAME(cvm_name_vmgexit(0x6e), "RDTSC");
	CHECK_NAME(cvm_name_vmgexit(0x6f), "RDPMC");
	CHECK_NAME(cvm_name_vmgexit(0x72), "CPUID");
	CHECK_NAME(cvm_name_vmgexit(0x76), "INVD");
	CHECK_NAME(cvm_name_vmgexit(0x7b), "IOIO");
	CHECK_NAME(cvm_name_vmgexit(0x7c), "MSR");
	CHECK_NAME(cvm_name_vmgexit(0x81), "VMMCALL");
	CHECK_NAME(cvm_name_vmgexit(0x87), "RDTSCP");
	CHECK_NAME(cvm_name_vmgexit(0x89), "WBINVD");
	CHECK_NAME(cvm_name_vmgexit(0x8a), "MONITOR");
	CHECK_NAME(cvm_name_vmgexit(0x8b), "MWAIT");
	/* unknown */
	CHECK_NAME(cvm_name_vmgexit(0x80000000), NULL);
	CHECK_NAME(cvm_name_vmgexit(0x80000006), NULL);
	CHECK_NAME(cvm_name_vmgexit(0x80000019), NULL);
	CHECK_NAME(cvm_name_vmgexit(0x8000fffc), NULL);
	CHECK_NAME(cvm_name_vmgexit(0xf0000000), NULL);
	CHECK_NAME(cvm_name_vmgexit(0xffffffff), NULL);
	CHECK_NAME(cvm_name_vmgexit(0x180000001ull), NULL);
	CHECK_NAME(cvm_name_vmgexit(0x3ff), NULL);
	CHECK_NAME(cvm_name_vmgexit(~0ull), NULL);
}

static void test_ghcb_msr(void)
{
	CHECK_NAME(cvm_name_ghcb_msr(0x001), "SEV_INFO_RESP");
	CHECK_NAME(cvm_name_ghcb_msr(0x002), "SEV_INFO_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x004), "CPUID_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x005), "CPUID_RESP");
	CHECK_NAME(cvm_name_ghcb_msr(0x006), "AP_RESET_HOLD_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x010), "PREF_GPA_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x012), "REG_GPA_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x014), "PSC_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x016), "VMPL_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x080), "HV_FT_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x100), "TERM_REQ");
	/* only GHCBInfo (bits 11:0) counts: a raw MSR value works too */
	CHECK_NAME(cvm_name_ghcb_msr(0x0000000300000004ull), "CPUID_REQ");
	CHECK_NAME(cvm_name_ghcb_msr(0x000), NULL);
	CHECK_NAME(cvm_name_ghcb_msr(0x003), NULL);
	CHECK_NAME(cvm_name_ghcb_msr(0x018), NULL);
	CHECK_NAME(cvm_name_ghcb_msr(0xfff), NULL);
}

static void test_tdx(void)
{
	CHECK_NAME(cvm_name_tdx_leaf(0x10000), "GET_TD_VM_CALL_INFO");
	CHECK_NAME(cvm_name_tdx_leaf(0x10001), "MAP_GPA");
	CHECK_NAME(cvm_name_tdx_leaf(0x10002), "GET_QUOTE");
	CHECK_NAME(cvm_name_tdx_leaf(0x10003), "REPORT_FATAL_ERROR");
	CHECK_NAME(cvm_name_tdx_leaf(0x10004), "SETUP_EVENT_NOTIFY_INTERRUPT");
	CHECK_NAME(cvm_name_tdx_leaf(0x10005), NULL);
	CHECK_NAME(cvm_name_tdx_leaf(0xffff), NULL);
	CHECK_NAME(cvm_name_tdx_leaf(12), NULL);
	CHECK_NAME(cvm_name_tdx_leaf(0x100010001ull), NULL);
}

static void test_msr(void)
{
	CHECK_NAME(cvm_name_msr(0x10), "TSC");
	CHECK_NAME(cvm_name_msr(0x11), "KVM_WALL_CLOCK");
	CHECK_NAME(cvm_name_msr(0x12), "KVM_SYSTEM_TIME");
	CHECK_NAME(cvm_name_msr(0x1b), "APIC_BASE");
	CHECK_NAME(cvm_name_msr(0x3a), "FEATURE_CONTROL");
	CHECK_NAME(cvm_name_msr(0x3b), "TSC_ADJUST");
	CHECK_NAME(cvm_name_msr(0x48), "SPEC_CTRL");
	CHECK_NAME(cvm_name_msr(0x49), "PRED_CMD");
	CHECK_NAME(cvm_name_msr(0xfe), "MTRRCAP");
	CHECK_NAME(cvm_name_msr(0x174), "SYSENTER_CS");
	CHECK_NAME(cvm_name_msr(0x176), "SYSENTER_EIP");
	CHECK_NAME(cvm_name_msr(0x1a0), "MISC_ENABLE");
	CHECK_NAME(cvm_name_msr(0x200), "MTRR_PHYSBASE0");
	CHECK_NAME(cvm_name_msr(0x20f), "MTRR_PHYSMASK7");
	CHECK_NAME(cvm_name_msr(0x250), "MTRR_FIX64K_00000");
	CHECK_NAME(cvm_name_msr(0x26f), "MTRR_FIX4K_F8000");
	CHECK_NAME(cvm_name_msr(0x277), "PAT");
	CHECK_NAME(cvm_name_msr(0x2ff), "MTRR_DEF_TYPE");
	CHECK_NAME(cvm_name_msr(0x6e0), "TSC_DEADLINE");
	CHECK_NAME(cvm_name_msr(0xda0), "XSS");
	CHECK_NAME(cvm_name_msr(0xc0000080), "EFER");
	CHECK_NAME(cvm_name_msr(0xc0000081), "STAR");
	CHECK_NAME(cvm_name_msr(0xc0000082), "LSTAR");
	CHECK_NAME(cvm_name_msr(0xc0000083), "CSTAR");
	CHECK_NAME(cvm_name_msr(0xc0000084), "SFMASK");
	CHECK_NAME(cvm_name_msr(0xc0000100), "FS_BASE");
	CHECK_NAME(cvm_name_msr(0xc0000101), "GS_BASE");
	CHECK_NAME(cvm_name_msr(0xc0000102), "KERNEL_GS_BASE");
	CHECK_NAME(cvm_name_msr(0xc0000103), "TSC_AUX");
	CHECK_NAME(cvm_name_msr(0xc0010015), "HWCR");
	CHECK_NAME(cvm_name_msr(0xc0010114), "VM_CR");
	CHECK_NAME(cvm_name_msr(0xc0010117), "VM_HSAVE_PA");
	CHECK_NAME(cvm_name_msr(0xc0010130), "GHCB");
	CHECK_NAME(cvm_name_msr(0xc0010131), "SEV_STATUS");
	CHECK_NAME(cvm_name_msr(0x40000001), "HV_HYPERCALL");
	CHECK_NAME(cvm_name_msr(0x4b564d00), "KVM_WALL_CLOCK_NEW");
	CHECK_NAME(cvm_name_msr(0x4b564d01), "KVM_SYSTEM_TIME_NEW");
	CHECK_NAME(cvm_name_msr(0x4b564d02), "KVM_ASYNC_PF_EN");
	CHECK_NAME(cvm_name_msr(0x4b564d03), "KVM_STEAL_TIME");
	CHECK_NAME(cvm_name_msr(0x4b564d04), "KVM_PV_EOI_EN");
	CHECK_NAME(cvm_name_msr(0x4b564d05), "KVM_POLL_CONTROL");
	CHECK_NAME(cvm_name_msr(0x4b564d06), "KVM_ASYNC_PF_INT");
	CHECK_NAME(cvm_name_msr(0x4b564d07), "KVM_ASYNC_PF_ACK");
	CHECK_NAME(cvm_name_msr(0x4b564d08), "KVM_MIGRATION_CONTROL");
	/* x2APIC, by register */
	CHECK_NAME(cvm_name_msr(0x802), "X2APIC_ID");
	CHECK_NAME(cvm_name_msr(0x803), "X2APIC_VERSION");
	CHECK_NAME(cvm_name_msr(0x808), "X2APIC_TPR");
	CHECK_NAME(cvm_name_msr(0x80a), "X2APIC_PPR");
	CHECK_NAME(cvm_name_msr(0x80b), "X2APIC_EOI");
	CHECK_NAME(cvm_name_msr(0x80d), "X2APIC_LDR");
	CHECK_NAME(cvm_name_msr(0x80f), "X2APIC_SVR");
	CHECK_NAME(cvm_name_msr(0x810), "X2APIC_ISR0");
	CHECK_NAME(cvm_name_msr(0x817), "X2APIC_ISR7");
	CHECK_NAME(cvm_name_msr(0x818), "X2APIC_TMR0");
	CHECK_NAME(cvm_name_msr(0x81f), "X2APIC_TMR7");
	CHECK_NAME(cvm_name_msr(0x820), "X2APIC_IRR0");
	CHECK_NAME(cvm_name_msr(0x827), "X2APIC_IRR7");
	CHECK_NAME(cvm_name_msr(0x828), "X2APIC_ESR");
	CHECK_NAME(cvm_name_msr(0x82f), "X2APIC_LVT_CMCI");
	CHECK_NAME(cvm_name_msr(0x830), "X2APIC_ICR");
	CHECK_NAME(cvm_name_msr(0x832), "X2APIC_LVT_TIMER");
	CHECK_NAME(cvm_name_msr(0x833), "X2APIC_LVT_THERMAL");
	CHECK_NAME(cvm_name_msr(0x834), "X2APIC_LVT_PMI");
	CHECK_NAME(cvm_name_msr(0x835), "X2APIC_LVT_LINT0");
	CHECK_NAME(cvm_name_msr(0x836), "X2APIC_LVT_LINT1");
	CHECK_NAME(cvm_name_msr(0x837), "X2APIC_LVT_ERROR");
	CHECK_NAME(cvm_name_msr(0x838), "X2APIC_TIMER_INIT_COUNT");
	CHECK_NAME(cvm_name_msr(0x839), "X2APIC_TIMER_CUR_COUNT");
	CHECK_NAME(cvm_name_msr(0x83e), "X2APIC_TIMER_DIV_CONF");
	CHECK_NAME(cvm_name_msr(0x83f), "X2APIC_SELF_IPI");
	/* reserved in x2APIC mode (xAPIC-only registers), and unknown */
	CHECK_NAME(cvm_name_msr(0x800), NULL);
	CHECK_NAME(cvm_name_msr(0x809), NULL);	/* APR */
	CHECK_NAME(cvm_name_msr(0x80e), NULL);	/* DFR */
	CHECK_NAME(cvm_name_msr(0x831), NULL);	/* ICR2 */
	CHECK_NAME(cvm_name_msr(0x840), NULL);
	CHECK_NAME(cvm_name_msr(0x8ff), NULL);
	/* machine-check banks, MTRRs, the MSRs a Linux guest touches at boot */
	CHECK_NAME(cvm_name_msr(0x400), "MC0_CTL");
	CHECK_NAME(cvm_name_msr(0x401), "MC0_STATUS");
	CHECK_NAME(cvm_name_msr(0x402), "MC0_ADDR");
	CHECK_NAME(cvm_name_msr(0x403), "MC0_MISC");
	CHECK_NAME(cvm_name_msr(0x411), "MC4_STATUS");
	CHECK_NAME(cvm_name_msr(0x47f), "MC31_MISC");
	CHECK_NAME(cvm_name_msr(0x280), "MC0_CTL2");
	CHECK_NAME(cvm_name_msr(0x29f), "MC31_CTL2");
	CHECK_NAME(cvm_name_msr(0x2a0), NULL);
	CHECK_NAME(cvm_name_msr(0x179), "MCG_CAP");
	CHECK_NAME(cvm_name_msr(0x200), "MTRR_PHYSBASE0");
	CHECK_NAME(cvm_name_msr(0x20f), "MTRR_PHYSMASK7");
	CHECK_NAME(cvm_name_msr(0x213), "MTRR_PHYSMASK9");
	CHECK_NAME(cvm_name_msr(0x214), NULL);
	CHECK_NAME(cvm_name_msr(0x250), "MTRR_FIX64K_00000");
	CHECK_NAME(cvm_name_msr(0x26f), "MTRR_FIX4K_F8000");
	CHECK_NAME(cvm_name_msr(0x2ff), "MTRR_DEF_TYPE");
	CHECK_NAME(cvm_name_msr(0xfe), "MTRRCAP");
	CHECK_NAME(cvm_name_msr(0x33), "TEST_CTRL");
	CHECK_NAME(cvm_name_msr(0xcf), "CORE_CAPABILITIES");
	CHECK_NAME(cvm_name_msr(0x18d), "PERFEVTSEL7");
	CHECK_NAME(cvm_name_msr(0x1c4), "XFD");
	CHECK_NAME(cvm_name_msr(0x392), "PERF_GLOBAL_INUSE");
	CHECK_NAME(cvm_name_msr(0x6e1), "PKRS");
	CHECK_NAME(cvm_name_msr(0x774), "HWP_REQUEST");
	CHECK_NAME(cvm_name_msr(0x14cf), "ARCH_LBR_DEPTH");
	CHECK_NAME(cvm_name_msr(0x4000009f), "HV_SINT15");
	CHECK_NAME(cvm_name_msr(0x400000b7), "HV_STIMER3_COUNT");
	CHECK_NAME(cvm_name_msr(0x40000104), "HV_CRASH_P4");
	CHECK_NAME(cvm_name_msr(0xc001001f), "NB_CFG");
	CHECK_NAME(cvm_name_msr(0xc0010064), "PSTATE_DEF0");
	CHECK_NAME(cvm_name_msr(0xc001006b), "PSTATE_DEF7");
	CHECK_NAME(cvm_name_msr(0xc0010112), "TSEG_ADDR");
	CHECK_NAME(cvm_name_msr(0xc00102b3), "CPPC_REQ");
	CHECK_NAME(cvm_name_msr(0xc001103a), "IBSCTL");
	CHECK_NAME(cvm_name_msr(0x0), NULL);
	CHECK_NAME(cvm_name_msr(0x4b564d09), NULL);
	CHECK_NAME(cvm_name_msr(0xc0010132), NULL);
	CHECK_NAME(cvm_name_msr(0xffffffff), NULL);
}

static void test_mmio(void)
{
	CHECK_FMT(cvm_format_mmio, "LAPIC ID", 0xfee00020ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC TPR", 0xfee00080ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC EOI", 0xfee000b0ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC SVR", 0xfee000f0ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC ICR", 0xfee00300ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC ICR2", 0xfee00310ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC LVT_TIMER", 0xfee00320ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC TIMER_INIT_COUNT", 0xfee00380ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC TIMER_CUR_COUNT", 0xfee00390ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC TIMER_DIV_CONF", 0xfee003e0ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC TIMER_INIT_COUNT+0x4",
		  0xfee00384ull);
	/* SELF_IPI exists only as an x2APIC MSR */
	CHECK_FMT(cvm_format_mmio, "LAPIC 0x3f0", 0xfee003f0ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC 0x040", 0xfee00040ull);
	CHECK_FMT(cvm_format_mmio, "LAPIC 0xffc", 0xfee00ffcull);
	CHECK_FMT(cvm_format_mmio, "IOAPIC IOREGSEL", 0xfec00000ull);
	CHECK_FMT(cvm_format_mmio, "IOAPIC IOWIN", 0xfec00010ull);
	CHECK_FMT(cvm_format_mmio, "IOAPIC EOI", 0xfec00040ull);
	CHECK_FMT(cvm_format_mmio, "IOAPIC 0x020", 0xfec00020ull);
	CHECK_FMT(cvm_format_mmio, "HPET GCAP_ID", 0xfed00000ull);
	CHECK_FMT(cvm_format_mmio, "HPET GCAP_ID+0x4", 0xfed00004ull);
	CHECK_FMT(cvm_format_mmio, "HPET CONFIG", 0xfed00010ull);
	CHECK_FMT(cvm_format_mmio, "HPET ISR", 0xfed00020ull);
	CHECK_FMT(cvm_format_mmio, "HPET MAIN_COUNTER", 0xfed000f0ull);
	CHECK_FMT(cvm_format_mmio, "HPET T0_CONFIG", 0xfed00100ull);
	CHECK_FMT(cvm_format_mmio, "HPET T0_COMPARATOR", 0xfed00108ull);
	CHECK_FMT(cvm_format_mmio, "HPET T0_FSB_ROUTE", 0xfed00110ull);
	CHECK_FMT(cvm_format_mmio, "HPET 0x118", 0xfed00118ull);
	CHECK_FMT(cvm_format_mmio, "HPET T1_CONFIG", 0xfed00120ull);
	CHECK_FMT(cvm_format_mmio, "HPET T2_COMPARATOR", 0xfed00148ull);
	CHECK_FMT(cvm_format_mmio, "HPET T2_COMPARATOR+0x4", 0xfed0014cull);
	CHECK_FMT(cvm_format_mmio, "HPET 0x008", 0xfed00008ull);
	/* PCI configuration space through ECAM, q35's window by default */
	CHECK_FMT(cvm_format_mmio, "PCI ECAM 00:00.0 reg 0x00", 0xb0000000ull);
	CHECK_FMT(cvm_format_mmio, "PCI ECAM 00:1f.2 reg 0x40", 0xb00fa040ull);
	CHECK_FMT(cvm_format_mmio, "PCI ECAM 00:1f.0 reg 0x04", 0xb00f8004ull);
	CHECK_FMT(cvm_format_mmio, "PCI ECAM 01:00.0 reg 0x100", 0xb0100100ull);
	CHECK_FMT(cvm_format_mmio, "PCI ECAM ff:1f.7 reg 0xfff", 0xbfffffffull);
	CHECK_FMT(cvm_format_mmio, "", 0xc0000000ull);
	CHECK_FMT(cvm_format_mmio, "", 0xafffffffull);
	cvm_names_set_ecam(0xe0000000ull, 0x1000000ull);	/* 16 buses */
	CHECK_FMT(cvm_format_mmio, "PCI ECAM 0f:03.1 reg 0x10", 0xe0f19010ull);
	CHECK_FMT(cvm_format_mmio, "", 0xe1000000ull);
	CHECK_FMT(cvm_format_mmio, "", 0xb00fa040ull);
	cvm_names_set_ecam(0, 0);				/* off */
	CHECK_FMT(cvm_format_mmio, "", 0xe0f19010ull);
	CHECK_FMT(cvm_format_mmio, "", 0ull);
	cvm_names_set_ecam(CVM_ECAM_Q35_BASE, CVM_ECAM_Q35_SIZE);
	/* the legacy VGA window, q35's RCRB, TPM */
	CHECK_FMT(cvm_format_mmio, "VGA window", 0xb8000ull);
	CHECK_FMT(cvm_format_mmio, "VGA window", 0xa0000ull);
	CHECK_FMT(cvm_format_mmio, "", 0xc0000ull);
	CHECK_FMT(cvm_format_mmio, "ICH9 RCRB 0x3410", 0xfed1f410ull);
	CHECK_FMT(cvm_format_mmio, "TPM TIS 0x0f00", 0xfed40f00ull);
	/* outside the known regions: empty */
	CHECK_FMT(cvm_format_mmio, "", 0x12345ull);
	CHECK_FMT(cvm_format_mmio, "", 0xfee01000ull);
	CHECK_FMT(cvm_format_mmio, "", 0xfedfffffull);
	CHECK_FMT(cvm_format_mmio, "", 0xfec00400ull);
	CHECK_FMT(cvm_format_mmio, "", 0xfed00400ull);
	CHECK_FMT(cvm_format_mmio, "", 0x1fee00380ull);
	CHECK_FMT(cvm_format_mmio, "", ~0ull);
}

static void test_port(void)
{
	CHECK_NAME(cvm_name_port(0x20), "PIC1_CMD");
	CHECK_NAME(cvm_name_port(0x21), "PIC1_DATA");
	CHECK_NAME(cvm_name_port(0xa0), "PIC2_CMD");
	CHECK_NAME(cvm_name_port(0xa1), "PIC2_DATA");
	CHECK_NAME(cvm_name_port(0x40), "PIT_CH0");
	CHECK_NAME(cvm_name_port(0x43), "PIT_MODE");
	CHECK_NAME(cvm_name_port(0x60), "I8042_DATA");
	CHECK_NAME(cvm_name_port(0x64), "I8042_CMD");
	CHECK_NAME(cvm_name_port(0x70), "RTC_INDEX");
	CHECK_NAME(cvm_name_port(0x71), "RTC_DATA");
	CHECK_NAME(cvm_name_port(0x80), "POST");
	CHECK_NAME(cvm_name_port(0xf4), "ISA_DEBUG_EXIT");
	CHECK_NAME(cvm_name_port(0x3f8), "COM1_DATA");
	CHECK_NAME(cvm_name_port(0x3fd), "COM1_LSR");
	CHECK_NAME(cvm_name_port(0x3ff), "COM1_SCR");
	CHECK_NAME(cvm_name_port(0x2f8), "COM2_DATA");
	CHECK_NAME(cvm_name_port(0x510), "FW_CFG_CTL");
	CHECK_NAME(cvm_name_port(0x511), "FW_CFG_DATA");
	CHECK_NAME(cvm_name_port(0x518), "FW_CFG_DMA");
	CHECK_NAME(cvm_name_port(0x608), "ACPI_PM_TMR");
	CHECK_NAME(cvm_name_port(0xb008), "ACPI_PM_TMR");
	CHECK_NAME(cvm_name_port(0xb004), "ACPI_PM1_CNT");
	CHECK_NAME(cvm_name_port(0xcf8), "PCI_CONFIG_ADDR");
	CHECK_NAME(cvm_name_port(0xcf9), "RESET_CONTROL");
	CHECK_NAME(cvm_name_port(0xcfc), "PCI_CONFIG_DATA");
	CHECK_NAME(cvm_name_port(0xcfe), "PCI_CONFIG_DATA");
	/* the legacy PCI configuration mechanisms, as Linux probes them */
	CHECK_NAME(cvm_name_port(0xcfa), "PCI_CONFIG2_FORWARD");
	CHECK_NAME(cvm_name_port(0xcfb), "PCI_CONFIG_MECH");
	CHECK_NAME(cvm_name_port(0xcff), "PCI_CONFIG_DATA");
	/* Super I/O configuration, legacy devices a booting Linux probes */
	CHECK_NAME(cvm_name_port(0x2e), "SUPERIO_INDEX");
	CHECK_NAME(cvm_name_port(0x2f), "SUPERIO_DATA");
	CHECK_NAME(cvm_name_port(0x4e), "SUPERIO2_INDEX");
	CHECK_NAME(cvm_name_port(0x4f), "SUPERIO2_DATA");
	CHECK_NAME(cvm_name_port(0x0), "DMA1");
	CHECK_NAME(cvm_name_port(0xf), "DMA1");
	CHECK_NAME(cvm_name_port(0x81), "DMA_PAGE");
	CHECK_NAME(cvm_name_port(0x8f), "DMA_PAGE");
	CHECK_NAME(cvm_name_port(0xc0), "DMA2");
	CHECK_NAME(cvm_name_port(0xdf), "DMA2");
	CHECK_NAME(cvm_name_port(0x41), "PIT_CH1");
	CHECK_NAME(cvm_name_port(0x42), "PIT_CH2");
	CHECK_NAME(cvm_name_port(0x61), "SYS_CTRL_B");
	CHECK_NAME(cvm_name_port(0x62), "EC_DATA");
	CHECK_NAME(cvm_name_port(0x66), "EC_CMD");
	CHECK_NAME(cvm_name_port(0x92), "SYS_CTRL_A");
	CHECK_NAME(cvm_name_port(0xb2), "APM_CNT");
	CHECK_NAME(cvm_name_port(0xb3), "APM_STS");
	CHECK_NAME(cvm_name_port(0xed), "IO_DELAY");
	CHECK_NAME(cvm_name_port(0x1f0), "IDE1_DATA");
	CHECK_NAME(cvm_name_port(0x1f7), "IDE1_STATUS_CMD");
	CHECK_NAME(cvm_name_port(0x3f6), "IDE1_CTL");
	CHECK_NAME(cvm_name_port(0x170), "IDE2_DATA");
	CHECK_NAME(cvm_name_port(0x177), "IDE2_STATUS_CMD");
	CHECK_NAME(cvm_name_port(0x376), "IDE2_CTL");
	CHECK_NAME(cvm_name_port(0x3f2), "FDC_DOR");
	CHECK_NAME(cvm_name_port(0x3f4), "FDC_MSR");
	CHECK_NAME(cvm_name_port(0x3f7), "FDC_DIR");
	CHECK_NAME(cvm_name_port(0x378), "LPT1_DATA");
	CHECK_NAME(cvm_name_port(0x27a), "LPT2_CTRL");
	CHECK_NAME(cvm_name_port(0x3bd), "LPT3_STATUS");
	CHECK_NAME(cvm_name_port(0x3e8), "COM3_DATA");
	CHECK_NAME(cvm_name_port(0x2ed), "COM4_LSR");
	CHECK_NAME(cvm_name_port(0x3b4), "VGA");
	CHECK_NAME(cvm_name_port(0x3d5), "VGA");
	CHECK_NAME(cvm_name_port(0x1ce), "VBE_INDEX");
	CHECK_NAME(cvm_name_port(0x402), "DEBUGCON");
	CHECK_NAME(cvm_name_port(0x4d0), "ELCR1");
	CHECK_NAME(cvm_name_port(0x4d1), "ELCR2");
	CHECK_NAME(cvm_name_port(0x505), "PVPANIC");
	/* ACPI: q35 (ICH9, PM base 0x600) and pc (PIIX4) */
	CHECK_NAME(cvm_name_port(0x600), "ACPI_PM1_STS");
	CHECK_NAME(cvm_name_port(0x602), "ACPI_PM1_EN");
	CHECK_NAME(cvm_name_port(0x604), "ACPI_PM1_CNT");
	CHECK_NAME(cvm_name_port(0x620), "ACPI_GPE0_STS");
	CHECK_NAME(cvm_name_port(0x62f), "ACPI_GPE0_EN");
	CHECK_NAME(cvm_name_port(0x630), "ICH9_SMI_EN");
	CHECK_NAME(cvm_name_port(0x634), "ICH9_SMI_STS");
	CHECK_NAME(cvm_name_port(0x668), "ICH9_TCO");
	CHECK_NAME(cvm_name_port(0x700), "SMBUS");
	CHECK_NAME(cvm_name_port(0xa00), "ACPI_MEM_HOTPLUG");
	CHECK_NAME(cvm_name_port(0xcc4), "ACPI_PCI_HOTPLUG");
	CHECK_NAME(cvm_name_port(0xcd8), "ACPI_CPU_HOTPLUG");
	CHECK_NAME(cvm_name_port(0xae08), "ACPI_PCI_HOTPLUG");
	CHECK_NAME(cvm_name_port(0xaf00), "ACPI_CPU_HOTPLUG");
	CHECK_NAME(cvm_name_port(0xafe0), "ACPI_GPE0_STS");
	CHECK_NAME(cvm_name_port(0xafe2), "ACPI_GPE0_EN");
	CHECK_NAME(cvm_name_port(0xb000), "ACPI_PM1_STS");
	CHECK_NAME(cvm_name_port(0xb100), "SMBUS");
	/* unknown */
	CHECK_NAME(cvm_name_port(0x10), NULL);
	CHECK_NAME(cvm_name_port(0x500), NULL);
	CHECK_NAME(cvm_name_port(0xf1), NULL);
	CHECK_NAME(cvm_name_port(0x606), NULL);
	CHECK_NAME(cvm_name_port(0xc000), NULL);	/* a PCI I/O BAR */
	CHECK_NAME(cvm_name_port(0xffff), NULL);
}

static void test_enums(void)
{
	CHECK_NAME(cvm_name_vm_type(CVMSTAT_VM_PLAIN), "plain");
	CHECK_NAME(cvm_name_vm_type(CVMSTAT_VM_SEV), "SEV");
	CHECK_NAME(cvm_name_vm_type(CVMSTAT_VM_SEV_ES), "SEV-ES");
	CHECK_NAME(cvm_name_vm_type(CVMSTAT_VM_SNP), "SNP");
	CHECK_NAME(cvm_name_vm_type(CVMSTAT_VM_TDX), "TDX");
	CHECK_NAME(cvm_name_vm_type(CVMSTAT_VM_SW_PROTECTED), "SW_PROTECTED");
	CHECK_NAME(cvm_name_vm_type(6), NULL);
	CHECK_NAME(cvm_name_vm_type(~0u), NULL);

	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_REASON), "reason");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_VMGEXIT), "vmgexit");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_GHCB_MSR), "ghcb_msr");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_MMIO), "mmio");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_MSR), "msr");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_PIO), "pio");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_TDX_LEAF), "tdx_leaf");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_OVERFLOW), "overflow");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_VCPU), "vcpu");
	CHECK_NAME(cvm_name_kind(0), NULL);
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_HALT), "halt");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_HALT_HIST), "halt_hist");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_HALT_WINDOW), "halt_window");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_HALT_STATE), "halt_state");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_LAT_COUNT), "lat_count");
	CHECK_NAME(cvm_name_kind(CVMSTAT_KIND_LAT_LOST), "lat_lost");
	CHECK_NAME(cvm_name_kind(21), NULL);
	CHECK_NAME(cvm_name_halt(CVMSTAT_HALT_POLL_OK), "poll_ok");
	CHECK_NAME(cvm_name_halt(CVMSTAT_HALT_WINDOW_OVERFLOW), "window_overflow");
	CHECK_NAME(cvm_name_halt(CVMSTAT_HALT_NR), NULL);
	CHECK_NAME(cvm_name_kind(~0u), NULL);
}

/* Every code in a range formats to something, and names are plain tokens. */
static void test_never_fails(void)
{
	static const uint32_t extra[] = {
		0x80000000, 0x80000021, 0x88000021, 0xf0000000, 0xfffffffe,
		0xffffffff, 0x7fffffff, 0x10000,
	};
	unsigned int isa, bad = 0;
	uint32_t r;
	size_t i;
	char buf[96];

	for (isa = 0; isa <= 3; isa++) {
		for (r = 0; r < 0x1000 + 1; r++) {
			int n = cvm_format_reason(buf, sizeof(buf), isa, r);
			const char *name = cvm_name_reason(isa, r);

			if (n <= 0 || (size_t)n != strlen(buf) ||
			    strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789abcdef_|x") != strlen(buf))
				bad++;
			if (name && strcmp(name, buf))
				bad++;
		}
		for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
			if (cvm_format_reason(buf, sizeof(buf), isa,
					      extra[i]) <= 0)
				bad++;
	}
	CHECK(bad == 0, "%u reason codes formatted badly", bad);

	bad = 0;
	for (r = 0; r < 0x10000; r++) {
		int n = cvm_format_mmio(buf, sizeof(buf),
					0xfec00000ull + r * 0x40);

		if (n < 0 || (size_t)n != strlen(buf))
			bad++;
	}
	for (r = 0; r < 0x1000; r++)
		if (cvm_format_mmio(buf, sizeof(buf), 0xfee00000ull + r) <= 0 ||
		    strncmp(buf, "LAPIC ", 6))
			bad++;
	for (r = 0; r < 0x10000; r++) {
		uint64_t gpa = CVM_ECAM_Q35_BASE + (uint64_t)r * 0xfff;

		if (cvm_format_mmio(buf, sizeof(buf), gpa) <= 0 ||
		    strncmp(buf, "PCI ECAM ", 9) || strlen(buf) > 30)
			bad++;
	}
	CHECK(bad == 0, "%u MMIO addresses formatted badly", bad);
}

/* What show and record print for a record: its key and its name. */
static void test_records(void)
{
	CHECK_FMT(cvm_format_key, "0x7b", CVMSTAT_KIND_REASON,
		  CVMSTAT_REASON_KEY(SVM, 0x7b));
	CHECK_FMT(cvm_format_key, "0xfee00380", CVMSTAT_KIND_MMIO, 0xfee00380);
	CHECK_FMT(cvm_format_record_name, "IOIO", CVMSTAT_KIND_REASON,
		  CVMSTAT_REASON_KEY(SVM, 0x7b));
	CHECK_FMT(cvm_format_record_name, "TDCALL", CVMSTAT_KIND_REASON,
		  CVMSTAT_REASON_KEY(VMX, 77));
	CHECK_FMT(cvm_format_record_name, "0x1234", CVMSTAT_KIND_REASON,
		  CVMSTAT_REASON_KEY(SVM, 0x1234));
	CHECK_FMT(cvm_format_record_name, "LAPIC TIMER_INIT_COUNT",
		  CVMSTAT_KIND_MMIO, 0xfee00380);
	CHECK_FMT(cvm_format_record_name, "0x20000", CVMSTAT_KIND_MMIO, 0x20000);
	CHECK_FMT(cvm_format_record_name, "X2APIC_TIMER_INIT_COUNT", CVMSTAT_KIND_MSR, 0x838);
	CHECK_FMT(cvm_format_record_name, "0x1ffffffff", CVMSTAT_KIND_MSR,
		  0x1ffffffffULL);
	CHECK_FMT(cvm_format_record_name, "COM1_DATA", CVMSTAT_KIND_PIO, 0x3f8);
	CHECK_FMT(cvm_format_record_name, "0x10000", CVMSTAT_KIND_PIO, 0x10000);
	CHECK_FMT(cvm_format_record_name, "PSC", CVMSTAT_KIND_VMGEXIT, 0x80000010);
	CHECK_FMT(cvm_format_record_name, "MAP_GPA", CVMSTAT_KIND_TDX_LEAF,
		  0x10001);
	CHECK_FMT(cvm_format_record_name, "mmio", CVMSTAT_KIND_OVERFLOW,
		  CVMSTAT_KIND_MMIO);
	CHECK_FMT(cvm_format_record_name, "exits", CVMSTAT_KIND_VCPU, 3);
	CHECK_FMT(cvm_format_record_name, "0x5", 200, 5);
	CHECK_FMT(cvm_format_record_name, "wait_ns", CVMSTAT_KIND_HALT,
		  CVMSTAT_HALT_WAIT_NS);
	CHECK_FMT(cvm_format_record_name, "0x63", CVMSTAT_KIND_HALT, 99);
	CHECK_FMT(cvm_format_record_name, "halted 2^19 ns",
		  CVMSTAT_KIND_HALT_HIST, 19);
	CHECK_FMT(cvm_format_record_name, "window 200000 ns",
		  CVMSTAT_KIND_HALT_WINDOW, 200000);
	CHECK_FMT(cvm_format_record_name, "guest_poll_off",
		  CVMSTAT_KIND_HALT_STATE, CVMSTAT_HALT_STATE_GUEST_OFF);
	/* the module's phase port is named for what it does there */
	CHECK_FMT(cvm_format_record_name, "ISA_DEBUG_EXIT", CVMSTAT_KIND_PIO, 0xf4);
	cvm_names_set_phase_port(0xf4);
	CHECK_FMT(cvm_format_record_name, "PHASE_MARK", CVMSTAT_KIND_PIO, 0xf4);
	cvm_names_set_phase_port(0x80);
	CHECK_FMT(cvm_format_record_name, "PHASE_MARK", CVMSTAT_KIND_PIO, 0x80);
	CHECK_FMT(cvm_format_record_name, "ISA_DEBUG_EXIT", CVMSTAT_KIND_PIO, 0xf4);
	cvm_names_set_phase_port(-1);
	CHECK_FMT(cvm_format_record_name, "POST", CVMSTAT_KIND_PIO, 0x80);
}

int main(void)
{
	int bad = cvm_names_selftest();

	CHECK(bad == 0, "cvm_names_selftest() found %d problems", bad);
	test_vmx();
	test_svm();
	test_format_edges();
	test_vmgexit();
	test_ghcb_msr();
	test_tdx();
	test_msr();
	test_mmio();
	test_port();
	test_enums();
	test_never_fails();
	test_records();

	printf("names: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

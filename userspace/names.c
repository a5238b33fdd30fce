// SPDX-License-Identifier: GPL-2.0
/*
 * names: printable names for exit reasons, VMGEXIT codes, GHCB MSR-protocol
 * requests, TDX GHCI leaves, MSRs, I/O ports and MMIO addresses.
 *
 * Exit reasons come from the kernel's uapi string tables (VMX_EXIT_REASONS
 * in <asm/vmx.h>, SVM_EXIT_REASONS in <asm/svm.h>), normalized to upper case,
 * plus entries of our own for what the installed headers lack.  For SVM our
 * own names are looked up first, so that names are the SVM_EXIT_* macro names
 * whatever the header's strings say ("IOIO", not "io"; "VMMCALL", not
 * "hypercall").  For VMX the uapi strings already are the macro names and are
 * looked up first.  All own tables are sorted by code and binary-searched;
 * cvm_names_selftest() checks that.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/svm.h>
#include <asm/vmx.h>
#include <linux/cvmstat.h>

#include "names.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct code_name {
	uint32_t code;
	const char *name;
};

/* Binary search of a table sorted by code. */
static const char *find_name(const struct code_name *t, size_t n,
			     uint32_t code)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].code == code)
			return t[mid].name;
		if (t[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Like snprintf, but returns what was stored (without the NUL). */
static int put(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (!buf || !len)
		return 0;
	va_start(ap, fmt);
	r = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (r < 0) {
		buf[0] = '\0';
		return 0;
	}
	if ((size_t)r >= len)
		return (int)(len - 1);
	return r;
}

/*
 * Kernel uapi string tables, copied once into upper-case, sorted form.
 */
#define UAPI_NAME_LEN	48

struct uapi_name {
	uint32_t code;
	char name[UAPI_NAME_LEN];
};

/*
 * An entry of a uapi table as the header spells it.  64 bits: 7.x's
 * <asm/svm.h> defines SVM_EXIT_ERR as -1ull (older ones as -1), and either
 * must initialize it without a conversion; both are above max_code.
 */
struct uapi_raw {
	uint64_t code;
	const char *name;
};

struct uapi_table {
	const struct uapi_raw *raw;
	size_t nr_raw;
	uint32_t max_code;		/* entries above are not exit codes */
	struct uapi_name *out;
	size_t nr;
	bool ready;
};

static int cmp_uapi(const void *a, const void *b)
{
	const struct uapi_name *x = a, *y = b;

	return x->code < y->code ? -1 : x->code > y->code;
}

static void uapi_prepare(struct uapi_table *t)
{
	size_t i, j, k;

	if (t->ready)
		return;
	for (i = 0; i < t->nr_raw; i++) {
		const struct uapi_raw *r = &t->raw[i];
		struct uapi_name *o;
		bool dup = false;

		if (r->code > t->max_code || !r->name)
			continue;
		for (j = 0; j < t->nr; j++)
			dup |= t->out[j].code == r->code;
		if (dup)			/* the first string wins */
			continue;
		o = &t->out[t->nr++];
		o->code = (uint32_t)r->code;	/* <= max_code */
		for (k = 0; r->name[k] && k < UAPI_NAME_LEN - 1; k++) {
			unsigned char c = r->name[k];

			o->name[k] = (c == ' ' || c == '-') ? '_' : toupper(c);
		}
		o->name[k] = '\0';
	}
	qsort(t->out, t->nr, sizeof(t->out[0]), cmp_uapi);
	t->ready = true;
}

static const char *uapi_find(struct uapi_table *t, uint32_t code)
{
	size_t lo = 0, hi;

	uapi_prepare(t);
	hi = t->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->out[mid].code == code)
			return t->out[mid].name;
		if (t->out[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- VMX ---------------------------------------------------------------- */

static const struct uapi_raw vmx_uapi_raw[] = { VMX_EXIT_REASONS };
static struct uapi_name vmx_uapi_out[ARRAY_SIZE(vmx_uapi_raw)];
static struct uapi_table vmx_uapi = {
	.raw = vmx_uapi_raw,
	.nr_raw = ARRAY_SIZE(vmx_uapi_raw),
	.max_code = 0xffff,
	.out = vmx_uapi_out,
};

/* Basic exit reasons (SDM Vol. 3 App. C) the installed header may lack. */
static const struct code_name vmx_own[] = {
	{ 5,	"IO_SMI" },
	{ 6,	"OTHER_SMI" },
	{ 11,	"GETSEC" },
	{ 17,	"RSM" },
	{ 74,	"BUS_LOCK" },
	{ 75,	"NOTIFY" },
	{ 76,	"SEAMCALL" },
	{ 77,	"TDCALL" },
	{ 84,	"MSR_READ_IMM" },
	{ 85,	"MSR_WRITE_IMM" },
};

#define VMX_FAILED_ENTRY	0x80000000u
#define VMX_SGX_ENCLAVE		0x08000000u
#define VMX_PENDING_MTF		0x10000000u
#define VMX_FROM_VMX_ROOT	0x20000000u
#define VMX_KNOWN_FLAGS		(VMX_FAILED_ENTRY | VMX_SGX_ENCLAVE | \
				 VMX_PENDING_MTF | VMX_FROM_VMX_ROOT)
/* KVM's own reason for a failed TDH.VP.ENTER (tdx_to_vmx_exit_reason()). */
#define VMX_TDX_ENTRY_FAILED	0xffffffffu

static const char *vmx_basic_name(uint32_t basic)
{
	const char *n = uapi_find(&vmx_uapi, basic);

	return n ? n : find_name(vmx_own, ARRAY_SIZE(vmx_own), basic);
}

/* ---- SVM ---------------------------------------------------------------- */

/* SVM_EXIT_REASONS uses these vector names from the kernel's asm/trapnr.h. */
#define DE_VECTOR	0
#define DB_VECTOR	1
#define BP_VECTOR	3
#define OF_VECTOR	4
#define BR_VECTOR	5
#define UD_VECTOR	6
#define NM_VECTOR	7
#define DF_VECTOR	8
#define TS_VECTOR	10
#define NP_VECTOR	11
#define SS_VECTOR	12
#define GP_VECTOR	13
#define PF_VECTOR	14
#define MF_VECTOR	16
#define AC_VECTOR	17
#define MC_VECTOR	18
#define XM_VECTOR	19

static const struct uapi_raw svm_uapi_raw[] = { SVM_EXIT_REASONS };

#undef DE_VECTOR
#undef DB_VECTOR
#undef BP_VECTOR
#undef OF_VECTOR
#undef BR_VECTOR
#undef UD_VECTOR
#undef NM_VECTOR
#undef DF_VECTOR
#undef TS_VECTOR
#undef NP_VECTOR
#undef SS_VECTOR
#undef GP_VECTOR
#undef PF_VECTOR
#undef MF_VECTOR
#undef AC_VECTOR
#undef MC_VECTOR
#undef XM_VECTOR

static struct uapi_name svm_uapi_out[ARRAY_SIZE(svm_uapi_raw)];
static struct uapi_table svm_uapi = {
	.raw = svm_uapi_raw,
	.nr_raw = ARRAY_SIZE(svm_uapi_raw),
	/* the table also holds VMGEXIT codes; those are not exit codes */
	.max_code = 0x7fffffff,
	.out = svm_uapi_out,
};

#define N16(p, s)							\
	p "0" s, p "1" s, p "2" s, p "3" s, p "4" s, p "5" s, p "6" s,	\
	p "7" s, p "8" s, p "9" s, p "10" s, p "11" s, p "12" s,	\
	p "13" s, p "14" s, p "15" s

static const char *const svm_read_cr[16] = { N16("READ_CR", "") };
static const char *const svm_write_cr[16] = { N16("WRITE_CR", "") };
static const char *const svm_read_dr[16] = { N16("READ_DR", "") };
static const char *const svm_write_dr[16] = { N16("WRITE_DR", "") };
static const char *const svm_cr_trap[16] = { N16("CR", "_WRITE_TRAP") };

/* SVM_EXIT_EXCP_BASE + vector, AMD mnemonics. */
static const char *const svm_excp[32] = {
	"EXCP_DE", "EXCP_DB", "EXCP_NMI", "EXCP_BP",
	"EXCP_OF", "EXCP_BR", "EXCP_UD", "EXCP_NM",
	"EXCP_DF", "EXCP_9", "EXCP_TS", "EXCP_NP",
	"EXCP_SS", "EXCP_GP", "EXCP_PF", "EXCP_15",
	"EXCP_MF", "EXCP_AC", "EXCP_MC", "EXCP_XF",
	"EXCP_VE", "EXCP_CP", "EXCP_22", "EXCP_23",
	"EXCP_24", "EXCP_25", "EXCP_26", "EXCP_27",
	"EXCP_HV", "EXCP_VC", "EXCP_SX", "EXCP_31",
};

/*
 * Codes whose uapi string is not the macro name, and codes the installed
 * header may not have (APM Vol. 2, App. C).
 */
static const struct code_name svm_own[] = {
	{ 0x060,	"INTR" },
	{ 0x066,	"IDTR_READ" },
	{ 0x067,	"GDTR_READ" },
	{ 0x068,	"LDTR_READ" },
	{ 0x069,	"TR_READ" },
	{ 0x06a,	"IDTR_WRITE" },
	{ 0x06b,	"GDTR_WRITE" },
	{ 0x06c,	"LDTR_WRITE" },
	{ 0x06d,	"TR_WRITE" },
	{ 0x07b,	"IOIO" },
	{ 0x081,	"VMMCALL" },
	{ 0x08c,	"MWAIT_COND" },
	{ 0x08e,	"RDPRU" },
	{ 0x08f,	"EFER_WRITE_TRAP" },
	{ 0x0a0,	"INVLPGB" },
	{ 0x0a1,	"INVLPGB_ILLEGAL" },
	{ 0x0a2,	"INVPCID" },
	{ 0x0a3,	"MCOMMIT" },
	{ 0x0a4,	"TLBSYNC" },
	{ 0x0a5,	"BUS_LOCK" },
	{ 0x0a6,	"IDLE_HLT" },
	{ 0x400,	"NPF" },
	{ 0x401,	"AVIC_INCOMPLETE_IPI" },
	{ 0x402,	"AVIC_UNACCELERATED_ACCESS" },
	{ 0x403,	"VMGEXIT" },
	{ 0xf0000000,	"SW" },
	{ 0xffffffff,	"ERR" },
};

static const char *svm_name(uint32_t code)
{
	const char *n;

	if (code < 0x10)
		return svm_read_cr[code];
	if (code < 0x20)
		return svm_write_cr[code - 0x10];
	if (code < 0x30)
		return svm_read_dr[code - 0x20];
	if (code < 0x40)
		return svm_write_dr[code - 0x30];
	if (code < 0x60)
		return svm_excp[code - 0x40];
	if (code >= 0x90 && code < 0xa0)
		return svm_cr_trap[code - 0x90];
	n = find_name(svm_own, ARRAY_SIZE(svm_own), code);
	return n ? n : uapi_find(&svm_uapi, code);
}

/* ---- exit reasons ------------------------------------------------------- */

const char *cvm_name_reason(unsigned int isa, uint32_t reason)
{
	switch (isa) {
	case CVMSTAT_ISA_VMX:
		if (reason == VMX_TDX_ENTRY_FAILED)
			return "TDX_ENTRY_FAILED";
		if (reason > 0xffff)
			return NULL;
		return vmx_basic_name(reason);
	case CVMSTAT_ISA_SVM:
		return svm_name(reason);
	default:
		return NULL;
	}
}

int cvm_format_reason(char *buf, size_t len, unsigned int isa,
		      uint32_t reason)
{
	const char *n = cvm_name_reason(isa, reason);
	uint32_t basic = reason & 0xffff;
	char flags[64] = "";
	size_t f = 0;

	if (n)
		return put(buf, len, "%s", n);
	if (isa != CVMSTAT_ISA_VMX || (reason & 0xffff0000 & ~VMX_KNOWN_FLAGS))
		return put(buf, len, "0x%x", reason);

	if (reason & VMX_FAILED_ENTRY)
		f += put(flags + f, sizeof(flags) - f, "FAILED_ENTRY|");
	if (reason & VMX_FROM_VMX_ROOT)
		f += put(flags + f, sizeof(flags) - f, "FROM_VMX_ROOT|");
	if (reason & VMX_PENDING_MTF)
		f += put(flags + f, sizeof(flags) - f, "PENDING_MTF|");
	if (reason & VMX_SGX_ENCLAVE)
		f += put(flags + f, sizeof(flags) - f, "SGX_ENCLAVE|");

	n = vmx_basic_name(basic);
	if (n)
		return put(buf, len, "%s%s", flags, n);
	return put(buf, len, "%s0x%x", flags, basic);
}

/* ---- SEV-ES / SNP ------------------------------------------------------- */

/* GHCB software exit codes of software-defined events (GHCB spec). */
static const struct code_name vmgexit_names[] = {
	{ 0x80000001,	"MMIO_READ" },
	{ 0x80000002,	"MMIO_WRITE" },
	{ 0x80000003,	"NMI_COMPLETE" },
	{ 0x80000004,	"AP_HLT_LOOP" },
	{ 0x80000005,	"AP_JUMP_TABLE" },
	{ 0x80000010,	"PSC" },
	{ 0x80000011,	"GUEST_REQUEST" },
	{ 0x80000012,	"EXT_GUEST_REQUEST" },
	{ 0x80000013,	"AP_CREATION" },
	{ 0x80000018,	"SNP_RUN_VMPL" },
	{ 0x8000001a,	"SAVIC" },
	{ 0x8000fffd,	"HV_FEATURES" },
	{ 0x8000fffe,	"TERM_REQUEST" },
	{ 0x8000ffff,	"UNSUPPORTED_EVENT" },
};

const char *cvm_name_vmgexit(uint64_t code)
{
	if (code < 0x80000000)
		return svm_name((uint32_t)code);
	if (code > UINT32_MAX)
		return NULL;
	return find_name(vmgexit_names, ARRAY_SIZE(vmgexit_names),
			 (uint32_t)code);
}

/* GHCB MSR protocol, GHCBInfo (asm/sev-common.h, GHCB spec 2.3.1). */
static const struct code_name ghcb_msr_names[] = {
	{ 0x001,	"SEV_INFO_RESP" },
	{ 0x002,	"SEV_INFO_REQ" },
	{ 0x004,	"CPUID_REQ" },
	{ 0x005,	"CPUID_RESP" },
	{ 0x006,	"AP_RESET_HOLD_REQ" },
	{ 0x007,	"AP_RESET_HOLD_RESP" },
	{ 0x010,	"PREF_GPA_REQ" },
	{ 0x011,	"PREF_GPA_RESP" },
	{ 0x012,	"REG_GPA_REQ" },
	{ 0x013,	"REG_GPA_RESP" },
	{ 0x014,	"PSC_REQ" },
	{ 0x015,	"PSC_RESP" },
	{ 0x016,	"VMPL_REQ" },
	{ 0x017,	"VMPL_RESP" },
	{ 0x080,	"HV_FT_REQ" },
	{ 0x081,	"HV_FT_RESP" },
	{ 0x100,	"TERM_REQ" },
};

const char *cvm_name_ghcb_msr(uint64_t req)
{
	return find_name(ghcb_msr_names, ARRAY_SIZE(ghcb_msr_names),
			 (uint32_t)(req & 0xfff));
}

/* ---- TDX ---------------------------------------------------------------- */

/* TDVMCALL leaves of the GHCI (asm/shared/tdx.h). */
static const struct code_name tdx_leaf_names[] = {
	{ 0x10000,	"GET_TD_VM_CALL_INFO" },
	{ 0x10001,	"MAP_GPA" },
	{ 0x10002,	"GET_QUOTE" },
	{ 0x10003,	"REPORT_FATAL_ERROR" },
	{ 0x10004,	"SETUP_EVENT_NOTIFY_INTERRUPT" },
};

const char *cvm_name_tdx_leaf(uint64_t leaf)
{
	if (leaf > UINT32_MAX)
		return NULL;
	return find_name(tdx_leaf_names, ARRAY_SIZE(tdx_leaf_names),
			 (uint32_t)leaf);
}

/* ---- local APIC --------------------------------------------------------- */

/*
 * Local APIC registers by xAPIC offset / 16, which is also the x2APIC MSR
 * index - 0x800 (SDM Vol. 3, 11.12.1.2).  One list for both name tables.
 */
#define APIC_COMMON_REGS(R)						\
	R(0x02, ID) R(0x03, VERSION) R(0x08, TPR) R(0x0a, PPR)		\
	R(0x0b, EOI) R(0x0d, LDR) R(0x0f, SVR)				\
	R(0x10, ISR0) R(0x11, ISR1) R(0x12, ISR2) R(0x13, ISR3)		\
	R(0x14, ISR4) R(0x15, ISR5) R(0x16, ISR6) R(0x17, ISR7)		\
	R(0x18, TMR0) R(0x19, TMR1) R(0x1a, TMR2) R(0x1b, TMR3)		\
	R(0x1c, TMR4) R(0x1d, TMR5) R(0x1e, TMR6) R(0x1f, TMR7)		\
	R(0x20, IRR0) R(0x21, IRR1) R(0x22, IRR2) R(0x23, IRR3)		\
	R(0x24, IRR4) R(0x25, IRR5) R(0x26, IRR6) R(0x27, IRR7)		\
	R(0x28, ESR) R(0x2f, LVT_CMCI) R(0x30, ICR)			\
	R(0x32, LVT_TIMER) R(0x33, LVT_THERMAL) R(0x34, LVT_PMI)	\
	R(0x35, LVT_LINT0) R(0x36, LVT_LINT1) R(0x37, LVT_ERROR)	\
	R(0x38, TIMER_INIT_COUNT) R(0x39, TIMER_CUR_COUNT)		\
	R(0x3e, TIMER_DIV_CONF)
/* Only in the xAPIC page: in x2APIC mode these MSRs are reserved. */
#define XAPIC_ONLY_REGS(R)						\
	R(0x09, APR) R(0x0c, RRD) R(0x0e, DFR) R(0x31, ICR2)
/* Only as x2APIC MSR. */
#define X2APIC_ONLY_REGS(R)						\
	R(0x3f, SELF_IPI)

#define APIC_NR_REGS	64

#define XAPIC_ENTRY(i, n)	[i] = #n,
#define X2APIC_ENTRY(i, n)	[i] = "X2APIC_" #n,

static const char *const xapic_regs[APIC_NR_REGS] = {
	APIC_COMMON_REGS(XAPIC_ENTRY)
	XAPIC_ONLY_REGS(XAPIC_ENTRY)
};

static const char *const x2apic_regs[APIC_NR_REGS] = {
	APIC_COMMON_REGS(X2APIC_ENTRY)
	X2APIC_ONLY_REGS(X2APIC_ENTRY)
};

#undef XAPIC_ENTRY
#undef X2APIC_ENTRY

/* ---- MSRs --------------------------------------------------------------- */

#define X2APIC_MSR_FIRST	0x800
#define X2APIC_MSR_LAST		0x8ff

/*
 * Machine-check bank n: CTL, STATUS, ADDR, MISC at 0x400 + 4n, CTL2 at
 * 0x280 + n (SDM Vol. 3, 16.3; AMD's legacy MCA banks are the same).
 */
#define MC_BANK(n)							\
	{ 0x400 + 4 * (n), "MC" #n "_CTL" },				\
	{ 0x401 + 4 * (n), "MC" #n "_STATUS" },				\
	{ 0x402 + 4 * (n), "MC" #n "_ADDR" },				\
	{ 0x403 + 4 * (n), "MC" #n "_MISC" }
#define MC_CTL2(n)	{ 0x280 + (n), "MC" #n "_CTL2" }

static const struct code_name msr_names[] = {
	/* Intel architectural and common (SDM Vol. 4, msr-index.h) */
	{ 0x00000010,	"TSC" },
	{ 0x00000011,	"KVM_WALL_CLOCK" },
	{ 0x00000012,	"KVM_SYSTEM_TIME" },
	{ 0x00000017,	"PLATFORM_ID" },
	{ 0x0000001b,	"APIC_BASE" },
	{ 0x00000033,	"TEST_CTRL" },
	{ 0x00000034,	"SMI_COUNT" },
	{ 0x0000003a,	"FEATURE_CONTROL" },
	{ 0x0000003b,	"TSC_ADJUST" },
	{ 0x00000048,	"SPEC_CTRL" },
	{ 0x00000049,	"PRED_CMD" },
	{ 0x0000004e,	"PPIN_CTL" },
	{ 0x0000004f,	"PPIN" },
	{ 0x00000079,	"BIOS_UPDT_TRIG" },
	{ 0x0000008b,	"UCODE_REV" },
	{ 0x0000008c,	"SGXLEPUBKEYHASH0" },
	{ 0x0000008d,	"SGXLEPUBKEYHASH1" },
	{ 0x0000008e,	"SGXLEPUBKEYHASH2" },
	{ 0x0000008f,	"SGXLEPUBKEYHASH3" },
	{ 0x0000009b,	"SMM_MONITOR_CTL" },
	{ 0x0000009e,	"SMBASE" },
	{ 0x000000c1,	"PMC0" },
	{ 0x000000c2,	"PMC1" },
	{ 0x000000c3,	"PMC2" },
	{ 0x000000c4,	"PMC3" },
	{ 0x000000c5,	"PMC4" },
	{ 0x000000c6,	"PMC5" },
	{ 0x000000c7,	"PMC6" },
	{ 0x000000c8,	"PMC7" },
	{ 0x000000ce,	"PLATFORM_INFO" },
	{ 0x000000cf,	"CORE_CAPABILITIES" },
	{ 0x000000e1,	"UMWAIT_CONTROL" },
	{ 0x000000e2,	"PKG_CST_CONFIG_CONTROL" },
	{ 0x000000e7,	"MPERF" },
	{ 0x000000e8,	"APERF" },
	{ 0x000000fe,	"MTRRCAP" },
	{ 0x0000010a,	"ARCH_CAPABILITIES" },
	{ 0x0000010b,	"FLUSH_CMD" },
	{ 0x0000010f,	"TSX_FORCE_ABORT" },
	{ 0x00000122,	"TSX_CTRL" },
	{ 0x00000123,	"MCU_OPT_CTRL" },
	{ 0x00000140,	"MISC_FEATURES_ENABLES" },
	{ 0x00000174,	"SYSENTER_CS" },
	{ 0x00000175,	"SYSENTER_ESP" },
	{ 0x00000176,	"SYSENTER_EIP" },
	{ 0x00000179,	"MCG_CAP" },
	{ 0x0000017a,	"MCG_STATUS" },
	{ 0x0000017b,	"MCG_CTL" },
	{ 0x00000186,	"PERFEVTSEL0" },
	{ 0x00000187,	"PERFEVTSEL1" },
	{ 0x00000188,	"PERFEVTSEL2" },
	{ 0x00000189,	"PERFEVTSEL3" },
	{ 0x0000018a,	"PERFEVTSEL4" },
	{ 0x0000018b,	"PERFEVTSEL5" },
	{ 0x0000018c,	"PERFEVTSEL6" },
	{ 0x0000018d,	"PERFEVTSEL7" },
	{ 0x00000198,	"PERF_STATUS" },
	{ 0x00000199,	"PERF_CTL" },
	{ 0x0000019a,	"CLOCK_MODULATION" },
	{ 0x0000019b,	"THERM_INTERRUPT" },
	{ 0x0000019c,	"THERM_STATUS" },
	{ 0x000001a0,	"MISC_ENABLE" },
	{ 0x000001a2,	"TEMPERATURE_TARGET" },
	{ 0x000001a4,	"MISC_FEATURE_CONTROL" },
	{ 0x000001a6,	"OFFCORE_RSP_0" },
	{ 0x000001a7,	"OFFCORE_RSP_1" },
	{ 0x000001aa,	"MISC_PWR_MGMT" },
	{ 0x000001ad,	"TURBO_RATIO_LIMIT" },
	{ 0x000001b0,	"ENERGY_PERF_BIAS" },
	{ 0x000001b1,	"PACKAGE_THERM_STATUS" },
	{ 0x000001b2,	"PACKAGE_THERM_INTERRUPT" },
	{ 0x000001c4,	"XFD" },
	{ 0x000001c5,	"XFD_ERR" },
	{ 0x000001c8,	"LBR_SELECT" },
	{ 0x000001c9,	"LBR_TOS" },
	{ 0x000001d9,	"DEBUGCTL" },
	{ 0x000001f2,	"SMRR_PHYSBASE" },
	{ 0x000001f3,	"SMRR_PHYSMASK" },
	{ 0x000001fc,	"POWER_CTL" },
	{ 0x00000200,	"MTRR_PHYSBASE0" },
	{ 0x00000201,	"MTRR_PHYSMASK0" },
	{ 0x00000202,	"MTRR_PHYSBASE1" },
	{ 0x00000203,	"MTRR_PHYSMASK1" },
	{ 0x00000204,	"MTRR_PHYSBASE2" },
	{ 0x00000205,	"MTRR_PHYSMASK2" },
	{ 0x00000206,	"MTRR_PHYSBASE3" },
	{ 0x00000207,	"MTRR_PHYSMASK3" },
	{ 0x00000208,	"MTRR_PHYSBASE4" },
	{ 0x00000209,	"MTRR_PHYSMASK4" },
	{ 0x0000020a,	"MTRR_PHYSBASE5" },
	{ 0x0000020b,	"MTRR_PHYSMASK5" },
	{ 0x0000020c,	"MTRR_PHYSBASE6" },
	{ 0x0000020d,	"MTRR_PHYSMASK6" },
	{ 0x0000020e,	"MTRR_PHYSBASE7" },
	{ 0x0000020f,	"MTRR_PHYSMASK7" },
	{ 0x00000210,	"MTRR_PHYSBASE8" },
	{ 0x00000211,	"MTRR_PHYSMASK8" },
	{ 0x00000212,	"MTRR_PHYSBASE9" },
	{ 0x00000213,	"MTRR_PHYSMASK9" },
	{ 0x00000250,	"MTRR_FIX64K_00000" },
	{ 0x00000258,	"MTRR_FIX16K_80000" },
	{ 0x00000259,	"MTRR_FIX16K_A0000" },
	{ 0x00000268,	"MTRR_FIX4K_C0000" },
	{ 0x00000269,	"MTRR_FIX4K_C8000" },
	{ 0x0000026a,	"MTRR_FIX4K_D0000" },
	{ 0x0000026b,	"MTRR_FIX4K_D8000" },
	{ 0x0000026c,	"MTRR_FIX4K_E0000" },
	{ 0x0000026d,	"MTRR_FIX4K_E8000" },
	{ 0x0000026e,	"MTRR_FIX4K_F0000" },
	{ 0x0000026f,	"MTRR_FIX4K_F8000" },
	{ 0x00000277,	"PAT" },
	MC_CTL2(0), MC_CTL2(1), MC_CTL2(2), MC_CTL2(3),
	MC_CTL2(4), MC_CTL2(5), MC_CTL2(6), MC_CTL2(7),
	MC_CTL2(8), MC_CTL2(9), MC_CTL2(10), MC_CTL2(11),
	MC_CTL2(12), MC_CTL2(13), MC_CTL2(14), MC_CTL2(15),
	MC_CTL2(16), MC_CTL2(17), MC_CTL2(18), MC_CTL2(19),
	MC_CTL2(20), MC_CTL2(21), MC_CTL2(22), MC_CTL2(23),
	MC_CTL2(24), MC_CTL2(25), MC_CTL2(26), MC_CTL2(27),
	MC_CTL2(28), MC_CTL2(29), MC_CTL2(30), MC_CTL2(31),
	{ 0x000002ff,	"MTRR_DEF_TYPE" },
	{ 0x00000309,	"FIXED_CTR0" },
	{ 0x0000030a,	"FIXED_CTR1" },
	{ 0x0000030b,	"FIXED_CTR2" },
	{ 0x0000030c,	"FIXED_CTR3" },
	{ 0x00000329,	"PERF_METRICS" },
	{ 0x00000345,	"PERF_CAPABILITIES" },
	{ 0x0000038d,	"FIXED_CTR_CTRL" },
	{ 0x0000038e,	"PERF_GLOBAL_STATUS" },
	{ 0x0000038f,	"PERF_GLOBAL_CTRL" },
	{ 0x00000390,	"PERF_GLOBAL_OVF_CTRL" },
	{ 0x00000391,	"PERF_GLOBAL_STATUS_SET" },
	{ 0x00000392,	"PERF_GLOBAL_INUSE" },
	{ 0x000003f1,	"PEBS_ENABLE" },
	{ 0x000003f8,	"PKG_C3_RESIDENCY" },
	{ 0x000003f9,	"PKG_C6_RESIDENCY" },
	{ 0x000003fa,	"PKG_C7_RESIDENCY" },
	{ 0x000003fc,	"CORE_C3_RESIDENCY" },
	{ 0x000003fd,	"CORE_C6_RESIDENCY" },
	{ 0x000003fe,	"CORE_C7_RESIDENCY" },
	MC_BANK(0), MC_BANK(1), MC_BANK(2), MC_BANK(3),
	MC_BANK(4), MC_BANK(5), MC_BANK(6), MC_BANK(7),
	MC_BANK(8), MC_BANK(9), MC_BANK(10), MC_BANK(11),
	MC_BANK(12), MC_BANK(13), MC_BANK(14), MC_BANK(15),
	MC_BANK(16), MC_BANK(17), MC_BANK(18), MC_BANK(19),
	MC_BANK(20), MC_BANK(21), MC_BANK(22), MC_BANK(23),
	MC_BANK(24), MC_BANK(25), MC_BANK(26), MC_BANK(27),
	MC_BANK(28), MC_BANK(29), MC_BANK(30), MC_BANK(31),
	{ 0x00000480,	"VMX_BASIC" },
	{ 0x00000481,	"VMX_PINBASED_CTLS" },
	{ 0x00000482,	"VMX_PROCBASED_CTLS" },
	{ 0x00000483,	"VMX_EXIT_CTLS" },
	{ 0x00000484,	"VMX_ENTRY_CTLS" },
	{ 0x00000485,	"VMX_MISC" },
	{ 0x00000486,	"VMX_CR0_FIXED0" },
	{ 0x00000487,	"VMX_CR0_FIXED1" },
	{ 0x00000488,	"VMX_CR4_FIXED0" },
	{ 0x00000489,	"VMX_CR4_FIXED1" },
	{ 0x0000048a,	"VMX_VMCS_ENUM" },
	{ 0x0000048b,	"VMX_PROCBASED_CTLS2" },
	{ 0x0000048c,	"VMX_EPT_VPID_CAP" },
	{ 0x0000048d,	"VMX_TRUE_PINBASED_CTLS" },
	{ 0x0000048e,	"VMX_TRUE_PROCBASED_CTLS" },
	{ 0x0000048f,	"VMX_TRUE_EXIT_CTLS" },
	{ 0x00000490,	"VMX_TRUE_ENTRY_CTLS" },
	{ 0x00000491,	"VMX_VMFUNC" },
	{ 0x00000492,	"VMX_PROCBASED_CTLS3" },
	{ 0x000004c1,	"A_PMC0" },
	{ 0x000004c2,	"A_PMC1" },
	{ 0x000004c3,	"A_PMC2" },
	{ 0x000004c4,	"A_PMC3" },
	{ 0x000004c5,	"A_PMC4" },
	{ 0x000004c6,	"A_PMC5" },
	{ 0x000004c7,	"A_PMC6" },
	{ 0x000004c8,	"A_PMC7" },
	{ 0x000004d0,	"MCG_EXT_CTL" },
	{ 0x00000600,	"DS_AREA" },
	{ 0x00000606,	"RAPL_POWER_UNIT" },
	{ 0x00000610,	"PKG_POWER_LIMIT" },
	{ 0x00000611,	"PKG_ENERGY_STATUS" },
	{ 0x00000614,	"PKG_POWER_INFO" },
	{ 0x00000619,	"DRAM_ENERGY_STATUS" },
	{ 0x00000639,	"PP0_ENERGY_STATUS" },
	{ 0x00000641,	"PP1_ENERGY_STATUS" },
	{ 0x0000064e,	"PPERF" },
	{ 0x000006a0,	"U_CET" },
	{ 0x000006a2,	"S_CET" },
	{ 0x000006a4,	"PL0_SSP" },
	{ 0x000006a5,	"PL1_SSP" },
	{ 0x000006a6,	"PL2_SSP" },
	{ 0x000006a7,	"PL3_SSP" },
	{ 0x000006a8,	"INT_SSP_TAB" },
	{ 0x000006e0,	"TSC_DEADLINE" },
	{ 0x000006e1,	"PKRS" },
	{ 0x00000770,	"PM_ENABLE" },
	{ 0x00000771,	"HWP_CAPABILITIES" },
	{ 0x00000772,	"HWP_REQUEST_PKG" },
	{ 0x00000773,	"HWP_INTERRUPT" },
	{ 0x00000774,	"HWP_REQUEST" },
	{ 0x00000777,	"HWP_STATUS" },
	/* 0x800-0x8ff: x2APIC, from x2apic_regs[] */
	{ 0x00000c8d,	"QM_EVTSEL" },
	{ 0x00000c8e,	"QM_CTR" },
	{ 0x00000c8f,	"PQR_ASSOC" },
	{ 0x00000d90,	"BNDCFGS" },
	{ 0x00000da0,	"XSS" },
	{ 0x000014ce,	"ARCH_LBR_CTL" },
	{ 0x000014cf,	"ARCH_LBR_DEPTH" },
	/* Hyper-V (TLFS), as KVM emulates them */
	{ 0x40000000,	"HV_GUEST_OS_ID" },
	{ 0x40000001,	"HV_HYPERCALL" },
	{ 0x40000002,	"HV_VP_INDEX" },
	{ 0x40000003,	"HV_RESET" },
	{ 0x40000010,	"HV_VP_RUNTIME" },
	{ 0x40000020,	"HV_TIME_REF_COUNT" },
	{ 0x40000021,	"HV_REFERENCE_TSC" },
	{ 0x40000022,	"HV_TSC_FREQUENCY" },
	{ 0x40000023,	"HV_APIC_FREQUENCY" },
	{ 0x40000070,	"HV_EOI" },
	{ 0x40000071,	"HV_ICR" },
	{ 0x40000072,	"HV_TPR" },
	{ 0x40000073,	"HV_VP_ASSIST_PAGE" },
	{ 0x40000080,	"HV_SCONTROL" },
	{ 0x40000081,	"HV_SVERSION" },
	{ 0x40000082,	"HV_SIEFP" },
	{ 0x40000083,	"HV_SIMP" },
	{ 0x40000084,	"HV_EOM" },
	{ 0x40000090,	"HV_SINT0" },
	{ 0x40000091,	"HV_SINT1" },
	{ 0x40000092,	"HV_SINT2" },
	{ 0x40000093,	"HV_SINT3" },
	{ 0x40000094,	"HV_SINT4" },
	{ 0x40000095,	"HV_SINT5" },
	{ 0x40000096,	"HV_SINT6" },
	{ 0x40000097,	"HV_SINT7" },
	{ 0x40000098,	"HV_SINT8" },
	{ 0x40000099,	"HV_SINT9" },
	{ 0x4000009a,	"HV_SINT10" },
	{ 0x4000009b,	"HV_SINT11" },
	{ 0x4000009c,	"HV_SINT12" },
	{ 0x4000009d,	"HV_SINT13" },
	{ 0x4000009e,	"HV_SINT14" },
	{ 0x4000009f,	"HV_SINT15" },
	{ 0x400000b0,	"HV_STIMER0_CONFIG" },
	{ 0x400000b1,	"HV_STIMER0_COUNT" },
	{ 0x400000b2,	"HV_STIMER1_CONFIG" },
	{ 0x400000b3,	"HV_STIMER1_COUNT" },
	{ 0x400000b4,	"HV_STIMER2_CONFIG" },
	{ 0x400000b5,	"HV_STIMER2_COUNT" },
	{ 0x400000b6,	"HV_STIMER3_CONFIG" },
	{ 0x400000b7,	"HV_STIMER3_COUNT" },
	{ 0x400000f0,	"HV_GUEST_IDLE" },
	{ 0x40000100,	"HV_CRASH_P0" },
	{ 0x40000101,	"HV_CRASH_P1" },
	{ 0x40000102,	"HV_CRASH_P2" },
	{ 0x40000103,	"HV_CRASH_P3" },
	{ 0x40000104,	"HV_CRASH_P4" },
	{ 0x40000105,	"HV_CRASH_CTL" },
	{ 0x40000118,	"HV_TSC_INVARIANT_CONTROL" },
	/* KVM paravirtual (uapi asm/kvm_para.h) */
	{ 0x4b564d00,	"KVM_WALL_CLOCK_NEW" },
	{ 0x4b564d01,	"KVM_SYSTEM_TIME_NEW" },
	{ 0x4b564d02,	"KVM_ASYNC_PF_EN" },
	{ 0x4b564d03,	"KVM_STEAL_TIME" },
	{ 0x4b564d04,	"KVM_PV_EOI_EN" },
	{ 0x4b564d05,	"KVM_POLL_CONTROL" },
	{ 0x4b564d06,	"KVM_ASYNC_PF_INT" },
	{ 0x4b564d07,	"KVM_ASYNC_PF_ACK" },
	{ 0x4b564d08,	"KVM_MIGRATION_CONTROL" },
	/* AMD64 and AMD (APM Vol. 2) */
	{ 0xc0000080,	"EFER" },
	{ 0xc0000081,	"STAR" },
	{ 0xc0000082,	"LSTAR" },
	{ 0xc0000083,	"CSTAR" },
	{ 0xc0000084,	"SFMASK" },
	{ 0xc0000100,	"FS_BASE" },
	{ 0xc0000101,	"GS_BASE" },
	{ 0xc0000102,	"KERNEL_GS_BASE" },
	{ 0xc0000103,	"TSC_AUX" },
	{ 0xc0000104,	"TSC_RATIO" },
	{ 0xc0000300,	"PERF_CNTR_GLOBAL_STATUS" },
	{ 0xc0000301,	"PERF_CNTR_GLOBAL_CTL" },
	{ 0xc0000302,	"PERF_CNTR_GLOBAL_STATUS_CLR" },
	{ 0xc0010000,	"K7_EVNTSEL0" },
	{ 0xc0010001,	"K7_EVNTSEL1" },
	{ 0xc0010002,	"K7_EVNTSEL2" },
	{ 0xc0010003,	"K7_EVNTSEL3" },
	{ 0xc0010004,	"K7_PERFCTR0" },
	{ 0xc0010005,	"K7_PERFCTR1" },
	{ 0xc0010006,	"K7_PERFCTR2" },
	{ 0xc0010007,	"K7_PERFCTR3" },
	{ 0xc0010010,	"SYSCFG" },
	{ 0xc0010015,	"HWCR" },
	{ 0xc0010016,	"IORR_BASE0" },
	{ 0xc0010017,	"IORR_MASK0" },
	{ 0xc0010018,	"IORR_BASE1" },
	{ 0xc0010019,	"IORR_MASK1" },
	{ 0xc001001a,	"TOP_MEM" },
	{ 0xc001001d,	"TOP_MEM2" },
	{ 0xc001001f,	"NB_CFG" },
	{ 0xc0010020,	"PATCH_LOADER" },
	{ 0xc0010055,	"INT_PENDING_MSG" },
	{ 0xc0010058,	"MMIO_CONF_BASE" },
	{ 0xc0010062,	"PSTATE_CTL" },
	{ 0xc0010063,	"PSTATE_STATUS" },
	{ 0xc0010064,	"PSTATE_DEF0" },
	{ 0xc0010065,	"PSTATE_DEF1" },
	{ 0xc0010066,	"PSTATE_DEF2" },
	{ 0xc0010067,	"PSTATE_DEF3" },
	{ 0xc0010068,	"PSTATE_DEF4" },
	{ 0xc0010069,	"PSTATE_DEF5" },
	{ 0xc001006a,	"PSTATE_DEF6" },
	{ 0xc001006b,	"PSTATE_DEF7" },
	{ 0xc0010112,	"TSEG_ADDR" },
	{ 0xc0010113,	"TSEG_MASK" },
	{ 0xc0010114,	"VM_CR" },
	{ 0xc0010117,	"VM_HSAVE_PA" },
	{ 0xc001011f,	"VIRT_SPEC_CTRL" },
	{ 0xc0010130,	"GHCB" },
	{ 0xc0010131,	"SEV_STATUS" },
	{ 0xc0010140,	"OSVW_ID_LENGTH" },
	{ 0xc0010141,	"OSVW_STATUS" },
	{ 0xc0010200,	"F15H_PERF_CTL0" },
	{ 0xc0010201,	"F15H_PERF_CTR0" },
	{ 0xc0010202,	"F15H_PERF_CTL1" },
	{ 0xc0010203,	"F15H_PERF_CTR1" },
	{ 0xc0010204,	"F15H_PERF_CTL2" },
	{ 0xc0010205,	"F15H_PERF_CTR2" },
	{ 0xc0010206,	"F15H_PERF_CTL3" },
	{ 0xc0010207,	"F15H_PERF_CTR3" },
	{ 0xc0010208,	"F15H_PERF_CTL4" },
	{ 0xc0010209,	"F15H_PERF_CTR4" },
	{ 0xc001020a,	"F15H_PERF_CTL5" },
	{ 0xc001020b,	"F15H_PERF_CTR5" },
	{ 0xc0010299,	"AMD_RAPL_POWER_UNIT" },
	{ 0xc001029a,	"AMD_CORE_ENERGY_STATUS" },
	{ 0xc001029b,	"AMD_PKG_ENERGY_STATUS" },
	{ 0xc00102b0,	"CPPC_CAP1" },
	{ 0xc00102b1,	"CPPC_ENABLE" },
	{ 0xc00102b2,	"CPPC_CAP2" },
	{ 0xc00102b3,	"CPPC_REQ" },
	{ 0xc00102b4,	"CPPC_STATUS" },
	{ 0xc00102f0,	"AMD_PPIN_CTL" },
	{ 0xc00102f1,	"AMD_PPIN" },
	{ 0xc0011020,	"LS_CFG" },
	{ 0xc0011021,	"IC_CFG" },
	{ 0xc0011022,	"DC_CFG" },
	{ 0xc0011029,	"DE_CFG" },
	{ 0xc001102a,	"BU_CFG2" },
	{ 0xc0011030,	"IBSFETCHCTL" },
	{ 0xc001103a,	"IBSCTL" },
};

const char *cvm_name_msr(uint32_t index)
{
	if (index >= X2APIC_MSR_FIRST && index <= X2APIC_MSR_LAST) {
		uint32_t reg = index - X2APIC_MSR_FIRST;

		return reg < APIC_NR_REGS ? x2apic_regs[reg] : NULL;
	}
	return find_name(msr_names, ARRAY_SIZE(msr_names), index);
}

/* ---- MMIO --------------------------------------------------------------- */

#define LAPIC_BASE	0xfee00000ull
#define LAPIC_SIZE	0x1000
#define IOAPIC_BASE	0xfec00000ull
#define IOAPIC_SIZE	0x400
#define HPET_BASE	0xfed00000ull
#define HPET_SIZE	0x400
/* the legacy VGA window; the ICH9 (q35) root complex register block; TPM TIS */
#define VGA_BASE	0xa0000ull
#define VGA_SIZE	0x20000
#define RCRB_BASE	0xfed1c000ull
#define RCRB_SIZE	0x4000
#define TPM_BASE	0xfed40000ull
#define TPM_SIZE	0x5000

/*
 * PCI Express configuration space (ECAM, "MMCONFIG"), bus 0 at the base.
 * Its place is the guest firmware's choice, told to the guest in its ACPI
 * MCFG table, which the host does not see.  The default is QEMU q35's,
 * where SeaBIOS and OVMF put it; cvm_names_set_ecam() changes it.
 */
static uint64_t ecam_base = CVM_ECAM_Q35_BASE;
static uint64_t ecam_size = CVM_ECAM_Q35_SIZE;

void cvm_names_set_ecam(uint64_t base, uint64_t size)
{
	ecam_base = base;
	ecam_size = size;
}

/* "<region> <name>[+0x<inner>]" or "<region> 0x<off>" when unnamed. */
static int put_reg(char *buf, size_t len, const char *region,
		   const char *name, unsigned int off, unsigned int inner)
{
	if (!name)
		return put(buf, len, "%s 0x%03x", region, off);
	if (inner)
		return put(buf, len, "%s %s+0x%x", region, name, inner);
	return put(buf, len, "%s %s", region, name);
}

static int format_lapic(char *buf, size_t len, unsigned int off)
{
	unsigned int reg = off >> 4;
	const char *n = reg < APIC_NR_REGS ? xapic_regs[reg] : NULL;

	return put_reg(buf, len, "LAPIC", n, off, off & 0xf);
}

static int format_ioapic(char *buf, size_t len, unsigned int off)
{
	const char *n = NULL;

	switch (off >> 4) {
	case 0x0:
		n = "IOREGSEL";
		break;
	case 0x1:
		n = "IOWIN";
		break;
	case 0x4:
		n = "EOI";
		break;
	}
	return put_reg(buf, len, "IOAPIC", n, off, off & 0xf);
}

/* HPET registers are 64 bits wide; timer n has a 0x20-byte block at 0x100. */
static int format_hpet(char *buf, size_t len, unsigned int off)
{
	unsigned int reg = off & ~7u, inner = off & 7u;
	char tn[32];
	const char *n = NULL;

	switch (reg) {
	case 0x000:
		n = "GCAP_ID";
		break;
	case 0x010:
		n = "CONFIG";
		break;
	case 0x020:
		n = "ISR";
		break;
	case 0x0f0:
		n = "MAIN_COUNTER";
		break;
	default:
		if (reg >= 0x100) {
			unsigned int t = (reg - 0x100) / 0x20;
			static const char *const what[4] = {
				"CONFIG", "COMPARATOR", "FSB_ROUTE", NULL,
			};
			const char *w = what[((reg - 0x100) % 0x20) / 8];

			if (w) {
				put(tn, sizeof(tn), "T%u_%s", t, w);
				n = tn;
			}
		}
		break;
	}
	return put_reg(buf, len, "HPET", n, off, inner);
}

/* "PCI ECAM 00:1f.2 reg 0x40": bus, device, function, register. */
static int format_ecam(char *buf, size_t len, uint64_t off)
{
	return put(buf, len, "PCI ECAM %02x:%02x.%x reg 0x%02x",
		   (unsigned int)(off >> 20) & 0xff,
		   (unsigned int)(off >> 15) & 0x1f,
		   (unsigned int)(off >> 12) & 0x7, (unsigned int)off & 0xfff);
}

int cvm_format_mmio(char *buf, size_t len, uint64_t gpa)
{
	if (gpa >= LAPIC_BASE && gpa < LAPIC_BASE + LAPIC_SIZE)
		return format_lapic(buf, len, (unsigned int)(gpa - LAPIC_BASE));
	if (gpa >= IOAPIC_BASE && gpa < IOAPIC_BASE + IOAPIC_SIZE)
		return format_ioapic(buf, len,
				     (unsigned int)(gpa - IOAPIC_BASE));
	if (gpa >= HPET_BASE && gpa < HPET_BASE + HPET_SIZE)
		return format_hpet(buf, len, (unsigned int)(gpa - HPET_BASE));
	if (gpa >= ecam_base && gpa - ecam_base < ecam_size)
		return format_ecam(buf, len, gpa - ecam_base);
	if (gpa >= VGA_BASE && gpa < VGA_BASE + VGA_SIZE)
		return put(buf, len, "VGA window");
	if (gpa >= RCRB_BASE && gpa < RCRB_BASE + RCRB_SIZE)
		return put(buf, len, "ICH9 RCRB 0x%04x",
			   (unsigned int)(gpa - RCRB_BASE));
	if (gpa >= TPM_BASE && gpa < TPM_BASE + TPM_SIZE)
		return put(buf, len, "TPM TIS 0x%04x",
			   (unsigned int)(gpa - TPM_BASE));
	return put(buf, len, "%s", "");
}

/* ---- I/O ports ---------------------------------------------------------- */

struct port_name {
	uint16_t first, last;
	const char *name;
};

#define UART_REGS(p, com)						\
	{ (p) + 0, (p) + 0, com "_DATA" },				\
	{ (p) + 1, (p) + 1, com "_IER" },				\
	{ (p) + 2, (p) + 2, com "_IIR_FCR" },				\
	{ (p) + 3, (p) + 3, com "_LCR" },				\
	{ (p) + 4, (p) + 4, com "_MCR" },				\
	{ (p) + 5, (p) + 5, com "_LSR" },				\
	{ (p) + 6, (p) + 6, com "_MSR" },				\
	{ (p) + 7, (p) + 7, com "_SCR" }

/* ATA command block registers (the control block is named on its own). */
#define IDE_REGS(p, ide)						\
	{ (p) + 0, (p) + 0, ide "_DATA" },				\
	{ (p) + 1, (p) + 1, ide "_ERR_FEAT" },				\
	{ (p) + 2, (p) + 2, ide "_NSECT" },				\
	{ (p) + 3, (p) + 3, ide "_LBAL" },				\
	{ (p) + 4, (p) + 4, ide "_LBAM" },				\
	{ (p) + 5, (p) + 5, ide "_LBAH" },				\
	{ (p) + 6, (p) + 6, ide "_DEVICE" },				\
	{ (p) + 7, (p) + 7, ide "_STATUS_CMD" }

#define LPT_REGS(p, lpt)						\
	{ (p) + 0, (p) + 0, lpt "_DATA" },				\
	{ (p) + 1, (p) + 1, lpt "_STATUS" },				\
	{ (p) + 2, (p) + 2, lpt "_CTRL" }

#define ACPI_PM_REGS(p)							\
	{ (p) + 0, (p) + 1, "ACPI_PM1_STS" },				\
	{ (p) + 2, (p) + 3, "ACPI_PM1_EN" },				\
	{ (p) + 4, (p) + 5, "ACPI_PM1_CNT" },				\
	{ (p) + 8, (p) + 11, "ACPI_PM_TMR" }

/*
 * The PC platform, and where QEMU and its firmware put the rest: the ACPI
 * PM block at 0x600 (SeaBIOS with QEMU's ACPI tables, OVMF on q35; on q35
 * the ICH9 registers follow it) or 0xb000 (older SeaBIOS, OVMF on pc), the
 * SMBus at PM base + 0x100, GPE0 and the ACPI hotplug registers at QEMU's
 * fixed ports for pc (piix4) and q35 (ich9).
 */
static const struct port_name port_names[] = {
	{ 0x0000, 0x000f, "DMA1" },
	{ 0x0020, 0x0020, "PIC1_CMD" },
	{ 0x0021, 0x0021, "PIC1_DATA" },
	{ 0x002e, 0x002e, "SUPERIO_INDEX" },
	{ 0x002f, 0x002f, "SUPERIO_DATA" },
	{ 0x0040, 0x0040, "PIT_CH0" },
	{ 0x0041, 0x0041, "PIT_CH1" },
	{ 0x0042, 0x0042, "PIT_CH2" },
	{ 0x0043, 0x0043, "PIT_MODE" },
	{ 0x004e, 0x004e, "SUPERIO2_INDEX" },
	{ 0x004f, 0x004f, "SUPERIO2_DATA" },
	{ 0x0060, 0x0060, "I8042_DATA" },
	{ 0x0061, 0x0061, "SYS_CTRL_B" },
	{ 0x0062, 0x0062, "EC_DATA" },
	{ 0x0064, 0x0064, "I8042_CMD" },
	{ 0x0066, 0x0066, "EC_CMD" },
	{ 0x0070, 0x0070, "RTC_INDEX" },
	{ 0x0071, 0x0071, "RTC_DATA" },
	{ 0x0080, 0x0080, "POST" },
	{ 0x0081, 0x008f, "DMA_PAGE" },
	{ 0x0092, 0x0092, "SYS_CTRL_A" },
	{ 0x00a0, 0x00a0, "PIC2_CMD" },
	{ 0x00a1, 0x00a1, "PIC2_DATA" },
	{ 0x00b2, 0x00b2, "APM_CNT" },
	{ 0x00b3, 0x00b3, "APM_STS" },
	{ 0x00c0, 0x00df, "DMA2" },
	{ 0x00ed, 0x00ed, "IO_DELAY" },
	{ 0x00f4, 0x00f4, "ISA_DEBUG_EXIT" },
	IDE_REGS(0x170, "IDE2"),
	{ 0x01ce, 0x01ce, "VBE_INDEX" },
	{ 0x01cf, 0x01cf, "VBE_DATA" },
	IDE_REGS(0x1f0, "IDE1"),
	LPT_REGS(0x278, "LPT2"),
	UART_REGS(0x2e8, "COM4"),
	UART_REGS(0x2f8, "COM2"),
	{ 0x0376, 0x0376, "IDE2_CTL" },
	LPT_REGS(0x378, "LPT1"),
	{ 0x03b0, 0x03bb, "VGA" },
	LPT_REGS(0x3bc, "LPT3"),
	{ 0x03c0, 0x03df, "VGA" },
	UART_REGS(0x3e8, "COM3"),
	{ 0x03f0, 0x03f0, "FDC_SRA" },
	{ 0x03f1, 0x03f1, "FDC_SRB" },
	{ 0x03f2, 0x03f2, "FDC_DOR" },
	{ 0x03f3, 0x03f3, "FDC_TDR" },
	{ 0x03f4, 0x03f4, "FDC_MSR" },
	{ 0x03f5, 0x03f5, "FDC_FIFO" },
	{ 0x03f6, 0x03f6, "IDE1_CTL" },
	{ 0x03f7, 0x03f7, "FDC_DIR" },
	UART_REGS(0x3f8, "COM1"),
	{ 0x0402, 0x0402, "DEBUGCON" },
	{ 0x04d0, 0x04d0, "ELCR1" },
	{ 0x04d1, 0x04d1, "ELCR2" },
	{ 0x0505, 0x0505, "PVPANIC" },
	{ 0x0510, 0x0510, "FW_CFG_CTL" },
	{ 0x0511, 0x0511, "FW_CFG_DATA" },
	{ 0x0514, 0x051b, "FW_CFG_DMA" },
	ACPI_PM_REGS(0x0600),
	{ 0x0620, 0x0627, "ACPI_GPE0_STS" },
	{ 0x0628, 0x062f, "ACPI_GPE0_EN" },
	{ 0x0630, 0x0633, "ICH9_SMI_EN" },
	{ 0x0634, 0x0637, "ICH9_SMI_STS" },
	{ 0x0660, 0x067f, "ICH9_TCO" },
	{ 0x0700, 0x071f, "SMBUS" },
	{ 0x0a00, 0x0a17, "ACPI_MEM_HOTPLUG" },
	{ 0x0cc0, 0x0cd7, "ACPI_PCI_HOTPLUG" },
	{ 0x0cd8, 0x0ce3, "ACPI_CPU_HOTPLUG" },
	{ 0x0cf8, 0x0cf8, "PCI_CONFIG_ADDR" },
	{ 0x0cf9, 0x0cf9, "RESET_CONTROL" },
	{ 0x0cfa, 0x0cfa, "PCI_CONFIG2_FORWARD" },
	{ 0x0cfb, 0x0cfb, "PCI_CONFIG_MECH" },
	{ 0x0cfc, 0x0cff, "PCI_CONFIG_DATA" },
	{ 0xae00, 0xae17, "ACPI_PCI_HOTPLUG" },
	{ 0xaf00, 0xaf1f, "ACPI_CPU_HOTPLUG" },
	{ 0xafe0, 0xafe1, "ACPI_GPE0_STS" },
	{ 0xafe2, 0xafe3, "ACPI_GPE0_EN" },
	ACPI_PM_REGS(0xb000),
	{ 0xb100, 0xb11f, "SMBUS" },
};

const char *cvm_name_port(uint16_t port)
{
	size_t lo = 0, hi = ARRAY_SIZE(port_names);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct port_name *p = &port_names[mid];

		if (port < p->first)
			hi = mid;
		else if (port > p->last)
			lo = mid + 1;
		else
			return p->name;
	}
	return NULL;
}

/* ---- uapi enums --------------------------------------------------------- */

static const char *const vm_type_names[] = {
	[CVMSTAT_VM_PLAIN]		= "plain",
	[CVMSTAT_VM_SEV]		= "SEV",
	[CVMSTAT_VM_SEV_ES]		= "SEV-ES",
	[CVMSTAT_VM_SNP]		= "SNP",
	[CVMSTAT_VM_TDX]		= "TDX",
	[CVMSTAT_VM_SW_PROTECTED]	= "SW_PROTECTED",
};

static const char *const kind_names[] = {
	[CVMSTAT_KIND_REASON]		= "reason",
	[CVMSTAT_KIND_VMGEXIT]		= "vmgexit",
	[CVMSTAT_KIND_GHCB_MSR]		= "ghcb_msr",
	[CVMSTAT_KIND_MMIO]		= "mmio",
	[CVMSTAT_KIND_MSR]		= "msr",
	[CVMSTAT_KIND_PIO]		= "pio",
	[CVMSTAT_KIND_TDX_LEAF]		= "tdx_leaf",
	[CVMSTAT_KIND_OVERFLOW]		= "overflow",
	[CVMSTAT_KIND_VCPU]		= "vcpu",
	[CVMSTAT_KIND_HALT]		= "halt",
	[CVMSTAT_KIND_HALT_HIST]	= "halt_hist",
	[CVMSTAT_KIND_HALT_WINDOW]	= "halt_window",
	[CVMSTAT_KIND_HALT_STATE]	= "halt_state",
	[CVMSTAT_KIND_LAT_COUNT]	= "lat_count",
	[CVMSTAT_KIND_LAT_SUM]		= "lat_sum",
	[CVMSTAT_KIND_LAT_MIN]		= "lat_min",
	[CVMSTAT_KIND_LAT_MAX]		= "lat_max",
	[CVMSTAT_KIND_LAT_BUCKET]	= "lat_bucket",
	[CVMSTAT_KIND_LAT_OPEN]		= "lat_open",
	[CVMSTAT_KIND_LAT_LOST]		= "lat_lost",
};

static const char *const halt_names[] = {
	[CVMSTAT_HALT_HALTS]		= "halts",
	[CVMSTAT_HALT_POLL_OK]		= "poll_ok",
	[CVMSTAT_HALT_POLL_FAIL]	= "poll_fail",
	[CVMSTAT_HALT_NOT_POLLED]	= "not_polled",
	[CVMSTAT_HALT_NO_POLL_GUEST]	= "not_polled_guest",
	[CVMSTAT_HALT_INVALID]		= "invalid",
	[CVMSTAT_HALT_NS]		= "halted_ns",
	[CVMSTAT_HALT_POLL_OK_NS]	= "poll_ok_ns",
	[CVMSTAT_HALT_POLL_FAIL_NS]	= "poll_fail_ns",
	[CVMSTAT_HALT_WAIT_NS]		= "wait_ns",
	[CVMSTAT_HALT_GROW]		= "grow",
	[CVMSTAT_HALT_SHRINK]		= "shrink",
	[CVMSTAT_HALT_GUEST_OFF]	= "guest_poll_off",
	[CVMSTAT_HALT_GUEST_ON]		= "guest_poll_on",
	[CVMSTAT_HALT_WINDOW_OVERFLOW]	= "window_overflow",
};

static const char *const halt_state_names[] = {
	[CVMSTAT_HALT_STATE_WINDOW]	= "window_ns",
	[CVMSTAT_HALT_STATE_GUEST_OFF]	= "guest_poll_off",
	[CVMSTAT_HALT_STATE_GUEST_NS]	= "guest_changed_ns",
};

const char *const cvm_hp_names[5] = {
	"halt_poll_ns", "halt_poll_ns_grow", "halt_poll_ns_grow_start",
	"halt_poll_ns_shrink", "vm_halt_poll_ns",
};

const char *cvm_name_halt(uint64_t key)
{
	return key < ARRAY_SIZE(halt_names) ? halt_names[key] : NULL;
}

const char *cvm_name_vm_type(unsigned int type)
{
	return type < ARRAY_SIZE(vm_type_names) ? vm_type_names[type] : NULL;
}

const char *cvm_name_kind(unsigned int kind)
{
	return kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : NULL;
}

/* ---- records ------------------------------------------------------------ */

/* cvmstat.ko's phase port: its writes are phase marks, whatever else sits there. */
static uint64_t phase_port = UINT64_MAX;

void cvm_names_set_phase_port(int port)
{
	phase_port = port >= 0 && port <= UINT16_MAX ? (uint64_t)port : UINT64_MAX;
}

int cvm_format_key(char *buf, size_t len, unsigned int kind, uint64_t key)
{
	/* A reason's key carries the ISA in its upper half: print the code. */
	if (kind == CVMSTAT_KIND_REASON)
		key = (uint32_t)key;
	return put(buf, len, "0x%llx", (unsigned long long)key);
}

int cvm_format_record_name(char *buf, size_t len, unsigned int kind,
			   uint64_t key)
{
	const char *name = NULL;
	int n;

	switch (kind) {
	case CVMSTAT_KIND_REASON:
		return cvm_format_reason(buf, len, key >> 32, (uint32_t)key);
	case CVMSTAT_KIND_VMGEXIT:
		name = cvm_name_vmgexit(key);
		break;
	case CVMSTAT_KIND_GHCB_MSR:
		name = cvm_name_ghcb_msr(key);
		break;
	case CVMSTAT_KIND_TDX_LEAF:
		name = cvm_name_tdx_leaf(key);
		break;
	case CVMSTAT_KIND_MSR:
		name = key <= UINT32_MAX ? cvm_name_msr(key) : NULL;
		break;
	case CVMSTAT_KIND_PIO:
		if (key == phase_port)
			name = "PHASE_MARK";
		else if (key <= UINT16_MAX)
			name = cvm_name_port(key);
		break;
	case CVMSTAT_KIND_MMIO:
		n = cvm_format_mmio(buf, len, key);
		if (n)
			return n;
		break;
	case CVMSTAT_KIND_OVERFLOW:
		name = cvm_name_kind(key);
		break;
	case CVMSTAT_KIND_VCPU:
		name = "exits";
		break;
	case CVMSTAT_KIND_HALT:
		name = cvm_name_halt(key);
		break;
	case CVMSTAT_KIND_HALT_HIST:
		if (key < 64)
			return put(buf, len, "halted 2^%llu ns",
				   (unsigned long long)key);
		break;
	case CVMSTAT_KIND_HALT_WINDOW:
		return put(buf, len, "window %llu ns", (unsigned long long)key);
	case CVMSTAT_KIND_HALT_STATE:
		name = key < ARRAY_SIZE(halt_state_names) ?
		       halt_state_names[key] : NULL;
		break;
	}
	if (name)
		return put(buf, len, "%s", name);
	return cvm_format_key(buf, len, kind, key);
}

/* ---- self-check --------------------------------------------------------- */

static int check_sorted(const struct code_name *t, size_t n, const char *what)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!t[i].name || !t[i].name[0]) {
			fprintf(stderr, "names: %s[%zu] has no name\n", what,
				i);
			bad++;
		}
		if (i && t[i - 1].code >= t[i].code) {
			fprintf(stderr, "names: %s not sorted at 0x%x\n", what,
				t[i].code);
			bad++;
		}
	}
	return bad;
}

int cvm_names_selftest(void)
{
	int bad = 0;
	size_t i;

	bad += check_sorted(vmx_own, ARRAY_SIZE(vmx_own), "vmx_own");
	bad += check_sorted(svm_own, ARRAY_SIZE(svm_own), "svm_own");
	bad += check_sorted(vmgexit_names, ARRAY_SIZE(vmgexit_names),
			    "vmgexit_names");
	bad += check_sorted(ghcb_msr_names, ARRAY_SIZE(ghcb_msr_names),
			    "ghcb_msr_names");
	bad += check_sorted(tdx_leaf_names, ARRAY_SIZE(tdx_leaf_names),
			    "tdx_leaf_names");
	bad += check_sorted(msr_names, ARRAY_SIZE(msr_names), "msr_names");
	for (i = 0; i < ARRAY_SIZE(msr_names); i++) {
		if (msr_names[i].code >= X2APIC_MSR_FIRST &&
		    msr_names[i].code <= X2APIC_MSR_LAST) {
			fprintf(stderr, "names: msr 0x%x hides x2APIC\n",
				msr_names[i].code);
			bad++;
		}
	}
	for (i = 0; i < ARRAY_SIZE(port_names); i++) {
		if (port_names[i].first > port_names[i].last ||
		    (i && port_names[i - 1].last >= port_names[i].first)) {
			fprintf(stderr, "names: port table bad at 0x%x\n",
				port_names[i].first);
			bad++;
		}
	}
	uapi_prepare(&vmx_uapi);
	uapi_prepare(&svm_uapi);
	if (!vmx_uapi.nr || !svm_uapi.nr) {
		fprintf(stderr, "names: empty uapi table\n");
		bad++;
	}
	return bad;
}

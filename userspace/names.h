// SPDX-License-Identifier: GPL-2.0
/*
 * names: printable names for the keys cvmstat records carry (exit reasons,
 * VMGEXIT codes, GHCB MSR-protocol requests, TDX GHCI leaves, MSRs, I/O
 * ports, MMIO addresses), used by `cvmstat show`.
 *
 * Every cvm_name_*() returns a pointer to static storage, or NULL when the
 * code is not known: the caller then prints the number.  The cvm_format_*()
 * functions write into the caller's buffer, always NUL-terminate it (when
 * len > 0), and return the number of characters stored (without the NUL).
 * Nothing here fails on unknown input.
 *
 * Naming style: upper case, no "EXIT_REASON_"/"SVM_EXIT_"/"SVM_VMGEXIT_"/
 * "GHCB_MSR_"/"TDVMCALL_"/"MSR_IA32_" prefixes ("CPUID", "IOIO", "NPF",
 * "PSC", "CPUID_REQ", "MAP_GPA", "EFER").  Local APIC registers use one
 * table for both the x2APIC MSRs ("X2APIC_ICR") and the xAPIC page
 * ("LAPIC TIMER_INIT_COUNT").
 */
#ifndef CVMSTAT_NAMES_H
#define CVMSTAT_NAMES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Exit reason as kvm_exit reports it; isa is CVMSTAT_ISA_VMX (1) or
 * CVMSTAT_ISA_SVM (2).  Only exact codes have a name: a VMX reason with flag
 * bits (other than 0xffffffff, TDX_ENTRY_FAILED) gives NULL, use
 * cvm_format_reason() for those.
 */
const char *cvm_name_reason(unsigned int isa, uint32_t reason);

/*
 * The reason's name; for VMX with flag bits "FAILED_ENTRY|SGX_ENCLAVE|<basic
 * name>" (bits 31, 27; also PENDING_MTF bit 28, FROM_VMX_ROOT bit 29); the
 * number "0x%x" for what has no name.
 */
int cvm_format_reason(char *buf, size_t len, unsigned int isa,
		      uint32_t reason);

/*
 * GHCB software exit code of a VMGEXIT: SEV-ES/SNP software events
 * (0x8000xxxx) or, below 0x80000000, the SVM exit code of an NAE event.
 */
const char *cvm_name_vmgexit(uint64_t code);

/* GHCB MSR-protocol request/response code (GHCBInfo, bits 11:0 are used). */
const char *cvm_name_ghcb_msr(uint64_t req);

/* TDX GHCI TDVMCALL leaf (r11), e.g. 0x10001 "MAP_GPA". */
const char *cvm_name_tdx_leaf(uint64_t leaf);

/* MSR index, including x2APIC registers 0x800-0x8ff ("X2APIC_EOI"). */
const char *cvm_name_msr(uint32_t index);

/*
 * Annotation of an MMIO guest-physical address: "LAPIC EOI", "IOAPIC IOWIN",
 * "HPET MAIN_COUNTER", with "+0x<n>" for an access inside a register; "PCI
 * ECAM 00:1f.2 reg 0x40" (bus:device.function, register) in the ECAM
 * window; "VGA window", "ICH9 RCRB 0x3410", "TPM TIS 0x0f00".  An address
 * outside those regions gives "" (and 0).
 */
int cvm_format_mmio(char *buf, size_t len, uint64_t gpa);

/* QEMU q35's ECAM window: 256 buses at 0xb0000000. */
#define CVM_ECAM_Q35_BASE	0xb0000000ull
#define CVM_ECAM_Q35_SIZE	0x10000000ull

/*
 * Where cvm_format_mmio() takes the ECAM window to be (bus 0 at @base,
 * @size bytes, 1 MiB per bus); size 0: nowhere.  Default: q35's.
 */
void cvm_names_set_ecam(uint64_t base, uint64_t size);

/* I/O port, e.g. 0x70 "RTC_INDEX", 0x3f8 "COM1_DATA". */
const char *cvm_name_port(uint16_t port);

/* enum cvmstat_vm_type: "plain", "SEV", "SEV-ES", "SNP", "TDX", ... */
const char *cvm_name_vm_type(unsigned int type);

/* enum cvmstat_kind: "reason", "vmgexit", "ghcb_msr", "mmio", ... */
const char *cvm_name_kind(unsigned int kind);

/* enum cvmstat_halt_key: "halts", "poll_ok", "poll_fail", ... */
const char *cvm_name_halt(uint64_t key);

/*
 * The halt-polling settings, in the order of enum cvm_hp_param (hpctl.h):
 * KVM's four global parameters, then "vm_halt_poll_ns".
 */
extern const char *const cvm_hp_names[5];

/*
 * The key of a record of @kind (enum cvmstat_kind) as "0x<hex>"; for exit
 * reasons the code alone, without the ISA in the key's upper half.
 */
int cvm_format_key(char *buf, size_t len, unsigned int kind, uint64_t key);

/*
 * What a record's key means, by kind: the reason, VMGEXIT, GHCB MSR-protocol,
 * TDX leaf, MSR or port name, the MMIO annotation, the overflowed kind's
 * name, "exits" for a vCPU total, the halt-poll figure ("poll_ok"), bucket
 * ("halted 2^19 ns") or window ("window 200000 ns"); the key itself
 * ("0x..") when unknown.
 */
int cvm_format_record_name(char *buf, size_t len, unsigned int kind,
			   uint64_t key);

/*
 * The module's phase port (-1: none): cvm_format_record_name() then names
 * that port "PHASE_MARK".
 */
void cvm_names_set_phase_port(int port);

/*
 * Self-check of the built-in tables (sorted, no duplicate codes).  Returns
 * 0 when they are consistent, else the number of problems found.  For the
 * unit tests.
 */
int cvm_names_selftest(void);

#endif /* CVMSTAT_NAMES_H */

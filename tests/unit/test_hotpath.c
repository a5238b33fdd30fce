// SPDX-License-Identifier: GPL-2.0
/*
 * The counting core's inline event functions, which is all the module's
 * probes (kmod/probes.c) index arrays with or shift with, driven with every
 * class of input a probe can be handed (any exit reason of any ISA, any
 * port, MSR, GPA, GHCB code) under -fsanitize=undefined,bounds-strict with
 * no recovery: an index out of bounds or a bad shift aborts the test.
 * kmod/Kbuild builds probes.o without the kernel's UBSAN on the strength of
 * this test (see the comment there).  Each event must also be counted
 * exactly once: in its table, or in the table's overflow counter.
 */
#include <stdio.h>
#include <string.h>
#include "core/counters.h"
#include "check.h"

/* Zeroed counters in one of @n static places (one test uses two at once). */
static struct cvm_stats *fresh(unsigned int n, enum cvm_mmio_source src)
{
	static struct cvm_stats place[2];

	memset(&place[n], 0, sizeof(place[n]));
	place[n].mmio_source = src;
	return &place[n];
}

/* xorshift64: keys spread over every hash position and every high bit */
static u64 rnd(void)
{
	static u64 x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Everything a keyed table counted, its overflow included. */
static u64 table_sum(const u64 *counts, unsigned int shift, u64 overflow)
{
	u64 n = overflow;
	unsigned int i;

	for (i = 0; i < (1U << shift); i++)
		n += counts[i];
	return n;
}

#define TABLE_SUM(s, name, shift, t) \
	table_sum((s)->c.name##_count, shift, (s)->c.overflow[t])

/* Every u32 near 0, near the top, around each power of two, and a stride. */
static unsigned int u32_values(u32 *v)
{
	unsigned int n = 0, k;
	u32 i;

	for (i = 0; i < 0x2000; i++)
		v[n++] = i;
	for (i = 0; i < 0x1000; i++)
		v[n++] = 0xffffffffU - i;
	for (k = 13; k < 32; k++) {
		for (i = 0; i < 4; i++) {
			v[n++] = (1U << k) + i;
			v[n++] = (1U << k) - 1 - i;
		}
	}
	for (i = 0; i < 0xffff; i++)
		v[n++] = i * 0x10001U + 0x1234;
	return n;
}

/* kvm_exit as probe_kvm_exit and exit_slow count it, for any ISA value. */
static void test_reasons(const u32 *v, unsigned int nv)
{
	static const u32 isas[] = { CVMSTAT_ISA_VMX, CVMSTAT_ISA_SVM, 0,
				    3, 0xffffffffU };
	unsigned int a, i;

	for (a = 0; a < sizeof(isas) / sizeof(isas[0]); a++) {
		struct cvm_stats *s = fresh(0, CVM_MMIO_FROM_TRACE);
		u64 n = 0;

		for (i = 0; i < nv; i++) {
			if (isas[a] != CVMSTAT_ISA_SVM ||
			    !cvm_on_svm_exit_fast(s, v[i]))
				cvm_on_exit(s, isas[a], v[i]);
			n++;
		}
		for (i = 0; i < CVM_NR_DENSE; i++)
			n -= s->c.reason[i];
		CHECK(n == TABLE_SUM(s, reason_x, CVM_REASON_X_SHIFT, CVM_T_REASON_X),
		      "isa %u: every exit counted once", isas[a]);
	}
}

/* kvm_pio and kvm_msr: any direction flag, any port, any MSR index. */
static void test_pio_msr(const u32 *v, unsigned int nv)
{
	static const u32 flags[] = { 0, 1, 2, 0xffffffffU };
	struct cvm_stats *p = fresh(0, CVM_MMIO_FROM_TRACE);
	struct cvm_stats *m = fresh(1, CVM_MMIO_FROM_TRACE);
	u64 np = 0, nm = 0;
	unsigned int f, i;

	for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		for (i = 0; i < 0x10000; i++, np++)
			cvm_on_pio(p, flags[f], i);
		for (i = 0; i < nv; i++, np++, nm++) {
			cvm_on_pio(p, flags[f], v[i]);
			cvm_on_msr(m, flags[f], v[i]);
			cvm_on_msr(m, flags[f], 0xc0000000U + v[i]);
			nm++;
		}
	}
	CHECK(np == TABLE_SUM(p, pio, CVM_PIO_SHIFT, CVM_T_PIO),
	      "every port access counted once");
	CHECK(nm == TABLE_SUM(m, msr, CVM_MSR_SHIFT, CVM_T_MSR),
	      "every MSR access counted once");
}

/*
 * kvm_mmio (any type), kvm_fast_mmio, kvm_vmgexit_enter,
 * kvm_vmgexit_msr_protocol_enter and the TDX leaves, with 64-bit values
 * spread over every hash position, for both MMIO sources.
 */
static void test_wide_keys(void)
{
	static const u64 fixed[] = { 0, 1, 0x80000001ULL, 0x80000002ULL,
				     0xffffffffULL, 0x100000000ULL, ~0ULL };
	unsigned int src, i, j;

	for (src = CVM_MMIO_FROM_TRACE; src <= CVM_MMIO_FROM_GHCB; src++) {
		struct cvm_stats *s = fresh(0, src);
		u64 nmmio = 0, nvmg = 0, nghcb = 0, ntdx = 0;

		for (i = 0; i < 200000; i++) {
			u64 a = i < 7 ? fixed[i] : rnd();
			u64 b = rnd();
			u32 dir = cvm_mmio_dir((u32)(i % 5) - 1);	/* types -1..3 */

			if (dir) {
				cvm_on_mmio(s, dir, a);
				nmmio += src == CVM_MMIO_FROM_TRACE;
			}
			cvm_on_fast_mmio(s, b);
			nmmio += src == CVM_MMIO_FROM_TRACE;
			for (j = 0; j < 3; j++) {
				u64 code = j == 0 ? a : j == 1 ? 0x80000001ULL :
					   0x80000002ULL;

				cvm_on_vmgexit(s, code, b);
				nvmg++;
				nmmio += src == CVM_MMIO_FROM_GHCB &&
					 (code == 0x80000001ULL || code == 0x80000002ULL);
			}
			cvm_on_ghcb_msr(s, a);
			nghcb++;
			a = cvm_tdx_leaf(i & 1 ? 77 : (u32)b, (u32)a % 48, b);
			if (a) {
				cvm_on_tdx_leaf(s, a);
				ntdx++;
			}
		}
		CHECK(nmmio == TABLE_SUM(s, mmio, CVM_MMIO_SHIFT, CVM_T_MMIO),
		      "source %u: every MMIO access counted once", src);
		CHECK(nvmg == TABLE_SUM(s, vmgexit, CVM_VMGEXIT_SHIFT, CVM_T_VMGEXIT),
		      "source %u: every VMGEXIT counted once", src);
		CHECK(nghcb == TABLE_SUM(s, ghcb_msr, CVM_GHCB_MSR_SHIFT, CVM_T_GHCB_MSR),
		      "source %u: every GHCB MSR request counted once", src);
		CHECK(ntdx > 0 && ntdx == TABLE_SUM(s, tdx_leaf, CVM_TDX_LEAF_SHIFT,
						    CVM_T_TDX_LEAF),
		      "source %u: every TDX leaf counted once (%llu)", src,
		      (unsigned long long)ntdx);
	}
}

int main(void)
{
	static u32 v[0x2000 + 0x1000 + 19 * 8 + 0xffff];
	unsigned int nv = u32_values(v);

	test_reasons(v, nv);
	test_pio_msr(v, nv);
	test_wide_keys();
	printf("hotpath: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

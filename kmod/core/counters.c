// SPDX-License-Identifier: GPL-2.0
/*
 * The counting core's slow paths: reset, consistent copies, and turning
 * counters into uapi records.  See counters.h.
 */
#include "counters.h"

struct table_desc {
	u16 kind;
	bool has_dir;
	unsigned int shift;
	size_t keys;
	size_t counts;
};

#define DESC(t, kind, has_dir, name, shift) \
	[t] = { kind, has_dir, shift, offsetof(struct cvm_counts, name##_key), \
		offsetof(struct cvm_counts, name##_count) }

/* Emission order and uapi kind of every keyed table; indexed by cvm_table. */
static const struct table_desc tables[CVM_T_NR] = {
	DESC(CVM_T_REASON_X, CVMSTAT_KIND_REASON, false, reason_x, CVM_REASON_X_SHIFT),
	DESC(CVM_T_VMGEXIT, CVMSTAT_KIND_VMGEXIT, false, vmgexit, CVM_VMGEXIT_SHIFT),
	DESC(CVM_T_GHCB_MSR, CVMSTAT_KIND_GHCB_MSR, false, ghcb_msr, CVM_GHCB_MSR_SHIFT),
	DESC(CVM_T_MMIO, CVMSTAT_KIND_MMIO, true, mmio, CVM_MMIO_SHIFT),
	DESC(CVM_T_MSR, CVMSTAT_KIND_MSR, true, msr, CVM_MSR_SHIFT),
	DESC(CVM_T_PIO, CVMSTAT_KIND_PIO, true, pio, CVM_PIO_SHIFT),
	DESC(CVM_T_TDX_LEAF, CVMSTAT_KIND_TDX_LEAF, false, tdx_leaf, CVM_TDX_LEAF_SHIFT),
};

/* CVM_KV_INC() missed at the hash position: probe on, insert, or overflow. */
void cvm_kv_insert(struct cvm_counts *c, enum cvm_table t, u64 key)
{
	const struct table_desc *d = &tables[t];
	u64 *keys = (void *)((char *)c + d->keys);
	u64 *counts = (void *)((char *)c + d->counts);
	u32 mask = (1U << d->shift) - 1;
	u32 i = cvm_hash(key, d->shift);
	unsigned int n;

	for (n = 0; n < CVM_PROBE_LIMIT && n <= mask; n++, i = (i + 1) & mask) {
		if (counts[i] && keys[i] == key) {
			counts[i]++;
			return;
		}
		if (!counts[i]) {
			keys[i] = key;
			cvm_wmb();	/* a reader seeing the count sees the key */
			WRITE_ONCE(counts[i], 1);
			return;
		}
	}
	c->overflow[t]++;
}

/* Only the owner calls this, outside any update. */
void cvm_apply_reset(struct cvm_stats *s)
{
	memset(&s->c, 0, sizeof(s->c));
	cvm_wmb();
	WRITE_ONCE(s->reset_ack, READ_ONCE(s->reset_req));
}

/* Snapshot @s->c into @out, with the reset generation it belongs to. */
static u32 copy_once(const struct cvm_stats *s, struct cvm_counts *out)
{
	u32 ack = READ_ONCE(s->reset_ack);

	cvm_rmb();
	memcpy(out, &s->c, sizeof(*out));
	cvm_rmb();
	return ack;
}

/*
 * Counters only grow between resets.  If two copies of a counter taken one
 * after the other are equal, it held that value all along between them;
 * if all counters compare equal, all held their values at one instant, the
 * end of the first copy.  The reset generation guards against a reset (the
 * one way down) in between.
 */
bool cvm_stats_copy(const struct cvm_stats *s, struct cvm_counts *out,
		    struct cvm_counts *scratch, unsigned int tries)
{
	u32 ack = copy_once(s, out);
	u32 ack2;

	while (tries--) {
		if (cvm_reset_pending(s)) {
			memset(out, 0, sizeof(*out));
			return true;
		}
		ack2 = copy_once(s, scratch);
		if (ack == ack2 && !memcmp(out, scratch, sizeof(*out)))
			return true;
		memcpy(out, scratch, sizeof(*out));
		ack = ack2;
	}
	return false;
}

/* Inverse of cvm_reason_index(). */
static u64 dense_reason_key(unsigned int i)
{
	if (i < CVM_DENSE_SVM)
		return CVMSTAT_REASON_KEY(CVMSTAT_ISA_VMX, i);
	if (i < CVM_DENSE_SVM_HI)
		return CVMSTAT_REASON_KEY(CVMSTAT_ISA_SVM, i - CVM_DENSE_SVM);
	if (i < CVM_DENSE_SVM_ERR)
		return CVMSTAT_REASON_KEY(CVMSTAT_ISA_SVM,
					  0x400 + i - CVM_DENSE_SVM_HI);
	if (i == CVM_DENSE_SVM_ERR)
		return CVMSTAT_REASON_KEY(CVMSTAT_ISA_SVM, 0xffffffffU);
	return CVMSTAT_REASON_KEY(CVMSTAT_ISA_VMX, 0xffffffffU);
}

u64 cvm_counts_exits(const struct cvm_counts *c)
{
	u64 exits = c->overflow[CVM_T_REASON_X];
	unsigned int i;

	for (i = 0; i < CVM_NR_DENSE; i++)
		exits += READ_ONCE(c->reason[i]);
	for (i = 0; i < (1U << CVM_REASON_X_SHIFT); i++)
		exits += READ_ONCE(c->reason_x_count[i]);
	return exits;
}

unsigned int cvm_emit(const struct cvm_counts *c, u32 vcpu_id, u32 vcpu_idx,
		      struct cvmstat_record *out)
{
	struct cvmstat_record *r = out + 1;	/* vCPU record goes first */
	unsigned int t, i;

	for (i = 0; i < CVM_NR_DENSE; i++) {
		if (!c->reason[i])
			continue;
		r = cvm_put(r, vcpu_id, CVMSTAT_KIND_REASON, CVMSTAT_DIR_NONE,
			dense_reason_key(i), c->reason[i]);
	}
	for (t = 0; t < CVM_T_NR; t++) {
		const struct table_desc *d = &tables[t];
		const u64 *keys = (const void *)((const char *)c + d->keys);
		const u64 *counts = (const void *)((const char *)c + d->counts);

		for (i = 0; i < (1U << d->shift); i++) {
			if (!counts[i])
				continue;
			if (d->has_dir)
				r = cvm_put(r, vcpu_id, d->kind, keys[i] & 3,
					keys[i] >> 2, counts[i]);
			else
				r = cvm_put(r, vcpu_id, d->kind, CVMSTAT_DIR_NONE,
					keys[i], counts[i]);
		}
	}
	for (t = 0; t < CVM_T_NR; t++) {
		if (!c->overflow[t])
			continue;
		r = cvm_put(r, vcpu_id, CVMSTAT_KIND_OVERFLOW, CVMSTAT_DIR_NONE,
			tables[t].kind, c->overflow[t]);
	}
	cvm_put(out, vcpu_id, CVMSTAT_KIND_VCPU, CVMSTAT_DIR_NONE, vcpu_idx,
	    cvm_counts_exits(c));
	return (unsigned int)(r - out);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The counting core's slow paths: reset, consistent copies, and turning
 * counters into uapi records.  See counters.h.
 */
#include "counters.h"

/* Called by the owner, inside cvm_begin(), so no reader sees half a reset. */
void cvm_apply_reset(struct cvm_stats *s)
{
	memset(&s->c, 0, sizeof(s->c));
	s->reset_ack = READ_ONCE(s->reset_req);
}

bool cvm_stats_copy(const struct cvm_stats *s, struct cvm_counts *out,
		    unsigned int tries)
{
	u32 seq;

	while (tries--) {
		seq = READ_ONCE(s->seq);
		cvm_rmb();
		if (seq & 1)
			continue;
		if (READ_ONCE(s->reset_req) != READ_ONCE(s->reset_ack))
			memset(out, 0, sizeof(*out));
		else
			memcpy(out, &s->c, sizeof(*out));
		cvm_rmb();
		if (READ_ONCE(s->seq) == seq)
			return true;
	}
	return false;
}

static struct cvmstat_record *put(struct cvmstat_record *r, u32 vcpu_id,
				  u16 kind, u8 dir, u64 key, u64 count)
{
	r->vcpu_id = vcpu_id;
	r->kind = kind;
	r->dir = dir;
	r->pad = 0;
	r->key = key;
	r->count = count;
	return r + 1;
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

struct table_desc {
	u16 kind;
	bool has_dir;
	unsigned int shift;
	size_t offset;
};

/* Emission order and uapi kind of every keyed table; indexed by cvm_table. */
static const struct table_desc tables[CVM_T_NR] = {
	[CVM_T_REASON_X] = { CVMSTAT_KIND_REASON, false, CVM_REASON_X_SHIFT,
			     offsetof(struct cvm_counts, reason_x) },
	[CVM_T_VMGEXIT] = { CVMSTAT_KIND_VMGEXIT, false, CVM_VMGEXIT_SHIFT,
			    offsetof(struct cvm_counts, vmgexit) },
	[CVM_T_GHCB_MSR] = { CVMSTAT_KIND_GHCB_MSR, false, CVM_GHCB_MSR_SHIFT,
			     offsetof(struct cvm_counts, ghcb_msr) },
	[CVM_T_MMIO] = { CVMSTAT_KIND_MMIO, true, CVM_MMIO_SHIFT,
			 offsetof(struct cvm_counts, mmio) },
	[CVM_T_MSR] = { CVMSTAT_KIND_MSR, true, CVM_MSR_SHIFT,
			offsetof(struct cvm_counts, msr) },
	[CVM_T_PIO] = { CVMSTAT_KIND_PIO, true, CVM_PIO_SHIFT,
			offsetof(struct cvm_counts, pio) },
	[CVM_T_TDX_LEAF] = { CVMSTAT_KIND_TDX_LEAF, false, CVM_TDX_LEAF_SHIFT,
			     offsetof(struct cvm_counts, tdx_leaf) },
};

unsigned int cvm_emit(const struct cvm_counts *c, u32 vcpu_id, u32 vcpu_idx,
		      struct cvmstat_record *out)
{
	struct cvmstat_record *r = out + 1;	/* vCPU record goes first */
	u64 exits = 0;
	unsigned int t, i;

	for (i = 0; i < CVM_NR_DENSE; i++) {
		if (!c->reason[i])
			continue;
		exits += c->reason[i];
		r = put(r, vcpu_id, CVMSTAT_KIND_REASON, CVMSTAT_DIR_NONE,
			dense_reason_key(i), c->reason[i]);
	}
	for (t = 0; t < CVM_T_NR; t++) {
		const struct table_desc *d = &tables[t];
		const struct cvm_kv *kv = (const void *)((const char *)c + d->offset);

		for (i = 0; i < (1U << d->shift); i++) {
			if (!kv[i].count)
				continue;
			if (t == CVM_T_REASON_X)
				exits += kv[i].count;
			if (d->has_dir)
				r = put(r, vcpu_id, d->kind, kv[i].key & 3,
					kv[i].key >> 2, kv[i].count);
			else
				r = put(r, vcpu_id, d->kind, CVMSTAT_DIR_NONE,
					kv[i].key, kv[i].count);
		}
	}
	for (t = 0; t < CVM_T_NR; t++) {
		if (!c->overflow[t])
			continue;
		if (t == CVM_T_REASON_X)
			exits += c->overflow[t];
		r = put(r, vcpu_id, CVMSTAT_KIND_OVERFLOW, CVMSTAT_DIR_NONE,
			tables[t].kind, c->overflow[t]);
	}
	put(out, vcpu_id, CVMSTAT_KIND_VCPU, CVMSTAT_DIR_NONE, vcpu_idx, exits);
	return (unsigned int)(r - out);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-handling time: the slow parts (clearing, consistent copies, uapi
 * records).  See latency.h.
 */
#include "counters.h"
#include "latency.h"

/*
 * A pair of 2^32 clock units or more, or a negative one (@d as unsigned):
 * counted as CVM_LAT_LOST_ABSURD when negative or over CVM_LAT_ABSURD_NS,
 * else recorded.
 */
void cvm_lat_add_long(struct cvm_lat *l, u64 key, u64 d, u64 mult)
{
	unsigned __int128 ns = ((unsigned __int128)d * mult) >> 32;

	if ((int64_t)d < 0 || ns > CVM_LAT_ABSURD_NS) {
		l->lost[CVM_LAT_LOST_ABSURD]++;
		return;
	}
	cvm_lat_add(l, key, (u64)ns, cvm_lat_bucket((u64)ns));
}

/* The key is new, or not at its hash. */
void cvm_lat_add_slow(struct cvm_lat *l, u64 key, u64 ns, unsigned int b)
{
	struct cvm_lat_entry *e = cvm_lat_find(l, key);

	if (!e) {
		l->lost[CVM_LAT_LOST_FULL]++;
		return;
	}
	cvm_lat_record(e, ns, b);
}

/*
 * The pending exit was stamped on another CPU: recorded if @synced (the
 * clock agrees between CPUs), else counted as CVM_LAT_LOST_CROSS_CPU.
 */
void cvm_lat_entry_moved(struct cvm_lat *l, u64 t, u64 mult, bool synced)
{
	if (synced) {
		cvm_lat_close(l, t, mult);
		return;
	}
	l->cpu = CVM_LAT_NONE;
	l->lost[CVM_LAT_LOST_CROSS_CPU]++;
}

u64 cvm_lat_mult(u32 khz)
{
	return ((1000000ULL << 32) + khz / 2) / (khz ? khz : 1);
}

void cvm_lat_clear(struct cvm_lat *l)
{
	unsigned int i;

	memset(l, 0, sizeof(*l));
	l->cpu = CVM_LAT_NONE;
	for (i = 0; i < CVM_LAT_KEYS; i++)
		l->e[i].key = CVM_LAT_FREE;
}

/* The exits @e timed: what its buckets hold. */
u64 cvm_lat_count(const struct cvm_lat_entry *e)
{
	u64 n = 0;
	unsigned int b;

	for (b = 0; b < CVM_LAT_BUCKETS; b++)
		n += e->hist[b];
	return n;
}

/*
 * An entry's fields only grow (min only shrinks): two equal copies in a row
 * are a consistent one.
 */
bool cvm_lat_copy_entry(const struct cvm_lat_entry *e,
			struct cvm_lat_entry *out, struct cvm_lat_entry *tmp,
			unsigned int tries)
{
	memcpy(out, e, sizeof(*out));
	while (tries--) {
		cvm_rmb();
		memcpy(tmp, e, sizeof(*tmp));
		if (!memcmp(out, tmp, sizeof(*tmp)))
			return true;
		memcpy(out, tmp, sizeof(*tmp));
	}
	return false;
}

/*
 * A copy of the live block @l fit for cvm_lat_emit(): the pending exit, the
 * losses, and each used entry consistently (a free entry is not copied,
 * 2 KiB each; keys never go).  False if an entry kept changing.
 */
bool cvm_lat_copy(const struct cvm_lat *l, struct cvm_lat *out,
		  struct cvm_lat_entry *tmp, unsigned int tries)
{
	unsigned int i;

	out->cpu = READ_ONCE(l->cpu);
	out->key = READ_ONCE(l->key);
	for (i = 0; i < CVM_LAT_LOST_NR; i++)
		out->lost[i] = READ_ONCE(l->lost[i]);
	for (i = 0; i < CVM_LAT_KEYS; i++) {
		out->e[i].key = READ_ONCE(l->e[i].key);
		if (out->e[i].key != CVM_LAT_FREE &&
		    !cvm_lat_copy_entry(&l->e[i], &out->e[i], tmp, tries))
			return false;
	}
	return true;
}

static u64 uapi_key(u64 key, u32 isa)
{
	return (key & ~CVM_LAT_USER_BIT) | (u64)isa << 32;
}

static u8 uapi_dir(u64 key)
{
	return key & CVM_LAT_USER_BIT ? CVMSTAT_LAT_USER : CVMSTAT_LAT_KERNEL;
}

/*
 * @l: a copy whose entries are each consistent, of a vCPU of @isa.  Per key
 * with a count:
 * LAT_COUNT, LAT_SUM, LAT_MIN, LAT_MAX, then a LAT_BUCKET per nonzero
 * bucket; then LAT_OPEN for an exit not yet followed by its entry and
 * LAT_LOST per nonzero loss counter.
 */
unsigned int cvm_lat_emit(const struct cvm_lat *l, u32 vcpu_id, u32 isa,
			  struct cvmstat_record *out)
{
	struct cvmstat_record *r = out;
	unsigned int i, b;

	for (i = 0; i < CVM_LAT_KEYS; i++) {
		const struct cvm_lat_entry *e = &l->e[i];
		u64 k = uapi_key(e->key, isa), n = cvm_lat_count(e);
		u8 dir = uapi_dir(e->key);

		if (e->key == CVM_LAT_FREE || !n)
			continue;
		r = cvm_put(r, vcpu_id, CVMSTAT_KIND_LAT_COUNT, dir, k, n);
		r = cvm_put(r, vcpu_id, CVMSTAT_KIND_LAT_SUM, dir, k, e->sum);
		r = cvm_put(r, vcpu_id, CVMSTAT_KIND_LAT_MIN, dir, k, e->min);
		r = cvm_put(r, vcpu_id, CVMSTAT_KIND_LAT_MAX, dir, k, e->max);
		for (b = 0; b < CVM_LAT_BUCKETS; b++)
			if (e->hist[b])
				r = cvm_put(r, vcpu_id, CVMSTAT_KIND_LAT_BUCKET,
					    dir, k | CVMSTAT_LAT_BUCKET_KEY(b),
					    e->hist[b]);
	}
	if (l->cpu != CVM_LAT_NONE)
		r = cvm_put(r, vcpu_id, CVMSTAT_KIND_LAT_OPEN,
			    uapi_dir(l->key), uapi_key(l->key, isa), 1);
	for (i = 0; i < CVM_LAT_LOST_NR; i++)
		if (l->lost[i])
			r = cvm_put(r, vcpu_id, CVMSTAT_KIND_LAT_LOST, 0, i,
				    l->lost[i]);
	return r - out;
}

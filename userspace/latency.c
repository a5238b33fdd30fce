// SPDX-License-Identifier: GPL-2.0
/*
 * latency: see latency.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "names.h"
#include "../kmod/core/latency.h"

uint64_t cvm_lat_lo(unsigned int i)
{
	return cvm_lat_bucket_lo(i);
}

uint64_t cvm_lat_hi(unsigned int i)
{
	return cvm_lat_bucket_hi(i);
}

double cvm_lat_percentile(const uint64_t *hist, uint64_t count, uint64_t min,
			  uint64_t max, double q)
{
	uint64_t seen = 0, rank;
	unsigned int i;

	if (!count)
		return 0;
	rank = (uint64_t)(q * (double)count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank >= count)
		return (double)max;
	for (i = 0; i < CVMSTAT_LAT_BUCKETS; i++) {
		double lo, hi, v;

		if (!hist[i] || seen + hist[i] < rank) {
			seen += hist[i];
			continue;
		}
		lo = (double)cvm_lat_lo(i);
		hi = i + 1 < CVMSTAT_LAT_BUCKETS ? (double)cvm_lat_hi(i) : (double)max + 1;
		if (lo < (double)min)
			lo = (double)min;
		if (hi > (double)max + 1)
			hi = (double)max + 1;
		/* the rank-th of hist[i] values spread evenly over [lo, hi) */
		v = lo + (hi - lo) * ((double)(rank - seen) - 0.5) / (double)hist[i];
		if (v < (double)min)
			v = (double)min;
		if (v > (double)max)
			v = (double)max;
		return v;
	}
	return (double)max;
}

void cvm_lat_add_record(struct cvm_lat_stat *s, const struct cvmstat_record *r)
{
	switch (r->kind) {
	case CVMSTAT_KIND_LAT_COUNT:
		s->count += r->count;
		break;
	case CVMSTAT_KIND_LAT_SUM:
		s->sum += r->count;
		break;
	case CVMSTAT_KIND_LAT_MIN:
		if (!s->min || r->count < s->min)
			s->min = r->count;
		break;
	case CVMSTAT_KIND_LAT_MAX:
		if (r->count > s->max)
			s->max = r->count;
		break;
	case CVMSTAT_KIND_LAT_BUCKET:
		s->hist[CVMSTAT_LAT_BUCKET_OF(r->key)] += r->count;
		break;
	}
}

static struct cvm_lat_stat *find(struct cvm_lat_stat *s, int *n, int *cap,
				 uint64_t key, uint8_t dir)
{
	struct cvm_lat_stat *t;
	int i;

	for (i = 0; i < *n; i++)
		if (s[i].key == key && s[i].dir == dir)
			return &s[i];
	if (*n == *cap)
		return NULL;
	t = &s[(*n)++];
	memset(t, 0, sizeof(*t));
	t->key = key;
	t->dir = dir;
	return t;
}

/* The largest total time first; per key: both, in the kernel, via userspace. */
static int by_time(const void *a, const void *b)
{
	const struct cvm_lat_stat *x = a, *y = b;

	if (x->key_sum != y->key_sum)
		return x->key_sum > y->key_sum ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

int cvm_lat_collect(const struct cvmstat_record *recs, uint32_t nr, long vcpu,
		    struct cvm_lat_stat **out, uint64_t *open, uint64_t *lost)
{
	struct cvm_lat_stat *s, *t;
	int n = 0, cap = 0, i, j;
	uint32_t k;

	*open = *lost = 0;
	for (k = 0; k < nr; k++)
		if (recs[k].kind == CVMSTAT_KIND_LAT_COUNT)
			cap += 2;
	s = calloc(cap ? cap : 1, sizeof(*s));
	if (!s)
		return -1;
	for (k = 0; k < nr; k++) {
		const struct cvmstat_record *r = &recs[k];
		uint64_t key = CVMSTAT_LAT_REASON_OF(r->key);

		if (vcpu >= 0 && r->vcpu_id != (uint32_t)vcpu)
			continue;
		if (r->kind == CVMSTAT_KIND_LAT_OPEN)
			*open += r->count;
		else if (r->kind == CVMSTAT_KIND_LAT_LOST)
			*lost += r->count;
		if (r->kind < CVMSTAT_KIND_LAT_COUNT ||
		    r->kind > CVMSTAT_KIND_LAT_BUCKET)
			continue;
		t = find(s, &n, &cap, key, r->dir);
		if (t)
			cvm_lat_add_record(t, r);
		t = find(s, &n, &cap, key, 0);
		if (t)
			cvm_lat_add_record(t, r);
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (!s[j].dir && s[j].key == s[i].key)
				s[i].key_sum = s[j].sum;
	qsort(s, n, sizeof(*s), by_time);
	*out = s;
	return n;
}

int cvm_lat_key_name(char *buf, size_t len, uint64_t key)
{
	static const struct {
		unsigned int kind;
		const char *prefix;
	} classes[] = {
		[CVMSTAT_LAT_CLASS_REASON] = { CVMSTAT_KIND_REASON, NULL },
		[CVMSTAT_LAT_CLASS_VMGEXIT] = { CVMSTAT_KIND_VMGEXIT, "VMGEXIT" },
		[CVMSTAT_LAT_CLASS_GHCB_MSR] = { CVMSTAT_KIND_GHCB_MSR, "GHCB_MSR" },
		[CVMSTAT_LAT_CLASS_TDX_LEAF] = { CVMSTAT_KIND_TDX_LEAF, "TDCALL" },
	};
	unsigned int cls = CVMSTAT_LAT_CLASS_OF(key);
	char code[96];

	if (cls >= sizeof(classes) / sizeof(classes[0]))
		return snprintf(buf, len, "0x%llx", (unsigned long long)key);
	if (!classes[cls].prefix)
		return cvm_format_record_name(buf, len, CVMSTAT_KIND_REASON,
					      key & ~CVMSTAT_LAT_CLASS_KEY(0xf));
	cvm_format_record_name(code, sizeof(code), classes[cls].kind,
			       CVMSTAT_LAT_CODE_OF(key));
	return snprintf(buf, len, "%s %s", classes[cls].prefix, code);
}

static void put_us(double ns)
{
	printf(" %10.3f", ns / 1000.0);
}

void cvm_lat_print(const struct cvm_lat_stat *s, int n, bool split)
{
	char name[128];
	int i;

	printf("%-28s %-6s %10s %10s %10s %10s %10s %10s\n", "REASON", "WHERE",
	       "COUNT", "MEAN_US", "P50_US", "P95_US", "P99_US", "MAX_US");
	for (i = 0; i < n; i++) {
		const struct cvm_lat_stat *t = &s[i];

		if (t->dir && !split)
			continue;
		if (!t->count)
			continue;
		cvm_lat_key_name(name, sizeof(name), t->key);
		printf("%-28.28s %-6s %10llu", t->dir ? "" : name,
		       t->dir == CVMSTAT_LAT_USER ? "user" :
		       t->dir == CVMSTAT_LAT_KERNEL ? "kernel" : "all",
		       (unsigned long long)t->count);
		put_us((double)t->sum / (double)t->count);
		put_us(cvm_lat_percentile(t->hist, t->count, t->min, t->max, 0.50));
		put_us(cvm_lat_percentile(t->hist, t->count, t->min, t->max, 0.95));
		put_us(cvm_lat_percentile(t->hist, t->count, t->min, t->max, 0.99));
		put_us((double)t->max);
		printf("\n");
	}
}

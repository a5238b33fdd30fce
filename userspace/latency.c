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
	return i + 1 < CVMSTAT_LAT_BUCKETS ? cvm_lat_bucket_hi(i) :
	       CVM_LAT_ABSURD_NS + 1;
}

unsigned int cvm_lat_bucket_of(uint64_t ns)
{
	return cvm_lat_bucket(ns);
}

const char *cvm_lat_lost_name(uint64_t key)
{
	switch (key) {
	case CVMSTAT_LAT_LOST_CROSS_CPU:
		return "cross_cpu";
	case CVMSTAT_LAT_LOST_ABSURD:
		return "absurd";
	case CVMSTAT_LAT_LOST_FULL:
		return "table_full";
	}
	return "unknown";
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
		hi = (double)cvm_lat_hi(i);
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
		if (!s->have_min || r->count < s->min)
			s->min = r->count;
		s->have_min = true;
		break;
	case CVMSTAT_KIND_LAT_MAX:
		if (r->count > s->max)
			s->max = r->count;
		s->have_max = true;
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

void cvm_lat_sort(struct cvm_lat_stat *s, int n)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (!s[j].dir && s[j].key == s[i].key)
				s[i].key_sum = s[j].sum;
	qsort(s, n, sizeof(*s), by_time);
}

int cvm_lat_collect(const struct cvmstat_record *recs, uint32_t nr, long vcpu,
		    struct cvm_lat_stat **out, uint64_t *open, uint64_t *lost)
{
	struct cvm_lat_stat *s, *t;
	int n = 0, cap = 0;
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
	cvm_lat_sort(s, n);
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

void cvm_lat_bound(struct cvm_lat_stat *s)
{
	int i, lo = -1, hi = -1;

	for (i = 0; i < CVMSTAT_LAT_BUCKETS; i++) {
		if (!s->hist[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
	}
	if (lo < 0)
		return;
	if (!s->have_min) {
		s->min = cvm_lat_lo(lo);
		s->have_min = true;
	}
	if (!s->have_max) {
		s->max = cvm_lat_hi(hi) - 1;
		s->have_max = true;
	}
}

void cvm_lat_merge(struct cvm_lat_stat *dst, const struct cvm_lat_stat *src)
{
	int i;

	if (src->have_min && (!dst->have_min || src->min < dst->min)) {
		dst->min = src->min;
		dst->have_min = true;
	}
	if (src->have_max && (!dst->have_max || src->max > dst->max)) {
		dst->max = src->max;
		dst->have_max = true;
	}
	dst->count += src->count;
	dst->sum += src->sum;
	for (i = 0; i < CVMSTAT_LAT_BUCKETS; i++)
		dst->hist[i] += src->hist[i];
}

/* One row of show --latency and summary; cvmstat(8), OUTPUT, names them. */
struct lat_row {
	uint64_t phase_seq;
	const char *phase;
	uint64_t key;		/* the reason, as record's reason rows */
	const char *reason;
	const char *where;	/* all, kernel, user */
	uint64_t count;
	double mean_us, p50_us, p95_us, p99_us, max_us;
};

#define LAT_FIELD(type, member, in, heading, width, sep) \
	CVM_FIELD(type, struct lat_row, member, in, heading, width, sep)
static const struct cvm_field lat_fields[] = {
	LAT_FIELD(CVM_FIELD_U64, phase_seq, CVM_IN_DATA, NULL, 0, NULL),
	LAT_FIELD(CVM_FIELD_STR, phase, CVM_IN_DATA, NULL, 0, NULL),
	LAT_FIELD(CVM_FIELD_U64, key, CVM_IN_DATA, NULL, 0, NULL),
	LAT_FIELD(CVM_FIELD_STR, reason, CVM_IN_ALL, "REASON", -28, ""),
	LAT_FIELD(CVM_FIELD_STR, where, CVM_IN_ALL, "WHERE", -6, " "),
	LAT_FIELD(CVM_FIELD_U64, count, CVM_IN_ALL, "COUNT", 10, " "),
	LAT_FIELD(CVM_FIELD_F3, mean_us, CVM_IN_ALL, "MEAN_US", 10, " "),
	LAT_FIELD(CVM_FIELD_F3, p50_us, CVM_IN_ALL, "P50_US", 10, " "),
	LAT_FIELD(CVM_FIELD_F3, p95_us, CVM_IN_ALL, "P95_US", 10, " "),
	LAT_FIELD(CVM_FIELD_F3, p99_us, CVM_IN_ALL, "P99_US", 10, " "),
	LAT_FIELD(CVM_FIELD_F3, max_us, CVM_IN_ALL, "MAX_US", 10, " "),
};

void cvm_lat_rows(struct cvm_view *v, const struct cvm_lat_stat *s, int n,
		  bool split, bool header, uint64_t phase_seq,
		  const char *phase)
{
	char name[128];
	int i;

	v->fields = lat_fields;
	v->nr = sizeof(lat_fields) / sizeof(lat_fields[0]);
	if (header)
		cvm_view_header(v);
	for (i = 0; i < n; i++) {
		const struct cvm_lat_stat *t = &s[i];
		struct lat_row row = {
			.phase_seq = phase_seq, .phase = phase,
			.key = (uint32_t)t->key, .reason = name,
			.count = t->count,
		};

		if ((t->dir && !split) || !t->count)
			continue;
		if (t->name[0])
			snprintf(name, sizeof(name), "%s", t->name);
		else
			cvm_lat_key_name(name, sizeof(name), t->key);
		if (t->dir && v->format == CVM_VIEW_TEXT)
			row.reason = "";	/* under its "all" row */
		row.where = t->dir == CVMSTAT_LAT_USER ? "user" :
			    t->dir == CVMSTAT_LAT_KERNEL ? "kernel" : "all";
		row.mean_us = (double)t->sum / (double)t->count / 1000.0;
		row.p50_us = cvm_lat_percentile(t->hist, t->count, t->min,
						t->max, 0.50) / 1000.0;
		row.p95_us = cvm_lat_percentile(t->hist, t->count, t->min,
						t->max, 0.95) / 1000.0;
		row.p99_us = cvm_lat_percentile(t->hist, t->count, t->min,
						t->max, 0.99) / 1000.0;
		row.max_us = (double)t->max / 1000.0;
		cvm_view_row(v, &row);
	}
}

void cvm_lat_print(const struct cvm_lat_stat *s, int n, bool split)
{
	struct cvm_view v = { .f = stdout, .format = CVM_VIEW_TEXT };

	cvm_lat_rows(&v, s, n, split, true, 0, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot: records sorted once per read, then two snapshots are compared
 * in one merge pass; no per-key allocation.
 */
#include <stdlib.h>

#include "snapshot.h"

static int cmp_rec(const struct cvmstat_record *a,
		   const struct cvmstat_record *b)
{
	if (a->vcpu_id != b->vcpu_id)
		return a->vcpu_id < b->vcpu_id ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->dir != b->dir)
		return a->dir < b->dir ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return 0;
}

static int cmp_rec_q(const void *a, const void *b)
{
	return cmp_rec(a, b);
}

void cvm_snap_sort(struct cvmstat_record *recs, uint32_t nr)
{
	if (nr > 1)
		qsort(recs, nr, sizeof(*recs), cmp_rec_q);
}

uint32_t cvm_snap_merge(struct cvmstat_record *recs, uint32_t nr)
{
	uint32_t i, n;

	cvm_snap_sort(recs, nr);
	for (i = 1, n = nr ? 1 : 0; i < nr; i++) {
		if (!cmp_rec(&recs[n - 1], &recs[i]))
			recs[n - 1].count += recs[i].count;
		else
			recs[n++] = recs[i];
	}
	return n;
}

uint32_t cvm_snap_delta(const struct cvmstat_record *old, uint32_t n_old,
			const struct cvmstat_record *new, uint32_t n_new,
			struct cvmstat_record *out)
{
	uint32_t i = 0, j, n = 0;

	for (j = 0; j < n_new; j++) {
		uint64_t before = 0;
		int c = 1;

		/* Keys only in @old were reset away: nothing to report. */
		while (i < n_old && (c = cmp_rec(&old[i], &new[j])) < 0)
			i++;
		if (i < n_old && c == 0)
			before = old[i].count;
		if (new[j].count == before)
			continue;
		out[n] = new[j];
		if (new[j].kind != CVMSTAT_KIND_LAT_MIN &&
		    new[j].kind != CVMSTAT_KIND_LAT_MAX)
			out[n].count = new[j].count > before ?
				       new[j].count - before : new[j].count;
		n++;
	}
	return n;
}

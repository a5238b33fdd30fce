/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapshot: a VM's records in a fixed order, and the differences between
 * two snapshots of the same VM, for the live view and the recorder.
 */
#ifndef CVMSTAT_SNAPSHOT_H
#define CVMSTAT_SNAPSHOT_H

#include <stdint.h>
#include <linux/cvmstat.h>

/* Sorts by (vcpu_id, kind, dir, key), the order of every output. */
void cvm_snap_sort(struct cvmstat_record *recs, uint32_t nr);

/*
 * Sorts and sums records with the same (vcpu_id, kind, dir, key) into one;
 * returns how many remain.  Zeroing vcpu_id first sums over vCPUs.
 */
uint32_t cvm_snap_merge(struct cvmstat_record *recs, uint32_t nr);

/*
 * What happened between @old and @new (both sorted): into @out (room for
 * @n_new) the records of @new whose count changed, with count = the
 * difference; returns how many.  A count that went down was reset in
 * between: its difference is the new count (what happened since the reset).
 * An extreme (LAT_MIN, LAT_MAX) that changed keeps its new value: a new
 * extreme was reached in between (or a reset came).
 */
uint32_t cvm_snap_delta(const struct cvmstat_record *old, uint32_t n_old,
			const struct cvmstat_record *new, uint32_t n_new,
			struct cvmstat_record *out);

#endif /* CVMSTAT_SNAPSHOT_H */

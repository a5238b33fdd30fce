/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hpview: the halt-poll views of `cvmstat show --by haltpoll` and `cvmstat
 * top` (cmd_haltpoll.c), from a VM's CVMSTAT_KIND_HALT* records.
 */
#ifndef CVMSTAT_HPVIEW_H
#define CVMSTAT_HPVIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/cvmstat.h>

#include "fields.h"

#define CVM_HP_SUM_WINDOWS	64

/* Halt-poll counters summed over vCPUs. */
struct cvm_hp_sum {
	uint64_t stat[CVMSTAT_HALT_NR];
	uint32_t nr_win;
	uint64_t win_key[CVM_HP_SUM_WINDOWS];
	uint64_t win_count[CVM_HP_SUM_WINDOWS];
	uint64_t window;	/* CVMSTAT_HALT_STATE_WINDOW, largest */
	bool guest_off;		/* some vCPU has polling switched off */
};

/* Adds the halt records of @recs (of vCPU @vcpu only, if >= 0) into @s. */
void cvm_hp_sum_add(struct cvm_hp_sum *s, const struct cvmstat_record *recs,
		    uint32_t nr, long vcpu);

/* The view of `show --by haltpoll`: its fields, for @format on @f. */
void cvm_hp_view_init(struct cvm_view *v, FILE *f, enum cvm_view_format format);

/*
 * `show --by haltpoll` for @vm on @view (cvm_hp_view_init): in text, its
 * maximum, then one row per vCPU (only @vcpu if >= 0) and a total; in CSV
 * and JSON the vCPUs' rows only (the header is the caller's).  Returns an
 * exit code.
 */
struct cvmstat_vm_info;
int cvm_hp_show(int fd, const struct cvm_view *view,
		const struct cvmstat_vm_info *vm, long vcpu);

/*
 * top's halt-poll table: one row for VM @vm_id, what happened between
 * @old (NULL: nothing before) and @now in @secs.  *@header: printed yet.
 */
void cvm_hp_top_row(uint64_t vm_id, const struct cvm_hp_sum *now,
		    const struct cvm_hp_sum *old, double secs, bool *header);

#endif /* CVMSTAT_HPVIEW_H */

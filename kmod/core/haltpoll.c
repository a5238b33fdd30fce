// SPDX-License-Identifier: GPL-2.0
/*
 * The halt-polling core's slow paths: the window table and the records.
 * See haltpoll.h.
 */
#include "counters.h"

/*
 * A polling halt with window @window (never 0: a halt polls only with a
 * window).  Windows take few values (grow_start times powers of grow, the
 * maxima in force, and what shrinking those gives), so a small table with
 * a full linear probe holds them; the rest is counted as overflow.
 */
void cvm_hp_window_insert(struct cvm_hp_counts *c, u64 window)
{
	u32 i = (u32)((window * 0x9E3779B97F4A7C15ULL) >> (64 - CVM_HP_WIN_SHIFT));
	unsigned int n;

	for (n = 0; n < CVM_HP_WIN_SLOTS; n++, i = (i + 1) % CVM_HP_WIN_SLOTS) {
		if (c->win_count[i] && c->win_key[i] == window) {
			c->win_count[i]++;
			return;
		}
		if (!c->win_count[i]) {
			c->win_key[i] = window;
			cvm_wmb();	/* a reader seeing the count sees the key */
			WRITE_ONCE(c->win_count[i], 1);
			return;
		}
	}
	c->stat[CVMSTAT_HALT_WINDOW_OVERFLOW]++;
}

unsigned int cvm_hp_emit(const struct cvm_hp_counts *c, u32 vcpu_id,
			 bool state, struct cvmstat_record *out)
{
	struct cvmstat_record *r = out;
	unsigned int i;

	for (i = 0; i < CVMSTAT_HALT_NR; i++)
		if (c->stat[i])
			r = cvm_put(r, vcpu_id, CVMSTAT_KIND_HALT,
				    CVMSTAT_DIR_NONE, i, c->stat[i]);
	for (i = 0; i < CVM_HP_HIST; i++)
		if (c->hist[i])
			r = cvm_put(r, vcpu_id, CVMSTAT_KIND_HALT_HIST,
				    CVMSTAT_DIR_NONE, i, c->hist[i]);
	for (i = 0; i < CVM_HP_WIN_SLOTS; i++)
		if (c->win_count[i])
			r = cvm_put(r, vcpu_id, CVMSTAT_KIND_HALT_WINDOW,
				    CVMSTAT_DIR_NONE, c->win_key[i],
				    c->win_count[i]);
	for (i = 0; state && i < CVMSTAT_HALT_STATE_NR; i++)
		if (c->state[i])
			r = cvm_put(r, vcpu_id, CVMSTAT_KIND_HALT_STATE,
				    CVMSTAT_DIR_NONE, i, c->state[i]);
	return (unsigned int)(r - out);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recorder: turns the module's counters and phase marks into rows, each
 * counter delta attributed to the phase it happened in (cvmstat(8), OUTPUT).
 * With exit-handling times (record --latency), their histograms' deltas too,
 * attributed at the recorder's own reads (the mark snapshot has none).
 *
 * It reads through struct cvm_source, the device in cvmstat and a scripted
 * fake in the unit tests, so the attribution rules are tested without a
 * kernel.  It never waits or sleeps: the caller decides when to call it.
 */
#ifndef CVMSTAT_RECORDER_H
#define CVMSTAT_RECORDER_H

#include <stdbool.h>
#include <sys/types.h>

#include "dev.h"
#include "rows.h"

struct cvm_source {
	void *ctx;
	/* as cvm_list_vms(): count or -(exit code), having printed why */
	int (*list_vms)(void *ctx, struct cvmstat_vm_info **vms);
	/* as cvm_read_vm(): 0 or -errno, printing nothing */
	int (*read_vm)(void *ctx, uint64_t vm_id, uint64_t phase,
		       struct cvm_vm_read *out);
	/* as cvm_phase_list(): count or -errno */
	int (*list_marks)(void *ctx, uint64_t after,
			  struct cvmstat_phase *marks, uint64_t *last,
			  uint32_t *lost);
	/*
	 * Optional (NULL: none).  Halt-polling changes the module logged, as
	 * cvm_hp_events(): count or -errno.  KVM's global halt-poll
	 * parameters (enum cvm_hp_param): @have[i] false when absent.
	 */
	int (*list_hp_events)(void *ctx, uint64_t after,
			      struct cvmstat_hp_event *evs, uint64_t *last,
			      uint32_t *lost);
	void (*read_hp_globals)(void *ctx, uint32_t *vals, bool *have);
	/*
	 * Optional (NULL: no exit-handling times, the rows of before).  A
	 * live read like read_vm()'s, with the LAT_* records too.
	 */
	int (*read_lat)(void *ctx, uint64_t vm_id, struct cvm_vm_read *out);
};

/* Halt-polling settings as the recording last wrote them (see "setting"). */
#define CVM_REC_HP_GLOBALS	4
struct cvm_rec_hp {
	uint64_t listed;		/* newest module event handled */
	struct cvmstat_hp_event *pending; /* listed, not yet written */
	uint32_t nr_pending;
	uint32_t lost;			/* events the module no longer held */
	uint32_t globals[CVM_REC_HP_GLOBALS];
	bool have[CVM_REC_HP_GLOBALS];
};

/* "guest phase 255" and a 63-byte host name both fit. */
#define CVM_PHASE_NAME_MAX	(CVMSTAT_PHASE_NAME_LEN + 16)

struct cvm_rec_vm;

struct cvm_recorder {
	struct cvm_source src;
	struct cvm_out *out;
	pid_t pid;			/* only the VMs of this VMM; 0: all */
	uint64_t listed;		/* newest mark handled */
	uint64_t host_seq;		/* the phase host marks set last */
	char host_phase[CVM_PHASE_NAME_MAX];
	struct cvm_rec_vm *vms;
	int nr_vms;
	/* what could not be attributed exactly; see the warnings printed */
	unsigned int inexact;
	unsigned int lost;
	/* kinds (bit per enum cvmstat_kind) with overflow rows written */
	unsigned int not_keyed;
	int err;			/* first output error, -errno */
	struct cvm_rec_hp hp;		/* halt-polling settings and changes */
};

/*
 * Starts recording: lists the marks held (the first list also makes the
 * module keep phase boundaries), takes the current phase from the newest
 * ones, and the VMs' current counters as the baseline (not written: only
 * what happens from now on is).  Returns 0 or -(exit code).
 */
int cvm_rec_start(struct cvm_recorder *r);

/*
 * Handles every mark made since the last call: each affected VM's counters
 * as of the mark close its phase, then a mark row.  0 or -(exit code).
 */
int cvm_rec_marks(struct cvm_recorder *r);

/*
 * Writes what changed since the last rows under the current phases (after
 * handling any marks first) and flushes the output.  0 or -(exit code).
 */
int cvm_rec_interval(struct cvm_recorder *r);

/*
 * The recording's last rows: cvm_rec_interval()'s, and the exit-handling
 * times' since the last mark (times are written per phase only: at marks
 * and here).  0 or -(exit code).
 */
int cvm_rec_finish(struct cvm_recorder *r);

void cvm_rec_free(struct cvm_recorder *r);

/*
 * A global halt-polling parameter (@param: enum cvm_hp_param) this process
 * set to @value (a sweep): a "setting" row now, in the current host phase.
 * (Per-VM values come as the module's own events.)  0 or -(exit code).
 */
int cvm_rec_setting(struct cvm_recorder *r, int param, uint32_t value);

#endif /* CVMSTAT_RECORDER_H */

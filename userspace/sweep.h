/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sweep: `cvmstat record --sweep NAME=V1,V2,...`: one run of the command per
 * value, each its own phase named "NAME=V", and the setting put back as it
 * was at the start, whatever ends the recording.
 */
#ifndef CVMSTAT_SWEEP_H
#define CVMSTAT_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "recorder.h"

struct cvm_sweep_vm;

struct cvm_sweep {
	int param;			/* enum cvm_hp_param */
	uint32_t *values;
	int n;
	pid_t pid;			/* vm_halt_poll_ns: the VMM */
	/* as the setting was at the start, to put back */
	uint32_t start;			/* a global parameter's value */
	bool kept;			/* its original already in the state file */
	struct cvm_sweep_vm *vms;	/* vm_halt_poll_ns: the VMs' state */
	int nr_vms;
	bool changed;			/* a value was set since the start */
};

/* Parses --sweep's argument into @s.  0 or a usage error's exit code. */
int cvm_sweep_parse(const char *arg, struct cvm_sweep *s);

/*
 * Checks that the setting can be changed (the parameter exists; for
 * vm_halt_poll_ns the VMs of @s->pid are alive and the module can set
 * them) and remembers it as it is.  @fd: the device, open for writing.
 * Returns an exit code; prints what went wrong.
 */
int cvm_sweep_begin(struct cvm_sweep *s, int fd);

/* "NAME=V" of value @k, the phase's name. */
void cvm_sweep_phase_name(const struct cvm_sweep *s, int k, char *buf,
			  size_t len);

/* Sets value @k (a "setting" row through @rec).  Returns an exit code. */
int cvm_sweep_set(struct cvm_sweep *s, int fd, int k, struct cvm_recorder *rec);

/*
 * Puts the setting back as it was at the start (a row through @rec unless
 * NULL), if a value was set.  Returns an exit code.
 */
int cvm_sweep_end(struct cvm_sweep *s, int fd, struct cvm_recorder *rec);

void cvm_sweep_free(struct cvm_sweep *s);

#endif /* CVMSTAT_SWEEP_H */

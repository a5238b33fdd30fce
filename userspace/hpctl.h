/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hpctl: halt-polling settings for `cvmstat halt-poll` and `record --sweep`:
 * KVM's global module parameters (sysfs), the originals cvmstat keeps in a
 * state file under /run to put them back, and a VM's own maximum through
 * the module (CVMSTAT_IOC_HP_*).
 *
 * Environment, for tests: CVMSTAT_KVM_PARAMS is the parameter directory
 * (default /sys/module/kvm/parameters), CVMSTAT_RUN_DIR the state
 * directory (default /run/cvmstat).
 */
#ifndef CVMSTAT_HPCTL_H
#define CVMSTAT_HPCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/cvmstat.h>

/* The settings, by name: four global parameters, then the per-VM maximum. */
enum cvm_hp_param {
	CVM_HP_NS,		/* halt_poll_ns */
	CVM_HP_GROW,		/* halt_poll_ns_grow */
	CVM_HP_GROW_START,	/* halt_poll_ns_grow_start */
	CVM_HP_SHRINK,		/* halt_poll_ns_shrink */
	CVM_HP_NR_GLOBAL,
	CVM_HP_VM = CVM_HP_NR_GLOBAL,	/* vm_halt_poll_ns (--vm PID) */
	CVM_HP_NR,
};
_Static_assert(CVM_HP_NR == 5, "cvm_hp_names[] in names.c");

/* cvm_hp_names[] (names.h) names them in this order. */

/* "halt_poll_ns" -> CVM_HP_NS...; -1 when unknown. */
int cvm_hp_param(const char *name);

/*
 * Parses "NAME=VALUE" (a value 0..4294967295, decimal).  0, or a usage
 * error's exit code (printed).
 */
int cvm_hp_parse_setting(const char *arg, int *param, uint32_t *value);

/*
 * Parses "NAME=V1,V2,..." for a sweep into *@values (malloc'ed).  The
 * number of values, or -(a usage error's exit code) (printed).
 */
int cvm_hp_parse_sweep(const char *arg, int *param, uint32_t **values);

/* The parameter's file ("/sys/module/kvm/parameters/halt_poll_ns"). */
const char *cvm_hp_path(int param, char *buf, size_t len);

/*
 * A global parameter's value.  0 or -errno: -ENOENT when kvm is not loaded
 * or this kernel has no such parameter.
 */
int cvm_hp_read(int param, uint32_t *value);

/* The same, printing why it failed; returns an exit code. */
int cvm_hp_read_checked(int param, uint32_t *value);

/*
 * Sets global parameters (@n of them; all names checked to exist first,
 * each original saved in the state file the first time cvmstat changes
 * it), in order; if one write fails, those before it are put back.
 * Returns an exit code; prints what went wrong.
 */
int cvm_hp_set_globals(const int *params, const uint32_t *values, int n);

/*
 * Puts back every global parameter the state file holds and removes it.
 * *@restored (may be NULL) gets how many.  Returns an exit code.
 */
int cvm_hp_restore_globals(int *restored);

/*
 * The originals the state file holds: @have[i] and @orig[i] per global
 * parameter.  0 (also when there is no state file) or -errno.
 */
int cvm_hp_originals(bool *have, uint32_t *orig);

/*
 * Drops @param's entry from the state file (the value it holds was put
 * back by the caller).  Returns an exit code.
 */
int cvm_hp_forget(int param);

/* The module side: 0 or -errno, printing nothing. */
int cvm_hp_vm_get(int fd, uint64_t vm_id, struct cvmstat_hp_vm *out);
int cvm_hp_vm_set(int fd, uint64_t vm_id, uint32_t op, uint32_t max_ns);
/* Changes after @after (at most CVMSTAT_HP_EVENT_RING): count or -errno. */
int cvm_hp_events(int fd, uint64_t after, struct cvmstat_hp_event *evs,
		  uint64_t *last, uint32_t *lost);

/* "global", "vmm", "cvmstat" for a CVMSTAT_HP_SRC_*. */
const char *cvm_hp_source_name(uint32_t source);

#endif /* CVMSTAT_HPCTL_H */

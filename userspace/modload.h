/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modload: cvmstat.ko through libkmod: is it installed, is it loaded, load
 * it (by name as DKMS installs it, or from a path), unload it.
 */
#ifndef CVMSTAT_MODLOAD_H
#define CVMSTAT_MODLOAD_H

enum cvm_mod_state {
	CVM_MOD_NOT_INSTALLED,	/* not loaded, not found for this kernel */
	CVM_MOD_NOT_LOADED,	/* installed, not loaded */
	CVM_MOD_LIVE,
	CVM_MOD_COMING,
	CVM_MOD_GOING,
	CVM_MOD_UNKNOWN,	/* libkmod could not tell */
};

enum cvm_mod_state cvm_module_state(void);
const char *cvm_module_state_name(enum cvm_mod_state s);

/*
 * What to do about a missing /dev/cvmstat, one clause: "cvmstat.ko is not
 * loaded: run `cvmstat load`", or how to install it.
 */
const char *cvm_module_hint(void);

/*
 * Loads cvmstat.ko (from @path when not NULL) with @options ("a=1 b=2", may
 * be NULL).  Returns an exit code; prints what went wrong.
 */
int cvm_module_load(const char *path, const char *options);

/* Unloads cvmstat.ko.  Returns an exit code; prints what went wrong. */
int cvm_module_unload(void);

#endif /* CVMSTAT_MODLOAD_H */

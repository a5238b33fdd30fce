// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol lookup.  kallsyms_lookup_name() is not exported (since 5.7); its
 * address is learnt from a kprobe on it, once, at load.
 */
#include <linux/kprobes.h>
#include "cvmstat.h"

typedef unsigned long (*cvm_lookup_fn)(const char *name);
static cvm_lookup_fn cvm_lookup;

int cvm_kallsyms_init(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot find kallsyms_lookup_name (%d)\n", ret);
		return ret;
	}
	cvm_lookup = (cvm_lookup_fn)kp.addr;
	unregister_kprobe(&kp);
	return 0;
}

/* Callable in atomic context: the lookup takes no sleeping lock. */
unsigned long cvm_kallsyms_lookup(const char *name)
{
	return cvm_lookup ? cvm_lookup(name) : 0;
}

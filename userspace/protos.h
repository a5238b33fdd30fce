/* SPDX-License-Identifier: GPL-2.0 */
/*
 * protos: the prototypes cvmstat.ko's probes are written for, checked
 * against the running kernel's BTF (btf.h says why).
 */
#ifndef _CVMSTAT_PROTOS_H
#define _CVMSTAT_PROTOS_H

#include <stddef.h>
#include <stdint.h>

struct cvm_proof {
	uint32_t proven;	/* bit per enum cvmstat_probe */
	uint32_t differ;	/* bit per enum cvmstat_probe */
	char why[256];		/* the first difference */
};

/*
 * Checks every probe's prototype in kvm.ko's BTF (/sys/kernel/btf/kvm on
 * /sys/kernel/btf/vmlinux, or the files in the environment's
 * CVMSTAT_BTF_DIR).  0 with @p filled, or -errno when there is no BTF to
 * read (kvm.ko not loaded, or a kernel without CONFIG_DEBUG_INFO_BTF_MODULES).
 */
int cvm_prove_probes(struct cvm_proof *p);

#endif /* _CVMSTAT_PROTOS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * btf: proving the prototypes of the tracepoints cvmstat.ko attaches to from
 * the running kernel's BTF.  Most of them (kvm_exit, kvm_msr, kvm_pio, ...)
 * are declared in arch/x86/kvm/trace.h, which no headers package ships, so
 * the module can only assume them; kvm.ko's BTF (/sys/kernel/btf/kvm, split
 * on /sys/kernel/btf/vmlinux) carries a typedef btf_trace_<event> for each,
 * the type of its probes, which `cvmstat load` and `status` check.
 */
#ifndef _CVMSTAT_BTF_H
#define _CVMSTAT_BTF_H

#include <stddef.h>

/* One probe parameter as cvmstat.ko declares it, as a shape. */
enum cvm_btf_shape {
	CVM_BTF_PTR_VOID,	/* void *, const void * */
	CVM_BTF_PTR_STRUCT,	/* struct NAME * */
	CVM_BTF_U32,		/* 4-byte unsigned integer */
	CVM_BTF_S32,		/* 4-byte signed integer */
	CVM_BTF_U64,		/* 8-byte unsigned integer */
	CVM_BTF_BOOL,
};

struct cvm_btf_param {
	enum cvm_btf_shape shape;
	const char *name;	/* CVM_BTF_PTR_STRUCT: the struct */
};

struct cvm_btf;

/*
 * Loads split BTF @path on base BTF @base.  NULL with errno set if either
 * is unreadable or not BTF.
 */
struct cvm_btf *cvm_btf_load(const char *base, const char *path);
void cvm_btf_free(struct cvm_btf *b);

/*
 * Does typedef btf_trace_@event exist and have the probe prototype
 * (void *, @want...)?  Returns 1 if proven, 0 if it differs (@why says how,
 * in @len bytes), -1 if there is no such typedef.
 */
int cvm_btf_check_probe(const struct cvm_btf *b, const char *event,
			const struct cvm_btf_param *want, unsigned int n,
			char *why, size_t len);

#endif /* _CVMSTAT_BTF_H */

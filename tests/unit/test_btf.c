// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of userspace/btf.c and protos.c: the check that
 * cvmstat.ko's probes have the prototypes of the running kernel's
 * tracepoints, against BTF written here the way the kernel lays it out (a
 * base like /sys/kernel/btf/vmlinux, a split like /sys/kernel/btf/kvm that
 * numbers its types and strings after the base's).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/cvmstat.h>
#include "btf.h"
#include "protos.h"
#include "check.h"

enum { K_INT = 1, K_PTR = 2, K_STRUCT = 4, K_TYPEDEF = 8, K_CONST = 10,
       K_FUNC_PROTO = 13 };

struct blob {
	uint32_t types[4096];
	unsigned int nt;	/* words */
	unsigned int ids;	/* types so far */
	char strs[4096];
	unsigned int ns;
	unsigned int first_id, str_base;
};

static uint32_t str(struct blob *b, const char *s)
{
	uint32_t off = b->ns;

	if (!*s)
		return 0;
	strcpy(b->strs + b->ns, s);
	b->ns += strlen(s) + 1;
	return b->str_base + off;
}

static uint32_t type(struct blob *b, const char *name, unsigned int kind,
		     unsigned int vlen, uint32_t size_type)
{
	b->types[b->nt++] = str(b, name);
	b->types[b->nt++] = kind << 24 | vlen;
	b->types[b->nt++] = size_type;
	return b->first_id + b->ids++;
}

static uint32_t integer(struct blob *b, const char *name, unsigned int size,
			unsigned int enc)
{
	uint32_t id = type(b, name, K_INT, 0, size);

	b->types[b->nt++] = enc << 24 | size * 8;
	return id;
}

static void init(struct blob *b, unsigned int first_id, unsigned int str_base)
{
	memset(b, 0, sizeof(*b));
	b->ns = 1;		/* "" at 0 (in the base) */
	b->first_id = first_id;
	b->str_base = str_base;
	if (str_base)
		b->ns = 0;
}

static void write_blob(const struct blob *b, const char *path)
{
	uint16_t magic = 0xeB9F;
	uint8_t ver = 1, flags = 0;
	uint32_t hdr[6] = { 24, 0, b->nt * 4, b->nt * 4, b->ns, 0 };
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	fwrite(&magic, 2, 1, f);
	fwrite(&ver, 1, 1, f);
	fwrite(&flags, 1, 1, f);
	fwrite(hdr, 4, 5, f);
	fwrite(b->types, 4, b->nt, f);
	fwrite(b->strs, 1, b->ns, f);
	fclose(f);
}

static struct blob base, split;
static uint32_t t_void_p, t_u32, t_int, t_u64, t_bool, t_vcpu_p, t_ghcb_p,
	t_cvoid_p;
static char dir[] = "/tmp/test_btf.XXXXXX";

/* The base: what vmlinux's BTF holds that the prototypes use. */
static void make_base(void)
{
	uint32_t uint, ull, vcpu, ghcb, cvoid;

	init(&base, 1, 0);
	uint = integer(&base, "unsigned int", 4, 0);
	t_int = integer(&base, "int", 4, 1);
	ull = integer(&base, "long long unsigned int", 8, 0);
	t_bool = integer(&base, "_Bool", 1, 4);
	t_u32 = type(&base, "u32", K_TYPEDEF, 0, uint);
	t_u64 = type(&base, "u64", K_TYPEDEF, 0, ull);
	t_void_p = type(&base, "", K_PTR, 0, 0);
	cvoid = type(&base, "", K_CONST, 0, 0);
	t_cvoid_p = type(&base, "", K_PTR, 0, cvoid);
	vcpu = type(&base, "kvm_vcpu", K_STRUCT, 0, 1024);
	t_vcpu_p = type(&base, "", K_PTR, 0, vcpu);
	ghcb = type(&base, "ghcb", K_STRUCT, 0, 4096);
	t_ghcb_p = type(&base, "", K_PTR, 0, ghcb);
	(void)uint;
}

/* typedef void (*btf_trace_EVENT)(void *, params...) in the split */
static void trace_typedef(const char *event, const uint32_t *params,
			  unsigned int n)
{
	char name[64];
	uint32_t fp, ptr;
	unsigned int i;

	fp = type(&split, "", K_FUNC_PROTO, n + 1, 0);
	split.types[split.nt++] = 0;
	split.types[split.nt++] = t_void_p;
	for (i = 0; i < n; i++) {
		split.types[split.nt++] = 0;
		split.types[split.nt++] = params[i];
	}
	ptr = type(&split, "", K_PTR, 0, fp);
	snprintf(name, sizeof(name), "btf_trace_%s", event);
	type(&split, name, K_TYPEDEF, 0, ptr);
}

/* kvm.ko's events as the kernel declares them; @bad changes one of them */
static void make_split(const char *bad)
{
	uint32_t u32 = t_u32, uint = t_u32;

	init(&split, base.first_id + base.ids, base.ns);
	{
		uint32_t p[] = { t_vcpu_p, u32 };
		uint32_t q[] = { t_vcpu_p, u32, u32 };
		uint32_t r[] = { t_vcpu_p, t_int };

		if (bad && !strcmp(bad, "arity"))
			trace_typedef("kvm_exit", q, 3);
		else if (bad && !strcmp(bad, "signed"))
			trace_typedef("kvm_exit", r, 2);
		else if (!bad || strcmp(bad, "missing"))
			trace_typedef("kvm_exit", p, 2);
	}
	{
		uint32_t p[] = { t_int, t_int, t_u64, t_void_p };
		trace_typedef("kvm_mmio", p, 4);
	}
	{
		uint32_t p[] = { t_u64 };
		trace_typedef("kvm_fast_mmio", p, 1);
	}
	{
		uint32_t p[] = { uint, u32, t_u64, t_bool };
		uint32_t q[] = { uint, u32, t_u64, t_u32 };
		trace_typedef("kvm_msr", bad && !strcmp(bad, "bool") ? q : p, 4);
	}
	{
		uint32_t p[] = { uint, uint, uint, uint, t_cvoid_p };
		trace_typedef("kvm_pio", p, 5);
	}
	{
		uint32_t p[] = { uint, t_ghcb_p };
		uint32_t q[] = { uint, t_vcpu_p };
		trace_typedef("kvm_vmgexit_enter",
			      bad && !strcmp(bad, "struct") ? q : p, 2);
	}
	{
		uint32_t p[] = { uint, t_u64 };
		trace_typedef("kvm_vmgexit_msr_protocol_enter", p, 2);
	}
	{
		uint32_t p[] = { u32, t_int };
		trace_typedef("kvm_userspace_exit", p, 2);
	}
	{
		uint32_t p[] = { t_u64, t_bool, t_bool };
		trace_typedef("kvm_vcpu_wakeup", p, 3);
	}
	{
		uint32_t p[] = { t_bool, uint, uint, uint };
		trace_typedef("kvm_halt_poll_ns", p, 4);
	}
}

static int prove(const char *bad, struct cvm_proof *p)
{
	char path[64];

	make_split(bad);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	write_blob(&base, path);
	snprintf(path, sizeof(path), "%s/kvm", dir);
	write_blob(&split, path);
	return cvm_prove_probes(p);
}

int main(void)
{
	const uint32_t all = (1U << CVMSTAT_PROBE_NR) - 1;
	struct cvm_proof p;
	char path[64];

	if (!mkdtemp(dir))
		abort();
	setenv("CVMSTAT_BTF_DIR", dir, 1);
	make_base();

	CHECK(prove(NULL, &p) == 0 && p.proven == all && !p.differ,
	      "every probe proven: 0x%x, differ 0x%x (%s)", p.proven, p.differ,
	      p.why);
	CHECK(prove("arity", &p) == 0 &&
	      p.differ == 1U << CVMSTAT_PROBE_KVM_EXIT &&
	      p.proven == (all & ~p.differ) &&
	      !strcmp(p.why, "kvm_exit takes 3 arguments, cvmstat's probe 2"),
	      "an argument more: %s", p.why);
	CHECK(prove("signed", &p) == 0 &&
	      p.differ == 1U << CVMSTAT_PROBE_KVM_EXIT &&
	      !strcmp(p.why, "kvm_exit argument 2 is int (4 bytes, signed)"),
	      "a signed argument: %s", p.why);
	CHECK(prove("bool", &p) == 0 &&
	      p.differ == 1U << CVMSTAT_PROBE_KVM_MSR &&
	      !strcmp(p.why, "kvm_msr argument 4 is unsigned int (4 bytes)"),
	      "u32 for bool: %s", p.why);
	CHECK(prove("struct", &p) == 0 &&
	      p.differ == 1U << CVMSTAT_PROBE_KVM_VMGEXIT_ENTER &&
	      !strcmp(p.why, "kvm_vmgexit_enter argument 2 is struct kvm_vcpu *"),
	      "another struct: %s", p.why);
	CHECK(prove("missing", &p) == 0 && !p.differ &&
	      p.proven == (all & ~(1U << CVMSTAT_PROBE_KVM_EXIT)),
	      "no typedef: neither proven nor different (0x%x)", p.proven);

	snprintf(path, sizeof(path), "%s/kvm", dir);
	unlink(path);
	CHECK(cvm_prove_probes(&p) == -ENOENT, "no split (kvm.ko not loaded)");
	snprintf(path, sizeof(path), "%s/kvm", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("not BTF at all", f);
		fclose(f);
	}
	CHECK(cvm_prove_probes(&p) < 0, "not BTF: refused");
	unlink(path);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	unlink(path);
	rmdir(dir);
	printf("btf: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

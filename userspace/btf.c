// SPDX-License-Identifier: GPL-2.0
/*
 * btf: a minimal reader of the kernel's BTF (the format of
 * Documentation/bpf/btf.rst), enough to walk from a typedef to a function
 * prototype and describe its parameters.  A split BTF (a module's) numbers
 * its types after its base's (vmlinux's) and offsets its strings after the
 * base's string section.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"

#define BTF_MAGIC	0xeB9F
enum {
	K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF,
	K_VOLATILE, K_CONST, K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC,
	K_FLOAT, K_DECL_TAG, K_TYPE_TAG, K_ENUM64,
};
#define INT_SIGNED	1
#define INT_BOOL	4

struct hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off;
	uint32_t type_len;
	uint32_t str_off;
	uint32_t str_len;
};

struct type {
	uint32_t name_off;
	uint32_t info;
	uint32_t size_type;	/* size, or the type referred to */
};

struct part {
	char *data;
	const char *strs;
	uint32_t str_len;
	const struct type **types;	/* by id - first */
	uint32_t first, n;
};

struct cvm_btf {
	struct part base, split;
};

static unsigned int kind(const struct type *t)
{
	return (t->info >> 24) & 0x1f;
}

static unsigned int vlen(const struct type *t)
{
	return t->info & 0xffff;
}

/* Bytes of kind-specific data after struct type, or -1 if unknown. */
static long extra(const struct type *t)
{
	switch (kind(t)) {
	case K_INT: case K_VAR: case K_DECL_TAG:
		return 4;
	case K_ARRAY:
		return 12;
	case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64:
		return 12L * vlen(t);
	case K_ENUM: case K_FUNC_PROTO:
		return 8L * vlen(t);
	case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST:
	case K_RESTRICT: case K_FUNC: case K_FLOAT: case K_TYPE_TAG:
		return 0;
	}
	return -1;
}

static char *slurp(const char *path, size_t *size)
{
	size_t cap = 1 << 20, n = 0, r;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "rb");

	if (!f || !buf) {
		free(buf);
		if (f)
			fclose(f);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	*size = n;
	return buf;
}

static int load_part(struct part *p, const char *path, uint32_t first)
{
	const struct hdr *h;
	size_t size, off;
	uint32_t cap = 1024;

	p->data = slurp(path, &size);
	if (!p->data)
		return -1;
	h = (const struct hdr *)p->data;
	if (size < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > size ||
	    (size_t)h->hdr_len + h->type_off + h->type_len > size ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > size) {
		errno = EINVAL;
		return -1;
	}
	p->strs = p->data + h->hdr_len + h->str_off;
	p->str_len = h->str_len;
	p->first = first;
	p->n = 0;
	p->types = malloc(cap * sizeof(*p->types));
	off = h->hdr_len + h->type_off;
	while (p->types && off + sizeof(struct type) <= (size_t)h->hdr_len +
	       h->type_off + h->type_len) {
		const struct type *t = (const struct type *)(p->data + off);
		long x = extra(t);

		if (x < 0) {
			errno = EINVAL;
			return -1;
		}
		if (p->n == cap) {
			const struct type **nt = realloc(p->types,
							 (cap *= 2) * sizeof(*nt));

			if (!nt)
				return -1;
			p->types = nt;
		}
		p->types[p->n++] = t;
		off += sizeof(*t) + x;
	}
	return p->types ? 0 : -1;
}

struct cvm_btf *cvm_btf_load(const char *base, const char *path)
{
	struct cvm_btf *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	/* type 0 is void: the base's first type is 1 */
	if (load_part(&b->base, base, 1) ||
	    load_part(&b->split, path, 1 + b->base.n)) {
		int err = errno;

		cvm_btf_free(b);
		errno = err;
		return NULL;
	}
	return b;
}

void cvm_btf_free(struct cvm_btf *b)
{
	if (!b)
		return;
	free(b->base.types);
	free(b->base.data);
	free(b->split.types);
	free(b->split.data);
	free(b);
}

static const struct type *type_of(const struct cvm_btf *b, uint32_t id)
{
	if (id >= b->base.first && id < b->base.first + b->base.n)
		return b->base.types[id - b->base.first];
	if (id >= b->split.first && id < b->split.first + b->split.n)
		return b->split.types[id - b->split.first];
	return NULL;
}

static const char *name_of(const struct cvm_btf *b, const struct type *t)
{
	uint32_t off = t->name_off;

	if (off < b->base.str_len)
		return b->base.strs + off;
	off -= b->base.str_len;
	return off < b->split.str_len ? b->split.strs + off : "";
}

/* Through typedefs and qualifiers; NULL for void or an unknown id. */
static const struct type *strip(const struct cvm_btf *b, uint32_t id)
{
	const struct type *t;
	int depth;

	for (depth = 0; depth < 32; depth++) {
		if (!id)
			return NULL;
		t = type_of(b, id);
		if (!t)
			return NULL;
		switch (kind(t)) {
		case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT:
		case K_TYPE_TAG:
			id = t->size_type;
			continue;
		}
		return t;
	}
	return NULL;
}

/* Does parameter type @id have shape @w?  If not, say what it is. */
static int matches(const struct cvm_btf *b, uint32_t id,
		   const struct cvm_btf_param *w, char *got, size_t len)
{
	const struct type *t = strip(b, id), *to;
	uint32_t enc;

	if (!t) {
		snprintf(got, len, "void");
		return 0;
	}
	switch (kind(t)) {
	case K_PTR:
		to = strip(b, t->size_type);
		if (!to) {
			snprintf(got, len, "void *");
			return w->shape == CVM_BTF_PTR_VOID;
		}
		snprintf(got, len, "%s %s *", kind(to) == K_STRUCT ? "struct" :
			 "pointer to", name_of(b, to));
		return w->shape == CVM_BTF_PTR_STRUCT && kind(to) == K_STRUCT &&
		       !strcmp(name_of(b, to), w->name);
	case K_INT:
		enc = *(const uint32_t *)(t + 1) >> 24;
		snprintf(got, len, "%s (%u bytes%s)", name_of(b, t),
			 t->size_type, enc & INT_SIGNED ? ", signed" : "");
		switch (w->shape) {
		case CVM_BTF_U32:
			return t->size_type == 4 && !(enc & INT_SIGNED);
		case CVM_BTF_S32:
			return t->size_type == 4 && (enc & INT_SIGNED);
		case CVM_BTF_U64:
			return t->size_type == 8 && !(enc & INT_SIGNED);
		case CVM_BTF_BOOL:
			return t->size_type == 1 && (enc & INT_BOOL);
		default:
			return 0;
		}
	}
	snprintf(got, len, "BTF kind %u", kind(t));
	return 0;
}

int cvm_btf_check_probe(const struct cvm_btf *b, const char *event,
			const struct cvm_btf_param *want, unsigned int n,
			char *why, size_t len)
{
	static const struct cvm_btf_param data = { CVM_BTF_PTR_VOID, NULL };
	const struct type *td = NULL, *fp;
	const uint32_t *param;
	char name[128], got[160];
	unsigned int i;

	snprintf(name, sizeof(name), "btf_trace_%s", event);
	for (i = 0; i < b->split.n && !td; i++)
		if (kind(b->split.types[i]) == K_TYPEDEF &&
		    !strcmp(name_of(b, b->split.types[i]), name))
			td = b->split.types[i];
	if (!td)
		return -1;
	fp = strip(b, td->size_type);
	if (fp && kind(fp) == K_PTR)
		fp = strip(b, fp->size_type);
	if (!fp || kind(fp) != K_FUNC_PROTO) {
		snprintf(why, len, "%s is not a pointer to a function", name);
		return 0;
	}
	if (vlen(fp) != n + 1) {
		snprintf(why, len, "%s takes %u arguments, cvmstat's probe %u",
			 event, vlen(fp) ? vlen(fp) - 1 : 0, n);
		return 0;
	}
	/* each parameter: u32 name_off, u32 type */
	param = (const uint32_t *)(fp + 1);
	for (i = 0; i <= n; i++) {
		const struct cvm_btf_param *w = i ? &want[i - 1] : &data;

		if (!matches(b, param[2 * i + 1], w, got, sizeof(got))) {
			snprintf(why, len, "%s argument %u is %s", event, i, got);
			return 0;
		}
	}
	return 1;
}

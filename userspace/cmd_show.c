// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat show: one VM's counters (or every VM's) as a sorted table with
 * shares and names.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"
#include "fields.h"
#include "hpview.h"
#include "latency.h"
#include "names.h"
#include "rows.h"
#include "snapshot.h"

/* --by: which record kinds make the table. */
static const struct {
	const char *name;
	unsigned int kinds;	/* bit per enum cvmstat_kind */
} views[] = {
	{ "reason", 1U << CVMSTAT_KIND_REASON },
	{ "mmio", 1U << CVMSTAT_KIND_MMIO },
	{ "msr", 1U << CVMSTAT_KIND_MSR },
	{ "pio", 1U << CVMSTAT_KIND_PIO },
	{ "vmgexit", 1U << CVMSTAT_KIND_VMGEXIT | 1U << CVMSTAT_KIND_GHCB_MSR },
	{ "tdx", 1U << CVMSTAT_KIND_TDX_LEAF },
	{ "vcpu", 1U << CVMSTAT_KIND_VCPU },
	{ "haltpoll", 1U << CVMSTAT_KIND_HALT },	/* cvm_hp_show() */
};

struct show_opts {
	pid_t pid;
	long vcpu;		/* -1: all */
	const char *view;	/* --by */
	unsigned int kinds;
	unsigned long top;	/* 0: all rows */
	bool latency;		/* --latency: exit-handling times instead */
	enum cvm_view_format format;
};

/* One row of the table; cvmstat(8), OUTPUT, names the fields. */
struct show_row {
	uint64_t vm_id;
	int64_t pid;
	const char *comm;
	int64_t vcpu;		/* --vcpu N, or -1: summed over all */
	const char *kind;
	uint64_t count;
	double share;
	uint64_t key;
	const char *key_text;	/* the text table's KEY: hex, names */
	const char *dir;
	const char *name;
};

#define SHOW_FIELD(type, member, in, heading, width, sep) \
	CVM_FIELD(type, struct show_row, member, in, heading, width, sep)
static const struct cvm_field show_fields[] = {
	SHOW_FIELD(CVM_FIELD_U64, vm_id, CVM_IN_DATA, NULL, 0, NULL),
	SHOW_FIELD(CVM_FIELD_I64, pid, CVM_IN_DATA, NULL, 0, NULL),
	SHOW_FIELD(CVM_FIELD_STR, comm, CVM_IN_DATA, NULL, 0, NULL),
	SHOW_FIELD(CVM_FIELD_I64, vcpu, CVM_IN_DATA, NULL, 0, NULL),
	SHOW_FIELD(CVM_FIELD_STR, kind, CVM_IN_DATA, NULL, 0, NULL),
	SHOW_FIELD(CVM_FIELD_U64, count, CVM_IN_ALL, "COUNT", 14, ""),
	SHOW_FIELD(CVM_FIELD_PCT, share, CVM_IN_ALL, "SHARE", 7, " "),
	SHOW_FIELD(CVM_FIELD_U64, key, CVM_IN_DATA, NULL, 0, NULL),
	SHOW_FIELD(CVM_FIELD_STR, key_text, CVM_IN_TEXT, "KEY", -12, "  "),
	SHOW_FIELD(CVM_FIELD_STR, dir, CVM_IN_ALL, "DIR", -5, " "),
	SHOW_FIELD(CVM_FIELD_STR, name, CVM_IN_ALL, "NAME", 0, "  "),
};
#define NR_SHOW_FIELDS (sizeof(show_fields) / sizeof(show_fields[0]))

/* The row of events a full key table counted without their key. */
#define NOT_KEYED	"(not keyed: table full)"

/* By count, largest first; overflow records after all others. */
static int cmp_rows(const void *a, const void *b)
{
	const struct cvmstat_record *x = a, *y = b;
	bool ox = x->kind == CVMSTAT_KIND_OVERFLOW;
	bool oy = y->kind == CVMSTAT_KIND_OVERFLOW;

	if (ox != oy)
		return ox ? 1 : -1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static bool by_vcpu(const struct show_opts *o)
{
	return o->kinds == 1U << CVMSTAT_KIND_VCPU;
}

/* An overflow record of a kind the view shows: events without a key. */
static bool not_keyed(const struct show_opts *o,
		      const struct cvmstat_record *r)
{
	return r->kind == CVMSTAT_KIND_OVERFLOW && r->key < 32 &&
	       !by_vcpu(o) && (o->kinds & 1U << r->key);
}

/*
 * The records of the view, summed over the vCPUs shown (--by vcpu keeps
 * one row per vCPU, keyed by its id), and the view's overflow records.
 */
static void select_rows(const struct show_opts *o, struct cvm_vm_read *rd,
			    bool *vcpu_seen)
{
	uint32_t i, n = 0;

	for (i = 0; i < rd->nr; i++) {
		struct cvmstat_record r = rd->recs[i];

		if (o->vcpu >= 0 && r.vcpu_id != (uint32_t)o->vcpu)
			continue;
		*vcpu_seen = true;
		if (!(o->kinds & 1U << r.kind) && !not_keyed(o, &r))
			continue;
		if (by_vcpu(o))
			r.key = r.vcpu_id;
		r.vcpu_id = 0;
		rd->recs[n++] = r;
	}
	rd->nr = cvm_snap_merge(rd->recs, n);
}

static void print_row(const struct show_opts *o, const struct cvm_view *v,
		      const struct cvmstat_vm_info *vm,
		      const struct cvmstat_record *r, uint64_t total)
{
	char key[24], name[128];
	struct show_row row = {
		.vm_id = vm->vm_id, .pid = vm->pid, .comm = vm->comm,
		.vcpu = o->vcpu, .count = r->count, .key = r->key,
		.share = total ? 100.0 * r->count / total : 0.0,
		.kind = cvm_name_kind(r->kind), .key_text = key,
		.dir = cvm_dir_name(r->dir), .name = name,
	};

	if (by_vcpu(o)) {
		snprintf(key, sizeof(key), "%llu", (unsigned long long)r->key);
		snprintf(name, sizeof(name), "exits");
	} else if (r->kind == CVMSTAT_KIND_OVERFLOW) {
		snprintf(key, sizeof(key), "-");
		snprintf(name, sizeof(name), "%s%s", NOT_KEYED,
			 r->key == CVMSTAT_KIND_GHCB_MSR ? " (MSR protocol)" : "");
	} else {
		cvm_format_key(key, sizeof(key), r->kind, r->key);
		cvm_format_record_name(name, sizeof(name), r->kind, r->key);
		if (r->kind == CVMSTAT_KIND_GHCB_MSR)
			strncat(name, " (MSR protocol)",
				sizeof(name) - strlen(name) - 1);
	}
	cvm_view_row(v, &row);
}

/*
 * The rows by count, then those counted without a key, always shown (not
 * cut by --top): the shares are of everything, keyed or not.
 */
static void print_table(const struct show_opts *o, const struct cvm_view *v,
			const struct cvmstat_vm_info *vm, struct cvm_vm_read *rd)
{
	uint64_t total = 0, lost = 0;
	uint32_t i, n, keyed;

	for (i = 0; i < rd->nr; i++) {
		total += rd->recs[i].count;
		if (rd->recs[i].kind == CVMSTAT_KIND_OVERFLOW)
			lost += rd->recs[i].count;
	}
	qsort(rd->recs, rd->nr, sizeof(*rd->recs), cmp_rows);
	for (keyed = 0; keyed < rd->nr &&
	     rd->recs[keyed].kind != CVMSTAT_KIND_OVERFLOW; keyed++)
		;
	n = o->top && keyed > o->top ? o->top : keyed;
	if (lost)
		cvm_err("warning: VM %llu: %llu of %llu %s events (%.1f%%) found the module's key table full and have no key: see the row %s",
			(unsigned long long)vm->vm_id,
			(unsigned long long)lost, (unsigned long long)total,
			o->view, 100.0 * lost / total, NOT_KEYED);
	if (o->format == CVM_VIEW_TEXT)
		cvm_view_header(v);
	for (i = 0; i < n; i++)
		print_row(o, v, vm, &rd->recs[i], total);
	if (keyed > n && o->format == CVM_VIEW_TEXT)
		printf("%14s  (%u more rows: --top)\n", "...", keyed - n);
	for (i = keyed; i < rd->nr; i++)
		print_row(o, v, vm, &rd->recs[i], total);
	if (o->format == CVM_VIEW_TEXT)
		printf("%14llu %6.1f%%  total\n", (unsigned long long)total,
		       total ? 100.0 : 0.0);
}

/* --latency: per reason, all / in the kernel / via userspace. */
static int print_latency(const struct show_opts *o, struct cvm_vm_read *rd)
{
	struct cvm_lat_stat *s;
	uint64_t open, lost;
	int n = cvm_lat_collect(rd->recs, rd->nr, o->vcpu, &s, &open, &lost);

	if (n < 0) {
		cvm_err("out of memory");
		return EXIT_SYSTEM;
	}
	if (!n)
		printf("(no exit-handling times: `cvmstat latency on` times exits from then on)\n");
	else
		cvm_lat_print(s, o->top && (unsigned long)n > o->top * 3 ?
			      (int)o->top * 3 : n, true);
	if (open || lost)
		printf("%llu exits still open (vCPU in userspace, or VM destroyed at it), %llu pairs not timed (see cvmstat(8))\n",
		       (unsigned long long)open, (unsigned long long)lost);
	free(s);
	return EXIT_OK;
}

static int show_vm(int fd, const struct show_opts *o, const struct cvm_view *v,
		   const struct cvmstat_vm_info *vm)
{
	const char *type = cvm_name_vm_type(vm->type);
	struct cvm_vm_read rd;
	bool vcpu_seen = false;
	int ret;

	if (o->kinds == 1U << CVMSTAT_KIND_HALT)
		return cvm_hp_show(fd, v, vm, o->vcpu);
	ret = cvm_read_vm_flags(fd, vm->vm_id, 0,
				cvm_read_flags |
				(o->latency ? CVMSTAT_READ_LATENCY : 0), &rd);
	if (ret == -ENOENT)
		return 0;	/* forgotten since the list: nothing to show */
	if (ret) {
		cvm_err("reading VM %llu: %s", (unsigned long long)vm->vm_id,
			strerror(-ret));
		return cvm_errno_exit(-ret);
	}
	if (o->format == CVM_VIEW_TEXT) {
		printf("VM %llu: pid %d (%.16s), %s, %u vCPUs, %s\n",
		       (unsigned long long)vm->vm_id, vm->pid, vm->comm,
		       type ? type : "?", vm->nr_vcpus,
		       vm->flags & CVMSTAT_VM_ALIVE ? "alive" : "exited");
		if (o->vcpu >= 0)
			printf("vCPU %ld only\n", o->vcpu);
	}
	if (o->latency) {
		ret = print_latency(o, &rd);
		cvm_vm_read_free(&rd);
		return ret;
	}
	select_rows(o, &rd, &vcpu_seen);
	if (o->vcpu >= 0 && !vcpu_seen) {
		if (o->format == CVM_VIEW_TEXT)
			printf("(no exits of vCPU %ld)\n", o->vcpu);
	} else {
		print_table(o, v, vm, &rd);
	}
	cvm_vm_read_free(&rd);
	return 0;
}

static int show_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'p' },
		{ "vcpu", required_argument, NULL, 'c' },
		{ "by", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 't' },
		{ "latency", no_argument, NULL, 'L' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct show_opts o = {
		.vcpu = -1, .view = views[0].name, .kinds = views[0].kinds,
	};
	struct cvm_field fields[NR_SHOW_FIELDS];
	struct cvm_view view = {
		.f = stdout, .fields = fields, .nr = NR_SHOW_FIELDS,
	};
	struct cvmstat_vm_info *vms;
	struct cvmstat_version ver;
	unsigned long v;
	int opt, fd, n, i, ret = EXIT_OK;
	size_t k;

	while ((opt = getopt_long(argc, argv, "+:p:c:b:t:Lh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			ret = cvm_opt_pid(optarg, &o.pid);
			if (ret)
				return ret;
			break;
		case 'c':
			if (!cvm_parse_uint(optarg, 0, UINT32_MAX, &v))
				return cvm_usage_error("invalid vCPU `%s'", optarg);
			o.vcpu = v;
			break;
		case 'b':
			for (k = 0; k < sizeof(views) / sizeof(*views); k++)
				if (!strcmp(optarg, views[k].name))
					break;
			if (k == sizeof(views) / sizeof(*views))
				return cvm_usage_error("invalid --by `%s' (reason, mmio, msr, pio, vmgexit, tdx, vcpu, haltpoll)",
						       optarg);
			o.view = views[k].name;
			o.kinds = views[k].kinds;
			break;
		case 't':
			if (!cvm_parse_uint(optarg, 1, UINT32_MAX, &o.top))
				return cvm_usage_error("invalid --top `%s' (a count >= 1)", optarg);
			break;
		case 'L':
			o.latency = true;
			break;
		case 'f':
			ret = cvm_opt_format(optarg, &o.format);
			if (ret)
				return ret;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_show, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind]);
	if (o.latency && o.format != CVM_VIEW_TEXT)
		return cvm_usage_error("--latency is text only (`cvmstat-read vm --latency` gives the records)");
	memcpy(fields, show_fields, sizeof(fields));
	for (k = 0; k < NR_SHOW_FIELDS; k++)
		if (by_vcpu(&o) && !strcmp(fields[k].name, "key_text"))
			fields[k].heading = "VCPU";
	view.format = o.format;
	if (o.kinds == 1U << CVMSTAT_KIND_HALT)
		cvm_hp_view_init(&view, stdout, o.format);
	fd = cvm_dev_open(&ver);
	if (fd < 0)
		return -fd;
	if (o.latency && cvm_need_latency(&ver)) {
		close(fd);
		return EXIT_NOMODULE;
	}
	n = cvm_select_vms(fd, o.pid, &vms);
	if (n < 0) {
		close(fd);
		return -n;
	}
	if (o.format == CVM_VIEW_CSV)
		cvm_view_header(&view);
	if (!n && o.format == CVM_VIEW_TEXT)
		printf("no VMs seen yet (a VM is seen at its first exit after cvmstat.ko loaded)\n");
	/* --vm PID: that VMM's newest VM. */
	for (i = o.pid ? n - 1 : 0; i < n && ret == EXIT_OK; i++) {
		if (i > (o.pid ? n - 1 : 0) && o.format == CVM_VIEW_TEXT)
			printf("\n");
		ret = show_vm(fd, &o, &view, &vms[i]);
	}
	free(vms);
	close(fd);
	return ret;
}

const struct cvm_command cvm_cmd_show = {
	.name = "show",
	.main = show_main,
	.summary = "counters as a sorted table with shares and names",
	.usage =
	"Usage: cvmstat show [--vm PID] [--vcpu N] [--by VIEW] [--top N]\n"
	"                    [--format text|csv|json] [--latency]\n"
	"\n"
	"Prints each VM's counters since it was first seen (or reset), summed\n"
	"over its vCPUs, sorted by count, with each row's share and name.  Events\n"
	"the module counted without their key (its key table was full) are a row\n"
	"of their own, \"(not keyed: table full)\", always shown, with a warning.\n"
	"\n"
	"  --vm PID    only the newest VM of VMM process PID\n"
	"  --vcpu N    only vCPU N\n"
	"  --by VIEW   reason (default): exit reasons; mmio: MMIO by guest-physical\n"
	"              address; msr: MSR accesses; pio: port I/O; vmgexit: SEV-ES/SNP\n"
	"              VMGEXIT codes and GHCB MSR-protocol requests; tdx: TDX\n"
	"              TDVMCALL leaves; vcpu: exits per vCPU; haltpoll: halt polling\n"
	"              per vCPU (halts, polls, time polled and waited, windows)\n"
	"  --top N     the N largest rows only\n"
	"  --format F  text (default); csv or json: one row per counter with the\n"
	"              VM's columns, fields named as record's (cvmstat(8), OUTPUT);\n"
	"              --by haltpoll: one row per vCPU\n"
	"  --latency   exit-handling times instead (kvm_exit to the vCPU's next\n"
	"              kvm_entry, see `cvmstat latency`): per exit reason, all,\n"
	"              in the kernel and via userspace: count, mean, p50, p95,\n"
	"              p99 and max in microseconds, by total time\n"
	"  -h, --help  this help\n",
};

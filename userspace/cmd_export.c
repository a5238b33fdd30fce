// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat export: the counters as OpenMetrics text, for Prometheus through
 * node_exporter's textfile collector.  Labels are bounded by design: per VM
 * and exit reason (and VMGEXIT code, TDVMCALL leaf: small fixed sets) by
 * default; per vCPU, MSR, MMIO address and port only when asked, and then
 * the top N keys per VM plus one "other" series.  Halt polling per VM (per
 * vCPU with --per vcpu): halts, how they ended, and the time polled and
 * waited in seconds.  Exited VMs drop out after a retention time.  -o
 * writes a temporary file and renames it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "commands.h"
#include "dev.h"
#include "names.h"
#include "rows.h"
#include "snapshot.h"

/* One metric family: the records of one kind, by one label. */
static const struct family {
	const char *name;	/* without _total */
	const char *help;
	const char *label;
	unsigned int kind;
	const char *per;	/* --per WORD; NULL: always, every key */
	bool dir;		/* a dir label (read, write) */
} families[] = {
	{ "cvmstat_exits", "VM exits by exit reason.", "reason",
	  CVMSTAT_KIND_REASON, NULL, false },
	{ "cvmstat_vmgexits", "SEV-ES/SNP VMGEXITs by exit code.", "code",
	  CVMSTAT_KIND_VMGEXIT, NULL, false },
	{ "cvmstat_ghcb_msr_requests", "SEV-ES/SNP GHCB MSR-protocol requests.",
	  "request", CVMSTAT_KIND_GHCB_MSR, NULL, false },
	{ "cvmstat_tdvmcalls", "TDX TDVMCALLs leaving to userspace by leaf.",
	  "leaf", CVMSTAT_KIND_TDX_LEAF, NULL, false },
	{ "cvmstat_not_keyed", "Events counted without their key (the module's key table was full), by the kind they belong to.",
	  "kind", CVMSTAT_KIND_OVERFLOW, NULL, false },
	{ "cvmstat_vcpu_exits", "VM exits per vCPU (the top N vCPUs per VM, the rest as vcpu=\"other\").",
	  "vcpu", CVMSTAT_KIND_VCPU, "vcpu", false },
	{ "cvmstat_msr_exits", "MSR accesses per MSR (the top N per VM, the rest as msr=\"other\").",
	  "msr", CVMSTAT_KIND_MSR, "msr", true },
	{ "cvmstat_mmio_exits", "MMIO accesses per guest-physical address (the top N per VM, the rest as gpa=\"other\").",
	  "gpa", CVMSTAT_KIND_MMIO, "mmio", true },
	{ "cvmstat_pio_exits", "Port I/O per port (the top N per VM, the rest as port=\"other\").",
	  "port", CVMSTAT_KIND_PIO, "pio", true },
};
#define NR_FAMILIES (sizeof(families) / sizeof(families[0]))

/* Halt polling: one family per counter, per VM and (--per vcpu) per vCPU. */
static const struct hp_family {
	const char *name;	/* without cvmstat_ and _total */
	const char *help;
	unsigned int key;	/* enum cvmstat_halt_key */
	bool seconds;		/* counted in ns, exported in seconds */
} hp_families[] = {
	{ "halts", "Halts in KVM (HLT with the in-kernel local APIC), each through halt polling.",
	  CVMSTAT_HALT_HALTS, false },
	{ "halt_poll_successes", "Halts whose poll saw the wakeup (the vCPU was not scheduled out).",
	  CVMSTAT_HALT_POLL_OK, false },
	{ "halt_poll_failures", "Halts that polled in vain, then scheduled the vCPU out.",
	  CVMSTAT_HALT_POLL_FAIL, false },
	{ "halts_not_polled", "Halts without a poll (poll window 0, or polling switched off by the guest).",
	  CVMSTAT_HALT_NOT_POLLED, false },
	{ "halt_polled_seconds", "Time polled before a successful wakeup.",
	  CVMSTAT_HALT_POLL_OK_NS, true },
	{ "halt_poll_wasted_seconds", "Time polled in vain.",
	  CVMSTAT_HALT_POLL_FAIL_NS, true },
	{ "halt_waited_seconds", "Time halted vCPUs were scheduled out.",
	  CVMSTAT_HALT_WAIT_NS, true },
};
#define NR_HP_FAMILIES (sizeof(hp_families) / sizeof(hp_families[0]))

struct export_opts {
	unsigned int per;	/* bit per family with a --per word */
	unsigned long top;
	uint64_t retention_ns;
	bool halt;		/* the module measures halt polling */
	bool per_vcpu;		/* --per vcpu */
};

struct vm_data {
	struct cvmstat_vm_info info;
	struct cvm_vm_read rd;
};

/* A label value, escaped as OpenMetrics wants (\\, \", \n). */
static void label_value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
	fputc('"', f);
}

static void vm_labels(FILE *f, const struct cvmstat_vm_info *vm)
{
	char comm[sizeof(vm->comm) + 1];
	const char *type = cvm_name_vm_type(vm->type);

	snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(vm->comm), vm->comm);
	fprintf(f, "vm_id=\"%llu\",pid=\"%d\",comm=", (unsigned long long)vm->vm_id,
		vm->pid);
	label_value(f, comm);
	fputs(",type=", f);
	label_value(f, type ? type : "unknown");
}

/* By count, largest first, then by key and dir: a stable order. */
static int by_count(const void *a, const void *b)
{
	const struct cvmstat_record *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static void sample(FILE *f, const struct family *fam,
		   const struct cvmstat_vm_info *vm, const char *key,
		   const char *dir, uint64_t count)
{
	fprintf(f, "%s_total{", fam->name);
	vm_labels(f, vm);
	fprintf(f, ",%s=", fam->label);
	label_value(f, key);
	if (dir) {
		fputs(",dir=", f);
		label_value(f, dir);
	}
	fprintf(f, "} %llu\n", (unsigned long long)count);
}

/* A vCPU's halt-poll counters, for the halt families. */
struct hp_vcpu {
	uint64_t vcpu;
	uint64_t stat[CVMSTAT_HALT_NR];
};

static int by_halts(const void *a, const void *b)
{
	const struct hp_vcpu *x = a, *y = b;

	if (x->stat[CVMSTAT_HALT_HALTS] != y->stat[CVMSTAT_HALT_HALTS])
		return x->stat[CVMSTAT_HALT_HALTS] > y->stat[CVMSTAT_HALT_HALTS] ? -1 : 1;
	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

/*
 * @d's vCPUs (every vCPU with exits, and any with halt records) with their
 * halt counters, by halts, largest first.  Returns how many, or -ENOMEM.
 */
static int hp_vcpus(const struct vm_data *d, struct hp_vcpu **out)
{
	struct hp_vcpu *v = calloc(d->rd.nr ? d->rd.nr : 1, sizeof(*v));
	uint32_t i;
	int n = 0, j;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < d->rd.nr; i++) {
		const struct cvmstat_record *r = &d->rd.recs[i];

		if (r->kind != CVMSTAT_KIND_VCPU && r->kind != CVMSTAT_KIND_HALT)
			continue;
		for (j = 0; j < n && v[j].vcpu != r->vcpu_id; j++)
			;
		if (j == n)
			v[n++].vcpu = r->vcpu_id;
		if (r->kind == CVMSTAT_KIND_HALT && r->key < CVMSTAT_HALT_NR)
			v[j].stat[r->key] += r->count;
	}
	qsort(v, n, sizeof(*v), by_halts);
	*out = v;
	return n;
}

static void hp_sample(FILE *f, const struct hp_family *fam, bool per_vcpu,
		      const struct cvmstat_vm_info *vm, const char *vcpu,
		      uint64_t v)
{
	fprintf(f, "cvmstat_%s%s_total{", per_vcpu ? "vcpu_" : "", fam->name);
	vm_labels(f, vm);
	if (vcpu) {
		fputs(",vcpu=", f);
		label_value(f, vcpu);
	}
	if (fam->seconds)	/* exact: nanoseconds as a decimal fraction */
		fprintf(f, "} %llu.%09llu\n", (unsigned long long)(v / 1000000000),
			(unsigned long long)(v % 1000000000));
	else
		fprintf(f, "} %llu\n", (unsigned long long)v);
}

/*
 * The halt family @fam: per VM, or per vCPU (the top N vCPUs of each VM by
 * halts, the same in every family, and the rest as vcpu="other").
 */
static int hp_family(FILE *f, const struct export_opts *o,
		     const struct hp_family *fam, bool per_vcpu,
		     const struct vm_data *vms, int n)
{
	char vcpu[24];
	int i, j, nv;

	fprintf(f, "# TYPE cvmstat_%s%s_total counter\n# HELP cvmstat_%s%s_total %s%s\n",
		per_vcpu ? "vcpu_" : "", fam->name, per_vcpu ? "vcpu_" : "",
		fam->name, fam->help, per_vcpu ?
		" Per vCPU (the top N vCPUs per VM by halts, the rest as vcpu=\"other\")." : "");
	for (i = 0; i < n; i++) {
		struct hp_vcpu *v;
		uint64_t sum = 0, other = 0;

		nv = hp_vcpus(&vms[i], &v);
		if (nv < 0)
			return nv;
		for (j = 0; j < nv; j++) {
			uint64_t x = v[j].stat[fam->key];

			sum += x;
			if (!per_vcpu)
				continue;
			if ((unsigned long)j >= o->top) {
				other += x;
				continue;
			}
			snprintf(vcpu, sizeof(vcpu), "%llu", (unsigned long long)v[j].vcpu);
			hp_sample(f, fam, true, &vms[i].info, vcpu, x);
		}
		if (!per_vcpu)
			hp_sample(f, fam, false, &vms[i].info, NULL, sum);
		else if ((unsigned long)nv > o->top)
			hp_sample(f, fam, true, &vms[i].info, "other", other);
		free(v);
	}
	return 0;
}

/* One VM's series of @fam: its records of that kind summed over vCPUs. */
static int family_vm(FILE *f, const struct export_opts *o,
		     const struct family *fam, const struct vm_data *d)
{
	struct cvmstat_record *recs;
	uint64_t other = 0;
	uint32_t i, n = 0, shown;
	char key[128];

	recs = calloc(d->rd.nr ? d->rd.nr : 1, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	for (i = 0; i < d->rd.nr; i++) {
		struct cvmstat_record r = d->rd.recs[i];

		if (r.kind != fam->kind)
			continue;
		if (fam->kind == CVMSTAT_KIND_VCPU)
			r.key = r.vcpu_id;
		r.vcpu_id = 0;
		recs[n++] = r;
	}
	cvm_snap_sort(recs, n);
	n = cvm_snap_merge(recs, n);
	qsort(recs, n, sizeof(*recs), by_count);
	shown = fam->per && n > o->top ? o->top : n;
	for (i = 0; i < n; i++) {
		const struct cvmstat_record *r = &recs[i];
		const char *dir = fam->dir ? cvm_dir_name(r->dir) : NULL;

		if (i >= shown) {
			other += r->count;
			continue;
		}
		if (fam->kind == CVMSTAT_KIND_VCPU) {
			snprintf(key, sizeof(key), "%llu", (unsigned long long)r->key);
		} else if (fam->kind == CVMSTAT_KIND_OVERFLOW) {
			const char *k = r->key < 32 ? cvm_name_kind(r->key) : NULL;

			snprintf(key, sizeof(key), "%s", k ? k : "unknown");
		} else if (fam->per) {
			cvm_format_key(key, sizeof(key), r->kind, r->key);
		} else {
			cvm_format_record_name(key, sizeof(key), r->kind, r->key);
		}
		sample(f, fam, &d->info, key, dir, r->count);
	}
	if (n > shown)
		sample(f, fam, &d->info, "other", fam->dir ? "-" : NULL, other);
	free(recs);
	return 0;
}

static int write_metrics(FILE *f, const struct export_opts *o,
			 const struct vm_data *vms, int n)
{
	size_t k;
	int i, ret;

	for (k = 0; k < NR_FAMILIES; k++) {
		const struct family *fam = &families[k];

		if (fam->per && !(o->per & 1U << k))
			continue;
		fprintf(f, "# TYPE %s_total counter\n# HELP %s_total %s\n", fam->name,
			fam->name, fam->help);
		for (i = 0; i < n; i++) {
			ret = family_vm(f, o, fam, &vms[i]);
			if (ret)
				return ret;
		}
	}
	/* per VM, then per vCPU if asked */
	for (k = 0; o->halt && k < 2 * NR_HP_FAMILIES; k++) {
		bool per_vcpu = k >= NR_HP_FAMILIES;

		if (per_vcpu && !o->per_vcpu)
			break;
		ret = hp_family(f, o, &hp_families[k % NR_HP_FAMILIES],
				per_vcpu, vms, n);
		if (ret)
			return ret;
	}
	fputs("# TYPE cvmstat_vm_vcpus gauge\n"
	      "# HELP cvmstat_vm_vcpus vCPUs the module has seen run, per VM.\n", f);
	for (i = 0; i < n; i++) {
		fputs("cvmstat_vm_vcpus{", f);
		vm_labels(f, &vms[i].info);
		fprintf(f, "} %u\n", vms[i].info.nr_vcpus);
	}
	fputs("# TYPE cvmstat_vm_alive gauge\n"
	      "# HELP cvmstat_vm_alive 1 while the VM runs, 0 once it exited (kept for the retention time).\n", f);
	for (i = 0; i < n; i++) {
		fputs("cvmstat_vm_alive{", f);
		vm_labels(f, &vms[i].info);
		fprintf(f, "} %d\n", !!(vms[i].info.flags & CVMSTAT_VM_ALIVE));
	}
	fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}

/* @path written whole or not at all: a temporary file beside it, renamed. */
static int write_file(const char *path, const struct export_opts *o,
		      const struct vm_data *vms, int n)
{
	size_t len = strlen(path) + sizeof(".tmp.XXXXXX");
	char *tmp = malloc(len);
	FILE *f;
	int fd, ret;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto out;
	}
	ret = write_metrics(f, o, vms, n);
	if (!ret && (fflush(f) || fchmod(fd, 0644) || fsync(fd)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
out:
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int export_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "per", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "retention", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct export_opts o = { .top = 10, .retention_ns = 300000000000ULL };
	struct cvmstat_vm_info *info = NULL;
	struct vm_data *vms = NULL;
	const char *out = NULL;
	char *save, *word, *list;
	unsigned long v;
	int opt, fd, n, i, k = 0, ret = EXIT_OK, err;
	uint64_t now;
	size_t j;

	while ((opt = getopt_long(argc, argv, "+:f:o:p:t:r:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "openmetrics"))
				return cvm_usage_error("invalid --format `%s' (openmetrics)",
						       optarg);
			break;
		case 'o':
			if (!*optarg)
				return cvm_usage_error("empty output path");
			out = optarg;
			break;
		case 'p':
			list = strdup(optarg);
			if (!list)
				return EXIT_SYSTEM;
			for (word = strtok_r(list, ",", &save); word;
			     word = strtok_r(NULL, ",", &save)) {
				for (j = 0; j < NR_FAMILIES; j++)
					if (families[j].per && !strcmp(word, families[j].per))
						break;
				if (j == NR_FAMILIES) {
					ret = cvm_usage_error("invalid --per `%s' (vcpu, msr, mmio, pio)",
							      word);
					free(list);
					return ret;
				}
				o.per |= 1U << j;
				o.per_vcpu |= families[j].kind == CVMSTAT_KIND_VCPU;
			}
			free(list);
			break;
		case 't':
			if (!cvm_parse_uint(optarg, 1, 1000, &v))
				return cvm_usage_error("invalid --top `%s' (1 to 1000)", optarg);
			o.top = v;
			break;
		case 'r':
			if (!cvm_parse_uint(optarg, 0, 31536000, &v))
				return cvm_usage_error("invalid --retention `%s' (seconds, 0 to 31536000)",
						       optarg);
			o.retention_ns = v * 1000000000ULL;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_export, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind]);
	fd = cvm_dev_open(NULL);
	if (fd < 0)
		return -fd;
	/* with the module's halt-poll records, read since ABI 1.3 */
	o.halt = cvm_read_flags & CVMSTAT_READ_HALTPOLL;
	n = cvm_select_vms(fd, 0, &info);
	if (n < 0) {
		close(fd);
		return -n;
	}
	vms = calloc(n ? n : 1, sizeof(*vms));
	if (!vms) {
		ret = EXIT_SYSTEM;
		goto out;
	}
	now = mono_ns();
	for (i = 0; i < n; i++) {
		/* exited longer ago than the retention time: its series end */
		if (info[i].exit_ns && now > info[i].exit_ns &&
		    now - info[i].exit_ns > o.retention_ns)
			continue;
		err = cvm_read_vm(fd, info[i].vm_id, 0, &vms[k].rd);
		if (err == -ENOENT)
			continue;	/* forgotten since the list */
		if (err) {
			cvm_err("reading VM %llu: %s",
				(unsigned long long)info[i].vm_id, strerror(-err));
			ret = cvm_errno_exit(-err);
			goto out;
		}
		vms[k++].info = info[i];
	}
	if (out) {
		err = write_file(out, &o, vms, k);
		if (err) {
			cvm_err("%s: %s", out, strerror(-err));
			ret = EXIT_SYSTEM;
		}
	} else if (write_metrics(stdout, &o, vms, k) || fflush(stdout)) {
		cvm_err("writing: %s", strerror(errno ? errno : EIO));
		ret = EXIT_SYSTEM;
	}
out:
	for (i = 0; i < k; i++)
		cvm_vm_read_free(&vms[i].rd);
	free(vms);
	free(info);
	close(fd);
	return ret;
}

const struct cvm_command cvm_cmd_export = {
	.name = "export",
	.main = export_main,
	.summary = "counters as OpenMetrics text (Prometheus, node_exporter)",
	.usage =
	"Usage: cvmstat export [--format openmetrics] [-o FILE] [--per KINDS]\n"
	"                      [--top N] [--retention SECONDS]\n"
	"\n"
	"Prints every VM's counters as OpenMetrics text: counters *_total with\n"
	"HELP and TYPE, ending with # EOF, labelled vm_id, pid, comm, type and\n"
	"the reason (VMGEXIT code, TDVMCALL leaf).  Per vCPU, MSR, MMIO address\n"
	"and port only with --per, and then the top N keys per VM and one\n"
	"\"other\" series, so that series stay bounded.  Halt polling per VM (per\n"
	"vCPU with --per vcpu): halts, polled with success, in vain, not polled,\n"
	"and the seconds polled, wasted and waited.  Exited VMs are left out\n"
	"once they have been gone longer than the retention time.\n"
	"\n"
	"  -o, --output FILE     write FILE atomically (a temporary file beside\n"
	"                        it, renamed), as node_exporter's textfile\n"
	"                        collector requires\n"
	"  --per KINDS           also per vcpu, msr, mmio, pio (comma-separated)\n"
	"  --top N               keys per VM and kind with --per (default 10)\n"
	"  --retention SECONDS   keep exited VMs this long (default 300)\n"
	"  --format openmetrics  the only format (the default)\n",
};

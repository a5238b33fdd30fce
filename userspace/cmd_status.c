// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat load | unload | status: the module's life, and what it sees.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"
#include "fields.h"
#include "modload.h"
#include "names.h"
#include "protos.h"

/* Commands that take nothing but --help. */
static int no_args(int argc, char **argv, const struct cvm_command *c)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cvm_bad_option(opt, argc, argv);
		cvm_print_usage(c, stdout);
		return -1;
	}
	if (optind < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind]);
	return 0;
}

/* ---- load ----------------------------------------------------------------- */

/* PARAM=VALUE, PARAM a C identifier, VALUE without white space. */
static bool valid_param(const char *s)
{
	const char *eq = strchr(s, '=');
	const char *p;

	if (!eq || eq == s || !eq[1] || isdigit((unsigned char)*s))
		return false;
	for (p = s; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	for (p = eq + 1; *p; p++)
		if (isspace((unsigned char)*p) || *p == '"')
			return false;
	return true;
}

/*
 * With kvm.ko loaded, its BTF tells whether cvmstat.ko's probes have the
 * prototypes of this kernel's tracepoints: a probe attached with the wrong
 * one would read wrong arguments (or fail a kCFI check), so load nothing.
 */
static int refuse_unproven(void)
{
	struct cvm_proof p;

	if (cvm_prove_probes(&p) || !p.differ)
		return EXIT_OK;
	cvm_err("not loading: this kernel's tracepoints differ from cvmstat.ko's probes (%s); a cvmstat for this kernel is needed",
		p.why);
	return EXIT_NOMODULE;
}

static int load_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "path", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	char *options = NULL;
	size_t len = 1;
	int opt, i, ret;

	while ((opt = getopt_long(argc, argv, "+:p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (!*optarg)
				return cvm_usage_error("empty --path");
			if (access(optarg, R_OK)) {
				cvm_err("%s: %s", optarg, strerror(errno));
				return errno == EACCES || errno == EPERM ?
				       EXIT_PERM : EXIT_SYSTEM;
			}
			path = optarg;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_load, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	for (i = optind; i < argc; i++) {
		if (!valid_param(argv[i]))
			return cvm_usage_error("invalid module parameter `%s' (want NAME=VALUE)",
					       argv[i]);
		len += strlen(argv[i]) + 1;
	}
	options = calloc(1, len);
	if (!options) {
		cvm_err("out of memory");
		return EXIT_SYSTEM;
	}
	for (i = optind; i < argc; i++) {
		if (i > optind)
			strcat(options, " ");
		strcat(options, argv[i]);
	}
	ret = refuse_unproven();
	if (!ret)
		ret = cvm_module_load(path, options);
	free(options);
	return ret;
}

const struct cvm_command cvm_cmd_load = {
	.name = "load",
	.main = load_main,
	.summary = "load cvmstat.ko (libkmod), passing module parameters",
	.usage =
	"Usage: cvmstat load [--path FILE.ko] [PARAM=VALUE...]\n"
	"\n"
	"Loads cvmstat.ko as installed for the running kernel (DKMS), or the\n"
	"file given with --path, with the module parameters given, e.g.\n"
	"max_vms=128 max_vcpus=1024 phase_port=0xf4 (-1: no guest marks).\n"
	"Loading before or after kvm.ko both work.  Already loaded: exit 0.\n"
	"\n"
	"  -p, --path FILE.ko  load this file instead of the installed module\n"
	"  -h, --help          this help\n",
};

/* ---- unload --------------------------------------------------------------- */

static int unload_main(int argc, char **argv)
{
	int ret = no_args(argc, argv, &cvm_cmd_unload);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	return cvm_module_unload();
}

const struct cvm_command cvm_cmd_unload = {
	.name = "unload",
	.main = unload_main,
	.summary = "unload cvmstat.ko (counters are lost)",
	.usage =
	"Usage: cvmstat unload\n"
	"\n"
	"Unloads cvmstat.ko; every counter is lost.  VMs keep running.\n"
	"Not loaded: exit 0.\n",
};

/* ---- status --------------------------------------------------------------- */

static const char *const probe_names[CVMSTAT_PROBE_NR] = {
	[CVMSTAT_PROBE_KVM_EXIT] = "kvm_exit",
	[CVMSTAT_PROBE_KVM_MMIO] = "kvm_mmio",
	[CVMSTAT_PROBE_KVM_FAST_MMIO] = "kvm_fast_mmio",
	[CVMSTAT_PROBE_KVM_MSR] = "kvm_msr",
	[CVMSTAT_PROBE_KVM_PIO] = "kvm_pio",
	[CVMSTAT_PROBE_KVM_VMGEXIT_ENTER] = "kvm_vmgexit_enter",
	[CVMSTAT_PROBE_KVM_VMGEXIT_MSR_PROTOCOL_ENTER] =
		"kvm_vmgexit_msr_protocol_enter",
	[CVMSTAT_PROBE_KVM_USERSPACE_EXIT] = "kvm_userspace_exit",
	[CVMSTAT_PROBE_KVM_VCPU_WAKEUP] = "kvm_vcpu_wakeup",
	[CVMSTAT_PROBE_KVM_HALT_POLL_NS] = "kvm_halt_poll_ns",
};

static const char *const feature_names[] = {
	"exit_reason", "vm_lifetime", "svm_fast_reason", "vm_type",
	"kvm_entry_2arg", "phases", "guest_marks_optin", "haltpoll",
	"haltpoll_vm", "latency",
};

/* First line of a small sysfs/procfs file, trimmed; "" when unreadable. */
static const char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
	return buf;
}

/* The CPU vendor and the confidential-computing flags /proc/cpuinfo shows. */
static void print_host(unsigned int isa)
{
	static const char *const cc_flags[] = {
		"sev", "sev_es", "sev_snp", "tdx_host_platform",
	};
	char line[4096], vendor[64] = "unknown", flags[128] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");
	size_t i;

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vendor_id", 9) && strchr(line, ':'))
			sscanf(strchr(line, ':') + 1, " %63s", vendor);
		if (!strncmp(line, "flags", 5)) {
			for (i = 0; i < sizeof(cc_flags) / sizeof(*cc_flags); i++) {
				char word[40];

				snprintf(word, sizeof(word), " %s", cc_flags[i]);
				if (strstr(line, word) &&
				    strchr(" \n", strstr(line, word)[strlen(word)])) {
					strcat(flags, " ");
					strcat(flags, cc_flags[i]);
				}
			}
			break;
		}
	}
	if (f)
		fclose(f);
	printf("host:       %s%s, KVM %s, CVM CPU flags:%s\n",
	       !strcmp(vendor, "AuthenticAMD") ? "AMD " :
	       !strcmp(vendor, "GenuineIntel") ? "Intel " : "", vendor,
	       isa == CVMSTAT_ISA_SVM ? "SVM" : isa == CVMSTAT_ISA_VMX ? "VMX" :
	       "vendor not seen yet", *flags ? flags : " none");
}

/* kvm's own parameters that change what cvmstat counts. */
static void print_kvm(void)
{
	static const char *const params[] = {
		"kvm/parameters/halt_poll_ns",
		"kvm_amd/parameters/sev", "kvm_amd/parameters/sev_es",
		"kvm_amd/parameters/sev_snp", "kvm_intel/parameters/tdx",
	};
	char path[128], val[64];
	size_t i;

	printf("kvm:       ");
	if (access("/sys/module/kvm", F_OK)) {
		printf(" not loaded\n");
		return;
	}
	for (i = 0; i < sizeof(params) / sizeof(*params); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", params[i]);
		if (*read_line(path, val, sizeof(val)))
			printf(" %s=%s", strrchr(params[i], '/') + 1, val);
	}
	printf("\n");
}

/*
 * The events of @vm_id counted without their key, per kind, summed over
 * its vCPUs: "msr 7528, mmio 254", "none", or "?" when it cannot be read.
 */
static void format_not_keyed(int fd, uint64_t vm_id, char *buf, size_t len)
{
	uint64_t lost[32] = { 0 };
	struct cvm_vm_read rd;
	size_t n = 0;
	uint32_t i;

	if (cvm_read_vm(fd, vm_id, 0, &rd)) {
		snprintf(buf, len, "?");
		return;
	}
	for (i = 0; i < rd.nr; i++)
		if (rd.recs[i].kind == CVMSTAT_KIND_OVERFLOW &&
		    rd.recs[i].key < 32)
			lost[rd.recs[i].key] += rd.recs[i].count;
	cvm_vm_read_free(&rd);
	buf[0] = '\0';
	for (i = 0; i < 32 && n < len; i++) {
		const char *kind = cvm_name_kind(i);

		if (!lost[i])
			continue;
		n += snprintf(buf + n, len - n, "%s%s %llu", n ? ", " : "",
			      kind ? kind : "?", (unsigned long long)lost[i]);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* One VM of the table; cvmstat(8), OUTPUT, names the fields. */
struct status_vm {
	uint64_t vm_id;
	int64_t pid;
	const char *comm;
	uint64_t nr_vcpus;
	const char *type;
	const char *state;
	const char *not_keyed;
	uint64_t guest_marks_dropped;
	const char *note;	/* text: the dropped marks, when there are */
};

#define VM_FIELD(type, member, in, heading, width, sep) \
	CVM_FIELD(type, struct status_vm, member, in, heading, width, sep)
static const struct cvm_field status_vm_fields[] = {
	VM_FIELD(CVM_FIELD_U64, vm_id, CVM_IN_ALL, "VM_ID", 6, ""),
	VM_FIELD(CVM_FIELD_I64, pid, CVM_IN_ALL, "PID", 8, " "),
	VM_FIELD(CVM_FIELD_STR, comm, CVM_IN_ALL, "COMMAND", -16, "  "),
	VM_FIELD(CVM_FIELD_U64, nr_vcpus, CVM_IN_ALL, "VCPUS", 6, " "),
	VM_FIELD(CVM_FIELD_STR, type, CVM_IN_ALL, "TYPE", -7, "  "),
	VM_FIELD(CVM_FIELD_STR, state, CVM_IN_ALL, "STATE", -6, " "),
	VM_FIELD(CVM_FIELD_STR, not_keyed, CVM_IN_ALL, "NOT_KEYED", 0, "  "),
	VM_FIELD(CVM_FIELD_U64, guest_marks_dropped, CVM_IN_DATA, NULL, 0, NULL),
	VM_FIELD(CVM_FIELD_STR, note, CVM_IN_TEXT, "", 0, ""),
};

/* The VMs, as a text table under the rest of status, or as CSV or JSON. */
static void print_vms(int fd, enum cvm_view_format format)
{
	struct cvm_view view = {
		.f = stdout, .format = format, .fields = status_vm_fields,
		.nr = sizeof(status_vm_fields) / sizeof(status_vm_fields[0]),
	};
	struct cvmstat_vm_info *vms;
	int i, n = cvm_list_vms(fd, &vms);
	char lost[256], comm[sizeof(vms->comm) + 1], note[64];

	if (n < 0)
		return;
	if (!n && format == CVM_VIEW_TEXT) {
		printf("VMs:        none seen yet (a VM is seen at its first exit)\n");
		free(vms);
		return;
	}
	if (format == CVM_VIEW_TEXT)
		printf("\n");
	if (format != CVM_VIEW_JSON)
		cvm_view_header(&view);
	for (i = 0; i < n; i++) {
		const char *type = cvm_name_vm_type(vms[i].type);
		char state[64];
		struct status_vm row = {
			.vm_id = vms[i].vm_id, .pid = vms[i].pid, .comm = comm,
			.nr_vcpus = vms[i].nr_vcpus, .type = type ? type : "?",
			.state = state, .not_keyed = lost, .note = note,
			.guest_marks_dropped = vms[i].guest_marks_dropped,
		};

		snprintf(comm, sizeof(comm), "%.*s", (int)sizeof(vms->comm), vms[i].comm);
		/* alive or exited, and what the module says of the VM */
		snprintf(state, sizeof(state), "%s%s%s%s",
			 vms[i].flags & CVMSTAT_VM_ALIVE ? "alive" : "exited",
			 vms[i].flags & CVMSTAT_VM_GUEST_MARKS ? ",marks" : "",
			 vms[i].flags & CVMSTAT_VM_PARTIAL ? ",partial" : "",
			 vms[i].flags & CVMSTAT_VM_STALE ? ",stale" : "");
		format_not_keyed(fd, vms[i].vm_id, lost, sizeof(lost));
		note[0] = '\0';
		if (vms[i].guest_marks_dropped)
			snprintf(note, sizeof(note), "  (guest marks dropped: %llu)",
				 (unsigned long long)vms[i].guest_marks_dropped);
		cvm_view_row(&view, &row);
	}
	free(vms);
}

/* What kvm.ko's BTF says of the bound probes' prototypes. */
static void print_protos(uint32_t bound)
{
	struct cvm_proof p;
	int err = cvm_prove_probes(&p);

	printf("prototypes:");
	if (err)
		printf(" assumed (kvm.ko's BTF: %s)\n", strerror(-err));
	else if (p.differ & bound)
		printf(" WRONG for a bound probe: %s\n", p.why);
	else if ((p.proven & bound) == bound)
		printf(" every bound probe's proven by kvm.ko's BTF\n");
	else
		printf(" proven by kvm.ko's BTF but for probes 0x%x\n",
		       bound & ~p.proven);
}

static int status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cvm_view_format format = CVM_VIEW_TEXT;
	struct cvmstat_version v;
	enum cvm_mod_state st;
	char buf[128];
	int port, opt;
	unsigned int i;
	int fd;

	while ((opt = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (cvm_opt_format(optarg, &format))
				return EXIT_USAGE;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_status, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind]);
	st = cvm_module_state();
	if (format != CVM_VIEW_TEXT) {
		/* the VM table only: the rest is for people */
		if (st != CVM_MOD_LIVE && st != CVM_MOD_UNKNOWN) {
			cvm_err("%s", cvm_module_hint());
			return EXIT_NOMODULE;
		}
		fd = cvm_dev_open(NULL);
		if (fd < 0)
			return -fd;
		print_vms(fd, format);
		close(fd);
		return EXIT_OK;
	}
	printf("module:     cvmstat.ko %s", cvm_module_state_name(st));
	if (*read_line("/sys/module/cvmstat/version", buf, sizeof(buf)))
		printf(", version %s", buf);
	printf("\n");
	if (st != CVM_MOD_LIVE && st != CVM_MOD_UNKNOWN) {
		print_kvm();
		cvm_err("%s", cvm_module_hint());
		return EXIT_NOMODULE;
	}
	fd = cvm_dev_open(&v);
	if (fd < 0)
		return -fd;
	printf("abi:        %u.%u (tool %u.%u)\nfeatures:  ", v.abi_major,
	       v.abi_minor, CVMSTAT_ABI_MAJOR, CVMSTAT_ABI_MINOR);
	for (i = 0; i < 64; i++) {
		if (!(v.features >> i & 1))
			continue;
		if (i < sizeof(feature_names) / sizeof(*feature_names))
			printf(" %s", feature_names[i]);
		else
			printf(" bit%u", i);
	}
	printf("\nprobes:    ");
	for (i = 0; i < CVMSTAT_PROBE_NR; i++)
		printf(" %s(%s)", probe_names[i],
		       v.probes_bound >> i & 1 ? "bound" :
		       v.probes_known >> i & 1 ? "not bound" : "unsupported");
	printf("\n");
	print_protos(v.probes_bound);
	print_host(v.isa);
	print_kvm();
	port = cvm_phase_port();
	printf("parameters: max_vms=%u max_vcpus=%u phase_port=", v.max_vms,
	       v.max_vcpus);
	if (port < 0 || port > 0xffff)
		printf("off (guest marks disabled)\n");
	else
		printf("0x%x (a guest byte written there marks a phase)\n", port);
	printf("held:       %u VMs; untracked VMs %llu, vCPUs %llu; unattributed events %llu\n",
	       v.nr_vms, (unsigned long long)v.untracked_vms,
	       (unsigned long long)v.untracked_vcpus,
	       (unsigned long long)v.unattributed);
	if (v.vcpu_bytes)
		printf("memory:     %llu bytes per vCPU slot, %u slots held from load (%.1f MiB)\n",
		       (unsigned long long)v.vcpu_bytes, v.max_vcpus,
		       v.vcpu_bytes * (double)v.max_vcpus / (1 << 20));
	if (v.lifetime_missed)
		printf("lifetime:   WARNING: %llu VM destructions went unseen (kprobes disarmed?); those VMs are marked stale\n",
		       (unsigned long long)v.lifetime_missed);
	print_vms(fd, CVM_VIEW_TEXT);
	close(fd);
	return EXIT_OK;
}

const struct cvm_command cvm_cmd_status = {
	.name = "status",
	.main = status_main,
	.summary = "module, ABI, bound tracepoints, host, and the VMs seen",
	.usage =
	"Usage: cvmstat status [--format text|csv|json]\n"
	"\n"
	"Shows whether cvmstat.ko is loaded and its version, the ABI, which\n"
	"KVM tracepoints are bound, the host's vendor and confidential-computing\n"
	"support, KVM's halt-polling and SEV/TDX parameters, what the module\n"
	"could not count (VMs and vCPUs without a slot, events of no vCPU), and\n"
	"the VMs seen: id, VMM pid and command, vCPUs, type (plain, SEV, SEV-ES,\n"
	"SNP, TDX), alive or exited, and per kind the events counted without\n"
	"their key because its key table was full (NOT_KEYED).  Exit 4 when the\n"
	"module is not loaded.\n"
	"\n"
	"  --format F  text (default); csv or json: the VM table only, one row per\n"
	"              VM (cvmstat(8), OUTPUT)\n",
};

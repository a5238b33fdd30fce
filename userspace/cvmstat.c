// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat: VM-exit accounting for KVM hosts running confidential VMs.
 * The front door: global options, then one subcommand (cmd_*.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"
#include "names.h"

#ifndef CVMSTAT_VERSION
#define CVMSTAT_VERSION "unknown"
#endif

static const struct cvm_command *const commands[] = {
	&cvm_cmd_load, &cvm_cmd_unload, &cvm_cmd_status, &cvm_cmd_show,
	&cvm_cmd_top, &cvm_cmd_record, &cvm_cmd_phase, &cvm_cmd_reset,
	&cvm_cmd_export, &cvm_cmd_plot,
	&cvm_cmd_haltpoll, &cvm_cmd_latency, &cvm_cmd_summary,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: cvmstat [-d DEVICE] [--ecam BASE[,SIZE]|off] COMMAND [ARGS...]\n"
		"       cvmstat help [COMMAND] | --help | --version\n"
		"\n"
		"Counts KVM VM exits per VM, vCPU, reason, MMIO address, MSR, port,\n"
		"SEV-ES/SNP VMGEXIT and TDX TDVMCALL, through cvmstat.ko.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i]->name,
			commands[i]->summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -d, --device PATH  the device (default /dev/cvmstat, or $CVMSTAT_DEV)\n"
		"  --ecam BASE[,SIZE] where the guests' PCI ECAM window is, for MMIO names\n"
		"                     (default 0xb0000000,0x10000000: QEMU q35), or off\n"
		"  -h, --help         this help; `cvmstat COMMAND --help` for a command's\n"
		"  -V, --version      the tool's version and ABI\n"
		"\n"
		"Exit status: 0 ok, 1 usage, 2 system error, 3 no such VM, 4 module not\n"
		"loaded or not installed, 5 permission denied (see cvmstat(8)).\n");
}

void cvm_print_usage(const struct cvm_command *c, FILE *f)
{
	fprintf(f, "%s", c->usage);
}

static const struct cvm_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

int cvm_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cvm_verr(true, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cvm_bad_option(int ret, int argc, char **argv)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";

	if (ret == ':') {
		if (optopt && strncmp(arg, "--", 2))
			return cvm_usage_error("option -%c needs an argument",
					       optopt);
		return cvm_usage_error("option `%s' needs an argument", arg);
	}
	if (strncmp(arg, "--", 2))
		return cvm_usage_error("unknown option -%c", optopt);
	/* A known long option given a value it does not take sets optopt. */
	if (optopt)
		return cvm_usage_error("option `%.*s' takes no value",
				       (int)strcspn(arg, "="), arg);
	return cvm_usage_error("unknown option `%s'", arg);
}

int cvm_opt_pid(const char *arg, pid_t *pid)
{
	return cvm_parse_pid(arg, pid) ? 0 :
	       cvm_usage_error("invalid process id `%s'", arg);
}

int cvm_opt_interval(const char *arg, uint64_t *ns)
{
	return cvm_parse_interval(arg, ns) ? 0 :
	       cvm_usage_error("invalid interval `%s' (seconds, 0.01 to 86400)",
			       arg);
}

int cvm_opt_format(const char *arg, enum cvm_view_format *format)
{
	return cvm_view_parse(arg, format) ?
	       cvm_usage_error("invalid --format `%s' (text, csv, json)", arg) : 0;
}

int cvm_select_vms(int fd, int pid, struct cvmstat_vm_info **out)
{
	struct cvmstat_vm_info *vms;
	int i, k, n;

	n = cvm_list_vms(fd, &vms);
	if (n < 0 || !pid) {
		*out = n < 0 ? NULL : vms;
		return n;
	}
	for (i = k = 0; i < n; i++)
		if (vms[i].pid == pid)
			vms[k++] = vms[i];
	if (!k) {
		free(vms);
		cvm_err("no VM of process %d (`cvmstat status` lists the VMs seen)",
			pid);
		return -EXIT_NOVM;
	}
	*out = vms;
	return k;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "ecam", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("CVMSTAT_DEV");
	const struct cvm_command *c;
	uint64_t base, size;
	int opt;

	if (env && *env)
		cvm_dev_path = env;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:d:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (!*optarg)
				return cvm_usage_error("empty device path");
			cvm_dev_path = optarg;
			break;
		case 'e':
			if (!cvm_parse_ecam(optarg, &base, &size))
				return cvm_usage_error("invalid --ecam `%s' (BASE[,SIZE] in bytes, multiples of 1 MiB, SIZE at most 256 MiB; or off)",
						       optarg);
			cvm_names_set_ecam(base, size);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("cvmstat %s (ABI %u.%u)\n", CVMSTAT_VERSION,
			       CVMSTAT_ABI_MAJOR, CVMSTAT_ABI_MINOR);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind >= argc)
		return cvm_usage_error("no command");
	if (!strcmp(argv[optind], "help")) {
		if (optind + 2 < argc)
			return cvm_usage_error("help takes one COMMAND");
		if (optind + 1 >= argc || !strcmp(argv[optind + 1], "help")) {
			usage(stdout);
			return EXIT_OK;
		}
		c = find_command(argv[optind + 1]);
		if (!c)
			return cvm_usage_error("unknown command `%s'",
					       argv[optind + 1]);
		cvm_print_usage(c, stdout);
		return EXIT_OK;
	}
	c = find_command(argv[optind]);
	if (!c)
		return cvm_usage_error("unknown command `%s'", argv[optind]);
	cvm_cmd = c->name;
	argv += optind;
	argc -= optind;
	optind = 0;	/* a fresh getopt scan for the command */
	return c->main(argc, argv);
}

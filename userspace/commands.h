/* SPDX-License-Identifier: GPL-2.0 */
/*
 * commands: the cvmstat subcommands, one file each (cmd_*.c), dispatched by
 * cvmstat.c.  Each main() gets argv from the command's name on and returns
 * an exit code (dev.h).
 */
#ifndef CVMSTAT_COMMANDS_H
#define CVMSTAT_COMMANDS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "fields.h"

struct cvm_command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *usage;	/* synopsis and options, for --help */
	const char *summary;	/* one line, for `cvmstat --help` */
};

extern const struct cvm_command cvm_cmd_load, cvm_cmd_unload,
	cvm_cmd_status, cvm_cmd_show, cvm_cmd_top, cvm_cmd_record,
	cvm_cmd_phase, cvm_cmd_reset, cvm_cmd_plot, cvm_cmd_export,
	cvm_cmd_haltpoll, cvm_cmd_latency, cvm_cmd_summary;

/* Prints @c's usage on @f. */
void cvm_print_usage(const struct cvm_command *c, FILE *f);

/*
 * A usage error: "cvmstat: CMD: <message>" and a pointer to --help on
 * stderr.  Returns EXIT_USAGE.
 */
int cvm_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long's '?' or ':' (optstrings start with "+:") as a usage error:
 * an unknown option, or one missing its argument.
 */
int cvm_bad_option(int ret, int argc, char **argv);

/* --vm PID and -i SECONDS: 0, or a usage error's exit code (printed). */
int cvm_opt_pid(const char *arg, pid_t *pid);
int cvm_opt_interval(const char *arg, uint64_t *ns);
/* --format text|csv|json: 0, or a usage error's exit code (printed). */
int cvm_opt_format(const char *arg, enum cvm_view_format *format);

/*
 * The VMs --vm PID selects (all when @pid is 0), oldest first, into *vms.
 * No VM of @pid: prints so and returns -EXIT_NOVM.  Else their number or
 * -(exit code).
 */
struct cvmstat_vm_info;
int cvm_select_vms(int fd, int pid, struct cvmstat_vm_info **vms);

/*
 * cvmstat summary of the recording (CSV) read from @in, called @path in
 * messages: the VM @vm_id (0: all), vCPU @vcpu (-1: all), to @out as
 * @format (enum cvm_view_format).  0, or an exit code (the error printed).
 */
int cvm_summary(FILE *in, const char *path, uint64_t vm_id, long vcpu,
		FILE *out, int format);

#endif /* CVMSTAT_COMMANDS_H */

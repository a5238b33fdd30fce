// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat phase | reset: marking a benchmark's phase from any shell, and
 * starting counters over.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"

static int phase_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cvmstat_phase_mark m = { .size = sizeof(m) };
	int opt, fd, ret = EXIT_OK;

	while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cvm_bad_option(opt, argc, argv);
		cvm_print_usage(&cvm_cmd_phase, stdout);
		return EXIT_OK;
	}
	if (optind + 1 != argc)
		return cvm_usage_error(optind < argc ? "one NAME only (quote it)" :
				       "no phase NAME");
	if (!*argv[optind] || strlen(argv[optind]) >= sizeof(m.name))
		return cvm_usage_error("a phase name has 1 to %zu bytes",
				       sizeof(m.name) - 1);
	strcpy(m.name, argv[optind]);
	fd = cvm_dev_open_mode(NULL, O_RDWR);
	if (fd < 0)
		return -fd;
	if (ioctl(fd, CVMSTAT_IOC_PHASE_MARK, &m)) {
		cvm_err("marking phase: %s", strerror(errno));
		ret = cvm_errno_exit(errno);
	}
	close(fd);
	return ret;
}

const struct cvm_command cvm_cmd_phase = {
	.name = "phase",
	.main = phase_main,
	.summary = "mark the start of a benchmark phase",
	.usage =
	"Usage: cvmstat phase NAME\n"
	"\n"
	"Marks the start of phase NAME (1 to 63 bytes, any characters) for every\n"
	"VM, at once: a running `cvmstat record` attributes everything before\n"
	"the mark to the phase before, everything after it to NAME.  A guest\n"
	"marks \"guest phase N\" for its own VM by writing the byte N to the\n"
	"phase port (module parameter phase_port, default 0xf4).\n",
};

static int reset_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cvmstat_reset r = { .size = sizeof(r) };
	struct cvmstat_vm_info *vms = NULL;
	int opt, fd, i, n = 0, ret = EXIT_OK;
	bool all = false;
	pid_t pid = 0;

	while ((opt = getopt_long(argc, argv, "+:p:ah", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			ret = cvm_opt_pid(optarg, &pid);
			if (ret)
				return ret;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_reset, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind]);
	if (all == !!pid)
		return cvm_usage_error("give either --vm PID or --all");
	fd = cvm_dev_open_mode(NULL, O_RDWR);
	if (fd < 0)
		return -fd;
	if (all) {
		r.flags = CVMSTAT_RESET_ALL;
		if (ioctl(fd, CVMSTAT_IOC_RESET, &r)) {
			cvm_err("reset: %s", strerror(errno));
			ret = cvm_errno_exit(errno);
		}
		goto out;
	}
	n = cvm_select_vms(fd, pid, &vms);
	if (n < 0) {
		ret = -n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r.vm_id = vms[i].vm_id;
		/* A VM forgotten since the list is reset enough. */
		if (ioctl(fd, CVMSTAT_IOC_RESET, &r) && errno != ENOENT) {
			cvm_err("reset of VM %llu: %s",
				(unsigned long long)r.vm_id, strerror(errno));
			ret = cvm_errno_exit(errno);
			break;
		}
	}
out:
	free(vms);
	close(fd);
	return ret;
}

const struct cvm_command cvm_cmd_reset = {
	.name = "reset",
	.main = reset_main,
	.summary = "start counters over (one VMM's VMs, or all)",
	.usage =
	"Usage: cvmstat reset --vm PID | --all\n"
	"\n"
	"Starts the counters of the VMs of VMM process PID, or of every VM,\n"
	"over from zero.  Exited VMs are forgotten.\n"
	"\n"
	"  --vm PID    the VMs of VMM process PID\n"
	"  --all       every VM\n"
	"  -h, --help  this help\n",
};

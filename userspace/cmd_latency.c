// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat latency: shows whether exit-handling time is taken, or switches
 * it on or off (CVMSTAT_IOC_LATENCY).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"

static int latency_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cvmstat_latency l = { .size = sizeof(l) };
	struct cvmstat_version ver;
	int opt, fd, ret = EXIT_OK;

	while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (opt != 'h')
			return cvm_bad_option(opt, argc, argv);
		cvm_print_usage(&cvm_cmd_latency, stdout);
		return EXIT_OK;
	}
	if (optind + 1 < argc)
		return cvm_usage_error("unexpected argument `%s'", argv[optind + 1]);
	if (optind < argc) {
		if (strcmp(argv[optind], "on") && strcmp(argv[optind], "off"))
			return cvm_usage_error("`%s': on or off", argv[optind]);
		l.flags = CVMSTAT_LATENCY_SET;
		l.on = !strcmp(argv[optind], "on");
	}
	fd = cvm_dev_open_mode(&ver, l.flags ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return -fd;
	if (cvm_need_latency(&ver)) {
		close(fd);
		return EXIT_NOMODULE;
	}
	if (ioctl(fd, CVMSTAT_IOC_LATENCY, &l)) {
		cvm_err("%s: %s", l.flags ? "switching" : "asking",
			strerror(errno));
		ret = cvm_errno_exit(errno);
	} else {
		printf("exit-handling time: %s", l.on ? "on" : "off");
		if (l.on)
			printf(" (%llu KiB held)", (unsigned long long)l.bytes >> 10);
		printf("\n");
	}
	close(fd);
	return ret;
}

const struct cvm_command cvm_cmd_latency = {
	.name = "latency",
	.main = latency_main,
	.summary = "switch exit-handling time on or off, or show whether it is on",
	.usage =
	"Usage: cvmstat latency [on | off]\n"
	"\n"
	"Exit-handling time is the time from a vCPU's exit (kvm_exit) to its next\n"
	"entry (kvm_entry): KVM's handling, and the VMM's when the exit went to\n"
	"userspace.  On, cvmstat.ko times every exit per vCPU and reason, split by\n"
	"in the kernel and via userspace (`cvmstat show --latency`); it costs\n"
	"memory (shown) and some instructions per exit.  Off (the default), it\n"
	"costs nothing and the times are freed.  Counting never stops.  Also the\n"
	"module parameter latency (load cvmstat.ko with latency=1).\n"
	"\n"
	"  -h, --help  this help\n",
};

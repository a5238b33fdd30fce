// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat plot: pictures of a recording.  The drawing is matplotlib's, in
 * cvmstat-plot.py; this checks the arguments and runs it with python3.  The
 * script is looked for next to the cvmstat binary (a source tree), then in
 * CVMSTAT_DATADIR (an installation); $CVMSTAT_PLOT_SCRIPT overrides both,
 * $CVMSTAT_PYTHON the interpreter (default /usr/bin/python3).  A recording
 * with exit-handling times goes through cvm_summary() first (cmd_summary.c),
 * whose CSV the script gets as an inherited file: the percentiles are
 * computed once, in latency.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/mman.h>

#include "commands.h"
#include "dev.h"
#include "fields.h"

#ifndef CVMSTAT_DATADIR
#define CVMSTAT_DATADIR "/usr/share/cvmstat"
#endif

static const char *plot_script(char *buf, size_t len)
{
	const char *env = getenv("CVMSTAT_PLOT_SCRIPT");
	char *slash;
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", buf, len - 1);
	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash && (size_t)(slash - buf) + sizeof("/cvmstat-plot.py") <= len) {
			strcpy(slash, "/cvmstat-plot.py");
			if (!access(buf, R_OK))
				return buf;
		}
	}
	return CVMSTAT_DATADIR "/cvmstat-plot.py";
}

/*
 * When @path is a recording with exit-handling times (a lo_ns column), its
 * summary as CSV in a file this process's exec keeps open, named in @name
 * (/proc/self/fd/N); else @name empty.  0 or an exit code (printed).
 */
static int summary_file(const char *path, char *name, size_t len)
{
	char line[4096];
	FILE *in, *out;
	int fd, ret;

	*name = '\0';
	in = fopen(path, "re");
	if (!in)
		return EXIT_OK;		/* the script says why */
	if (!fgets(line, sizeof(line), in) || !strstr(line, ",lo_ns,")) {
		fclose(in);
		return EXIT_OK;
	}
	rewind(in);
	fd = memfd_create("cvmstat-summary", 0);	/* kept across exec */
	out = fd < 0 ? NULL : fdopen(fd, "w+");
	if (!out) {
		cvm_err("plot: summary: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		fclose(in);
		return EXIT_SYSTEM;
	}
	ret = cvm_summary(in, path, 0, -1, out, CVM_VIEW_CSV);
	fclose(in);
	if (!ret && fflush(out)) {
		cvm_err("plot: summary: %s", strerror(errno));
		ret = EXIT_SYSTEM;
	}
	if (ret) {
		fclose(out);
		return ret;
	}
	/* the FILE is left open: its descriptor is the script's input */
	snprintf(name, len, "/proc/self/fd/%d", fd);
	return EXIT_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcasecmp(s + a - b, suffix);
}

static int plot_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *top = "6", *script, *python;
	char buf[PATH_MAX], summary[64];
	char *end;
	long n;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, ":o:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 't':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 1 || n > 9)
				return cvm_usage_error("--top takes 1 to 9 reasons, not `%s'",
						       optarg);
			top = optarg;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_plot, stdout);
			return EXIT_OK;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (optind + 1 != argc)
		return cvm_usage_error(optind < argc ? "one RUN.csv only" :
				       "no recording (RUN.csv)");
	if (!out)
		return cvm_usage_error("no output: -o RUN.svg or -o RUN.png");
	if (!ends_with(out, ".svg") && !ends_with(out, ".png"))
		return cvm_usage_error("the output is .svg or .png, not `%s'", out);
	script = plot_script(buf, sizeof(buf));
	if (access(script, R_OK)) {
		cvm_err("plot: %s: %s", script, strerror(errno));
		return EXIT_SYSTEM;
	}
	ret = summary_file(argv[optind], summary, sizeof(summary));
	if (ret)
		return ret;
	python = getenv("CVMSTAT_PYTHON");
	if (!python || !*python)
		python = "/usr/bin/python3";	/* the one Debian's matplotlib is for */
	fflush(stdout);
	execlp(python, python, script, argv[optind], out, top,
	       *summary ? summary : (char *)NULL, (char *)NULL);
	cvm_err("plot: %s: %s", python, strerror(errno));
	return errno == ENOENT ? EXIT_CMD_NOTFOUND : EXIT_CMD_NOEXEC;
}

const struct cvm_command cvm_cmd_plot = {
	.name = "plot",
	.main = plot_main,
	.summary = "draw a recording (SVG or PNG, matplotlib)",
	.usage =
	"Usage: cvmstat plot RUN.csv -o RUN.svg|RUN.png [--top N]\n"
	"\n"
	"Draws a `cvmstat record` CSV with matplotlib: exits per phase stacked by\n"
	"reason (the N most frequent, default 6, the rest as \"other\"), as counts\n"
	"and as rates, and the exit rate over time per reason with the phases\n"
	"shaded and named; for a recording made with --latency also p50 and p99\n"
	"exit-handling time per reason and phase (as `cvmstat summary` gives\n"
	"them).  Needs python3 and python3-matplotlib.\n"
	"\n"
	"  -o, --output FILE   the picture; .svg or .png picks the format\n"
	"  -t, --top N         reasons drawn by name, 1 to 9 (default 6)\n",
};

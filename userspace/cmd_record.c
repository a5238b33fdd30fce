// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat record: counter deltas as CSV or JSON lines, every interval and at
 * every phase mark, until a command exits or SIGINT/SIGTERM.  With --sweep
 * the command runs once per value of a halt-polling setting, each run its
 * own phase (sweep.c).
 *
 * One poll() loop waits on the device (a new mark wakes it at once), a
 * signalfd (SIGCHLD, SIGINT, SIGTERM) and the next interval.  The command
 * is started only after the baseline is taken, so everything it makes the
 * VMs do is recorded.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "dev.h"
#include "hpctl.h"
#include "recorder.h"
#include "sweep.h"

static int src_list_vms(void *ctx, struct cvmstat_vm_info **vms)
{
	return cvm_list_vms(*(int *)ctx, vms);
}

static int src_read_vm(void *ctx, uint64_t vm_id, uint64_t phase,
		       struct cvm_vm_read *out)
{
	return cvm_read_vm(*(int *)ctx, vm_id, phase, out);
}

static int src_read_lat(void *ctx, uint64_t vm_id, struct cvm_vm_read *out)
{
	return cvm_read_vm_flags(*(int *)ctx, vm_id, 0,
				 cvm_read_flags | CVMSTAT_READ_LATENCY, out);
}

static int src_list_marks(void *ctx, uint64_t after,
			  struct cvmstat_phase *marks, uint64_t *last,
			  uint32_t *lost)
{
	return cvm_phase_list(*(int *)ctx, after, marks, last, lost);
}

static int src_list_hp_events(void *ctx, uint64_t after,
			      struct cvmstat_hp_event *evs, uint64_t *last,
			      uint32_t *lost)
{
	return cvm_hp_events(*(int *)ctx, after, evs, last, lost);
}

static void src_read_hp_globals(void *ctx, uint32_t *vals, bool *have)
{
	int i;

	(void)ctx;
	for (i = 0; i < CVM_HP_NR_GLOBAL; i++)
		have[i] = !cvm_hp_read(i, &vals[i]);
}

/*
 * Starts @argv with the signals the recorder blocks unblocked again.  An
 * exec failure comes back through a close-on-exec pipe, so "command not
 * found" is told apart from the command's own exit status.
 */
static pid_t spawn(char **argv, const sigset_t *orig, int *exit_code)
{
	int pfd[2], err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		cvm_err("pipe: %s", strerror(errno));
		*exit_code = EXIT_SYSTEM;
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		cvm_err("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		*exit_code = EXIT_SYSTEM;
		return -1;
	}
	if (!pid) {
		sigprocmask(SIG_SETMASK, orig, NULL);
		close(pfd[0]);
		execvp(argv[0], argv);
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(EXIT_CMD_NOEXEC);
		_exit(EXIT_CMD_NOEXEC);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(err)) {
		waitpid(pid, NULL, 0);
		cvm_err("%s: %s", argv[0], strerror(err));
		*exit_code = err == ENOENT ? EXIT_CMD_NOTFOUND : EXIT_CMD_NOEXEC;
		return -1;
	}
	return pid;
}

struct rec_opts {
	const char *path;
	uint64_t interval;
	pid_t pid;
	enum cvm_view_format format;
	bool latency;			/* --latency: the lat_* rows too */
	char **command;
	struct cvm_sweep sweep;		/* n = 0: no sweep */
};

static int parse(int argc, char **argv, struct rec_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "vm", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "sweep", required_argument, NULL, 's' },
		{ "latency", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "+:o:i:p:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (!*optarg)
				return cvm_usage_error("empty output file name");
			o->path = optarg;
			break;
		case 'i':
			ret = cvm_opt_interval(optarg, &o->interval);
			if (ret)
				return ret;
			break;
		case 'p':
			ret = cvm_opt_pid(optarg, &o->pid);
			if (ret)
				return ret;
			break;
		case 'f':
			if (cvm_view_parse(optarg, &o->format) ||
			    o->format == CVM_VIEW_TEXT)
				return cvm_usage_error("invalid format `%s' (csv or json)", optarg);
			break;
		case 's':
			if (o->sweep.n)
				return cvm_usage_error("one --sweep only");
			ret = cvm_sweep_parse(optarg, &o->sweep);
			if (ret)
				return ret;
			break;
		case 'L':
			o->latency = true;
			break;
		case 'h':
			cvm_print_usage(&cvm_cmd_record, stdout);
			return -1;
		default:
			return cvm_bad_option(opt, argc, argv);
		}
	}
	if (!o->path)
		return cvm_usage_error("no output file (-o FILE, or -o - for standard output)");
	o->command = optind < argc ? argv + optind : NULL;
	if (o->sweep.n && !o->command)
		return cvm_usage_error("--sweep needs a COMMAND to run per value");
	if (o->sweep.n && (o->sweep.param == CVM_HP_VM) != !!o->pid)
		return cvm_usage_error(o->pid ? "--vm PID sweeps vm_halt_poll_ns only" :
				       "vm_halt_poll_ns needs --vm PID");
	o->sweep.pid = o->pid;
	return 0;
}

/* --vm PID: the process must exist; its VM may come later. */
static int check_vmm(int fd, pid_t pid)
{
	struct cvmstat_vm_info *vms;
	int i, n = cvm_list_vms(fd, &vms);
	bool found = false;

	if (n < 0)
		return -n;
	for (i = 0; i < n; i++)
		found |= vms[i].pid == pid;
	free(vms);
	if (!found && kill(pid, 0) && errno == ESRCH) {
		cvm_err("no VM of process %d, and no such process", pid);
		return EXIT_NOVM;
	}
	return 0;
}

struct loop {
	struct cvm_recorder *rec;
	const char *path;
	pid_t child;
	int status;		/* the command's, as waitpid() gives it */
	bool done;
	int signal;		/* SIGINT or SIGTERM came: no further run */
};

static int output_error(const struct loop *l)
{
	cvm_err("writing %s: %s", l->path, strerror(-l->rec->err));
	return EXIT_SYSTEM;
}

static void on_signal(struct loop *l, int sigfd)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (l->child > 0 &&
			    waitpid(l->child, &l->status, WNOHANG) == l->child)
				l->done = true;
		} else if (l->child > 0) {
			/* The command ends the recording: pass it on. */
			kill(l->child, si.ssi_signo);
			l->signal = si.ssi_signo;
		} else {
			l->done = true;
			l->signal = si.ssi_signo;
		}
	}
}

static int run(struct loop *l, int fd, int sigfd, uint64_t interval)
{
	uint64_t next = cvm_now_ns() + interval;
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = sigfd, .events = POLLIN },
	};
	int ret;

	while (!l->done) {
		uint64_t now = cvm_now_ns();
		int timeout = now >= next ? 0 :
			      (int)((next - now + 999999) / 1000000);

		if (poll(p, 2, timeout) < 0 && errno != EINTR) {
			cvm_err("poll: %s", strerror(errno));
			return -EXIT_SYSTEM;
		}
		if (p[1].revents & POLLIN)
			on_signal(l, sigfd);
		if (p[0].revents & POLLIN) {
			ret = cvm_rec_marks(l->rec);
			if (ret)
				return ret;
		}
		now = cvm_now_ns();
		if (now >= next && !l->done) {
			ret = cvm_rec_interval(l->rec);
			if (ret)
				return ret;
			while (next <= now)
				next += interval;
		}
	}
	/* The last rows: everything up to the command's exit. */
	return cvm_rec_finish(l->rec);
}

/*
 * Guest marks count only for VMs a reader opted in (ABI 1.2): the recorded
 * ones, for as long as this file is open.  A module without the opt-in
 * takes every guest's marks anyway.
 */
static int opt_in_guest_marks(int fd, const struct cvmstat_version *ver,
			      pid_t pid)
{
	struct cvmstat_guest_marks g = {
		.size = sizeof(g),
		.flags = pid ? 0 : CVMSTAT_GUEST_MARKS_ALL,
		.pid = pid,
	};

	if (!(ver->features & CVMSTAT_FEAT_GUEST_MARKS_OPTIN))
		return EXIT_OK;
	if (ioctl(fd, CVMSTAT_IOC_GUEST_MARKS, &g)) {
		cvm_err("taking guest phase marks: %s", strerror(errno));
		return cvm_errno_exit(errno);
	}
	return EXIT_OK;
}

/*
 * --latency: the module must time exits; while timing is off there is
 * nothing to write yet, which is worth a warning.
 */
static int check_latency(int fd, const struct cvmstat_version *ver)
{
	struct cvmstat_latency l = { .size = sizeof(l) };

	if (cvm_need_latency(ver))
		return EXIT_NOMODULE;
	if (ioctl(fd, CVMSTAT_IOC_LATENCY, &l)) {
		cvm_err("asking whether exits are timed: %s", strerror(errno));
		return cvm_errno_exit(errno);
	}
	if (!l.on)
		cvm_err("warning: exit-handling time is off: no lat_* rows until `cvmstat latency on`");
	return EXIT_OK;
}

/* The command's exit status as cvmstat's. */
static int child_code(const struct loop *l)
{
	return WIFEXITED(l->status) ? WEXITSTATUS(l->status) :
	       128 + WTERMSIG(l->status);
}

/*
 * --sweep: per value, a host mark named after it (handled at once, so the
 * phase before ends exactly there), the value, one run of the command.
 * Stops at the first run that fails or a signal; the setting is put back
 * whatever happened.  Returns 0 and the command's status in *@code, or
 * -(exit code) when recording failed.
 */
static int run_sweep(struct loop *l, struct rec_opts *o, int fd, int sigfd,
		     const sigset_t *orig, int *code)
{
	struct cvmstat_phase_mark m;
	int k, ret = 0, end;

	*code = EXIT_OK;
	for (k = 0; k < o->sweep.n && !ret && !*code; k++) {
		/* a signal between two runs: no further run */
		on_signal(l, sigfd);
		if (l->signal) {
			*code = 128 + l->signal;
			break;
		}
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		cvm_sweep_phase_name(&o->sweep, k, m.name, sizeof(m.name));
		if (ioctl(fd, CVMSTAT_IOC_PHASE_MARK, &m)) {
			cvm_err("marking phase %s: %s", m.name, strerror(errno));
			ret = -cvm_errno_exit(errno);
			break;
		}
		ret = cvm_rec_marks(l->rec);
		if (ret)
			break;
		*code = cvm_sweep_set(&o->sweep, fd, k, l->rec);
		if (*code)
			break;
		l->done = false;
		l->child = spawn(o->command, orig, code);
		if (l->child < 0)
			break;
		ret = run(l, fd, sigfd, o->interval);
		if (ret) {
			if (!l->done)
				waitpid(l->child, &l->status, 0);
			break;
		}
		*code = child_code(l);
		l->child = -1;
	}
	end = cvm_sweep_end(&o->sweep, fd, l->rec);
	if (!ret)
		ret = cvm_rec_interval(l->rec);	/* the rows of putting it back */
	if (!*code)
		*code = end;
	return ret;
}

/* the output's stdio buffer (record_main) */
static char outbuf[256 << 10];

static int record_main(int argc, char **argv)
{
	struct rec_opts o = {
		.interval = 1000000000ULL, .format = CVM_VIEW_CSV,
	};
	struct cvmstat_version ver;
	struct cvm_recorder rec = { 0 };
	struct loop l = { .rec = &rec, .child = -1 };
	struct cvm_out out;
	sigset_t mask, orig;
	int fd, sigfd = -1, ret, code = EXIT_OK;
	FILE *f = NULL;

	ret = parse(argc, argv, &o);
	if (ret) {
		cvm_sweep_free(&o.sweep);
		return ret < 0 ? EXIT_OK : ret;
	}
	fd = cvm_dev_open_mode(&ver, O_RDWR);
	if (fd < 0) {
		cvm_sweep_free(&o.sweep);
		return -fd;
	}
	if (o.pid) {
		code = check_vmm(fd, o.pid);
		if (code)
			goto out_dev;
	}
	if (o.sweep.n) {
		code = cvm_sweep_begin(&o.sweep, fd);
		if (code)
			goto out_dev;
	}
	code = opt_in_guest_marks(fd, &ver, o.pid);
	if (!code && o.latency)
		code = check_latency(fd, &ver);
	if (code)
		goto out_dev;
	l.path = strcmp(o.path, "-") ? o.path : "standard output";
	f = strcmp(o.path, "-") ? fopen(o.path, "we") : stdout;
	if (!f) {
		cvm_err("cannot open %s: %s", o.path, strerror(errno));
		code = EXIT_SYSTEM;
		goto out_dev;
	}
	/*
	 * A busy VM's interval is hundreds of KiB: in stdio's default 4 KiB
	 * that is a write() every 40 rows.  Static: stdout is flushed at
	 * exit, after this function.  Nothing was written to @f yet.
	 */
	setvbuf(f, outbuf, _IOFBF, sizeof(outbuf));
	cvm_out_init(&out, f, o.format);
	if (o.latency)
		cvm_out_latency(&out);
	rec.src = (struct cvm_source){
		.ctx = &fd,
		.list_vms = src_list_vms,
		.read_vm = src_read_vm,
		.list_marks = src_list_marks,
		.list_hp_events = ver.features & CVMSTAT_FEAT_HALTPOLL ?
				  src_list_hp_events : NULL,
		.read_hp_globals = src_read_hp_globals,
		.read_lat = o.latency ? src_read_lat : NULL,
	};
	rec.out = &out;
	rec.pid = o.pid;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &orig);
	sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0) {
		cvm_err("signalfd: %s", strerror(errno));
		code = EXIT_SYSTEM;
		goto out_file;
	}
	if (cvm_out_header(&out) || cvm_out_flush(&out)) {
		rec.err = -(errno ? errno : EIO);
		code = output_error(&l);
		goto out_file;
	}
	ret = cvm_rec_start(&rec);
	if (ret) {
		code = -ret;
		goto out_file;
	}
	if (o.sweep.n) {
		ret = run_sweep(&l, &o, fd, sigfd, &orig, &code);
		if (ret)
			code = rec.err ? output_error(&l) : -ret;
		goto out_warn;
	}
	if (o.command) {
		l.child = spawn(o.command, &orig, &code);
		if (l.child < 0)
			goto out_file;
	}
	ret = run(&l, fd, sigfd, o.interval);
	if (ret) {
		code = rec.err ? output_error(&l) : -ret;
		/* Recording failed; the command is left to finish. */
		if (l.child > 0 && !l.done)
			waitpid(l.child, &l.status, 0);
	} else if (l.child > 0) {
		code = child_code(&l);
	}
out_warn:
	if (rec.inexact || rec.lost)
		cvm_err("warning: %u marks inexact, %u lost (see mark_inexact rows)",
			rec.inexact, rec.lost);
out_file:
	if (f && f != stdout && fclose(f) && !code) {
		cvm_err("writing %s: %s", o.path, strerror(errno));
		code = EXIT_SYSTEM;
	}
	if (sigfd >= 0)
		close(sigfd);
	cvm_rec_free(&rec);
out_dev:
	/* whatever ended it, a sweep's setting goes back */
	if (cvm_sweep_end(&o.sweep, fd, NULL) && !code)
		code = EXIT_SYSTEM;
	cvm_sweep_free(&o.sweep);
	close(fd);
	return code;
}

const struct cvm_command cvm_cmd_record = {
	.name = "record",
	.main = record_main,
	.summary = "record counter deltas by phase as CSV or JSON lines",
	.usage =
	"Usage: cvmstat record -o FILE [-i SECONDS] [--vm PID] [--format csv|json]\n"
	"                      [--sweep NAME=V1,V2,...] [--latency]\n"
	"                      [-- COMMAND [ARGS...]]\n"
	"\n"
	"Writes every counter's change, per VM and vCPU, every interval and at\n"
	"every phase mark (`cvmstat phase NAME` on the host, or a guest's byte\n"
	"to the phase port), attributed to the phase it happened in.  Runs\n"
	"until COMMAND exits (its exit status is cvmstat's), or until SIGINT or\n"
	"SIGTERM without one.  Columns: time_ns,time,phase_seq,phase,vm_id,pid,\n"
	"vcpu,kind,key,dir,name,count (cvmstat(8), OUTPUT); with --latency\n"
	"also lo_ns,hi_ns.\n"
	"\n"
	"  -o, --output FILE     the file to write (- for standard output)\n"
	"  -i, --interval SECS   write and flush every SECS seconds (default 1)\n"
	"  --vm PID              only the VMs of VMM process PID\n"
	"  -f, --format FORMAT   csv (default) or json (one object per line)\n"
	"  --sweep NAME=V1,...   run COMMAND once per value of halt-polling setting\n"
	"                        NAME (halt_poll_ns, halt_poll_ns_grow,\n"
	"                        halt_poll_ns_grow_start, halt_poll_ns_shrink, or\n"
	"                        vm_halt_poll_ns with --vm), each run the phase\n"
	"                        \"NAME=V\"; the setting is put back at the end,\n"
	"                        also on an error, SIGINT or SIGTERM\n"
	"  --latency             also the exit-handling times (`cvmstat latency on`):\n"
	"                        lat_count, lat_sum, lat_min, lat_max, lat_lost and\n"
	"                        one lat_bucket row per histogram bucket with its\n"
	"                        bounds in the columns lo_ns and hi_ns, per phase:\n"
	"                        at each mark and at the end (`cvmstat summary FILE`)\n"
	"  -h, --help            this help\n",
};

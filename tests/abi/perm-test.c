// SPDX-License-Identifier: GPL-2.0
/*
 * perm-test: who may change cvmstat's state.  Reading (VERSION, LIST_VMS,
 * READ_VM, PHASE_LIST) needs only a descriptor; RESET, PHASE_MARK,
 * GUEST_MARKS and HP_SET need a descriptor opened for writing (else EBADF) and
 * CAP_SYS_ADMIN (else EPERM), so that opening the device to a monitoring
 * group (mode 0640 or a copy of the node) never lets a reader wipe
 * counters, inject marks or let guests mark.
 *
 *   perm-test VM_ID
 *
 * Runs inside the test guest as root; VM_ID is an exited VM it may
 * forget (reset).  An unprivileged user (uid/gid 65534, no groups, hence
 * no capabilities) gets a copy of /dev/cvmstat, mode 0666, in a fresh
 * directory.  After every refused call the VM's counters and the marks are
 * checked unchanged.  Prints TAP; exit status 1 if anything failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/cvmstat.h>

#define NOBODY	65534
#define DEV	"/dev/cvmstat"
#define DIR	"/tmp/perm-test"
#define COPY	DIR "/cvmstat"

/* shared with the unprivileged child, so that tests number on */
static struct counts {
	int tests, failed;
} *n;
static uint64_t vm_id;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	n->tests++;
	if (!ok)
		n->failed++;
	printf("%sok %d - ", ok ? "" : "not ", n->tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static const char *result(int ret)
{
	return ret ? strerror(errno) : "success";
}

/* ioctl(@fd, @cmd) must give @err (0: succeed). */
static void expect(int fd, unsigned long cmd, void *arg, int err, const char *what)
{
	int ret = ioctl(fd, cmd, arg);

	if (err)
		check(ret == -1 && errno == err, "%s -> %s (got %s)", what,
		      strerror(err), result(ret));
	else
		check(ret == 0, "%s -> success (got %s)", what, result(ret));
}

/* Refused with EBADF or EPERM: which one comes first is not specified. */
static void expect_refused(int fd, unsigned long cmd, void *arg, const char *what)
{
	int ret = ioctl(fd, cmd, arg);

	check(ret == -1 && (errno == EBADF || errno == EPERM),
	      "%s -> EBADF or EPERM (got %s)", what, result(ret));
}

static struct cvmstat_reset reset_of(uint64_t id, uint32_t flags)
{
	struct cvmstat_reset r = { .size = sizeof(r), .flags = flags, .vm_id = id };

	return r;
}

static struct cvmstat_phase_mark mark_named(const char *name)
{
	struct cvmstat_phase_mark m = { .size = sizeof(m) };

	snprintf(m.name, sizeof(m.name), "%s", name);
	return m;
}

/* The newest mark's number, -1 on error. */
static long long last_mark(int fd)
{
	struct cvmstat_phase_list l = { .size = sizeof(l) };

	return ioctl(fd, CVMSTAT_IOC_PHASE_LIST, &l) ? -1 : (long long)l.last;
}

/* The VM's records (up to 64) into @r; their number, -1 if no such VM. */
static int read_vm(int fd, struct cvmstat_record *r)
{
	struct cvmstat_read rd = {
		.size = sizeof(rd), .vm_id = vm_id, .nr = 64,
		.records = (uintptr_t)r,
	};

	memset(r, 0, 64 * sizeof(*r));
	return ioctl(fd, CVMSTAT_IOC_READ_VM, &rd) ? -1 : (int)rd.nr;
}

/* The reading commands all work on @fd. */
static void reads_work(int fd, const char *who)
{
	struct cvmstat_version v = { .size = sizeof(v) };
	struct cvmstat_vm_info infos[8];
	struct cvmstat_vm_list l = {
		.size = sizeof(l), .nr = 8, .vms = (uintptr_t)infos,
	};
	struct cvmstat_record recs[64];
	struct cvmstat_read r = {
		.size = sizeof(r), .vm_id = vm_id, .nr = 64,
		.records = (uintptr_t)recs,
	};
	char what[128];

	snprintf(what, sizeof(what), "%s: VERSION", who);
	expect(fd, CVMSTAT_IOC_VERSION, &v, 0, what);
	check(v.abi_major == CVMSTAT_ABI_MAJOR, "%s: VERSION reports ABI %u", who,
	      v.abi_major);
	snprintf(what, sizeof(what), "%s: LIST_VMS", who);
	expect(fd, CVMSTAT_IOC_LIST_VMS, &l, 0, what);
	snprintf(what, sizeof(what), "%s: READ_VM", who);
	expect(fd, CVMSTAT_IOC_READ_VM, &r, 0, what);
	check(r.nr > 1, "%s: READ_VM returns the VM's records (%u)", who, r.nr);
	check(last_mark(fd) >= 0, "%s: PHASE_LIST", who);
}

/* What the refused calls must not have changed. */
struct state {
	struct cvmstat_record recs[64];
	int nr;
	long long last;
};

static struct state state_now(int fd)
{
	struct state s;

	s.nr = read_vm(fd, s.recs);
	s.last = last_mark(fd);
	return s;
}

static void unchanged(int fd, const struct state *before, const char *who)
{
	struct state now = state_now(fd);

	check(now.nr == before->nr && now.nr > 1 &&
	      !memcmp(now.recs, before->recs, now.nr * sizeof(now.recs[0])),
	      "%s: the VM's counters are unchanged (%d records, were %d)", who,
	      now.nr, before->nr);
	check(now.last == before->last && now.last >= 0,
	      "%s: no mark was made (newest %lld, was %lld)", who, now.last,
	      before->last);
}

/* Every way to change the state, on @fd, refused with @err (0: EBADF or EPERM). */
static void writes_refused(int fd, int err, const char *who)
{
	struct cvmstat_reset r = reset_of(vm_id, 0);
	struct cvmstat_reset all = reset_of(0, CVMSTAT_RESET_ALL);
	struct cvmstat_phase_mark m = mark_named("perm-test, refused");
	struct cvmstat_guest_marks g = {
		.size = sizeof(g), .flags = CVMSTAT_GUEST_MARKS_ALL,
	};
	/* ABI 1.3: a VM's halt-polling maximum (refused before the VM is looked at) */
	struct cvmstat_hp_set hs = {
		.size = sizeof(hs), .op = CVMSTAT_HP_OP_SET, .vm_id = vm_id,
	};
	struct cvmstat_hp_set hr = { .size = sizeof(hr), .op = CVMSTAT_HP_OP_RESTORE };
	struct {
		unsigned long cmd;
		void *arg;
		const char *name;
	} calls[] = {
		{ CVMSTAT_IOC_RESET, &r, "RESET of the VM" },
		{ CVMSTAT_IOC_RESET, &all, "RESET_ALL" },
		{ CVMSTAT_IOC_PHASE_MARK, &m, "PHASE_MARK" },
		{ CVMSTAT_IOC_GUEST_MARKS, &g, "GUEST_MARKS for every VM" },
		{ CVMSTAT_IOC_HP_SET, &hs, "HP_SET of the VM" },
		{ CVMSTAT_IOC_HP_SET, &hr, "HP_SET RESTORE of every VM" },
	};
	struct state before = state_now(fd);
	char what[128];
	size_t i;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		snprintf(what, sizeof(what), "%s: %s", who, calls[i].name);
		if (err)
			expect(fd, calls[i].cmd, calls[i].arg, err, what);
		else
			expect_refused(fd, calls[i].cmd, calls[i].arg, what);
	}
	unchanged(fd, &before, who);
}

/* The unprivileged user's part, in a child. */
static int as_nobody(void)
{
	int ro, rw;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		perror("perm-test: dropping privileges");
		return 2;
	}
	check(geteuid() == NOBODY && getegid() == NOBODY,
	      "now uid %d gid %d, no capabilities", (int)geteuid(), (int)getegid());
	ro = open(DEV, O_RDONLY);
	check(ro < 0 && errno == EACCES, "nobody: open %s -> EACCES (got %s)", DEV,
	      ro < 0 ? strerror(errno) : "success");
	ro = open(COPY, O_RDONLY);
	rw = open(COPY, O_RDWR);
	check(ro >= 0 && rw >= 0, "nobody: opens the 0666 copy, read-only and read-write");
	if (ro < 0 || rw < 0)
		return 1;
	reads_work(ro, "nobody, read-only");
	reads_work(rw, "nobody, read-write");
	writes_refused(ro, 0, "nobody, read-only");
	writes_refused(rw, EPERM, "nobody, read-write");
	return 0;
}

int main(int argc, char **argv)
{
	struct cvmstat_reset r;
	struct cvmstat_phase_mark m;
	struct stat st;
	long long last;
	char *end;
	pid_t pid;
	int status, ro, rw;

	if (argc != 2 || (vm_id = strtoull(argv[1], &end, 0), *end) || !vm_id) {
		fprintf(stderr, "usage: perm-test VM_ID\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = mmap(NULL, sizeof(*n), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (n == MAP_FAILED) {
		perror("perm-test: mmap");
		return 2;
	}
	if (stat(DEV, &st) || !S_ISCHR(st.st_mode)) {
		perror("perm-test: " DEV);
		return 2;
	}
	/* a copy of the node for the unprivileged user */
	if ((mkdir(DIR, 0755) && errno != EEXIST) || chmod(DIR, 0755) ||
	    (unlink(COPY) && errno != ENOENT) ||
	    mknod(COPY, S_IFCHR | 0666, st.st_rdev) || chmod(COPY, 0666)) {
		perror("perm-test: " COPY);
		return 2;
	}
	ro = open(DEV, O_RDONLY);
	rw = open(DEV, O_RDWR);
	if (ro < 0 || rw < 0) {
		perror("perm-test: " DEV);
		return 2;
	}
	reads_work(ro, "root, read-only");

	/* the unprivileged user, then root on a read-only descriptor */
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("perm-test: fork");
		return 2;
	}
	if (!pid) {
		_exit(as_nobody());
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("perm-test: waitpid");
		return 2;
	}
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the unprivileged part ran to its end (status %#x)", status);
	writes_refused(ro, EBADF, "root, read-only");

	/* root with a read-write descriptor may */
	m = mark_named("perm-test, root");
	last = last_mark(rw);
	expect(rw, CVMSTAT_IOC_PHASE_MARK, &m, 0, "root, read-write: PHASE_MARK");
	check(last >= 0 && (long long)m.seq == last + 1 && last_mark(rw) == last + 1,
	      "root, read-write: the mark is made (%llu after %lld)",
	      (unsigned long long)m.seq, last);
	{
		struct cvmstat_guest_marks g = {
			.size = sizeof(g), .flags = CVMSTAT_GUEST_MARKS_ALL,
		};

		expect(rw, CVMSTAT_IOC_GUEST_MARKS, &g, 0,
		       "root, read-write: GUEST_MARKS for every VM");
		g.flags = 0;
		expect(rw, CVMSTAT_IOC_GUEST_MARKS, &g, 0,
		       "root, read-write: GUEST_MARKS for none");
	}
	r = reset_of(vm_id, 0);
	expect(rw, CVMSTAT_IOC_RESET, &r, 0, "root, read-write: RESET of the exited VM");
	{
		struct cvmstat_record recs[64];

		check(read_vm(rw, recs) < 0 && errno == ENOENT,
		      "root, read-write: the exited VM is forgotten");
	}
	unlink(COPY);
	rmdir(DIR);
	printf("1..%d\n# perm-test: %d passed, %d failed\n", n->tests,
	       n->tests - n->failed, n->failed);
	return n->failed ? 1 : 0;
}

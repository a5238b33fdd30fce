// SPDX-License-Identifier: GPL-2.0
/*
 * abi-test: every error path of the /dev/cvmstat ioctls returns the errno
 * that include/uapi/linux/cvmstat.h documents.  Runs inside the test guest,
 * as root, after at least one VM was counted (its vm_id is argv[1]); with
 * a second vm_id, of a live VM cvmstat has not changed, also the paths of
 * the halt-polling ioctls that need one.  Prints TAP; exit status 1 if
 * anything failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/cvmstat.h>

static int fd;
static int nr_tests, nr_failed;

static void check(int ok, const char *what)
{
	nr_tests++;
	if (!ok)
		nr_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", nr_tests, what);
}

/* ioctl must fail with exactly @err */
static void expect_err(unsigned long cmd, void *arg, int err, const char *what)
{
	int ret = ioctl(fd, cmd, arg);
	char buf[256];

	snprintf(buf, sizeof(buf), "%s -> %s (got %s)", what, strerror(err),
		 ret ? strerror(errno) : "success");
	check(ret == -1 && errno == err, buf);
}

static void expect_ok(unsigned long cmd, void *arg, const char *what)
{
	int ret = ioctl(fd, cmd, arg);
	char buf[256];

	snprintf(buf, sizeof(buf), "%s -> success (got %s)", what,
		 ret ? strerror(errno) : "success");
	check(ret == 0, buf);
}

/* An address that faults: a page mapped PROT_NONE. */
static void *bad_ptr(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

/* A zeroed ioctl argument of the right size, to spoil one field of. */
#define fresh(arg)					\
	do {						\
		memset(&(arg), 0, sizeof(arg));		\
		(arg).size = sizeof(arg);		\
	} while (0)

static void test_device(void)
{
	struct stat st;

	check(stat("/dev/cvmstat", &st) == 0 && S_ISCHR(st.st_mode) &&
	      (st.st_mode & 0777) == 0600, "/dev/cvmstat is a char device, mode 0600");
}

static void test_unknown(void)
{
	uint64_t x = 0;

	expect_err(_IO(CVMSTAT_IOC_MAGIC, 0x7f), NULL, ENOTTY, "unknown nr");
	expect_err(_IOWR('k', 0x00, struct cvmstat_version), &x, ENOTTY,
		   "other magic");
	/* the right nr with another size is another command */
	expect_err(_IOWR(CVMSTAT_IOC_MAGIC, 0x00, uint64_t), &x, ENOTTY,
		   "VERSION nr with a wrong size");
}

static void test_version(void)
{
	struct cvmstat_version v;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v) - 8;
	expect_err(CVMSTAT_IOC_VERSION, &v, EINVAL, "VERSION size too small");
	fresh(v);
	v.reserved[1] = 1;
	expect_err(CVMSTAT_IOC_VERSION, &v, EINVAL, "VERSION reserved nonzero");
	fresh(v);
	v.features = 1;
	expect_err(CVMSTAT_IOC_VERSION, &v, EINVAL, "VERSION output field nonzero");
	expect_err(CVMSTAT_IOC_VERSION, bad_ptr(), EFAULT, "VERSION bad address");
	fresh(v);
	expect_ok(CVMSTAT_IOC_VERSION, &v, "VERSION");
	check(v.abi_major == CVMSTAT_ABI_MAJOR && v.abi_minor == CVMSTAT_ABI_MINOR,
	      "VERSION reports the header's ABI");
	check((v.probes_bound & (1U << CVMSTAT_PROBE_KVM_EXIT)) &&
	      (v.features & CVMSTAT_FEAT_VM_LIFETIME),
	      "VERSION: kvm_exit bound, lifetime hooks on");
	check(v.lifetime_missed == 0, "VERSION: no VM destruction missed");
	check(v.vcpu_bytes > 32768 && v.vcpu_bytes < 65536,
	      "VERSION: a vCPU slot's size (key tables for a real guest)");
	check(v.features & CVMSTAT_FEAT_GUEST_MARKS_OPTIN,
	      "VERSION: guest marks are opt-in");
}

static void test_list(void)
{
	struct cvmstat_vm_info infos[64];
	struct cvmstat_vm_list l;

	memset(&l, 0, sizeof(l));
	l.size = sizeof(l) + 8;
	expect_err(CVMSTAT_IOC_LIST_VMS, &l, EINVAL, "LIST size too large");
	fresh(l);
	l.pad = 1;
	expect_err(CVMSTAT_IOC_LIST_VMS, &l, EINVAL, "LIST pad nonzero");
	fresh(l);
	l.reserved[1] = 1;
	expect_err(CVMSTAT_IOC_LIST_VMS, &l, EINVAL, "LIST reserved nonzero");
	fresh(l);
	l.nr = 4;
	l.vms = (uintptr_t)bad_ptr();
	expect_err(CVMSTAT_IOC_LIST_VMS, &l, EFAULT, "LIST bad array address");
	fresh(l);
	expect_ok(CVMSTAT_IOC_LIST_VMS, &l, "LIST with nr 0");
	check(l.nr == 0 && l.total > 0, "LIST nr 0: nothing written, total > 0");
	l.nr = 64;
	l.total = 0;
	l.vms = (uintptr_t)infos;
	expect_ok(CVMSTAT_IOC_LIST_VMS, &l, "LIST");
}

static void test_read(uint64_t vm_id)
{
	struct cvmstat_record recs[4];
	struct cvmstat_read r;
	uint32_t needed;

	memset(&r, 0, sizeof(r));
	r.size = 8;
	r.vm_id = vm_id;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL, "READ bad size");
	fresh(r);
	r.vm_id = vm_id;
	r.flags = 1U << 31;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL, "READ unknown flag");
	fresh(r);
	r.vm_id = vm_id;
	r.flags = CVMSTAT_READ_HALTPOLL_STATE;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL,
		   "READ HALTPOLL_STATE without HALTPOLL");
	fresh(r);
	r.vm_id = vm_id;
	r.flags = CVMSTAT_READ_AT_PHASE | CVMSTAT_READ_LATENCY;
	r.phase = 1;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL, "READ AT_PHASE with LATENCY");
	fresh(r);
	r.vm_id = vm_id;
	r.phase = 1;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL, "READ phase without AT_PHASE");
	fresh(r);
	r.vm_id = vm_id;
	r.flags = CVMSTAT_READ_AT_PHASE;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL, "READ AT_PHASE mark 0");
	r.phase = ~0ULL;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL, "READ AT_PHASE future mark");
	fresh(r);
	r.vm_id = vm_id;
	r.reserved[0] = 1;
	expect_err(CVMSTAT_IOC_READ_VM, &r, EINVAL, "READ reserved nonzero");
	fresh(r);
	r.vm_id = ~0ULL;
	expect_err(CVMSTAT_IOC_READ_VM, &r, ENOENT, "READ unknown vm_id");
	fresh(r);
	r.vm_id = vm_id;
	expect_err(CVMSTAT_IOC_READ_VM, &r, ENOSPC, "READ nr 0");
	needed = r.nr;
	check(needed > 0, "READ nr 0 reports the records needed");
	fresh(r);
	r.vm_id = vm_id;
	r.nr = needed;
	r.records = (uintptr_t)bad_ptr();
	expect_err(CVMSTAT_IOC_READ_VM, &r, EFAULT, "READ bad records address");
	fresh(r);
	r.vm_id = vm_id;
	r.nr = 4;
	r.records = (uintptr_t)recs;
	expect_err(CVMSTAT_IOC_READ_VM, &r, ENOSPC, "READ too small");
	check(r.nr == needed, "READ too small reports the same need");
}

static void test_phases(void)
{
	struct cvmstat_phase_mark m;
	struct cvmstat_phase_list l;
	struct cvmstat_phase marks[4];

	fresh(m);
	expect_err(CVMSTAT_IOC_PHASE_MARK, &m, EINVAL, "PHASE_MARK empty name");
	memset(m.name, 'x', sizeof(m.name));
	expect_err(CVMSTAT_IOC_PHASE_MARK, &m, EINVAL, "PHASE_MARK unterminated name");
	fresh(m);
	strcpy(m.name, "abi");
	m.flags = 1;
	expect_err(CVMSTAT_IOC_PHASE_MARK, &m, EINVAL, "PHASE_MARK flags");
	m.flags = 0;
	m.reserved[1] = 1;
	expect_err(CVMSTAT_IOC_PHASE_MARK, &m, EINVAL, "PHASE_MARK reserved");
	fresh(l);
	l.pad = 1;
	expect_err(CVMSTAT_IOC_PHASE_LIST, &l, EINVAL, "PHASE_LIST pad");
	memset(&l, 0, sizeof(l));
	l.size = sizeof(l) - 8;
	expect_err(CVMSTAT_IOC_PHASE_LIST, &l, EINVAL, "PHASE_LIST bad size");
	fresh(m);
	strcpy(m.name, "abi, \"quoted\"");
	expect_ok(CVMSTAT_IOC_PHASE_MARK, &m, "PHASE_MARK");
	fresh(l);
	l.after = m.seq - 1;
	l.nr = 4;
	l.marks = (uintptr_t)bad_ptr();
	expect_err(CVMSTAT_IOC_PHASE_LIST, &l, EFAULT, "PHASE_LIST bad address");
	fresh(l);
	l.after = m.seq - 1;
	l.nr = 4;
	l.marks = (uintptr_t)marks;
	expect_ok(CVMSTAT_IOC_PHASE_LIST, &l, "PHASE_LIST");
	check(l.nr == 1 && l.last == m.seq && marks[0].seq == m.seq &&
	      marks[0].source == CVMSTAT_PHASE_HOST &&
	      !strcmp(marks[0].name, "abi, \"quoted\""),
	      "PHASE_LIST returns the mark as made");
}

static void test_reset(void)
{
	struct cvmstat_reset r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r) - 8;
	expect_err(CVMSTAT_IOC_RESET, &r, EINVAL, "RESET bad size");
	fresh(r);
	r.flags = 2;
	expect_err(CVMSTAT_IOC_RESET, &r, EINVAL, "RESET unknown flag");
	fresh(r);
	r.flags = CVMSTAT_RESET_ALL;
	r.vm_id = 1;
	expect_err(CVMSTAT_IOC_RESET, &r, EINVAL, "RESET ALL with a vm_id");
	fresh(r);
	r.reserved[0] = 1;
	expect_err(CVMSTAT_IOC_RESET, &r, EINVAL, "RESET reserved nonzero");
	fresh(r);
	r.vm_id = ~0ULL;
	expect_err(CVMSTAT_IOC_RESET, &r, ENOENT, "RESET unknown vm_id");
}

static void test_guest_marks(void)
{
	struct cvmstat_guest_marks g;
	int i;

	memset(&g, 0, sizeof(g));
	g.size = sizeof(g) + 8;
	expect_err(CVMSTAT_IOC_GUEST_MARKS, &g, EINVAL, "GUEST_MARKS bad size");
	fresh(g);
	g.flags = 2;
	expect_err(CVMSTAT_IOC_GUEST_MARKS, &g, EINVAL, "GUEST_MARKS unknown flag");
	fresh(g);
	g.flags = CVMSTAT_GUEST_MARKS_ALL;
	g.pid = 1;
	expect_err(CVMSTAT_IOC_GUEST_MARKS, &g, EINVAL, "GUEST_MARKS ALL with a pid");
	fresh(g);
	g.pid = -2;
	expect_err(CVMSTAT_IOC_GUEST_MARKS, &g, EINVAL, "GUEST_MARKS negative pid");
	fresh(g);
	g.pad = 1;
	expect_err(CVMSTAT_IOC_GUEST_MARKS, &g, EINVAL, "GUEST_MARKS pad nonzero");
	fresh(g);
	g.reserved[1] = 1;
	expect_err(CVMSTAT_IOC_GUEST_MARKS, &g, EINVAL, "GUEST_MARKS reserved nonzero");
	fresh(g);
	g.flags = CVMSTAT_GUEST_MARKS_ALL;
	expect_ok(CVMSTAT_IOC_GUEST_MARKS, &g, "GUEST_MARKS ALL");
	fresh(g);
	g.pid = 424242;
	expect_ok(CVMSTAT_IOC_GUEST_MARKS, &g, "GUEST_MARKS one pid (replaces ALL)");
	fresh(g);
	expect_ok(CVMSTAT_IOC_GUEST_MARKS, &g, "GUEST_MARKS none");
	/* 32 distinct pids at most, over all files */
	for (i = 0; i < 33; i++) {
		int f2 = open("/dev/cvmstat", O_RDWR), ret, err;

		fresh(g);
		g.pid = 500000 + i;
		ret = ioctl(f2, CVMSTAT_IOC_GUEST_MARKS, &g);
		err = errno;
		if (i == 32) {
			check(ret == -1 && err == ENOSPC,
			      "GUEST_MARKS a 33rd distinct pid -> No space left on device");
		} else if (ret) {
			check(0, "GUEST_MARKS 32 distinct pids");
			break;
		}
		/* leaked on purpose until exit: the selections must add up */
		(void)f2;
	}
}

/* The halt-polling ioctls (ABI 1.3); @live: 0, or a live VM's id. */
static void test_haltpoll(uint64_t exited, uint64_t live)
{
	struct cvmstat_hp_event evs[CVMSTAT_HP_EVENT_RING];
	struct cvmstat_hp_events e;
	struct cvmstat_hp_set s;
	struct cvmstat_hp_vm v;
	struct cvmstat_read r;
	struct cvmstat_record recs[512];
	int status;
	pid_t child;

	fresh(v);
	v.vm_id = exited;
	v.size = sizeof(v) - 8;
	expect_err(CVMSTAT_IOC_HP_VM, &v, EINVAL, "HP_VM bad size");
	fresh(v);
	v.vm_id = exited;
	v.flags = 1;
	expect_err(CVMSTAT_IOC_HP_VM, &v, EINVAL, "HP_VM flags nonzero");
	fresh(v);
	v.vm_id = exited;
	v.max_ns = 1;
	expect_err(CVMSTAT_IOC_HP_VM, &v, EINVAL, "HP_VM output field nonzero");
	fresh(v);
	v.vm_id = exited;
	v.reserved[3] = 1;
	expect_err(CVMSTAT_IOC_HP_VM, &v, EINVAL, "HP_VM reserved nonzero");
	fresh(v);
	v.vm_id = ~0ULL;
	expect_err(CVMSTAT_IOC_HP_VM, &v, ENOENT, "HP_VM unknown vm_id");
	fresh(v);
	v.vm_id = exited;
	expect_err(CVMSTAT_IOC_HP_VM, &v, ESRCH, "HP_VM exited VM");
	expect_err(CVMSTAT_IOC_HP_VM, bad_ptr(), EFAULT, "HP_VM bad address");

	fresh(s);
	s.vm_id = exited;
	s.op = CVMSTAT_HP_OP_SET;
	s.size = sizeof(s) + 8;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EINVAL, "HP_SET bad size");
	fresh(s);
	s.vm_id = exited;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EINVAL, "HP_SET op 0");
	s.op = 4;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EINVAL, "HP_SET unknown op");
	s.op = CVMSTAT_HP_OP_CLEAR;
	s.max_ns = 5;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EINVAL, "HP_SET CLEAR with a value");
	fresh(s);
	s.op = CVMSTAT_HP_OP_SET;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EINVAL, "HP_SET vm_id 0 but RESTORE");
	fresh(s);
	s.vm_id = exited;
	s.op = CVMSTAT_HP_OP_SET;
	s.pad = 1;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EINVAL, "HP_SET pad nonzero");
	fresh(s);
	s.vm_id = exited;
	s.op = CVMSTAT_HP_OP_SET;
	s.reserved[1] = 1;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EINVAL, "HP_SET reserved nonzero");
	fresh(s);
	s.vm_id = ~0ULL;
	s.op = CVMSTAT_HP_OP_SET;
	expect_err(CVMSTAT_IOC_HP_SET, &s, ENOENT, "HP_SET unknown vm_id");
	s.vm_id = exited;
	expect_err(CVMSTAT_IOC_HP_SET, &s, ESRCH, "HP_SET exited VM");
	s.op = CVMSTAT_HP_OP_RESTORE;
	expect_err(CVMSTAT_IOC_HP_SET, &s, ESRCH, "HP_SET RESTORE exited VM");
	expect_err(CVMSTAT_IOC_HP_SET, bad_ptr(), EFAULT, "HP_SET bad address");
	fresh(s);
	s.op = CVMSTAT_HP_OP_RESTORE;
	expect_ok(CVMSTAT_IOC_HP_SET, &s, "HP_SET RESTORE of every VM");

	fresh(e);
	e.size = sizeof(e) - 8;
	expect_err(CVMSTAT_IOC_HP_EVENTS, &e, EINVAL, "HP_EVENTS bad size");
	fresh(e);
	e.pad = 1;
	expect_err(CVMSTAT_IOC_HP_EVENTS, &e, EINVAL, "HP_EVENTS pad nonzero");
	fresh(e);
	e.last = 1;
	expect_err(CVMSTAT_IOC_HP_EVENTS, &e, EINVAL, "HP_EVENTS output field nonzero");
	fresh(e);
	e.reserved[0] = 1;
	expect_err(CVMSTAT_IOC_HP_EVENTS, &e, EINVAL, "HP_EVENTS reserved nonzero");
	expect_err(CVMSTAT_IOC_HP_EVENTS, bad_ptr(), EFAULT, "HP_EVENTS bad address");
	fresh(e);
	e.nr = CVMSTAT_HP_EVENT_RING;
	e.events = (uintptr_t)evs;
	expect_ok(CVMSTAT_IOC_HP_EVENTS, &e, "HP_EVENTS");

	fresh(r);
	r.vm_id = exited;
	r.flags = CVMSTAT_READ_HALTPOLL | CVMSTAT_READ_HALTPOLL_STATE;
	r.nr = sizeof(recs) / sizeof(recs[0]);
	r.records = (uintptr_t)recs;
	expect_ok(CVMSTAT_IOC_READ_VM, &r, "READ HALTPOLL|HALTPOLL_STATE");
	if (!live)
		return;

	fresh(v);
	v.vm_id = live;
	expect_ok(CVMSTAT_IOC_HP_VM, &v, "HP_VM live VM");
	check(!(v.state & CVMSTAT_HP_SAVED), "HP_VM: not changed by cvmstat yet");
	fresh(s);
	s.vm_id = live;
	s.op = CVMSTAT_HP_OP_RESTORE;
	expect_err(CVMSTAT_IOC_HP_SET, &s, ENODATA, "HP_SET RESTORE never changed");
	s.op = CVMSTAT_HP_OP_SET;
	s.max_ns = 0xffffffffU;
	expect_ok(CVMSTAT_IOC_HP_SET, &s, "HP_SET 4294967295");
	fresh(v);
	v.vm_id = live;
	expect_ok(CVMSTAT_IOC_HP_VM, &v, "HP_VM after SET");
	check(v.max_ns == 0xffffffffU && v.source == CVMSTAT_HP_SRC_CVMSTAT &&
	      (v.state & CVMSTAT_HP_OVERRIDE) && (v.state & CVMSTAT_HP_SAVED),
	      "HP_VM: the value set, by cvmstat, original saved");
	/* write access and CAP_SYS_ADMIN, not only an open device */
	child = fork();
	if (child == 0) {
		fresh(s);
		s.vm_id = live;
		s.op = CVMSTAT_HP_OP_CLEAR;
		if (setgid(65534) || setuid(65534))
			_exit(3);
		_exit(ioctl(fd, CVMSTAT_IOC_HP_SET, &s) == -1 && errno == EPERM ?
		      0 : 1);
	}
	check(child > 0 && waitpid(child, &status, 0) == child &&
	      WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "HP_SET without CAP_SYS_ADMIN (writable file) -> Operation not permitted");
	fresh(s);
	s.vm_id = live;
	s.op = CVMSTAT_HP_OP_RESTORE;
	expect_ok(CVMSTAT_IOC_HP_SET, &s, "HP_SET RESTORE");
	fresh(v);
	v.vm_id = live;
	expect_ok(CVMSTAT_IOC_HP_VM, &v, "HP_VM after RESTORE");
	check(!(v.state & CVMSTAT_HP_SAVED) && v.source != CVMSTAT_HP_SRC_CVMSTAT,
	      "HP_VM: back as it was");
}

/* Exit-handling time's switch (ABI 1.4); leaves it as it found it. */
static void test_latency(void)
{
	struct cvmstat_latency l;
	uint32_t was;

	memset(&l, 0, sizeof(l));
	l.size = 8;
	expect_err(CVMSTAT_IOC_LATENCY, &l, EINVAL, "LATENCY bad size");
	fresh(l);
	l.flags = 2;
	expect_err(CVMSTAT_IOC_LATENCY, &l, EINVAL, "LATENCY unknown flag");
	fresh(l);
	l.pad = 1;
	expect_err(CVMSTAT_IOC_LATENCY, &l, EINVAL, "LATENCY pad nonzero");
	fresh(l);
	l.reserved[1] = 1;
	expect_err(CVMSTAT_IOC_LATENCY, &l, EINVAL, "LATENCY reserved nonzero");
	fresh(l);
	l.on = 1;
	expect_err(CVMSTAT_IOC_LATENCY, &l, EINVAL, "LATENCY on without SET");
	fresh(l);
	l.flags = CVMSTAT_LATENCY_SET;
	l.on = 2;
	expect_err(CVMSTAT_IOC_LATENCY, &l, EINVAL, "LATENCY on > 1");
	fresh(l);
	expect_ok(CVMSTAT_IOC_LATENCY, &l, "LATENCY query");
	was = l.on;
	fresh(l);
	l.flags = CVMSTAT_LATENCY_SET;
	l.on = 1;
	expect_ok(CVMSTAT_IOC_LATENCY, &l, "LATENCY on");
	check(l.on == 1 && l.bytes > 0, "LATENCY on: on, memory held");
	fresh(l);
	l.flags = CVMSTAT_LATENCY_SET;
	expect_ok(CVMSTAT_IOC_LATENCY, &l, "LATENCY off");
	check(l.on == 0 && l.bytes == 0, "LATENCY off: off, nothing held");
	fresh(l);
	l.flags = CVMSTAT_LATENCY_SET;
	l.on = was;
	expect_ok(CVMSTAT_IOC_LATENCY, &l, "LATENCY back as it was");
}

/* Commands that change state need a file opened for writing. */
static void test_write_needs(void)
{
	struct cvmstat_latency l;
	struct cvmstat_phase_mark m;
	struct cvmstat_reset r;
	struct cvmstat_guest_marks g;
	struct cvmstat_hp_set s;
	int rw = fd;

	fd = open("/dev/cvmstat", O_RDONLY);
	if (fd < 0) {
		perror("/dev/cvmstat");
		exit(2);
	}
	fresh(m);
	strcpy(m.name, "read-only");
	expect_err(CVMSTAT_IOC_PHASE_MARK, &m, EBADF, "PHASE_MARK on a read-only file");
	fresh(r);
	r.flags = CVMSTAT_RESET_ALL;
	expect_err(CVMSTAT_IOC_RESET, &r, EBADF, "RESET on a read-only file");
	fresh(g);
	expect_err(CVMSTAT_IOC_GUEST_MARKS, &g, EBADF, "GUEST_MARKS on a read-only file");
	fresh(l);
	l.flags = CVMSTAT_LATENCY_SET;
	expect_err(CVMSTAT_IOC_LATENCY, &l, EBADF, "LATENCY SET on a read-only file");
	fresh(l);
	expect_ok(CVMSTAT_IOC_LATENCY, &l, "LATENCY query on a read-only file");
	fresh(s);
	s.op = CVMSTAT_HP_OP_RESTORE;
	expect_err(CVMSTAT_IOC_HP_SET, &s, EBADF, "HP_SET on a read-only file");
	close(fd);
	fd = rw;
}

int main(int argc, char **argv)
{
	unsigned long long vm_id, live = 0;
	char *end;

	if (argc < 2 || argc > 3 || (vm_id = strtoull(argv[1], &end, 0), *end) ||
	    (argc == 3 && (live = strtoull(argv[2], &end, 0), *end || !live))) {
		fprintf(stderr, "usage: abi-test VM_ID [LIVE_VM_ID]\n");
		return 2;
	}
	fd = open("/dev/cvmstat", O_RDWR);
	if (fd < 0) {
		perror("/dev/cvmstat");
		return 2;
	}
	test_device();
	test_unknown();
	test_version();
	test_list();
	test_read(vm_id);
	test_phases();
	test_reset();
	test_guest_marks();
	test_latency();
	test_haltpoll(vm_id, live);
	test_write_needs();
	printf("1..%d\n# abi-test: %d passed, %d failed\n", nr_tests,
	       nr_tests - nr_failed, nr_failed);
	return nr_failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat-read: the minimal reader of /dev/cvmstat, printing CSV.  It is what
 * the tests use to see the module; the full tool is cvmstat(8).
 *
 *   cvmstat-read version
 *   cvmstat-read list
 *   cvmstat-read vm VM_ID | --pid PID [--at MARK | --latency]
 *   cvmstat-read latency [on | off]
 *   cvmstat-read reset VM_ID | all
 *   cvmstat-read phase NAME
 *   cvmstat-read phases [AFTER]
 *   cvmstat-read marks PID | all -- COMMAND [ARG...]
 *   cvmstat-read hp VM_ID | --pid PID        halt-poll records and state
 *   cvmstat-read hp-vm VM_ID | --pid PID     a VM's maximum poll window
 *   cvmstat-read hp-set VM_ID | --pid PID | all set NS | clear | restore
 *   cvmstat-read hp-events [AFTER]
 *
 * Exit status: 0 success, 1 usage error, 2 device or system error (also
 * --at MARK when the module no longer holds the counters as of MARK),
 * 3 no such VM; marks: COMMAND's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/cvmstat.h>

#include "names.h"

#define EXIT_USAGE	1
#define EXIT_SYSTEM	2
#define EXIT_NOVM	3

static const char *dev_path = "/dev/cvmstat";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cvmstat-read version\n"
		"       cvmstat-read list\n"
		"       cvmstat-read vm VM_ID | --pid PID [--at MARK | --latency]\n"
		"       cvmstat-read latency [on | off]\n"
		"       cvmstat-read reset VM_ID | all\n"
		"       cvmstat-read phase NAME\n"
		"       cvmstat-read phases [AFTER]\n"
		"       cvmstat-read marks PID | all -- COMMAND [ARG...]\n"
		"       cvmstat-read hp VM_ID | --pid PID\n"
		"       cvmstat-read hp-vm VM_ID | --pid PID\n"
		"       cvmstat-read hp-set VM_ID | --pid PID | all set NS | clear | restore\n"
		"       cvmstat-read hp-events [AFTER]\n"
		"Prints /dev/cvmstat's data as CSV (env CVMSTAT_DEV overrides the path).\n"
		"--at MARK: the counters as of mark MARK (a host mark, or a guest mark\n"
		"of that VM), held only for each vCPU's latest mark, once marks were\n"
		"listed (`phases`).  marks: a guest's phase-port writes mark while\n"
		"COMMAND runs.  --latency: also the exit-handling times (lat_* kinds,\n"
		"dir kernel or user); `latency` shows or switches their timing.\n"
		"Exit status: 0 ok, 1 usage, 2 device or system error\n"
		"(or MARK not held), 3 no such VM; marks: COMMAND's.\n");
}

/* O_RDWR for the commands that change state, else O_RDONLY. */
static int open_dev_mode(int mode)
{
	int fd = open(dev_path, mode | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "cvmstat-read: cannot open %s: %s%s\n", dev_path,
			strerror(errno),
			errno == ENOENT ? " (is cvmstat.ko loaded?)" : "");
		exit(EXIT_SYSTEM);
	}
	return fd;
}

static int open_dev(void)
{
	return open_dev_mode(O_RDONLY);
}

static int parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return -1;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static const char *dir_name(unsigned int kind, unsigned int dir)
{
	if (kind >= CVMSTAT_KIND_LAT_COUNT && kind <= CVMSTAT_KIND_LAT_OPEN)
		return dir == CVMSTAT_LAT_USER ? "user" : "kernel";
	return dir == CVMSTAT_DIR_READ ? "read" :
	       dir == CVMSTAT_DIR_WRITE ? "write" : "none";
}

static int cmd_version(int fd)
{
	struct cvmstat_version v = { .size = sizeof(v) };

	if (ioctl(fd, CVMSTAT_IOC_VERSION, &v)) {
		perror("cvmstat-read: CVMSTAT_IOC_VERSION");
		return EXIT_SYSTEM;
	}
	printf("abi=%u.%u\nfeatures=0x%llx\nprobes_known=0x%x\n"
	       "probes_bound=0x%x\nmax_vms=%u\nmax_vcpus=%u\nnr_vms=%u\nisa=%u\n"
	       "untracked_vms=%llu\nuntracked_vcpus=%llu\n"
	       "unattributed=%llu\nlifetime_missed=%llu\nvcpu_bytes=%llu\n",
	       v.abi_major, v.abi_minor, v.features, v.probes_known,
	       v.probes_bound, v.max_vms, v.max_vcpus, v.nr_vms, v.isa,
	       v.untracked_vms, v.untracked_vcpus, v.unattributed,
	       v.lifetime_missed, v.vcpu_bytes);
	return 0;
}

/* All VMs; *n gets their number.  NULL on error (printed). */
static struct cvmstat_vm_info *get_vms(int fd, unsigned int *n)
{
	struct cvmstat_vm_list l = { .size = sizeof(l) };
	struct cvmstat_vm_info *vms = NULL;

	for (;;) {
		l.vms = (uintptr_t)vms;
		if (ioctl(fd, CVMSTAT_IOC_LIST_VMS, &l)) {
			perror("cvmstat-read: CVMSTAT_IOC_LIST_VMS");
			free(vms);
			return NULL;
		}
		if (l.total <= l.nr && vms)
			break;
		free(vms);
		l.nr = l.total + 4;
		l.total = 0;
		vms = calloc(l.nr, sizeof(*vms));
		if (!vms) {
			perror("cvmstat-read");
			return NULL;
		}
	}
	*n = l.nr;
	return vms;
}

static int cmd_list(int fd)
{
	struct cvmstat_vm_info *vms;
	unsigned int i, n;

	vms = get_vms(fd, &n);
	if (!vms)
		return EXIT_SYSTEM;
	printf("vm_id,pid,comm,nr_vcpus,type,alive,first_ns,exit_ns,"
	       "guest_marks,partial,stale,marks_dropped\n");
	for (i = 0; i < n; i++)
		printf("%llu,%d,%.16s,%u,%u,%u,%llu,%llu,%u,%u,%u,%llu\n",
		       vms[i].vm_id, vms[i].pid, vms[i].comm, vms[i].nr_vcpus,
		       vms[i].type, !!(vms[i].flags & CVMSTAT_VM_ALIVE),
		       vms[i].first_ns, vms[i].exit_ns,
		       !!(vms[i].flags & CVMSTAT_VM_GUEST_MARKS),
		       !!(vms[i].flags & CVMSTAT_VM_PARTIAL),
		       !!(vms[i].flags & CVMSTAT_VM_STALE),
		       vms[i].guest_marks_dropped);
	free(vms);
	return 0;
}

/* The newest VM of @pid, or 0. */
static unsigned long long vm_of_pid(int fd, unsigned long long pid)
{
	struct cvmstat_vm_info *vms;
	unsigned int i, n;
	unsigned long long id = 0;

	vms = get_vms(fd, &n);
	if (!vms)
		exit(EXIT_SYSTEM);
	for (i = 0; i < n; i++)
		if ((unsigned long long)vms[i].pid == pid)
			id = vms[i].vm_id;
	free(vms);
	return id;
}

/* @hp: the halt-poll records and state only; @lat: the times too */
static int cmd_vm(int fd, unsigned long long vm_id, unsigned long long at,
		  bool hp, bool lat)
{
	struct cvmstat_read r = { .size = sizeof(r), .vm_id = vm_id };

	if (lat)
		r.flags = CVMSTAT_READ_LATENCY;
	if (at) {
		r.flags = CVMSTAT_READ_AT_PHASE;
		r.phase = at;
	}
	if (hp)
		r.flags |= CVMSTAT_READ_HALTPOLL | CVMSTAT_READ_HALTPOLL_STATE;
	struct cvmstat_record *recs = NULL;
	unsigned int i;

	for (;;) {
		r.records = (uintptr_t)recs;
		if (!ioctl(fd, CVMSTAT_IOC_READ_VM, &r))
			break;
		if (errno == ENOENT) {
			fprintf(stderr, "cvmstat-read: no VM %llu\n", vm_id);
			free(recs);
			return EXIT_NOVM;
		}
		if (errno == ESTALE) {
			fprintf(stderr, "cvmstat-read: VM %llu at mark %llu: not held (the module keeps a vCPU's counters as of its latest mark only, and only once marks were listed: start `cvmstat record` or run `cvmstat-read phases` before marking, and read each mark before the next)\n",
				vm_id, r.phase);
			free(recs);
			return EXIT_SYSTEM;
		}
		if (errno != ENOSPC) {
			perror("cvmstat-read: CVMSTAT_IOC_READ_VM");
			free(recs);
			return EXIT_SYSTEM;
		}
		free(recs);
		r.nr += 64;	/* the VM may grow between two calls */
		r.nr_vcpus = 0;
		r.snap_ns = 0;
		recs = calloc(r.nr, sizeof(*recs));
		if (!recs) {
			perror("cvmstat-read");
			return EXIT_SYSTEM;
		}
	}
	printf("vm_id,vcpu_id,kind,key,dir,count\n");
	for (i = 0; i < r.nr; i++)
		if (!hp || (recs[i].kind >= CVMSTAT_KIND_HALT &&
			    recs[i].kind <= CVMSTAT_KIND_HALT_STATE))
			printf("%llu,%u,%s,0x%llx,%s,%llu\n", vm_id,
			       recs[i].vcpu_id,
			       cvm_name_kind(recs[i].kind) ?: "unknown",
			       recs[i].key, dir_name(recs[i].kind, recs[i].dir),
			       recs[i].count);
	free(recs);
	return 0;
}

/* Exit-handling time: print its state, or switch it (@set: "on", "off"). */
static int cmd_latency(int fd, const char *set)
{
	struct cvmstat_latency l = { .size = sizeof(l) };

	if (set) {
		if (strcmp(set, "on") && strcmp(set, "off"))
			return EXIT_USAGE;
		l.flags = CVMSTAT_LATENCY_SET;
		l.on = !strcmp(set, "on");
	}
	if (ioctl(fd, CVMSTAT_IOC_LATENCY, &l)) {
		perror("cvmstat-read: CVMSTAT_IOC_LATENCY");
		return EXIT_SYSTEM;
	}
	printf("on=%u\nbytes=%llu\n", l.on, (unsigned long long)l.bytes);
	return 0;
}

static const char *const hp_sources[] = { "global", "vmm", "cvmstat" };

static int hp_error(const char *what, unsigned long long vm_id)
{
	int err = errno;

	fprintf(stderr, "cvmstat-read: %s VM %llu: %s\n", what, vm_id,
		strerror(err));
	return err == ENOENT || err == ESRCH ? EXIT_NOVM : EXIT_SYSTEM;
}

static int cmd_hp_vm(int fd, unsigned long long vm_id)
{
	struct cvmstat_hp_vm v = { .size = sizeof(v), .vm_id = vm_id };

	if (ioctl(fd, CVMSTAT_IOC_HP_VM, &v))
		return hp_error("halt-poll state of", vm_id);
	printf("vm_id=%llu\nmax_ns=%u\noverride=%u\nsource=%s\nsaved=%u\n"
	       "orig_override=%u\norig_max_ns=%u\nchanged=%u\n", vm_id,
	       v.max_ns, !!(v.state & CVMSTAT_HP_OVERRIDE),
	       v.source < 3 ? hp_sources[v.source] : "?",
	       !!(v.state & CVMSTAT_HP_SAVED),
	       !!(v.state & CVMSTAT_HP_ORIG_OVERRIDE), v.orig_max_ns,
	       v.changed_ns != 0);
	return 0;
}

static int cmd_hp_set(int fd, unsigned long long vm_id, char **args, int n)
{
	struct cvmstat_hp_set set = { .size = sizeof(set), .vm_id = vm_id };
	unsigned long long ns;

	if (n == 2 && !strcmp(args[0], "set") && !parse_u64(args[1], &ns) &&
	    ns <= UINT32_MAX) {
		set.op = CVMSTAT_HP_OP_SET;
		set.max_ns = ns;
	} else if (n == 1 && !strcmp(args[0], "clear")) {
		set.op = CVMSTAT_HP_OP_CLEAR;
	} else if (n == 1 && !strcmp(args[0], "restore")) {
		set.op = CVMSTAT_HP_OP_RESTORE;
	} else {
		return EXIT_USAGE;
	}
	if (ioctl(fd, CVMSTAT_IOC_HP_SET, &set))
		return hp_error("setting halt polling of", vm_id);
	return 0;
}

static int cmd_hp_events(int fd, unsigned long long after)
{
	struct cvmstat_hp_event evs[CVMSTAT_HP_EVENT_RING];
	struct cvmstat_hp_events l = {
		.size = sizeof(l), .nr = CVMSTAT_HP_EVENT_RING, .after = after,
		.events = (uintptr_t)evs,
	};
	unsigned int i;

	if (ioctl(fd, CVMSTAT_IOC_HP_EVENTS, &l)) {
		perror("cvmstat-read: CVMSTAT_IOC_HP_EVENTS");
		return EXIT_SYSTEM;
	}
	printf("seq,time_ns,vm_id,vcpu_id,type,source,old,new\n");
	for (i = 0; i < l.nr; i++)
		printf("%llu,%llu,%llu,%u,%s,%s,%lld,%lld\n",
		       (unsigned long long)evs[i].seq,
		       (unsigned long long)evs[i].time_ns,
		       (unsigned long long)evs[i].vm_id, evs[i].vcpu_id,
		       evs[i].type == CVMSTAT_HPE_VM_MAX ? "vm_max" :
		       evs[i].type == CVMSTAT_HPE_GUEST ? "guest" : "?",
		       evs[i].type == CVMSTAT_HPE_GUEST ? "guest" :
		       evs[i].source < 3 ? hp_sources[evs[i].source] : "?",
		       (long long)evs[i].old, (long long)evs[i].new);
	if (l.lost)
		fprintf(stderr, "cvmstat-read: %u events no longer held\n",
			l.lost);
	return 0;
}

static int cmd_phase(int fd, const char *name)
{
	struct cvmstat_phase_mark m = { .size = sizeof(m) };

	if (!*name || strlen(name) >= sizeof(m.name)) {
		fprintf(stderr, "cvmstat-read: phase name must be 1..%zu bytes\n",
			sizeof(m.name) - 1);
		return EXIT_USAGE;
	}
	strcpy(m.name, name);
	if (ioctl(fd, CVMSTAT_IOC_PHASE_MARK, &m)) {
		perror("cvmstat-read: CVMSTAT_IOC_PHASE_MARK");
		return EXIT_SYSTEM;
	}
	printf("%llu\n", m.seq);
	return 0;
}

static int cmd_phases(int fd, unsigned long long after)
{
	struct cvmstat_phase marks[CVMSTAT_PHASE_RING];
	struct cvmstat_phase_list l = {
		.size = sizeof(l), .nr = CVMSTAT_PHASE_RING, .after = after,
		.marks = (uintptr_t)marks,
	};
	unsigned int i;

	if (ioctl(fd, CVMSTAT_IOC_PHASE_LIST, &l)) {
		perror("cvmstat-read: CVMSTAT_IOC_PHASE_LIST");
		return EXIT_SYSTEM;
	}
	printf("seq,time_ns,vm_id,vcpu_id,source,value,name\n");
	for (i = 0; i < l.nr; i++)
		printf("%llu,%llu,%llu,%u,%s,%u,%s\n", marks[i].seq,
		       marks[i].time_ns, marks[i].vm_id, marks[i].vcpu_id,
		       marks[i].source == CVMSTAT_PHASE_GUEST ? "guest" : "host",
		       marks[i].value, marks[i].name);
	if (l.lost)
		fprintf(stderr, "cvmstat-read: %u marks no longer held\n", l.lost);
	return 0;
}

static int cmd_reset(int fd, const char *what)
{
	struct cvmstat_reset r = { .size = sizeof(r) };

	if (!strcmp(what, "all"))
		r.flags = CVMSTAT_RESET_ALL;
	else if (parse_u64(what, &r.vm_id)) {
		fprintf(stderr, "cvmstat-read: invalid VM id `%s'\n", what);
		return EXIT_USAGE;
	}
	if (ioctl(fd, CVMSTAT_IOC_RESET, &r)) {
		if (errno == ENOENT) {
			fprintf(stderr, "cvmstat-read: no VM %s\n", what);
			return EXIT_NOVM;
		}
		perror("cvmstat-read: CVMSTAT_IOC_RESET");
		return EXIT_SYSTEM;
	}
	return 0;
}

/*
 * Guest marks of @who's VMs (a pid, or "all") count while COMMAND runs:
 * the opt-in lasts as long as this file is open.
 */
static int cmd_marks(int fd, const char *who, char **command)
{
	struct cvmstat_guest_marks g = { .size = sizeof(g) };
	unsigned long long pid;
	int status;
	pid_t child;

	if (!strcmp(who, "all"))
		g.flags = CVMSTAT_GUEST_MARKS_ALL;
	else if (parse_u64(who, &pid) || !pid || pid > INT32_MAX)
		return EXIT_USAGE;
	else
		g.pid = (int)pid;
	if (ioctl(fd, CVMSTAT_IOC_GUEST_MARKS, &g)) {
		perror("cvmstat-read: CVMSTAT_IOC_GUEST_MARKS");
		return EXIT_SYSTEM;
	}
	fflush(stdout);
	child = fork();
	if (child < 0) {
		perror("cvmstat-read: fork");
		return EXIT_SYSTEM;
	}
	if (!child) {
		execvp(command[0], command);
		perror(command[0]);
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR) {
			perror("cvmstat-read: waitpid");
			return EXIT_SYSTEM;
		}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	const char *env = getenv("CVMSTAT_DEV");
	unsigned long long v;
	int fd, ret;

	if (env && *env)
		dev_path = env;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "version") && argc == 2) {
		fd = open_dev();
		ret = cmd_version(fd);
	} else if (!strcmp(argv[1], "list") && argc == 2) {
		fd = open_dev();
		ret = cmd_list(fd);
	} else if (!strcmp(argv[1], "vm") && argc >= 3) {
		int pid = !strcmp(argv[2], "--pid");
		int n = 3 + pid;	/* arguments before --at */
		unsigned long long at = 0;
		int lat = argc == n + 1 && !strcmp(argv[n], "--latency");

		if ((argc != n && argc != n + 2 && !lat) ||
		    parse_u64(argv[n - 1], &v) ||
		    (argc == n + 2 && (strcmp(argv[n], "--at") ||
				       parse_u64(argv[n + 1], &at) || !at))) {
			usage(stderr);
			return EXIT_USAGE;
		}
		fd = open_dev();
		if (pid) {
			v = vm_of_pid(fd, v);
			if (!v) {
				fprintf(stderr, "cvmstat-read: no VM of pid %s\n",
					argv[3]);
				return EXIT_NOVM;
			}
		}
		ret = cmd_vm(fd, v, at, false, lat);
	} else if (!strcmp(argv[1], "latency") && argc <= 3) {
		fd = argc == 3 ? open_dev_mode(O_RDWR) : open_dev();
		ret = cmd_latency(fd, argc == 3 ? argv[2] : NULL);
		if (ret == EXIT_USAGE)
			usage(stderr);
	} else if ((!strcmp(argv[1], "hp") || !strcmp(argv[1], "hp-vm") ||
		    !strcmp(argv[1], "hp-set")) && argc >= 3) {
		bool set = !strcmp(argv[1], "hp-set");
		int pid = !strcmp(argv[2], "--pid");
		int n = 3 + pid;	/* arguments before hp-set's */
		bool all = set && !pid && !strcmp(argv[2], "all");

		if (argc < n || (!set && argc != n) ||
		    (!all && parse_u64(argv[n - 1], &v))) {
			usage(stderr);
			return EXIT_USAGE;
		}
		fd = open_dev_mode(set ? O_RDWR : O_RDONLY);
		if (all) {
			v = 0;
		} else if (pid) {
			v = vm_of_pid(fd, v);
			if (!v) {
				fprintf(stderr, "cvmstat-read: no VM of pid %s\n",
					argv[3]);
				return EXIT_NOVM;
			}
		}
		if (set)
			ret = cmd_hp_set(fd, v, argv + n, argc - n);
		else if (!strcmp(argv[1], "hp"))
			ret = cmd_vm(fd, v, 0, true, false);
		else
			ret = cmd_hp_vm(fd, v);
		if (ret == EXIT_USAGE)
			usage(stderr);
	} else if (!strcmp(argv[1], "hp-events") && argc <= 3) {
		v = 0;
		if (argc == 3 && parse_u64(argv[2], &v)) {
			usage(stderr);
			return EXIT_USAGE;
		}
		fd = open_dev();
		ret = cmd_hp_events(fd, v);
	} else if (!strcmp(argv[1], "phase") && argc == 3) {
		fd = open_dev_mode(O_RDWR);
		ret = cmd_phase(fd, argv[2]);
	} else if (!strcmp(argv[1], "phases") && argc <= 3) {
		v = 0;
		if (argc == 3 && parse_u64(argv[2], &v)) {
			usage(stderr);
			return EXIT_USAGE;
		}
		fd = open_dev();
		ret = cmd_phases(fd, v);
	} else if (!strcmp(argv[1], "reset") && argc == 3) {
		fd = open_dev_mode(O_RDWR);
		ret = cmd_reset(fd, argv[2]);
	} else if (!strcmp(argv[1], "marks") && argc >= 5 &&
		   !strcmp(argv[3], "--")) {
		fd = open_dev_mode(O_RDWR);
		ret = cmd_marks(fd, argv[2], argv + 4);
		if (ret == EXIT_USAGE)
			usage(stderr);
	} else {
		usage(stderr);
		return EXIT_USAGE;
	}
	close(fd);
	if (fflush(stdout)) {
		perror("cvmstat-read: stdout");
		return EXIT_SYSTEM;
	}
	return ret;
}

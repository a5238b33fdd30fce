// SPDX-License-Identifier: GPL-2.0
/*
 * fakedev: a scripted /dev/cvmstat for test_cli.sh, preloaded into cvmstat
 * (LD_PRELOAD), so that show, status and top can be run on known counters
 * without the module.
 *
 *   FAKEDEV_PATH=PATH    opening PATH opens the fake device (any other path
 *                        is left alone; it never polls readable: no mark
 *                        comes); cvmstat.ko counts as loaded
 *   FAKEDEV_SCRIPT=FILE  what the device holds, one item a line, numbers
 *                        in C notation, '#' starts a comment:
 *     version UNTRACKED_VMS UNTRACKED_VCPUS UNATTRIBUTED
 *     features MASK       CVMSTAT_FEAT_* bits (default 0x3f: no halt polling)
 *     vm VM_ID PID NR_VCPUS TYPE FLAGS COMM
 *     rec VM_ID VCPU KIND DIR KEY COUNT   (up to 32768: a 64-vCPU VM's)
 *     at VM_ID SEQ        READ_AT_PHASE SEQ works for VM_ID; any other
 *                         mark is -ESTALE (as if the module no longer held it)
 *     mark SEQ VM_ID VCPU SOURCE VALUE [NAME]
 *     hpvm VM_ID MAX_NS SOURCE STATE   CVMSTAT_IOC_HP_VM's answer for a VM
 *                         (without one: -EOPNOTSUPP)
 *     latency ON          CVMSTAT_IOC_LATENCY's answer (without: 0, off)
 *     scale               the Nth live read gives N times every count but
 *                         the extremes (LAT_MIN, LAT_MAX): each read after
 *                         the first adds the script's counts once
 * Records of the halt-poll kinds are read only with the flags that ask for
 * them (CVMSTAT_READ_HALTPOLL, _STATE), those of exit-handling time with
 * CVMSTAT_READ_LATENCY, as the module does.
 *
 * Only what cvmstat asks is answered: the ioctls of <linux/cvmstat.h> with
 * the module's error conventions.  Build (tests/unit/test_cli.sh does):
 * gcc -D_GNU_SOURCE -shared -fPIC -I kmod/include/uapi -o fakedev.so
 * tests/unit/fakedev.c -ldl
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <libkmod.h>
#include <linux/cvmstat.h>

#define MAX 256
#define MAX_RECS 32768		/* a 64-vCPU VM's counters and times */

static struct cvmstat_version ver = {
	.abi_major = CVMSTAT_ABI_MAJOR, .abi_minor = CVMSTAT_ABI_MINOR,
	.features = (1ULL << 6) - 1, .probes_known = (1U << CVMSTAT_PROBE_NR) - 1,
	.probes_bound = (1U << CVMSTAT_PROBE_NR) - 1, .max_vms = 64,
	.max_vcpus = 512, .isa = CVMSTAT_ISA_SVM,
};
static struct cvmstat_vm_info vms[MAX];
static struct { uint64_t vm_id; struct cvmstat_record r; } recs[MAX_RECS];
static struct { uint64_t vm_id, seq; } held[MAX];
static struct cvmstat_phase marks[MAX];
static struct cvmstat_hp_vm hpvms[MAX];
static int nr_vms, nr_recs, nr_held, nr_marks, nr_hpvms;
static unsigned int lat_on, scale, live_reads;
static int fake_fd = -1;

static unsigned long long num(char **p)
{
	return strtoull(strtok_r(NULL, " \t\n", p) ?: "0", NULL, 0);
}

static void load(void)
{
	const char *path = getenv("FAKEDEV_SCRIPT");
	char line[512], *p, *w;
	FILE *f;

	if (!path || !(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		w = strtok_r(line, " \t\n", &p);
		if (!w)
			continue;
		if (!strcmp(w, "version")) {
			ver.untracked_vms = num(&p);
			ver.untracked_vcpus = num(&p);
			ver.unattributed = num(&p);
		} else if (!strcmp(w, "features")) {
			ver.features = num(&p);
		} else if (!strcmp(w, "latency")) {
			lat_on = num(&p);
		} else if (!strcmp(w, "scale")) {
			scale = 1;
		} else if (!strcmp(w, "hpvm") && nr_hpvms < MAX) {
			struct cvmstat_hp_vm *h = &hpvms[nr_hpvms++];

			h->vm_id = num(&p);
			h->max_ns = num(&p);
			h->source = num(&p);
			h->state = num(&p);
		} else if (!strcmp(w, "vm") && nr_vms < MAX) {
			struct cvmstat_vm_info *v = &vms[nr_vms++];

			v->vm_id = num(&p);
			v->pid = num(&p);
			v->nr_vcpus = num(&p);
			v->type = num(&p);
			v->flags = num(&p);
			snprintf(v->comm, sizeof(v->comm), "%s",
				 strtok_r(NULL, " \t\n", &p) ?: "");
			ver.nr_vms = nr_vms;
		} else if (!strcmp(w, "rec") && nr_recs < MAX_RECS) {
			recs[nr_recs].vm_id = num(&p);
			recs[nr_recs].r.vcpu_id = num(&p);
			recs[nr_recs].r.kind = num(&p);
			recs[nr_recs].r.dir = num(&p);
			recs[nr_recs].r.key = num(&p);
			recs[nr_recs].r.count = num(&p);
			nr_recs++;
		} else if (!strcmp(w, "at") && nr_held < MAX) {
			held[nr_held].vm_id = num(&p);
			held[nr_held].seq = num(&p);
			nr_held++;
		} else if (!strcmp(w, "mark") && nr_marks < MAX) {
			struct cvmstat_phase *m = &marks[nr_marks++];

			m->seq = num(&p);
			m->vm_id = num(&p);
			m->vcpu_id = num(&p);
			m->source = num(&p);
			m->value = num(&p);
			snprintf(m->name, sizeof(m->name), "%s",
				 strtok_r(NULL, "\n", &p) ?: "");
		}
	}
	fclose(f);
}

static bool is_fake(const char *path)
{
	const char *fake = getenv("FAKEDEV_PATH");

	return fake && *fake && !strcmp(path, fake);
}

static int fake_open(int (*real)(const char *, int, ...), int flags)
{
	if (fake_fd >= 0) {
		errno = EBUSY;
		return -1;
	}
	load();
	fake_fd = real("/dev/null", flags);
	return fake_fd;
}

#define OPEN(name)							\
int name(const char *path, int flags, ...)				\
{									\
	static int (*real)(const char *, int, ...);			\
	mode_t mode = 0;						\
	va_list ap;							\
									\
	if (!real)							\
		real = dlsym(RTLD_NEXT, #name);				\
	if (is_fake(path))						\
		return fake_open(real, flags);				\
	va_start(ap, flags);						\
	if (flags & (O_CREAT | O_TMPFILE))				\
		mode = va_arg(ap, mode_t);				\
	va_end(ap);							\
	return real(path, flags, mode);					\
}

OPEN(open)
OPEN(open64)

/* what open() becomes in _FORTIFY_SOURCE builds (Debian's packages) */
#define OPEN_2(name)							\
int name(const char *path, int flags)					\
{									\
	static int (*real)(const char *, int);				\
									\
	if (!real)							\
		real = dlsym(RTLD_NEXT, #name);				\
	if (is_fake(path))						\
		return fake_open(open, flags);				\
	return real(path, flags);					\
}

OPEN_2(__open_2)
OPEN_2(__open64_2)

/*
 * The device is readable only when a mark came (the module's poll); the
 * /dev/null behind it always is, which would make a recorder spin.
 */
int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);
	nfds_t i, hit = nfds;
	int ret;

	if (!real)
		real = dlsym(RTLD_NEXT, "poll");
	for (i = 0; i < nfds && fake_fd >= 0; i++)
		if (fds[i].fd == fake_fd) {
			hit = i;
			fds[i].fd = -1;		/* ignored, revents 0 */
			break;
		}
	ret = real(fds, nfds, timeout);
	if (hit < nfds)
		fds[hit].fd = fake_fd;
	return ret;
}

int close(int fd)
{
	static int (*real)(int);

	if (!real)
		real = dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd == fake_fd)
		fake_fd = -1;
	return real(fd);
}

/* Whether the read asks for record @rec (the halt-poll kinds by flag). */
static bool asked(const struct cvmstat_read *r, const struct cvmstat_record *rec)
{
	if (rec->kind >= CVMSTAT_KIND_LAT_COUNT)
		return r->flags & CVMSTAT_READ_LATENCY;
	if (rec->kind == CVMSTAT_KIND_HALT_STATE)
		return r->flags & CVMSTAT_READ_HALTPOLL_STATE;
	if (rec->kind >= CVMSTAT_KIND_HALT)
		return r->flags & CVMSTAT_READ_HALTPOLL;
	return true;
}

static int read_vm(struct cvmstat_read *r)
{
	struct cvmstat_record *out = (void *)(uintptr_t)r->records;
	uint32_t n = 0, vcpus = 0, last = ~0u;
	bool found = false;
	int i;

	for (i = 0; i < nr_vms; i++)
		found |= vms[i].vm_id == r->vm_id;
	if (!found)
		return -ENOENT;
	if (r->flags & CVMSTAT_READ_AT_PHASE) {
		for (i = 0, found = false; i < nr_held; i++)
			found |= held[i].vm_id == r->vm_id &&
				 held[i].seq == r->phase;
		if (!found)
			return -ESTALE;
	}
	for (i = 0; i < nr_recs; i++)
		n += recs[i].vm_id == r->vm_id && asked(r, &recs[i].r);
	if (n > r->nr) {
		r->nr = n;
		return -ENOSPC;
	}
	live_reads += !(r->flags & CVMSTAT_READ_AT_PHASE);
	for (i = n = 0; i < nr_recs; i++) {
		if (recs[i].vm_id != r->vm_id || !asked(r, &recs[i].r))
			continue;
		out[n] = recs[i].r;
		if (scale && out[n].kind != CVMSTAT_KIND_LAT_MIN &&
		    out[n].kind != CVMSTAT_KIND_LAT_MAX)
			out[n].count *= live_reads;
		n++;
		vcpus += recs[i].r.vcpu_id != last;
		last = recs[i].r.vcpu_id;
	}
	r->nr = n;
	r->nr_vcpus = vcpus;
	r->snap_ns = 1000;
	return 0;
}

static int fake_ioctl(unsigned long req, void *arg)
{
	int i;

	switch (req) {
	case CVMSTAT_IOC_VERSION:
		memcpy(arg, &ver, sizeof(ver));
		return 0;
	case CVMSTAT_IOC_LIST_VMS: {
		struct cvmstat_vm_list *l = arg;
		struct cvmstat_vm_info *out = (void *)(uintptr_t)l->vms;

		l->total = nr_vms;
		if (l->nr > (uint32_t)nr_vms)
			l->nr = nr_vms;
		memcpy(out, vms, l->nr * sizeof(*out));
		return 0;
	}
	case CVMSTAT_IOC_READ_VM:
		return read_vm(arg);
	case CVMSTAT_IOC_RESET:
		return 0;
	case CVMSTAT_IOC_LATENCY:
		((struct cvmstat_latency *)arg)->on = lat_on;
		return 0;
	case CVMSTAT_IOC_HP_VM: {
		struct cvmstat_hp_vm *h = arg;

		for (i = 0; i < nr_hpvms; i++)
			if (hpvms[i].vm_id == h->vm_id) {
				memcpy((char *)h + 8, (char *)&hpvms[i] + 8,
				       sizeof(*h) - 8);
				return 0;
			}
		return -EOPNOTSUPP;
	}
	case CVMSTAT_IOC_PHASE_MARK:
		((struct cvmstat_phase_mark *)arg)->seq =
			nr_marks ? marks[nr_marks - 1].seq + 1 : 1;
		return 0;
	case CVMSTAT_IOC_PHASE_LIST: {
		struct cvmstat_phase_list *l = arg;
		struct cvmstat_phase *out = (void *)(uintptr_t)l->marks;
		uint32_t n = 0;

		for (i = 0; i < nr_marks; i++)
			if (marks[i].seq > l->after && n < l->nr)
				out[n++] = marks[i];
		l->nr = n;
		l->last = nr_marks ? marks[nr_marks - 1].seq : 0;
		l->lost = 0;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	void *arg;
	va_list ap;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd < 0 || fd != fake_fd) {
		if (!real)
			real = dlsym(RTLD_NEXT, "ioctl");
		return real(fd, req, arg);
	}
	ret = fake_ioctl(req, arg);
	if (ret < 0) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* libkmod: with a fake device, cvmstat.ko is loaded. */
int kmod_module_get_initstate(const struct kmod_module *mod)
{
	static int (*real)(const struct kmod_module *);

	if (getenv("FAKEDEV_PATH"))
		return KMOD_MODULE_LIVE;
	if (!real)
		real = dlsym(RTLD_NEXT, "kmod_module_get_initstate");
	return real ? real(mod) : -ENOENT;
}

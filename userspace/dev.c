// SPDX-License-Identifier: GPL-2.0
/*
 * dev: /dev/cvmstat for the cvmstat tool: open with the ABI handshake, the
 * ioctl wrappers, and the small parsers every command shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dev.h"
#include "modload.h"
#include "names.h"

const char *cvm_cmd = "cvmstat";
const char *cvm_dev_path = "/dev/cvmstat";

void cvm_verr(bool usage, const char *fmt, va_list ap)
{
	bool cmd = strcmp(cvm_cmd, "cvmstat");

	fflush(stdout);
	fprintf(stderr, cmd ? "cvmstat: %s: " : "cvmstat: ", cvm_cmd);
	vfprintf(stderr, fmt, ap);
	if (usage)
		fprintf(stderr, cmd ? " (see `cvmstat %s --help`)" :
			" (see `cvmstat --help`)", cvm_cmd);
	fputc('\n', stderr);
}

void cvm_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cvm_verr(false, fmt, ap);
	va_end(ap);
}

int cvm_errno_exit(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return EXIT_PERM;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return EXIT_NOMODULE;
	default:
		return EXIT_SYSTEM;
	}
}

int cvm_dev_open(struct cvmstat_version *ver)
{
	return cvm_dev_open_mode(ver, O_RDONLY);
}

int cvm_dev_open_mode(struct cvmstat_version *ver, int mode)
{
	struct cvmstat_version v = { .size = sizeof(v) };
	int fd, err;

	fd = open(cvm_dev_path, mode | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			cvm_err("%s: %s; %s", cvm_dev_path, strerror(err),
				cvm_module_hint());
		else if (err == EACCES || err == EPERM)
			cvm_err("%s: %s (%s: run as root)", cvm_dev_path,
				strerror(err), mode == O_RDONLY ?
				"the device is root-only" :
				"changing state needs write access");
		else
			cvm_err("%s: %s", cvm_dev_path, strerror(err));
		return -cvm_errno_exit(err);
	}
	if (ioctl(fd, CVMSTAT_IOC_VERSION, &v)) {
		err = errno;
		cvm_err("%s: version query: %s (is this cvmstat's device?)",
			cvm_dev_path, strerror(err));
		close(fd);
		return -(err == ENOTTY ? EXIT_NOMODULE : cvm_errno_exit(err));
	}
	if (v.abi_major != CVMSTAT_ABI_MAJOR) {
		cvm_err("the loaded cvmstat.ko speaks ABI %u.%u, this tool %u.%u: install matching versions",
			v.abi_major, v.abi_minor, CVMSTAT_ABI_MAJOR,
			CVMSTAT_ABI_MINOR);
		close(fd);
		return -EXIT_NOMODULE;
	}
	if (ver)
		*ver = v;
	cvm_read_flags = v.features & CVMSTAT_FEAT_HALTPOLL ?
			 CVMSTAT_READ_HALTPOLL : 0;
	cvm_names_set_phase_port(cvm_phase_port());
	return fd;
}

int cvm_list_vms(int fd, struct cvmstat_vm_info **out)
{
	struct cvmstat_vm_list l = { .size = sizeof(l) };
	struct cvmstat_vm_info *vms = NULL;

	/* The module may gain VMs between two calls: retry with more room. */
	for (;;) {
		l.vms = (uintptr_t)vms;
		if (ioctl(fd, CVMSTAT_IOC_LIST_VMS, &l)) {
			int err = errno;

			cvm_err("listing VMs: %s", strerror(err));
			free(vms);
			return -cvm_errno_exit(err);
		}
		if (vms && l.total <= l.nr)
			break;
		free(vms);
		l.nr = l.total + 8;
		l.total = 0;
		vms = calloc(l.nr, sizeof(*vms));
		if (!vms) {
			cvm_err("out of memory");
			return -EXIT_SYSTEM;
		}
	}
	*out = vms;
	return l.nr;
}

uint32_t cvm_read_flags;

int cvm_read_vm(int fd, uint64_t vm_id, uint64_t phase, struct cvm_vm_read *out)
{
	return cvm_read_vm_flags(fd, vm_id, phase, cvm_read_flags, out);
}

int cvm_read_vm_flags(int fd, uint64_t vm_id, uint64_t phase, uint32_t flags,
		      struct cvm_vm_read *out)
{
	struct cvmstat_read r = {
		.size = sizeof(r), .vm_id = vm_id, .flags = flags,
	};
	struct cvmstat_record *recs = NULL;
	uint32_t room = 256;

	if (phase) {
		r.flags |= CVMSTAT_READ_AT_PHASE;
		r.phase = phase;
	}
	for (;;) {
		struct cvmstat_record *n = realloc(recs, room * sizeof(*recs));

		if (!n) {
			free(recs);
			return -ENOMEM;
		}
		recs = n;
		r.records = (uintptr_t)recs;
		r.nr = room;
		r.nr_vcpus = 0;
		r.snap_ns = 0;
		if (!ioctl(fd, CVMSTAT_IOC_READ_VM, &r))
			break;
		if (errno != ENOSPC) {
			int err = errno;

			free(recs);
			return -err;
		}
		/* The VM may grow between two calls. */
		room = r.nr + r.nr / 4 + 64;
	}
	out->vm_id = vm_id;
	out->snap_ns = r.snap_ns;
	out->nr_vcpus = r.nr_vcpus;
	out->nr = r.nr;
	out->recs = recs;
	return 0;
}

void cvm_vm_read_free(struct cvm_vm_read *r)
{
	free(r->recs);
	r->recs = NULL;
	r->nr = 0;
}

int cvm_phase_list(int fd, uint64_t after, struct cvmstat_phase *marks,
		   uint64_t *last, uint32_t *lost)
{
	struct cvmstat_phase_list l = {
		.size = sizeof(l),
		.nr = CVMSTAT_PHASE_RING,
		.after = after,
		.marks = (uintptr_t)marks,
	};

	if (ioctl(fd, CVMSTAT_IOC_PHASE_LIST, &l))
		return -errno;
	*last = l.last;
	*lost = l.lost;
	return l.nr;
}

bool cvm_parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !errno && !*end && *v >= min && *v <= max;
}

/* An unsigned number in C notation (decimal, 0x hex, 0 octal), no sign. */
static bool parse_u64(const char *s, char **end, uint64_t *v)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, end, 0);
	return !errno;
}

bool cvm_parse_ecam(const char *s, uint64_t *base, uint64_t *size)
{
	const uint64_t mib = 1ULL << 20;
	char *end;

	if (!strcmp(s, "off")) {
		*base = *size = 0;
		return true;
	}
	*size = 256 * mib;
	if (!parse_u64(s, &end, base))
		return false;
	if (*end == ',' && !parse_u64(end + 1, &end, size))
		return false;
	return !*end && !(*base % mib) && !(*size % mib) && *size &&
	       *size <= 256 * mib && *size - 1 <= UINT64_MAX - *base;
}

bool cvm_parse_pid(const char *s, pid_t *pid)
{
	unsigned long v;

	if (!cvm_parse_uint(s, 1, INT_MAX, &v))
		return false;
	*pid = v;
	return true;
}

bool cvm_parse_interval(const char *s, uint64_t *ns)
{
	char *end;
	double d;

	/* Decimal only: no sign, hex, exponent, "inf" or "nan". */
	if (!*s || strspn(s, "0123456789.") != strlen(s))
		return false;
	errno = 0;
	d = strtod(s, &end);
	if (errno || *end || !isfinite(d) || d < 0.01 || d > 86400)
		return false;
	*ns = (uint64_t)llround(d * 1e9);
	return true;
}

int cvm_phase_port(void)
{
	FILE *f = fopen("/sys/module/cvmstat/parameters/phase_port", "r");
	int port = -1;

	if (f) {
		if (fscanf(f, "%d", &port) != 1)
			port = -1;
		fclose(f);
	}
	return port;
}

uint64_t cvm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int cvm_need_latency(const struct cvmstat_version *ver)
{
	if (ver->features & CVMSTAT_FEAT_LATENCY)
		return 0;
	cvm_err("the loaded cvmstat.ko cannot time exits (ABI %u.%u, 1.4 needed)",
		ver->abi_major, ver->abi_minor);
	return EXIT_NOMODULE;
}

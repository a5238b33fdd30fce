// SPDX-License-Identifier: GPL-2.0
/*
 * vmwatch - a reader that polls /dev/cvmstat as fast as it can and checks,
 * at every poll, what must hold whatever the VMs do:
 *
 *   - VERSION answers with the header's ABI, nr_vms <= max_vms, no VM
 *     whose destruction was missed (lifetime_missed 0);
 *   - LIST: total <= max_vms, vm_ids strictly ascending (oldest first);
 *   - a vm_id keeps its pid, comm and first_ns; once exited it stays
 *     exited with the same exit_ns; no VM is flagged STALE or PARTIAL
 *     (the stress test's VMs always find a slot);
 *   - a vm_id that left the list never comes back, and a vm_id seen for
 *     the first time is greater than every vm_id seen before (ids are
 *     never reused, and handed out in order);
 *   - READ of every listed VM (ENOENT allowed: evicted meanwhile; EAGAIN,
 *     counted: a running vCPU neither stopped nor exited for a second) gives
 *     well-formed records: grouped by ascending vcpu_id, each vCPU starting
 *     with its VCPU record whose count is the sum of its REASON records,
 *     known kinds, no zero count;
 *   - without -R (no reset expected): an alive VM's counters never
 *     decrease, and an exited VM's counters never change.
 *
 * Polls back to back, or every -i MILLISECONDS (under single-threaded
 * emulation a reader that never sleeps halves what the VMs get done).
 * Runs until SIGTERM/SIGINT or -T SECONDS, then prints one summary line.
 * Exit status 0 if nothing was violated, 1 otherwise (each violation is
 * printed, up to 20), 2 usage or device error.
 *
 * Build: gcc -O2 -Wall -Wextra -static -I kmod/include/uapi -o vmwatch vmwatch.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/cvmstat.h>

/* What is known of one vm_id. */
struct vm {
	enum { UNSEEN, LISTED, GONE } state;
	struct cvmstat_vm_info info;
	bool exited;
	struct cvmstat_record *recs;	/* last read, NULL before */
	uint32_t nr;
	bool recs_exited;		/* the last read was of the exited VM */
	unsigned long listed_at;	/* the poll that last listed it */
};

static struct vm *vms;
static uint64_t nr_ids;			/* vms[] covers vm_ids < nr_ids */
static uint64_t max_id;			/* greatest vm_id seen */
static unsigned long polls, reads, enoent, eagain, violations, max_held, seen;
static bool resets;
static volatile sig_atomic_t stop;
static int fd;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void __attribute__((format(printf, 1, 2))) violation(const char *fmt, ...)
{
	va_list ap;

	if (++violations > 20)
		return;
	printf("vmwatch: VIOLATION (poll %lu): ", polls);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void __attribute__((noreturn)) fatal(const char *what)
{
	printf("vmwatch: %s: %s\n", what, strerror(errno));
	exit(2);
}

static struct vm *vm_of(uint64_t id)
{
	if (id >= nr_ids) {
		uint64_t n = id * 2 + 64;

		vms = realloc(vms, n * sizeof(*vms));
		if (!vms)
			fatal("realloc");
		memset(vms + nr_ids, 0, (n - nr_ids) * sizeof(*vms));
		nr_ids = n;
	}
	return &vms[id];
}

static uint32_t check_version(void)
{
	struct cvmstat_version v = { .size = sizeof(v) };

	if (ioctl(fd, CVMSTAT_IOC_VERSION, &v))
		fatal("CVMSTAT_IOC_VERSION");
	if (v.abi_major != CVMSTAT_ABI_MAJOR || v.abi_minor < CVMSTAT_ABI_MINOR)
		violation("VERSION abi %u.%u", v.abi_major, v.abi_minor);
	if (v.nr_vms > v.max_vms)
		violation("VERSION nr_vms %u > max_vms %u", v.nr_vms, v.max_vms);
	if (v.lifetime_missed)
		violation("VERSION lifetime_missed %llu",
			  (unsigned long long)v.lifetime_missed);
	if (v.nr_vms > max_held)
		max_held = v.nr_vms;
	return v.max_vms;
}

/* The list, into *out (realloc'ed); returns the number of entries. */
static uint32_t list(struct cvmstat_vm_info **out, uint32_t *cap, uint32_t max_vms)
{
	struct cvmstat_vm_list l;

	for (;;) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.nr = *cap;
		l.vms = (uintptr_t)*out;
		if (ioctl(fd, CVMSTAT_IOC_LIST_VMS, &l))
			fatal("CVMSTAT_IOC_LIST_VMS");
		if (l.total > max_vms)
			violation("LIST total %u > max_vms %u", l.total, max_vms);
		if (l.nr > *cap)
			violation("LIST wrote %u entries into room for %u", l.nr, *cap);
		if (l.total <= *cap && l.nr == l.total)
			return l.nr;
		*cap = l.total + 16;
		*out = realloc(*out, *cap * sizeof(**out));
		if (!*out)
			fatal("realloc");
	}
}

static bool same_identity(const struct cvmstat_vm_info *a,
			  const struct cvmstat_vm_info *b)
{
	return a->pid == b->pid && a->first_ns == b->first_ns &&
	       !strncmp(a->comm, b->comm, sizeof(a->comm));
}

/* Records well-formed; returns false (after reporting) if not. */
static bool well_formed(uint64_t id, const struct cvmstat_record *r, uint32_t n,
			uint32_t nr_vcpus)
{
	uint32_t i, vcpus = 0;
	uint64_t sum = 0, total = 0;
	bool have = false;
	uint32_t cur = 0;

	for (i = 0; i <= n; i++) {
		if (i == n || r[i].kind == CVMSTAT_KIND_VCPU) {
			if (have && sum != total) {
				violation("VM %llu vCPU %u: VCPU count %llu != sum of reasons %llu",
					  (unsigned long long)id, cur,
					  (unsigned long long)total,
					  (unsigned long long)sum);
				return false;
			}
			if (i == n)
				break;
			if (have && r[i].vcpu_id <= cur) {
				violation("VM %llu: vCPU %u after vCPU %u",
					  (unsigned long long)id, r[i].vcpu_id, cur);
				return false;
			}
			have = true;
			cur = r[i].vcpu_id;
			total = r[i].count;
			sum = 0;
			vcpus++;
			continue;
		}
		if (!have || r[i].vcpu_id != cur || r[i].kind < CVMSTAT_KIND_REASON ||
		    r[i].kind > CVMSTAT_KIND_VCPU || !r[i].count || r[i].pad ||
		    r[i].dir > CVMSTAT_DIR_WRITE) {
			violation("VM %llu: bad record %u: vcpu %u kind %u dir %u key %#llx count %llu",
				  (unsigned long long)id, i, r[i].vcpu_id, r[i].kind,
				  r[i].dir, (unsigned long long)r[i].key,
				  (unsigned long long)r[i].count);
			return false;
		}
		if (r[i].kind == CVMSTAT_KIND_REASON)
			sum += r[i].count;
	}
	if (vcpus != nr_vcpus) {
		violation("VM %llu: %u vCPUs in the records, nr_vcpus %u",
			  (unsigned long long)id, vcpus, nr_vcpus);
		return false;
	}
	return true;
}

static const struct cvmstat_record *find(const struct cvmstat_record *r,
					 uint32_t n, const struct cvmstat_record *k)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (r[i].vcpu_id == k->vcpu_id && r[i].kind == k->kind &&
		    r[i].dir == k->dir && r[i].key == k->key)
			return &r[i];
	return NULL;
}

/* Compares a read with the previous one of the same VM. */
static void compare(uint64_t id, struct vm *v, const struct cvmstat_record *r,
		    uint32_t n)
{
	uint32_t i;

	if (resets || !v->recs)
		return;
	for (i = 0; i < v->nr; i++) {
		const struct cvmstat_record *o = &v->recs[i], *c = find(r, n, o);

		if (!c || c->count < o->count) {
			violation("VM %llu: vCPU %u kind %u key %#llx dir %u went from %llu to %llu",
				  (unsigned long long)id, o->vcpu_id, o->kind,
				  (unsigned long long)o->key, o->dir,
				  (unsigned long long)o->count,
				  (unsigned long long)(c ? c->count : 0));
			return;
		}
	}
	if (v->recs_exited && (n != v->nr || memcmp(r, v->recs, n * sizeof(*r))))
		violation("VM %llu: counters changed after the VM exited (%u records, were %u)",
			  (unsigned long long)id, n, v->nr);
}

static void read_vm(uint64_t id, struct vm *v, bool exited, uint32_t nr_vcpus)
{
	struct cvmstat_read r;
	struct cvmstat_record *recs = NULL;
	uint32_t cap = 0;

	for (;;) {
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.vm_id = id;
		r.nr = cap;
		r.records = (uintptr_t)recs;
		if (!ioctl(fd, CVMSTAT_IOC_READ_VM, &r))
			break;
		if (errno == ENOENT || errno == EAGAIN) {
			if (errno == ENOENT)
				enoent++;
			else
				eagain++;
			free(recs);
			return;
		}
		if (errno != ENOSPC)
			fatal("CVMSTAT_IOC_READ_VM");
		cap = r.nr + 64;
		free(recs);
		recs = calloc(cap, sizeof(*recs));
		if (!recs)
			fatal("calloc");
	}
	reads++;
	/* a VM may gain vCPUs between LIST and READ */
	if (!well_formed(id, recs, r.nr, r.nr_vcpus) ||
	    (exited && r.nr_vcpus != nr_vcpus) || r.nr_vcpus < nr_vcpus) {
		if (r.nr_vcpus < nr_vcpus || (exited && r.nr_vcpus != nr_vcpus))
			violation("VM %llu: read %u vCPUs, listed %u (%s)",
				  (unsigned long long)id, r.nr_vcpus, nr_vcpus,
				  exited ? "exited" : "alive");
		free(recs);
		return;
	}
	compare(id, v, recs, r.nr);
	free(v->recs);
	v->recs = recs;
	v->nr = r.nr;
	v->recs_exited = exited;
}

static void poll_once(void)
{
	static struct cvmstat_vm_info *l;
	static uint32_t cap;
	uint32_t max_vms, n, i;
	uint64_t id;

	polls++;
	max_vms = check_version();
	n = list(&l, &cap, max_vms);
	for (i = 0; i < n; i++) {
		struct cvmstat_vm_info *e = &l[i];
		struct vm *v;
		bool exited = !(e->flags & CVMSTAT_VM_ALIVE);

		id = e->vm_id;
		if (i && id <= l[i - 1].vm_id)
			violation("LIST: vm_id %llu after %llu",
				  (unsigned long long)id,
				  (unsigned long long)l[i - 1].vm_id);
		if (!id || id > 100000000) {
			violation("LIST: vm_id %llu", (unsigned long long)id);
			continue;
		}
		v = vm_of(id);
		switch (v->state) {
		case UNSEEN:
			if (id <= max_id)
				violation("new vm_id %llu is not above %llu, seen before",
					  (unsigned long long)id,
					  (unsigned long long)max_id);
			v->state = LISTED;
			v->info = *e;
			seen++;
			break;
		case GONE:
			violation("vm_id %llu is back after it left the list",
				  (unsigned long long)id);
			v->state = LISTED;
			break;
		case LISTED:
			if (!same_identity(&v->info, e))
				violation("vm_id %llu changed identity: pid %d -> %d, first_ns %llu -> %llu",
					  (unsigned long long)id, v->info.pid, e->pid,
					  (unsigned long long)v->info.first_ns,
					  (unsigned long long)e->first_ns);
			if (v->exited && (!exited || e->exit_ns != v->info.exit_ns))
				violation("vm_id %llu: exited, then flags %#x exit_ns %llu",
					  (unsigned long long)id, e->flags,
					  (unsigned long long)e->exit_ns);
			v->info = *e;
			break;
		}
		if (exited && !e->exit_ns)
			violation("vm_id %llu: exited without exit_ns",
				  (unsigned long long)id);
		if (e->flags & (CVMSTAT_VM_STALE | CVMSTAT_VM_PARTIAL))
			violation("vm_id %llu: flags %#x (stale or partial)",
				  (unsigned long long)id, e->flags);
		v->exited = exited;
		v->listed_at = polls;
		if (id > max_id)
			max_id = id;
	}
	/* those no longer listed are gone for good */
	for (id = 1; id < nr_ids && id <= max_id; id++) {
		if (vms[id].state == LISTED && vms[id].listed_at != polls) {
			vms[id].state = GONE;
			free(vms[id].recs);
			vms[id].recs = NULL;
		}
	}
	for (i = 0; i < n; i++) {
		id = l[i].vm_id;
		if (id && id <= 100000000)
			read_vm(id, vm_of(id), !(l[i].flags & CVMSTAT_VM_ALIVE),
				l[i].nr_vcpus);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec t0, t;
	unsigned long secs = 0, ms = 0;
	const char *dev = "/dev/cvmstat";
	int c;

	while ((c = getopt(argc, argv, "RT:i:d:h")) != -1) {
		switch (c) {
		case 'R':
			resets = true;
			break;
		case 'T':
			secs = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			ms = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			dev = optarg;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: vmwatch [-R] [-i MILLISECONDS] [-T SECONDS] [-d DEVICE]\n"
				"Polls the device (every MILLISECONDS, default back to back) until\n"
				"SIGTERM or SECONDS, checking its invariants.\n"
				"  -R  counters may be reset meanwhile (skip the monotonicity checks)\n");
			return c == 'h' ? 0 : 2;
		}
	}
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fatal(dev);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		poll_once();
		if (ms) {
			struct timespec d = { ms / 1000, ms % 1000 * 1000000 };

			nanosleep(&d, NULL);
		}
		if (secs) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((unsigned long)(t.tv_sec - t0.tv_sec) >= secs)
				break;
		}
	}
	printf("vmwatch: polls=%lu reads=%lu enoent=%lu eagain=%lu vms_seen=%lu max_vm_id=%llu max_held=%lu violations=%lu\n",
	       polls, reads, enoent, eagain, seen, (unsigned long long)max_id,
	       max_held, violations);
	return violations ? 1 : 0;
}

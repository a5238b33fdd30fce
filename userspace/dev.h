/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dev: /dev/cvmstat for the cvmstat tool.  Opens the device with the ABI
 * handshake, wraps the ioctls, and turns failures into one line on stderr
 * and the tool's documented exit codes (cvmstat(8), EXIT STATUS).
 */
#ifndef CVMSTAT_DEV_H
#define CVMSTAT_DEV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/cvmstat.h>

/* Exit codes of every cvmstat command. */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_SYSTEM = 2,
	EXIT_NOVM = 3,
	EXIT_NOMODULE = 4,
	EXIT_PERM = 5,
	EXIT_CMD_NOEXEC = 126,
	EXIT_CMD_NOTFOUND = 127,
};

/* Set by main(): the command running ("show"), for error messages. */
extern const char *cvm_cmd;
/* The device path: -d, else $CVMSTAT_DEV, else /dev/cvmstat. */
extern const char *cvm_dev_path;

/* "cvmstat: CMD: message\n" on stderr. */
void cvm_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same; @usage adds a pointer to the command's --help. */
void cvm_verr(bool usage, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* The exit code for a failed system call's errno (EACCES -> EXIT_PERM...). */
int cvm_errno_exit(int err);

/*
 * Opens the device and checks the ABI major.  On failure prints why and how
 * to fix it (module not loaded, not installed, permission) and returns
 * -(exit code).  @ver, when not NULL, gets the version answer.
 */
int cvm_dev_open(struct cvmstat_version *ver);
/*
 * The same, opened with @mode (O_RDWR for the commands that change state:
 * the module wants a file open for writing, and CAP_SYS_ADMIN, for those).
 */
int cvm_dev_open_mode(struct cvmstat_version *ver, int mode);

/*
 * 0 when the module @ver describes times exits (ABI 1.4, feature LATENCY);
 * else says so and returns EXIT_NOMODULE.
 */
int cvm_need_latency(const struct cvmstat_version *ver);

/* One VM's counters, as READ_VM returned them. */
struct cvm_vm_read {
	uint64_t vm_id;
	uint64_t snap_ns;
	uint32_t nr_vcpus;
	uint32_t nr;
	struct cvmstat_record *recs;	/* malloc'ed, @nr records */
};

/*
 * All VMs the module holds, oldest first, into *vms (malloc'ed).  Returns
 * their number, or -(exit code) after printing the error.
 */
int cvm_list_vms(int fd, struct cvmstat_vm_info **vms);

/*
 * Reads VM @vm_id, live (@phase 0) or as of mark @phase.  Returns 0, or
 * -errno of the ioctl (-ENOENT gone, -ESTALE boundary not held) without
 * printing anything: the callers decide what those mean.
 */
int cvm_read_vm(int fd, uint64_t vm_id, uint64_t phase, struct cvm_vm_read *out);
/*
 * The same with CVMSTAT_READ_* @flags (AT_PHASE is set from @phase).
 * cvm_read_vm() passes cvm_read_flags: CVMSTAT_READ_HALTPOLL when the
 * module opened last has CVMSTAT_FEAT_HALTPOLL, so every view and
 * recording carries the halt-poll counters.
 */
int cvm_read_vm_flags(int fd, uint64_t vm_id, uint64_t phase, uint32_t flags,
		      struct cvm_vm_read *out);
extern uint32_t cvm_read_flags;
void cvm_vm_read_free(struct cvm_vm_read *r);

/*
 * Marks after @after (oldest first, at most CVMSTAT_PHASE_RING) into @marks.
 * Returns how many, or -errno; *last gets the newest seq, *lost how many
 * marks after @after the module no longer holds.
 */
int cvm_phase_list(int fd, uint64_t after, struct cvmstat_phase *marks,
		   uint64_t *last, uint32_t *lost);

/* Parses a process id for --vm (1..INT_MAX).  False: not one. */
bool cvm_parse_pid(const char *s, pid_t *pid);

/* Parses an interval in seconds, decimal, [0.01, 86400], into ns. */
bool cvm_parse_interval(const char *s, uint64_t *ns);

/*
 * Parses --ecam: "off" (size 0), or BASE[,SIZE] in bytes (C notation: 0x
 * for hex), both multiples of 1 MiB, SIZE 1 to 256 MiB (default 256).
 */
bool cvm_parse_ecam(const char *s, uint64_t *base, uint64_t *size);

/* Parses an unsigned decimal number in [min, max]. */
bool cvm_parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *v);

/* The loaded module's phase_port parameter; -1 when off or unknown. */
int cvm_phase_port(void);

/* CLOCK_MONOTONIC now, ns. */
uint64_t cvm_now_ns(void);

#endif /* CVMSTAT_DEV_H */

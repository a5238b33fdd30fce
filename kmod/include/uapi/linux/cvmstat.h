/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * cvmstat: per-VM, per-vCPU KVM exit accounting.  The only ABI between
 * cvmstat.ko and userspace.
 *
 * Device: /dev/cvmstat (misc, root-only by default).  Every command is an
 * ioctl on an open file descriptor; read(2) and write(2) are not supported.
 *
 * Conventions
 *   - Every struct has fixed-width fields, natural alignment, a size that is
 *     a multiple of 8, and explicit padding that must be zero on input.
 *   - Every input struct starts with __u32 size = sizeof(struct).  A size
 *     the module does not know gives -EINVAL.
 *   - User buffers are passed as __u64 addresses.
 *   - Times are nanoseconds on CLOCK_MONOTONIC.
 *   - An unknown ioctl gives -ENOTTY.  Released ioctl numbers and structs
 *     are never changed; new behaviour gets new numbers or new flags, and
 *     CVMSTAT_IOC_VERSION reports which are present (features).
 *   - -EFAULT: a user address could not be read or written.
 *   - -EPERM / -EACCES: the caller may not open the device (mode 0600).
 *   - Commands that change state (RESET, PHASE_MARK, GUEST_MARKS, HP_SET)
 *     need a file opened for writing (else -EBADF) and CAP_SYS_ADMIN (else
 *     -EPERM), so a device opened up to a monitoring group for reading
 *     lets that group read, nothing more.
 *   - -EINTR: a fatal signal arrived while waiting for another command.
 *
 * Identifiers
 *   A VM is named by vm_id, a number the module hands out when it first sees
 *   the VM (its first exit).  vm_ids are never reused while the module is
 *   loaded, so a new VM never inherits an old one's counters, even when KVM
 *   reuses the memory of a destroyed VM.  A vCPU is named by vcpu_id, the id
 *   the VMM gave it (KVM_CREATE_VCPU, the x86 APIC ID).
 *
 * Lifetime
 *   A VM's counters stay readable after the VM is destroyed (state EXITED)
 *   until CVMSTAT_IOC_RESET, or until its slots are needed for a new VM and
 *   it is the oldest exited VM (the retention limit is the module parameters
 *   max_vms and max_vcpus).  A VM or vCPU that finds no free slot is not
 *   counted; that is reported in struct cvmstat_version (untracked_*).
 */
#ifndef _UAPI_LINUX_CVMSTAT_H
#define _UAPI_LINUX_CVMSTAT_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CVMSTAT_ABI_MAJOR	1
#define CVMSTAT_ABI_MINOR	4

#define CVMSTAT_IOC_MAGIC	0xCE

/* What this build of the module can do (struct cvmstat_version.features). */
#define CVMSTAT_FEAT_EXIT_REASON	(1ULL << 0) /* exit reasons are read */
#define CVMSTAT_FEAT_VM_LIFETIME	(1ULL << 1) /* VM/vCPU destruction seen */
#define CVMSTAT_FEAT_SVM_FAST_REASON	(1ULL << 2) /* reason read from VMCB */
#define CVMSTAT_FEAT_VM_TYPE		(1ULL << 3) /* kvm->arch.vm_type known */
#define CVMSTAT_FEAT_KVM_ENTRY_2ARG	(1ULL << 4) /* kvm_entry(vcpu, bool) */
#define CVMSTAT_FEAT_PHASES		(1ULL << 5) /* phase marks (ABI 1.1) */
#define CVMSTAT_FEAT_GUEST_MARKS_OPTIN	(1ULL << 6) /* ABI 1.2: see GUEST_MARKS */
#define CVMSTAT_FEAT_HALTPOLL		(1ULL << 7) /* ABI 1.3: halt polling */
#define CVMSTAT_FEAT_HALTPOLL_VM	(1ULL << 8) /* ABI 1.3: HP_VM, HP_SET */
#define CVMSTAT_FEAT_LATENCY		(1ULL << 9) /* ABI 1.4: see LATENCY */

/*
 * Probes (struct cvmstat_version.probes_bound / probes_known): bit n is the
 * tracepoint below.  "known" means its prototype was established for this
 * kernel at build time; "bound" means it is attached right now (kvm.ko is
 * loaded and registration succeeded).
 */
enum cvmstat_probe {
	CVMSTAT_PROBE_KVM_EXIT = 0,
	CVMSTAT_PROBE_KVM_MMIO = 1,
	CVMSTAT_PROBE_KVM_FAST_MMIO = 2,
	CVMSTAT_PROBE_KVM_MSR = 3,
	CVMSTAT_PROBE_KVM_PIO = 4,
	CVMSTAT_PROBE_KVM_VMGEXIT_ENTER = 5,
	CVMSTAT_PROBE_KVM_VMGEXIT_MSR_PROTOCOL_ENTER = 6,
	CVMSTAT_PROBE_KVM_USERSPACE_EXIT = 7,
	CVMSTAT_PROBE_KVM_VCPU_WAKEUP = 8,	/* ABI 1.3 */
	CVMSTAT_PROBE_KVM_HALT_POLL_NS = 9,	/* ABI 1.3 */
	CVMSTAT_PROBE_NR = 10,
};

/**
 * struct cvmstat_version - CVMSTAT_IOC_VERSION
 * @size: in: sizeof(struct cvmstat_version)
 * @abi_major: out: CVMSTAT_ABI_MAJOR; userspace refuses another major
 * @abi_minor: out: CVMSTAT_ABI_MINOR; new minors only add
 * @features: out: CVMSTAT_FEAT_* of this build and kernel
 * @probes_known: out: bit per enum cvmstat_probe whose prototype is known
 * @probes_bound: out: bit per enum cvmstat_probe attached now
 * @max_vms: out: VM slots (module parameter max_vms)
 * @max_vcpus: out: vCPU slots (module parameter max_vcpus)
 * @nr_vms: out: VMs held now (alive and exited)
 * @isa: out: 0 unknown, 1 VMX (Intel), 2 SVM (AMD) of the loaded vendor
 * @untracked_vms: out: VMs that found no free slot (their exits not counted)
 * @untracked_vcpus: out: vCPUs that found no free slot
 * @unattributed: out: vCPU-less events (MSR, port, MMIO, ...) that fired
 *	while KVM ran no vCPU the module holds (not counted anywhere else)
 * @lifetime_missed: out (ABI 1.2): VMs found dead without their destruction
 *	having been seen (kprobes disarmed by hand, a build that inlined the
 *	hooked functions); each was retired then and is flagged
 *	CVMSTAT_VM_STALE: its counts may include some of the VM that reused
 *	its memory.  Should be 0.
 * @vcpu_bytes: out (ABI 1.2): memory one vCPU's counters take: a VM's
 *	counting takes this times its vCPUs; the module holds @max_vcpus
 *	slots of it from load on (their key tables are fixed in size)
 * @reserved: must be zero on input; zero on output
 */
struct cvmstat_version {
	__u32 size;
	__u16 abi_major;
	__u16 abi_minor;
	__u64 features;
	__u32 probes_known;
	__u32 probes_bound;
	__u32 max_vms;
	__u32 max_vcpus;
	__u32 nr_vms;
	__u32 isa;
	__u64 untracked_vms;
	__u64 untracked_vcpus;
	__u64 unattributed;
	__u64 lifetime_missed;
	__u64 vcpu_bytes;
	__u64 reserved[2];
};

enum cvmstat_vm_type {
	CVMSTAT_VM_PLAIN = 0,
	CVMSTAT_VM_SEV = 1,
	CVMSTAT_VM_SEV_ES = 2,
	CVMSTAT_VM_SNP = 3,
	CVMSTAT_VM_TDX = 4,
	CVMSTAT_VM_SW_PROTECTED = 5,
};

#define CVMSTAT_VM_ALIVE	(1U << 0)	/* not yet destroyed */
/* ABI 1.2 */
#define CVMSTAT_VM_GUEST_MARKS	(1U << 1)	/* its guest marks count now */
#define CVMSTAT_VM_PARTIAL	(1U << 2)	/* a vCPU found no slot at its
						 * first exit: counted since */
#define CVMSTAT_VM_STALE	(1U << 3)	/* retired, see lifetime_missed */

/**
 * struct cvmstat_vm_info - one VM in CVMSTAT_IOC_LIST_VMS
 * @vm_id: module-assigned id, never reused
 * @pid: VMM process (thread group) id
 * @nr_vcpus: vCPUs seen so far
 * @type: enum cvmstat_vm_type
 * @flags: CVMSTAT_VM_*
 * @pad: zero
 * @first_ns: first exit seen (CLOCK_MONOTONIC)
 * @exit_ns: destruction (CLOCK_MONOTONIC), 0 while alive
 * @comm: VMM command name, NUL-terminated
 * @guest_marks_dropped: (ABI 1.2) writes to the phase port that made no
 *	mark while its guest marks were opted in: over the rate limit
 * @reserved: zero
 */
struct cvmstat_vm_info {
	__u64 vm_id;
	__s32 pid;
	__u32 nr_vcpus;
	__u32 type;
	__u32 flags;
	__u64 first_ns;
	__u64 exit_ns;
	char comm[16];
	__u64 guest_marks_dropped;
	__u64 reserved[1];
};

/**
 * struct cvmstat_vm_list - CVMSTAT_IOC_LIST_VMS
 * @size: in: sizeof(struct cvmstat_vm_list)
 * @nr: in: capacity of @vms (entries); out: entries written
 * @total: out: VMs held by the module (may exceed @nr)
 * @pad: zero
 * @vms: in: address of struct cvmstat_vm_info[@nr], oldest first
 * @reserved: zero
 */
struct cvmstat_vm_list {
	__u32 size;
	__u32 nr;
	__u32 total;
	__u32 pad;
	__u64 vms;
	__u64 reserved[2];
};

/* struct cvmstat_record.kind: what @key means. */
enum cvmstat_kind {
	/* key = isa << 32 | exit reason as kvm_exit reports it (full 32 bits) */
	CVMSTAT_KIND_REASON = 1,
	/* key = GHCB sw_exit_code of a VMGEXIT (SEV-ES/SNP) */
	CVMSTAT_KIND_VMGEXIT = 2,
	/* key = GHCB MSR-protocol request code (GHCBInfo, bits 11:0) */
	CVMSTAT_KIND_GHCB_MSR = 3,
	/* key = guest-physical address; dir = CVMSTAT_DIR_* */
	CVMSTAT_KIND_MMIO = 4,
	/* key = MSR index; dir = CVMSTAT_DIR_* */
	CVMSTAT_KIND_MSR = 5,
	/* key = I/O port; dir = CVMSTAT_DIR_* */
	CVMSTAT_KIND_PIO = 6,
	/* key = TDX GHCI TDVMCALL leaf seen leaving to userspace (TDX only) */
	CVMSTAT_KIND_TDX_LEAF = 7,
	/* key = the kind whose bounded table was full; count = events lost */
	CVMSTAT_KIND_OVERFLOW = 8,
	/* one per vCPU, key = vcpu_idx, count = total exits (the sum of REASON) */
	CVMSTAT_KIND_VCPU = 9,
	/* ABI 1.3, only with CVMSTAT_READ_HALTPOLL: see "Halt polling" below */
	CVMSTAT_KIND_HALT = 10,
	CVMSTAT_KIND_HALT_HIST = 11,
	CVMSTAT_KIND_HALT_WINDOW = 12,
	/* ABI 1.3, only with CVMSTAT_READ_HALTPOLL_STATE */
	CVMSTAT_KIND_HALT_STATE = 13,
	/*
	 * ABI 1.4, only with CVMSTAT_READ_LATENCY: exit-handling time (see
	 * CVMSTAT_IOC_LATENCY).  key = CVMSTAT_LAT_KEY(), dir =
	 * CVMSTAT_LAT_KERNEL or CVMSTAT_LAT_USER; count as the kind says.
	 */
	CVMSTAT_KIND_LAT_COUNT = 14,	/* exits timed */
	CVMSTAT_KIND_LAT_SUM = 15,	/* their total, ns */
	CVMSTAT_KIND_LAT_MIN = 16,	/* shortest, ns */
	CVMSTAT_KIND_LAT_MAX = 17,	/* longest, ns */
	/* key also holds CVMSTAT_LAT_BUCKET_KEY(bucket); count = exits in it */
	CVMSTAT_KIND_LAT_BUCKET = 18,
	/* the exit not yet followed by an entry (count 1), see LATENCY */
	CVMSTAT_KIND_LAT_OPEN = 19,
	/* key = CVMSTAT_LAT_LOST_*; count = exit/entry pairs not recorded */
	CVMSTAT_KIND_LAT_LOST = 20,
};

#define CVMSTAT_DIR_NONE	0
#define CVMSTAT_DIR_READ	1	/* MMIO read, RDMSR, IN */
#define CVMSTAT_DIR_WRITE	2	/* MMIO write, WRMSR, OUT */

/* Exit reason key for CVMSTAT_KIND_REASON */
#define CVMSTAT_ISA_VMX		1
#define CVMSTAT_ISA_SVM		2
#define CVMSTAT_REASON_KEY(isa, reason) \
	(((__u64)(isa) << 32) | (__u32)(reason))

/*
 * Latency keys (ABI 1.4): bits 0-31 the code, 32-35 the isa, 36-39 the
 * class of the code (CVMSTAT_LAT_CLASS_*), 40-48 the histogram bucket
 * (LAT_BUCKET only, else 0).  Class REASON: the exit reason as kvm_exit
 * reports it.  An SEV-ES/SNP VMGEXIT (SVM exit 0x403) is timed under the
 * GHCB software exit code the guest asked for (VMGEXIT; codes above
 * 0xffffffff as 0xffffffff) or, through the GHCB MSR protocol, its request
 * code (GHCB_MSR); a TDX TDCALL (exit 77) that leaves to userspace under
 * its GHCI leaf (TDX_LEAF), one handled in the kernel under reason 77.
 * Buckets are log-linear: bucket b < 16 holds b ns; above, each power of
 * two 2^p (p >= 4) is cut into 16: bucket b holds
 * [(16 + b % 16) << (b / 16 - 1), (17 + b % 16) << (b / 16 - 1)) ns; the
 * last (511, from 31 << 30 ns) also holds everything longer.
 */
#define CVMSTAT_LAT_CLASS_REASON	0
#define CVMSTAT_LAT_CLASS_VMGEXIT	1
#define CVMSTAT_LAT_CLASS_GHCB_MSR	2
#define CVMSTAT_LAT_CLASS_TDX_LEAF	3
#define CVMSTAT_LAT_KEY(isa, reason)	CVMSTAT_REASON_KEY(isa, reason)
#define CVMSTAT_LAT_CLASS_KEY(cls)	((__u64)(cls) << 36)
#define CVMSTAT_LAT_CLASS_OF(key)	((unsigned int)((key) >> 36) & 0xf)
#define CVMSTAT_LAT_CODE_OF(key)	((__u32)(key))
#define CVMSTAT_LAT_BUCKET_KEY(b)	((__u64)(b) << 40)
#define CVMSTAT_LAT_BUCKET_OF(key)	((unsigned int)((key) >> 40) & 0x1ff)
/* the key without its bucket: what a timed exit is grouped by */
#define CVMSTAT_LAT_REASON_OF(key)	((key) & 0xffffffffffULL)
#define CVMSTAT_LAT_BUCKETS		512
#define CVMSTAT_LAT_KERNEL	1	/* handled in the kernel */
#define CVMSTAT_LAT_USER	2	/* left through kvm_userspace_exit */
#define CVMSTAT_LAT_LOST_CROSS_CPU	0 /* entry on another CPU, clock not synced */
#define CVMSTAT_LAT_LOST_ABSURD		1 /* negative or over an hour */
#define CVMSTAT_LAT_LOST_FULL		2 /* vCPU's key table full (32 keys) */

/**
 * struct cvmstat_record - one counter in CVMSTAT_IOC_READ_VM
 * @vcpu_id: the vCPU it belongs to
 * @kind: enum cvmstat_kind
 * @dir: CVMSTAT_DIR_* (MMIO, MSR, PIO), else CVMSTAT_DIR_NONE
 * @pad: zero
 * @key: see enum cvmstat_kind
 * @count: events since the VM was first seen or last reset
 *
 * Records come grouped by vCPU (ascending vcpu_id), each vCPU starting with
 * its CVMSTAT_KIND_VCPU record.  A zero count is never reported.
 */
struct cvmstat_record {
	__u32 vcpu_id;
	__u16 kind;
	__u8 dir;
	__u8 pad;
	__u64 key;
	__u64 count;
};

/**
 * struct cvmstat_read - CVMSTAT_IOC_READ_VM
 * @size: in: sizeof(struct cvmstat_read)
 * @flags: in: 0 or CVMSTAT_READ_AT_PHASE; since ABI 1.3 also
 *	CVMSTAT_READ_HALTPOLL, CVMSTAT_READ_HALTPOLL_STATE (see "Halt polling");
 *	since ABI 1.4 also CVMSTAT_READ_LATENCY (see CVMSTAT_IOC_LATENCY)
 * @vm_id: in: the VM
 * @nr: in: capacity of @records; out: records written, or with -ENOSPC the
 *	capacity needed at the time of the call
 * @nr_vcpus: out: vCPUs in the snapshot
 * @records: in: address of struct cvmstat_record[@nr]
 * @snap_ns: out: when the snapshot was taken (CLOCK_MONOTONIC)
 * @phase: in: with CVMSTAT_READ_AT_PHASE, the mark (struct cvmstat_phase.seq)
 *	to read the counters as of; else must be 0
 * @reserved: zero
 *
 * Every vCPU is copied at one instant (a vCPU's records are mutually
 * consistent); different vCPUs are copied one after another.  A vCPU that
 * exits too fast for two copies to agree is asked to copy itself at its next
 * exit, so a read takes bounded time whatever the exit rate.
 *
 * With CVMSTAT_READ_AT_PHASE each vCPU is read as it was when mark @phase
 * was made: everything it did before the mark, nothing after.  @phase must
 * be a host mark or a guest mark of this VM.  The module keeps one such
 * boundary per vCPU, the latest, and only while a phase reader has called
 * CVMSTAT_IOC_PHASE_LIST once: read each mark soon after it is made (poll()
 * tells when).
 *
 * Errors: -EINVAL bad size, flags or reserved; -ENOENT no such vm_id;
 * -ENOSPC @records too small (@nr tells how many are needed);
 * -ESTALE (AT_PHASE) a vCPU's boundary at @phase is no longer held;
 * -EAGAIN a running vCPU neither stopped nor exited for a second;
 * -EINTR fatal signal; -EFAULT bad address; -ENOMEM no memory.
 */
struct cvmstat_read {
	__u32 size;
	__u32 flags;
	__u64 vm_id;
	__u32 nr;
	__u32 nr_vcpus;
	__u64 records;
	__u64 snap_ns;
	__u64 phase;
	__u64 reserved[1];
};

#define CVMSTAT_READ_AT_PHASE	(1U << 0)
/* ABI 1.3 (CVMSTAT_FEAT_HALTPOLL): see "Halt polling" below */
#define CVMSTAT_READ_HALTPOLL		(1U << 1)
#define CVMSTAT_READ_HALTPOLL_STATE	(1U << 2)
/* ABI 1.4: also the vCPUs' CVMSTAT_KIND_LAT_* records (not with AT_PHASE) */
#define CVMSTAT_READ_LATENCY		(1U << 3)

/* struct cvmstat_reset.flags */
#define CVMSTAT_RESET_ALL	(1U << 0)	/* every VM; vm_id must be 0 */

/**
 * struct cvmstat_reset - CVMSTAT_IOC_RESET
 * @size: in: sizeof(struct cvmstat_reset)
 * @flags: in: 0 or CVMSTAT_RESET_ALL
 * @vm_id: in: the VM (flags 0)
 * @reserved: zero
 *
 * A live VM's counters restart from zero; an exited VM is forgotten and its
 * slots freed.
 *
 * Errors: -EINVAL bad size, flags, reserved, or vm_id with RESET_ALL;
 * -ENOENT no such vm_id; -EBADF, -EPERM (see Conventions).
 */
struct cvmstat_reset {
	__u32 size;
	__u32 flags;
	__u64 vm_id;
	__u64 reserved[2];
};

/*
 * Phase marks: the boundaries of a benchmark's phases, made from the host
 * (CVMSTAT_IOC_PHASE_MARK, for every VM) or from inside a guest, for its own
 * VM, by writing a byte to the I/O port given by the module parameter
 * phase_port (default 0xf4; -1: off), which works in SEV-ES/SNP and TDX
 * guests too.  Since ABI 1.2 a guest's writes mark only while a reader has
 * opted its VM in (CVMSTAT_IOC_GUEST_MARKS), and at most 16 per 100 ms per
 * VM (more are counted in struct cvmstat_vm_info.guest_marks_dropped).
 * Marks are numbered by one sequence for all VMs; the module keeps the last
 * CVMSTAT_PHASE_RING.  poll() on /dev/cvmstat reports POLLIN when there are
 * marks the file has not listed yet with CVMSTAT_IOC_PHASE_LIST.
 */
#define CVMSTAT_PHASE_NAME_LEN	64
#define CVMSTAT_PHASE_RING	64
#define CVMSTAT_PHASE_HOST	1
#define CVMSTAT_PHASE_GUEST	2

/**
 * struct cvmstat_phase - one mark
 * @seq: 1, 2, ...; never reused while the module is loaded
 * @time_ns: when it was made (CLOCK_MONOTONIC)
 * @vm_id: guest marks: the VM; host marks: 0
 * @vcpu_id: guest marks: the vCPU that wrote the port
 * @source: CVMSTAT_PHASE_HOST or CVMSTAT_PHASE_GUEST
 * @value: guest marks: the byte written; host marks: 0
 * @pad: zero
 * @name: host marks: the name given, NUL-terminated; guest marks: ""
 */
struct cvmstat_phase {
	__u64 seq;
	__u64 time_ns;
	__u64 vm_id;
	__u32 vcpu_id;
	__u32 source;
	__u32 value;
	__u32 pad;
	char name[CVMSTAT_PHASE_NAME_LEN];
};

/**
 * struct cvmstat_phase_mark - CVMSTAT_IOC_PHASE_MARK
 * @size: in: sizeof(struct cvmstat_phase_mark)
 * @flags: in: 0
 * @name: in: the phase that starts, non-empty, NUL-terminated
 * @seq: out: the mark's number
 * @reserved: zero
 *
 * Errors: -EINVAL bad size, flags, reserved, empty or unterminated name;
 * -EBADF, -EPERM (see Conventions).
 */
struct cvmstat_phase_mark {
	__u32 size;
	__u32 flags;
	char name[CVMSTAT_PHASE_NAME_LEN];
	__u64 seq;
	__u64 reserved[2];
};

/**
 * struct cvmstat_phase_list - CVMSTAT_IOC_PHASE_LIST
 * @size: in: sizeof(struct cvmstat_phase_list)
 * @nr: in: capacity of @marks; out: marks written
 * @after: in: list marks with seq > @after, oldest first
 * @marks: in: address of struct cvmstat_phase[@nr]
 * @last: out: the newest mark's seq (0: none yet)
 * @lost: out: marks after @after no longer held (the ring wrapped)
 * @pad: zero
 * @reserved: zero
 *
 * The first call also makes the module keep phase boundaries (see
 * CVMSTAT_READ_AT_PHASE).
 *
 * Errors: -EINVAL bad size, pad or reserved; -EFAULT; -ENOMEM.
 */
struct cvmstat_phase_list {
	__u32 size;
	__u32 nr;
	__u64 after;
	__u64 marks;
	__u64 last;
	__u32 lost;
	__u32 pad;
	__u64 reserved[2];
};

/* struct cvmstat_guest_marks.flags */
#define CVMSTAT_GUEST_MARKS_ALL	(1U << 0)	/* every VM; pid must be 0 */

/**
 * struct cvmstat_guest_marks - CVMSTAT_IOC_GUEST_MARKS (ABI 1.2)
 * @size: in: sizeof(struct cvmstat_guest_marks)
 * @flags: in: 0 or CVMSTAT_GUEST_MARKS_ALL
 * @pid: in: with flags 0, the VMM process whose VMs' guest marks count
 *	(0: none); must be 0 with CVMSTAT_GUEST_MARKS_ALL
 * @pad: zero
 * @reserved: zero
 *
 * Opts guest phase marks in for this open file: the selection replaces the
 * file's previous one and ends when the file is closed.  A VM's guest marks
 * count while any open file selects it (struct cvmstat_vm_info.flags shows
 * CVMSTAT_VM_GUEST_MARKS).
 *
 * Errors: -EINVAL bad size, flags, pad, reserved, or a negative pid, or a
 * pid with ALL; -ENOSPC too many distinct pids selected by all files (32);
 * -EBADF, -EPERM (see Conventions).
 */
struct cvmstat_guest_marks {
	__u32 size;
	__u32 flags;
	__s32 pid;
	__u32 pad;
	__u64 reserved[2];
};

/* struct cvmstat_latency.flags */
#define CVMSTAT_LATENCY_SET	(1U << 0)	/* switch to @on */

/**
 * struct cvmstat_latency - CVMSTAT_IOC_LATENCY (ABI 1.4)
 * @size: in: sizeof(struct cvmstat_latency)
 * @flags: in: 0 to query, or CVMSTAT_LATENCY_SET
 * @on: in (SET): 1 to time exits, 0 to stop; out: the state now
 * @pad: zero
 * @bytes: out: memory the times take while on (max_vcpus blocks)
 * @reserved: zero
 *
 * Exit-handling time: from kvm_exit to the vCPU's next kvm_entry, per vCPU
 * and exit reason, split by whether the exit left to userspace (VMM) on the
 * way.  Switching on allocates the times, binds probes on kvm_entry and
 * kvm_userspace_exit and has the kvm_exit probe stamp each exit; switching
 * off undoes that and frees the times (they are lost).  Counting is never interrupted.
 * Also the module parameter latency.  An exit taken before switching on, or
 * whose vCPU never enters again (the VM was destroyed at it, or it is in
 * userspace at the read), is not in the histograms; a read shows the latter
 * as CVMSTAT_KIND_LAT_OPEN.  A vCPU's times are reset with its counters.
 *
 * Errors: -EINVAL bad size, flags, pad, reserved or @on > 1; -ENOMEM;
 * -EOPNOTSUPP (SET on) the TSC runs below 125 MHz (the clock); -EBADF,
 * -EPERM (SET, see Conventions).
 */
struct cvmstat_latency {
	__u32 size;
	__u32 flags;
	__u32 on;
	__u32 pad;
	__u64 bytes;
	__u64 reserved[2];
};

/*
 * CVMSTAT_IOC_VERSION: never fails but for -EINVAL (size, reserved) and
 *	-EFAULT.
 * CVMSTAT_IOC_LIST_VMS: -EINVAL bad size, pad or reserved; -EFAULT.
 *	@nr smaller than @total is not an error: the first @nr are written.
 */
#define CVMSTAT_IOC_VERSION	_IOWR(CVMSTAT_IOC_MAGIC, 0x00, struct cvmstat_version)
#define CVMSTAT_IOC_LIST_VMS	_IOWR(CVMSTAT_IOC_MAGIC, 0x01, struct cvmstat_vm_list)
#define CVMSTAT_IOC_READ_VM	_IOWR(CVMSTAT_IOC_MAGIC, 0x02, struct cvmstat_read)
#define CVMSTAT_IOC_RESET	_IOW(CVMSTAT_IOC_MAGIC, 0x03, struct cvmstat_reset)
#define CVMSTAT_IOC_PHASE_MARK	_IOWR(CVMSTAT_IOC_MAGIC, 0x04, struct cvmstat_phase_mark)
#define CVMSTAT_IOC_PHASE_LIST	_IOWR(CVMSTAT_IOC_MAGIC, 0x05, struct cvmstat_phase_list)
#define CVMSTAT_IOC_GUEST_MARKS	_IOW(CVMSTAT_IOC_MAGIC, 0x06, struct cvmstat_guest_marks)

/*
 * Halt polling (ABI 1.3, CVMSTAT_FEAT_HALTPOLL)
 *
 * When a vCPU halts with KVM's in-kernel local APIC, KVM may poll for a
 * wakeup for up to the vCPU's poll window before it schedules out
 * (kvm_vcpu_halt).  The window adapts: it grows after a short halt, shrinks
 * after a long one, and is capped by the VM's maximum: the global kvm
 * module parameter halt_poll_ns, or a per-VM value set with
 * KVM_CAP_HALT_POLL by the VMM or with CVMSTAT_IOC_HP_SET by cvmstat.  A
 * guest can switch polling off for a vCPU by writing 0 to
 * MSR_KVM_POLL_CONTROL (0x4b564d05), as Linux's cpuidle-haltpoll does.
 *
 * READ_VM with CVMSTAT_READ_HALTPOLL adds, after each vCPU's other
 * records, its halt-poll counters (they only grow, and are kept at phase
 * marks like every other counter):
 *   CVMSTAT_KIND_HALT         key = enum cvmstat_halt_key
 *   CVMSTAT_KIND_HALT_HIST    key = k: halts that lasted [2^k, 2^(k+1)) ns
 *                             (k = 0 also holds 0 ns), count = halts
 *   CVMSTAT_KIND_HALT_WINDOW  key = the poll window in force (ns) at a halt
 *                             that polled, count = such halts; windows the
 *                             table has no room for go to CVMSTAT_HALT_
 *                             WINDOW_OVERFLOW
 * and with CVMSTAT_READ_HALTPOLL_STATE its current state, values that are
 * not counts (never summed or differenced; 0 is not reported):
 *   CVMSTAT_KIND_HALT_STATE   key = enum cvmstat_halt_state
 */
enum cvmstat_halt_key {
	CVMSTAT_HALT_HALTS = 0,		/* halts (kvm_vcpu_halt calls) */
	CVMSTAT_HALT_POLL_OK = 1,	/* polled, woken without scheduling out */
	CVMSTAT_HALT_POLL_FAIL = 2,	/* polled, then scheduled out */
	CVMSTAT_HALT_NOT_POLLED = 3,	/* window 0 or polling off by guest */
	CVMSTAT_HALT_NO_POLL_GUEST = 4,	/* of NOT_POLLED: the guest's opt-out */
	CVMSTAT_HALT_INVALID = 5,	/* invalid wakeups (KVM's "valid") */
	CVMSTAT_HALT_NS = 6,		/* time halted, polling included */
	CVMSTAT_HALT_POLL_OK_NS = 7,	/* time polled before a success */
	CVMSTAT_HALT_POLL_FAIL_NS = 8,	/* time polled in vain */
	CVMSTAT_HALT_WAIT_NS = 9,	/* time scheduled out */
	CVMSTAT_HALT_GROW = 10,		/* window grown (kvm_halt_poll_ns) */
	CVMSTAT_HALT_SHRINK = 11,	/* window shrunk */
	CVMSTAT_HALT_GUEST_OFF = 12,	/* guest switched host polling off */
	CVMSTAT_HALT_GUEST_ON = 13,	/* guest switched it back on */
	CVMSTAT_HALT_WINDOW_OVERFLOW = 14, /* polling halts not in a WINDOW key */
	CVMSTAT_HALT_NR = 15,
};

enum cvmstat_halt_state {
	CVMSTAT_HALT_STATE_WINDOW = 0,	/* vcpu->halt_poll_ns after its last
					 * halt (capped by the max at the next) */
	CVMSTAT_HALT_STATE_GUEST_OFF = 1, /* 1: the guest switched polling off */
	CVMSTAT_HALT_STATE_GUEST_NS = 2, /* when the guest's setting was last
					  * seen to change, 0: never */
	CVMSTAT_HALT_STATE_NR = 3,
};

/* Where a VM's maximum poll window comes from. */
#define CVMSTAT_HP_SRC_GLOBAL	0	/* kvm module parameter halt_poll_ns */
#define CVMSTAT_HP_SRC_VMM	1	/* KVM_CAP_HALT_POLL by its VMM */
#define CVMSTAT_HP_SRC_CVMSTAT	2	/* CVMSTAT_IOC_HP_SET */

/* struct cvmstat_hp_vm.state */
#define CVMSTAT_HP_OVERRIDE	(1U << 0) /* the VM's own max is in force */
#define CVMSTAT_HP_SAVED	(1U << 1) /* cvmstat changed it: orig_* held */
#define CVMSTAT_HP_ORIG_OVERRIDE (1U << 2) /* orig: it had its own max */

/**
 * struct cvmstat_hp_vm - CVMSTAT_IOC_HP_VM (ABI 1.3)
 * @size: in: sizeof(struct cvmstat_hp_vm)
 * @flags: in: 0
 * @vm_id: in: the VM
 * @max_ns: out: the VM's own maximum (kvm->max_halt_poll_ns), in force
 *	with CVMSTAT_HP_OVERRIDE; else the global halt_poll_ns is
 * @source: out: CVMSTAT_HP_SRC_*
 * @state: out: CVMSTAT_HP_*
 * @orig_max_ns: out: with CVMSTAT_HP_SAVED, @max_ns before cvmstat first
 *	changed it (CVMSTAT_HP_ORIG_OVERRIDE: it was in force)
 * @changed_ns: out: the last change of the VM's maximum made by cvmstat or
 *	seen made by its VMM (CLOCK_MONOTONIC), 0: none
 * @reserved: zero
 *
 * The VM must be alive; it is read under KVM's own VM-list lock.
 *
 * Errors: -EINVAL bad size, flags, reserved or out field; -ENOENT no such
 * vm_id; -ESRCH the VM has exited or is being destroyed; -EOPNOTSUPP no
 * CVMSTAT_FEAT_HALTPOLL_VM; -EFAULT.
 */
struct cvmstat_hp_vm {
	__u32 size;
	__u32 flags;
	__u64 vm_id;
	__u32 max_ns;
	__u32 source;
	__u32 state;
	__u32 orig_max_ns;
	__u64 changed_ns;
	__u64 reserved[4];
};

/* struct cvmstat_hp_set.op */
#define CVMSTAT_HP_OP_SET	1	/* the VM's maximum := @max_ns */
#define CVMSTAT_HP_OP_CLEAR	2	/* back to the global halt_poll_ns */
#define CVMSTAT_HP_OP_RESTORE	3	/* as before cvmstat first changed it */

/**
 * struct cvmstat_hp_set - CVMSTAT_IOC_HP_SET (ABI 1.3)
 * @size: in: sizeof(struct cvmstat_hp_set)
 * @op: in: CVMSTAT_HP_OP_*
 * @vm_id: in: the VM; with CVMSTAT_HP_OP_RESTORE 0 means every live VM
 *	cvmstat changed
 * @max_ns: in: CVMSTAT_HP_OP_SET: the maximum poll window; else 0
 * @pad: zero
 * @reserved: zero
 *
 * Does what KVM_CAP_HALT_POLL does, in KVM's order (the value, a write
 * barrier, then the flag that makes it count), under KVM's VM-list lock,
 * which the VM's destruction takes before it goes any further: a VM
 * being destroyed is never touched.  The first change of a VM saves its
 * state for CVMSTAT_HP_OP_RESTORE.  CLEAR clears the flag, which KVM's
 * own interface cannot do.  Takes effect at each vCPU's next halt.
 *
 * Errors: -EINVAL bad size, op, pad, reserved, or @max_ns not 0 but for
 * SET, or vm_id 0 but for RESTORE; -ENOENT no such vm_id; -ESRCH the VM
 * has exited or is being destroyed; -ENODATA RESTORE of a VM cvmstat never
 * changed; -EOPNOTSUPP no CVMSTAT_FEAT_HALTPOLL_VM; -EBADF, -EPERM (see
 * Conventions).
 */
struct cvmstat_hp_set {
	__u32 size;
	__u32 op;
	__u64 vm_id;
	__u32 max_ns;
	__u32 pad;
	__u64 reserved[2];
};

/* struct cvmstat_hp_event.type */
#define CVMSTAT_HPE_VM_MAX	1	/* a VM's maximum changed */
#define CVMSTAT_HPE_GUEST	2	/* a guest switched polling on or off */

/* struct cvmstat_hp_event values: the VM follows the global value */
#define CVMSTAT_HP_GLOBAL	0xffffffffffffffffULL

/**
 * struct cvmstat_hp_event - one change (ABI 1.3)
 * @seq: 1, 2, ...; never reused while the module is loaded
 * @time_ns: when it was made (cvmstat's own changes) or first seen (a
 *	VMM's KVM_CAP_HALT_POLL: at a halt of one of the VM's vCPUs; a
 *	guest's MSR_KVM_POLL_CONTROL write: at that vCPU's next halt or
 *	earlier, when the module next looked; at most 16 per 100 ms per VM
 *	are logged, CVMSTAT_HALT_GUEST_OFF/ON count them all)
 *	(CLOCK_MONOTONIC)
 * @vm_id: the VM
 * @vcpu_id: CVMSTAT_HPE_GUEST: the vCPU; else 0
 * @type: CVMSTAT_HPE_*
 * @source: CVMSTAT_HPE_VM_MAX: CVMSTAT_HP_SRC_VMM or _CVMSTAT; else 0
 * @old: CVMSTAT_HPE_VM_MAX: the maximum before, CVMSTAT_HP_GLOBAL when the
 *	global value was in force; CVMSTAT_HPE_GUEST: 1 polling allowed,
 *	0 switched off
 * @new: the same, after
 */
struct cvmstat_hp_event {
	__u64 seq;
	__u64 time_ns;
	__u64 vm_id;
	__u32 vcpu_id;
	__u16 type;
	__u16 source;
	__u64 old;
	__u64 new;
};

#define CVMSTAT_HP_EVENT_RING	256

/**
 * struct cvmstat_hp_events - CVMSTAT_IOC_HP_EVENTS (ABI 1.3)
 * @size: in: sizeof(struct cvmstat_hp_events)
 * @nr: in: capacity of @events; out: events written
 * @after: in: list events with seq > @after, oldest first
 * @events: in: address of struct cvmstat_hp_event[@nr]
 * @last: out: the newest event's seq (0: none yet)
 * @lost: out: events after @after no longer held (the ring of
 *	CVMSTAT_HP_EVENT_RING wrapped)
 * @pad: zero
 * @reserved: zero
 *
 * Errors: -EINVAL bad size, pad, reserved or out field; -EFAULT; -ENOMEM.
 */
struct cvmstat_hp_events {
	__u32 size;
	__u32 nr;
	__u64 after;
	__u64 events;
	__u64 last;
	__u32 lost;
	__u32 pad;
	__u64 reserved[2];
};

#define CVMSTAT_IOC_HP_VM	_IOWR(CVMSTAT_IOC_MAGIC, 0x07, struct cvmstat_hp_vm)
#define CVMSTAT_IOC_HP_SET	_IOW(CVMSTAT_IOC_MAGIC, 0x08, struct cvmstat_hp_set)
#define CVMSTAT_IOC_HP_EVENTS	_IOWR(CVMSTAT_IOC_MAGIC, 0x09, struct cvmstat_hp_events)
#define CVMSTAT_IOC_LATENCY	_IOWR(CVMSTAT_IOC_MAGIC, 0x0a, struct cvmstat_latency)

#endif /* _UAPI_LINUX_CVMSTAT_H */

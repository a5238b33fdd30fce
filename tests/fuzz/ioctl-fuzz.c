// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-fuzz: random ioctls against /dev/cvmstat from several threads,
 * seeded and reproducible.
 *
 *   ioctl-fuzz [-s SEED] [-n IOCTLS] [-t THREADS] [-T SECONDS] [-d DEVICE]
 *
 * Every thread draws its own sequence from SEED and its index (splitmix64),
 * so a seed replays the same ioctls in every thread; what they meet (other
 * threads' resets and marks, VMs coming and going) depends on timing.  The
 * seed is printed first; pass it back with -s to replay a run.
 *
 * Each ioctl is one of:
 *   - a command of <linux/cvmstat.h> with a struct that is valid, or
 *     spoiled in one to three places (size, flags, padding, reserved and
 *     output fields, vm_id, nr, phase, name), and placed at an address that
 *     is valid, misaligned, NULL, unmapped, read-only, straddling into an
 *     unmapped page, a kernel address or non-canonical; its user buffer
 *     (LIST, READ, PHASE_LIST, HP_EVENTS) likewise, or too small for a
 *     huge nr; GUEST_MARKS for no VM, every VM, this process or any pid;
 *     HP_SET's set, clear and restore on any VM (ABI 1.3); READ_VM with
 *     the exit-handling times, LATENCY's query (ABI 1.4: never a valid
 *     switch, which would change what the tests running meanwhile see);
 *   - a neighbour of one: another size or direction, the next numbers,
 *     the magic's neighbours;
 *   - a random number (VFS's own ioctls left out: they never reach the
 *     driver).
 * on a read-only or a read-write descriptor (reopened now and then), with
 * an occasional poll(), read() and write().
 *
 * What must hold, checked at every call (a violation is printed with the
 * thread, call number and arguments, and counted):
 *   - an unknown command gives ENOTTY and writes nothing;
 *   - a command gives only the errnos the header documents for it, EFAULT
 *     at a bad address, never success for input the header calls invalid;
 *   - the commands that change state (RESET, PHASE_MARK, GUEST_MARKS, HP_SET)
 *     never succeed on the read-only descriptor, and are never refused to
 *     root (this program) on the read-write one;
 *   - what it writes stays within the struct and within the nr entries
 *     it reports (guard bytes around both), nothing at all on EINVAL,
 *     ENOENT, ENOTTY, EBADF or EPERM;
 *   - valid calls succeed where nothing can make them fail (VERSION;
 *     PHASE_MARK and GUEST_MARKS on the read-write descriptor), and what
 *     they return is sane: the header's ABI, nr_vms <= max_vms, no VM whose
 *     destruction was missed, VMs in ascending vm_id, records grouped by
 *     vCPU, marks in ascending order after @after, nr within bounds.
 *
 * Prints a summary line "ioctl-fuzz: seed=... tried=N ... violations=N";
 * exit status 0 if no violation, 1 otherwise, 2 usage or setup error.
 *
 * Build: gcc -O2 -Wall -Wextra -static -pthread -I kmod/include/uapi \
 *	-o ioctl-fuzz ioctl-fuzz.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/cvmstat.h>

#define PAGE		4096UL
#define MAX_THREADS	64
#define GUARD		64	/* guard bytes checked after buffers */
#define KNOWN_IDS	16

/* Arena pages of a thread. */
enum {
	P_ARG = 0,	/* the ioctl's struct */
	P_BUF = 1,	/* 1..3: the struct's user buffer */
	P_HOLE = 4,	/* PROT_NONE */
	P_RO = 5,	/* read-only */
	P_HOLE2 = 6,	/* PROT_NONE */
	P_NR = 7,
};
#define BUF_BYTES	(3 * PAGE)

/* The commands, in the order of their numbers. */
enum cmd {
	C_VERSION, C_LIST, C_READ, C_RESET, C_MARK, C_PLIST, C_GMARKS,
	C_HPVM, C_HPSET, C_HPEV, C_LAT, C_NR
};
#define READ_FLAGS (CVMSTAT_READ_AT_PHASE | CVMSTAT_READ_HALTPOLL | \
		    CVMSTAT_READ_HALTPOLL_STATE | CVMSTAT_READ_LATENCY)
static const struct {
	const char *name;
	unsigned long cmd;
	size_t size;		/* of the struct */
	size_t elem;		/* of an entry in its user buffer, or 0 */
	bool writes_back;	/* copies the struct back (_IOWR) */
	bool mutates;		/* needs write permission */
} cmds[C_NR] = {
	{ "VERSION", CVMSTAT_IOC_VERSION, sizeof(struct cvmstat_version), 0, true, false },
	{ "LIST_VMS", CVMSTAT_IOC_LIST_VMS, sizeof(struct cvmstat_vm_list),
	  sizeof(struct cvmstat_vm_info), true, false },
	{ "READ_VM", CVMSTAT_IOC_READ_VM, sizeof(struct cvmstat_read),
	  sizeof(struct cvmstat_record), true, false },
	{ "RESET", CVMSTAT_IOC_RESET, sizeof(struct cvmstat_reset), 0, false, true },
	{ "PHASE_MARK", CVMSTAT_IOC_PHASE_MARK, sizeof(struct cvmstat_phase_mark), 0,
	  true, true },
	{ "PHASE_LIST", CVMSTAT_IOC_PHASE_LIST, sizeof(struct cvmstat_phase_list),
	  sizeof(struct cvmstat_phase), true, false },
	{ "GUEST_MARKS", CVMSTAT_IOC_GUEST_MARKS, sizeof(struct cvmstat_guest_marks),
	  0, false, true },
	{ "HP_VM", CVMSTAT_IOC_HP_VM, sizeof(struct cvmstat_hp_vm), 0, true, false },
	{ "HP_SET", CVMSTAT_IOC_HP_SET, sizeof(struct cvmstat_hp_set), 0, false, true },
	{ "HP_EVENTS", CVMSTAT_IOC_HP_EVENTS, sizeof(struct cvmstat_hp_events),
	  sizeof(struct cvmstat_hp_event), true, false },
	/* queried only: a valid switch is never made (see spoil_special) */
	{ "LATENCY", CVMSTAT_IOC_LATENCY, sizeof(struct cvmstat_latency), 0,
	  true, false },
};

/* Where a struct or buffer is put. */
enum where {
	PL_OK,		/* valid, 8-byte aligned, guarded */
	PL_MISALIGNED,	/* valid, 1..7 bytes off alignment, guarded */
	PL_NULL,
	PL_HOLE,		/* an unmapped page */
	PL_RO,		/* a read-only page holding the struct */
	PL_STRADDLE,	/* runs into the unmapped page */
	PL_KERNEL,	/* a kernel address */
	PL_NONCANON,	/* a non-canonical address */
	PL_NR,
};
static const char *const where_name[PL_NR] = {
	"ok", "misaligned", "NULL", "unmapped", "read-only", "straddling",
	"kernel", "non-canonical",
};

/* What the header says of a struct: valid, invalid (must fail), unknown. */
enum verdict { V_VALID, V_INVALID, V_UNKNOWN };

struct thread {
	pthread_t pt;
	int idx;
	uint64_t rng;
	unsigned long n;		/* calls to make */
	unsigned long done;
	int fd[2];			/* O_RDONLY, O_RDWR */
	uint8_t *arena;
	uint64_t known[KNOWN_IDS];	/* vm_ids seen in LIST */
	unsigned int nr_known;
	uint64_t max_id;
	uint64_t last_seq;		/* newest mark seen */
	uint64_t my_seq;		/* newest mark this thread made */
	/* results */
	unsigned long ok, by_errno[134], violations;
	unsigned long unknown_cmds, fd_ops, reopen;
	uint64_t scratch[BUF_BYTES / 8];	/* an aligned copy of the buffer */
	char msg[160];
};

static struct {
	uint64_t seed;
	unsigned long n;
	unsigned int threads;
	unsigned long seconds;
	const char *dev;
} opt = { .n = 1000000, .threads = 4, .dev = "/dev/cvmstat" };

static uint32_t max_vms;
static struct timespec deadline;
static volatile int out_of_time;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ioctl-fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* splitmix64 */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct thread *t, uint64_t n)
{
	return n ? next(&t->rng) % n : 0;
}

/* true with probability pct % */
static bool chance(struct thread *t, unsigned int pct)
{
	return below(t, 100) < pct;
}

static void __attribute__((format(printf, 3, 4)))
violation(struct thread *t, unsigned long i, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	t->violations++;
	if (t->violations > 10)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("ioctl-fuzz: VIOLATION seed=%llu thread=%d call=%lu: %s\n",
	       (unsigned long long)opt.seed, t->idx, i, buf);
	fflush(stdout);
}

/* An ioctl number VFS handles itself (fs/ioctl.c), never the driver's. */
static bool vfs_cmd(unsigned int cmd)
{
	unsigned int type = _IOC_TYPE(cmd);

	return type == 'T' || type == 'X' || type == 'f' || type == 0x15 ||
	       type == 0x94 || (type == 0 && _IOC_NR(cmd) <= 2);
}

static bool is_cvm_cmd(unsigned int cmd)
{
	int c;

	for (c = 0; c < C_NR; c++)
		if (cmd == cmds[c].cmd)
			return true;
	return false;
}

/* A command number next to the real ones, or a random one. */
static unsigned int other_cmd(struct thread *t)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	unsigned int cmd;
	int c = below(t, C_NR);

	do {
		switch (below(t, 5)) {
		case 0:	/* the right number, another size */
			cmd = _IOC(_IOC_DIR(cmds[c].cmd), CVMSTAT_IOC_MAGIC, c,
				   below(t, 2) ? cmds[c].size + 8 * (below(t, 5) + 1) :
				   below(t, 1U << _IOC_SIZEBITS));
			break;
		case 1:	/* the right number and size, another direction */
			cmd = _IOC(dirs[below(t, 4)], CVMSTAT_IOC_MAGIC, c,
				   cmds[c].size);
			break;
		case 2:	/* the numbers after the last one */
			cmd = _IOC(dirs[below(t, 4)], CVMSTAT_IOC_MAGIC,
				   C_NR + below(t, 16),
				   below(t, 2) ? cmds[c].size : below(t, 512));
			break;
		case 3:	/* the magic's neighbours */
			cmd = _IOC(_IOC_DIR(cmds[c].cmd),
				   CVMSTAT_IOC_MAGIC + (below(t, 2) ? 1 : -1), c,
				   cmds[c].size);
			break;
		default:
			cmd = (unsigned int)next(&t->rng);
		}
	} while (is_cvm_cmd(cmd) || vfs_cmd(cmd));
	return cmd;
}

/* A vm_id: mostly ones LIST gave, sometimes their neighbours or nonsense. */
static uint64_t pick_vm(struct thread *t)
{
	switch (below(t, 10)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL - below(t, 2);
	case 2:
		return next(&t->rng);
	case 3:
		return t->max_id + 1 + below(t, 3);	/* the next VMs */
	case 4:
		return 1 + below(t, 64);
	default:
		if (!t->nr_known)
			return 1 + below(t, 8);
		return t->known[below(t, t->nr_known)] + (below(t, 8) ? 0 : below(t, 3) - 1);
	}
}

/* A mark number for READ AT_PHASE / PHASE_LIST after. */
static uint64_t pick_seq(struct thread *t)
{
	switch (below(t, 6)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return next(&t->rng);
	case 3:
		return t->last_seq + 1 + below(t, 3);
	default:
		return t->last_seq > 70 ? t->last_seq - below(t, 70) :
					  below(t, t->last_seq + 1);
	}
}

/* A spoiled 32-bit size: never the right one. */
static uint32_t bad_size(struct thread *t, uint32_t size)
{
	uint32_t s;

	do {
		switch (below(t, 4)) {
		case 0:
			s = size + (below(t, 2) ? 8 : -8) * (1 + below(t, 2));
			break;
		case 1:
			s = size + 1 + below(t, 7);
			break;
		case 2:
			s = below(t, 2) ? 0 : ~0U;
			break;
		default:
			s = next(&t->rng);
		}
	} while (s == size);
	return s;
}

/* A nonzero value for a field that must be zero. */
static uint64_t nonzero(struct thread *t)
{
	uint64_t v;

	do {
		v = below(t, 2) ? 1ULL << below(t, 64) : next(&t->rng);
	} while (!v);
	return v;
}

/* A nonzero value for a 32-bit field that must be zero. */
static uint32_t nonzero32(struct thread *t)
{
	return (uint32_t)nonzero(t) ?: 1U << below(t, 32);
}

/*
 * The user buffer of LIST, READ and PHASE_LIST.  Valid places leave room
 * for nr entries and GUARD bytes; "tiny" ones end at the unmapped page
 * however large nr is.
 */
struct ubuf {
	enum where where;
	uint64_t addr;
	uint32_t nr;
	uint8_t *base;		/* valid places: the buffer */
	size_t len;		/* bytes filled with the pattern (nr entries + GUARD) */
	uint8_t pattern;
};

/* No memory at all there. */
static bool nowhere(enum where w)
{
	return w == PL_NULL || w == PL_HOLE || w == PL_KERNEL || w == PL_NONCANON;
}

static uint64_t bad_addr(struct thread *t, enum where w)
{
	uint8_t *a = t->arena;

	switch (w) {
	case PL_NULL:
		return 0;
	case PL_HOLE:
		return (uintptr_t)(a + (below(t, 2) ? P_HOLE : P_HOLE2) * PAGE +
				   below(t, PAGE / 8) * 8);
	case PL_KERNEL:
		return below(t, 2) ? 0xffffffff81000000ULL : 0xffff888000000000ULL +
		       below(t, 1 << 20) * 8;
	default:	/* PL_NONCANON */
		return 0x8000000000000000ULL + below(t, 1 << 20) * 8;
	}
}

static void pick_buf(struct thread *t, size_t elem, struct ubuf *b)
{
	uint8_t *buf = t->arena + P_BUF * PAGE;
	unsigned int r = below(t, 100);
	size_t off, room;

	memset(b, 0, sizeof(*b));
	if (r < 80) {
		b->where = r < 72 ? PL_OK : PL_MISALIGNED;
		off = below(t, PAGE / 8) * 8 + (b->where == PL_MISALIGNED ? 1 + below(t, 7) : 0);
		room = (BUF_BYTES - GUARD - off) / elem;
		switch (below(t, 4)) {
		case 0:
			b->nr = 0;
			break;
		case 1:
			b->nr = 1 + below(t, 4);
			break;
		case 2:
			b->nr = below(t, room + 1);
			break;
		default:
			b->nr = room < 64 ? room : 64;
		}
		b->base = buf + off;
		b->addr = (uintptr_t)b->base;
		b->len = b->nr * elem + GUARD;
		b->pattern = next(&t->rng) | 1;
		memset(b->base, b->pattern, b->len);
		return;
	}
	if (r < 90) {
		/* room for 0..3 entries before the unmapped page, any nr */
		b->where = PL_STRADDLE;
		b->addr = (uintptr_t)(buf + BUF_BYTES - below(t, 4) * elem -
				      below(t, elem));
		b->nr = below(t, 2) ? ~0U - below(t, 2) : below(t, 4096);
		return;
	}
	b->where = PL_NULL + below(t, 4);
	if (b->where == PL_RO)
		b->where = PL_NULL;
	b->addr = bad_addr(t, b->where);
	b->nr = below(t, 2) ? 1 + below(t, 64) : next(&t->rng);
}

/* Bytes of a valid buffer that must still hold the pattern, from @from. */
static bool buf_intact(const struct ubuf *b, size_t from)
{
	size_t i;

	if (!b->base)
		return true;
	for (i = from; i < b->len; i++)
		if (b->base[i] != b->pattern)
			return false;
	return true;
}

/* One call of a command. */
struct call {
	enum cmd c;
	enum verdict verdict;
	struct ubuf buf;
	const char *spoiled[3];
	unsigned int nr_spoiled;
};

static void spoil(struct call *k, const char *what)
{
	k->verdict = V_INVALID;
	if (k->nr_spoiled < 3)
		k->spoiled[k->nr_spoiled++] = what;
}

/* The input fields the header says must be zero, per command. */
struct field {
	size_t off, len;
	const char *name;
};
#define F(type, member) \
	{ offsetof(struct type, member), sizeof(((struct type *)0)->member), #member }
static const struct field zero_fields[C_NR][16] = {
	[C_VERSION] = {
		F(cvmstat_version, abi_major), F(cvmstat_version, abi_minor),
		F(cvmstat_version, features), F(cvmstat_version, probes_known),
		F(cvmstat_version, probes_bound), F(cvmstat_version, max_vms),
		F(cvmstat_version, max_vcpus), F(cvmstat_version, nr_vms),
		F(cvmstat_version, isa), F(cvmstat_version, untracked_vms),
		F(cvmstat_version, untracked_vcpus),
		F(cvmstat_version, unattributed),
		F(cvmstat_version, lifetime_missed), F(cvmstat_version, vcpu_bytes),
		F(cvmstat_version, reserved),
	},
	[C_LIST] = {
		F(cvmstat_vm_list, total), F(cvmstat_vm_list, pad),
		F(cvmstat_vm_list, reserved),
	},
	[C_READ] = {
		F(cvmstat_read, nr_vcpus), F(cvmstat_read, snap_ns),
		F(cvmstat_read, reserved),
	},
	[C_RESET] = { F(cvmstat_reset, reserved) },
	[C_MARK] = {
		F(cvmstat_phase_mark, flags), F(cvmstat_phase_mark, seq),
		F(cvmstat_phase_mark, reserved),
	},
	[C_PLIST] = {
		F(cvmstat_phase_list, pad), F(cvmstat_phase_list, last),
		F(cvmstat_phase_list, lost), F(cvmstat_phase_list, reserved),
	},
	[C_GMARKS] = {
		F(cvmstat_guest_marks, pad), F(cvmstat_guest_marks, reserved),
	},
	[C_HPVM] = {
		F(cvmstat_hp_vm, flags), F(cvmstat_hp_vm, max_ns),
		F(cvmstat_hp_vm, source), F(cvmstat_hp_vm, state),
		F(cvmstat_hp_vm, orig_max_ns), F(cvmstat_hp_vm, changed_ns),
		F(cvmstat_hp_vm, reserved),
	},
	[C_HPSET] = { F(cvmstat_hp_set, pad), F(cvmstat_hp_set, reserved) },
	[C_HPEV] = {
		F(cvmstat_hp_events, pad), F(cvmstat_hp_events, last),
		F(cvmstat_hp_events, lost), F(cvmstat_hp_events, reserved),
	},
	/* not flags: a random byte there can be a valid switch */
	[C_LAT] = {
		F(cvmstat_latency, on), F(cvmstat_latency, pad),
		F(cvmstat_latency, bytes), F(cvmstat_latency, reserved),
	},
};
#undef F

/* Spoils the size or a byte of a must-be-zero field of @s. */
static void spoil_field(struct thread *t, struct call *k, uint8_t *s)
{
	const struct field *f = zero_fields[k->c];
	unsigned int n = 0, i;

	while (n < sizeof(zero_fields[0]) / sizeof(f[0]) && f[n].name)
		n++;
	i = below(t, n + 1);
	if (i == n) {
		uint32_t size = bad_size(t, cmds[k->c].size);

		memcpy(s, &size, sizeof(size));	/* every struct starts with it */
		spoil(k, "size");
		return;
	}
	s[f[i].off + below(t, f[i].len)] = 1 + below(t, 255);
	spoil(k, f[i].name);
}

/*
 * What only READ_VM, RESET, PHASE_MARK, GUEST_MARKS, HP_SET, LATENCY can
 * get wrong.
 */
static bool spoil_special(struct thread *t, struct call *k, void *s)
{
	struct cvmstat_latency *lat = s;
	struct cvmstat_hp_set *h = s;
	struct cvmstat_read *r = s;
	struct cvmstat_reset *z = s;
	struct cvmstat_phase_mark *m = s;
	struct cvmstat_guest_marks *g = s;
	size_t i;

	switch (k->c) {
	case C_READ:
		if (below(t, 2)) {
			r->flags |= nonzero32(t) & ~CVMSTAT_READ_AT_PHASE;
			if ((r->flags & ~READ_FLAGS) ||
			    ((r->flags & CVMSTAT_READ_HALTPOLL_STATE) &&
			     !(r->flags & CVMSTAT_READ_HALTPOLL)) ||
			    ((r->flags & CVMSTAT_READ_AT_PHASE) &&
			     (r->flags & CVMSTAT_READ_LATENCY)))
				spoil(k, "flags");
		} else if (!(r->flags & CVMSTAT_READ_AT_PHASE)) {
			r->phase = nonzero(t);
			spoil(k, "phase without AT_PHASE");
		}
		return true;
	case C_RESET:
		if (below(t, 2)) {
			z->flags |= nonzero32(t) & ~CVMSTAT_RESET_ALL;
			if (z->flags & ~CVMSTAT_RESET_ALL)
				spoil(k, "flags");
		} else {
			z->flags |= CVMSTAT_RESET_ALL;
			z->vm_id = nonzero(t);
			spoil(k, "RESET_ALL with a vm_id");
		}
		return true;
	case C_MARK:
		if (below(t, 2)) {
			m->name[0] = 0;
			spoil(k, "empty name");
		} else {
			for (i = 0; i < sizeof(m->name); i++)
				m->name[i] = 1 + below(t, 255);
			spoil(k, "unterminated name");
		}
		return true;
	case C_GMARKS:
		switch (below(t, 3)) {
		case 0:
			g->flags |= nonzero32(t) & ~CVMSTAT_GUEST_MARKS_ALL;
			if (g->flags & ~CVMSTAT_GUEST_MARKS_ALL)
				spoil(k, "flags");
			break;
		case 1:
			g->flags |= CVMSTAT_GUEST_MARKS_ALL;
			g->pid = 1 + below(t, 0x7ffffffe);
			spoil(k, "GUEST_MARKS_ALL with a pid");
			break;
		default:
			g->pid = -1 - (int32_t)below(t, 0x7fffffff);
			spoil(k, "negative pid");
		}
		return true;
	case C_HPSET:
		switch (below(t, 3)) {
		case 0:
			h->op = below(t, 2) ? 0 : CVMSTAT_HP_OP_RESTORE + 1 +
						 below(t, 0xfffffff0);
			spoil(k, "op");
			break;
		case 1:
			if (h->op == CVMSTAT_HP_OP_SET)
				return false;
			h->max_ns = nonzero32(t);
			spoil(k, "a value but for SET");
			break;
		default:
			if (h->op == CVMSTAT_HP_OP_RESTORE)
				return false;
			h->vm_id = 0;
			spoil(k, "vm_id 0 but for RESTORE");
		}
		return true;
	case C_LAT:
		/* an unknown flag, the switch's or not: refused before it */
		lat->flags |= (nonzero32(t) | 2) & ~(below(t, 2) ? CVMSTAT_LATENCY_SET : 0);
		spoil(k, "flags");
		return true;
	default:
		return false;
	}
}

/* A valid struct of command k->c in @s, then (30%) up to 3 spoilt fields. */
static void build(struct thread *t, struct call *k, void *s)
{
	struct cvmstat_vm_list *l = s;
	struct cvmstat_read *r = s;
	struct cvmstat_reset *z = s;
	struct cvmstat_phase_mark *m = s;
	struct cvmstat_phase_list *p = s;
	struct cvmstat_guest_marks *g = s;
	struct cvmstat_hp_vm *hv = s;
	struct cvmstat_hp_set *hs = s;
	struct cvmstat_hp_events *he = s;
	unsigned int n = chance(t, 30) ? 1 + below(t, 3) : 0;
	uint32_t size = cmds[k->c].size;
	size_t len, i;

	memset(s, 0, size);
	memcpy(s, &size, sizeof(size));
	switch (k->c) {
	case C_LIST:
		pick_buf(t, cmds[C_LIST].elem, &k->buf);
		l->nr = k->buf.nr;
		l->vms = k->buf.addr;
		break;
	case C_READ:
		r->vm_id = pick_vm(t);
		pick_buf(t, cmds[C_READ].elem, &k->buf);
		r->nr = k->buf.nr;
		r->records = k->buf.addr;
		if (chance(t, 20)) {
			/* whether the mark is held is not known here */
			r->flags = CVMSTAT_READ_AT_PHASE;
			r->phase = pick_seq(t);
			k->verdict = r->phase ? V_UNKNOWN : V_INVALID;
		}
		if (chance(t, 30))	/* ABI 1.3: with halt polling */
			r->flags |= CVMSTAT_READ_HALTPOLL |
				    (below(t, 2) ? CVMSTAT_READ_HALTPOLL_STATE : 0);
		/* ABI 1.4: with the times, live only */
		if (chance(t, 30) && !(r->flags & CVMSTAT_READ_AT_PHASE))
			r->flags |= CVMSTAT_READ_LATENCY;
		break;
	case C_HPVM:
		hv->vm_id = pick_vm(t);
		break;
	case C_HPSET:
		hs->op = CVMSTAT_HP_OP_SET + below(t, 3);
		hs->vm_id = hs->op == CVMSTAT_HP_OP_RESTORE && below(t, 2) ? 0 :
			    pick_vm(t);
		if (hs->op == CVMSTAT_HP_OP_SET)
			hs->max_ns = below(t, 2) ? below(t, 1000000) : next(&t->rng);
		if (!hs->vm_id && hs->op != CVMSTAT_HP_OP_RESTORE)
			spoil(k, "vm_id 0 but for RESTORE");
		break;
	case C_HPEV:
		he->after = below(t, 4) ? below(t, 8) : pick_seq(t);
		pick_buf(t, cmds[C_HPEV].elem, &k->buf);
		he->nr = k->buf.nr;
		he->events = k->buf.addr;
		break;
	case C_RESET:
		if (chance(t, 5))
			z->flags = CVMSTAT_RESET_ALL;
		else
			z->vm_id = pick_vm(t);
		break;
	case C_MARK:
		/* a name of 1..63 bytes, any byte but NUL */
		len = 1 + below(t, sizeof(m->name) - 1);
		for (i = 0; i < len; i++)
			m->name[i] = 1 + below(t, 255);
		break;
	case C_PLIST:
		p->after = pick_seq(t);
		pick_buf(t, cmds[C_PLIST].elem, &k->buf);
		p->nr = k->buf.nr;
		p->marks = k->buf.addr;
		break;
	case C_GMARKS:
		/* none, every VM, a VMM's (this one's), or any process */
		switch (below(t, 4)) {
		case 0:
			break;
		case 1:
			g->flags = CVMSTAT_GUEST_MARKS_ALL;
			break;
		case 2:
			g->pid = getpid();
			break;
		default:
			g->pid = 1 + below(t, 0x7ffffffe);
		}
		break;
	default:
		break;
	}
	while (n--)
		if (below(t, 3) || !spoil_special(t, k, s))
			spoil_field(t, k, s);
}

static void remember_vm(struct thread *t, uint64_t id)
{
	unsigned int i;

	if (id > t->max_id)
		t->max_id = id;
	for (i = 0; i < t->nr_known; i++)
		if (t->known[i] == id)
			return;
	if (t->nr_known < KNOWN_IDS)
		t->known[t->nr_known++] = id;
	else
		t->known[below(t, KNOWN_IDS)] = id;
}

static bool any_byte(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		if (*b++)
			return true;
	return false;
}

/* Output of a successful VERSION. */
static const char *check_version_out(const struct cvmstat_version *v)
{
	if (v->size != sizeof(*v) || v->abi_major != CVMSTAT_ABI_MAJOR ||
	    v->abi_minor < CVMSTAT_ABI_MINOR)
		return "wrong size or ABI";
	if (v->max_vms != max_vms || v->nr_vms > v->max_vms)
		return "max_vms changed or nr_vms > max_vms";
	if (any_byte(v->reserved, sizeof(v->reserved)))
		return "reserved not zero";
	if (v->probes_bound & ~v->probes_known)
		return "a probe bound that is not known";
	if (v->lifetime_missed)
		return "a VM's destruction was missed (lifetime_missed)";
	return NULL;
}

static const char *check_list_out(struct thread *t, const struct cvmstat_vm_list *l,
				  uint32_t in_nr, const struct cvmstat_vm_info *e)
{
	uint32_t i;

	if (l->nr > in_nr || l->total > max_vms || l->nr > l->total ||
	    (l->nr < in_nr && l->nr != l->total))
		return "nr/total out of bounds";
	for (i = 0; e && i < l->nr; i++) {
		bool alive = e[i].flags & CVMSTAT_VM_ALIVE;

		if (!e[i].vm_id || (i && e[i].vm_id <= e[i - 1].vm_id))
			return "vm_ids not ascending";
		if ((e[i].flags & ~(CVMSTAT_VM_ALIVE | CVMSTAT_VM_GUEST_MARKS)) ||
		    alive != !e[i].exit_ns || any_byte(e[i].reserved, sizeof(e[i].reserved)) ||
		    !memchr(e[i].comm, 0, sizeof(e[i].comm)) ||
		    e[i].type > CVMSTAT_VM_SW_PROTECTED)
			return "a bad entry";
		remember_vm(t, e[i].vm_id);
	}
	return NULL;
}

static const char *check_records(const struct cvmstat_record *r, uint32_t n,
				 uint32_t nr_vcpus)
{
	uint32_t i, vcpus = 0;

	for (i = 0; i < n; i++) {
		if (r[i].kind == CVMSTAT_KIND_VCPU) {
			if (vcpus && r[i].vcpu_id <= r[i - 1].vcpu_id)
				return "vCPUs not ascending";
			vcpus++;
			continue;
		}
		if (!vcpus || r[i].vcpu_id != r[i - 1].vcpu_id)
			return "a record outside its vCPU's group";
		/* a shortest time may be 0 ns */
		if (r[i].kind < CVMSTAT_KIND_REASON || r[i].kind > CVMSTAT_KIND_LAT_LOST ||
		    (!r[i].count && r[i].kind != CVMSTAT_KIND_LAT_MIN) || r[i].pad ||
		    r[i].dir > CVMSTAT_DIR_WRITE)
			return "a bad record";
	}
	return vcpus == nr_vcpus ? NULL : "nr_vcpus is not the vCPUs in the records";
}

static const char *check_plist_out(struct thread *t, const struct cvmstat_phase_list *l,
				   uint64_t after, uint32_t in_nr,
				   const struct cvmstat_phase *m)
{
	uint32_t i;

	if (l->nr > in_nr || l->nr > CVMSTAT_PHASE_RING || l->pad)
		return "nr out of bounds";
	for (i = 0; m && i < l->nr; i++) {
		if (m[i].seq <= after || m[i].seq > l->last ||
		    (i && m[i].seq <= m[i - 1].seq)) {
			snprintf(t->msg, sizeof(t->msg),
				 "mark %u of %u has seq %llu: not in (after %llu, last %llu], ascending (lost %u)",
				 i, l->nr, (unsigned long long)m[i].seq,
				 (unsigned long long)after,
				 (unsigned long long)l->last, l->lost);
			return t->msg;
		}
		if ((m[i].source != CVMSTAT_PHASE_HOST && m[i].source != CVMSTAT_PHASE_GUEST) ||
		    m[i].pad || !memchr(m[i].name, 0, sizeof(m[i].name)))
			return "a bad mark";
	}
	if (l->last > t->last_seq)
		t->last_seq = l->last;
	return NULL;
}

static const char *check_hpev_out(const struct cvmstat_hp_events *l,
				   uint64_t after, uint32_t in_nr,
				   const struct cvmstat_hp_event *e)
{
	uint32_t i;

	if (l->nr > in_nr || l->nr > CVMSTAT_HP_EVENT_RING || l->pad)
		return "nr out of bounds";
	for (i = 0; e && i < l->nr; i++) {
		if (e[i].seq <= after || e[i].seq > l->last ||
		    (i && e[i].seq <= e[i - 1].seq))
			return "event seqs not in (after, last], ascending";
		if (e[i].type != CVMSTAT_HPE_VM_MAX && e[i].type != CVMSTAT_HPE_GUEST)
			return "a bad event";
	}
	return NULL;
}

static bool errno_documented(enum cmd c, int e)
{
	switch (e) {
	case EFAULT:
		return true;
	case EINVAL:
		return true;
	case ESRCH:		/* the VM exited or is being destroyed */
	case EOPNOTSUPP:	/* no per-VM maximum on this kernel */
		return c == C_HPVM || c == C_HPSET;
	case ENODATA:		/* RESTORE of a VM never changed */
		return c == C_HPSET;
	case ENOENT:
		return c == C_READ || c == C_RESET || c == C_HPVM || c == C_HPSET;
	case ENOSPC:
		return c == C_READ || c == C_GMARKS;	/* GUEST_MARKS: 32 pids */
	case ESTALE:
		return c == C_READ;
	case ENOMEM:
		return c == C_LIST || c == C_READ || c == C_PLIST || c == C_HPSET ||
		       c == C_HPEV;
	case EBADF:
	case EPERM:
		return cmds[c].mutates;
	/* a running vCPU that neither stopped nor exited for a second */
	case EAGAIN:
		return c == C_READ;
	}
	return false;
}

/* Places the struct; returns the address to pass. */
static uint64_t place(struct thread *t, enum where w, const void *s, size_t size,
		      uint8_t **at)
{
	uint8_t *a = t->arena;
	size_t off;

	*at = NULL;
	switch (w) {
	case PL_OK:
	case PL_MISALIGNED:
		off = GUARD + below(t, (PAGE - 2 * GUARD - size) / 8) * 8 +
		      (w == PL_MISALIGNED ? 1 + below(t, 7) : 0);
		*at = a + P_ARG * PAGE + off;
		memset(*at - GUARD, 0xc3, size + 2 * GUARD);
		memcpy(*at, s, size);
		return (uintptr_t)*at;
	case PL_RO:
		if (mprotect(a + P_RO * PAGE, PAGE, PROT_READ | PROT_WRITE))
			die("mprotect: %s", strerror(errno));
		memcpy(a + P_RO * PAGE, s, size);
		if (mprotect(a + P_RO * PAGE, PAGE, PROT_READ))
			die("mprotect: %s", strerror(errno));
		return (uintptr_t)(a + P_RO * PAGE);
	case PL_STRADDLE:
		/* 1..size-1 bytes readable, the rest in the hole */
		off = 1 + below(t, size - 1);
		memcpy(a + P_HOLE * PAGE - off, s, off);
		return (uintptr_t)(a + P_HOLE * PAGE - off);
	default:
		return bad_addr(t, w);
	}
}

static enum where pick_where(struct thread *t)
{
	unsigned int r = below(t, 100);

	if (r < 80)
		return PL_OK;
	if (r < 88)
		return PL_MISALIGNED;
	return PL_NULL + below(t, PL_NR - PL_NULL);
}

/* One call of command @c. */
static void fuzz_cmd(struct thread *t, unsigned long i, enum cmd c)
{
	union {
		struct cvmstat_version v;
		struct cvmstat_vm_list l;
		struct cvmstat_read r;
		struct cvmstat_reset z;
		struct cvmstat_phase_mark m;
		struct cvmstat_phase_list p;
		struct cvmstat_hp_vm hv;
		struct cvmstat_hp_events he;
		struct cvmstat_latency lat;
		uint8_t bytes[256];
	} in, out;
	struct call k = { .c = c, .verdict = V_VALID };
	size_t size = cmds[c].size;
	enum where w = pick_where(t);
	int fdi = below(t, 2), ret, e;
	uint8_t *at;
	uint64_t addr;
	const char *bad = NULL;
	const void *ents;
	bool wrote_ok;

	build(t, &k, &in);
	addr = place(t, w, &in, size, &at);
	ret = ioctl(t->fd[fdi], cmds[c].cmd, (unsigned long)addr);
	e = ret ? errno : 0;
	if (ret && (e <= 0 || e >= 134))
		e = 133;
	if (ret)
		t->by_errno[e]++;
	else
		t->ok++;
	if (at)
		memcpy(&out, at, size);

#define VIOL(fmt, ...)							\
	violation(t, i, "%s fd=%s arg=%s buf=%s nr=%u verdict=%s%s%s -> %s: " fmt, \
		  cmds[c].name, fdi ? "rdwr" : "rdonly", where_name[w],	\
		  cmds[c].elem ? where_name[k.buf.where] : "-", k.buf.nr, \
		  k.verdict == V_VALID ? "valid" : k.verdict == V_INVALID ? \
		  "invalid:" : "unknown", k.nr_spoiled ? k.spoiled[0] : "", \
		  k.nr_spoiled > 1 ? ",..." : "", ret ? strerror(e) : "success", \
		  ##__VA_ARGS__)

	if (ret && !errno_documented(c, e)) {
		VIOL("an errno the header does not document");
		return;
	}
	/* root on a read-write descriptor: permission is never the answer */
	if (ret && fdi == 1 && (e == EBADF || e == EPERM)) {
		VIOL("refused to root on a read-write descriptor");
		return;
	}
	/* a read-only descriptor changes nothing */
	if (!ret && fdi == 0 && cmds[c].mutates) {
		VIOL("changed state through a read-only descriptor");
		return;
	}
	if (nowhere(w) || w == PL_STRADDLE) {
		if (!ret || (e != EFAULT && e != EBADF && e != EPERM))
			VIOL("want EFAULT at a bad address");
		return;
	}
	if (k.verdict == V_INVALID && !ret) {
		VIOL("succeeded on invalid input");
		return;
	}
	/* the guard bytes around the struct */
	if (at) {
		for (size_t b = 0; b < GUARD; b++)
			if (at[-1 - (long)b] != 0xc3 || at[size + b] != 0xc3) {
				VIOL("wrote outside the struct");
				return;
			}
	}
	/* nothing written on these */
	wrote_ok = !(ret && (e == EINVAL || e == ENOENT || e == EBADF || e == EPERM));
	if (!wrote_ok) {
		if (at && memcmp(&out, &in, size))
			VIOL("changed the struct although it failed");
		else if (!buf_intact(&k.buf, 0))
			VIOL("wrote to the buffer although it failed");
		return;
	}
	if (e == EFAULT) {
		/* a bad buffer, or a read-only struct to copy back to */
		if (k.verdict == V_VALID && w != PL_RO && k.buf.where <= PL_MISALIGNED)
			VIOL("EFAULT with every address good");
		if (!buf_intact(&k.buf, k.buf.nr * cmds[c].elem))
			VIOL("wrote past nr entries");
		return;
	}
	if (w == PL_RO) {
		if (!ret && cmds[c].writes_back)
			VIOL("success without copying back to a read-only struct");
		return;
	}
	if (ret && e != ENOSPC) {
		/* ENOMEM, ESTALE, EBUSY...: at most nr entries */
		if (!buf_intact(&k.buf, k.buf.nr * cmds[c].elem))
			VIOL("wrote past nr entries");
		if (k.verdict == V_VALID &&
		    (c == C_VERSION || (fdi == 1 && (c == C_MARK || c == C_GMARKS))))
			VIOL("failed on valid input");
		return;
	}
	/* what the buffer holds, aligned, when it is one of ours */
	if (k.buf.base)
		memcpy(t->scratch, k.buf.base, k.buf.len);
	ents = k.buf.base ? t->scratch : NULL;
	switch (c) {
	case C_VERSION:
		bad = check_version_out(&out.v);
		break;
	case C_LIST:
		bad = check_list_out(t, &out.l, in.l.nr, ents);
		if (!bad && !buf_intact(&k.buf, out.l.nr * cmds[c].elem))
			bad = "wrote past the entries it reports";
		if (!bad && out.l.nr && nowhere(k.buf.where))
			bad = "reports entries written to a bad address";
		break;
	case C_READ:
		if (e == ENOSPC) {
			if (out.r.nr <= in.r.nr)
				bad = "ENOSPC but nr fits";
			else if (!buf_intact(&k.buf, in.r.nr * cmds[c].elem))
				bad = "ENOSPC and wrote past nr entries";
			break;
		}
		if (out.r.nr > in.r.nr || !out.r.snap_ns || out.r.vm_id != in.r.vm_id)
			bad = "nr above capacity, no snap_ns or vm_id changed";
		else if (!buf_intact(&k.buf, out.r.nr * cmds[c].elem))
			bad = "wrote past the records it reports";
		else if (out.r.nr && nowhere(k.buf.where))
			bad = "reports records written to a bad address";
		else if (ents)
			bad = check_records(ents, out.r.nr, out.r.nr_vcpus);
		break;
	case C_RESET:
	case C_GMARKS:
	case C_HPSET:
	case C_NR:
		break;
	case C_HPVM:
		if (out.hv.vm_id != in.hv.vm_id || out.hv.source > CVMSTAT_HP_SRC_CVMSTAT ||
		    (out.hv.state & ~(CVMSTAT_HP_OVERRIDE | CVMSTAT_HP_SAVED |
				      CVMSTAT_HP_ORIG_OVERRIDE)) ||
		    any_byte(out.hv.reserved, sizeof(out.hv.reserved)))
			bad = "a bad VM state";
		break;
	case C_LAT:
		if (out.lat.on > 1 || (out.lat.on ? !out.lat.bytes : !!out.lat.bytes) ||
		    out.lat.flags != in.lat.flags || out.lat.pad ||
		    any_byte(out.lat.reserved, sizeof(out.lat.reserved)))
			bad = "a bad timing state";
		break;
	case C_HPEV:
		bad = check_hpev_out(&out.he, in.he.after, in.he.nr, ents);
		if (!bad && !buf_intact(&k.buf, out.he.nr * cmds[c].elem))
			bad = "wrote past the events it reports";
		if (!bad && out.he.nr && nowhere(k.buf.where))
			bad = "reports events written to a bad address";
		break;
	case C_MARK:
		if (!out.m.seq || out.m.seq <= t->my_seq)
			bad = "mark numbers not increasing";
		t->my_seq = out.m.seq;
		if (out.m.seq > t->last_seq)
			t->last_seq = out.m.seq;
		break;
	case C_PLIST:
		bad = check_plist_out(t, &out.p, in.p.after, in.p.nr, ents);
		if (!bad && !buf_intact(&k.buf, out.p.nr * cmds[c].elem))
			bad = "wrote past the marks it reports";
		if (!bad && out.p.nr && nowhere(k.buf.where))
			bad = "reports marks written to a bad address";
	}
	if (bad)
		VIOL("%s", bad);
#undef VIOL
}

/* An unknown command: ENOTTY, nothing written. */
static void fuzz_other(struct thread *t, unsigned long i)
{
	unsigned int cmd = other_cmd(t);
	uint8_t *at = t->arena + P_ARG * PAGE + GUARD;
	int fdi = below(t, 2), ret;
	uint8_t pattern = next(&t->rng);
	size_t j;

	t->unknown_cmds++;
	memset(at, pattern, 512);
	ret = ioctl(t->fd[fdi], cmd, below(t, 8) ? (unsigned long)at : next(&t->rng));
	if (ret)
		t->by_errno[errno > 0 && errno < 134 ? errno : 133]++;
	else
		t->ok++;
	if (!ret || errno != ENOTTY) {
		violation(t, i, "unknown command %#x on the %s descriptor -> %s, want ENOTTY",
			  cmd, fdi ? "rdwr" : "rdonly", ret ? strerror(errno) : "success");
		return;
	}
	for (j = 0; j < 512; j++)
		if (at[j] != pattern) {
			violation(t, i, "unknown command %#x wrote to its argument", cmd);
			return;
		}
}

static void open_fds(struct thread *t)
{
	t->fd[0] = open(opt.dev, O_RDONLY | O_CLOEXEC);
	t->fd[1] = open(opt.dev, O_RDWR | O_CLOEXEC);
	if (t->fd[0] < 0 || t->fd[1] < 0)
		die("open %s: %s", opt.dev, strerror(errno));
}

/* Descriptor operations besides ioctl. */
static void fuzz_fd(struct thread *t, unsigned long i)
{
	struct pollfd p = { .fd = t->fd[below(t, 2)], .events = POLLIN };
	char buf[64];
	ssize_t n;

	t->fd_ops++;
	switch (below(t, 8)) {
	case 0:
		close(t->fd[0]);
		close(t->fd[1]);
		open_fds(t);
		t->reopen++;
		break;
	case 1:
		n = read(p.fd, buf, sizeof(buf));
		if (n >= 0 || errno != EINVAL)
			violation(t, i, "read() -> %zd (%s), want EINVAL", n,
				  n < 0 ? strerror(errno) : "success");
		break;
	case 2:
		n = write(t->fd[1], buf, sizeof(buf));
		if (n >= 0 || errno != EINVAL)
			violation(t, i, "write() -> %zd (%s), want EINVAL", n,
				  n < 0 ? strerror(errno) : "success");
		break;
	default:
		n = poll(&p, 1, 0);
		if (n < 0 || (n && p.revents & ~(POLLIN | POLLRDNORM)))
			violation(t, i, "poll() -> %zd revents %#x", n, p.revents);
	}
}

static bool past_deadline(void)
{
	struct timespec now;

	if (!opt.seconds)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static void *run(void *arg)
{
	struct thread *t = arg;
	unsigned long i;
	unsigned int r;

	/* @i numbers the calls; fd operations come on top of the n ioctls */
	for (i = 0; i - t->fd_ops < t->n; i++) {
		if (!(i & 1023) && (out_of_time || past_deadline())) {
			out_of_time = 1;
			break;
		}
		r = below(t, 1000);
		if (r < 2)
			fuzz_fd(t, i);
		else if (r < 100)
			fuzz_other(t, i);
		else if (r < 180)
			fuzz_cmd(t, i, C_VERSION);
		else if (r < 350)
			fuzz_cmd(t, i, C_LIST);
		else if (r < 750)
			fuzz_cmd(t, i, C_READ);
		else if (r < 800)
			fuzz_cmd(t, i, C_RESET);
		else if (r < 840)
			fuzz_cmd(t, i, C_MARK);
		else if (r < 960)
			fuzz_cmd(t, i, C_PLIST);
		else if (r < 975)
			fuzz_cmd(t, i, C_GMARKS);
		else if (r < 983)
			fuzz_cmd(t, i, C_HPVM);
		else if (r < 991)
			fuzz_cmd(t, i, C_HPSET);
		else
			fuzz_cmd(t, i, C_HPEV);
	}
	t->done = i - t->fd_ops;
	return NULL;
}

static unsigned long num(const char *name, const char *s, unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (s[0] < '0' || s[0] > '9' || errno || *end || v > max) {
		fprintf(stderr, "ioctl-fuzz: invalid %s '%s'\n", name, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static struct thread th[MAX_THREADS];
	struct cvmstat_version v = { .size = sizeof(v) };
	struct timespec t0, t1;
	unsigned long tried = 0, ok = 0, viol = 0, unknown = 0, fdops = 0, reopen = 0;
	unsigned long by_errno[134] = { 0 };
	bool have_seed = false;
	unsigned int i;
	int c, fd;

	while ((c = getopt(argc, argv, "s:n:t:T:d:h")) != -1) {
		switch (c) {
		case 's':
			opt.seed = num("SEED", optarg, ~0ULL);
			have_seed = true;
			break;
		case 'n':
			opt.n = num("IOCTLS", optarg, 1000000000000ULL);
			break;
		case 't':
			opt.threads = num("THREADS", optarg, MAX_THREADS);
			if (!opt.threads) {
				fprintf(stderr, "ioctl-fuzz: THREADS must be 1..%d\n",
					MAX_THREADS);
				return 2;
			}
			break;
		case 'T':
			opt.seconds = num("SECONDS", optarg, 1000000);
			break;
		case 'd':
			opt.dev = optarg;
			break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: ioctl-fuzz [-s SEED] [-n IOCTLS] [-t THREADS] [-T SECONDS] [-d DEVICE]\n"
				"Random ioctls (default 1000000, 4 threads) against DEVICE\n"
				"(default /dev/cvmstat), checking the answers; -T stops early.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!have_seed) {
		clock_gettime(CLOCK_REALTIME, &t0);
		opt.seed = (uint64_t)t0.tv_sec * 1000000000ULL + t0.tv_nsec;
	}
	printf("ioctl-fuzz: seed=%llu threads=%u ioctls=%lu (replay: ioctl-fuzz -s %llu -n %lu -t %u)\n",
	       (unsigned long long)opt.seed, opt.threads, opt.n,
	       (unsigned long long)opt.seed, opt.n, opt.threads);
	fflush(stdout);

	fd = open(opt.dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, CVMSTAT_IOC_VERSION, &v))
		die("%s: %s", opt.dev, strerror(errno));
	max_vms = v.max_vms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline = t0;
	deadline.tv_sec += opt.seconds;
	for (i = 0; i < opt.threads; i++) {
		struct thread *t = &th[i];
		uint64_t s = opt.seed + i;

		t->idx = i;
		t->rng = next(&s);
		t->n = opt.n / opt.threads + (i < opt.n % opt.threads);
		t->arena = mmap(NULL, P_NR * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (t->arena == MAP_FAILED ||
		    mprotect(t->arena + P_HOLE * PAGE, PAGE, PROT_NONE) ||
		    mprotect(t->arena + P_HOLE2 * PAGE, PAGE, PROT_NONE))
			die("mmap: %s", strerror(errno));
		open_fds(t);
		if (pthread_create(&t->pt, NULL, run, t))
			die("pthread_create");
	}
	for (i = 0; i < opt.threads; i++) {
		struct thread *t = &th[i];
		unsigned int e;

		pthread_join(t->pt, NULL);
		tried += t->done;
		ok += t->ok;
		viol += t->violations;
		unknown += t->unknown_cmds;
		fdops += t->fd_ops;
		reopen += t->reopen;
		for (e = 0; e < 134; e++)
			by_errno[e] += t->by_errno[e];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* afterwards the module still answers */
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	if (ioctl(fd, CVMSTAT_IOC_VERSION, &v) || check_version_out(&v)) {
		printf("ioctl-fuzz: VIOLATION: VERSION after the run: %s\n",
		       strerror(errno));
		viol++;
	}
	printf("ioctl-fuzz: seed=%llu ioctls=%lu ok=%lu unknown_cmds=%lu fd_ops=%lu reopens=%lu "
	       "EINVAL=%lu EFAULT=%lu ENOTTY=%lu ENOENT=%lu ENOSPC=%lu ESTALE=%lu "
	       "ENOMEM=%lu EAGAIN=%lu EBADF=%lu EPERM=%lu out_of_time=%d elapsed_ms=%lld violations=%lu\n",
	       (unsigned long long)opt.seed, tried, ok, unknown, fdops, reopen,
	       by_errno[EINVAL], by_errno[EFAULT], by_errno[ENOTTY],
	       by_errno[ENOENT], by_errno[ENOSPC], by_errno[ESTALE],
	       by_errno[ENOMEM], by_errno[EAGAIN],
	       by_errno[EBADF], by_errno[EPERM], out_of_time,
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000, viol);
	return viol ? 1 : 0;
}

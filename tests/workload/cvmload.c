// SPDX-License-Identifier: GPL-2.0
/*
 * cvmload - a tiny VMM that drives a known, countable mix of VM exits.
 *
 * One VM, one 64 KiB RAM slot at GPA 0, no in-kernel irqchip, one vCPU per
 * thread.  vCPU i runs a real-mode loop (code only, no stack, no data in
 * RAM) that performs per iteration exactly:
 *
 *	CPUID(0); OUT PORTBASE+i; IN PORTBASE+i; MMIO byte write to
 *	MMIOBASE+i*0x100; MMIO byte read from MMIOBASE+i*0x100+8;
 *	RDMSR 0x10; WRMSR 0x10 (same value); HLT
 *
 * ITERS*(i+1) times (or until -s SECONDS have elapsed), then does one OUT to
 * port 0xf1.  The VMM counts what it sees and can write the resulting
 * expectations (for comparison with cvmstat's counters) as CSV.
 *
 * Phased mode (-X): the run is cut into phases whose boundaries are exact
 * for every vCPU.  At the end of a phase every vCPU finishes its iteration
 * and OUTs to port 0xf2, and all vCPU threads meet, parked in userspace.
 * The next phase is then marked either by the guest (vCPU 0 alone goes back
 * in and writes the phase number to cvmstat's phase port 0xf4) or by the
 * host (cvmload hands over through a file while someone runs
 * "cvmstat phase NAME").  Expectations are then also written per phase.
 *
 * Alternating mode (-A): one thread runs every vCPU in turn, one KVM_RUN
 * each, and moves itself to another CPU between them, so that the IN and
 * MMIO read a vCPU left to userspace are completed (and traced by KVM) at
 * that vCPU's next KVM_RUN, after the same thread ran another vCPU, often
 * on another CPU.  Events without a vCPU argument must still go to the
 * vCPU KVM runs, never to the one the thread ran last.
 *
 * Build: gcc -O2 -Wall -Wextra -static -pthread -o cvmload cvmload.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define RAM_SIZE	0x10000UL	/* one slot at GPA 0 */
#define CODE_GPA	0x0UL
#define DONE_PORT	0xf1
#define SYNC_PORT	0xf2		/* -X: a vCPU parks here at a boundary */
#define PHASE_PORT	0xf4		/* cvmstat.ko's default phase_port */
#define IN_CONTINUE	0x5a		/* IN value: keep looping */
#define IN_STOP		0xa5		/* IN value: finish this iteration, stop */
/*
 * IN value: finish this iteration, park at SYNC_PORT, then go on.  IN values
 * 2..MAX_PHASES mean the same, and then write the value to PHASE_PORT
 * (a guest mark); MAX_PHASES keeps them clear of the other IN values.
 */
#define IN_SYNC		0x3c
#define MAX_PHASES	16
#define MMIO_STRIDE	0x100UL
#define MMIO_READ_OFF	0x8UL
#define MSR_INDEX	0x10
#define MAX_VCPUS	64
#define REAL_MODE_LIMIT	0x100000UL	/* segment bases stay below 1 MiB */

/*
 * Guest code, 16-bit real mode, entered at CODE_GPA with:
 *   ESI = port (PORTBASE+i), EDI = iterations (0 = loop until told to stop),
 *   EBP = 0 (iterations completed), ES base = MMIOBASE + i*0x100.
 * Registers CPUID/RDMSR clobber (EAX, EBX, ECX, EDX) carry nothing across
 * them except BL, which holds the IN result from IN until the loop test
 * (and, at a phase boundary, until the phase port write).  -X's code comes
 * after "done" so that -k runs exactly the instructions it ran before -X
 * existed (the cost test's reference); -s's stop passes "other" once.
 */
static const uint8_t guest_code[] = {
	/* 0x00 loop: */
	0x66, 0x31, 0xc0,			/* xor   eax, eax */
	0x0f, 0xa2,				/* cpuid */
	0x89, 0xf2,				/* mov   dx, si */
	0xee,					/* out   dx, al */
	0xec,					/* in    al, dx */
	0x88, 0xc3,				/* mov   bl, al */
	0x26, 0xa2, 0x00, 0x00,			/* mov   es:[0x0000], al */
	0x26, 0xa0, 0x08, 0x00,			/* mov   al, es:[0x0008] */
	0x66, 0xb9, 0x10, 0x00, 0x00, 0x00,	/* mov   ecx, 0x10 */
	0x0f, 0x32,				/* rdmsr */
	0x0f, 0x30,				/* wrmsr */
	0xf4,					/* hlt */
	0x66, 0x45,				/* inc   ebp */
	0x80, 0xfb, IN_CONTINUE,		/* cmp   bl, 0x5a */
	0x75, 0x10,				/* jne   other (0x35) */
	0x66, 0x85, 0xff,			/* test  edi, edi */
	0x74, 0xd6,				/* jz    loop (0x00) */
	0x66, 0x4f,				/* dec   edi */
	0x75, 0xd2,				/* jnz   loop (0x00) */
	/* 0x2e done: */
	0xba, DONE_PORT, 0x00,			/* mov   dx, 0xf1 */
	0xee,					/* out   dx, al */
	0xf4,					/* hlt (never reached) */
	0xeb, 0xfd,				/* jmp   $-1 */
	/* 0x35 other: told to stop, or (-X) to park at a phase boundary */
	0x80, 0xfb, IN_STOP,			/* cmp   bl, 0xa5 */
	0x74, 0xf4,				/* je    done (0x2e) */
	0xba, SYNC_PORT, 0x00,			/* mov   dx, 0xf2 */
	0xee,					/* out   dx, al: parked in the VMM */
	0x80, 0xfb, IN_SYNC,			/* cmp   bl, 0x3c */
	0x74, 0xbd,				/* je    loop (0x00) */
	0x88, 0xd8,				/* mov   al, bl: the phase number */
	0xba, PHASE_PORT, 0x00,			/* mov   dx, 0xf4 */
	0xee,					/* out   dx, al: guest mark */
	0xeb, 0xb5,				/* jmp   loop (0x00) */
	/* 0x4b */
};
_Static_assert(sizeof(guest_code) == 0x4b, "jump offsets in guest_code[]");

/* A vCPU's totals at some instant (-X: at the end of a phase). */
struct counts {
	uint64_t pio_out;
	uint64_t pio_in;
	uint64_t pio_done;
	uint64_t pio_sync;
	uint64_t pio_mark;
	uint64_t mmio_w;
	uint64_t mmio_r;
	uint64_t hlt;
	uint64_t iter;
};

struct vcpu {
	pthread_t thread;
	int id;
	int fd;
	struct kvm_run *run;
	uint16_t port;
	uint64_t mmio;		/* MMIO base of this vCPU (write address) */
	uint32_t n_iter;	/* requested iterations, 0 = until deadline */
	/* what actually happened */
	uint64_t pio_out;
	uint64_t pio_in;
	uint64_t pio_done;
	uint64_t mmio_w;
	uint64_t mmio_r;
	uint64_t hlt;
	uint64_t iter;		/* completed iterations, from the guest's EBP */
	uint64_t stop_sent;
	uint64_t paused_at;	/* -P: iteration of the pause (1-based), else 0 */
	/* -X */
	uint64_t pio_sync;	/* OUTs to SYNC_PORT */
	uint64_t pio_mark;	/* OUTs to PHASE_PORT */
	unsigned int phase;	/* the current phase, 0-based */
	bool marking;		/* vCPU 0 went back in to write PHASE_PORT */
	struct counts at[MAX_PHASES];	/* the totals at the end of each phase */
	sem_t go;		/* posted when this vCPU may enter its guest */
};

static struct {
	unsigned long nvcpus;
	unsigned long iters;
	unsigned long seconds;
	unsigned long portbase;
	unsigned long mmiobase;
	const char *expect;
	const char *pause;
	const char *phase_expect;	/* -E */
	const char *handshake;		/* -H */
	unsigned int nr_phases;		/* -X, 0 without */
	bool alternate;			/* -A */
} opt = {
	.nvcpus = 2,
	.iters = 1000,
	.portbase = 0x500,
	.mmiobase = 0x20000,
};

/* How a phase begins: the first with the VM, the others with a mark. */
enum phase_mark { MARK_NONE, MARK_GUEST, MARK_HOST };

/* -X PLAN */
static struct {
	enum phase_mark mark;
	unsigned long iters;	/* vCPU i runs iters*(i+1) iterations */
	unsigned long until;	/* vCPU 0's iterations up to the phase's end */
} plan[MAX_PHASES];

/* -X: every vCPU thread meets the others here at a phase boundary. */
static pthread_barrier_t boundary;

static int vm_fd;
static size_t run_size;
static struct timespec deadline;
static struct timespec start, end;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cvmload: %s\n", buf);
	fflush(NULL);
	_exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cvmload [-v NVCPUS] [-k ITERS] [-s SECONDS] [-p PORTBASE]\n"
		"               [-m MMIOBASE] [-e EXPECT_FILE]\n"
		"       cvmload -X PLAN [-H FILE] [-E FILE] [-v NVCPUS] [-p PORTBASE]\n"
		"               [-m MMIOBASE] [-e EXPECT_FILE]\n"
		"\n"
		"Runs one KVM VM with NVCPUS vCPUs (one thread each). vCPU i loops\n"
		"ITERS*(i+1) times over CPUID, OUT/IN port PORTBASE+i, MMIO write\n"
		"MMIOBASE+i*0x100 and read +8, RDMSR/WRMSR 0x10, HLT, then OUTs to\n"
		"port 0xf1.\n"
		"\n"
		"  -v NVCPUS     number of vCPUs, 1..%d (default 2)\n"
		"  -k ITERS      iterations of vCPU 0, >= 1 (default 1000)\n"
		"  -s SECONDS    loop for SECONDS of wall time instead (excludes -k)\n"
		"  -p PORTBASE   first I/O port (default 0x500)\n"
		"  -m MMIOBASE   first MMIO address, 16-byte aligned, outside\n"
		"                [0, 0x10000), below 1 MiB (default 0x20000)\n"
		"  -e FILE       write expected per-vCPU counts as CSV to FILE\n"
		"  -P FILE       (with -v 1) pause at the IN of iteration ITERS/2:\n"
		"                create FILE, wait until it is removed, then count\n"
		"                (and write to -e) only what happens from there on\n"
		"  -X PLAN       phased run (excludes -k, -s, -P): PLAN is\n"
		"                N1,M2:N2[,M3:N3...], up to %d phases; vCPU i runs\n"
		"                Np*(i+1) iterations in phase p.  Between phases\n"
		"                every vCPU finishes its iteration and OUTs to port\n"
		"                0xf2 (all threads wait there), then phase p starts\n"
		"                with a mark Mp:\n"
		"                  g  vCPU 0 alone writes the byte p to port 0xf4\n"
		"                     (cvmstat's phase port), the others wait for it\n"
		"                  h  cvmload creates the -H FILE and waits until it\n"
		"                     is removed (run \"cvmstat phase NAME\" meanwhile)\n"
		"  -H FILE       handshake file of the h marks\n"
		"  -E FILE       write expected per-phase, per-vCPU counts as CSV\n"
		"                (phase,vcpu_id,kind,key,dir,count; phase 1..N)\n"
		"  -A            one thread runs all vCPUs in turn, one KVM_RUN\n"
		"                each, changing CPU between them (excludes -s, -P,\n"
		"                -X)\n"
		"  -h, --help    show this help\n",
		MAX_VCPUS, MAX_PHASES);
}

/* Parses an unsigned number (decimal, 0x hex or 0 octal) in [min, max]. */
static unsigned long parse_num(const char *name, const char *s,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end != '\0')
		goto bad;
	if (v < min || v > max) {
		fprintf(stderr, "cvmload: %s %s out of range [%#lx, %#lx]\n",
			name, s, min, max);
		exit(2);
	}
	return v;
bad:
	fprintf(stderr, "cvmload: invalid %s '%s'\n", name, s);
	exit(2);
}

/* -X N1,M2:N2,...: fills plan[], sets opt.nr_phases. */
static void parse_plan(const char *arg)
{
	char *copy = strdup(arg), *rest = copy, *tok;
	unsigned int n = 0;
	unsigned long until = 0;

	if (!copy) {
		fprintf(stderr, "cvmload: out of memory\n");
		exit(2);
	}
	while ((tok = strsep(&rest, ","))) {
		enum phase_mark mark = MARK_NONE;

		if (n == MAX_PHASES) {
			fprintf(stderr, "cvmload: PLAN has more than %d phases\n",
				MAX_PHASES);
			exit(2);
		}
		if (tok[0] && tok[1] == ':') {
			if (tok[0] == 'g') {
				mark = MARK_GUEST;
			} else if (tok[0] == 'h') {
				mark = MARK_HOST;
			} else {
				fprintf(stderr, "cvmload: PLAN '%s': unknown mark '%c'\n",
					arg, tok[0]);
				exit(2);
			}
			tok += 2;
		}
		/* the first phase begins with the VM, every other with a mark */
		if ((n == 0) != (mark == MARK_NONE)) {
			fprintf(stderr, "cvmload: PLAN '%s': phase %u %s\n", arg,
				n + 1, n ? "needs g: or h:" : "takes no mark");
			exit(2);
		}
		plan[n].mark = mark;
		plan[n].iters = parse_num("PLAN iterations", tok, 1, UINT32_MAX);
		until += plan[n].iters;
		if (until > UINT32_MAX) {
			fprintf(stderr, "cvmload: PLAN exceeds %#x iterations\n",
				UINT32_MAX);
			exit(2);
		}
		plan[n].until = until;
		n++;
	}
	free(copy);
	opt.nr_phases = n;
}

/* Whether the plan has a mark of this kind. */
static bool plan_has(enum phase_mark mark)
{
	unsigned int p;

	for (p = 0; p < opt.nr_phases; p++)
		if (plan[p].mark == mark)
			return true;
	return false;
}

static const char *file_arg(const char *name, const char *arg)
{
	if (!arg[0]) {
		fprintf(stderr, "cvmload: empty %s\n", name);
		exit(2);
	}
	return arg;
}

static void parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_k = false;
	int c;

	while ((c = getopt_long(argc, argv, "v:k:s:p:m:e:P:X:H:E:Ah", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'v':
			opt.nvcpus = parse_num("NVCPUS", optarg, 1, MAX_VCPUS);
			break;
		case 'k':
			opt.iters = parse_num("ITERS", optarg, 1, UINT32_MAX);
			have_k = true;
			break;
		case 's':
			opt.seconds = parse_num("SECONDS", optarg, 1, 86400);
			break;
		case 'p':
			opt.portbase = parse_num("PORTBASE", optarg, 0, 0xffff);
			break;
		case 'm':
			opt.mmiobase = parse_num("MMIOBASE", optarg, RAM_SIZE,
						 REAL_MODE_LIMIT - MMIO_STRIDE);
			break;
		case 'e':
			if (!optarg[0]) {
				fprintf(stderr, "cvmload: empty EXPECT_FILE\n");
				exit(2);
			}
			opt.expect = optarg;
			break;
		case 'P':
			if (!optarg[0]) {
				fprintf(stderr, "cvmload: empty PAUSE_FILE\n");
				exit(2);
			}
			opt.pause = optarg;
			break;
		case 'X':
			parse_plan(optarg);
			break;
		case 'H':
			opt.handshake = file_arg("HANDSHAKE_FILE", optarg);
			break;
		case 'E':
			opt.phase_expect = file_arg("PHASE_EXPECT_FILE", optarg);
			break;
		case 'A':
			opt.alternate = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "cvmload: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (opt.pause && (opt.seconds || opt.nvcpus != 1 || opt.iters < 2)) {
		fprintf(stderr, "cvmload: -P needs -v 1, -k >= 2 and no -s\n");
		exit(2);
	}
	if (have_k && opt.seconds) {
		fprintf(stderr, "cvmload: -k and -s are mutually exclusive\n");
		exit(2);
	}
	if (opt.nr_phases && (have_k || opt.seconds || opt.pause)) {
		fprintf(stderr, "cvmload: -X excludes -k, -s and -P\n");
		exit(2);
	}
	if (opt.alternate && (opt.seconds || opt.pause || opt.nr_phases)) {
		fprintf(stderr, "cvmload: -A excludes -s, -P and -X\n");
		exit(2);
	}
	if (!opt.nr_phases && (opt.handshake || opt.phase_expect)) {
		fprintf(stderr, "cvmload: -H and -E need -X\n");
		exit(2);
	}
	if (opt.nr_phases && !opt.handshake != !plan_has(MARK_HOST)) {
		fprintf(stderr, "cvmload: -H FILE %s\n", opt.handshake ?
			"without an h mark in PLAN" : "needed for h marks");
		exit(2);
	}
	/* EBP, the guest's iteration counter, is 32 bits wide */
	if (opt.nr_phases &&
	    plan[opt.nr_phases - 1].until * opt.nvcpus > UINT32_MAX) {
		fprintf(stderr, "cvmload: PLAN*NVCPUS exceeds %#x\n", UINT32_MAX);
		exit(2);
	}
	if (!opt.seconds && !opt.nr_phases && opt.iters * opt.nvcpus > UINT32_MAX) {
		fprintf(stderr, "cvmload: ITERS*NVCPUS exceeds %#x\n", UINT32_MAX);
		exit(2);
	}
	if (opt.portbase + opt.nvcpus - 1 > 0xffff) {
		fprintf(stderr, "cvmload: ports %#lx+%lu exceed 0xffff\n",
			opt.portbase, opt.nvcpus);
		exit(2);
	}
	if (opt.portbase <= DONE_PORT && DONE_PORT < opt.portbase + opt.nvcpus) {
		fprintf(stderr, "cvmload: port range includes the done port %#x\n",
			DONE_PORT);
		exit(2);
	}
	/* (-p 0xf4 without -X marks a phase at every OUT, on purpose) */
	if (opt.nr_phases && opt.portbase <= PHASE_PORT &&
	    SYNC_PORT < opt.portbase + opt.nvcpus) {
		fprintf(stderr, "cvmload: -X: port range includes %#x..%#x\n",
			SYNC_PORT, PHASE_PORT);
		exit(2);
	}
	if (opt.mmiobase & 0xf) {
		fprintf(stderr, "cvmload: MMIOBASE %#lx not 16-byte aligned\n",
			opt.mmiobase);
		exit(2);
	}
	if (opt.mmiobase + opt.nvcpus * MMIO_STRIDE > REAL_MODE_LIMIT) {
		fprintf(stderr, "cvmload: MMIO range %#lx+%lu*0x100 exceeds 1 MiB\n",
			opt.mmiobase, opt.nvcpus);
		exit(2);
	}
}

static bool past_deadline(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static void setup_vcpu(struct vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU %d: %s", v->id, strerror(errno));
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run of vCPU %d: %s", v->id, strerror(errno));

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.es.base = v->mmio;
	sregs.es.selector = v->mmio >> 4;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;
	regs.rsi = v->port;
	regs.rdi = v->n_iter;
	regs.rbp = 0;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS: %s", strerror(errno));
}

/* Creates @path (holding our pid) and waits until someone removes it. */
static void handshake(const char *path)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	FILE *f;

	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
		die("create %s: %s", path, strerror(errno));
	while (access(path, F_OK) == 0)
		nanosleep(&tick, NULL);
	if (errno != ENOENT)
		die("%s: %s", path, strerror(errno));
}

/*
 * -P: stop in the middle of an iteration, at its IN exit, until the pause
 * file is removed, and from then on count only what follows.  (KVM traces
 * this IN itself when it completes, i.e. after the pause.)
 */
static void pause_here(struct vcpu *v)
{
	handshake(opt.pause);
	v->paused_at = v->pio_in;
	v->pio_out = v->pio_in = v->mmio_w = v->mmio_r = v->hlt = 0;
}

/*
 * -X: what the IN of an iteration answers.  The last iteration of a phase
 * is told to park at SYNC_PORT (vCPU 0 before a guest mark: and then to
 * write the next phase's number to PHASE_PORT); that of the last phase to
 * stop.
 */
static uint8_t phase_in_reply(struct vcpu *v)
{
	unsigned int p = v->phase;

	if (v->pio_in < plan[p].until * (v->id + 1))
		return IN_CONTINUE;
	if (p == opt.nr_phases - 1) {
		v->stop_sent++;
		return IN_STOP;
	}
	if (plan[p + 1].mark == MARK_GUEST && v->id == 0)
		return p + 2;	/* 1-based: the phase that begins */
	return IN_SYNC;
}

static void barrier_wait(pthread_barrier_t *b)
{
	int ret = pthread_barrier_wait(b);

	if (ret && ret != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(ret));
}

/* -X: the vCPU's totals at the end of its current phase. */
static void snapshot(struct vcpu *v)
{
	struct counts *c = &v->at[v->phase];
	struct kvm_regs regs;

	/* EBP was incremented before the OUT that brought the vCPU here */
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		die("vCPU %d: KVM_GET_REGS: %s", v->id, strerror(errno));
	c->iter = (uint32_t)regs.rbp;
	c->pio_out = v->pio_out;
	c->pio_in = v->pio_in;
	c->pio_done = v->pio_done;
	c->pio_sync = v->pio_sync;
	c->pio_mark = v->pio_mark;
	c->mmio_w = v->mmio_w;
	c->mmio_r = v->mmio_r;
	c->hlt = v->hlt;
}

/*
 * -X: the vCPU's phase is over and the next one has been marked: the mark
 * is made while every vCPU thread is here, out of its guest, so each vCPU's
 * events up to now belong to the old phase and all later ones to the new.
 */
static void end_phase(struct vcpu *v)
{
	snapshot(v);
	barrier_wait(&boundary);
	v->phase++;
}

/* -X: the vCPU ended its phase with an OUT to SYNC_PORT. */
static void park(struct vcpu *v)
{
	unsigned int next = v->phase + 1;

	if (next >= opt.nr_phases)
		die("vCPU %d: parked after the last phase", v->id);
	/* every vCPU has ended the phase (and none is in its guest) */
	barrier_wait(&boundary);
	if (plan[next].mark == MARK_GUEST && v->id == 0) {
		/* back in, to write PHASE_PORT; handle_io() ends the phase */
		v->marking = true;
		return;
	}
	if (plan[next].mark == MARK_HOST && v->id == 0)
		handshake(opt.handshake);
	end_phase(v);
}

/*
 * -X: vCPU 0 wrote PHASE_PORT.  cvmstat saw (and counted, in the phase that
 * ends) that OUT before KVM exited to us, so the mark is made now.
 */
static void guest_marked(struct vcpu *v, uint8_t value)
{
	if (!v->marking || value != v->phase + 2)
		die("vCPU %d: unexpected write of %u to the phase port in phase %u",
		    v->id, value, v->phase + 1);
	v->marking = false;
	v->pio_mark++;
	end_phase(v);
}

/* Returns true when the vCPU reported "done". */
static bool handle_io(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	bool out = r->io.direction == KVM_EXIT_IO_OUT;

	if (r->io.size != 1 || r->io.count != 1)
		die("vCPU %d: unexpected %s port %#x size %u count %u", v->id,
		    out ? "OUT" : "IN", r->io.port, r->io.size, r->io.count);
	if (out && r->io.port == DONE_PORT) {
		v->pio_done++;
		return true;
	}
	if (opt.nr_phases && out && r->io.port == SYNC_PORT) {
		v->pio_sync++;
		park(v);
		return false;
	}
	if (opt.nr_phases && out && r->io.port == PHASE_PORT) {
		guest_marked(v, *data);
		return false;
	}
	if (r->io.port != v->port)
		die("vCPU %d: unexpected %s to port %#x", v->id,
		    out ? "OUT" : "IN", r->io.port);
	if (out) {
		v->pio_out++;
	} else {
		v->pio_in++;
		if (opt.pause && !v->paused_at && v->pio_in == opt.iters / 2)
			pause_here(v);
		if (opt.nr_phases) {
			*data = phase_in_reply(v);
		} else if (opt.seconds && past_deadline()) {
			*data = IN_STOP;
			v->stop_sent++;
		} else {
			*data = IN_CONTINUE;
		}
	}
	return false;
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint64_t gpa = r->mmio.phys_addr;

	if (r->mmio.len != 1)
		die("vCPU %d: unexpected MMIO %s at %#llx len %u", v->id,
		    r->mmio.is_write ? "write" : "read",
		    (unsigned long long)gpa, r->mmio.len);
	if (r->mmio.is_write && gpa == v->mmio) {
		v->mmio_w++;
	} else if (!r->mmio.is_write && gpa == v->mmio + MMIO_READ_OFF) {
		v->mmio_r++;
		r->mmio.data[0] = 0;
	} else {
		die("vCPU %d: unexpected MMIO %s at %#llx", v->id,
		    r->mmio.is_write ? "write" : "read",
		    (unsigned long long)gpa);
	}
}

/*
 * The vCPUs start one after the other: vCPU i+1 enters its guest once
 * vCPU i has had its first MMIO exit.  By then vCPU i has faulted in what it
 * needed: the code page (vCPU 0: the VM's only RAM fault, one NPF/EPT
 * violation, always vCPU 0's) and the MMIO SPTE of its page.  Two vCPUs
 * faulting on one GFN that has no SPTE yet race to install it; the loser's
 * cmpxchg fails (RET_PF_RETRY) and it re-enters its guest to fault again,
 * one NPF more than the guest did.  CI once saw that extra NPF on vCPU 2 of
 * 3 started together; this race is the path in KVM's fault handling that
 * explains it.  Started in turn, every vCPU's exits are deterministic.
 *
 * And no thread is created or ends while any vCPU runs: either changes this
 * process's memory map (a new stack's guard page, glibc's madvise() of an
 * ended thread's stack), which KVM's MMU notifier sees; a guest fault racing
 * with it is retried, one NPF more than the guest did.
 */
static pthread_barrier_t created, finished;

/* One KVM_RUN of @v and its exit; true when the vCPU reported "done". */
static bool run_once(struct vcpu *v)
{
	if (ioctl(v->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return false;
		die("vCPU %d: KVM_RUN: %s", v->id, strerror(errno));
	}
	switch (v->run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(v);
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		/* its first MMIO exit: the next vCPU (vs[] is one array) */
		if (!opt.alternate && v->mmio_w + v->mmio_r == 1 &&
		    v->id + 1 < (int)opt.nvcpus)
			sem_post(&v[1].go);
		return false;
	case KVM_EXIT_HLT:
		v->hlt++;
		return false;
	case KVM_EXIT_INTR:
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		die("vCPU %d: KVM_EXIT_FAIL_ENTRY reason %#llx", v->id,
		    (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		die("vCPU %d: KVM_EXIT_INTERNAL_ERROR suberror %u", v->id,
		    v->run->internal.suberror);
	default:
		die("vCPU %d: unexpected exit reason %u", v->id,
		    v->run->exit_reason);
	}
}

/* @v reported "done": its guest's own iteration count. */
static void finish(struct vcpu *v)
{
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		die("vCPU %d: KVM_GET_REGS: %s", v->id, strerror(errno));
	v->iter = (uint32_t)regs.rbp;
	if (opt.nr_phases)
		snapshot(v);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;

	barrier_wait(&created);
	while (sem_wait(&v->go))
		if (errno != EINTR)
			die("sem_wait: %s", strerror(errno));
	while (!run_once(v))
		;
	finish(v);
	barrier_wait(&finished);
	return NULL;
}

/*
 * -A: this thread runs every vCPU in turn, one KVM_RUN each, on CPU 0, 1,
 * ... in turn (where it may: one CPU is fine too, just less telling).
 * Sequential, so no two vCPUs race to fault in one page: the exits are
 * as deterministic as with a thread per vCPU started in turn.
 */
static void run_alternating(struct vcpu *vs)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long left = opt.nvcpus, i, step = 0;
	bool *done = calloc(opt.nvcpus, sizeof(*done));

	if (!done)
		die("out of memory");
	if (ncpus < 1)
		ncpus = 1;
	while (left) {
		for (i = 0; i < opt.nvcpus; i++) {
			cpu_set_t set;

			if (done[i])
				continue;
			CPU_ZERO(&set);
			CPU_SET(step++ % ncpus, &set);
			sched_setaffinity(0, sizeof(set), &set);
			if (run_once(&vs[i])) {
				finish(&vs[i]);
				done[i] = true;
				left--;
			}
		}
	}
	free(done);
}

/* Observed counts must agree with each other (and with -k) to be trusted. */
static void check_vcpu(const struct vcpu *v)
{
	uint64_t n = v->iter;
	/* after a -P pause: whole iterations, and those plus the paused one */
	uint64_t a = n - v->paused_at, b = a + !!v->paused_at;

	if (v->pio_done != 1 || v->pio_out != a || v->pio_in != a ||
	    v->mmio_w != b || v->mmio_r != b || v->hlt != b ||
	    (opt.pause && !v->paused_at) ||
	    (v->n_iter && n != v->n_iter) ||
	    ((opt.seconds || opt.nr_phases) && v->stop_sent != 1))
		die("vCPU %d: inconsistent counts: iter %llu (want %u) out %llu in %llu mmio w %llu r %llu hlt %llu done %llu stop %llu",
		    v->id, (unsigned long long)n, v->n_iter,
		    (unsigned long long)v->pio_out,
		    (unsigned long long)v->pio_in,
		    (unsigned long long)v->mmio_w,
		    (unsigned long long)v->mmio_r,
		    (unsigned long long)v->hlt,
		    (unsigned long long)v->pio_done,
		    (unsigned long long)v->stop_sent);
}

/* -X: what vCPU @v did in phase @p (0-based), from the snapshots. */
static struct counts phase_counts(const struct vcpu *v, unsigned int p)
{
	static const struct counts zero;
	const struct counts *a = p ? &v->at[p - 1] : &zero, *b = &v->at[p];

	return (struct counts) {
		.pio_out = b->pio_out - a->pio_out,
		.pio_in = b->pio_in - a->pio_in,
		.pio_done = b->pio_done - a->pio_done,
		.pio_sync = b->pio_sync - a->pio_sync,
		.pio_mark = b->pio_mark - a->pio_mark,
		.mmio_w = b->mmio_w - a->mmio_w,
		.mmio_r = b->mmio_r - a->mmio_r,
		.hlt = b->hlt - a->hlt,
		.iter = b->iter - a->iter,
	};
}

/* -X: every phase, as observed, must be exactly what the plan asked for. */
static void check_phases(const struct vcpu *v)
{
	unsigned int p, last = opt.nr_phases - 1;

	if (v->phase != last || v->marking)
		die("vCPU %d: ended in phase %u of %u", v->id, v->phase + 1,
		    last + 1);
	for (p = 0; p <= last; p++) {
		struct counts c = phase_counts(v, p);
		uint64_t n = plan[p].iters * (v->id + 1);
		bool marks = p < last && plan[p + 1].mark == MARK_GUEST &&
			     v->id == 0;

		if (c.iter != n || c.pio_out != n || c.pio_in != n ||
		    c.mmio_w != n || c.mmio_r != n || c.hlt != n ||
		    c.pio_sync != (p < last) || c.pio_mark != marks ||
		    c.pio_done != (p == last))
			die("vCPU %d phase %u: inconsistent counts: iter %llu (want %llu) out %llu in %llu mmio w %llu r %llu hlt %llu sync %llu mark %llu done %llu",
			    v->id, p + 1, (unsigned long long)c.iter,
			    (unsigned long long)n,
			    (unsigned long long)c.pio_out,
			    (unsigned long long)c.pio_in,
			    (unsigned long long)c.mmio_w,
			    (unsigned long long)c.mmio_r,
			    (unsigned long long)c.hlt,
			    (unsigned long long)c.pio_sync,
			    (unsigned long long)c.pio_mark,
			    (unsigned long long)c.pio_done);
	}
}

static void write_expect(const char *path, const struct vcpu *vs, unsigned long n)
{
	FILE *f = fopen(path, "w");
	unsigned long i;

	if (!f)
		die("open %s: %s", path, strerror(errno));
	fprintf(f, "vcpu_id,kind,key,dir,count\n");
	for (i = 0; i < n; i++) {
		const struct vcpu *v = &vs[i];
		unsigned long long rd = v->mmio + MMIO_READ_OFF;
		/*
		 * After a pause: the iterations begun after it, and the MSR
		 * accesses of the paused one too, which had not run yet.
		 */
		unsigned long long iters = v->iter - v->paused_at;
		unsigned long long msrs = v->iter -
					  (v->paused_at ? v->paused_at - 1 : 0);

		fprintf(f, "%d,pio,%#x,write,%llu\n", v->id, v->port,
			(unsigned long long)v->pio_out);
		fprintf(f, "%d,pio,%#x,read,%llu\n", v->id, v->port,
			(unsigned long long)v->pio_in + !!v->paused_at);
		fprintf(f, "%d,pio,%#x,write,%llu\n", v->id, DONE_PORT,
			(unsigned long long)v->pio_done);
		/* -X only */
		if (v->pio_sync)
			fprintf(f, "%d,pio,%#x,write,%llu\n", v->id, SYNC_PORT,
				(unsigned long long)v->pio_sync);
		if (v->pio_mark)
			fprintf(f, "%d,pio,%#x,write,%llu\n", v->id, PHASE_PORT,
				(unsigned long long)v->pio_mark);
		fprintf(f, "%d,mmio,%#llx,write,%llu\n", v->id,
			(unsigned long long)v->mmio,
			(unsigned long long)v->mmio_w);
		fprintf(f, "%d,mmio,%#llx,read,%llu\n", v->id, rd,
			(unsigned long long)v->mmio_r);
		/*
		 * MSR accesses never reach userspace: each completed guest
		 * iteration executed exactly one RDMSR and one WRMSR.
		 */
		fprintf(f, "%d,msr,%#x,read,%llu\n", v->id, MSR_INDEX, msrs);
		fprintf(f, "%d,msr,%#x,write,%llu\n", v->id, MSR_INDEX, msrs);
		fprintf(f, "%d,iter,0x0,none,%llu\n", v->id, iters);
		fprintf(f, "%d,hlt,0x0,none,%llu\n", v->id,
			(unsigned long long)v->hlt);
	}
	if (ferror(f) | fclose(f))
		die("write %s: %s", path, strerror(errno));
}

/*
 * -E: like write_expect(), per phase (1-based); rows that would say 0 are
 * left out, but for iter and hlt.
 */
static void write_phase_expect(const char *path, const struct vcpu *vs,
			       unsigned long n)
{
	FILE *f = fopen(path, "w");
	unsigned long i;
	unsigned int p;

	if (!f)
		die("open %s: %s", path, strerror(errno));
	fprintf(f, "phase,vcpu_id,kind,key,dir,count\n");
	for (p = 0; p < opt.nr_phases; p++) {
		for (i = 0; i < n; i++) {
			const struct vcpu *v = &vs[i];
			struct counts c = phase_counts(v, p);
			const struct {
				const char *kind;
				unsigned long long key;
				const char *dir;
				uint64_t count;
			} rows[] = {
				{ "pio", v->port, "write", c.pio_out },
				{ "pio", v->port, "read", c.pio_in },
				{ "pio", DONE_PORT, "write", c.pio_done },
				{ "pio", SYNC_PORT, "write", c.pio_sync },
				{ "pio", PHASE_PORT, "write", c.pio_mark },
				{ "mmio", v->mmio, "write", c.mmio_w },
				{ "mmio", v->mmio + MMIO_READ_OFF, "read", c.mmio_r },
				/*
				 * MSR accesses never reach userspace; phases
				 * end between iterations, each of which did
				 * one RDMSR and one WRMSR.
				 */
				{ "msr", MSR_INDEX, "read", c.iter },
				{ "msr", MSR_INDEX, "write", c.iter },
			};
			size_t k;

			for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
				if (rows[k].count)
					fprintf(f, "%u,%d,%s,%#llx,%s,%llu\n", p + 1,
						v->id, rows[k].kind, rows[k].key,
						rows[k].dir,
						(unsigned long long)rows[k].count);
			fprintf(f, "%u,%d,iter,0x0,none,%llu\n", p + 1, v->id,
				(unsigned long long)c.iter);
			fprintf(f, "%u,%d,hlt,0x0,none,%llu\n", p + 1, v->id,
				(unsigned long long)c.hlt);
		}
	}
	if (ferror(f) | fclose(f))
		die("write %s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region mem;
	struct vcpu *vs;
	unsigned long i;
	void *ram;
	int kvm, ret;

	parse_args(argc, argv);

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm: %s", strerror(errno));
	ret = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION)
		die("KVM API version %d, expected %d", ret, KVM_API_VERSION);
	ret = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE: %d", ret);
	run_size = ret;

	vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	/* Needed by VMX real mode only; harmless elsewhere. */
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM: %s", strerror(errno));
	/*
	 * The code page must stay where vCPU 0 faulted it in: khugepaged
	 * collapsing it into a huge page (possible once the mapping merges
	 * with a neighbouring one) would zap its SPTE, and the next vCPU to
	 * fetch would take an NPF the guest did not cause.  (EINVAL: a kernel
	 * without THP, nothing to prevent.)
	 */
	if (madvise(ram, RAM_SIZE, MADV_NOHUGEPAGE) < 0 && errno != EINVAL)
		die("madvise guest RAM: %s", strerror(errno));
	memcpy((uint8_t *)ram + CODE_GPA, guest_code, sizeof(guest_code));
	memset(&mem, 0, sizeof(mem));
	mem.slot = 0;
	mem.guest_phys_addr = 0;
	mem.memory_size = RAM_SIZE;
	mem.userspace_addr = (uintptr_t)ram;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	vs = calloc(opt.nvcpus, sizeof(*vs));
	if (!vs)
		die("out of memory");
	for (i = 0; i < opt.nvcpus; i++) {
		vs[i].id = i;
		vs[i].port = opt.portbase + i;
		vs[i].mmio = opt.mmiobase + i * MMIO_STRIDE;
		/* -s and -X: the VMM tells the guest when to stop */
		vs[i].n_iter = opt.seconds || opt.nr_phases ? 0 :
			       opt.iters * (i + 1);
		setup_vcpu(&vs[i]);
	}

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	start = deadline;
	deadline.tv_sec += opt.seconds;
	for (i = 0; i < opt.nvcpus; i++) {
		if (sem_init(&vs[i].go, 0, i == 0))
			die("sem_init: %s", strerror(errno));
	}
	ret = pthread_barrier_init(&boundary, NULL, opt.nvcpus);
	if (!ret)
		ret = pthread_barrier_init(&created, NULL, opt.nvcpus);
	if (!ret)
		ret = pthread_barrier_init(&finished, NULL, opt.nvcpus);
	if (ret)
		die("pthread_barrier_init: %s", strerror(ret));
	for (i = 0; i < opt.nvcpus && !opt.alternate; i++) {
		ret = pthread_create(&vs[i].thread, NULL, vcpu_thread, &vs[i]);
		if (ret)
			die("pthread_create: %s", strerror(ret));
	}
	if (opt.alternate)
		run_alternating(vs);
	for (i = 0; i < opt.nvcpus && !opt.alternate; i++) {
		ret = pthread_join(vs[i].thread, NULL);
		if (ret)
			die("pthread_join: %s", strerror(ret));
	}
	clock_gettime(CLOCK_MONOTONIC, &end);

	for (i = 0; i < opt.nvcpus; i++) {
		check_vcpu(&vs[i]);
		if (opt.nr_phases)
			check_phases(&vs[i]);
	}
	if (opt.expect)
		write_expect(opt.expect, vs, opt.nvcpus);
	if (opt.phase_expect)
		write_phase_expect(opt.phase_expect, vs, opt.nvcpus);

	for (i = 0; i < opt.nvcpus; i++) {
		munmap(vs[i].run, run_size);
		close(vs[i].fd);
	}
	close(vm_fd);
	close(kvm);
	munmap(ram, RAM_SIZE);
	/* Under QEMU -icount shift=0 this counts the guest's instructions. */
	printf("cvmload: pid=%d vcpus=%lu elapsed_ns=%lld ok\n", (int)getpid(),
	       opt.nvcpus, (long long)(end.tv_sec - start.tv_sec) * 1000000000LL +
	       (end.tv_nsec - start.tv_nsec));
	return 0;
}

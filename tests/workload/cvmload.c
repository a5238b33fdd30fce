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
 * Build: gcc -O2 -Wall -Wextra -static -pthread -o cvmload cvmload.c
 */
#define _GNU_SOURCE
#include <errno.h>
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
#define IN_CONTINUE	0x5a		/* IN value: keep looping */
#define IN_STOP		0xa5		/* IN value: finish this iteration, stop */
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
 * them except BL, which holds the IN result from IN until the loop test.
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
	0x75, 0x09,				/* jne   done (0x2e) */
	0x66, 0x85, 0xff,			/* test  edi, edi */
	0x74, 0xd6,				/* jz    loop (0x00) */
	0x66, 0x4f,				/* dec   edi */
	0x75, 0xd2,				/* jnz   loop (0x00) */
	/* 0x2e done: */
	0xba, DONE_PORT, 0x00,			/* mov   dx, 0xf1 */
	0xee,					/* out   dx, al */
	0xf4,					/* hlt (never reached) */
	0xeb, 0xfd,				/* jmp   $-1 */
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
};

static struct {
	unsigned long nvcpus;
	unsigned long iters;
	unsigned long seconds;
	unsigned long portbase;
	unsigned long mmiobase;
	const char *expect;
	const char *pause;
} opt = {
	.nvcpus = 2,
	.iters = 1000,
	.portbase = 0x500,
	.mmiobase = 0x20000,
};

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
		"  -h, --help    show this help\n",
		MAX_VCPUS);
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

static void parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_k = false;
	int c;

	while ((c = getopt_long(argc, argv, "v:k:s:p:m:e:P:h", lopts, NULL)) != -1) {
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
	if (!opt.seconds && opt.iters * opt.nvcpus > UINT32_MAX) {
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

/*
 * -P: stop in the middle of an iteration, at its IN exit, until the pause
 * file is removed, and from then on count only what follows.  (KVM traces
 * this IN itself when it completes, i.e. after the pause.)
 */
static void pause_here(struct vcpu *v)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	FILE *f;

	f = fopen(opt.pause, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
		die("create %s: %s", opt.pause, strerror(errno));
	while (access(opt.pause, F_OK) == 0)
		nanosleep(&tick, NULL);
	if (errno != ENOENT)
		die("%s: %s", opt.pause, strerror(errno));
	v->paused_at = v->pio_in;
	v->pio_out = v->pio_in = v->mmio_w = v->mmio_r = v->hlt = 0;
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
	if (r->io.port != v->port)
		die("vCPU %d: unexpected %s to port %#x", v->id,
		    out ? "OUT" : "IN", r->io.port);
	if (out) {
		v->pio_out++;
	} else {
		v->pio_in++;
		if (opt.pause && !v->paused_at && v->pio_in == opt.iters / 2)
			pause_here(v);
		if (opt.seconds && past_deadline()) {
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
 * vCPU 0 runs alone until its first exit, by which time it has faulted the
 * code page in: the VM's only RAM fault (one NPF/EPT violation) is always
 * vCPU 0's, so per-vCPU exit counts are deterministic.
 */
static sem_t code_page_mapped;

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_regs regs;
	bool first = v->id == 0;

	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("vCPU %d: KVM_RUN: %s", v->id, strerror(errno));
		}
		if (first) {
			first = false;
			sem_post(&code_page_mapped);
		}
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
			if (handle_io(v))
				goto done;
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v);
			break;
		case KVM_EXIT_HLT:
			v->hlt++;
			break;
		case KVM_EXIT_INTR:
			break;
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
done:
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		die("vCPU %d: KVM_GET_REGS: %s", v->id, strerror(errno));
	v->iter = (uint32_t)regs.rbp;
	return NULL;
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
	    (opt.seconds && v->stop_sent != 1))
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
		vs[i].n_iter = opt.seconds ? 0 : opt.iters * (i + 1);
		setup_vcpu(&vs[i]);
	}

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	start = deadline;
	deadline.tv_sec += opt.seconds;
	if (sem_init(&code_page_mapped, 0, 0))
		die("sem_init: %s", strerror(errno));
	for (i = 0; i < opt.nvcpus; i++) {
		ret = pthread_create(&vs[i].thread, NULL, vcpu_thread, &vs[i]);
		if (ret)
			die("pthread_create: %s", strerror(ret));
		while (i == 0 && sem_wait(&code_page_mapped))
			if (errno != EINTR)
				die("sem_wait: %s", strerror(errno));
	}
	for (i = 0; i < opt.nvcpus; i++) {
		ret = pthread_join(vs[i].thread, NULL);
		if (ret)
			die("pthread_join: %s", strerror(ret));
	}
	clock_gettime(CLOCK_MONOTONIC, &end);

	for (i = 0; i < opt.nvcpus; i++)
		check_vcpu(&vs[i]);
	if (opt.expect)
		write_expect(opt.expect, vs, opt.nvcpus);

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

// SPDX-License-Identifier: GPL-2.0
/*
 * haltload - a tiny VMM whose vCPUs really halt, for cvmstat's halt-polling
 * tests.
 *
 * One VM with KVM's in-kernel irqchip (KVM_CREATE_IRQCHIP: a guest whose
 * HLT exits to userspace never reaches halt polling), one 64 KiB RAM slot
 * at GPA 0, one thread per vCPU.  Each vCPU runs a 32-bit protected-mode
 * guest (flat GDT and an IDT in its RAM, no paging) that software-enables
 * its local APIC, then, N times: arms the APIC timer one-shot (vector 0x40,
 * divide by 1, so the count is in KVM's 1 ns APIC bus cycles) and executes
 * "sti; hlt" until the timer's handler (which EOIs and sets a flag) ran.
 * The guest counts every HLT it executes and every timer wakeup; the VMM
 * reads both from its registers at the end, and KVM's own per-vCPU
 * statistics through KVM_GET_STATS_FD, and writes them as expectations.
 *
 *   -o K   vCPU 0 writes 0 to MSR_KVM_POLL_CONTROL (0x4b564d05) after its
 *          K-th wakeup: the guest switches host polling off, as Linux's
 *          cpuidle-haltpoll driver does
 *   -c NS  the VMM sets the VM's own maximum (KVM_CAP_HALT_POLL) first
 *   -W/-H  hold the vCPUs after their first exit / the VM after the run
 *          until a file exists, so a test can act on a VM cvmstat knows
 *
 * Build: gcc -O2 -Wall -Wextra -static -pthread -o haltload haltload.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
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

#define RAM_SIZE	0x10000UL
#define COUNT_GPA	0x0f00UL	/* u32: the timer's initial count */
#define STOP_GPA	0x0f04UL	/* u32: the VMM sets it to end a -s run */
#define GDT_GPA		0x1000UL
#define IDT_GPA		0x2000UL
#define CODE_GPA	0x3000UL
#define STACK_GPA	0x8000UL	/* vCPU i's stack ends at +(i+1)*1 KiB */
#define STACK_SIZE	0x400UL
#define MAX_VCPUS	16
#define DONE_PORT	0xf1
#define READY_PORT	0xf2
#define EXC_PORT	0xf3
#define TIMER_VECTOR	0x40
#define SPURIOUS_VECTOR	0xff
#define SEL_CODE	0x08
#define SEL_DATA	0x10

/*
 * The guest, 32-bit, entered at CODE_GPA with ESI = wakeups to do (0: until
 * the stop flag), EDI = wakeups after which to switch host polling off
 * (0xffffffff: never), EBP = ECX = 0.  At DONE_PORT, EBP holds the timer
 * wakeups and ECX the HLTs executed.  Interrupts are enabled only in the
 * "sti; hlt" window (STI's shadow covers the HLT), so the handler's EBX
 * write only ever meets that loop.
 */
extern const char hl_start[], hl_timer[], hl_spurious[], hl_exc[], hl_end[];
__asm__(
	".pushsection .rodata.haltload, \"a\"\n"
	".code32\n"
	".globl hl_start, hl_timer, hl_spurious, hl_exc, hl_end\n"
	"hl_start:\n"
	"	movl $0x1ff, 0xfee000f0\n"	/* SVR: enabled, spurious 0xff */
	"	movl $0xb, 0xfee003e0\n"	/* timer divide by 1 */
	"	movl $0x40, 0xfee00320\n"	/* LVT timer: one-shot, 0x40 */
	"	outb %al, $0xf2\n"		/* ready */
	"hl_loop:\n"
	"	cmpl %edi, %ebp\n"
	"	jne 1f\n"
	"	pushl %ecx\n"
	"	movl $0x4b564d05, %ecx\n"	/* MSR_KVM_POLL_CONTROL := 0 */
	"	xorl %eax, %eax\n"
	"	xorl %edx, %edx\n"
	"	wrmsr\n"
	"	popl %ecx\n"
	"1:	cmpl $0, 0xf04\n"		/* told to stop */
	"	jne hl_done\n"
	"	xorl %ebx, %ebx\n"
	"	movl 0xf00, %eax\n"
	"	movl %eax, 0xfee00380\n"	/* arm the timer */
	"2:	incl %ecx\n"
	"	sti\n"
	"	hlt\n"
	"	cli\n"
	"	testl %ebx, %ebx\n"
	"	jz 2b\n"			/* not the timer: halt again */
	"	incl %ebp\n"
	"	cmpl %esi, %ebp\n"
	"	jne hl_loop\n"
	"hl_done:\n"
	"	outb %al, $0xf1\n"
	"	jmp hl_done\n"
	"hl_timer:\n"
	"	movl $1, %ebx\n"
	"	movl $0, 0xfee000b0\n"		/* EOI */
	"	iret\n"
	"hl_spurious:\n"
	"	iret\n"
	"hl_exc:\n"
	"	outb %al, $0xf3\n"
	"	jmp hl_exc\n"
	"hl_end:\n"
	".code64\n"
	".popsection\n");

static struct {
	unsigned long nvcpus;
	unsigned long halts;
	unsigned long timer_us;
	unsigned long seconds;
	unsigned long opt_out;		/* 0: never */
	long cap_ns;			/* -1: no KVM_CAP_HALT_POLL */
	const char *wait_ready;
	const char *hold;
	const char *expect;
} opt = { .nvcpus = 1, .timer_us = 1000, .cap_ns = -1 };

/* KVM's per-vCPU statistics the expectations carry. */
static const char *const stat_names[] = {
	"halt_exits", "halt_attempted_poll", "halt_successful_poll",
	"halt_poll_success_ns", "halt_poll_fail_ns", "halt_wait_ns",
};
#define NR_STATS (sizeof(stat_names) / sizeof(*stat_names))

struct vcpu {
	pthread_t thread;
	int id;
	int fd;
	struct kvm_run *run;
	uint64_t wakeups;		/* the guest's EBP at the end */
	uint64_t hlts;			/* its ECX */
	uint64_t stats[NR_STATS];
};

static int kvm_fd, vm_fd;
static size_t run_size;
static uint8_t *ram;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "haltload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: haltload [-v VCPUS] (-n WAKEUPS | -s SECONDS) [-t US] [-o K]\n"
		"                [-c NS] [-W FILE] [-H FILE] [-e EXPECT.csv]\n"
		"  -v VCPUS   vCPUs, one thread each (1..%d, default 1)\n"
		"  -n N       timer wakeups per vCPU\n"
		"  -s SECS    run until SECS seconds have passed instead\n"
		"  -t US      timer period in microseconds (default 1000)\n"
		"  -o K       vCPU 0 switches host polling off after K wakeups\n"
		"  -c NS      set the VM's own maximum poll window first\n"
		"  -W FILE    after its first exit each vCPU waits for FILE\n"
		"  -H FILE    keep the VM until FILE exists after the run\n"
		"  -e FILE    write per-vCPU expectations (CSV)\n",
		MAX_VCPUS);
}

static unsigned long parse_num(const char *name, const char *s,
			       unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v < min || v > max)
		die("invalid %s `%s' (%lu..%lu)", name, s, min, max);
	return v;
}

static void parse_args(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "v:n:s:t:o:c:W:H:e:h")) != -1) {
		switch (c) {
		case 'v':
			opt.nvcpus = parse_num("-v", optarg, 1, MAX_VCPUS);
			break;
		case 'n':
			opt.halts = parse_num("-n", optarg, 1, 100000000);
			break;
		case 's':
			opt.seconds = parse_num("-s", optarg, 1, 3600);
			break;
		case 't':
			opt.timer_us = parse_num("-t", optarg, 1, 4000000);
			break;
		case 'o':
			opt.opt_out = parse_num("-o", optarg, 1, 100000000);
			break;
		case 'c':
			opt.cap_ns = parse_num("-c", optarg, 0, UINT32_MAX);
			break;
		case 'W':
			opt.wait_ready = optarg;
			break;
		case 'H':
			opt.hold = optarg;
			break;
		case 'e':
			opt.expect = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc || !opt.halts == !opt.seconds)
		die("give exactly one of -n and -s (see -h)");
	if (opt.opt_out && opt.halts && opt.opt_out >= opt.halts)
		die("-o must be less than -n");
}

static void wait_for(const char *path)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	while (access(path, F_OK))
		nanosleep(&tick, NULL);
}

static uint64_t gate(const char *handler, uint8_t type)
{
	uint64_t off = CODE_GPA + (uint64_t)(handler - hl_start);

	return (off & 0xffff) | (uint64_t)SEL_CODE << 16 |
	       (uint64_t)type << 40 | (off >> 16) << 48;
}

/* Flat 4 GiB segments, the IDT, the code, the timer count. */
static void setup_memory(void)
{
	uint64_t *gdt = (uint64_t *)(ram + GDT_GPA);
	uint64_t *idt = (uint64_t *)(ram + IDT_GPA);
	unsigned int v;

	gdt[0] = 0;
	gdt[1] = 0x00cf9a000000ffffULL;	/* code: base 0, 4 GiB, 32-bit */
	gdt[2] = 0x00cf92000000ffffULL;	/* data */
	for (v = 0; v < 256; v++)	/* 0x8e: present 32-bit interrupt gate */
		idt[v] = gate(v == TIMER_VECTOR ? hl_timer :
			      v == SPURIOUS_VECTOR ? hl_spurious : hl_exc, 0x8e);
	memcpy(ram + CODE_GPA, hl_start, hl_end - hl_start);
	*(uint32_t *)(ram + COUNT_GPA) = opt.timer_us * 1000;
	*(volatile uint32_t *)(ram + STOP_GPA) = 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

static void setup_vcpu(struct vcpu *v)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int n = 128;

	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU %d: %s", v->id, strerror(errno));
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	/* KVM's own CPUID, with KVM_FEATURE_POLL_CONTROL among the PV leaves */
	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("out of memory");
	cpuid->nent = n;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
		die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0)
		die("KVM_SET_CPUID2: %s", strerror(errno));
	free(cpuid);

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS: %s", strerror(errno));
	set_seg(&sregs.cs, SEL_CODE, 0xb);
	set_seg(&sregs.ds, SEL_DATA, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 8 - 1;
	sregs.cr0 = 0x11;		/* PE, ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS: %s", strerror(errno));

	/*
	 * With the in-kernel irqchip KVM starts every vCPU but the BSP waiting
	 * for INIT/SIPI: all of ours run at once.
	 */
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		die("KVM_SET_MP_STATE: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;
	regs.rsp = STACK_GPA + (v->id + 1) * STACK_SIZE;
	regs.rsi = opt.halts;
	regs.rdi = v->id == 0 && opt.opt_out ? opt.opt_out : 0xffffffffUL;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS: %s", strerror(errno));
}

/* KVM's binary statistics of the vCPU (KVM_GET_STATS_FD), by name. */
static void read_stats(struct vcpu *v)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsize;
	char *descs;
	unsigned int i, k;
	int fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);

	if (fd < 0)
		die("KVM_GET_STATS_FD: %s", strerror(errno));
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		die("reading the stats header: %s", strerror(errno));
	dsize = sizeof(*d) + h.name_size;
	descs = malloc(dsize * h.num_desc);
	if (!descs)
		die("out of memory");
	if (pread(fd, descs, dsize * h.num_desc, h.desc_offset) !=
	    (ssize_t)(dsize * h.num_desc))
		die("reading the stats descriptors: %s", strerror(errno));
	for (k = 0; k < NR_STATS; k++) {
		bool found = false;

		for (i = 0; i < h.num_desc && !found; i++) {
			d = (struct kvm_stats_desc *)(descs + i * dsize);
			if (strcmp(d->name, stat_names[k]))
				continue;
			if (pread(fd, &v->stats[k], sizeof(v->stats[k]),
				  h.data_offset + d->offset) != sizeof(v->stats[k]))
				die("reading %s: %s", stat_names[k], strerror(errno));
			found = true;
		}
		if (!found)
			die("KVM has no statistic %s", stat_names[k]);
	}
	free(descs);
	close(fd);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_regs regs;

	for (;;) {
		struct kvm_run *r = v->run;

		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("vCPU %d: KVM_RUN: %s", v->id, strerror(errno));
		}
		switch (r->exit_reason) {
		case KVM_EXIT_IO:
			if (r->io.port == READY_PORT) {
				if (opt.wait_ready)
					wait_for(opt.wait_ready);
				continue;
			}
			if (r->io.port == DONE_PORT)
				break;
			if (r->io.port == EXC_PORT) {
				if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
					die("vCPU %d: guest exception (eip %#llx)",
					    v->id, (unsigned long long)regs.rip);
				die("vCPU %d: guest exception", v->id);
			}
			die("vCPU %d: unexpected port %#x", v->id, r->io.port);
		case KVM_EXIT_INTR:
			continue;
		case KVM_EXIT_FAIL_ENTRY:
			die("vCPU %d: KVM_EXIT_FAIL_ENTRY %#llx", v->id,
			    (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		case KVM_EXIT_INTERNAL_ERROR:
			die("vCPU %d: KVM_EXIT_INTERNAL_ERROR suberror %u", v->id,
			    r->internal.suberror);
		default:
			die("vCPU %d: unexpected exit reason %u", v->id,
			    r->exit_reason);
		}
		break;
	}
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		die("vCPU %d: KVM_GET_REGS: %s", v->id, strerror(errno));
	v->wakeups = (uint32_t)regs.rbp;
	v->hlts = (uint32_t)regs.rcx;
	return NULL;
}

static void write_expect(const char *path, struct vcpu *vs)
{
	FILE *f = fopen(path, "w");
	unsigned long i, k;

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "vcpu_id,guest_hlt,wakeups,opt_out_after");
	for (k = 0; k < NR_STATS; k++)
		fprintf(f, ",%s", stat_names[k]);
	fprintf(f, "\n");
	for (i = 0; i < opt.nvcpus; i++) {
		fprintf(f, "%d,%llu,%llu,%lu", vs[i].id,
			(unsigned long long)vs[i].hlts,
			(unsigned long long)vs[i].wakeups,
			i == 0 ? opt.opt_out : 0);
		for (k = 0; k < NR_STATS; k++)
			fprintf(f, ",%llu", (unsigned long long)vs[i].stats[k]);
		fprintf(f, "\n");
	}
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region mem;
	struct vcpu *vs;
	struct timespec t0;
	unsigned long i;
	uint64_t hlts = 0, wakeups = 0;
	int ret;

	parse_args(argc, argv);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		die("open /dev/kvm: %s", strerror(errno));
	ret = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE: %d", ret);
	run_size = ret;
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (opt.cap_ns >= 0) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_HALT_POLL,
			.args = { (uint64_t)opt.cap_ns },
		};

		if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			die("KVM_ENABLE_CAP(KVM_CAP_HALT_POLL): %s", strerror(errno));
	}

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM: %s", strerror(errno));
	setup_memory();
	memset(&mem, 0, sizeof(mem));
	mem.memory_size = RAM_SIZE;
	mem.userspace_addr = (uintptr_t)ram;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	vs = calloc(opt.nvcpus, sizeof(*vs));
	if (!vs)
		die("out of memory");
	for (i = 0; i < opt.nvcpus; i++) {
		vs[i].id = i;
		setup_vcpu(&vs[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < opt.nvcpus; i++) {
		ret = pthread_create(&vs[i].thread, NULL, vcpu_thread, &vs[i]);
		if (ret)
			die("pthread_create: %s", strerror(ret));
	}
	if (opt.seconds) {
		struct timespec end = t0;

		end.tv_sec += opt.seconds;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end,
				       NULL) == EINTR)
			;
		__atomic_store_n((uint32_t *)(ram + STOP_GPA), 1,
				 __ATOMIC_SEQ_CST);
	}
	for (i = 0; i < opt.nvcpus; i++) {
		ret = pthread_join(vs[i].thread, NULL);
		if (ret)
			die("pthread_join: %s", strerror(ret));
	}
	if (opt.hold)
		wait_for(opt.hold);
	for (i = 0; i < opt.nvcpus; i++) {
		read_stats(&vs[i]);
		if (opt.halts && vs[i].wakeups != opt.halts)
			die("vCPU %lu: %llu wakeups, want %lu", i,
			    (unsigned long long)vs[i].wakeups, opt.halts);
		hlts += vs[i].hlts;
		wakeups += vs[i].wakeups;
	}
	if (opt.expect)
		write_expect(opt.expect, vs);
	for (i = 0; i < opt.nvcpus; i++) {
		munmap(vs[i].run, run_size);
		close(vs[i].fd);
	}
	close(vm_fd);
	close(kvm_fd);
	printf("haltload: pid=%d vcpus=%lu wakeups=%llu hlts=%llu ok\n",
	       (int)getpid(), opt.nvcpus, (unsigned long long)wakeups,
	       (unsigned long long)hlts);
	return 0;
}

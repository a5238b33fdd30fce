// SPDX-License-Identifier: GPL-2.0
/*
 * vmcycle - creates and destroys KVM VMs in a loop, for the stress test.
 *
 * Cycle i creates a VM (one 64 KiB RAM slot at GPA 0, no irqchip) with one
 * vCPU, which the main thread runs to its end: a real-mode loop of
 *
 *	CPUID(0); OUT PORT; MMIO byte write to 0x20000; RDMSR 0x10
 *
 * ITERS + i % 8 times (so that consecutive VMs count differently), then one
 * OUT to port 0xf1; then the VM is destroyed (every fd closed, kvm_run
 * unmapped).  One thread runs every VM's vCPU in turn, and KVM likely
 * reuses the memory of the VM and vCPU just destroyed: a module that kept a
 * stale mapping would count into an old VM's slot.
 *
 * With -c, each destroyed VM is then checked through /dev/cvmstat: the
 * newest VM of this process must have a vm_id greater than the previous
 * cycle's (never reused), be exited, have one vCPU, and count exactly what
 * the guest did: per exit reason, port, MMIO address and MSR (only host
 * interrupt exits may vary).  Without -c the device is not opened (for
 * running while something else resets the counters).
 *
 * -S FILE stops after the current cycle once FILE exists (cycles then
 * means "at most").  Prints one summary line; exit status 0 when every
 * cycle ran (and checked), 1 at the first failure (printed), 2 usage.
 *
 * Build: gcc -O2 -Wall -Wextra -static -I kmod/include/uapi -o vmcycle vmcycle.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <linux/cvmstat.h>

#define RAM_SIZE	0x10000UL
#define MMIO_GPA	0x20000UL
#define DONE_PORT	0xf1
#define MSR_INDEX	0x10

/*
 * Guest code, 16-bit real mode, entered at GPA 0 with ESI = port, EDI =
 * iterations (>= 1), ES base = MMIO_GPA.
 */
static const uint8_t guest_code[] = {
	/* 0x00 loop: */
	0x66, 0x31, 0xc0,			/* xor   eax, eax */
	0x0f, 0xa2,				/* cpuid */
	0x89, 0xf2,				/* mov   dx, si */
	0xee,					/* out   dx, al */
	0x26, 0xa2, 0x00, 0x00,			/* mov   es:[0x0000], al */
	0x66, 0xb9, MSR_INDEX, 0x00, 0x00, 0x00, /* mov   ecx, 0x10 */
	0x0f, 0x32,				/* rdmsr */
	0x66, 0x4f,				/* dec   edi */
	0x75, 0xe8,				/* jnz   loop (0x00) */
	/* 0x18 */
	0xba, DONE_PORT, 0x00,			/* mov   dx, 0xf1 */
	0xee,					/* out   dx, al */
	0xf4,					/* hlt (never reached) */
	0xeb, 0xfd,				/* jmp   $-1 */
};
_Static_assert(sizeof(guest_code) == 0x1f, "jump offsets in guest_code[]");

/* Exit reasons by ISA: what each guest instruction exits with. */
struct isa_reasons {
	uint32_t cpuid, io, msr, npf, npf2, intr;
};
static const struct isa_reasons svm_reasons = {
	.cpuid = 0x72, .io = 0x7b, .msr = 0x7c, .npf = 0x400, .npf2 = 0x400,
	.intr = 0x60,
};
/* VMX: EPT violation (first touch) and EPT misconfiguration (MMIO SPTE) */
static const struct isa_reasons vmx_reasons = {
	.cpuid = 10, .io = 30, .msr = 31, .npf = 48, .npf2 = 49, .intr = 1,
};

static struct {
	unsigned long cycles;
	unsigned long iters;
	unsigned long port;
	bool check;
	const char *stop;
} opt = { .cycles = 1000, .iters = 10, .port = 0x510 };

static int kvm, dev = -1;
static size_t run_size;
static void *ram;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "vmcycle: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmcycle [-n CYCLES] [-k ITERS] [-p PORT] [-c] [-S STOPFILE]\n"
		"Creates, runs and destroys CYCLES VMs of one vCPU each (default 1000);\n"
		"VM i loops ITERS + i %% 8 times (default ITERS 10) over CPUID, OUT PORT\n"
		"(default 0x510), an MMIO write to 0x20000 and RDMSR 0x10.\n"
		"  -c           check every VM's counters in /dev/cvmstat, exactly\n"
		"  -S STOPFILE  stop after the cycle during which STOPFILE appeared\n");
}

static unsigned long num(const char *name, const char *s, unsigned long min,
			 unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (s[0] < '0' || s[0] > '9' || errno || *end || v < min || v > max) {
		fprintf(stderr, "vmcycle: invalid %s '%s' (%lu..%lu)\n", name, s,
			min, max);
		exit(2);
	}
	return v;
}

/* What the guest of one cycle did, as the VMM saw it. */
struct seen {
	uint64_t out, done, mmio_w;
};

/* Runs one VM of @iters iterations to its end; returns what it saw. */
static struct seen run_vm(unsigned long iters)
{
	struct kvm_userspace_memory_region mem = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE,
		.userspace_addr = (uintptr_t)ram,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = 0, .rflags = 0x2, .rsi = opt.port, .rdi = iters,
	};
	struct seen s = { 0 };
	struct kvm_run *run;
	int vm, vcpu;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.es.base = MMIO_GPA;
	sregs.es.selector = MMIO_GPA >> 4;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		die("KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die("KVM_SET_REGS: %s", strerror(errno));

	while (!s.done) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN: %s", strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.direction != KVM_EXIT_IO_OUT ||
			    run->io.size != 1 || run->io.count != 1)
				die("unexpected port I/O at %#x", run->io.port);
			if (run->io.port == DONE_PORT)
				s.done++;
			else if (run->io.port == opt.port)
				s.out++;
			else
				die("OUT to unexpected port %#x", run->io.port);
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write || run->mmio.len != 1 ||
			    run->mmio.phys_addr != MMIO_GPA)
				die("unexpected MMIO at %#llx",
				    (unsigned long long)run->mmio.phys_addr);
			s.mmio_w++;
			break;
		case KVM_EXIT_INTR:
			break;
		default:
			die("unexpected exit reason %u", run->exit_reason);
		}
	}
	if (s.out != iters || s.mmio_w != iters)
		die("the guest did %llu OUTs and %llu MMIO writes, want %lu",
		    (unsigned long long)s.out, (unsigned long long)s.mmio_w,
		    iters);
	if (munmap(run, run_size) || close(vcpu) || close(vm))
		die("destroying the VM: %s", strerror(errno));
	return s;
}

static void cvm_ioctl(unsigned long cmd, void *arg, const char *what)
{
	if (ioctl(dev, cmd, arg))
		die("%s: %s", what, strerror(errno));
}

/* The newest VM of this process, or 0. */
static struct cvmstat_vm_info newest_vm(void)
{
	static struct cvmstat_vm_info *vms;
	static uint32_t cap;
	struct cvmstat_vm_info none = { 0 };
	struct cvmstat_vm_list l;
	uint32_t i;

	for (;;) {
		memset(&l, 0, sizeof(l));
		l.size = sizeof(l);
		l.nr = cap;
		l.vms = (uintptr_t)vms;
		cvm_ioctl(CVMSTAT_IOC_LIST_VMS, &l, "CVMSTAT_IOC_LIST_VMS");
		if (l.total <= cap)
			break;
		cap = l.total + 8;
		vms = realloc(vms, cap * sizeof(*vms));
		if (!vms)
			die("out of memory");
	}
	for (i = l.nr; i-- > 0;)
		if (vms[i].pid == getpid())
			return vms[i];
	return none;
}

/* Checks the VM of cycle @i against what its guest did; returns its vm_id. */
static uint64_t check_vm(unsigned long i, unsigned long iters, uint64_t prev_id,
			 const struct isa_reasons *isa, uint32_t isa_nr)
{
	struct cvmstat_vm_info vm = newest_vm();
	struct cvmstat_record recs[32];
	struct cvmstat_read r;
	/* reason counts: the code page's fault + one per MMIO write */
	uint64_t cpuid = 0, io = 0, msr = 0, npf = 0, other = 0, sum = 0;
	uint64_t total = UINT64_MAX, pio = 0, pio_done = 0, mmio = 0, msr_r = 0;
	uint32_t k;

	if (!vm.vm_id)
		die("cycle %lu: no VM of pid %d listed", i, (int)getpid());
	if (vm.vm_id <= prev_id)
		die("cycle %lu: vm_id %llu after %llu: reused or out of order", i,
		    (unsigned long long)vm.vm_id, (unsigned long long)prev_id);
	if ((vm.flags & CVMSTAT_VM_ALIVE) || !vm.exit_ns || vm.nr_vcpus != 1)
		die("cycle %lu: VM %llu: flags %#x exit_ns %llu nr_vcpus %u, want exited, 1 vCPU",
		    i, (unsigned long long)vm.vm_id, vm.flags,
		    (unsigned long long)vm.exit_ns, vm.nr_vcpus);
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.vm_id = vm.vm_id;
	r.nr = sizeof(recs) / sizeof(recs[0]);
	r.records = (uintptr_t)recs;
	cvm_ioctl(CVMSTAT_IOC_READ_VM, &r, "CVMSTAT_IOC_READ_VM");
	if (r.nr_vcpus != 1)
		die("cycle %lu: VM %llu read with %u vCPUs", i,
		    (unsigned long long)vm.vm_id, r.nr_vcpus);
	for (k = 0; k < r.nr; k++) {
		const struct cvmstat_record *c = &recs[k];
		uint32_t reason = (uint32_t)c->key;

		if (c->vcpu_id != 0)
			die("cycle %lu: record of vCPU %u", i, c->vcpu_id);
		switch (c->kind) {
		case CVMSTAT_KIND_VCPU:
			total = c->count;
			break;
		case CVMSTAT_KIND_REASON:
			if (c->key >> 32 != isa_nr)
				die("cycle %lu: reason key %#llx of another ISA", i,
				    (unsigned long long)c->key);
			sum += c->count;
			if (reason == isa->cpuid)
				cpuid += c->count;
			else if (reason == isa->io)
				io += c->count;
			else if (reason == isa->msr)
				msr += c->count;
			else if (reason == isa->npf || reason == isa->npf2)
				npf += c->count;
			else if (reason != isa->intr)
				other += c->count;
			break;
		case CVMSTAT_KIND_PIO:
			if (c->dir == CVMSTAT_DIR_WRITE && c->key == opt.port)
				pio += c->count;
			else if (c->dir == CVMSTAT_DIR_WRITE && c->key == DONE_PORT)
				pio_done += c->count;
			else
				other += c->count;
			break;
		case CVMSTAT_KIND_MMIO:
			if (c->dir == CVMSTAT_DIR_WRITE && c->key == MMIO_GPA)
				mmio += c->count;
			else
				other += c->count;
			break;
		case CVMSTAT_KIND_MSR:
			if (c->dir == CVMSTAT_DIR_READ && c->key == MSR_INDEX)
				msr_r += c->count;
			else
				other += c->count;
			break;
		default:
			other += c->count;
		}
	}
	if (cpuid != iters || io != iters + 1 || msr != iters ||
	    npf != iters + 1 || pio != iters || pio_done != 1 ||
	    mmio != iters || msr_r != iters || other || total != sum)
		die("cycle %lu: VM %llu counted cpuid %llu io %llu msr %llu npf %llu pio %llu+%llu mmio %llu rdmsr %llu other %llu total %llu (sum %llu); want %lu iterations",
		    i, (unsigned long long)vm.vm_id, (unsigned long long)cpuid,
		    (unsigned long long)io, (unsigned long long)msr,
		    (unsigned long long)npf, (unsigned long long)pio,
		    (unsigned long long)pio_done, (unsigned long long)mmio,
		    (unsigned long long)msr_r, (unsigned long long)other,
		    (unsigned long long)total, (unsigned long long)sum, iters);
	return vm.vm_id;
}

int main(int argc, char **argv)
{
	const struct isa_reasons *isa = NULL;
	struct cvmstat_version v;
	struct timespec t0, t1;
	uint64_t first_id = 0, id = 0;
	unsigned long i;
	int c, ret;

	while ((c = getopt(argc, argv, "n:k:p:cS:h")) != -1) {
		switch (c) {
		case 'n':
			opt.cycles = num("CYCLES", optarg, 1, 100000000);
			break;
		case 'k':
			opt.iters = num("ITERS", optarg, 1, 1000000);
			break;
		case 'p':
			opt.port = num("PORT", optarg, 0, 0xffff);
			if (opt.port == DONE_PORT) {
				fprintf(stderr, "vmcycle: PORT is the done port\n");
				exit(2);
			}
			break;
		case 'c':
			opt.check = true;
			break;
		case 'S':
			opt.stop = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("open /dev/kvm: %s", strerror(errno));
	ret = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE: %d", ret);
	run_size = ret;
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	/* see cvmload.c: no huge page, so no fault but the first */
	if (madvise(ram, RAM_SIZE, MADV_NOHUGEPAGE) < 0 && errno != EINVAL)
		die("madvise: %s", strerror(errno));
	memcpy(ram, guest_code, sizeof(guest_code));

	if (opt.check) {
		dev = open("/dev/cvmstat", O_RDONLY | O_CLOEXEC);
		if (dev < 0)
			die("open /dev/cvmstat: %s", strerror(errno));
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < opt.cycles; i++) {
		unsigned long iters = opt.iters + i % 8;

		run_vm(iters);
		if (opt.check) {
			if (!isa) {
				memset(&v, 0, sizeof(v));
				v.size = sizeof(v);
				cvm_ioctl(CVMSTAT_IOC_VERSION, &v, "CVMSTAT_IOC_VERSION");
				if (v.isa == CVMSTAT_ISA_SVM)
					isa = &svm_reasons;
				else if (v.isa == CVMSTAT_ISA_VMX)
					isa = &vmx_reasons;
				else
					die("cvmstat reports ISA %u", v.isa);
			}
			id = check_vm(i, iters, id, isa, v.isa);
			if (!first_id)
				first_id = id;
		}
		if (opt.stop && access(opt.stop, F_OK) == 0) {
			i++;
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("vmcycle: cycles=%lu checked=%lu first_vm=%llu last_vm=%llu elapsed_ms=%lld ok\n",
	       i, opt.check ? i : 0, (unsigned long long)first_id,
	       (unsigned long long)id,
	       (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000);
	return 0;
}

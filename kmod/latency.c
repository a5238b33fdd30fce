// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-handling time: from a vCPU's kvm_exit to its next kvm_entry, per
 * vCPU, exit reason, and whether the exit left to userspace on the way.
 *
 * Off by default, and then nothing here runs: kvm_exit keeps its counting
 * probe (probes.c) exactly as it is.  Switching on (module parameter
 * latency, CVMSTAT_IOC_LATENCY) allocates one struct cvm_lat per vCPU slot
 * in process context, hands them to the slots, binds two more probes
 * (tpbind.c), one on kvm_entry that closes the pair and one on
 * kvm_userspace_exit that marks the pending exit as gone to userspace, and
 * last patches the static branch cvm_timing in the counting kvm_exit probe
 * (probes.c) into a jump to the few instructions that stamp the exit: a
 * second probe on kvm_exit would turn the tracepoint's direct call into the
 * iteration over its probes, and look the slot and the reason up again.
 * Switching off patches the branch back to a no-op, unbinds the probes,
 * takes the blocks from the slots, waits for every probe (also the counting
 * ones, which clear blocks on a reset) and frees them.  Counting goes on
 * throughout.
 *
 * Clock: the TSC, read with rdtsc and turned into ns with the kernel's own
 * tsc_khz: one instruction where ktime_get_ns() takes a sequence count, a
 * clocksource call and a conversion (tens of instructions per read, two
 * reads per exit), and, unlike local_clock() on a machine whose sched_clock
 * is unstable, one clock for all CPUs while the kernel trusts the TSC to be
 * synchronised between them.  A pair whose entry runs on another CPU than
 * its exit is recorded only while the kernel has not marked the TSC
 * unstable (check_tsc_unstable(), asked on that path only); else it is
 * counted as CVMSTAT_LAT_LOST_CROSS_CPU.  A negative or hour-long pair is
 * counted as CVMSTAT_LAT_LOST_ABSURD.
 */
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/tracepoint.h>
#include <linux/vmalloc.h>
#include <asm/tsc.h>
#include "cvmstat.h"
#include "compat/compat.h"

static DEFINE_MUTEX(lat_mutex);
static struct cvm_lat *lat_pool;	/* under lat_mutex; probes: s->lat */
static bool lat_param;			/* the module parameter's value */
static bool lat_ready;			/* module init done */
static u64 lat_mult;			/* ns = TSC cycles * lat_mult >> 32 */
static struct cvm_lat_entry copy_tmp;	/* readers', under lat_mutex */

DEFINE_STATIC_KEY_FALSE(cvm_timing);

static bool cvm_clock_synced(void)
{
	return !check_tsc_unstable();
}

/* The pending exit was stamped on another CPU; the entry came at @t. */
static cvm_slow_path void entry_moved(struct cvm_lat *l, u64 t)
{
	cvm_lat_entry_moved(l, t, READ_ONCE(lat_mult), cvm_clock_synced());
}

static cvm_slow_path void entry_slow(struct kvm_vcpu *vcpu)
{
	u64 t = cvm_clock();
	struct cvm_vcpu *s = cvm_lookup_entry_slow(vcpu);
	struct cvm_lat *l = s ? READ_ONCE(s->lat) : NULL;

	if (l && !cvm_lat_entry(l, t, raw_smp_processor_id(),
				READ_ONCE(lat_mult)))
		entry_moved(l, t);
}

/*
 * kvm_entry while timing is on: this CPU's cached slot (the kvm_exit probe
 * just used it), a subtraction, a multiplication and one histogram
 * increment; everything else is out of line.
 */
static __always_inline void entry_time(struct kvm_vcpu *vcpu)
{
	struct cvm_vcpu *s = this_cpu_read(cvm_cache.slot);
	struct cvm_lat *l;
	u64 t;

	if (unlikely(READ_ONCE(s->vcpu) != vcpu)) {
		entry_slow(vcpu);
		return;
	}
	l = READ_ONCE(s->lat);
	if (unlikely(!l))
		return;
	t = cvm_clock();
	if (unlikely(!cvm_lat_entry(l, t, raw_smp_processor_id(),
				    READ_ONCE(lat_mult))))
		entry_moved(l, t);
}

#ifdef CVMSTAT_HAVE_KVM_ENTRY_2ARG
static notrace void probe_kvm_entry_time(void *data, struct kvm_vcpu *vcpu,
					 bool force_immediate_exit)
{
	entry_time(vcpu);
}
#else
static notrace void probe_kvm_entry_time(void *data, struct kvm_vcpu *vcpu)
{
	entry_time(vcpu);
}
#endif

/*
 * KVM_RUN returns to the VMM: every pending exit of a vCPU this thread ran
 * went to userspace.  Fires after KVM put the vCPU (preemptible on new
 * kernels), so the vCPU is found by thread: this CPU's cached slot if it is
 * ours, else the slots are searched (a thread moved between its exit and
 * here).  Only the owner thread writes a block, as everywhere.
 */
static cvm_slow_path void userspace_exit_slow(void)
{
	unsigned int i;

	for (i = 0; i < cvm_max_vcpus; i++) {
		struct cvm_lat *l = READ_ONCE(cvm_slot_by_index(i)->lat);

		if (l && cvm_lat_pending(l) && READ_ONCE(l->task) == current)
			l->key |= CVM_LAT_USER_BIT;
	}
}

static notrace void probe_kvm_userspace_exit_time(void *data, __u32 reason,
						  int err)
{
	struct cvm_lat *l = READ_ONCE(this_cpu_read(cvm_cache.slot)->lat);

	if (likely(l && READ_ONCE(l->task) == current && cvm_lat_pending(l))) {
		l->key |= CVM_LAT_USER_BIT;
		return;
	}
	userspace_exit_slow();
}

const struct cvm_probe cvm_timing_table[CVM_TIMING_NR] = {
	{ "kvm_entry", probe_kvm_entry_time, true, NULL },
	{ "kvm_userspace_exit", probe_kvm_userspace_exit_time,
	  CVMSTAT_KNOWN_KVM_USERSPACE_EXIT, NULL },
};

static size_t pool_bytes(void)
{
	return (size_t)cvm_max_vcpus * sizeof(struct cvm_lat);
}

static int set_locked(bool on)
{
	struct cvm_lat *pool;
	unsigned int i;

	if (on == !!lat_pool)
		return 0;
	if (on) {
		/* the fast path's bound on a pair (CVM_LAT_MIN_KHZ) */
		if (tsc_khz < CVM_LAT_MIN_KHZ)
			return -EOPNOTSUPP;
		pool = vmalloc(pool_bytes());
		if (!pool)
			return -ENOMEM;
		for (i = 0; i < cvm_max_vcpus; i++)
			cvm_lat_clear(&pool[i]);
		WRITE_ONCE(lat_mult, cvm_lat_mult(tsc_khz));
		lat_pool = pool;
		cvm_registry_set_lat(pool);
		cvm_tpbind_timing(true);
		static_branch_enable(&cvm_timing);
		return 0;
	}
	static_branch_disable(&cvm_timing);
	cvm_tpbind_timing(false);
	cvm_registry_set_lat(NULL);
	/* No probe (timing, or counting ones clearing on reset) uses it now. */
	tracepoint_synchronize_unregister();
	vfree(lat_pool);
	lat_pool = NULL;
	return 0;
}

int cvm_latency_set(bool on)
{
	int ret;

	mutex_lock(&lat_mutex);
	lat_param = on;
	ret = lat_ready ? set_locked(on) : 0;
	if (ret)
		lat_param = false;
	mutex_unlock(&lat_mutex);
	return ret;
}

bool cvm_latency_on(u64 *bytes)
{
	bool on;

	mutex_lock(&lat_mutex);
	on = lat_pool;
	*bytes = on ? pool_bytes() : 0;
	mutex_unlock(&lat_mutex);
	return on;
}

void cvm_latency_lock(void)
{
	mutex_lock(&lat_mutex);
}

void cvm_latency_unlock(void)
{
	mutex_unlock(&lat_mutex);
}

/*
 * @s's times as records, with lat_mutex held (the block stays).  Each entry
 * is copied consistently; -EAGAIN if one kept changing.  0 records while
 * off.
 */
int cvm_latency_records(struct cvm_vcpu *s, struct cvm_lat *scratch,
			struct cvmstat_record *out)
{
	struct cvm_lat *l = READ_ONCE(s->lat);

	if (!l)
		return 0;
	if (!cvm_lat_copy(l, scratch, &copy_tmp, 64))
		return -EAGAIN;
	return cvm_lat_emit(scratch, s->vcpu_id, s->isa, out);
}

static int param_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	return ret ? ret : cvm_latency_set(on);
}

static int param_get(char *buf, const struct kernel_param *kp)
{
	u64 bytes;

	return sysfs_emit(buf, "%c\n", cvm_latency_on(&bytes) ? 'Y' : 'N');
}

static const struct kernel_param_ops param_ops = {
	.set = param_set,
	.get = param_get,
};
module_param_cb(latency, &param_ops, NULL, 0644);
MODULE_PARM_DESC(latency, "Time exit handling, kvm_exit to kvm_entry (default N; switchable at run time)");

/* After the registry and the binding are up: apply latency=1 given at load. */
int cvm_latency_init(void)
{
	int ret;

	mutex_lock(&lat_mutex);
	lat_ready = true;
	ret = set_locked(lat_param);
	mutex_unlock(&lat_mutex);
	return ret;
}

/* After every probe is unbound (cvm_tpbind_exit()). */
void cvm_latency_exit(void)
{
	mutex_lock(&lat_mutex);
	static_branch_disable(&cvm_timing);
	cvm_registry_set_lat(NULL);
	vfree(lat_pool);
	lat_pool = NULL;
	lat_ready = false;
	mutex_unlock(&lat_mutex);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/cvmstat: the ioctls of include/uapi/linux/cvmstat.h.  Every command
 * validates its whole input (size, flags, padding, reserved words) before
 * doing anything, and returns the errno the header documents.
 */
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mm.h>
#include "cvmstat.h"
#include "compat/compat.h"

/* Serialises ioctls: a reset never meets a read in progress. */
static DEFINE_MUTEX(cvm_ioctl_mutex);

/* Per open file: the newest mark it has listed (for poll()), its opt-in. */
struct cvm_file {
	u64 listed;
	pid_t guest_marks;	/* 0, a VMM pid, or CVM_GM_ALL */
};

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static long ioc_version(void __user *arg)
{
	struct cvm_registry_stats st;
	struct cvmstat_version v;

	if (copy_from_user(&v, arg, sizeof(v)))
		return -EFAULT;
	if (v.size != sizeof(v) || v.abi_major || v.abi_minor || v.features ||
	    v.probes_known || v.probes_bound || v.max_vms || v.max_vcpus ||
	    v.nr_vms || v.isa || v.untracked_vms || v.untracked_vcpus ||
	    v.unattributed || v.lifetime_missed || v.vcpu_bytes ||
	    !all_zero(v.reserved, sizeof(v.reserved)))
		return -EINVAL;

	v.abi_major = CVMSTAT_ABI_MAJOR;
	v.abi_minor = CVMSTAT_ABI_MINOR;
	v.features = CVMSTAT_FEAT_EXIT_REASON | CVMSTAT_FEAT_VM_TYPE_IF |
		     CVMSTAT_FEAT_KVM_ENTRY_IF | CVMSTAT_FEAT_PHASES |
		     CVMSTAT_FEAT_GUEST_MARKS_OPTIN | CVMSTAT_FEAT_HALTPOLL_IF |
		     CVMSTAT_FEAT_LATENCY;
	if (cvm_lifetime_ok())
		v.features |= CVMSTAT_FEAT_VM_LIFETIME;
	if (cvm_hp_vm_ok())
		v.features |= CVMSTAT_FEAT_HALTPOLL_VM;
	if (cvm_host_isa == CVMSTAT_ISA_SVM && !READ_ONCE(cvm_svm_fast_broken))
		v.features |= CVMSTAT_FEAT_SVM_FAST_REASON;
	v.probes_known = cvm_probes_known();
	v.probes_bound = cvm_probes_bound();
	v.max_vms = cvm_max_vms;
	v.max_vcpus = cvm_max_vcpus;
	v.isa = READ_ONCE(cvm_host_isa);
	cvm_registry_stats(&st);
	v.nr_vms = st.nr_vms;
	v.untracked_vms = st.untracked_vms;
	v.untracked_vcpus = st.untracked_vcpus;
	v.unattributed = st.unattributed;
	v.lifetime_missed = st.lifetime_missed;
	v.vcpu_bytes = sizeof(struct cvm_vcpu);
	return copy_to_user(arg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long ioc_list_vms(void __user *arg)
{
	struct cvmstat_vm_list l;
	struct cvmstat_vm_info *infos;
	u32 cap;
	long ret = 0;
	int n;

	if (copy_from_user(&l, arg, sizeof(l)))
		return -EFAULT;
	if (l.size != sizeof(l) || l.pad || l.total ||
	    !all_zero(l.reserved, sizeof(l.reserved)))
		return -EINVAL;

	cap = min(l.nr, cvm_max_vms);
	infos = kvcalloc(max(cap, 1U), sizeof(*infos), GFP_KERNEL);
	if (!infos)
		return -ENOMEM;
	n = cvm_list_vms(infos, cap, &l.total);
	if (n && copy_to_user(u64_to_user_ptr(l.vms), infos,
			      n * sizeof(*infos)))
		ret = -EFAULT;
	l.nr = n;
	if (!ret && copy_to_user(arg, &l, sizeof(l)))
		ret = -EFAULT;
	kvfree(infos);
	return ret;
}

/* Snapshot every vCPU of @vm into the user's record array. */
static long read_vm(struct cvm_vm *vm, struct cvmstat_read *r)
{
	struct cvmstat_record __user *dst = u64_to_user_ptr(r->records);
	struct cvmstat_record *recs, *lrecs = NULL;
	struct cvm_counts *counts, *scratch;
	struct cvm_lat *lscratch = NULL;
	bool lat = r->flags & CVMSTAT_READ_LATENCY;
	struct cvm_vcpu **vcpus;
	u32 total = 0, i, n;
	int nr_vcpus;
	long ret = 0;

	vcpus = kvcalloc(cvm_max_vcpus, sizeof(*vcpus), GFP_KERNEL);
	counts = kvmalloc(sizeof(*counts), GFP_KERNEL);
	scratch = kvmalloc(sizeof(*scratch), GFP_KERNEL);
	recs = kvmalloc_array(cvm_max_records() + cvm_hp_max_records(),
			      sizeof(*recs), GFP_KERNEL);
	if (lat) {
		lrecs = kvmalloc_array(CVM_LAT_MAX_RECORDS, sizeof(*lrecs),
				       GFP_KERNEL);
		lscratch = kvmalloc(sizeof(*lscratch), GFP_KERNEL);
	}
	if (!vcpus || !counts || !scratch || !recs ||
	    (lat && (!lrecs || !lscratch))) {
		ret = -ENOMEM;
		goto out;
	}
	if (lat)
		cvm_latency_lock();
	r->snap_ns = ktime_get_ns();
	nr_vcpus = cvm_vm_vcpus(vm, vcpus, cvm_max_vcpus);
	for (i = 0; i < nr_vcpus; i++) {
		ret = cvm_snapshot(vcpus[i], counts, scratch);
		if (ret)
			goto out_unlock;
		if ((r->flags & CVMSTAT_READ_AT_PHASE) &&
		    !cvm_boundary_copy(vcpus[i], r->phase, counts)) {
			ret = -ESTALE;
			goto out_unlock;
		}
		n = cvm_emit(counts, vcpus[i]->vcpu_id, vcpus[i]->vcpu_idx, recs);
		if (r->flags & CVMSTAT_READ_HALTPOLL)
			n += cvm_hp_emit(&counts->hp, vcpus[i]->vcpu_id,
					 r->flags & CVMSTAT_READ_HALTPOLL_STATE,
					 recs + n);
		if (total + n <= r->nr &&
		    copy_to_user(dst + total, recs, n * sizeof(*recs))) {
			ret = -EFAULT;
			goto out_unlock;
		}
		total += n;
		if (lat) {
			ret = cvm_latency_records(vcpus[i], lscratch, lrecs);
			if (ret < 0)
				goto out_unlock;
			n = ret;
			ret = 0;
			if (total + n <= r->nr &&
			    copy_to_user(dst + total, lrecs,
					 n * sizeof(*lrecs))) {
				ret = -EFAULT;
				goto out_unlock;
			}
			total += n;
		}
		cond_resched();
	}
	r->nr_vcpus = nr_vcpus;
	if (total > r->nr)
		ret = -ENOSPC;
	r->nr = total;
out_unlock:
	if (lat)
		cvm_latency_unlock();
out:
	kvfree(lscratch);
	kvfree(lrecs);
	kvfree(recs);
	kvfree(scratch);
	kvfree(counts);
	kvfree(vcpus);
	return ret;
}

static long ioc_read_vm(void __user *arg)
{
	const u32 read_flags = CVMSTAT_READ_AT_PHASE | CVMSTAT_READ_LATENCY |
		(CVMSTAT_FEAT_HALTPOLL_IF ? CVMSTAT_READ_HALTPOLL |
					    CVMSTAT_READ_HALTPOLL_STATE : 0);
	struct cvmstat_read r;
	struct cvm_vm *vm;
	long ret;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.size != sizeof(r) || (r.flags & ~read_flags) ||
	    r.nr_vcpus || r.snap_ns || !all_zero(r.reserved, sizeof(r.reserved)))
		return -EINVAL;
	/* the halt-poll state comes with the halt-poll counters only */
	if ((r.flags & CVMSTAT_READ_HALTPOLL_STATE) &&
	    !(r.flags & CVMSTAT_READ_HALTPOLL))
		return -EINVAL;
	/* times are kept for now only, not at phase marks */
	if ((r.flags & CVMSTAT_READ_AT_PHASE) &&
	    (r.flags & CVMSTAT_READ_LATENCY))
		return -EINVAL;
	if ((r.flags & CVMSTAT_READ_AT_PHASE) ?
	    !r.phase || r.phase > READ_ONCE(cvm_phase_seq) : r.phase)
		return -EINVAL;

	vm = cvm_vm_pin(r.vm_id);
	if (!vm)
		return -ENOENT;
	ret = read_vm(vm, &r);
	cvm_vm_unpin(vm);
	if ((!ret || ret == -ENOSPC) && copy_to_user(arg, &r, sizeof(r)))
		ret = -EFAULT;
	return ret;
}

static long ioc_reset(void __user *arg)
{
	struct cvmstat_reset r;
	bool all;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (r.size != sizeof(r) || (r.flags & ~CVMSTAT_RESET_ALL) ||
	    !all_zero(r.reserved, sizeof(r.reserved)))
		return -EINVAL;
	all = r.flags & CVMSTAT_RESET_ALL;
	if (all && r.vm_id)
		return -EINVAL;
	return cvm_reset(r.vm_id, all);
}

static long ioc_phase_mark(void __user *arg)
{
	struct cvmstat_phase_mark m;

	if (copy_from_user(&m, arg, sizeof(m)))
		return -EFAULT;
	if (m.size != sizeof(m) || m.flags || m.seq || !m.name[0] ||
	    !memchr(m.name, 0, sizeof(m.name)) ||
	    !all_zero(m.reserved, sizeof(m.reserved)))
		return -EINVAL;
	m.seq = cvm_phase_mark_host(m.name);
	return copy_to_user(arg, &m, sizeof(m)) ? -EFAULT : 0;
}

static long ioc_phase_list(struct cvm_file *f, void __user *arg)
{
	struct cvmstat_phase_list l;
	struct cvmstat_phase *marks;
	long ret;
	u32 n;

	if (copy_from_user(&l, arg, sizeof(l)))
		return -EFAULT;
	if (l.size != sizeof(l) || l.pad || l.last || l.lost ||
	    !all_zero(l.reserved, sizeof(l.reserved)))
		return -EINVAL;
	ret = cvm_boundaries_enable();
	if (ret)
		return ret;
	marks = kcalloc(CVMSTAT_PHASE_RING, sizeof(*marks), GFP_KERNEL);
	if (!marks)
		return -ENOMEM;
	n = cvm_phase_list(l.after, marks, min_t(u32, l.nr, CVMSTAT_PHASE_RING),
			   &l.last, &l.lost);
	if (n && copy_to_user(u64_to_user_ptr(l.marks), marks,
			      n * sizeof(*marks)))
		ret = -EFAULT;
	l.nr = n;
	if (!ret && copy_to_user(arg, &l, sizeof(l)))
		ret = -EFAULT;
	if (!ret && n)
		f->listed = max(f->listed, marks[n - 1].seq);
	kfree(marks);
	return ret;
}

static long ioc_guest_marks(struct cvm_file *f, void __user *arg)
{
	struct cvmstat_guest_marks g;
	pid_t sel;
	long ret;

	if (copy_from_user(&g, arg, sizeof(g)))
		return -EFAULT;
	if (g.size != sizeof(g) || (g.flags & ~CVMSTAT_GUEST_MARKS_ALL) ||
	    g.pid < 0 || g.pad || !all_zero(g.reserved, sizeof(g.reserved)) ||
	    ((g.flags & CVMSTAT_GUEST_MARKS_ALL) && g.pid))
		return -EINVAL;
	sel = (g.flags & CVMSTAT_GUEST_MARKS_ALL) ? CVM_GM_ALL : g.pid;
	ret = cvm_guest_marks_select(f->guest_marks, sel);
	if (!ret)
		f->guest_marks = sel;
	return ret;
}

static long may_write(struct file *file);

/* Query, or switch exit-handling time on or off (that needs may_write). */
static long ioc_latency(struct file *file, void __user *arg)
{
	struct cvmstat_latency l;
	long ret;

	if (copy_from_user(&l, arg, sizeof(l)))
		return -EFAULT;
	if (l.size != sizeof(l) || (l.flags & ~CVMSTAT_LATENCY_SET) ||
	    l.pad || l.bytes || !all_zero(l.reserved, sizeof(l.reserved)) ||
	    l.on > 1 || (!(l.flags & CVMSTAT_LATENCY_SET) && l.on))
		return -EINVAL;
	if (l.flags & CVMSTAT_LATENCY_SET) {
		ret = may_write(file);
		if (!ret)
			ret = cvm_latency_set(l.on);
		if (ret)
			return ret;
	}
	l.on = cvm_latency_on(&l.bytes);
	return copy_to_user(arg, &l, sizeof(l)) ? -EFAULT : 0;
}

/*
 * Commands that change state: a file opened for writing, and the
 * capability, not only the device's mode (which an admin may open to a
 * group of readers).
 */
static long may_write(struct file *file)
{
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return 0;
}

static long cvm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	long ret;

	BUILD_BUG_ON(sizeof(struct cvmstat_version) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_vm_info) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_vm_list) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_record) != 24);
	BUILD_BUG_ON(sizeof(struct cvmstat_read) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_reset) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_phase) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_phase_mark) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_phase_list) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_guest_marks) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_latency) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_hp_vm) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_hp_set) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_hp_event) % 8);
	BUILD_BUG_ON(sizeof(struct cvmstat_hp_events) % 8);

	switch (cmd) {
	case CVMSTAT_IOC_RESET:
	case CVMSTAT_IOC_PHASE_MARK:
	case CVMSTAT_IOC_GUEST_MARKS:
	case CVMSTAT_IOC_HP_SET:
		ret = may_write(file);
		if (ret)
			return ret;
	}
	/* Killable: a reader stuck on a faulting user page blocks no one forever. */
	if (mutex_lock_killable(&cvm_ioctl_mutex))
		return -EINTR;
	switch (cmd) {
	case CVMSTAT_IOC_VERSION:
		ret = ioc_version(uarg);
		break;
	case CVMSTAT_IOC_LIST_VMS:
		ret = ioc_list_vms(uarg);
		break;
	case CVMSTAT_IOC_READ_VM:
		ret = ioc_read_vm(uarg);
		break;
	case CVMSTAT_IOC_RESET:
		ret = ioc_reset(uarg);
		break;
	case CVMSTAT_IOC_PHASE_MARK:
		ret = ioc_phase_mark(uarg);
		break;
	case CVMSTAT_IOC_PHASE_LIST:
		ret = ioc_phase_list(file->private_data, uarg);
		break;
	case CVMSTAT_IOC_GUEST_MARKS:
		ret = ioc_guest_marks(file->private_data, uarg);
		break;
	case CVMSTAT_IOC_HP_VM:
		ret = cvm_hp_ioc_vm(uarg);
		break;
	case CVMSTAT_IOC_HP_SET:
		ret = cvm_hp_ioc_set(uarg);
		break;
	case CVMSTAT_IOC_HP_EVENTS:
		ret = cvm_hp_ioc_events(uarg);
		break;
	case CVMSTAT_IOC_LATENCY:
		ret = ioc_latency(file, uarg);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&cvm_ioctl_mutex);
	return ret;
}

static int cvm_open(struct inode *inode, struct file *file)
{
	struct cvm_file *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return 0;
}

static int cvm_release(struct inode *inode, struct file *file)
{
	struct cvm_file *f = file->private_data;

	if (f->guest_marks)
		cvm_guest_marks_select(f->guest_marks, 0);
	kfree(f);
	return 0;
}

/* POLLIN: marks this file has not listed yet. */
static __poll_t cvm_poll(struct file *file, poll_table *wait)
{
	struct cvm_file *f = file->private_data;

	cvm_phase_poll_wait(file, wait);
	return READ_ONCE(cvm_phase_seq) > READ_ONCE(f->listed) ?
	       EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations cvm_fops = {
	.owner = THIS_MODULE,
	.open = cvm_open,
	.release = cvm_release,
	.poll = cvm_poll,
	.unlocked_ioctl = cvm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice cvm_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "cvmstat",
	.fops = &cvm_fops,
	.mode = 0600,
};

int cvm_chardev_init(void)
{
	return misc_register(&cvm_misc);
}

void cvm_chardev_exit(void)
{
	misc_deregister(&cvm_misc);
}

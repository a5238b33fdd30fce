// SPDX-License-Identifier: GPL-2.0
/*
 * The debug kernel's checkers, each made to report once, so that the
 * debug tier knows they are alive (tests/debug-kernel/selftest.sh): a
 * checker that stays silent here would let every bug of its kind through.
 * Loading this module does, in this order (lockdep switches itself off
 * after its first report, and RCU's check goes with it, so those two
 * come late and early; KASAN's report comes last):
 *   RCU      rcu_dereference() outside a read-side critical section
 *   preempt  smp_processor_id() in preemptible code
 *   sleep    might_sleep() with preemption off
 *   leak     a 32-byte allocation whose address is dropped
 *   lockdep  two mutexes taken in both orders
 *   KASAN    a read one byte past a 13-byte allocation
 * Nothing here runs anywhere but in the debug tier's own guest.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/smp.h>

static DEFINE_MUTEX(cvm_dbg_a);
static DEFINE_MUTEX(cvm_dbg_b);
static int cvm_dbg_val;
static int __rcu *cvm_dbg_ptr;

static noinline void cvm_dbg_rcu(void)
{
	int *p;

	rcu_assign_pointer(cvm_dbg_ptr, &cvm_dbg_val);
	p = rcu_dereference(cvm_dbg_ptr);
	pr_info("cvm_dbgtest: rcu %d\n", READ_ONCE(*p));
}

static noinline void cvm_dbg_preempt(void)
{
	pr_info("cvm_dbgtest: cpu %d\n", smp_processor_id());
}

static noinline void cvm_dbg_sleep(void)
{
	preempt_disable();
	might_sleep();
	preempt_enable();
}

static noinline void cvm_dbg_leak(void)
{
	void *p = kmalloc(32, GFP_KERNEL);

	OPTIMIZER_HIDE_VAR(p);
	pr_info("cvm_dbgtest: leaked %s\n", p ? "32 bytes" : "nothing");
}

static noinline void cvm_dbg_lockdep(void)
{
	mutex_lock(&cvm_dbg_a);
	mutex_lock(&cvm_dbg_b);
	mutex_unlock(&cvm_dbg_b);
	mutex_unlock(&cvm_dbg_a);
	mutex_lock(&cvm_dbg_b);
	mutex_lock(&cvm_dbg_a);
	mutex_unlock(&cvm_dbg_a);
	mutex_unlock(&cvm_dbg_b);
}

static noinline void cvm_dbg_kasan(void)
{
	char *p = kmalloc(13, GFP_KERNEL);

	if (!p)
		return;
	OPTIMIZER_HIDE_VAR(p);
	pr_info("cvm_dbgtest: past the end %d\n", READ_ONCE(p[13]));
	kfree(p);
}

static int __init cvm_dbg_init(void)
{
	cvm_dbg_rcu();
	cvm_dbg_preempt();
	cvm_dbg_sleep();
	cvm_dbg_leak();
	cvm_dbg_lockdep();
	cvm_dbg_kasan();
	return 0;
}

static void __exit cvm_dbg_exit(void)
{
}

module_init(cvm_dbg_init);
module_exit(cvm_dbg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("cvmstat tests: make the debug kernel's checkers report once each");

// SPDX-License-Identifier: GPL-2.0
/*
 * Binding probes to kvm.ko's tracepoints by name.
 *
 * Most of the events are not exported, and linking to the exported ones
 * would make cvmstat depend on kvm.ko (load order, no kvm.ko reload).  The
 * tracepoint module notifier instead tells us when kvm.ko comes (also for a
 * kvm.ko already loaded when we register) and goes; we then find the events
 * in its tracepoint list by name.  kvm.ko going unbinds everything, so it
 * can be unloaded and reloaded under us.
 */
#include <linux/module.h>
#include <linux/tracepoint.h>
#include "cvmstat.h"

/*
 * cvm_bind_mutex protects everything below.  Lock order: the tracepoint
 * module-list mutex (held around the notifier) > cvm_bind_mutex >
 * tracepoints_mutex (taken by tracepoint_probe_register).
 */
static DEFINE_MUTEX(cvm_bind_mutex);
static struct module *kvm_mod;
static struct tracepoint *bound[CVMSTAT_PROBE_NR];
static bool lifetime_ok;
/* exit-handling time (latency.c): wanted, and what is bound of it */
static bool timing;
static struct tracepoint *tbound[CVM_TIMING_NR];
/* floor.c's empty probes (floor=MASK), bound instead of everything */
static struct tracepoint *fbound[CVM_FLOOR_NR];

static bool wanted(const struct cvm_probe *p)
{
	return p->known && (!p->wanted || p->wanted());
}

/* Probe @p to its tracepoint in @mod, if it has it; *@slot notes it. */
static void bind_one(struct module *mod, const struct cvm_probe *p,
		     struct tracepoint **slot)
{
	struct tracepoint *tp;
	unsigned int t;
	int ret;

	if (*slot)
		return;
	for (t = 0; t < mod->num_tracepoints; t++) {
		tp = tracepoint_ptr_deref(&mod->tracepoints_ptrs[t]);
		if (strcmp(tp->name, p->name))
			continue;
		ret = tracepoint_probe_register(tp, p->func, NULL);
		if (ret)	/* reported through probes_bound */
			pr_warn("cannot attach to %s (%d)\n", p->name, ret);
		else
			*slot = tp;
		return;
	}
}

/*
 * The timing probes, after the counting ones: on kvm_exit the counting
 * probe then runs first (same priority, registration order).
 */
static void bind_timing(struct module *mod)
{
	unsigned int i;

	if (cvm_floor())
		return;

	for (i = 0; i < CVM_TIMING_NR; i++)
		if (cvm_timing_table[i].known && !(cvm_timing_skip() & (1U << i)))
			bind_one(mod, &cvm_timing_table[i], &tbound[i]);
}

/* The caller waits for the probes (tracepoint_synchronize_unregister). */
static void unbind_timing(void)
{
	unsigned int i;

	for (i = 0; i < CVM_TIMING_NR; i++) {
		if (!tbound[i])
			continue;
		if (tracepoint_probe_unregister(tbound[i],
						cvm_timing_table[i].func, NULL))
			pr_warn("cannot detach timing from %s\n",
				cvm_timing_table[i].name);
		tbound[i] = NULL;
	}
}

static void unbind_all(void)
{
	unsigned int i;

	unbind_timing();
	for (i = 0; i < CVM_FLOOR_NR; i++) {
		if (fbound[i] && tracepoint_probe_unregister(fbound[i],
				cvm_floor_table[i].func, NULL))
			pr_warn("cannot detach from %s\n", cvm_floor_table[i].name);
		fbound[i] = NULL;
	}
	for (i = 0; i < CVMSTAT_PROBE_NR; i++) {
		if (!bound[i])
			continue;
		/* Fails only for a probe that is not registered: a bug of ours. */
		if (tracepoint_probe_unregister(bound[i], cvm_probe_table[i].func,
						NULL))
			pr_warn("cannot detach from %s\n", cvm_probe_table[i].name);
		bound[i] = NULL;
	}
	/* No probe runs past here: slots and KVM pointers may go. */
	tracepoint_synchronize_unregister();
}

static void kvm_coming(struct module *mod)
{
	unsigned int i;

	if (cvm_symbols_bind(mod))
		return;
	if (cvm_lifetime_bind()) {
		cvm_symbols_unbind();
		return;
	}
	lifetime_ok = true;
	kvm_mod = mod;
	if (cvm_floor()) {
		for (i = 0; i < CVM_FLOOR_NR; i++)
			if ((cvm_floor() & (1U << i)) && cvm_floor_table[i].known)
				bind_one(mod, &cvm_floor_table[i], &fbound[i]);
		pr_info("bound to kvm: empty probes 0x%x\n", cvm_floor());
		return;
	}
	cvm_hp_bind(mod);
	/*
	 * In the table's order, kvm_exit first: a VM already running gets its
	 * vCPUs their slots at their next exit before any event without a
	 * vCPU argument arrives, which would otherwise be unattributed.
	 */
	for (i = 0; i < CVMSTAT_PROBE_NR; i++)
		if (wanted(&cvm_probe_table[i]))
			bind_one(mod, &cvm_probe_table[i], &bound[i]);
	if (timing)
		bind_timing(mod);
	pr_info("bound to kvm: probes 0x%x\n", cvm_probes_bound());
}

static void kvm_going(void)
{
	unbind_all();
	cvm_hp_unbind();
	cvm_lifetime_unbind();
	cvm_symbols_unbind();
	lifetime_ok = false;
	kvm_mod = NULL;
	pr_info("unbound from kvm\n");
}

static int tp_module_notify(struct notifier_block *nb, unsigned long val,
			    void *data)
{
	struct tp_module *tp_mod = data;
	struct module *mod = tp_mod->mod;

	if (strcmp(mod->name, "kvm"))
		return NOTIFY_OK;
	mutex_lock(&cvm_bind_mutex);
	if (val == MODULE_STATE_COMING && !kvm_mod)
		kvm_coming(mod);
	else if (val == MODULE_STATE_GOING && kvm_mod == mod)
		kvm_going();
	mutex_unlock(&cvm_bind_mutex);
	return NOTIFY_OK;
}

static struct notifier_block tp_module_nb = {
	.notifier_call = tp_module_notify,
};

/*
 * Any module gone live or going: the vendor module (kvm_amd, kvm_intel)
 * fills or empties kvm_x86_ops in its init or exit, after kvm.ko came, so
 * what get_exit_info is gets decided again here (process context).
 */
static int module_notify(struct notifier_block *nb, unsigned long val,
			 void *data)
{
	if (val != MODULE_STATE_LIVE && val != MODULE_STATE_GOING)
		return NOTIFY_OK;
	mutex_lock(&cvm_bind_mutex);
	if (kvm_mod)
		cvm_exit_reason_refresh();
	mutex_unlock(&cvm_bind_mutex);
	return NOTIFY_OK;
}

static struct notifier_block module_nb = {
	.notifier_call = module_notify,
};

/*
 * latency.c switches exit-handling time on (after handing the slots their
 * blocks) or off (then waits for the probes and frees the blocks).
 */
void cvm_tpbind_timing(bool on)
{
	mutex_lock(&cvm_bind_mutex);
	timing = on;
	if (!on)
		unbind_timing();
	else if (kvm_mod)
		bind_timing(kvm_mod);
	mutex_unlock(&cvm_bind_mutex);
}

u32 cvm_probes_known(void)
{
	u32 mask = 0;
	unsigned int i;

	for (i = 0; i < CVMSTAT_PROBE_NR; i++)
		if (cvm_probe_table[i].known)
			mask |= 1U << i;
	return mask;
}

u32 cvm_probes_bound(void)
{
	u32 mask = 0;
	unsigned int i;

	for (i = 0; i < CVMSTAT_PROBE_NR; i++)
		if (READ_ONCE(bound[i]))
			mask |= 1U << i;
	return mask;
}

bool cvm_lifetime_ok(void)
{
	return READ_ONCE(lifetime_ok);
}

int cvm_tpbind_init(void)
{
	int ret = register_module_notifier(&module_nb);

	if (ret)
		return ret;
	ret = register_tracepoint_module_notifier(&tp_module_nb);
	if (ret)
		unregister_module_notifier(&module_nb);
	return ret;
}

/* Unregistering sends GOING for kvm.ko if it is loaded: that unbinds. */
void cvm_tpbind_exit(void)
{
	unregister_tracepoint_module_notifier(&tp_module_nb);
	unregister_module_notifier(&module_nb);
}

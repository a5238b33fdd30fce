// SPDX-License-Identifier: GPL-2.0
/*
 * cvmstat.ko: exact per-VM, per-vCPU KVM exit accounting.  Init and exit
 * only; see cvmstat.h for where everything else lives.
 */
#include <linux/module.h>
#include "cvmstat.h"

unsigned int cvm_max_vms = 64;
module_param_named(max_vms, cvm_max_vms, uint, 0444);
MODULE_PARM_DESC(max_vms, "VMs held at once, alive or exited (default 64)");

unsigned int cvm_max_vcpus = 512;
module_param_named(max_vcpus, cvm_max_vcpus, uint, 0444);
MODULE_PARM_DESC(max_vcpus, "vCPUs held at once, alive or exited (default 512)");

static int __init cvm_init(void)
{
	int ret;

	if (!cvm_max_vms || cvm_max_vms > 65536 ||
	    !cvm_max_vcpus || cvm_max_vcpus > 65536) {
		pr_err("max_vms and max_vcpus must be 1..65536\n");
		return -EINVAL;
	}
	ret = cvm_registry_init();
	if (ret)
		return ret;
	cvm_debugfs_init();
	ret = cvm_tpbind_init();
	if (ret)
		goto err_registry;
	ret = cvm_latency_init();
	if (ret)
		goto err_tpbind;
	/* Last: userspace may use the device as soon as it exists. */
	ret = cvm_chardev_init();
	if (ret)
		goto err_tpbind;
	pr_info("version %s loaded\n", CVMSTAT_VERSION);
	return 0;

err_tpbind:
	cvm_tpbind_exit();
	cvm_latency_exit();
	cvm_phase_exit();
err_registry:
	cvm_debugfs_exit();
	cvm_registry_exit();
	return ret;
}

static void __exit cvm_exit(void)
{
	cvm_chardev_exit();
	cvm_tpbind_exit();
	cvm_latency_exit();
	cvm_phase_exit();
	cvm_debugfs_exit();
	cvm_registry_exit();
	pr_info("unloaded\n");
}

module_init(cvm_init);
module_exit(cvm_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The cvmstat developers");
MODULE_DESCRIPTION("Per-VM, per-vCPU KVM VM-exit accounting for confidential VMs");
MODULE_VERSION(CVMSTAT_VERSION);

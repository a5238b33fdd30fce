// SPDX-License-Identifier: GPL-2.0
/* X86_FEATURE_TDX_HOST_PLATFORM: the CPU can host TDX guests (upstream v6.9). */
#include <linux/kvm_host.h>
#include <asm/cpufeature.h>
bool cvm_test(void)
{
	return boot_cpu_has(X86_FEATURE_TDX_HOST_PLATFORM);
}

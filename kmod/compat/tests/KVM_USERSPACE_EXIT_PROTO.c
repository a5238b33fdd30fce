// SPDX-License-Identifier: GPL-2.0
/* kvm_userspace_exit(__u32 reason, int errno), declared in a shipped header. */
#include <linux/kvm_host.h>
#include <linux/tracepoint.h>
#include <trace/events/kvm.h>
static void cvm_probe(void *data, __u32 reason, int err)
{
}
int cvm_test(void)
{
	return register_trace_kvm_userspace_exit(cvm_probe, NULL);
}

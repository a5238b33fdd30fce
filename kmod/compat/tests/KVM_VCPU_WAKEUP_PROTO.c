// SPDX-License-Identifier: GPL-2.0
/* kvm_vcpu_wakeup(__u64 ns, bool waited, bool valid), declared in a shipped header. */
#include <linux/kvm_host.h>
#include <linux/tracepoint.h>
#include <trace/events/kvm.h>
static void cvm_probe(void *data, __u64 ns, bool waited, bool valid)
{
}
int cvm_test(void)
{
	return register_trace_kvm_vcpu_wakeup(cvm_probe, NULL);
}

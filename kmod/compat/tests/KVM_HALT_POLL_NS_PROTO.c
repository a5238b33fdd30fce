// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_halt_poll_ns(bool grow, unsigned int vcpu_id, unsigned int new,
 * unsigned int old), declared in a shipped header.
 */
#include <linux/kvm_host.h>
#include <linux/tracepoint.h>
#include <trace/events/kvm.h>
static void cvm_probe(void *data, bool grow, unsigned int vcpu_id,
		      unsigned int new, unsigned int old)
{
}
int cvm_test(void)
{
	return register_trace_kvm_halt_poll_ns(cvm_probe, NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_mmio is declared in a shipped header: compile our probe's prototype
 * against it.  Nothing is linked; the event is bound by name at run time.
 */
#include <linux/kvm_host.h>
#include <linux/tracepoint.h>
#include <trace/events/kvm.h>
static void cvm_probe(void *data, int type, int len, u64 gpa, void *val)
{
}
int cvm_test(void)
{
	return register_trace_kvm_mmio(cvm_probe, NULL);
}

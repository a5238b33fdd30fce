// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/cvmstat/ (root only): what the tests look at that is no
 * ABI.
 *   symbols  what symbols.c resolved, compared with /proc/kallsyms
 *   readers  how reads of a vCPU went (registry.c, cvm_snapshot())
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "cvmstat.h"

static int symbols_show(struct seq_file *m, void *v)
{
	unsigned long gei = cvm_exit_reason_fn();

	seq_printf(m, "kvm_running_vcpu %px\n", READ_ONCE(cvm_running_vcpu));
	cvm_exit_reason_show(m);
	seq_printf(m, "get_exit_info %px %ps\n", (void *)gei, (void *)gei);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(symbols);

static int readers_show(struct seq_file *m, void *v)
{
	seq_printf(m, "at_once %llu\nby_owner %llu\nby_copies %llu\ntimeouts %llu\n",
		   READ_ONCE(cvm_reader_stats.at_once),
		   READ_ONCE(cvm_reader_stats.by_owner),
		   READ_ONCE(cvm_reader_stats.by_copies),
		   READ_ONCE(cvm_reader_stats.timeouts));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(readers);

static struct dentry *cvm_debugfs;

void cvm_debugfs_init(void)
{
	cvm_debugfs = debugfs_create_dir("cvmstat", NULL);
	debugfs_create_file("symbols", 0400, cvm_debugfs, NULL, &symbols_fops);
	debugfs_create_file("readers", 0400, cvm_debugfs, NULL, &readers_fops);
}

void cvm_debugfs_exit(void)
{
	debugfs_remove_recursive(cvm_debugfs);
	cvm_debugfs = NULL;
}

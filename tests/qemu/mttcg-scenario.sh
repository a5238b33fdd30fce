#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of tests/qemu/mttcg.sh (MODE is put in front of it):
#   churn   VMs created and destroyed (vmcycle), cvmstat never loaded: KVM
#           toggles preempt_notifier_key at each VM's creation and
#           destruction, so __schedule is patched twice a cycle;
#   reload  insmod/rmmod cvmstat while one 2-vCPU VM runs (no VM created or
#           destroyed meanwhile): binding and unbinding the probes patch
#           KVM's tracepoint sites the vCPUs run through.
# Prints sections like the other scenarios; mttcg.sh reads the console.
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

sec modprobe modprobe kvm-amd
sec syms grep -E ' (__schedule|preempt_notifier_key)$' /proc/kallsyms
case ${MODE:-churn} in
churn)
	# another CPU schedules all the time meanwhile
	(while :; do sleep 0.001; done) &
	pb=$!
	sec churn vmcycle -n 1500 -k 2
	kill $pb
	;;
reload)
	cvmload -v 2 -s 150 >/tmp/run.out 2>&1 &
	pl=$!
	sleep 3
	reload() {
		i=0
		while [ $i -lt 50 ] && kill -0 $pl 2>/dev/null; do
			insmod /cvm/cvmstat.ko || return 1
			sleep 0.5
			rmmod cvmstat || return 1
			i=$((i + 1))
		done
		echo "reloads=$i"
	}
	sec reload reload
	wait $pl
	job run /tmp/run.out $?
	;;
esac
sec lsmod lsmod

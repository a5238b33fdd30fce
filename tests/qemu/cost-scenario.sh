#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/qemu/cost.sh: the same workload without and with
# cvmstat counting, and with exit-handling time on (latency), under -icount
# (guest ns = instructions).
PATH=/cvm:$PATH
iters=${1:-10000}
parts=${2:-}
modprobe kvm-amd || exit 1
cvmload -v 1 -k 100 || exit 1	# warm-up: first-time costs off the clock
n=1
for mode in base base cvmstat cvmstat latency latency; do
	[ $mode != base ] && ! lsmod | grep -q '^cvmstat' && { insmod /cvm/cvmstat.ko || exit 1; }
	[ $mode = latency ] && { echo 1 >/sys/module/cvmstat/parameters/latency || exit 1; }
	out=$(cvmload -v 1 -k "$iters") || exit 1
	echo "cost $mode iters=$iters $out"
	# the times themselves, to see whether they repeat (cost.sh)
	if [ $mode = latency ]; then
		pid=${out#*pid=}
		cvmstat-read vm --pid "${pid%% *}" --latency | sed "s/^/lat $n /"
		n=$((n + 1))
	fi
done

# CVMSTAT_COST_PARTS=1 (cost.sh): what each part of the timing path costs,
# one run each (runs repeat exactly under -icount): the exit stamp alone,
# with the kvm_entry probe, with the kvm_userspace_exit probe (timing_skip),
# then empty probes only (floor), the floor of any tracepoint consumer.
[ "$parts" = parts ] || exit 0
p=/sys/module/cvmstat/parameters
for skip in 3 2 1; do
	echo 0 >$p/latency && echo $skip >$p/timing_skip && echo 1 >$p/latency || exit 1
	out=$(cvmload -v 1 -k "$iters") || exit 1
	echo "cost part-skip$skip iters=$iters $out"
done
echo 0 >$p/latency
for mask in 1 2 3 4; do
	rmmod cvmstat && insmod /cvm/cvmstat.ko floor=$mask || exit 1
	out=$(cvmload -v 1 -k "$iters") || exit 1
	echo "cost part-floor$mask iters=$iters $out"
done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/qemu/cost.sh: the same workload without and with
# cvmstat, under -icount (guest ns = instructions).
PATH=/cvm:$PATH
iters=${1:-10000}
modprobe kvm-amd || exit 1
cvmload -v 1 -k 100 || exit 1	# warm-up: first-time costs off the clock
for mode in base base cvmstat cvmstat; do
	[ $mode = cvmstat ] && ! lsmod | grep -q '^cvmstat' && { insmod /cvm/cvmstat.ko || exit 1; }
	out=$(cvmload -v 1 -k "$iters") || exit 1
	echo "cost $mode iters=$iters $out"
done

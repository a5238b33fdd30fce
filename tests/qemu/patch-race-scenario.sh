#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A guest scenario (run as /cvm/scenario.sh) for the question whether a VM
# survives KVM's tracepoint sites being patched while it runs, and whose
# fault it is when it does not.  REPS times: a 2-vCPU cvmload runs for 3 s,
# and a second into it the tracepoints cvmstat uses are switched off and on
# again, by the mode given on the kernel command line (cvmrace=MODE):
#   cvmstat  rmmod cvmstat, then insmod it again (what scenario.sh's
#            "rmmod while a VM runs" does, plus the way back)
#   ftrace   the same seven kvm events enabled, then disabled, through
#            tracefs: the same static keys and static calls, no cvmstat
#   none     nothing patched: the baseline
#   churn    no cvmstat, no tracepoint: VMs created and destroyed as fast
#            as vmcycle can (REPS*10 of them, 1 vCPU each) while another CPU
#            keeps scheduling.  KVM itself flips preempt_notifier_key when
#            the number of VMs goes 0 -> 1 -> 0, which patches __schedule's
#            jump label twice per VM: every mode above does that once per
#            run too (each run is a new cvmload VM).
# cvmrace_reps=N sets REPS (default 20).  Prints one line per run,
# "race MODE I rc=N" (124 when cvmload hung and was killed), cvmload's
# output when it failed, and "race MODE: N runs, N failed".
#
# Not part of make check.  To run it (multi-threaded TCG is where it fails):
#   tests/qemu/prepare.sh KVER IMAGE_ROOT OUT tests/qemu/patch-race-scenario.sh
#   CVMSTAT_TCG_THREAD=multi CVMSTAT_APPEND_EXTRA="cvmrace=ftrace cvmrace_reps=60" \
#	tests/qemu/boot.sh KVER IMAGE_ROOT OUT/initrd.cpio.gz OUT/run
PATH=/cvm:$PATH
export PATH

arg() {
	sed -n "s/.*$1=\([a-z0-9]*\).*/\1/p" /proc/cmdline
}
mode=$(arg cvmrace)
mode=${mode:-cvmstat}
reps=$(arg cvmrace_reps)
reps=${reps:-20}
ev=/sys/kernel/tracing/events/kvm
events="kvm_exit kvm_mmio kvm_fast_mmio kvm_msr kvm_pio kvm_vmgexit_enter
	kvm_vmgexit_msr_protocol_enter"

toggle() {
	case $mode in
	cvmstat)
		rmmod cvmstat || echo "rmmod failed"
		sleep 0.3
		insmod /cvm/cvmstat.ko || echo "insmod failed"
		;;
	ftrace)
		for e in $events; do echo 1 >$ev/$e/enable; done
		sleep 0.3
		for e in $events; do echo 0 >$ev/$e/enable; done
		;;
	esac
}

modprobe kvm-amd || exit 1
if [ "$mode" = churn ]; then
	(while :; do sleep 0.001; done) &
	vmcycle -n $((reps * 10)) -k 2
	rc=$?
	kill $!
	echo "race churn: $((reps * 10)) VMs, rc=$rc"
	exit $rc
fi
[ "$mode" = cvmstat ] && { insmod /cvm/cvmstat.ko || exit 1; }
i=0
failed=0
while [ $i -lt "$reps" ]; do
	timeout 60 cvmload -v 2 -s 3 >/tmp/race.out 2>&1 &
	pid=$!
	sleep 1
	toggle
	wait $pid
	rc=$?
	echo "race $mode $i rc=$rc"
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		sed 's/^/    /' /tmp/race.out
	fi
	i=$((i + 1))
done
echo "race $mode: $reps runs, $failed failed"
[ $failed -eq 0 ]

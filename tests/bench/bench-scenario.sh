#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of tests/bench/bench.sh (busybox sh, /cvm/scenario.sh), under
# QEMU -icount shift=0,sleep=off on one CPU: guest ns = instructions.  The
# same cvmload run (1 vCPU, ITERS iterations of 8 exits; kernel command line
# cvmbench_iters=ITERS) once per configuration, all in this one boot:
#   base		nothing attached (again as base-end, last)
#   floor-exit		empty probes on the tracepoints counting binds
#			(cvmstat.ko floor=0x79: kvm_exit, kvm_mmio,
#			kvm_fast_mmio, kvm_msr, kvm_pio)
#   floor-entry		and on timing's, kvm_entry and kvm_userspace_exit
#			(floor=0x7f)
#   cvmstat		cvmstat counting
#   cvmstat-latency	cvmstat with exit-handling time (latency=1)
#   cvmstat-record	cvmstat counting, `cvmstat record -i 0.1` around it
#   ftrace-event	the kvm_exit event into the ring buffer
#   ftrace-hist		hist:keys=exit_reason on kvm_exit
#   bpftrace-count	bpftrace, a count per exit_reason
#   bpftrace-latency	bpftrace, kvm_exit -> kvm_entry per thread, hist
#   perf-kvm		perf kvm stat record -a
# bpftrace and perf come from the host's root (9p tag hostroot, read-only)
# and run in a chroot into it, the workload as their child (copied to the
# chroot's tmpfs /tmp), so they are attached before it starts.
# Prints per configuration "bench NAME rc=RC iters=ITERS pid=.. vcpus=1
# elapsed_ns=NS ok" and "seen NAME[/WHAT] N want W" or "... N least W" (what
# the configuration itself saw of the run: exactly W, at least W; checked by
# bench_table.py), and its tool's output as a section.
PATH=/cvm:$PATH
export PATH
. /cvm/sections.sh

iters=12500
# shellcheck disable=SC2013 # the words of the kernel command line
for w in $(cat /proc/cmdline); do
	case $w in cvmbench_iters=*) iters=${w#cvmbench_iters=} ;; esac
done
T=/sys/kernel/tracing
CPUID=114		# SVM exit code 0x72, once per iteration
want_exits=$((iters * 8))

# One measured run: NAME COMMAND...; COMMAND prints cvmload's line.
bench() {
	b_name=$1
	shift
	"$@" >"/tmp/out-$b_name" 2>&1
	b_rc=$?
	b_line=$(grep '^cvmload: pid=' "/tmp/out-$b_name")
	echo "bench $b_name rc=$b_rc iters=$iters ${b_line#cvmload: }"
	b_pid=${b_line#*pid=}
	b_pid=${b_pid%% *}
	job "out-$b_name" "/tmp/out-$b_name" $b_rc
}

load() { "$@" -v 1 -k "$iters"; }

# The last run's VM as cvmstat-read sees it (ARGS...): the sum of the
# counts of KIND for the CPUID exit (the key's low 32 bits)
cvmstat_cpuid() {
	kind=$1
	shift
	cvmstat-read vm --pid "$b_pid" "$@" | awk -F, -v k="$kind" '$3 == k { print $4, $6 }' |
		{ n=0; while read -r key c; do
			[ $((key & 0xffffffff)) -eq $CPUID ] && n=$((n + c)); done; echo $n; }
}

# the host's root at /host, with what the peers need mounted inside
host_root() {
	mkdir -p /host &&
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro,cache=loose \
		hostroot /host &&
	mount -t proc proc /host/proc &&
	mount -t sysfs sysfs /host/sys &&
	mount -t devtmpfs devtmpfs /host/dev &&
	mount -t tmpfs tmpfs /host/tmp &&
	mount -t tmpfs tmpfs /host/run &&
	mount -t tracefs tracefs /host/sys/kernel/tracing &&
	mount -t debugfs debugfs /host/sys/kernel/debug &&
	cp /cvm/cvmload /host/tmp/cvmload
}

in_host() {
	chroot /host /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp "$@"
}

modprobe virtio_pci 2>/dev/null
sec modules modprobe -a kvm-amd 9pnet_virtio 9p
sec host-root host_root
sec versions in_host sh -c 'bpftrace --version; perf version; uname -r'
cvmload -v 1 -k 100 >/dev/null || exit 1	# warm-up: first-time costs off the clock

bench base load cvmload

for f in 121 127; do
	[ $f = 121 ] && n=floor-exit || n=floor-entry
	insmod /cvm/cvmstat.ko floor=$f || exit 1
	bench "$n" load cvmload
	echo "seen $n $(cat /sys/module/cvmstat/parameters/floor) want $f"
	rmmod cvmstat || exit 1
done

insmod /cvm/cvmstat.ko || exit 1
bench cvmstat load cvmload
echo "seen cvmstat $(cvmstat_cpuid reason) want $iters"
echo 1 >/sys/module/cvmstat/parameters/latency || exit 1
bench cvmstat-latency load cvmload
echo "seen cvmstat-latency $(cvmstat_cpuid reason) want $iters"
echo "seen cvmstat-latency/timed $(cvmstat_cpuid lat_count --latency) want $iters"
echo 0 >/sys/module/cvmstat/parameters/latency || exit 1
bench cvmstat-record load cvmstat record -o /tmp/rec.csv -i 0.1 -- cvmload
echo "seen cvmstat-record $(cvmstat_cpuid reason) want $iters"
echo "seen cvmstat-record/rows $(grep -c . /tmp/rec.csv) least 2"
rmmod cvmstat || exit 1

# ftrace: the event into the ring buffer (every event written: entries
# kept plus overwritten), then a hist trigger, removed after
echo >$T/trace
echo 1 >$T/events/kvm/kvm_exit/enable || exit 1
bench ftrace-event load cvmload
echo 0 >$T/events/kvm/kvm_exit/enable
n=$(cat $T/per_cpu/cpu*/stats | awk '/^(entries|overrun):/ { n += $2 } END { print n + 0 }')
echo "seen ftrace-event $n least $want_exits"
echo >$T/trace
echo 'hist:keys=exit_reason' >$T/events/kvm/kvm_exit/trigger || exit 1
bench ftrace-hist load cvmload
sec hist cat $T/events/kvm/kvm_exit/hist
n=$(awk -v r=$CPUID '$1 == "{" && $2 == "exit_reason:" && $3 == r "" { print $6 }' \
	$T/events/kvm/kvm_exit/hist)
echo "seen ftrace-hist ${n:-0} want $iters"
echo '!hist:keys=exit_reason' >$T/events/kvm/kvm_exit/trigger || exit 1

# bpftrace: probes attached before -c's command starts; maps printed at its end
bench bpftrace-count in_host bpftrace -c "/tmp/cvmload -v 1 -k $iters" -e \
	'tracepoint:kvm:kvm_exit { @[args->exit_reason] = count(); }'
n=$(sed -n "s/^@\[$CPUID\]: \([0-9]*\).*/\1/p" /tmp/out-bpftrace-count)
echo "seen bpftrace-count ${n:-0} want $iters"
bench bpftrace-latency in_host bpftrace -c "/tmp/cvmload -v 1 -k $iters" -e \
	'tracepoint:kvm:kvm_exit { @start[tid] = nsecs; }
	 tracepoint:kvm:kvm_entry /@start[tid]/ {
		@ns = hist(nsecs - @start[tid]); delete(@start[tid]); }'
n=$(sed -n 's/^\[[^])]*[])] *\([0-9][0-9]*\) .*/\1/p' /tmp/out-bpftrace-latency |
	awk '{ n += $1 } END { print n + 0 }')
echo "seen bpftrace-latency $n least $want_exits"

# perf: its own events (kvm_entry, kvm_exit, kvm_mmio, kvm_pio, kvm_msr...),
# every one a sample; the run is its command
bench perf-kvm in_host perf kvm stat record -a -o /tmp/perf.data -- \
	/tmp/cvmload -v 1 -k "$iters"
n=$(sed -n 's/.*perf record: Captured and wrote .*(\([0-9]*\) samples).*/\1/p' /tmp/out-perf-kvm)
echo "seen perf-kvm ${n:-0} least $((2 * want_exits))"

bench base-end load cvmload


#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2154 # tools, here, share, l2_*, shape: set by CONF
#
# Usage (inside the test kernel, chrooted into the host's root, from
# guest-scenario.sh):
#	l1-guest.sh CONF test ATTEMPT
#	l1-guest.sh CONF demo ATTEMPT
# (and, internally, l1-guest.sh CONF held ATTEMPT / CONF demo-runs ATTEMPT)
#
# CONF (written by guest-run.sh) sets: tools (cvmstat, cvmstat-read), here
# (tests/qemu), share (the output directory, writable), l2_kernel, l2_initrd,
# shape, l2_timeout (seconds).  Shapes of the guest (all with 2 vCPUs; in
# this nested setup PV EOI loses interrupts, so it is off wherever KVM's
# paravirtual features are on):
#   pc		KVM's paravirtual features (kvmclock, PV IPIs and spinlocks,
#		hypercalls), x2APIC: the local APIC through MSRs
#   q35		the same but for nox2apic: the local APIC through MMIO; PCI
#		configuration through ECAM MMIO, handled by QEMU
#   q35-nopv	no paravirtual features: no kvmclock, and with the TSC not
#		calibrating under emulation, HPET as clock source (an MMIO
#		read handled by QEMU for every clock read; slow)
#
# test: with cvmstat loaded (exit-handling time on), records the kernel's
# own trace events kvm_exit, kvm_mmio, kvm_fast_mmio, kvm_msr, kvm_pio,
# kvm_vcpu_wakeup, kvm_halt_poll_ns, kvm_entry and kvm_userspace_exit (tracefs, clock mono, non-overwriting buffers) while
# `cvmstat record` records the guest booted by l2vm.py.  While the guest
# idles (its phase 3, l2idle= seconds), a second recording sweeps the
# global halt_poll_ns over 0, its original value and 5000000, hp_run
# seconds each (see hp_sweep); the settings are then restored.  At the
# guest's power-off, with the VM held, tracing stops and cvmstat's
# counters, marks and views are saved; after QEMU quits, the trace is
# extracted with trace-cmd.  check_guest.py compares them on the host.
# Files: SHARE/*-ATTEMPT.*.
#
# demo: `cvmstat record` around two runs of the guest's timer work, one
# with the TSC-deadline timer and one without (-cpu host,-tsc-deadline),
# each a phase marked from the host.  Files: SHARE/demo*, SHARE/*demo-*.
#
# Exit status: 0 done, 3 the L2 guest did not reach its power-off (a
# test-bed failure, SHARE/testbed-ATTEMPT.txt says what happened), else
# another failure.
set -uo pipefail

conf=$1
mode=$2
a=$3
# shellcheck source=/dev/null
. "$conf"
export PATH=$tools:$PATH
T=/sys/kernel/tracing
say() { echo "l1-guest: $(cut -d' ' -f1 /proc/uptime) s: $*"; }
trace_kb=32768
events="kvm_exit kvm_mmio kvm_fast_mmio kvm_msr kvm_pio kvm_vcpu_wakeup kvm_halt_poll_ns
	kvm_entry kvm_userspace_exit"
# The halt-polling sweep over the idle guest: seconds per setting, and how
# long the guest idles (long enough for the three settings, with room for
# starting the recording and the changes under emulation)
hp_run=2
l2_idle=10
hp_sweep_max=5000000

qemu_l2() {	# QEMU_CPU_EXTRA KERNEL_APPEND_EXTRA
	# pci=noearly,lastbus=0: no early scans of all 256 PCI buses through
	# ports 0xcf8/0xcfc (for an AGP bridge, the guest's CPU being an AMD
	# one; for peer bridges, q35's ECAM covering 256 buses): 17 000 to
	# 34 000 port exits of a boot that makes 50 000 to 100 000
	local machine=q35 cpu=host append="console=ttyS0 loglevel=5 panic=-1 pci=noearly,lastbus=0"
	case $shape in
	q35) cpu=host,-kvm-pv-eoi append+=" nox2apic" ;;
	q35-nopv) append+=" nopv" ;;
	pc) machine=pc cpu=host,-kvm-pv-eoi ;;
	*) echo "l1-guest: unknown shape $shape" >&2; return 1 ;;
	esac
	echo qemu-system-x86_64 -enable-kvm -M "$machine" -cpu "$cpu$1" -smp 2 -m 256 \
		-nodefaults -display none -kernel "$l2_kernel" -initrd "$l2_initrd" \
		-append "'$append $2'"
}

# l2vm.py around QEMU; $1 tag, $2 command while held, rest for qemu_l2
run_l2() {
	local tag=$1 held=$2 rc
	shift 2
	eval "set -- $(qemu_l2 "$@")"
	python3 "$here/l2vm.py" --qmp "/tmp/qmp-$tag" --console "$share/l2-console-$tag.log" \
		--timeout "$l2_timeout" --paused "$held" -- "$@" >"$share/l2vm-$tag.log" 2>&1
	rc=$?
	cat "$share/l2vm-$tag.log"
	[ $rc -ne 3 ] || grep '^L2-TESTBED: ' "$share/l2vm-$tag.log" >"$share/testbed-$a.txt"
	return $rc
}

trace_start() {
	local e
	echo 0 >$T/tracing_on &&
	echo nop >$T/current_tracer &&
	echo 0 >$T/events/enable &&
	echo mono >$T/trace_clock &&
	echo 0 >$T/options/overwrite &&
	echo $trace_kb >$T/buffer_size_kb &&
	echo >$T/trace || return 1
	for e in $events; do
		echo 1 >"$T/events/kvm/$e/enable" || return 1
	done
	say "trace: clock $(cat $T/trace_clock), $(cat $T/buffer_size_kb) KiB per CPU, events $events"
	echo 1 >$T/tracing_on
}

# In the background of run-test: once the guest marked its idle phase (3),
# a second `cvmstat record` sweeps halt_poll_ns over 0 (set before it
# starts, so that its first phase has no other value in force), the
# original value and hp_sweep_max; then `cvmstat halt-poll --restore`.
# `cvmstat halt-poll` before and after: SHARE/hp-before-A.txt, hp-after-A.txt.
# SHARE/sweep-done-A.txt holds the exit status (or "no idle phase").
hp_sweep() {
	local i orig rc
	for ((i = 0; i < 10 * l2_timeout; i++)); do
		cvmstat-read phases 2>/dev/null | grep -q ',guest,3,' && break
		if [ -e "$share/sweep-stop-$a.txt" ]; then
			echo "no idle phase" >"$share/sweep-done-$a.txt"
			return 1
		fi
		sleep 0.1
	done
	say "the guest idles: halt-polling sweep"
	orig=$(cat /sys/module/kvm/parameters/halt_poll_ns)
	cvmstat halt-poll >"$share/hp-before-$a.txt" &&
		cvmstat halt-poll halt_poll_ns=0 &&
		cvmstat record -o "$share/sweep-$a.csv" \
			--sweep "halt_poll_ns=0,$orig,$hp_sweep_max" -- sleep "$hp_run"
	rc=$?
	cvmstat halt-poll --restore || rc=1
	cvmstat halt-poll >"$share/hp-after-$a.txt" || rc=1
	say "sweep done ($rc)"
	echo "$rc" >"$share/sweep-done-$a.txt"
	return $rc
}

sweep_wait() {	# at most $1 seconds
	local i
	for ((i = 0; i < 10 * $1; i++)); do
		[ -e "$share/sweep-done-$a.txt" ] && return 0
		sleep 0.1
	done
	return 1
}

# The guest powered off; its VM exists with every vCPU stopped.
held() {
	sweep_wait 60
	echo 0 >$T/tracing_on
	for c in "$T"/per_cpu/cpu*; do
		echo "== ${c##*/}"
		cat "$c/stats"
	done >"$share/trace-stats-$a.txt"
	cvmstat-read vm --pid "$L2_PID" >"$share/counts-$a.csv" &&
	cvmstat-read vm --pid "$L2_PID" --latency >"$share/lat-$a.csv" &&
	cvmstat show --vm "$L2_PID" --latency >"$share/show-lat-$a.txt" &&
	cvmstat-read hp --pid "$L2_PID" >"$share/hp-$a.csv" &&
	cvmstat show --vm "$L2_PID" --by haltpoll --format csv >"$share/show-hp-$a.csv" &&
	cvmstat export --per vcpu >"$share/export-$a.prom" &&
	cvmstat-read phases >"$share/phases-$a.csv" &&
	cvmstat-read list >"$share/list-$a.csv" &&
	echo "$L2_PID" >"$share/pid-$a" &&
	cvmstat show --vm "$L2_PID" >"$share/show-$a.txt" &&
	cvmstat show --vm "$L2_PID" --by mmio --top 15 >"$share/show-mmio-$a.txt" &&
	cvmstat show --vm "$L2_PID" --by msr --top 15 >"$share/show-msr-$a.txt" &&
	cvmstat show --vm "$L2_PID" --by pio --top 15 >"$share/show-pio-$a.txt"
}

# Two runs of the same guest work, each a phase marked from the host: with
# and without the TSC-deadline timer.  A run that crashes in emulation (a
# test-bed failure) is run once more, as a phase of its own.
demo_runs() {
	local v name cpu rc try
	for v in deadline no-deadline; do
		case $v in
		deadline) cpu=",+tsc-deadline" name="with TSC-deadline" ;;
		no-deadline) cpu=",-tsc-deadline" name="without TSC-deadline" ;;
		esac
		for try in 1 2; do
			[ $try -eq 1 ] || name+=" (again)"
			cvmstat phase "$name" >/dev/null || return 1
			run_l2 "demo-$v" "cvmstat show --vm \$L2_PID >$share/demo-show-$v.txt &&
				cvmstat show --vm \$L2_PID --by mmio --top 6 >$share/demo-mmio-$v.txt &&
				cvmstat show --vm \$L2_PID --by msr --top 6 >$share/demo-msr-$v.txt" \
				"$cpu" "l2work=timers"
			rc=$?
			[ $rc -eq 3 ] || break
		done
		[ $rc -eq 0 ] || return $rc
	done
}

case $mode in
test)
	rm -f "$share"/*-"$a".*
	say "attempt $a"
	trace_start || exit 1
	cvmstat record -o "$share/rec-$a.csv" -i 1 -- \
		bash "$0" "$conf" run-test "$a"
	rc=$?
	say "recording ended ($rc)"
	echo 0 >$T/tracing_on
	if [ $rc -eq 0 ]; then
		trace-cmd extract -o "$share/trace-$a.dat" >"$share/trace-extract-$a.log" 2>&1 ||
			{ cat "$share/trace-extract-$a.log"; rc=1; }
		say "trace extracted"
	fi
	echo 0 >$T/events/enable
	echo 1408 >$T/buffer_size_kb
	exit $rc
	;;
run-test)
	bash "$0" "$conf" hp-sweep "$a" >"$share/sweep-$a.log" 2>&1 &
	run_l2 "$a" "bash '$0' '$conf' held '$a'" "" "l2idle=$l2_idle"
	rc=$?
	touch "$share/sweep-stop-$a.txt"
	wait
	cat "$share/sweep-$a.log"
	exit $rc
	;;
hp-sweep)
	hp_sweep
	;;
held)
	held
	;;
demo)
	cvmstat record -o "$share/demo.csv" -i 1 -- bash "$0" "$conf" demo-runs "$a"
	;;
demo-runs)
	demo_runs
	;;
*)
	echo "l1-guest: unknown mode $mode" >&2
	exit 1
	;;
esac

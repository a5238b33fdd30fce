#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: boot.sh KVER IMAGE_ROOT INITRD OUTDIR
#
# Boots KVER's kernel image in IMAGE_ROOT (boot/vmlinuz-KVER, or
# usr/lib/modules/KVER/vmlinuz as newer Debian kernels ship it) with INITRD
# under QEMU TCG with nested SVM. ttyS0 (kernel console) goes to OUTDIR/console.log, ttyS1 (scenario
# output) to OUTDIR/results.txt. Fails if the kernel complained or the
# scenario did not end with rc=0.
#
# Environment: CVMSTAT_BOOT_TIMEOUT (seconds, default 900),
#	       CVMSTAT_QEMU_EXTRA (extra QEMU arguments, word-split),
#	       CVMSTAT_SMP (guest CPUs, default 2),
#	       CVMSTAT_APPEND_EXTRA (extra kernel command line),
#	       CVMSTAT_TCG_THREAD (single, the default, or multi; see below).
set -euo pipefail

fail() { echo "boot: FAIL: $*" >&2; exit 1; }

[ $# -eq 4 ] || { echo "usage: $0 KVER IMAGE_ROOT INITRD OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
initrd=$3
outdir=$4
timeout_s=${CVMSTAT_BOOT_TIMEOUT:-900}
kernel=""
for k in boot/vmlinuz-$kver usr/lib/modules/$kver/vmlinuz lib/modules/$kver/vmlinuz; do
	[ -f "$image_root/$k" ] && { kernel=$image_root/$k; break; }
done

[ -n "$kernel" ] || fail "no kernel image of $kver in $image_root"
[ -f "$initrd" ] || fail "no initrd $initrd"
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || fail "bad CVMSTAT_BOOT_TIMEOUT '$timeout_s'"
tcg_thread=${CVMSTAT_TCG_THREAD:-single}
case $tcg_thread in single | multi) ;; *) fail "bad CVMSTAT_TCG_THREAD '$tcg_thread'" ;; esac
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 not installed"

mkdir -p "$outdir"
console="$outdir/console.log"
results="$outdir/results.txt"
rm -f "$console" "$results"

append="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 softlockup_panic=0"
append+=" ${CVMSTAT_APPEND_EXTRA:-}"
# shellcheck disable=SC2206
extra=(${CVMSTAT_QEMU_EXTRA:-})

# thread=single (the default): one host thread runs all guest CPUs,
# interleaved.  Multi-threaded TCG (QEMU 7.2) sometimes runs stale code
# after the guest kernel patches its own text: with tests/qemu/
# patch-race-scenario.sh, an "Oops: int3" at a jump-label site whose patch
# had completed (the console's Code: shows the NOP in memory) once in 97
# cvmstat unload/reload rounds, and once in 106 ftrace enable/disable
# rounds with no cvmstat loaded at all (in __schedule), where an L2 guest
# also hung once.  Earlier L2 emulation errors and hangs during "rmmod
# cvmstat while a VM runs" fit the same cause.  VMs created and destroyed
# alone (its churn mode, tests/qemu/mttcg.sh) die of it within a minute:
# KVM flips preempt_notifier_key, patching __schedule, at every 0 <-> 1 VM.
echo "boot: $kver, logs in $outdir (console.log, results.txt)" >&2
start=$EPOCHREALTIME
qrc=0
timeout --foreground -k 10 "$timeout_s" \
	qemu-system-x86_64 -M q35 -accel "tcg,thread=$tcg_thread" \
	-cpu qemu64,+svm,+npt -m 2048 -smp "${CVMSTAT_SMP:-2}" \
	-nographic -no-reboot -nodefaults \
	-monitor none \
	-serial "file:$console" -serial "file:$results" \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	"${extra[@]}" </dev/null >"$outdir/qemu.log" 2>&1 || qrc=$?
awk -v s="$start" -v e="$EPOCHREALTIME" -v rc="$qrc" \
	'BEGIN { printf "boot: wall time %.1f s (qemu rc %d)\n", e - s, rc }' >&2

case $qrc in 124 | 137) fail "timed out after ${timeout_s}s" ;; esac
[ "$qrc" -eq 0 ] || fail "qemu exited with $qrc (see $outdir/qemu.log)"
[ -f "$console" ] || fail "no console log"
if bad=$(grep -a -m1 -E 'Oops|WARNING:|BUG:|Kernel panic|Call Trace|general protection' \
	 "$console"); then
	fail "kernel complained: $(echo "$bad" | tr -d '\r')"
fi
[ -f "$results" ] || fail "no results file"
end_line=$(grep -a '^CVMSTAT-SCENARIO-END rc=' "$results" | tail -n1 | tr -d '\r') ||
	fail "results.txt has no CVMSTAT-SCENARIO-END line"
[ "$end_line" = "CVMSTAT-SCENARIO-END rc=0" ] || fail "scenario failed: $end_line"
echo "boot: PASS ($kver), logs: $console $results" >&2

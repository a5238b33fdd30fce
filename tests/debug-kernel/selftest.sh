#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: selftest.sh KVER IMAGE_ROOT OUTDIR
#
# Whether the debug kernel's checkers and the harness that reads them are
# alive: boots the kernel with selftest/cvm_dbgtest.ko, which makes KASAN,
# lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT and kmemleak each
# report once, and wants tests/qemu/check_console.py to count exactly one
# report of each of those kinds and none of any other.  Without it, a
# checker switched off by a config change, or kmemleak disabling itself,
# would pass every run in silence.  The guest runs without panic_on_warn
# here (KASAN's report would end it).  Needs CVMSTAT_KDIR, the kernel's
# build tree (tests/debug-kernel.sh sets it).
# Ends with "debug-selftest: N passed, N failed".
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
qemu=$(cd "$here/../qemu" && pwd)
kdir=${CVMSTAT_KDIR:-/lib/modules/$kver/build}
label=debug-selftest
p=0
f=0

ok() { p=$((p + 1)); }
bad() { f=$((f + 1)); echo "FAIL: $*"; }
finish() {
	echo "$label: $p passed, $f failed"
	[ "$f" -eq 0 ]
	exit
}

rm -rf "$out"
mkdir -p "$out/mod" "$out/files"
cp "$here/selftest/cvm_dbgtest.c" "$here/selftest/Kbuild" "$out/mod/"
if ! make -C "$kdir" M="$out/mod" W=1 modules >"$out/build.log" 2>&1 ||
   grep -q -E 'warning:|error:' "$out/build.log"; then
	tail -20 "$out/build.log"
	bad "cvm_dbgtest.ko does not build cleanly against $kver"
	finish
fi
ok
cp "$out/mod/cvm_dbgtest.ko" "$out/files/"
install -m 755 "$here/selftest/scenario.sh" "$out/files/scenario.sh"
install -m 644 "$qemu/sections.sh" "$out/files/sections.sh"
if ! "$qemu/build-initramfs.sh" "$kver" "$image_root" "$out/files" "$out/initrd.cpio.gz" \
	2>"$out/initramfs.log"; then
	cat "$out/initramfs.log"
	bad "initramfs"
	finish
fi

# boot.sh fails the boot for the reports this test wants: its verdict is
# not this test's; the scenario's end and the console's counts are
CVMSTAT_APPEND_EXTRA="${CVMSTAT_APPEND_EXTRA:-} panic_on_warn=0" \
	"$qemu/boot.sh" "$kver" "$image_root" "$out/initrd.cpio.gz" "$out" \
	>"$out/boot.log" 2>&1
if grep -aq '^CVMSTAT-SCENARIO-END rc=0' "$out/results.txt" 2>/dev/null; then
	ok
else
	bad "the self-test guest did not finish ($out/console.log)"
fi
python3 "$qemu/check_console.py" "$out/console.log" "$label-console" \
	--kmemleak "$out/results.txt" >"$out/console-check.log"
for kind in KASAN lockdep RCU atomic-sleep preempt kmemleak; do
	n=$(sed -n "s/^FAIL: console: \([0-9]*\) $kind reports*$/\1/p" "$out/console-check.log")
	if [ "${n:-0}" = 1 ]; then
		ok
	else
		bad "$kind: ${n:-0} reports, want 1 (a checker or its detection is dead)"
	fi
done
others=$(grep -E '^FAIL: console: [0-9]+ (stall|other) report' "$out/console-check.log")
if [ -z "$others" ]; then ok; else bad "reports of no planted kind: $others"; fi
if grep -q '^FAIL: console: no kmemleak scan' "$out/console-check.log"; then
	bad "no kmemleak scan in the results"
else
	ok
fi
# a leak the checker found must be the planted one
if grep -q 'unreferenced object 0x[0-9a-f]* (size 32)' "$out/console-check.log"; then
	ok
else
	bad "kmemleak did not report the planted 32-byte object"
fi
finish

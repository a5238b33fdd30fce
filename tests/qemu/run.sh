#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: run.sh KVER IMAGE_ROOT OUTDIR
#
# The module test on one kernel: builds cvmstat.ko against KVER's headers the
# way DKMS does and the guest's programs (prepare.sh), boots scenario.sh in
# QEMU and checks the results and the kernel console (check_console.py: no
# KASAN, lockdep, RCU, DEBUG_PREEMPT, atomic-sleep, kmemleak or other
# report; on a kernel with kmemleak, its scan after the scenario must have
# run).  Ends with "qemu-KVER: N passed, N failed".
#
# Environment: CVMSTAT_KDIR (see prepare.sh), and boot.sh's.
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
label="qemu-$kver"

fail_early() {
	echo "FAIL: $*"
	echo "$label: 0 passed, 1 failed"
	exit 1
}

"$here/prepare.sh" "$kver" "$image_root" "$out" "$here/scenario.sh" ||
	fail_early "preparing the guest"
boot_ok=1
"$here/boot.sh" "$kver" "$image_root" "$out/initrd.cpio.gz" "$out" || boot_ok=0
[ -f "$out/results.txt" ] || touch "$out/results.txt"
python3 "$here/check_results.py" "$out/results.txt" "$label-scenario" >"$out/check.log"
check_rc=$?
grep -v ': [0-9]* passed, [0-9]* failed$' "$out/check.log"
read -r p f < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/check.log")
p=${p:-0}
f=${f:-1}
# every kind of kernel report on the console, one check each
kml=()
grep -qs '^CONFIG_DEBUG_KMEMLEAK=y' "$image_root/boot/config-$kver" &&
	kml=(--kmemleak "$out/results.txt")
python3 "$here/check_console.py" "$out/console.log" "$label-console" "${kml[@]}" \
	>"$out/console-check.log"
console_rc=$?
grep -v ': [0-9]* passed, [0-9]* failed$' "$out/console-check.log"
read -r cp cf < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
	"$out/console-check.log")
p=$((p + ${cp:-0}))
f=$((f + ${cf:-1}))
# the build and the boot (no oops/WARN, scenario finished) count too
p=$((p + 1))
if [ $boot_ok -eq 1 ]; then p=$((p + 1)); else f=$((f + 1)); echo "FAIL: boot ($out/console.log)"; fi
echo "$label: $p passed, $f failed"
[ $check_rc -eq 0 ] && [ $console_rc -eq 0 ] && [ $boot_ok -eq 1 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: boot-check.sh KVER IMAGE_ROOT OUTDIR CHECKER LABEL
#
# The second half of run.sh and stress.sh, once prepare.sh has built
# OUTDIR: boots OUTDIR/initrd.cpio.gz (boot.sh), checks what the scenario
# printed with CHECKER (check_results.py or check_stress.py, next to this
# script) and the kernel's console with check_console.py (every kind of
# report: oops, WARN, BUG, KASAN, lockdep, kmemleak), prints its failures
# and ends with "LABEL: N passed, N failed", where the build and the boot
# (scenario finished) count as one test each.
set -uo pipefail

[ $# -eq 5 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR CHECKER LABEL" >&2; exit 2; }
kver=$1
image_root=$2
out=$3
checker=$4
label=$5
here=$(cd "$(dirname "$0")" && pwd)

boot_ok=1
"$here/boot.sh" "$kver" "$image_root" "$out/initrd.cpio.gz" "$out" || boot_ok=0
[ -f "$out/results.txt" ] || touch "$out/results.txt"
python3 "$here/$checker" "$out/results.txt" "$label-scenario" >"$out/check.log"
check_rc=$?
grep -v ': [0-9]* passed, [0-9]* failed$' "$out/check.log"
read -r p f < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/check.log")
p=${p:-0}
f=${f:-1}
# every kind of kernel report on the console, one check each (and a
# kmemleak scan's result where the kernel has kmemleak)
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

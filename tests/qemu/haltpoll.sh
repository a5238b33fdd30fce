#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: haltpoll.sh KVER IMAGE_ROOT OUTDIR
#
# The halt-polling test on one kernel: boots haltpoll-scenario.sh with the
# guest programs run.sh built (OUTDIR/files, from prepare.sh) and checks it
# with check_haltpoll.py.  Its own boot, under QEMU -icount: the guest's
# clock then advances with the instructions it runs, not with the host's
# time, so the host being busy cannot make a 1 ms timer expire between a
# guest arming it and halting (with the host's clock that happened to a
# few percent of the halts on a loaded machine, and those HLTs never reach
# halt polling).  One CPU: Debian's 6.1 does not bring up a second one
# under -icount (it stops at "Booting SMP configuration", 6.12 does not),
# and with one the guest's clock moves only with the vCPU that arms the
# timer and halts.  Ends with "haltpoll-KVER: N passed, N failed".
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
label="haltpoll-$kver"
dir=$out/haltpoll

fail_early() {
	echo "FAIL: $*"
	echo "$label: 0 passed, 1 failed"
	exit 1
}

rm -rf "$dir" && mkdir -p "$dir/files" || fail_early "cannot make $dir"
[ -f "$out/files/haltload" ] || fail_early "run tests/qemu/run.sh (or prepare.sh) first"
cp -a "$out/files/." "$dir/files/" &&
	install -m 755 "$here/haltpoll-scenario.sh" "$dir/files/scenario.sh" ||
	fail_early "copying the guest programs"
"$here/build-initramfs.sh" "$kver" "$image_root" "$dir/files" "$dir/initrd.gz" \
	2>"$dir/initramfs.log" || fail_early "initramfs ($dir/initramfs.log)"
boot_ok=1
CVMSTAT_SMP=1 CVMSTAT_QEMU_EXTRA="-icount shift=0,sleep=on" \
	"$here/boot.sh" "$kver" "$image_root" "$dir/initrd.gz" "$dir" || boot_ok=0
[ -f "$dir/results.txt" ] || touch "$dir/results.txt"
python3 "$here/check_haltpoll.py" "$dir/results.txt" "$label-scenario" >"$dir/check.log"
check_rc=$?
grep -v ': [0-9]* passed, [0-9]* failed$' "$dir/check.log"
read -r p f < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$dir/check.log")
p=${p:-0}
f=${f:-1}
if [ $boot_ok -eq 1 ]; then p=$((p + 1)); else f=$((f + 1)); echo "FAIL: boot ($dir/console.log)"; fi
echo "$label: $p passed, $f failed"
[ $check_rc -eq 0 ] && [ $boot_ok -eq 1 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: run.sh KVER IMAGE_ROOT OUTDIR
#
# The module test on one kernel: builds cvmstat.ko against KVER's headers the
# way DKMS does (a copy of the module sources, W=1, any warning fails), the
# guest programs (static but for the cvmstat tool), an initramfs with
# scenario.sh, boots it in QEMU and checks the results.  Ends with
# "qemu-KVER: N passed, N failed".
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
label="qemu-$kver"

fail_early() {
	echo "FAIL: $*"
	echo "$label: 0 passed, 1 failed"
	exit 1
}

rm -rf "$out"
mkdir -p "$out/src" "$out/files"
make -s -C "$top" stage-module DEST="$out/src" || fail_early "staging the module sources"

# 1. the module, as DKMS builds it, warnings fatal
if ! make -C "/lib/modules/$kver/build" M="$out/src" W=1 modules \
	>"$out/build.log" 2>&1; then
	tail -20 "$out/build.log"
	fail_early "cvmstat.ko does not build against $kver"
fi
if grep -E 'warning:|error:' "$out/build.log"; then
	fail_early "cvmstat.ko builds with warnings against $kver"
fi
cp "$out/src/kmod/cvmstat.ko" "$out/files/"

# 2. the guest's programs
cflags="-O2 -Wall -Wextra -Werror -static -I$top/kmod/include/uapi"
gcc $cflags -pthread -o "$out/files/cvmload" "$top/tests/workload/cvmload.c" &&
gcc $cflags -o "$out/files/abi-test" "$top/tests/abi/abi-test.c" &&
make -s -C "$top/userspace" STATIC=1 cvmstat-read >/dev/null &&
	cp "$top/userspace/cvmstat-read" "$out/files/" &&
	make -s -C "$top/userspace" cvmstat >/dev/null &&
	cp "$top/userspace/cvmstat" "$out/files/" ||
	fail_early "building the guest programs"
# (cvmstat links libkmod, which has no static library in Debian:
# build-initramfs.sh brings its shared libraries along)
install -m 755 "$here/scenario.sh" "$out/files/scenario.sh"
install -m 755 "$here/phased.sh" "$out/files/phased.sh"

# 3. boot and check
"$here/build-initramfs.sh" "$kver" "$image_root" "$out/files" "$out/initrd.cpio.gz" \
	2>"$out/initramfs.log" || { cat "$out/initramfs.log"; fail_early "initramfs"; }
boot_ok=1
"$here/boot.sh" "$kver" "$image_root" "$out/initrd.cpio.gz" "$out" || boot_ok=0
[ -f "$out/results.txt" ] || touch "$out/results.txt"
python3 "$here/check_results.py" "$out/results.txt" "$label-scenario" >"$out/check.log"
check_rc=$?
grep -v ': [0-9]* passed, [0-9]* failed$' "$out/check.log"
read -r p f < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/check.log")
p=${p:-0}
f=${f:-1}
# the build and the boot (no oops/WARN, scenario finished) count too
p=$((p + 1))
if [ $boot_ok -eq 1 ]; then p=$((p + 1)); else f=$((f + 1)); echo "FAIL: boot ($out/console.log)"; fi
echo "$label: $p passed, $f failed"
[ $check_rc -eq 0 ] && [ $boot_ok -eq 1 ]

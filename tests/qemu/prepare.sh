#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: prepare.sh KVER IMAGE_ROOT OUTDIR SCENARIO
#
# What a QEMU guest run needs, in OUTDIR: cvmstat.ko built against KVER's
# headers the way DKMS builds it (a copy of the module sources, W=1, any
# warning fails), the guest's programs (static, but for the cvmstat tool:
# libkmod has no static library in Debian, so build-initramfs.sh brings its
# shared libraries along), SCENARIO as /cvm/scenario.sh, and the initramfs
# OUTDIR/initrd.cpio.gz.  Prints one "FAIL: ..." line and exits 1 when
# something does not build.
#
# Environment: CVMSTAT_BUILD_ROOT, the root file system that builds for KVER
# (default /, this machine; tests/setup-newest.sh makes one for a kernel
# newer than this machine can build for).  The module and every guest
# program are built there (tests/in-root.sh), against its kernel headers
# and uapi headers.
#	       CVMSTAT_KDIR, the kernel build tree to build cvmstat.ko against
#	       (default /lib/modules/KVER/build; the debug kernel's is in its
#	       cache, see tests/debug-kernel/build.sh).
set -uo pipefail

[ $# -eq 4 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR SCENARIO" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
scenario=$4
kdir=${CVMSTAT_KDIR:-/lib/modules/$kver/build}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

build_root=${CVMSTAT_BUILD_ROOT:-/}

fail() {
	echo "FAIL: $*"
	exit 1
}

# The sources ($top) and this run's files ($out) at the same paths there.
in_build_root() {
	"$top/tests/in-root.sh" "$build_root" -b "$top" -b "$out" -- "$@"
}

rm -rf "$out"
mkdir -p "$out/src" "$out/files" "$out/tool"
make -s -C "$top" stage-module DEST="$out/src" || fail "staging the module sources"

# 1. the module, as DKMS builds it, warnings fatal
if ! in_build_root make -C "$kdir" M="$out/src" W=1 modules \
	>"$out/build.log" 2>&1; then
	tail -20 "$out/build.log"
	fail "cvmstat.ko does not build against $kver"
fi
if grep -E 'warning:|error:' "$out/build.log"; then
	fail "cvmstat.ko builds with warnings against $kver"
fi
cp "$out/src/kmod/cvmstat.ko" "$out/files/"

# 2. the guest's programs; the tool is built in a copy of userspace/, so
#    runs and a developer's own builds never share object files
cflags="-O2 -Wall -Wextra -Werror -static -I$top/kmod/include/uapi"
in_build_root gcc $cflags -pthread -o "$out/files/cvmload" "$top/tests/workload/cvmload.c" &&
in_build_root gcc $cflags -pthread -o "$out/files/haltload" "$top/tests/workload/haltload.c" &&
in_build_root gcc $cflags -o "$out/files/abi-test" "$top/tests/abi/abi-test.c" &&
in_build_root gcc $cflags -o "$out/files/perm-test" "$top/tests/abi/perm-test.c" &&
in_build_root gcc $cflags -pthread -o "$out/files/ioctl-fuzz" "$top/tests/fuzz/ioctl-fuzz.c" &&
in_build_root gcc $cflags -o "$out/files/vmcycle" "$top/tests/workload/vmcycle.c" &&
in_build_root gcc $cflags -o "$out/files/vmwatch" "$top/tests/stress/vmwatch.c" &&
in_build_root gcc $cflags -I"$top/userspace" -o "$out/files/cvmstat-read" \
	"$top/userspace/cvmstat-read.c" "$top/userspace/names.c" &&
cp -r "$top/userspace" "$out/tool/userspace" && cp "$top/VERSION" "$out/tool/" &&
ln -s "$top/kmod" "$out/tool/kmod" &&
in_build_root make -s -C "$out/tool/userspace" clean cvmstat >/dev/null &&
	cp "$out/tool/userspace/cvmstat" "$out/files/" ||
	fail "building the guest programs"
install -m 755 "$scenario" "$out/files/scenario.sh"
install -m 755 "$here/phased.sh" "$out/files/phased.sh"
install -m 644 "$here/sections.sh" "$out/files/sections.sh"

# 3. the initramfs
"$here/build-initramfs.sh" "$kver" "$image_root" "$out/files" "$out/initrd.cpio.gz" \
	2>"$out/initramfs.log" || { cat "$out/initramfs.log"; fail "initramfs"; }

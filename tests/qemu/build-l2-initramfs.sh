#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: build-l2-initramfs.sh OUT_CPIO_GZ
#
# The initramfs of the L2 guest (the Linux guest booted by QEMU with KVM
# inside the test kernel): busybox (static), which installs its applets at
# boot, and tests/qemu/l2-init as /init.  No modules: what it uses (serial
# console, /dev/port, ACPI power-off) is built into Debian's kernels.
set -euo pipefail

die() { echo "build-l2-initramfs: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUT_CPIO_GZ"
out=$1
here=$(cd "$(dirname "$0")" && pwd)
busybox=${CVMSTAT_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "no busybox at $busybox (install busybox-static)"

work=$(mktemp -d "${TMPDIR:-/tmp}/cvm-l2-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp}
cp "$busybox" "$work/bin/busybox"
install -m 755 "$here/l2-init" "$work/init"
mkdir -p "$(dirname "$out")"
(cd "$work" && find . -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"

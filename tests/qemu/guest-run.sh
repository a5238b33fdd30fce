#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: guest-run.sh KVER IMAGE_ROOT OUTDIR SHAPE MODE
#
# A real-guest run, for guest.sh (MODE test) and demo.sh (MODE demo):
# prepares and boots the test kernel KVER in QEMU (nested SVM, one CPU), in
# which guest-scenario.sh and l1-guest.sh run Debian's QEMU with KVM on a
# Linux guest (L2: KVER's own kernel, l2-init) of shape SHAPE (see
# l1-guest.sh).  The test kernel's QEMU gets two 9p shares: the host's root,
# read-only (tag hostroot), and OUTDIR/share, writable (tag out); paths are
# the host's, the same in the chroot.  OUTDIR then holds: results.txt and
# console.log (boot.sh), guest.conf (what l1-guest.sh reads), share/ (what
# the run saved).  Exit status: boot.sh's (0, or 1: the test kernel
# complained, timed out or its scenario failed), or 2 if something did not
# build (one "FAIL: ..." line).
#
# Environment: CVMSTAT_PREBUILT=DIR takes cvmstat.ko, cvmstat and
# cvmstat-read from DIR (run.sh's OUTDIR/files, built for KVER) instead of
# building them (prepare.sh); CVMSTAT_BUILD_ROOT as for prepare.sh;
# CVMSTAT_L2_TIMEOUT (seconds, default 300) for one guest run.
set -uo pipefail

[ $# -eq 5 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR SHAPE MODE" >&2; exit 2; }
kver=$1
image_root=$(realpath "$2")
out=$(realpath -m "$3")
shape=$4
mode=$5
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

fail() {
	echo "FAIL: $*"
	exit 2
}

case "$out$image_root" in
*[[:space:]\'\"]*) fail "paths must not hold spaces or quotes: $out $image_root" ;;
esac
export CVMSTAT_INITRAMFS_MODULES="kvm-amd virtio_pci 9pnet_virtio 9p"
if [ -n "${CVMSTAT_PREBUILT:-}" ]; then
	rm -rf "$out" && mkdir -p "$out/files" &&
	cp "$CVMSTAT_PREBUILT"/{cvmstat.ko,cvmstat,cvmstat-read} "$out/files/" &&
	install -m 755 "$here/guest-scenario.sh" "$out/files/scenario.sh" &&
	install -m 644 "$here/sections.sh" "$out/files/sections.sh" &&
	"$here/build-initramfs.sh" "$kver" "$image_root" "$out/files" "$out/initrd.cpio.gz" \
		2>"$out/initramfs.log" ||
		fail "the test kernel's initramfs from $CVMSTAT_PREBUILT (run.sh first)"
else
	"$here/prepare.sh" "$kver" "$image_root" "$out" "$here/guest-scenario.sh" ||
		fail "preparing the test kernel's initramfs"
fi

# The tools run in the chroot into this machine's root: built for it (a
# kernel newer than this machine builds for has its programs built in
# another root, CVMSTAT_BUILD_ROOT, with another C library).
mkdir -p "$out/host-tools" "$out/share"
if [ "$(realpath -m "${CVMSTAT_BUILD_ROOT:-/}")" = / ]; then
	cp "$out/files"/{cvmstat,cvmstat-read} "$out/host-tools/"
else
	cp -r "$top/userspace" "$top/VERSION" "$out/host-tools/" &&
	ln -s "$top/kmod" "$out/host-tools/kmod" &&
	make -s -C "$out/host-tools/userspace" clean cvmstat cvmstat-read >/dev/null &&
	cp "$out/host-tools/userspace"/{cvmstat,cvmstat-read} "$out/host-tools/"
fi || fail "the tools for this machine's root"

"$here/build-l2-initramfs.sh" "$out/l2-initrd.gz" || fail "the L2 initramfs"
for k in boot/vmlinuz-$kver usr/lib/modules/$kver/vmlinuz lib/modules/$kver/vmlinuz; do
	[ -f "$image_root/$k" ] && break
done
python3 "$here/vmlinux.py" "$image_root/$k" "$out/vmlinux" ||
	fail "unpacking vmlinux from $image_root/$k"

cat >"$out/guest.conf" <<END
tools=$out/host-tools
here=$here
share=$out/share
l2_kernel=$out/vmlinux
l2_initrd=$out/l2-initrd.gz
shape=$shape
l2_timeout=${CVMSTAT_L2_TIMEOUT:-300}
END

CVMSTAT_SMP=1 CVMSTAT_BOOT_TIMEOUT=${CVMSTAT_BOOT_TIMEOUT:-900} \
	CVMSTAT_APPEND_EXTRA="cvmguest=$out cvmguest_mode=$mode" \
	CVMSTAT_QEMU_EXTRA="-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
			    -virtfs local,path=$out/share,mount_tag=out,security_model=none" \
	"$here/boot.sh" "$kver" "$image_root" "$out/initrd.cpio.gz" "$out"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: build-initramfs.sh KVER IMAGE_ROOT FILES_DIR OUT_CPIO_GZ
#
# Builds a gzip'ed newc initramfs: busybox (static) with applet symlinks,
# tests/qemu/init as /init, kvm-amd and its dependencies (decompressed, with
# a fresh depmod) under /lib/modules/KVER, and FILES_DIR copied to /cvm.
set -euo pipefail

die() { echo "build-initramfs: $*" >&2; exit 1; }

[ $# -eq 4 ] || die "usage: $0 KVER IMAGE_ROOT FILES_DIR OUT_CPIO_GZ"
kver=$1
image_root=$(cd "$2" && pwd) || die "no IMAGE_ROOT $2"
files_dir=$(cd "$3" && pwd) || die "no FILES_DIR $3"
out=$4
here=$(cd "$(dirname "$0")" && pwd)
busybox=${CVMSTAT_BUSYBOX:-/bin/busybox}
mods="$image_root/lib/modules/$kver"

[ -d "$mods/kernel" ] || die "no modules in $mods"
[ -x "$busybox" ] || die "no busybox at $busybox (install busybox-static)"
if command -v file >/dev/null; then
	file -L "$busybox" | grep -q 'statically linked' ||
		die "$busybox is not statically linked"
fi
for t in cpio depmod modprobe xz zstd gzip; do
	command -v "$t" >/dev/null || die "missing tool $t"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/cvm-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Resolve kvm-amd's dependencies on a scratch copy of the module tree (the
# packaged tree has no modules.dep; leave the cache untouched). Hard links
# when possible, they are cheap.
scratch="$work/depmod"
mkdir -p "$scratch/lib/modules"
cp -al "$mods" "$scratch/lib/modules/" 2>/dev/null ||
	cp -a "$mods" "$scratch/lib/modules/"
depmod -b "$scratch" "$kver"
deps=$(modprobe -d "$scratch" -S "$kver" --show-depends kvm-amd |
	sed -n 's/^insmod \([^ ]*\).*/\1/p')
[ -n "$deps" ] || die "modprobe --show-depends kvm-amd found nothing"

root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,cvm,etc}
mkdir -p "$root/lib/modules/$kver"

# busybox and its applets
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r app; do
	[ "$app" = bin/busybox ] && continue
	mkdir -p "$root/$(dirname "$app")"
	ln -sf /bin/busybox "$root/$app"
done
[ -e "$root/bin/sh" ] || die "busybox has no sh applet"

install -m 755 "$here/init" "$root/init"

# modules, decompressed to plain .ko at their usual relative path
for m in $deps; do
	rel=${m#"$scratch/lib/modules/$kver/"}
	[ "$rel" != "$m" ] || die "unexpected module path $m"
	dst="$root/lib/modules/$kver/${rel%.xz}"
	dst=${dst%.zst}
	mkdir -p "$(dirname "$dst")"
	case "$m" in
	*.ko.xz) xz -dc "$m" >"$dst" ;;
	*.ko.zst) zstd -q -dc "$m" >"$dst" ;;
	*.ko) cp "$m" "$dst" ;;
	*) die "unknown module format $m" ;;
	esac
	echo "build-initramfs: module $rel" >&2
done
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -f "$mods/$f" ] && cp "$mods/$f" "$root/lib/modules/$kver/"
done
depmod -b "$root" "$kver"
grep -q 'kvm-amd.ko:' "$root/lib/modules/$kver/modules.dep" ||
	die "kvm-amd missing from the initramfs modules.dep"

cp -a "$files_dir/." "$root/cvm/"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs: wrote $out ($(du -h "$out" | cut -f1))" >&2

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: build-initramfs.sh KVER IMAGE_ROOT FILES_DIR OUT_CPIO_GZ
#
# Builds a gzip'ed newc initramfs: busybox (static) with applet symlinks,
# tests/qemu/init as /init, kvm-amd and its dependencies (decompressed, with
# a fresh depmod) under /lib/modules/KVER, and FILES_DIR copied to /cvm.
# CVMSTAT_INITRAMFS_MODULES names the modules instead of kvm-amd (with
# their dependencies too; those without a module file, built into KVER,
# are left out).
# FILES_DIR/cvmstat.ko also goes where DKMS installs it
# (/lib/modules/KVER/updates/dkms), so that libkmod finds it by name; the
# shared libraries of FILES_DIR's dynamically linked programs (cvmstat:
# libkmod has no static library) go to the paths ldd gives, with the
# dynamic loader.  IMAGE_ROOT holds the modules under lib/modules/KVER or
# usr/lib/modules/KVER.
#
# Environment: CVMSTAT_BUILD_ROOT, the root file system the programs were
# built in (tests/in-root.sh; default /): their libraries come from there.
set -euo pipefail

die() { echo "build-initramfs: $*" >&2; exit 1; }

[ $# -eq 4 ] || die "usage: $0 KVER IMAGE_ROOT FILES_DIR OUT_CPIO_GZ"
kver=$1
image_root=$(cd "$2" && pwd) || die "no IMAGE_ROOT $2"
files_dir=$(cd "$3" && pwd) || die "no FILES_DIR $3"
out=$4
here=$(cd "$(dirname "$0")" && pwd)
busybox=${CVMSTAT_BUSYBOX:-/bin/busybox}
build_root=$(realpath -m "${CVMSTAT_BUILD_ROOT:-/}")
mods="$image_root/lib/modules/$kver"
[ -d "$mods" ] || mods="$image_root/usr/lib/modules/$kver"

[ -d "$mods/kernel" ] || die "no modules in $mods"
[ -x "$busybox" ] || die "no busybox at $busybox (install busybox-static)"
if command -v file >/dev/null; then
	file -L "$busybox" | grep -q 'statically linked' ||
		die "$busybox is not statically linked"
fi
for t in cpio depmod modprobe xz zstd gzip ldd; do
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
wanted=${CVMSTAT_INITRAMFS_MODULES:-kvm-amd}
deps=
for w in $wanted; do
	if [ "$w" != kvm-amd ] && [ -z "$(find "$scratch/lib/modules/$kver" \( -name "$w.ko*" \
		-o -name "${w//_/-}.ko*" -o -name "${w//-/_}.ko*" \) -print -quit)" ]; then
		# not a module file: built in (not every tree has modules.builtin
		# to tell), or missing, which the guest will find out
		echo "build-initramfs: $w is no module file of $kver, left out" >&2
		continue
	fi
	d=$(modprobe -d "$scratch" -S "$kver" --show-depends "$w") ||
		die "modprobe --show-depends $w failed"
	deps+=" $(echo "$d" | sed -n 's/^insmod \([^ ]*\).*/\1/p')"
done
deps=$(echo $deps | tr ' ' '\n' | awk '!seen[$0]++')
echo "$deps" | grep -q '/kvm-amd\.ko' || die "modprobe --show-depends kvm-amd found nothing"

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
# cvmstat.ko as DKMS installs it, for `cvmstat load` (modprobe by name)
if [ -f "$files_dir/cvmstat.ko" ]; then
	install -D -m 644 "$files_dir/cvmstat.ko" \
		"$root/lib/modules/$kver/updates/dkms/cvmstat.ko"
fi
depmod -b "$root" "$kver"
grep -q 'kvm-amd.ko:' "$root/lib/modules/$kver/modules.dep" ||
	die "kvm-amd missing from the initramfs modules.dep"
if [ -f "$files_dir/cvmstat.ko" ]; then
	grep -q '^updates/dkms/cvmstat.ko:' "$root/lib/modules/$kver/modules.dep" ||
		die "cvmstat missing from the initramfs modules.dep"
fi

cp -a "$files_dir/." "$root/cvm/"

# Shared libraries of the dynamically linked programs, at the paths ldd
# resolved them to in the build root (the loader searches there without an
# ld.so.cache), and the dynamic loader at the path the programs name
# (/lib64/...).  Static programs and scripts make ldd fail: nothing to copy.
for f in "$files_dir"/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	libs=$("$here/../in-root.sh" "$build_root" -b "$files_dir" -- ldd "$f" 2>/dev/null) ||
		continue
	for lib in $(echo "$libs" | sed -n -e 's/^.*=> \(\/[^ ]*\) (0x[0-9a-f]*)$/\1/p' \
				 -e 's/^[[:space:]]*\(\/[^ ]*\) (0x[0-9a-f]*)$/\1/p'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		# read in the build root: its symbolic links resolve there
		"$here/../in-root.sh" "$build_root" -- cat "$lib" >"$root$lib"
		chmod 755 "$root$lib"
		echo "build-initramfs: library $lib (for $(basename "$f"))" >&2
	done
	if echo "$libs" | grep -q 'not found'; then
		die "$(basename "$f"): $(echo "$libs" | grep 'not found' | head -1)"
	fi
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs: wrote $out ($(du -h "$out" | cut -f1))" >&2

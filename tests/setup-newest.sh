#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The newest kernel, one this machine cannot build for: Debian 13's newest
# 7.x from trixie-backports.  Its headers want trixie's gcc-14 and libc, so
# the module, the tool and DKMS are built for it in a trixie root file
# system (debootstrap --variant=minbase, the mirror this machine's apt
# sources name), which holds linux-headers-KVER, linux-libc-dev of the same
# version (the tool's uapi headers), gcc-14, make, dkms, libkmod-dev,
# libcsv-dev, pkg-config, and clang and perl for tests/clang-check.sh.  Its image (linux-binary-KVER: vmlinuz under
# /usr/lib/modules/KVER/) and modules (linux-modules-KVER) are unpacked for
# booting, not installed (linux-image-KVER is an empty metapackage that
# drags in an initramfs generator and systemd).
#
# Everything goes to CVMSTAT_CACHE (default tests/.cache), like setup.sh's
# kernels: the root to trixie/ (about 950 MB, 2 minutes), the kernel to
# kernels/KVER/root.  Idempotent: once both are there, a run reuses them
# without the network.  Needs debootstrap (setup.sh installs it).
# CVMSTAT_NEWEST_SERIES (default "7.") is the version prefix looked for.
#
# Output (stdout): "KVER<TAB>IMAGE_DIR<TAB>BUILD_ROOT", the format of
# setup.sh's lines plus the root to build in (tests/in-root.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=$(realpath -m "${CVMSTAT_CACHE:-$here/.cache}")
series=${CVMSTAT_NEWEST_SERIES:-7.}
suite=trixie
sysroot=$cache/$suite
ready=$sysroot/.cvmstat-ready	# "KVER PACKAGE..." set up in it
# What the builds need besides linux-headers-KVER and linux-libc-dev.
pkgs="gcc-14 gcc make libc6-dev libkmod-dev libcsv-dev pkg-config dkms kmod xz-utils clang perl"

log() { echo "setup-newest: $*" >&2; }
die() { log "$*"; exit 1; }
in_root() { "$here/in-root.sh" "$sysroot" "$@"; }

mkdir -p "$cache/kernels"
# One setup at a time per cache (helpers and CI may share one).
exec 9>"$cache/.$suite.lock"
flock 9

image_ok() { [ -f "$cache/kernels/$1/done" ]; }
headers_ok() { [ -e "$sysroot/usr/lib/modules/$1/build/Makefile" ]; }

if [ -f "$ready" ]; then
	read -r kver had <"$ready"
	if [ "$had" = "$pkgs" ] && image_ok "$kver" && headers_ok "$kver"; then
		printf '%s\t%s\t%s\n' "$kver" "$cache/kernels/$kver/root" "$sysroot"
		exit 0
	fi
fi

# The Debian archive this machine's apt sources name (not the security
# archive), as apt itself resolved it.
mirror_of_sources() {
	apt-get indextargets 'Identifier: Packages' \
		--format '$(REPO_URI) $(LABEL) $(TARGET_OF)' 2>/dev/null |
		awk '$2 == "Debian" && $3 == "deb" { print $1; exit }'
}

if [ ! -f "$sysroot/.cvmstat-bootstrapped" ]; then
	command -v debootstrap >/dev/null || die "debootstrap is not installed (tests/setup.sh installs it)"
	mirror=$(mirror_of_sources)
	if [ -z "$mirror" ]; then
		apt-get update -qq >&2
		mirror=$(mirror_of_sources)
	fi
	[ -n "$mirror" ] || die "no Debian archive in this machine's apt sources"
	log "debootstrap --variant=minbase $suite into $sysroot"
	# in-root.sh's mounts live in private namespaces: nothing is mounted
	# under these directories here, so removing them is safe.
	rm -rf "$sysroot" "$sysroot.tmp"
	debootstrap --variant=minbase "$suite" "$sysroot.tmp" "$mirror" \
		>"$cache/$suite-debootstrap.log" 2>&1 ||
		{ tail -5 "$cache/$suite-debootstrap.log" >&2; die "debootstrap failed"; }
	printf 'deb %s %s main\ndeb %s %s-backports main\n' \
		"$mirror" "$suite" "$mirror" "$suite" >"$sysroot.tmp/etc/apt/sources.list"
	touch "$sysroot.tmp/.cvmstat-bootstrapped"
	mv "$sysroot.tmp" "$sysroot"
fi

log "apt-get update in $sysroot"
in_root -- apt-get update -qq >&2

# Newest ABI of the series with headers, image and modules, plain amd64
# flavour ("7.3.4+deb13-amd64"), as setup.sh resolves 6.1 and 6.12.
re="^${series//./\\.}[0-9.]*\+deb[0-9]+-amd64\$"
kver=""
for v in $(in_root -- apt-cache search --names-only "^linux-headers-${series//./\\.}" |
	   sed -n 's/^linux-headers-\([^ ]*\) .*/\1/p' | grep -E "$re" | sort -V -r); do
	if in_root -- apt-cache show "linux-binary-$v" "linux-modules-$v" >/dev/null 2>&1; then
		kver=$v
		break
	fi
done
[ -n "$kver" ] || die "no $series kernel with headers, binary and modules in $suite(-backports)"
version=$(in_root -- apt-cache show --no-all-versions "linux-headers-$kver" |
	  sed -n 's/^Version: //p')
[ -n "$version" ] || die "no version of linux-headers-$kver"

if ! headers_ok "$kver" || [ ! -f "$ready" ] || [ "$(cat "$ready")" != "$kver $pkgs" ]; then
	log "installing linux-headers-$kver, linux-libc-dev $version and the build tools in $sysroot"
	# shellcheck disable=SC2086
	in_root -- env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "linux-headers-$kver" "linux-libc-dev=$version" \
		$pkgs >&2
	in_root -- apt-get clean
fi
headers_ok "$kver" || die "linux-headers-$kver installed no build tree"

dir=$cache/kernels/$kver
if ! image_ok "$kver"; then
	log "unpacking linux-binary-$kver and linux-modules-$kver into $dir"
	rm -rf "$dir" && mkdir -p "$dir"
	in_root -b "$dir" -- sh -c 'cd "$1" && apt-get download -qq "linux-binary-$2" "linux-modules-$2" &&
		for d in ./*.deb; do dpkg-deb -x "$d" root; done && rm -f ./*.deb' \
		sh "$dir" "$kver" >&2
	touch "$dir/done"
fi
echo "$kver $pkgs" >"$ready"
printf '%s\t%s\t%s\n' "$kver" "$dir/root" "$sysroot"

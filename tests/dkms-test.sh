#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: dkms-test.sh KVER...
#
# `make dkms-install`, then `dkms build` and `dkms install` for each kernel
# (its headers installed by tests/setup.sh), check the installed module and
# that DKMS's clean left no build product behind, and remove it all again.
# Also the clean `make clean` runs, after a build of a copy of the tree,
# leaves only sources.
# Ends with "dkms: N passed, N failed".
#
# Environment: CVMSTAT_BUILD_ROOT, the root file system that builds for
# these kernels (default /, this machine; tests/setup-newest.sh makes one
# for a newer kernel, with DKMS and the headers installed in it): the whole
# test then runs in there (tests/in-root.sh).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(realpath -m "${CVMSTAT_BUILD_ROOT:-/}")" != / ]; then
	exec "$top/tests/in-root.sh" "$CVMSTAT_BUILD_ROOT" -b "$top" -- \
		bash "$top/tests/dkms-test.sh" "$@"
fi
version=$(cat "$top/VERSION")
p=0
f=0
check() {
	if "$@" >>"$log" 2>&1; then
		p=$((p + 1))
	else
		f=$((f + 1))
		echo "FAIL: $*"
		tail -5 "$log"
	fi
}
log=$(mktemp)
tree=$(mktemp -d)
# DKMS state is global: one at a time with deb-test.sh
exec 9>/run/lock/cvmstat-dkms.lock
flock 9
trap 'make -s -C "$top" dkms-remove >/dev/null 2>&1; rm -rf "$log" "$tree"' EXIT

# Build products in DIR: what `make clean` and DKMS's CLEAN must remove.
no_products() {
	local left
	left=$(find "$1" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o \
		-name '*.mod.c' -o -name '.*.cmd' -o -name modules.order -o \
		-name Module.symvers \) -print)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

make -s -C "$top" dkms-remove >/dev/null 2>&1
check make -s -C "$top" dkms-install
for kver in "$@"; do
	check dkms build -m cvmstat -v "$version" -k "$kver"
	check dkms install -m cvmstat -v "$version" -k "$kver" --force
	mod=$(find "/lib/modules/$kver/updates/dkms" -name 'cvmstat.ko*' 2>/dev/null | head -n1)
	check test -n "$mod"
	check sh -c "modinfo '$mod' | grep -q '^vermagic: *$kver '"
	check sh -c "modinfo '$mod' | grep -q '^version: *$version\$'"
	check no_products "/var/lib/dkms/cvmstat/$version/build"
	check sh -c "! grep -q 'Cleaning build area.*bad exit' '/var/lib/dkms/cvmstat/$version/build/make.log' 2>/dev/null"
	rm -rf "${tree:?}"/*
	check make -s -C "$top" stage-module DEST="$tree"
	check make -s -C "/lib/modules/$kver/build" M="$tree" modules
	check test -f "$tree/kmod/cvmstat.ko"
	check make -s -C "/lib/modules/$kver/build" M="$tree" clean
	check no_products "$tree"
done
check make -s -C "$top" dkms-remove
echo "dkms: $p passed, $f failed"
[ "$f" -eq 0 ]

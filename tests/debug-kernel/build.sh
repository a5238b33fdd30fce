#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: build.sh
#
# Builds the debug kernel (KASAN, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP,
# DEBUG_PREEMPT, KMEMLEAK; KVM and kvm-amd as modules) from Debian's
# linux-source-6.12, the newest the machine's apt sources offer, with the
# configuration tests/debug-kernel/config on top of the Kconfig defaults.
# The result is cached outside the clone, in
#   ${CVMSTAT_DEBUG_CACHE:-/var/cache/cvmstat/debug-kernel}/KEY/
# KEY being a hash of the source package version, the configuration, the
# compiler version and BUILD_RECIPE below, so a second run on the same
# machine reuses it.  A cache entry holds
#   root/boot/vmlinuz-KVER, root/lib/modules/KVER/   (what boot.sh and
#                                     build-initramfs.sh take as IMAGE_ROOT)
#   build/                            the build tree, the KDIR for building
#                                     cvmstat.ko out of tree
#   build-time.txt                    wall, user and sys seconds of the build
# Installs what the build needs with apt-get.  Concurrent runs wait for
# each other (flock).
#
# Output (stdout): one line "KVER<TAB>IMAGE_ROOT<TAB>KDIR".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/config
cache=${CVMSTAT_DEBUG_CACHE:-/var/cache/cvmstat/debug-kernel}
jobs=${CVMSTAT_JOBS:-$(nproc)}
# Change when the recipe below changes in a way that needs a rebuild.
BUILD_RECIPE=1

log() { echo "debug-kernel: $*" >&2; }
die() { log "$*"; exit 1; }

need_pkgs=(linux-source-6.12 gcc make bc bison flex libelf-dev libssl-dev
	   xz-utils kmod cpio python3)
apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	log "apt-get update"
	apt-get update -qq >&2
	apt_updated=1
}
installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		sed -n 's/^install ok installed //p'
}

# The newest linux-source-6.12 the apt sources offer (refresh the lists
# once when the package is unknown), and everything else the build needs.
candidate=$(apt-cache policy linux-source-6.12 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
	apt_update
	candidate=$(apt-cache policy linux-source-6.12 | sed -n 's/^ *Candidate: //p')
fi
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
	die "no linux-source-6.12 package in the apt sources"
fi
missing=()
for p in "${need_pkgs[@]}"; do
	v=$(installed_version "$p")
	if [ -z "$v" ] || { [ "$p" = linux-source-6.12 ] && [ "$v" != "$candidate" ]; }; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=600 "${missing[@]}" >&2 ||
		{ apt_update; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >&2; }
fi
srcver=$(installed_version linux-source-6.12)
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "linux-source-6.12 $srcver has no $tarball"

key=$( { echo "recipe $BUILD_RECIPE"; echo "source $srcver";
	 gcc -dumpfullversion; ld --version | head -n1; cat "$fragment"; } |
	sha256sum | cut -c1-16)
entry=$cache/$key
mkdir -p "$cache"
exec 9>"$cache/$key.lock"
if ! flock -n 9; then
	log "another run is building $entry, waiting"
	flock 9
fi

if [ -f "$entry/done" ]; then
	kver=$(cat "$entry/done")
	log "cached: $kver (linux-source-6.12 $srcver) in $entry"
	printf '%s\t%s\t%s\n' "$kver" "$entry/root" "$entry/build"
	exit 0
fi

log "building linux-source-6.12 $srcver into $entry"
rm -rf "$entry"
mkdir -p "$entry"
tar -C "$entry" -xf "$tarball"
mv "$entry/linux-source-6.12" "$entry/build"
cd "$entry/build"

# Everything at its Kconfig default but what the fragment says.
make -s KCONFIG_ALLCONFIG="$fragment" alldefconfig >&2
bad=0
while IFS= read -r line; do
	case $line in
	"# CONFIG_"*" is not set")
		k=${line#\# }
		k=${k%% *}
		if grep -q "^$k=" .config; then
			log "config: $k is set, the fragment wants it unset"
			bad=1
		fi
		;;
	CONFIG_*)
		if ! grep -qxF "$line" .config; then
			log "config: $line did not hold ($(grep "^${line%%=*}=" .config || echo unset))"
			bad=1
		fi
		;;
	esac
done <"$fragment"
[ $bad -eq 0 ] || die "the configuration does not hold; see $fragment"
cp .config "$entry/config"

TIMEFORMAT='%R %U %S'
{ time make -j"$jobs" bzImage modules >"$entry/build.log" 2>&1; } 2>"$entry/time.raw" ||
	{ tail -30 "$entry/build.log" >&2; die "kernel build failed (log $entry/build.log)"; }
read -r wall user sys <"$entry/time.raw"
kver=$(make -s kernelrelease)
printf 'wall %s user %s sys %s jobs %s cpus %s\n' "$wall" "$user" "$sys" "$jobs" "$(nproc)" \
	>"$entry/build-time.txt"
log "built $kver in ${wall}s wall, ${user}s user + ${sys}s sys (-j$jobs)"

mkdir -p "$entry/root/boot"
cp arch/x86/boot/bzImage "$entry/root/boot/vmlinuz-$kver"
cp .config "$entry/root/boot/config-$kver"
cp System.map "$entry/root/boot/System.map-$kver"
make -s INSTALL_MOD_PATH="$entry/root" modules_install >&2
# the installed tree points at this build tree, as Debian's headers do
rm -f "$entry/root/lib/modules/$kver/build" "$entry/root/lib/modules/$kver/source"
ln -s "$entry/build" "$entry/root/lib/modules/$kver/build"
echo "$kver" >"$entry/done"
printf '%s\t%s\t%s\n' "$kver" "$entry/root" "$entry/build"

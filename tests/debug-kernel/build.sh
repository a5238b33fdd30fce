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
# machine reuses it.  When the archive has moved on to a newer
# linux-source-6.12 than any entry holds, an entry of an older 6.12 is
# reused if it was built by this compiler, with this recipe and with every
# line of the configuration holding (its .config says): a security update
# would otherwise cost a 50-minute rebuild of a kernel whose point
# release does not matter to the tests.  CVMSTAT_DEBUG_EXACT=1 insists on
# the newest source.  A cache entry holds
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

# what building the kernel and modules against it needs; linux-source-6.12
# itself only when the cache has no kernel to give
need_pkgs=(gcc make bc bison flex libelf-dev libssl-dev xz-utils kmod cpio
	   python3)
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
# once when the package is unknown).
candidate=$(apt-cache policy linux-source-6.12 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
	apt_update
	candidate=$(apt-cache policy linux-source-6.12 | sed -n 's/^ *Candidate: //p')
fi
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
	die "no linux-source-6.12 package in the apt sources"
fi

# apt-get install "$@" (once more after refreshing the lists if it fails)
install_pkgs() {
	log "installing $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=600 "$@" >&2 ||
		{ apt_update; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >&2; }
}
missing=()
for p in "${need_pkgs[@]}"; do
	[ -n "$(installed_version "$p")" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || install_pkgs "${missing[@]}"

# Whether every line of the configuration fragment holds in .config file
# $1 (a "# ... is not set" line: the option is not set); says which not.
config_holds() {
	local line k bad=0
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*" is not set")
			k=${line#\# }
			k=${k%% *}
			if grep -q "^$k=" "$1"; then
				log "config: $k is set, the fragment wants it unset"
				bad=1
			fi
			;;
		CONFIG_*)
			if ! grep -qxF "$line" "$1"; then
				log "config: $line did not hold ($(grep "^${line%%=*}=" "$1" || echo unset))"
				bad=1
			fi
			;;
		esac
	done <"$fragment"
	return $bad
}

cache_key() {
	{ echo "recipe $BUILD_RECIPE"; echo "source $1";
	  gcc -dumpfullversion; ld --version | head -n1; cat "$fragment"; } |
		sha256sum | cut -c1-16
}

use_entry() {
	printf '%s\t%s\t%s\n' "$(cat "$1/done")" "$1/root" "$1/build"
	exit 0
}

mkdir -p "$cache"
key=$(cache_key "$candidate")
entry=$cache/$key
exec 9>"$cache/$key.lock"
if ! flock -n 9; then
	log "another run is building $entry, waiting"
	flock 9
fi
if [ -f "$entry/done" ]; then
	log "cached: $(cat "$entry/done") (linux-source-6.12 $candidate) in $entry"
	use_entry "$entry"
fi

# An older 6.12 built the same way (entries before the recipe file was
# written are recipe 1, the only recipe there was).  Its .config names the
# compiler that built it: the module is built with this machine's.
if [ "${CVMSTAT_DEBUG_EXACT:-0}" != 1 ]; then
	cc=$(gcc --version | head -n1)
	for d in $(ls -d "$cache"/*/ 2>/dev/null); do
		d=${d%/}
		[ -f "$d/done" ] && [ -f "$d/config" ] || continue
		[ "$(cat "$d/recipe" 2>/dev/null || echo 1)" = "$BUILD_RECIPE" ] || continue
		grep -qxF "CONFIG_CC_VERSION_TEXT=\"$cc\"" "$d/config" || continue
		config_holds "$d/config" 2>/dev/null || continue
		printf '%s\t%s\n' "$(cat "$d/done")" "$d"
	done | sort -V -r -k1,1 >"$cache/.older.$$"
	read -r okver older <"$cache/.older.$$" || true
	rm -f "$cache/.older.$$"
	if [ -n "${older:-}" ]; then
		log "cached: $okver in $older, built from an older linux-source-6.12" \
			"than the archive's $candidate (CVMSTAT_DEBUG_EXACT=1 rebuilds)"
		use_entry "$older"
	fi
fi

[ "$(installed_version linux-source-6.12)" = "$candidate" ] ||
	install_pkgs linux-source-6.12
srcver=$(installed_version linux-source-6.12)
# the lists refreshed by the install may have named a newer candidate
if [ "$srcver" != "$candidate" ]; then
	key=$(cache_key "$srcver")
	entry=$cache/$key
	exec 9>"$cache/$key.lock"
	flock 9
	[ -f "$entry/done" ] && use_entry "$entry"
fi
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "linux-source-6.12 $srcver has no $tarball"

log "building linux-source-6.12 $srcver into $entry"
rm -rf "$entry"
mkdir -p "$entry"
tar -C "$entry" -xf "$tarball"
mv "$entry/linux-source-6.12" "$entry/build"
cd "$entry/build"

# Everything at its Kconfig default but what the fragment says.
make -s KCONFIG_ALLCONFIG="$fragment" alldefconfig >&2
config_holds .config || die "the configuration does not hold; see $fragment"
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
echo "$BUILD_RECIPE" >"$entry/recipe"
echo "$kver" >"$entry/done"
printf '%s\t%s\t%s\n' "$kver" "$entry/root" "$entry/build"

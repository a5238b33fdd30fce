#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what the build and the QEMU tests need, with apt-get, and unpacks
# the newest Debian 12 kernel of each target series into tests/.cache/.
# Idempotent: a second run does nothing but print the kernels it resolved.
#
# Output (stdout): one line per kernel series, "KVER<TAB>IMAGE_DIR".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${CVMSTAT_CACHE:-$here/.cache}
series=${CVMSTAT_SERIES:-"6.1.0- 6.12."}

log() { echo "setup: $*" >&2; }

# python3-pandas and r-base-core load the recordings as a researcher would
# (check_frames.sh); bash-completion tests the completion with its helpers;
# debootstrap makes the root that builds for the newest kernel
# (setup-newest.sh); trace-cmd extracts the kernel's own trace, the oracle
# of the real-guest test (guest.sh); debhelper, dh-dkms and lintian build
# and check the Debian packages; python3-matplotlib draws `cvmstat plot`;
# bpftrace and linux-perf are cvmstat's peers in the overhead benchmark
# (tests/bench/bench.sh), run in the guest from this machine's root.
need_pkgs=(qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	   libkmod-dev libcsv-dev pkg-config python3 gcc make libc6-dev
	   dkms python3-pandas r-base-core bash-completion clang perl
	   debootstrap trace-cmd debhelper dh-dkms lintian python3-matplotlib
	   bpftrace linux-perf)
missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	log "apt-get update"
	apt-get update -qq >&2
	apt_updated=1
}

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
fi

# Prometheus and node_exporter for tests/prom-test.sh, systemd (not as
# init: its systemd-analyze) and man-db to verify the packaged units in
# tests/deb-test.sh: optional (those parts say SKIP or NOTE without them),
# so a mirror without them fails nothing else.
for p in prometheus prometheus-node-exporter systemd man-db; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" && continue
	apt_update
	log "installing $p"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >&2 ||
		log "$p cannot be installed: the tests that need it will be skipped"
done

# Plain amd64 flavour only ("6.1.0-56", "6.12.117+deb12"), never -rt or -cloud.
headers_of() {
	local re="^${1//./\\.}[0-9]+(\+deb[0-9]+)?\$"
	apt-cache search --names-only "^linux-headers-$1" |
		sed -n 's/^linux-headers-\([^ ]*\)-amd64 .*/\1/p' |
		grep -E "$re" | sort -V -r
}

# The package that holds KVER's kernel image: the signed one, or, while a
# security update has only reached the archive unsigned (the signed name is
# then a virtual package the unsigned one provides, which apt-cache show
# accepts and apt-get download refuses), the unsigned one: the same kernel.
# apt-cache madison lists real packages only.
image_pkg() {
	local p
	for p in "linux-image-$1" "linux-image-$1-unsigned"; do
		if [ -n "$(apt-cache madison "$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Newest ABI of a series that has both an image and a headers package.
# Old ABIs leave the archive, so never pin one.
resolve_kver() {
	local prefix=$1 list v
	list=$(headers_of "$prefix")
	if [ -z "$list" ]; then
		apt_update
		list=$(headers_of "$prefix")
	fi
	for v in $list; do
		if image_pkg "$v-amd64" >/dev/null; then
			echo "$v-amd64"
			return 0
		fi
	done
	return 1
}

mkdir -p "$cache/kernels"
for s in $series; do
	kver=""
	# Reuse an already unpacked kernel of this series when present.
	for d in $(ls -d "$cache/kernels/${s}"*-amd64 2>/dev/null |
		   grep -v -e '-rt-amd64$' -e '-cloud-amd64$' | sort -V -r); do
		if [ -f "$d/done" ] && [ -d "/lib/modules/$(basename "$d")/build" ]; then
			kver=$(basename "$d")
			break
		fi
	done
	if [ -z "$kver" ]; then
		kver=$(resolve_kver "$s") || { log "no kernel found for series $s"; exit 1; }
	fi
	dir="$cache/kernels/$kver"
	if [ ! -d "/lib/modules/$kver/build" ]; then
		apt_update
		log "installing linux-headers-$kver"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"linux-headers-$kver" >&2
	fi
	if [ ! -f "$dir/done" ]; then
		log "unpacking linux-image-$kver into $dir"
		rm -rf "$dir" && mkdir -p "$dir"
		pkg=$(image_pkg "$kver") || { apt_update; pkg=$(image_pkg "$kver"); } ||
			{ log "no image package for $kver"; exit 1; }
		(cd "$dir" && apt-get download -qq "$pkg" >&2)
		dpkg-deb -x "$dir"/linux-image-*.deb "$dir/root"
		rm -f "$dir"/linux-image-*.deb
		touch "$dir/done"
	fi
	printf '%s\t%s\n' "$kver" "$dir/root"
done

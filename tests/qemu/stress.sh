#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: stress.sh KVER IMAGE_ROOT OUTDIR [full|check]
#
# The stress test on one kernel (any kernel run.sh takes, the debug one
# too): builds cvmstat.ko and the guest's programs (prepare.sh), boots
# stress-scenario.sh in QEMU and checks the results (check_stress.py).
# Ends with "stress-KVER: N passed, N failed".
#
# Sizes: "full" (default) is the issue's: 1000 VM create/destroy cycles,
# 10^6 random ioctls from 4 threads, 100 kvm/kvm-amd reloads, 50 cvmstat
# reloads under running VMs.  "check" is what `make check` runs on every
# kernel (see tests/check.sh for why): 200 cycles, 10^5 ioctls, 20 and 10
# reloads.  Each size can be set on its own: CVMSTAT_STRESS_CYCLES,
# _IOCTLS, _THREADS, _KVM_RELOADS, _CVM_RELOADS; CVMSTAT_STRESS_SEED
# replays a fuzzer run (the seed of every run is in its results).
#
# CVMSTAT_PREBUILT=DIR takes the module and the guest's programs from DIR
# (run.sh's OUTDIR/files, built for KVER) instead of building them.
set -uo pipefail

[ $# -eq 3 ] || [ $# -eq 4 ] ||
	{ echo "usage: $0 KVER IMAGE_ROOT OUTDIR [full|check]" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
size=${4:-full}
here=$(cd "$(dirname "$0")" && pwd)
label="stress-$kver"

case $size in
full) cycles=1000 ioctls=1000000 kvm_reloads=100 cvm_reloads=50 timeout=5400 ;;
check) cycles=200 ioctls=100000 kvm_reloads=20 cvm_reloads=10 timeout=1800 ;;
*) echo "usage: $0 KVER IMAGE_ROOT OUTDIR [full|check]" >&2; exit 2 ;;
esac
cycles=${CVMSTAT_STRESS_CYCLES:-$cycles}
ioctls=${CVMSTAT_STRESS_IOCTLS:-$ioctls}
threads=${CVMSTAT_STRESS_THREADS:-4}
kvm_reloads=${CVMSTAT_STRESS_KVM_RELOADS:-$kvm_reloads}
cvm_reloads=${CVMSTAT_STRESS_CVM_RELOADS:-$cvm_reloads}
seed=${CVMSTAT_STRESS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
for v in "$cycles" "$ioctls" "$threads" "$kvm_reloads" "$cvm_reloads" "$seed"; do
	[[ "$v" =~ ^[0-9]+$ ]] || { echo "$0: bad size '$v'" >&2; exit 2; }
done

fail_early() {
	echo "FAIL: $*"
	echo "$label: 0 passed, 1 failed"
	exit 1
}

# The scenario, its sizes in front.
mkdir -p "$out.tmp"
scenario="$out.tmp/stress-scenario.sh"
{
	echo '#!/bin/sh'
	echo "CYCLES=$cycles IOCTLS=$ioctls THREADS=$threads SEED=$seed"
	echo "KVM_RELOADS=$kvm_reloads CVM_RELOADS=$cvm_reloads"
	sed 1d "$here/stress-scenario.sh"
} >"$scenario"
if [ -n "${CVMSTAT_PREBUILT:-}" ]; then
	if ! { rm -rf "$out" && mkdir -p "$out/files" &&
	       cp -a "$CVMSTAT_PREBUILT/." "$out/files/" &&
	       install -m 755 "$scenario" "$out/files/scenario.sh" &&
	       "$here/build-initramfs.sh" "$kver" "$image_root" "$out/files" \
		       "$out/initrd.cpio.gz" 2>"$out/initramfs.log"; }; then
		fail_early "the initramfs from $CVMSTAT_PREBUILT (run.sh first)"
	fi
else
	"$here/prepare.sh" "$kver" "$image_root" "$out" "$scenario" ||
		fail_early "preparing the guest"
fi
rm -rf "$out.tmp"
echo "stress: $size sizes: $cycles cycles, $ioctls ioctls ($threads threads, seed $seed)," \
	"$kvm_reloads kvm reloads, $cvm_reloads cvmstat reloads"
CVMSTAT_BOOT_TIMEOUT=${CVMSTAT_BOOT_TIMEOUT:-$timeout} \
	exec "$here/boot-check.sh" "$kver" "$image_root" "$out" check_stress.py "$label"

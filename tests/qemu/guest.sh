#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: guest.sh KVER IMAGE_ROOT OUTDIR [SHAPE]
#
# A real VMM and a real guest: inside the test kernel KVER (QEMU, nested
# SVM, one CPU: see below), Debian's own QEMU boots the same Debian kernel
# with KVM as a Linux guest with 2 vCPUs (busybox initramfs, l2-init: port
# I/O, timer work, its own phase marks, power-off).  cvmstat counts it and
# `cvmstat record` records it, while the kernel's own trace events record
# the same run; check_guest.py then requires cvmstat to equal the trace for
# every exit reason, MMIO address, MSR and port, each direction, per vCPU,
# in total and per phase, and its halts, their time and the poll window's
# grows and shrinks to the trace's kvm_vcpu_wakeup and kvm_halt_poll_ns.
# While the guest idles, a `cvmstat record --sweep` measures halt polling at
# halt_poll_ns=0, the default and 5000000 (one line per setting: halts,
# success share, windows) and the settings must come back exactly.
# SHAPE is the guest's machine (l1-guest.sh): q35
# (default: the local APIC and PCI configuration through MMIO), pc (the
# local APIC through x2APIC MSRs) or q35-nopv.
#
# The test kernel runs on one CPU: with two, about a quarter of the guest
# boots crashed or hung in emulation, with and without cvmstat (see
# ../shared/docs/test-harness.md).  A guest that still does not reach its
# power-off is a test-bed failure: retried once, reported either way.
# Ends with "guest-KVER: N passed, N failed".
#
# Environment: as guest-run.sh (CVMSTAT_PREBUILT: the module and tools
# run.sh built for KVER).
set -uo pipefail

[ $# -ge 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR [SHAPE]" >&2; exit 2; }
kver=$1
image_root=$(realpath "$2")
out=$(realpath -m "$3")
shape=${4:-q35}
here=$(cd "$(dirname "$0")" && pwd)
label="guest-$kver"

fail_early() {
	echo "FAIL: $*"
	echo "$label: 0 passed, 1 failed"
	exit 1
}

command -v trace-cmd >/dev/null || fail_early "trace-cmd is not installed (tests/setup.sh)"
start=$EPOCHREALTIME
"$here/guest-run.sh" "$kver" "$image_root" "$out" "$shape" test
case $? in
0) boot_ok=1 ;;
1) boot_ok=0 ;;
*) fail_early "the run could not be prepared" ;;
esac
python3 "$here/check_guest.py" "$out" "$label" "$boot_ok"
rc=$?
awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "guest: wall time %.0f s\n", e - s }'
exit $rc

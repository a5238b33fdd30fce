#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: latency.sh KVER IMAGE_ROOT OUTDIR
#
# The exit-handling time test on one kernel: latency-scenario.sh in QEMU,
# checked by check_latency.py and the console by check_console.py
# (boot-check.sh).  Ends with "latency-KVER: N passed, N failed".
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
label="latency-$kver"

if ! "$here/prepare.sh" "$kver" "$image_root" "$out" "$here/latency-scenario.sh"; then
	echo "FAIL: preparing the guest"
	echo "$label: 0 passed, 1 failed"
	exit 1
fi
exec "$here/boot-check.sh" "$kver" "$image_root" "$out" check_latency.py "$label"

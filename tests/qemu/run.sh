#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: run.sh KVER IMAGE_ROOT OUTDIR
#
# The module test on one kernel: builds cvmstat.ko against KVER's headers the
# way DKMS does and the guest's programs (prepare.sh), boots scenario.sh in
# QEMU and checks the results and the kernel console (check_console.py: no
# KASAN, lockdep, RCU, DEBUG_PREEMPT, atomic-sleep, kmemleak or other
# report; on a kernel with kmemleak, its scan after the scenario must have
# run).  Ends with "qemu-KVER: N passed, N failed".
#
# Environment: CVMSTAT_KDIR (see prepare.sh), and boot.sh's.
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
label="qemu-$kver"

fail_early() {
	echo "FAIL: $*"
	echo "$label: 0 passed, 1 failed"
	exit 1
}

"$here/prepare.sh" "$kver" "$image_root" "$out" "$here/scenario.sh" ||
	fail_early "preparing the guest"
exec "$here/boot-check.sh" "$kver" "$image_root" "$out" check_results.py "$label"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: mttcg.sh KVER IMAGE_ROOT OUTDIR [MODE...]
#
# Why the QEMU tests run single-threaded TCG (boot.sh): boots
# patch-race-scenario.sh under -accel tcg,thread=multi once per MODE
# (default: churn cvmstat), with nokaslr so that the addresses compare
# with vmlinux, and prints per boot the scenario's last line, or the
# kernel's first complaint with its RIP and the modules loaded.  Not part
# of make check: it is expected to find "Oops: int3" (README, "Stress").
set -uo pipefail

[ $# -ge 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR [MODE...]" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
shift 3
[ $# -gt 0 ] || set -- churn cvmstat
here=$(cd "$(dirname "$0")" && pwd)

"$here/prepare.sh" "$kver" "$image_root" "$out" "$here/patch-race-scenario.sh" || exit 1
for mode in "$@"; do
	CVMSTAT_TCG_THREAD=multi CVMSTAT_BOOT_TIMEOUT=900 \
	CVMSTAT_APPEND_EXTRA="nokaslr cvmrace=$mode cvmrace_reps=150" \
		"$here/boot.sh" "$kver" "$image_root" "$out/initrd.cpio.gz" "$out/$mode" \
		>"$out/$mode.log" 2>&1
	con=$out/$mode/console.log
	if grep -aq -E 'Oops|BUG:|WARNING:|Kernel panic' "$con"; then
		echo "mttcg $mode: $(grep -a -m1 -E 'Oops|BUG:|WARNING:|Kernel panic' "$con" | tr -d '\r')"
		grep -a -m1 'RIP: 0010' "$con" | tr -d '\r'
		grep -a -m1 'Modules linked in' "$con" | tr -d '\r'
	else
		echo "mttcg $mode: no complaint: $(grep -a '^race ' "$out/$mode/results.txt" |
			tail -n1 | tr -d '\r')"
	fi
done

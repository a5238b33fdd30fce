#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: mttcg.sh KVER IMAGE_ROOT OUTDIR
#
# Why the QEMU tests run single-threaded TCG (boot.sh): under
# multi-threaded TCG the L1 kernel dies of "Oops: int3" at a static-key
# site that was just patched (text_poke_bp: an int3, then the new bytes,
# then sync_core IPIs), whoever patches it.  Two boots, each under
# -accel tcg,thread=multi (mttcg-scenario.sh):
#   churn   cvmstat never loaded, VMs created and destroyed: KVM's own
#           preempt_notifier_key patches __schedule;
#   reload  cvmstat loaded and unloaded under a running VM: its probes
#           patch KVM's tracepoint sites.
# Prints, per boot, whether the scenario ran to its end or the kernel's
# first complaint with its RIP and loaded modules.  Not part of make check
# (it is expected to find the Oops); see the README, "Stress".
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)

for mode in churn reload; do
	mkdir -p "$out.tmp"
	{ echo '#!/bin/sh'; echo "MODE=$mode"; sed 1d "$here/mttcg-scenario.sh"; } \
		>"$out.tmp/scenario.sh"
	"$here/prepare.sh" "$kver" "$image_root" "$out/$mode" "$out.tmp/scenario.sh" ||
		exit 1
	rm -rf "$out.tmp"
	CVMSTAT_TCG_THREAD=multi CVMSTAT_APPEND_EXTRA=nokaslr CVMSTAT_BOOT_TIMEOUT=600 \
		"$here/boot.sh" "$kver" "$image_root" "$out/$mode/initrd.cpio.gz" \
		"$out/$mode" >"$out/$mode/boot.log" 2>&1
	con=$out/$mode/console.log
	if grep -aq -E 'Oops|BUG:|WARNING:' "$con"; then
		echo "mttcg $mode: $(grep -a -m1 -E 'Oops|BUG:|WARNING:' "$con" | tr -d '\r')"
		grep -a -m1 'RIP: 0010' "$con" | tr -d '\r'
		grep -a -m1 'Modules linked in' "$con" | tr -d '\r'
	else
		echo "mttcg $mode: no complaint ($(tail -n1 "$out/$mode/boot.log"))"
	fi
done

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: cost.sh KVER IMAGE_ROOT OUTDIR [ITERS]
#
# What the probes cost the guest, in instructions per exit, measured
# deterministically: QEMU -icount shift=0 advances the L1 clock one ns per
# emulated instruction, so cvmload's elapsed time is an instruction count.
# Runs cvmload (8 exits per iteration: CPUID, OUT, IN, MMIO write, MMIO read,
# RDMSR, WRMSR, HLT) twice without and twice with cvmstat.ko, which counts
# everything (reasons, MMIO, MSR, port).  Needs OUTDIR/files from run.sh.
# Fails if the added cost exceeds CVMSTAT_COST_MAX (default 64) per exit.
set -uo pipefail

[ $# -ge 3 ] || { echo "usage: $0 KVER IMAGE_ROOT OUTDIR [ITERS]" >&2; exit 2; }
kver=$1
image_root=$2
out=$(realpath -m "$3")
iters=${4:-10000}
max=${CVMSTAT_COST_MAX:-64}
here=$(cd "$(dirname "$0")" && pwd)
label="cost-$kver"

rm -rf "$out/cost" && mkdir -p "$out/cost/files" || exit 1
cp "$out/files/cvmstat.ko" "$out/files/cvmload" "$out/cost/files/" || {
	echo "FAIL: run tests/qemu/run.sh first"; echo "$label: 0 passed, 1 failed"; exit 1; }
printf '#!/bin/sh\nexec sh /cvm/cost-scenario.sh %s\n' "$iters" >"$out/cost/files/scenario.sh"
cp "$here/cost-scenario.sh" "$out/cost/files/"
"$here/build-initramfs.sh" "$kver" "$image_root" "$out/cost/files" "$out/cost/initrd.gz" 2>/dev/null
CVMSTAT_SMP=1 CVMSTAT_QEMU_EXTRA="-icount shift=0,sleep=off" \
	"$here/boot.sh" "$kver" "$image_root" "$out/cost/initrd.gz" "$out/cost" 2>&1
grep '^cost ' "$out/cost/results.txt" | tr -d '\r'
awk -v iters="$iters" -v max="$max" -v label="$label" '
/^cost / {
	split($0, f, "elapsed_ns=")
	ns = f[2] + 0
	if ($2 == "base") { b += ns; nb++ } else { c += ns; nc++ }
}
END {
	if (nb != 2 || nc != 2) { print "FAIL: incomplete cost runs"; print label ": 0 passed, 1 failed"; exit 1 }
	exits = iters * 8 + 2
	base = b / nb / exits; with = c / nc / exits; added = with - base
	printf "%s: %.1f instructions per exit without cvmstat, %.1f with, +%.1f (limit %d)\n", label, base, with, added, max
	ok = added <= max
	if (!ok) print "FAIL: cvmstat adds " added " instructions per exit, more than " max
	print label ": " (ok ? 1 : 0) " passed, " (ok ? 0 : 1) " failed"
	exit !ok
}' "$out/cost/results.txt"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: bench.sh [OUTDIR]		(make bench; OUTDIR default build/bench)
#
# The overhead benchmark: what cvmstat and its peers cost a guest's exits,
# side by side, from one boot.  Installs what it needs with apt-get
# (tests/setup.sh: QEMU, the Debian 6.12 kernel, bpftrace and linux-perf,
# which run in the guest from this machine's root shared read-only over
# 9p), builds the module and the guest programs for 6.12
# (tests/qemu/prepare.sh) and boots the kernel under QEMU with
# -icount shift=0,sleep=off on one CPU, so that guest ns are instructions,
# deterministic from run to run.  bench-scenario.sh runs the same workload
# (cvmload, 8 exits per iteration, ITERS iterations: 100 002 exits by
# default) once per configuration; bench_table.py prints the table and
# writes OUTDIR/bench.csv.  Ends with "bench: N passed, N failed" and fails
# if a configuration did not run its workload to the end, saw fewer exits
# than it ran, or a peer failed to attach.  About 3.5 minutes on the
# shared 2-core test machine (the build 45 s, the boot 155 s), so make
# check runs it too, for those checks.
#
# Environment: CVMSTAT_BENCH_ITERS (default 12500), CVMSTAT_CACHE (kernel
# cache, as setup.sh), boot.sh's CVMSTAT_BOOT_TIMEOUT (default here 1800).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/bench
out=$(realpath -m "${1:-$top/build/bench}")
iters=${CVMSTAT_BENCH_ITERS:-12500}

fail_early() {
	echo "FAIL: $*"
	echo "bench: 0 passed, 1 failed"
	exit 1
}

[[ "$iters" =~ ^[1-9][0-9]*$ ]] || fail_early "bad CVMSTAT_BENCH_ITERS '$iters'"
case "$out" in *[[:space:]]*) fail_early "OUTDIR must not hold spaces: $out" ;; esac
start=$EPOCHREALTIME
mkdir -p "$out" || fail_early "cannot make $out"
CVMSTAT_SERIES="6.12." bash "$top/tests/setup.sh" >"$out/kernels.txt" 2>"$out/setup.log" ||
	{ tail -5 "$out/setup.log"; fail_early "tests/setup.sh"; }
IFS=$'\t' read -r kver root _ <"$out/kernels.txt" || fail_early "no 6.12 kernel"

CVMSTAT_INITRAMFS_MODULES="kvm-amd virtio_pci 9pnet_virtio 9p" \
	"$top/tests/qemu/prepare.sh" "$kver" "$root" "$out/run" "$here/bench-scenario.sh" ||
	fail_early "preparing the guest"
CVMSTAT_SMP=1 CVMSTAT_BOOT_TIMEOUT=${CVMSTAT_BOOT_TIMEOUT:-1800} \
	CVMSTAT_APPEND_EXTRA="cvmbench_iters=$iters" \
	CVMSTAT_QEMU_EXTRA="-icount shift=0,sleep=off
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	"$top/tests/qemu/boot.sh" "$kver" "$root" "$out/run/initrd.cpio.gz" "$out/run" 2>&1
brc=$?
[ -f "$out/run/results.txt" ] || fail_early "no results (boot.sh: $brc)"
echo "bench: kernel $kver, QEMU -icount shift=0,sleep=off -smp 1"
awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "bench: wall time %.0f s\n", e - s }'
echo "bench: table in $out/bench.txt, CSV in $out/bench.csv, logs in $out/run"
python3 "$here/bench_table.py" "$out/run/results.txt" "$iters" "$out/bench.csv" "$brc" |
	tee "$out/bench.txt"
exit "${PIPESTATUS[0]}"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what it needs (tests/setup.sh, apt-get; and
# tests/setup-newest.sh, a trixie root that builds for trixie-backports'
# newest 7.x kernel, which this machine cannot build for), then runs
#   1. the unit tests of the counting core (exits, halt polling, latency
#      histograms and percentiles), of what
#      the probes index with and of the module's symbol-table walk, of the
#      tool's name tables, BTF prototype check and recorder (host,
#      ASan/UBSan), of its command line without the module, of `summary`
#      on a recording of known percentiles, and of its bash completion;
#      record -i 0.1 on a scripted 64-vCPU VM (tests/bench/record-cpu.sh),
#   2. for each kernel (the newest Debian 6.1, 6.12 and 7.x): the module and
#      tool test in QEMU, built as DKMS builds it (for 7.x in the trixie
#      root, the tool against 7.x's uapi headers), the recordings it made
#      loaded with pandas and R (the latency test's record --latency
#      too), what the probes cost the guest per exit
#      (-icount, deterministic), the module's sources compiled by clang as
#      well, a Linux guest under Debian's QEMU with KVM counted against
#      the kernel's own trace (its halt polling too, idle, at three
#      settings of halt_poll_ns), and the stress test at its "check" sizes
#      (tests/qemu/stress.sh), halt polling measured, tuned and swept
#      (tests/qemu/haltpoll.sh, -icount too), exit-handling time
#      (tests/qemu/latency.sh: also record --latency and summary against
#      the module's final read); DKMS for 7.x, in the trixie
#      root,
#   3. the overhead benchmark (tests/bench/bench.sh, make bench): cvmstat
#      next to ftrace, bpftrace and perf on 6.12, for its checks,
#   4. a DKMS add/build/install/remove for 6.1 and 6.12,
#   5. the Debian packages: built, linted, installed (DKMS builds for 6.1
#      and 6.12), booted in QEMU as installed, purged.
# CVMSTAT_NEWEST=0 leaves 7.x out.  Every suite ends with "NAME: N passed,
# N failed"; this script adds them up and ends with "N passed, N failed",
# exiting 1 if anything failed.
#
# `make check-stress` (tests/check.sh --stress): setup, then only the
# stress test at the issue's sizes ("full") on every kernel.
#
# Why "check" in make check (guest seconds measured on 6.12 under
# single-threaded TCG, on the shared 2-core machine with a load average
# of 9; a fresh machine is faster): 200 VM cycles (44 s; max_vms=16 is
# exhausted and every slot reused 12 times), 10^5 ioctls (27 s; every
# command, spoiled field and address kind is drawn thousands of times,
# the rarest case about 300 times), 20 kvm reloads (62 s) and 10 cvmstat
# reloads (32 s), two recorders and top (14 s): about 4 minutes per
# kernel with its boot (the module and programs are run.sh's).  "full"
# (1000 cycles 247 s, 10^6 ioctls 207 s, 100 kvm reloads 330 s, 50
# cvmstat reloads 180 s) takes 19 minutes per kernel: three kernels would
# take an hour of make check's 90 minutes, next to the other suites and
# the debug kernel.
set -uo pipefail

stress_only=
case "${1:-}" in
--stress) stress_only=1 ;;
"") ;;
*) echo "usage: $0 [--stress]" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
mkdir -p "$build"
total_p=0
total_f=0
# every suite's FAIL lines, repeated before the totals: CI shows only the
# end of the output, and a failure must be named there
failures=$build/failures.txt
: >"$failures"

# Add a suite's closing line to the totals ("label: N passed, N failed").
tally() {
	local line p f
	line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -n1)
	if [ -z "$line" ]; then
		echo "FAIL: $2 printed no result line"
		echo "$2: FAIL: printed no result line" >>"$failures"
		total_f=$((total_f + 1))
		return
	fi
	p=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
	f=$(echo "$line" | sed 's/.* \([0-9]*\) failed$/\1/')
	total_p=$((total_p + p))
	total_f=$((total_f + f))
}

# a failed check's line, as the suites print it
fail_re='^(FAIL|not ok)|^[^ ]+: FAIL'

suite() {
	local name=$1 log=$build/$1.log
	shift
	echo "== $name"
	"$@" >"$log" 2>&1
	grep -E "$fail_re"'|^NOTE|: [0-9]+ passed, [0-9]+ failed$|instructions per exit|^guest: |^stress: |^bench-read: one|^record-cpu: [a-z]' "$log"
	grep -E '^measured: (long|sweep)' "$log"
	grep -E "$fail_re" "$log" | sed "s|^|$name: |" >>"$failures"
	tally "$log" "$name"
}

# the totals, after the failures by name (at most 20 of them)
totals() {
	if [ -s "$failures" ]; then
		echo "== failed ($(wc -l <"$failures"), logs in $build)"
		head -n 20 "$failures" | cut -c1-200
	fi
	echo "$total_p passed, $total_f failed"
}

echo "== setup (apt-get where something is missing)"
if ! bash "$top/tests/setup.sh" >"$build/kernels.txt" 2>"$build/setup.log"; then
	tail -20 "$build/setup.log"
	echo "0 passed, 1 failed"
	exit 1
fi
# the newest kernel, built for in a trixie root (a third column)
if [ "${CVMSTAT_NEWEST:-1}" != 0 ] &&
   ! bash "$top/tests/setup-newest.sh" >>"$build/kernels.txt" 2>"$build/setup-newest.log"; then
	tail -20 "$build/setup-newest.log"
	echo "0 passed, 1 failed"
	exit 1
fi
cat "$build/kernels.txt"

if [ -n "$stress_only" ]; then
	while IFS=$'\t' read -r kver root build_root; do
		CVMSTAT_BUILD_ROOT=${build_root:-/} suite "stress-full-$kver" \
			"$top/tests/qemu/stress.sh" "$kver" "$root" "$build/stress-full-$kver" full
	done <"$build/kernels.txt"
	totals
	[ "$total_f" -eq 0 ]
	exit
fi

unit() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -pthread -I"$top/kmod" \
		-o "$build/test_counters" "$top/tests/unit/test_counters.c" \
		"$top/kmod/core/counters.c" && "$build/test_counters"
}
suite unit unit

latency() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I"$top/kmod" \
		-I"$top/kmod/include/uapi" -I"$top/userspace" \
		-o "$build/test_latency" "$top/tests/unit/test_latency.c" \
		"$top/kmod/core/latency.c" "$top/kmod/core/counters.c" \
		"$top"/userspace/{latency,names,fields,rows}.c \
		-lcsv -lm && "$build/test_latency"
}
suite latency latency

haltpoll() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I"$top/kmod" \
		-o "$build/test_haltpoll" "$top/tests/unit/test_haltpoll.c" \
		"$top/kmod/core/haltpoll.c" "$top/kmod/core/counters.c" &&
		"$build/test_haltpoll"
}
suite haltpoll haltpoll

# what the probes index and shift with, for any input (kmod/Kbuild: probes.o
# is built without the kernel's UBSAN on the strength of it)
hotpath() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined,bounds-strict \
		-fno-sanitize-recover=all -I"$top/kmod" \
		-o "$build/test_hotpath" "$top/tests/unit/test_hotpath.c" \
		"$top/kmod/core/counters.c" && "$build/test_hotpath"
}
suite hotpath hotpath

symtab() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I"$top/kmod" \
		-o "$build/test_symtab" "$top/tests/unit/test_symtab.c" &&
		"$build/test_symtab"
}
suite symtab symtab

names() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I"$top/kmod/include/uapi" \
		-I"$top/userspace" -o "$build/test_names" \
		"$top/tests/unit/test_names.c" "$top/userspace/names.c" &&
		"$build/test_names"
}
suite names names

btf() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I"$top/kmod/include/uapi" \
		-I"$top/userspace" -o "$build/test_btf" "$top/tests/unit/test_btf.c" \
		"$top/userspace/btf.c" "$top/userspace/protos.c" && "$build/test_btf"
}
suite btf btf

recorder() {
	gcc -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-I"$top/kmod/include/uapi" -I"$top/userspace" \
		-o "$build/test_recorder" "$top/tests/unit/test_recorder.c" \
		"$top"/userspace/{recorder,rows,fields,snapshot,names,dev,modload,latency}.c \
		-lcsv -lkmod -lm && "$build/test_recorder"
}
suite recorder recorder

cli() {
	make -s -C "$top/userspace" cvmstat cvmstat-read && "$top/tests/unit/test_cli.sh"
}
suite cli cli
suite completion "$top/tests/unit/test_completion.sh"
suite plot "$top/tests/unit/test_plot.sh"
suite summary "$top/tests/unit/test_summary.sh"

# the module's read of a 64-vCPU VM with its times, natively (issue 11:
# under 2 ms); QEMU cannot time it
bench_read() {
	gcc -O2 -g -Wall -Wextra -Werror -I"$top/kmod" -I"$top/kmod/include/uapi" \
		-o "$build/bench_read" "$top/tests/unit/bench_read.c" \
		"$top/kmod/core/counters.c" "$top/kmod/core/latency.c" &&
		"$build/bench_read"
}
suite bench-read bench_read
# record -i 0.1 on a scripted 64-vCPU VM whose every counter changes
# (make bench too): every read's rows exact; its CPU share printed
suite record-cpu "$top/tests/bench/record-cpu.sh" "$build/bench"

# Kernels whose build root is not this machine build and run DKMS in it.
while IFS=$'\t' read -r kver root build_root; do
	export CVMSTAT_BUILD_ROOT=${build_root:-/}
	start=$SECONDS
	suite "qemu-$kver" "$top/tests/qemu/run.sh" "$kver" "$root" "$build/qemu-$kver"
	# the recordings that run made, loaded with pandas and R
	suite "frames-$kver" "$top/tests/qemu/check_frames.sh" \
		"$build/qemu-$kver/rec.csv" "$build/qemu-$kver/rec.jsonl" "frames-$kver"
	suite "latency-$kver" "$top/tests/qemu/latency.sh" "$kver" "$root" "$build/latency-$kver"
	# its record --latency, loaded with pandas and R
	suite "frames-lat-$kver" "$top/tests/qemu/check_frames.sh" \
		"$build/latency-$kver/rec-lat.csv" "" "frames-lat-$kver"
	suite "cost-$kver" "$top/tests/qemu/cost.sh" "$kver" "$root" "$build/qemu-$kver"
	suite "haltpoll-$kver" "$top/tests/qemu/haltpoll.sh" "$kver" "$root" "$build/qemu-$kver"
	# a real VMM and a real Linux guest against the kernel's own trace,
	# with the module and tools that run built; one guest shape per kernel
	case $kver in 6.1.*) shape=pc ;; *) shape=q35 ;; esac
	suite "guest-$kver" env CVMSTAT_PREBUILT="$build/qemu-$kver/files" \
		"$top/tests/qemu/guest.sh" "$kver" "$root" "$build/guest-$kver" "$shape"
	# the module as that run built it, compiled again by clang
	suite "clang-$kver" "$top/tests/clang-check.sh" "$build/qemu-$kver/src" \
		"/lib/modules/$kver/build"
	suite "stress-$kver" env CVMSTAT_PREBUILT="$build/qemu-$kver/files" \
		"$top/tests/qemu/stress.sh" "$kver" "$root" "$build/stress-$kver" check
	[ -n "$build_root" ] && suite "dkms-$kver" "$top/tests/dkms-test.sh" "$kver"
	echo "($kver: $((SECONDS - start)) s)"
done <"$build/kernels.txt"
export CVMSTAT_BUILD_ROOT=/

# the overhead benchmark (make bench, 6.12 under -icount, about 4 minutes)
# for its checks: every configuration ran the workload and saw its exits,
# every peer attached; its table: build/bench/bench.txt
suite bench "$top/tests/bench/bench.sh" "$build/bench"

# this machine's kernels (DKMS builds for them here)
awk -F'\t' '$3 == ""' "$build/kernels.txt" >"$build/kernels-host.txt"
suite dkms "$top/tests/dkms-test.sh" $(cut -f1 "$build/kernels-host.txt")
# after dkms-test.sh, never beside it: DKMS state is global
suite deb "$top/tests/deb-test.sh" "$build/kernels-host.txt" "$build/deb-test"

totals
[ "$total_f" -eq 0 ]

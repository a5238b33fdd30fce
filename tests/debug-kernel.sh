#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: debug-kernel.sh [-o OUTDIR] [-r "RUNNER [ARG...]"]... [-s SCENARIO]...
#
# The QEMU tests on the debug kernel (tests/debug-kernel/build.sh: KASAN,
# lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT, KMEMLEAK; built
# once, then cached outside the clone), booted with panic_on_warn like every
# test kernel.  After each scenario the guest's init unloads cvmstat and
# has kmemleak scan; any KASAN, lockdep, RCU, preemption, atomic-sleep,
# kmemleak or other kernel report fails (tests/qemu/check_console.py).
# First, tests/debug-kernel/selftest.sh shows that each of those checkers
# reports, and that the console check sees it.
#
#   -r "RUNNER [ARG...]"
#                a host runner with tests/qemu/run.sh's interface (RUNNER
#                KVER IMAGE_ROOT OUTDIR [ARG...], ends with "NAME: N passed,
#                N failed"), run with CVMSTAT_KDIR set to the debug kernel's
#                build tree, e.g. -r "tests/qemu/stress.sh check"; if it
#                does not check the console itself (run.sh does, into
#                OUTDIR/console-check.log), OUTDIR/console.log is checked
#                here
#   -s SCENARIO  a guest scenario (as tests/qemu/scenario.sh, run as
#                /cvm/scenario.sh): it passes when it ends with rc 0 and the
#                console is clean; its own checks are its own business
#   -o OUTDIR    where the runs go (default build/debug-kernel), one
#                subdirectory each
# Without -r or -s: tests/qemu/run.sh, the whole module scenario.
#
# Environment: CVMSTAT_BOOT_TIMEOUT (default 3600 here: the debug kernel
# runs several times slower under TCG), the others of boot.sh, and
# build.sh's CVMSTAT_DEBUG_CACHE.  Sets CVMSTAT_SLOW_GUEST=1 for the
# runners (check_results.py then skips, saying so, the few checks that
# need a guest of normal speed).
# Ends with "debug-kernel: N passed, N failed", exit status 1 on failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=$top/build/debug-kernel
runs=()
usage() {
	echo "usage: $0 [-o OUTDIR] [-r \"RUNNER [ARG...]\"]... [-s SCENARIO]..." >&2
	exit 2
}
while getopts "o:r:s:h" opt; do
	case $opt in
	o) out=$OPTARG ;;
	r)
		read -r -a words <<<"$OPTARG"
		[ ${#words[@]} -gt 0 ] || usage
		runs+=("r:$(realpath "${words[0]}")${words[1]:+ ${words[*]:1}}")
		;;
	s) runs+=("s:$(realpath "$OPTARG")") ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[ ${#runs[@]} -gt 0 ] || runs=("r:$here/qemu/run.sh")
out=$(realpath -m "$out")
mkdir -p "$out"
label=debug-kernel
p=0
f=0

# Adds the closing "NAME: N passed, N failed" line of $1 to the totals.
tally() {
	local pp ff
	read -r pp ff < <(sed -n 's/^[^ ]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$1" | tail -n1)
	if [ -z "${pp:-}" ]; then
		echo "FAIL: $2 printed no result line ($1)"
		f=$((f + 1))
		return
	fi
	p=$((p + pp))
	f=$((f + ff))
}

start=$EPOCHREALTIME
if ! bash "$here/debug-kernel/build.sh" >"$out/kernel.txt" 2>"$out/build.log"; then
	tail -20 "$out/build.log"
	echo "FAIL: the debug kernel does not build"
	echo "$label: 0 passed, 1 failed"
	exit 1
fi
IFS=$'\t' read -r kver image_root kdir <"$out/kernel.txt"
p=$((p + 1))
awk -v s="$start" -v e="$EPOCHREALTIME" -v k="$kver" \
	'BEGIN { printf "debug kernel %s ready in %.0f s\n", k, e - s }'
sed "s/^/debug kernel build: /" "$(dirname "$image_root")/build-time.txt" 2>/dev/null

export CVMSTAT_KDIR=$kdir
export CVMSTAT_BOOT_TIMEOUT=${CVMSTAT_BOOT_TIMEOUT:-3600}
# The debug kernel runs KVM's exit path about ten times slower: checks
# that need a guest of normal speed do not fail (check_results.py).
export CVMSTAT_SLOW_GUEST=1
# its config has no PRINTK_TIME; times help to read a report
export CVMSTAT_APPEND_EXTRA="printk.time=1 ${CVMSTAT_APPEND_EXTRA:-}"
t0=$EPOCHREALTIME
"$here/debug-kernel/selftest.sh" "$kver" "$image_root" "$out/selftest" >"$out/selftest.log" 2>&1
grep -E '^FAIL|: [0-9]+ passed, [0-9]+ failed$' "$out/selftest.log"
tally "$out/selftest.log" selftest
awk -v s="$t0" -v e="$EPOCHREALTIME" \
	'BEGIN { printf "selftest: %.0f s on the debug kernel\n", e - s }'

for run in "${runs[@]}"; do
	kind=${run%%:*}
	read -r -a words <<<"${run#*:}"
	script=${words[0]}
	args=("${words[@]:1}")
	name=$(basename "$script" .sh)
	dir=$out/$name
	log=$out/$name.log
	t0=$EPOCHREALTIME
	if [ "$kind" = r ]; then
		"$script" "$kver" "$image_root" "$dir" "${args[@]}" >"$log" 2>&1
		grep -E '^FAIL|^    \||: [0-9]+ passed, [0-9]+ failed$|checks skipped' "$log"
		tally "$log" "$name"
		if [ ! -f "$dir/console-check.log" ]; then
			python3 "$here/qemu/check_console.py" "$dir/console.log" "$name-console" \
				--kmemleak "$dir/results.txt" >"$dir.console-check.log"
			grep -v ': [0-9]* passed, [0-9]* failed$' "$dir.console-check.log"
			tally "$dir.console-check.log" "$name-console"
		fi
	else
		{
			n_p=0 n_f=0
			if "$here/qemu/prepare.sh" "$kver" "$image_root" "$dir" "$script"; then
				n_p=$((n_p + 1))
				if "$here/qemu/boot.sh" "$kver" "$image_root" "$dir/initrd.cpio.gz" "$dir"; then
					n_p=$((n_p + 1))
				else
					n_f=$((n_f + 1))
					echo "FAIL: $name: boot or scenario ($dir/console.log, $dir/results.txt)"
				fi
				python3 "$here/qemu/check_console.py" "$dir/console.log" "$name-console" \
					--kmemleak "$dir/results.txt" | tee "$dir/console-check.log" |
					grep -v ': [0-9]* passed, [0-9]* failed$'
				read -r cp cf < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
					"$dir/console-check.log")
				n_p=$((n_p + ${cp:-0}))
				n_f=$((n_f + ${cf:-1}))
			else
				n_f=$((n_f + 1))
			fi
			echo "$name: $n_p passed, $n_f failed"
		} >"$log" 2>&1
		grep -E '^FAIL|^    \||: [0-9]+ passed, [0-9]+ failed$|checks skipped' "$log"
		tally "$log" "$name"
	fi
	awk -v s="$t0" -v e="$EPOCHREALTIME" -v n="$name" \
		'BEGIN { printf "%s: %.0f s on the debug kernel\n", n, e - s }'
done
echo "$label: $p passed, $f failed"
[ "$f" -eq 0 ]

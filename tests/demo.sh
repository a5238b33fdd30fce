#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: the field's key finding, reproduced with a real guest on a
# machine without SNP/TDX hardware.  SEV-SNP guests have no TSC-deadline
# timer and program the local APIC timer through MMIO, TDX guests write the
# TSC_DEADLINE MSR; the exits each costs are what cvmstat shows.  Installs
# what it needs (tests/setup.sh), boots the newest Debian 6.12 kernel in
# QEMU (nested SVM), loads cvmstat with `cvmstat load`, and inside it runs
# Debian's QEMU with KVM twice on the same Linux guest and the same work
# (boot, then 2-ms sleeps on both vCPUs), recorded by `cvmstat record` as
# two phases marked from the host: -cpu host,+tsc-deadline and
# -cpu host,-tsc-deadline (guest shape q35 of l1-guest.sh: the local APIC
# through MMIO).  Then prints the per-phase summary of the recording
# (build/demo/run/share/demo.csv) and what `cvmstat show` says of each run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
q=$top/tests/qemu
out=$top/build/demo
run=$out/run
mkdir -p "$out"

section() {
	awk -v s="$1" '$0 == "=== BEGIN " s { on = 1; next }
		on && index($0, "=== END " s " rc=") == 1 { exit }
		on' "$run/results.txt" | tr -d '\r'
}

echo "== setup (apt-get where something is missing; the first run downloads kernels)"
bash "$top/tests/setup.sh" >"$out/kernels.txt" 2>"$out/setup.log" || {
	tail -20 "$out/setup.log"; exit 1; }
IFS=$'\t' read -r kver root < <(grep -F -- '6.12.' "$out/kernels.txt" || tail -n1 "$out/kernels.txt")

echo "== building cvmstat.ko for $kver and the tool, booting $kver in QEMU, which runs the"
echo "   guest twice (software emulation: a few minutes)"
"$q/guest-run.sh" "$kver" "$root" "$run" q35 demo || {
	echo "demo: the run failed; see $run/console.log, $run/results.txt, $run/share/" >&2
	exit 1
}
if [ "$(sed -n 's/^=== END demo rc=//p' "$run/results.txt")" != 0 ]; then
	section demo >&2
	echo "demo: the recording failed; see $run/results.txt and $run/share/" >&2
	exit 1
fi

share=$run/share
cmd=$(sed -n 's/^l2vm: QEMU pid [0-9]*: //p' "$share/l2vm-demo-deadline.log" |
	sed -e 's/ -no-shutdown.*//' -e 's/ -kernel [^ ]*/ -kernel vmlinux/' \
	    -e 's/ -initrd [^ ]*/ -initrd initrd.gz/')
echo
echo "# cvmstat record -o demo.csv -i 1 -- two runs of the same guest, each a phase:"
echo "#   cvmstat phase 'with TSC-deadline'; $cmd"
echo "#   cvmstat phase 'without TSC-deadline'; the same with -cpu host,-kvm-pv-eoi,-tsc-deadline"
for r in deadline no-deadline; do
	grep -h '^L2-TESTBED: ' "$share/l2vm-demo-$r.log" 2>/dev/null |
		sed 's/^/# (a test-bed failure, run again: /; s/$/)/' || true
done
echo
python3 "$q/phase_summary.py" "$share/demo.csv" --keys 8
echo
echo "# cvmstat show --vm PID --by msr --top 6        (with TSC-deadline)"
cat "$share/demo-msr-deadline.txt"
echo
echo "# cvmstat show --vm PID --by mmio --top 6       (without TSC-deadline)"
cat "$share/demo-mmio-no-deadline.txt"
echo
echo "# the CSV ($(($(wc -l <"$share/demo.csv") - 1)) rows, $share/demo.csv), its first lines:"
head -n 4 "$share/demo.csv"
echo
# the pictures of the recording (cvmstat plot: matplotlib), by the host's tool
make -s -C "$top/userspace" cvmstat
if "$top/userspace/cvmstat" plot "$share/demo.csv" -o "$out/demo.svg" &&
	"$top/userspace/cvmstat" plot "$share/demo.csv" -o "$out/demo.png"; then
	echo "# cvmstat plot demo.csv -o demo.svg (and demo.png): $out/demo.svg, $out/demo.png"
else
	echo "demo: cvmstat plot failed" >&2
	exit 1
fi

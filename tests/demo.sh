#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: cvmstat on a machine without SNP/TDX hardware.  Installs what
# it needs (tests/setup.sh), boots the newest Debian 6.12 kernel in QEMU
# (nested SVM), loads cvmstat with `cvmstat load`, and records the test
# workload run in three phases: the first marked from the host shell, the
# second by the guest itself (a byte to port 0xf4), the third from the host
# again while every vCPU waits.  Then prints what `cvmstat show` says and
# the per-phase summary of the recorded CSV (build/demo/demo.csv).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/demo
mkdir -p "$out"

section() {
	awk -v s="$1" '$0 == "=== BEGIN " s { on = 1; next }
		on && index($0, "=== END " s " rc=") == 1 { exit }
		on' "$out/results.txt"
}

echo "== setup (apt-get where something is missing; the first run downloads kernels)"
bash "$top/tests/setup.sh" >"$out/kernels.txt" 2>"$out/setup.log" || {
	tail -20 "$out/setup.log"; exit 1; }
IFS=$'\t' read -r kver root < <(grep -F -- '6.12.' "$out/kernels.txt" || tail -n1 "$out/kernels.txt")

echo "== building cvmstat.ko for $kver, the tool and the workload"
"$top/tests/qemu/prepare.sh" "$kver" "$root" "$out/guest" \
	"$top/tests/qemu/demo-scenario.sh"
echo "== booting $kver in QEMU (software emulation: about a minute)"
"$top/tests/qemu/boot.sh" "$kver" "$root" "$out/guest/initrd.cpio.gz" "$out" || {
	echo "demo: the guest run failed; see $out/console.log and $out/results.txt" >&2
	exit 1
}
section csv | tr -d '\r' >"$out/demo.csv"

for s in load record status show show-pio show-mmio show-vcpu; do
	echo
	case $s in
	record) echo "# cvmstat record -o demo.csv -i 0.5 -- sh phased.sh   (3 phases; exit status $(sed -n "s/^=== END $s rc=//p" "$out/results.txt"))" ;;
	show*) echo "# cvmstat ${s/-/ --by } --vm PID" | sed 's/show --by show/show/' ;;
	*) echo "# cvmstat $s" ;;
	esac
	section "$s"
done
echo
echo "# the CSV ($(($(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))))' "$out/demo.csv") - 1)) rows, $out/demo.csv), its first lines:"
head -n 6 "$out/demo.csv"
echo
python3 "$top/tests/qemu/phase_summary.py" "$out/demo.csv"
echo
# the pictures of the recording (cvmstat plot: matplotlib), by the host's tool
make -s -C "$top/userspace" cvmstat
if "$top/userspace/cvmstat" plot "$out/demo.csv" -o "$out/demo.svg" &&
	"$top/userspace/cvmstat" plot "$out/demo.csv" -o "$out/demo.png"; then
	echo "# cvmstat plot demo.csv -o demo.svg (and demo.png): $out/demo.svg, $out/demo.png"
else
	echo "demo: cvmstat plot failed" >&2
	exit 1
fi

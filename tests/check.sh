#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what it needs (tests/setup.sh, apt-get), then runs
#   1. the unit tests of the counting core and of the module's symbol-table
#      walk, of the tool's name tables, BTF prototype check and recorder
#      (host, ASan/UBSan), of its command line without the module, and of
#      its bash completion,
#   2. the module and tool test in QEMU on the newest Debian 6.1 and 6.12
#      kernels, the recordings it made loaded with pandas and R, what the
#      probes cost the guest per exit (-icount, deterministic), and the
#      module's sources compiled by clang as well,
#   3. a DKMS add/build/install/remove for both kernels,
#   4. the Debian packages: built, linted, installed (DKMS builds for both
#      kernels), booted in QEMU as installed, purged.
# Every suite ends with "NAME: N passed, N failed"; this script adds them up
# and ends with "N passed, N failed", exiting 1 if anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
mkdir -p "$build"
total_p=0
total_f=0

# Add a suite's closing line to the totals ("label: N passed, N failed").
tally() {
	local line p f
	line=$(grep -E '^[^ ]+: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -n1)
	if [ -z "$line" ]; then
		echo "FAIL: $2 printed no result line"
		total_f=$((total_f + 1))
		return
	fi
	p=$(echo "$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
	f=$(echo "$line" | sed 's/.* \([0-9]*\) failed$/\1/')
	total_p=$((total_p + p))
	total_f=$((total_f + f))
}

suite() {
	local name=$1 log=$build/$1.log
	shift
	echo "== $name"
	"$@" >"$log" 2>&1
	grep -E '^(FAIL|not ok)|: [0-9]+ passed, [0-9]+ failed$|instructions per exit' "$log"
	tally "$log" "$name"
}

echo "== setup (apt-get where something is missing)"
if ! bash "$top/tests/setup.sh" >"$build/kernels.txt" 2>"$build/setup.log"; then
	tail -20 "$build/setup.log"
	echo "0 passed, 1 failed"
	exit 1
fi
cat "$build/kernels.txt"

unit() {
	gcc -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
		-fno-sanitize-recover=all -pthread -I"$top/kmod" \
		-o "$build/test_counters" "$top/tests/unit/test_counters.c" \
		"$top/kmod/core/counters.c" && "$build/test_counters"
}
suite unit unit

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
		"$top"/userspace/{recorder,rows,fields,snapshot,names,dev,modload}.c \
		-lcsv -lkmod -lm && "$build/test_recorder"
}
suite recorder recorder

cli() {
	make -s -C "$top/userspace" cvmstat cvmstat-read && "$top/tests/unit/test_cli.sh"
}
suite cli cli
suite completion "$top/tests/unit/test_completion.sh"
suite plot "$top/tests/unit/test_plot.sh"

while IFS=$'\t' read -r kver root; do
	suite "qemu-$kver" "$top/tests/qemu/run.sh" "$kver" "$root" "$build/qemu-$kver"
	# the recordings that run made, loaded with pandas and R
	suite "frames-$kver" "$top/tests/qemu/check_frames.sh" \
		"$build/qemu-$kver/rec.csv" "$build/qemu-$kver/rec.jsonl" "frames-$kver"
	suite "cost-$kver" "$top/tests/qemu/cost.sh" "$kver" "$root" "$build/qemu-$kver"
	# the module as that run built it, compiled again by clang
	suite "clang-$kver" "$top/tests/clang-check.sh" "$build/qemu-$kver/src" \
		"/lib/modules/$kver/build"
done <"$build/kernels.txt"

suite dkms "$top/tests/dkms-test.sh" $(cut -f1 "$build/kernels.txt")
# after dkms-test.sh, never beside it: DKMS state is global
suite deb "$top/tests/deb-test.sh" "$build/kernels.txt" "$build/deb-test"

echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]

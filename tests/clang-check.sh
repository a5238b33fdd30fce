#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: clang-check.sh MODULE_BUILD_DIR KDIR
#
# cvmstat.ko must build on kernels built with clang too (DKMS runs with the
# kernel's own compiler).  The test kernels are built with GCC, and their
# flags are GCC's, so this compiles every module source the way the last
# build did (its .cmd files), with clang instead of GCC, syntax only, after
# dropping the GCC-only flags clang refuses; any warning or error in
# cvmstat's own files fails.  Ends with "clang: N passed, N failed".
#
# Environment: CVMSTAT_BUILD_ROOT, the root file system the module was built
# in (default /; tests/setup-newest.sh makes one for a newer kernel, with
# clang in it): the check then runs in there (tests/in-root.sh).
set -uo pipefail

[ $# -eq 2 ] || { echo "usage: $0 MODULE_BUILD_DIR KDIR" >&2; exit 2; }
dir=$(realpath "$1")
kdir=$2
if [ "$(realpath -m "${CVMSTAT_BUILD_ROOT:-/}")" != / ]; then
	here=$(cd "$(dirname "$0")" && pwd)
	exec "$here/in-root.sh" "$CVMSTAT_BUILD_ROOT" -b "$here" -b "$dir" -- \
		bash "$here/clang-check.sh" "$dir" "$kdir"
fi
p=0
f=0
command -v clang >/dev/null || { echo "FAIL: clang not installed"; echo "clang: 0 passed, 1 failed"; exit 1; }

for cmdf in "$dir"/kmod/.*.o.cmd "$dir"/kmod/core/.*.o.cmd; do
	src=$(sed -n 's/^source_[^ ]* := *//p' "$cmdf")
	case "$src" in *.c) ;; *) continue ;; esac
	cmd=$(sed -n 's/^savedcmd_[^ ]* := *//p' "$cmdf" |
	      sed -e 's/^[^ ]*gcc[^ ]* /clang /' -e 's/ -Wp,-MMD,[^ ]*//' \
		  -e 's/ -c -o [^ ]*/ -fsyntax-only/')
	# drop what clang refuses, one round per refusal
	for _ in $(seq 40); do
		out=$(cd "$kdir" && eval "$cmd" 2>&1)
		bad=$(printf '%s\n' "$out" | sed -n \
			-e "s/.*unknown argument: '\([^']*\)'.*/\1/p" \
			-e "s/.*unsupported option '\([^']*\)'.*/\1/p" \
			-e "s/.*optimization flag '\([^']*\)' is not supported.*/\1/p" \
			-e "s/.*'\(-ftrivial-auto-var-init=zero\)' hasn't been enabled.*/\1/p" |
			head -n1)
		[ -n "$bad" ] || break
		cmd=$(BAD="$bad" perl -pe 's/ \Q$ENV{BAD}\E(?= |$)//g' <<<"$cmd")
	done
	mine=$(printf '%s\n' "$out" | grep -E "^$dir/.*(warning|error):" || true)
	if [ -z "$mine" ]; then
		p=$((p + 1))
	else
		f=$((f + 1))
		echo "FAIL: clang on $(basename "$src"):"
		printf '%s\n' "$mine" | head -5
	fi
done
echo "clang: $p passed, $f failed"
[ "$f" -eq 0 ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: in-root.sh ROOT [-b DIR]... -- COMMAND [ARG]...
#
# Runs COMMAND with ROOT as its root file system (chroot), the way the tests
# build for a kernel newer than this machine can build for (tests/
# setup-newest.sh makes such a ROOT).  /proc (objtool needs it), /dev and
# each DIR (at the same path, so that paths mean the same inside and out)
# are mounted in a private mount namespace: they vanish when COMMAND ends,
# however it ends, and nothing outside sees them.  Inside, CVMSTAT_BUILD_ROOT
# is "/", so that a test script run there builds as on its own machine.
#
# ROOT "/" (or empty) runs COMMAND here, unchanged: callers keep one code
# path for the machine's own kernels and for newer ones.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 ROOT [-b DIR]... -- COMMAND [ARG]..." >&2; exit 2; }
root=$1
shift
binds=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	case $1 in
	-b) [ $# -ge 2 ] || { echo "in-root: -b needs a directory" >&2; exit 2; }
	    binds+=("$(realpath -m "$2")"); shift 2 ;;
	*) echo "in-root: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "${1:-}" = -- ] && [ $# -ge 2 ] || { echo "usage: $0 ROOT [-b DIR]... -- COMMAND [ARG]..." >&2; exit 2; }
shift

if [ -z "$root" ] || [ "$(realpath -m "$root")" = / ]; then
	exec "$@"
fi
root=$(realpath -e "$root") || { echo "in-root: no root $1" >&2; exit 2; }
[ -x "$root/bin/sh" ] || { echo "in-root: $root is no root file system" >&2; exit 2; }
for d in "${binds[@]}"; do
	[ -d "$d" ] || { echo "in-root: no directory $d" >&2; exit 2; }
	mkdir -p "$root$d"
done

# Inside the new namespace: mount, then chroot.  The namespace ends with
# its last process, and its mounts with it.
exec unshare --mount --propagation private -- /bin/bash -c '
	set -e
	root=$1 n=$2
	shift 2
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	while [ "$n" -gt 0 ]; do
		mount --bind "$1" "$root$1"
		shift
		n=$((n - 1))
	done
	shift	# --
	exec env -u TMPDIR CVMSTAT_BUILD_ROOT=/ LC_ALL=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		chroot "$root" "$@"
' in-root "$root" "${#binds[@]}" "${binds[@]}" -- "$@"

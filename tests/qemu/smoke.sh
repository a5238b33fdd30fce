#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: smoke.sh KVER [IMAGE_ROOT]
#
# Builds cvmload and an initramfs with smoke-scenario.sh as /cvm/scenario.sh
# in a fresh directory under tests/.cache/, and boots it with boot.sh.
# IMAGE_ROOT defaults to what tests/setup.sh reports for KVER.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 KVER [IMAGE_ROOT]" >&2
	exit 2
fi
kver=$1
here=$(cd "$(dirname "$0")" && pwd)
tests=$(dirname "$here")

if [ $# -eq 2 ]; then
	image_root=$2
else
	image_root=$(bash "$tests/setup.sh" | awk -F'\t' -v k="$kver" '$1 == k { print $2 }')
	[ -n "$image_root" ] || { echo "smoke: setup.sh does not know $kver" >&2; exit 1; }
fi

mkdir -p "$tests/.cache"
dir=$(mktemp -d "$tests/.cache/smoke-$kver.XXXXXX")
mkdir -p "$dir/files"
gcc -O2 -Wall -Wextra -Werror -static -pthread -o "$dir/files/cvmload" \
	"$tests/workload/cvmload.c"
install -m 755 "$here/smoke-scenario.sh" "$dir/files/scenario.sh"
"$here/build-initramfs.sh" "$kver" "$image_root" "$dir/files" "$dir/initrd.cpio.gz"
"$here/boot.sh" "$kver" "$image_root" "$dir/initrd.cpio.gz" "$dir/out"
echo "smoke: PASS $kver ($dir/out)"

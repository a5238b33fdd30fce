#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: guest-conf.sh OUTDIR L2_KERNEL SHAPE	  prints OUTDIR/guest.conf
#	 guest-conf.sh --virtfs OUTDIR		  prints the QEMU arguments
#
# What a real-guest run (guest-scenario.sh, l1-guest.sh) is given: the
# settings l1-guest.sh reads, and the two 9p shares of the test kernel's
# QEMU: the host's root, read-only (tag hostroot), and OUTDIR/share,
# writable (tag out).  Paths are the host's, the same in the chroot.
# OUTDIR/files and OUTDIR/l2-initrd.gz must exist (prepare.sh,
# build-l2-initramfs.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --virtfs ] && [ $# -eq 2 ]; then
	mkdir -p "$2/share"
	echo "-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		"-virtfs local,path=$2/share,mount_tag=out,security_model=none"
	exit 0
fi
[ $# -eq 3 ] || { echo "usage: $0 OUTDIR L2_KERNEL SHAPE | --virtfs OUTDIR" >&2; exit 2; }
case "$1$2" in
*[[:space:]\'\"]*) echo "guest-conf: paths must not hold spaces or quotes" >&2; exit 1 ;;
esac
[ -f "$2" ] || { echo "guest-conf: no kernel $2" >&2; exit 1; }
cat <<END
tools=$1/files
here=$here
share=$1/share
l2_kernel=$2
l2_initrd=$1/l2-initrd.gz
shape=$3
l2_timeout=${CVMSTAT_L2_TIMEOUT:-300}
END

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The real-guest run, inside the test kernel (L1, busybox sh) as
# /cvm/scenario.sh: Debian's QEMU boots a Linux guest (L2) with KVM while
# cvmstat and the kernel's own trace events watch (tests/qemu/guest.sh,
# tests/demo.sh).  The host's root comes in read-only over 9p (mount tag
# hostroot) and the run's output directory read-write (tag out); QEMU, bash,
# python3 and trace-cmd run from the host's root in a chroot, so nothing of
# theirs is copied into the initramfs.  The kernel command line names the
# output directory (cvmguest=DIR, the same path on the host and in the
# chroot) and the mode (cvmguest_mode=test or demo); l1-guest.sh does the
# rest, with the settings in DIR/guest.conf (guest-run.sh).
#
# test: a run whose L2 guest did not reach its power-off (l1-guest.sh exits
# 3) is a test-bed failure and is tried once more, with cvmstat reloaded; at
# most two attempts.  demo: `cvmstat load`, the recording, `cvmstat status`
# (l1-guest.sh retries a run itself).  Sections as in scenario.sh; this
# script asserts nothing.
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

for w in $(cat /proc/cmdline); do
	case $w in
	cvmguest=*) dir=${w#cvmguest=} ;;
	cvmguest_mode=*) mode=${w#cvmguest_mode=} ;;
	esac
done

# A tree of the host's /tmp that the chroot needs (a clone made there: the
# output directory, the tests, the tools' sources) shown through the
# writable tmpfs that covers /host/tmp: its top directory, bound from the
# host's /tmp as kept under /hosttmp.
show_host_tmp() {
	case $1 in
	/tmp/?*) ;;
	*) return 0 ;;
	esac
	top_dir=${1#/tmp/}
	top_dir=/tmp/${top_dir%%/*}
	grep -q " /host$top_dir " /proc/mounts && return 0
	mkdir -p "/host$top_dir" &&
		mount -o bind "/hosttmp${top_dir#/tmp}" "/host$top_dir"
}

# The host's root at /host, with what a chroot into it needs.
host_root() {
	ninep="-t 9p -o trans=virtio,version=9p2000.L,msize=262144"
	mkdir -p /host /hosttmp &&
	# cache=loose: the page cache and readahead for the host's files,
	# which do not change during the run (QEMU and its libraries load
	# several times faster)
	mount $ninep,ro,cache=loose hostroot /host &&
	mount -t proc proc /host/proc &&
	mount -t sysfs sysfs /host/sys &&
	mount -t devtmpfs devtmpfs /host/dev &&
	mkdir -p /host/dev/shm &&
	mount -t tmpfs tmpfs /host/dev/shm &&
	mount -o bind /host/tmp /hosttmp &&
	mount -t tmpfs tmpfs /host/tmp &&
	mount -t tmpfs tmpfs /host/run &&
	mount -t tracefs tracefs /host/sys/kernel/tracing &&
	show_host_tmp "$dir" &&
	mount $ninep out "/host$dir/share"
}

# virtio_pci is built into some kernels, without a modules.builtin to say
# so: if it is missing, mounting the host's root fails (host-root)
modprobe virtio_pci 2>/dev/null
sec modules modprobe -a kvm-amd 9pnet_virtio 9p
sec host-root host_root
. "/host$dir/guest.conf"
sec host-tmp eval 'show_host_tmp "$here" && show_host_tmp "$tools"'
in_host() {
	chroot /host /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp \
		/bin/bash "$here/l1-guest.sh" "$dir/guest.conf" "$@"
}

if [ "$mode" = demo ]; then
	# what a researcher does: load, record (l1-guest.sh demo), look
	sec load cvmstat load
	sec demo in_host demo 1
	sec status cvmstat status
	sec unload cvmstat unload
	sec dmesg dmesg
	exit 0
fi

a=1
while [ $a -le 2 ]; do
	# exit-handling time on from the start: check_guest.py pairs the
	# trace's kvm_exit, kvm_userspace_exit and kvm_entry events
	sec insmod-$a insmod /cvm/cvmstat.ko latency=1
	sec attempt-$a in_host "$mode" $a
	sec version-$a cvmstat-read version
	sec rmmod-$a rmmod cvmstat
	[ -e "/host$dir/share/testbed-$a.txt" ] || break
	a=$((a + 1))
done
sec dmesg dmesg

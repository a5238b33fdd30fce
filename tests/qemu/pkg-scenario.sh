#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The packages' test, run inside the QEMU guest (busybox sh) as
# /cvm/scenario.sh by tests/deb-test.sh: the cvmstat tool and cvmstat.ko
# exactly as the cvmstat and cvmstat-dkms packages installed them (the
# module at /lib/modules/KVER/updates/dkms, where DKMS put it).  `cvmstat
# load` loads it by name, one workload runs and its counts are compared on
# the host, exactly, by tests/qemu/pkg_check.py.  Asserts nothing itself.
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

sec modprobe-kvm modprobe kvm-amd
sec load cvmstat load
sec modpath grep cvmstat "/lib/modules/$(uname -r)/modules.dep"
sec version-kvm cvmstat-read version
cvmload -v 2 -k 1000 -e /tmp/expect-a.csv >/tmp/run-a.out 2>&1 &
pa=$!
wait $pa
ra=$?
echo "=== BEGIN run-a"
cat /tmp/run-a.out
echo "=== END run-a rc=$ra"
sec counts-a cvmstat-read vm --pid $pa
sec expect-a cat /tmp/expect-a.csv
sec version-after-vms cvmstat-read version
# for tests/prom-test.sh: the same counters as node_exporter's textfile
sec export sh -c 'cvmstat export --per vcpu -o /tmp/cvmstat.prom && cat /tmp/cvmstat.prom'
# the VM exited: with no retention its series end
sec export-retention0 cvmstat export --retention 0
sec status cvmstat status
# the machine-readable views, for tests/qemu/check_views.py (pandas)
for f in csv json; do
	sec show-$f cvmstat show --format $f
	sec status-$f cvmstat status --format $f
	sec top-$f cvmstat top -n 1 -i 0.2 --format $f
done
sec unload cvmstat unload
sec unloaded test ! -e /sys/module/cvmstat

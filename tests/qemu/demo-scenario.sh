#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the QEMU guest (busybox sh) as /cvm/scenario.sh: what a
# researcher does on a host, with the test workload standing in for the
# benchmark.  Sections as in scenario.sh; tests/demo.sh prints them.
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

modprobe kvm-amd
sec load cvmstat load
# phased.sh: a host mark, then 2 vCPUs that mark "guest phase 2" from inside
# the guest, then stop for the host to mark the last phase.
sec record cvmstat record -o /tmp/demo.csv -i 0.5 -- sh /cvm/phased.sh /tmp/demo.csv
pid=$(cat /tmp/pid-x)
sec status cvmstat status
sec show cvmstat show --vm "$pid"
sec show-pio cvmstat show --vm "$pid" --by pio
sec show-mmio cvmstat show --vm "$pid" --by mmio
sec show-vcpu cvmstat show --vm "$pid" --by vcpu
sec csv cat /tmp/demo.csv
sec unload cvmstat unload

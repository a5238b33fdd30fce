#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Exit-handling time, inside the QEMU guest (busybox sh) as /cvm/scenario.sh;
# tests/qemu/check_latency.py checks its sections on the host.
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

# 1. Timing on from load (module parameter), before any VM.
sec insmod insmod /cvm/cvmstat.ko latency=1
sec modprobe-kvm modprobe kvm-amd
sec state-on cvmstat-read latency
sec param-on cat /sys/module/cvmstat/parameters/latency

# 2. Two vCPUs timed from their first exit; read after the VM is gone.
cvmload -v 2 -k 1000 -e /tmp/expect-a.csv >/tmp/run-a.out 2>&1
job run-a /tmp/run-a.out $?
pa=$(cvmstat-read list | awk -F, 'NR > 1 { id = $1 } END { print id }')
sec counts-a cvmstat-read vm "$pa" --latency
sec expect-a cat /tmp/expect-a.csv
sec tool-show cvmstat show --latency
sec abi abi-test "$pa"
sec tool-state cvmstat latency

# 2b. record --latency through phased.sh's three phases (host, guest and
#     host marks); the recording's lat_* rows summed over phases, and
#     summary's counts, against the module's final read of that VM.
sec lat-record cvmstat record -o /tmp/lat.csv -i 0.2 --latency -- \
	sh /cvm/phased.sh /tmp/lat.csv
px=$(cat /tmp/pid-x)
sec lat-vm vm_of "$px"
sec lat-final cvmstat-read vm --pid "$px" --latency
sec lat-csv cat /tmp/lat.csv
sec lat-summary cvmstat summary --format csv --vm-id "$(vm_of "$px")" /tmp/lat.csv

# 3. Switched off and on (ioctl, parameter) while a VM runs: its counts
#    stay exact; timing covers only what came after the last switch-on.
cvmload -v 2 -k 6000 -e /tmp/expect-b.csv >/tmp/run-b.out 2>&1 &
pb=$!
sleep 1
sec toggle-off-1 cvmstat-read latency off
sleep 1
sec toggle-on-1 cvmstat-read latency on
sleep 1
echo 0 >/sys/module/cvmstat/parameters/latency
echo 1 >/sys/module/cvmstat/parameters/latency
sec toggle-param cat /sys/module/cvmstat/parameters/latency
wait $pb
job run-b /tmp/run-b.out $?
sec counts-b cvmstat-read vm --pid $pb --latency
sec expect-b cat /tmp/expect-b.csv

# 4. Off: no timing records, counting as ever.
sec state-off cvmstat-read latency off
cvmload -v 1 -k 500 -e /tmp/expect-c.csv >/tmp/run-c.out 2>&1 &
pc=$!
wait $pc
job run-c /tmp/run-c.out $?
sec counts-c cvmstat-read vm --pid $pc --latency
sec expect-c cat /tmp/expect-c.csv

# 5. top's exit-handling columns while a VM runs; then unload while timing
#    is on and the VM still runs.
sec on-again cvmstat-read latency on
cvmload -v 1 -s 3 >/dev/null 2>&1 &
pd=$!
sleep 1
sec lat-top cvmstat top -n 2 -i 0.2 --format csv
sec rmmod rmmod cvmstat
wait $pd
sec dmesg dmesg

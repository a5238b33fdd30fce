#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The halt-polling test, run inside the QEMU guest (busybox sh) as
# /cvm/scenario.sh by tests/qemu/haltpoll.sh.  Like scenario.sh it only
# prints named sections; tests/qemu/check_haltpoll.py checks them.  The
# workload is haltload: vCPUs that halt waiting for their local APIC timer
# (1 ms) under KVM's in-kernel irqchip, so every halt goes through KVM's
# halt polling.  The guest has one CPU: a vCPU polls only while nothing
# else wants that CPU, so the runs whose success rate is checked have one
# vCPU, the others two (each counted on its own).
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

P=/sys/module/kvm/parameters

job() {
	echo "=== BEGIN $1"
	cat "$2"
	echo "=== END $1 rc=$3"
}

vm_of() {
	cvmstat-read list | awk -F, -v p="$1" '$2 == p { id = $1 } END { print id }'
}

# until cvmstat has seen a VM of process $1 (its first exit)
wait_vm() {
	while [ -z "$(vm_of "$1")" ] && kill -0 "$1" 2>/dev/null; do sleep 0.05; done
}

# hl TAG ARGS...: a haltload run, then what cvmstat counted for its VM
# (read after the VM is gone) next to what the guest and KVM counted.
hl() {
	tag=$1
	shift
	haltload "$@" -e /tmp/exp-$tag.csv >/tmp/run-$tag.out 2>&1 &
	pid=$!
	wait $pid
	job run-$tag /tmp/run-$tag.out $?
	sec pid-$tag echo "$pid"
	sec hp-$tag cvmstat-read hp --pid $pid
	sec exp-$tag cat /tmp/exp-$tag.csv
}

sec insmod insmod /cvm/cvmstat.ko
sec modprobe modprobe kvm-amd
sec version cvmstat-read version
sec params-boot grep . $P/halt_poll_ns $P/halt_poll_ns_grow \
	$P/halt_poll_ns_grow_start $P/halt_poll_ns_shrink
sec tool-show-none cvmstat halt-poll

# 1. The kernel's defaults: with a 1 ms timer, longer than halt_poll_ns
#    (200 us), the window never grows and nothing polls; with a 100 us
#    timer it grows and polls.  Then no polling at all, then a window far
#    longer than the timer period.
hl default -v 2 -n 200 -t 1000
hl short -v 1 -n 200 -t 100
sec set-zero cvmstat halt-poll halt_poll_ns=0
hl zero -v 2 -n 200 -t 1000
sec set-long cvmstat halt-poll halt_poll_ns=5000000
hl long -v 1 -n 200 -t 1000

# 2. The guest switches host polling off on vCPU 0 after 100 wakeups
#    (MSR_KVM_POLL_CONTROL := 0), recorded: the change is a row.
sec rec-optout cvmstat record -o /tmp/rec-optout.csv -i 0.5 -- \
	haltload -v 2 -n 200 -t 1000 -o 100 -e /tmp/exp-optout.csv
sec rec-optout-csv cat /tmp/rec-optout.csv
sec exp-optout cat /tmp/exp-optout.csv
sec events-optout cvmstat-read hp-events

# 3. Two VMs at once under the long global window; one gets a maximum of
#    0 from cvmstat before its vCPUs run: it never polls, the other does.
#    halt_poll_ns is also changed by hand while recording.
cat >/tmp/pervm.sh <<'EOF'
vm_of() {
	cvmstat-read list | awk -F, -v p="$1" '$2 == p { id = $1 } END { print id }'
}
wait_vm() {
	while [ -z "$(vm_of "$1")" ] && kill -0 "$1" 2>/dev/null; do sleep 0.05; done
}
rm -f /tmp/go
haltload -v 1 -n 200 -t 1000 -W /tmp/go -e /tmp/exp-va.csv >/tmp/run-va.out 2>&1 &
a=$!
haltload -v 1 -n 200 -t 1000 -W /tmp/go -e /tmp/exp-vb.csv >/tmp/run-vb.out 2>&1 &
b=$!
echo "a=$a b=$b" >/tmp/pids-pervm
wait_vm $a
wait_vm $b
cvmstat halt-poll --vm $a vm_halt_poll_ns=0 >/tmp/set-va.out 2>&1 || exit 9
cvmstat halt-poll --vm $a >/tmp/show-va.out 2>&1
sleep 1
echo 4000000 >/sys/module/kvm/parameters/halt_poll_ns
sleep 1
touch /tmp/go
wait $a || exit 7
wait $b || exit 8
EOF
sec rec-pervm cvmstat record -o /tmp/rec-pervm.csv -i 0.5 -- sh /tmp/pervm.sh
sec pids-pervm cat /tmp/pids-pervm
sec set-va cat /tmp/set-va.out
sec show-va cat /tmp/show-va.out
sec run-pervm cat /tmp/run-va.out /tmp/run-vb.out
sec rec-pervm-csv cat /tmp/rec-pervm.csv
a=$(sed -n 's/a=\([0-9]*\).*/\1/p' /tmp/pids-pervm)
b=$(sed -n 's/.*b=\([0-9]*\)/\1/p' /tmp/pids-pervm)
sec hp-va cvmstat-read hp --pid $a
sec hp-vb cvmstat-read hp --pid $b
sec exp-va cat /tmp/exp-va.csv
sec exp-vb cat /tmp/exp-vb.csv
sec show-haltpoll cvmstat show --vm $b --by haltpoll
sec show-haltpoll-csv cvmstat show --vm $b --by haltpoll --format csv
sec export-hp cvmstat export --per vcpu

# 4. A VM whose VMM set its own maximum (KVM_CAP_HALT_POLL 30 us), held
#    alive: set, clear, set again, then --restore gives back exactly what
#    was there, and the global parameters as they were at boot.  A second
#    VM without one comes back to the global value.
rm -f /tmp/go4 /tmp/hold4
haltload -v 1 -n 20 -t 1000 -c 30000 -W /tmp/go4 -H /tmp/hold4 >/tmp/run-c.out 2>&1 &
pc=$!
haltload -v 1 -n 20 -t 1000 -W /tmp/go4 -H /tmp/hold4 >/tmp/run-d.out 2>&1 &
pd=$!
wait_vm $pc
wait_vm $pd
sec pids-cd echo "c=$pc d=$pd"
sec abi abi-test 1 "$(vm_of $pd)"
sec c-0 cvmstat-read hp-vm --pid $pc
sec d-0 cvmstat-read hp-vm --pid $pd
sec set-c cvmstat halt-poll --vm $pc vm_halt_poll_ns=0
sec set-d cvmstat halt-poll --vm $pd vm_halt_poll_ns=1234 halt_poll_ns_grow=4
sec c-1 cvmstat-read hp-vm --pid $pc
sec show-mid cvmstat halt-poll
sec clear-c cvmstat halt-poll --vm $pc --clear
sec c-2 cvmstat-read hp-vm --pid $pc
sec set-c2 cvmstat halt-poll --vm $pc vm_halt_poll_ns=7777
sec c-3 cvmstat-read hp-vm --pid $pc
touch /tmp/go4
sleep 1
sec restore cvmstat halt-poll --restore
sec c-4 cvmstat-read hp-vm --pid $pc
sec d-4 cvmstat-read hp-vm --pid $pd
sec params-restored grep . $P/halt_poll_ns $P/halt_poll_ns_grow \
	$P/halt_poll_ns_grow_start $P/halt_poll_ns_shrink
sec state-gone ls /run/cvmstat
sec restore-again cvmstat halt-poll --restore
touch /tmp/hold4
wait $pc
job run-c /tmp/run-c.out $?
wait $pd
job run-d /tmp/run-d.out $?
sec err-exited cvmstat halt-poll --vm $pc vm_halt_poll_ns=1
sec err-novm cvmstat halt-poll --vm 999999 vm_halt_poll_ns=1
sec err-clear-exited cvmstat halt-poll --vm $pc --clear

# 5. Sweeps: three values of halt_poll_ns, one phase each; then a VM's
#    own maximum, the VM running throughout; then one ended by SIGTERM
#    and one whose command fails: the setting goes back every time.
sec sweep cvmstat record -o /tmp/sweep.csv -i 0.5 \
	--sweep halt_poll_ns=0,50000,5000000 -- haltload -v 1 -n 100 -t 1000
sec sweep-csv cat /tmp/sweep.csv
sec sweep-params grep -H . $P/halt_poll_ns
haltload -v 1 -s 8 -t 1000 -e /tmp/exp-sv.csv >/tmp/run-sv.out 2>&1 &
psv=$!
wait_vm $psv
sec sweep-vm cvmstat record -o /tmp/sweep-vm.csv -i 0.5 --vm $psv \
	--sweep vm_halt_poll_ns=0,5000000 -- sleep 2
sec sweep-vm-state cvmstat-read hp-vm --pid $psv
wait $psv
job run-sv /tmp/run-sv.out $?
sec sweep-vm-csv cat /tmp/sweep-vm.csv
sec pid-sv echo "$psv"
cvmstat record -o /tmp/sweep-sig.csv -i 0.5 --sweep halt_poll_ns=1,2,3 -- sleep 30 &
ps=$!
sleep 2
kill -TERM $ps
wait $ps
echo "rc=$?" >/tmp/sweep-sig.rc
sec sweep-sig cat /tmp/sweep-sig.rc /tmp/sweep-sig.csv
sec sweep-fail cvmstat record -o /tmp/sweep-fail.csv --sweep halt_poll_ns_grow=3,5 -- false
sec sweep-fail-csv cat /tmp/sweep-fail.csv
sec sweep-after grep . $P/halt_poll_ns $P/halt_poll_ns_grow
sec sweep-state ls /run/cvmstat

# 6. top while a VM halts.
haltload -v 2 -s 4 -t 1000 >/tmp/run-t.out 2>&1 &
pt=$!
wait_vm $pt
cvmstat top --vm $pt -i 1 -n 2 >/tmp/top.out 2>&1
job top /tmp/top.out $?
wait $pt

# 7. A VM's maximum set over and over while VMs come and go: every call
#    either changes a live VM or says it is gone (exit 3); no oops.
: >/tmp/loop.rc
i=0
while [ $i -lt 12 ]; do
	haltload -v 1 -n 100 -t 2000 >/dev/null 2>&1 &
	p=$!
	j=0
	while kill -0 $p 2>/dev/null; do
		cvmstat halt-poll --vm $p vm_halt_poll_ns=$((i * 1000 + j)) \
			>/dev/null 2>>/tmp/loop.err
		echo $? >>/tmp/loop.rc
		j=$((j + 1))
	done
	wait $p
	i=$((i + 1))
done
sec loop-rc sort /tmp/loop.rc
sec loop-err sort -u /tmp/loop.err
sec version-end cvmstat-read version
sec dmesg dmesg

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The stress test, run inside the QEMU guest (busybox sh) as
# /cvm/scenario.sh; tests/qemu/stress.sh puts the sizes in front of it
# (CYCLES, IOCTLS, THREADS, SEED, KVM_RELOADS, CVM_RELOADS).  Like
# scenario.sh it only prints named sections; tests/qemu/check_stress.py
# checks them.  Each step is bounded by its size, and each ends with exact
# counts or invariants checked:
#   1. permissions (perm-test): readers read, only root with a writable
#      descriptor resets and marks;
#   2. CYCLES VM create/destroy cycles (vmcycle -c: every VM counted
#      exactly, vm_ids never reused) while vmwatch and `cvmstat top` poll
#      all the time (vmwatch checks the module's invariants at every poll);
#   3. IOCTLS random ioctls (ioctl-fuzz, THREADS threads) while VMs are
#      created and destroyed and a 2-vCPU VM runs and marks, then a known
#      workload must still count exactly;
#   4. KVM_RELOADS reloads of kvm/kvm-amd under cvmstat, a VM counted
#      exactly after each;
#   5. CVM_RELOADS rmmod/insmod of cvmstat while VMs run, a VM counted
#      exactly after each insmod, and the running VMs unharmed;
#   6. two `cvmstat record` and one `cvmstat top` at once around
#      phased.sh's 3-phase workload: both recordings exact per phase;
#   7. a kmemleak scan, where the kernel has it;
#   8. last, since a WARN ends the boot: random ioctls with max_vms=65536
#      (review finding 10: a huge LIST must not reach the page allocator's
#      WARN).
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

CYCLES=${CYCLES:-1000}
IOCTLS=${IOCTLS:-1000000}
THREADS=${THREADS:-4}
SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
KVM_RELOADS=${KVM_RELOADS:-100}
CVM_RELOADS=${CVM_RELOADS:-50}

# Seconds since boot, and the time each step took (section "times").
now() { cut -d' ' -f1 /proc/uptime; }
lap() {
	t=$(now)
	echo "$1 $(awk -v a="$t0" -v b="$t" 'BEGIN { printf "%.1f", b - a }')" >>/tmp/times
	t0=$t
}

# Runs cvmload until FILE exists; the number of runs to /tmp/NAME.runs.
# Exit status 1 at the first run that fails.
cvmload_until() {
	stopfile=$1
	name=$2
	shift 2
	n=0
	while [ ! -e "$stopfile" ]; do
		cvmload "$@" >"/tmp/$name.last" 2>&1 || { cat "/tmp/$name.last"; exit 1; }
		n=$((n + 1))
		echo "$n" >"/tmp/$name.runs"
	done
	echo "runs=$n"
	exit 0
}

sec params echo "cycles=$CYCLES ioctls=$IOCTLS threads=$THREADS seed=$SEED" \
	"kvm_reloads=$KVM_RELOADS cvm_reloads=$CVM_RELOADS"
t0=$(now)
sec modprobe-kvm modprobe kvm-amd
sec insmod insmod /cvm/cvmstat.ko max_vms=16
sec version-start cvmstat-read version
lap setup

# 1. Permissions (review finding 11), on a VM it may forget.
cvmload -v 1 -k 20 >/tmp/run-perm.out 2>&1 &
pp=$!
wait $pp
job run-perm /tmp/run-perm.out $?
sec perm perm-test "$(vm_of $pp)"
lap perm

# 2. VM create/destroy cycles, readers polling all the time.
vmwatch -i 2 >/tmp/watch-cycles.out 2>&1 &
pw=$!
cvmstat top -i 0.5 >/tmp/top-cycles.out 2>&1 &
pt=$!
sec cycles vmcycle -n "$CYCLES" -c
kill -TERM $pw $pt
wait $pw
job watch-cycles /tmp/watch-cycles.out $?
wait $pt
rt=$?
tail -n 12 /tmp/top-cycles.out >/tmp/top-cycles.tail
job top-cycles /tmp/top-cycles.tail $rt
sec version-cycles cvmstat-read version
sec list-cycles cvmstat-read list
lap cycles

# 3. Random ioctls while VMs come and go (vmcycle, unchecked: the fuzzer
#    resets them) and a 2-vCPU VM runs whose vCPU 0 writes the phase port
#    at every iteration (a guest mark whenever the fuzzer opted guest marks
#    in), read by vmwatch (resets allowed).
sec rmmod-fuzz rmmod cvmstat
sec insmod-fuzz insmod /cvm/cvmstat.ko
rm -f /tmp/stop-fuzz
vmcycle -n 100000000 -k 4 -p 0x520 -S /tmp/stop-fuzz >/tmp/churn.out 2>&1 &
pc=$!
(cvmload_until /tmp/stop-fuzz live-fuzz -v 2 -k 300 -p 0xf4 -m 0x30000) \
	>/tmp/live-fuzz.out 2>&1 &
pl=$!
vmwatch -R >/tmp/watch-fuzz.out 2>&1 &
pw=$!
sec fuzz ioctl-fuzz -s "$SEED" -n "$IOCTLS" -t "$THREADS"
touch /tmp/stop-fuzz
wait $pc
job churn-fuzz /tmp/churn.out $?
wait $pl
job live-fuzz /tmp/live-fuzz.out $?
kill -TERM $pw
wait $pw
job watch-fuzz /tmp/watch-fuzz.out $?
sec version-fuzz cvmstat-read version
# afterwards: the module still counts exactly
cvmload -v 2 -k 300 -e /tmp/expect-k.csv >/tmp/run-k.out 2>&1 &
pk=$!
wait $pk
job run-k /tmp/run-k.out $?
sec counts-k cvmstat-read vm --pid $pk
sec expect-k cat /tmp/expect-k.csv
sec cycles-after-fuzz vmcycle -n 8 -c
lap fuzz

# 4. kvm/kvm-amd reloads under cvmstat, a VM counted exactly after each.
kvm_reloads() {
	i=0
	while [ $i -lt "$KVM_RELOADS" ]; do
		i=$((i + 1))
		rmmod kvm_amd kvm || { echo "reload $i: rmmod failed"; return 1; }
		modprobe kvm-amd || { echo "reload $i: modprobe failed"; return 1; }
		vmcycle -n 1 -k $((i % 16 + 1)) -p 0x530 -c ||
			{ echo "reload $i: the VM after it"; return 1; }
	done
	echo "kvm reloads: $i"
}
sec kvm-reloads kvm_reloads
sec version-kvm-reloads cvmstat-read version
lap kvm-reloads

# 5. rmmod/insmod of cvmstat while VMs run, each insmod followed by a VM
#    counted exactly.  The running VMs check themselves (cvmload's own
#    consistency) and must all end well.
cvm_reloads() {
	i=0
	while [ $i -lt "$CVM_RELOADS" ]; do
		i=$((i + 1))
		rmmod cvmstat || { echo "reload $i: rmmod failed"; return 1; }
		insmod /cvm/cvmstat.ko || { echo "reload $i: insmod failed"; return 1; }
		vmcycle -n 1 -k $((i % 16 + 1)) -p 0x540 -c ||
			{ echo "reload $i: the VM after it"; return 1; }
	done
	echo "cvmstat reloads: $i"
}
rm -f /tmp/stop-live
(cvmload_until /tmp/stop-live live-reload -v 2 -k 400 -p 0x700 -m 0x40000) \
	>/tmp/live-reload.out 2>&1 &
pl=$!
# a VM is running before the first rmmod
while ! cvmstat-read list | awk -F, '$6 == 1 { f = 1 } END { exit !f }' &&
	kill -0 $pl 2>/dev/null; do
	sleep 0.1
done
sec cvm-reloads cvm_reloads
touch /tmp/stop-live
wait $pl
job live-reload /tmp/live-reload.out $?
sec version-cvm-reloads cvmstat-read version
cvmload -v 2 -k 300 -p 0x800 -m 0x50000 -e /tmp/expect-m.csv >/tmp/run-m.out 2>&1 &
pm=$!
wait $pm
job run-m /tmp/run-m.out $?
sec counts-m cvmstat-read vm --pid $pm
sec expect-m cat /tmp/expect-m.csv
lap cvm-reloads

# 6. Two recorders and top at once around phased.sh's workload, on a fresh
#    module (no VM before it).  The second recorder and top run until
#    SIGTERM; phased.sh waits for both recordings to hold the guest mark
#    before it makes the next host mark.
sec rmmod-rec rmmod cvmstat
sec insmod-rec insmod /cvm/cvmstat.ko
cvmstat record -o /tmp/rec2.csv -i 0.2 2>/tmp/rec2.err &
pr=$!
cvmstat top -i 0.5 >/tmp/top-rec.out 2>&1 &
pt=$!
n=0
while [ ! -s /tmp/rec2.csv ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
sleep 1	# the recorder reads its baseline after writing the header
sec recorders cvmstat record -o /tmp/rec1.csv -i 0.2 -- \
	sh /cvm/phased.sh /tmp/rec1.csv /tmp/rec2.csv
kill -TERM $pr $pt
wait $pr
job rec2-exit /tmp/rec2.err $?
wait $pt
rt=$?
tail -n 12 /tmp/top-rec.out >/tmp/top-rec.tail
job top-rec /tmp/top-rec.tail $rt
px=$(cat /tmp/pid-x 2>/dev/null)
sec rec-run cat /tmp/run-x.out
sec rec-pid echo "x=$px"
sec rec1-csv cat /tmp/rec1.csv
sec rec2-csv cat /tmp/rec2.csv
sec rec-expect cat /tmp/expect-x.csv
sec rec-marks cvmstat-read phases
sec rec-counts cvmstat-read vm --pid "$px"
lap recorders

sec rmmod-end rmmod cvmstat
# 7. kmemleak (debug kernels): nothing unreferenced after the module left.
if [ -w /sys/kernel/debug/kmemleak ]; then
	kmemleak() {
		echo scan >/sys/kernel/debug/kmemleak
		sleep 5
		echo scan >/sys/kernel/debug/kmemleak
		cat /sys/kernel/debug/kmemleak
	}
	sec kmemleak kmemleak
fi
sec dmesg dmesg
lap end
sec times cat /tmp/times

# 8. Random ioctls with room for 65536 VMs: LIST's buffer must not be
#    allocated by its nr (review finding 10: a WARN, which panics the
#    guest: so it comes last).
sec insmod-maxvms insmod /cvm/cvmstat.ko max_vms=65536
sec fuzz-maxvms ioctl-fuzz -s "$SEED" -n 20000 -t 2
sec rmmod-maxvms rmmod cvmstat

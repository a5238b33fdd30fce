#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module test, run inside the QEMU guest (busybox sh) as /cvm/scenario.sh.
# Each step's output goes into a named section, "=== BEGIN name" ...
# "=== END name rc=N"; tests/qemu/check_results.py checks them on the host
# against what the workload reports it did.  This script asserts nothing
# itself, so every check lives in one place.
PATH=/cvm:$PATH
export PATH

. /cvm/sections.sh

# Workload: run it, then read what cvmstat counted for its VM (after the VM
# is gone: counters must survive it) next to what the workload saw.
counted() {
	tag=$1
	shift
	${pin:+taskset -c "$pin"} cvmload "$@" -e /tmp/expect-$tag.csv \
		>/tmp/run-$tag.out 2>&1 &
	pid=$!
	wait $pid
	job run-$tag /tmp/run-$tag.out $?
	sec counts-$tag cvmstat-read vm --pid $pid
	sec expect-$tag cat /tmp/expect-$tag.csv
}

# 1. cvmstat first, kvm.ko after it: the notifier binds when kvm comes.
sec insmod-before-kvm insmod /cvm/cvmstat.ko
sec version-no-kvm cvmstat-read version
sec modprobe-kvm modprobe kvm-amd
sec version-kvm cvmstat-read version

# 2. Two VMs at once, with 2 and 3 vCPUs (one thread per vCPU).
cvmload -v 2 -k 1000 -e /tmp/expect-a.csv >/tmp/run-a.out 2>&1 &
pa=$!
cvmload -v 3 -k 500 -p 0x600 -m 0x30000 -e /tmp/expect-b.csv >/tmp/run-b.out 2>&1 &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
job run-a /tmp/run-a.out $ra
job run-b /tmp/run-b.out $rb
sec version-after-vms cvmstat-read version
sec list-ab cvmstat-read list
sec pids-ab echo "a=$pa b=$pb"
sec counts-a cvmstat-read vm --pid $pa
sec expect-a cat /tmp/expect-a.csv
sec counts-b cvmstat-read vm --pid $pb
sec expect-b cat /tmp/expect-b.csv

# 2b. The symbols cvmstat.ko resolved (debugfs) against /proc/kallsyms: the
#     one function pointer it calls (get_exit_info) is a function's exact
#     start, as IBT and kCFI require.
sec symbols cat /sys/kernel/debug/cvmstat/symbols
sec kallsyms awk '$3 ~ /^(kvm_x86_ops|kvm_running_vcpu|svm_get_exit_info)$/' /proc/kallsyms

# 3. The ioctl contract, every error path.
vma=$(vm_of $pa)
sec abi abi-test "$vma"

# 4. Reset: an exited VM is forgotten, the other one stays.
sec reset-a cvmstat-read reset "$vma"
sec read-after-reset cvmstat-read vm "$vma"
sec list-after-reset cvmstat-read list

# 4b. Reset of a live VM: cvmload pauses mid-iteration, the VM is reset,
#     and from then on exactly what the guest does after the pause counts.
cvmload -v 1 -k 400 -P /tmp/paused -e /tmp/expect-r.csv >/tmp/run-r.out 2>&1 &
pr=$!
while [ ! -e /tmp/paused ]; do sleep 0.1; done
sec reset-live cvmstat-read reset "$(vm_of $pr)"
sec read-live-reset cvmstat-read vm --pid $pr
rm /tmp/paused
wait $pr
job run-r /tmp/run-r.out $?
sec counts-r cvmstat-read vm --pid $pr
sec expect-r cat /tmp/expect-r.csv

# 4c. One thread runs both vCPUs in turn, changing CPU between KVM_RUNs:
#     INs and MMIO reads completed at a vCPU's next KVM_RUN, after the
#     thread ran the other one, still count on the right vCPU.
counted alt -A -v 2 -k 300 -p 0x900 -m 0x60000
counted alt3 -A -v 3 -k 200 -p 0x980 -m 0x70000

# 4d. Reads of running vCPUs through the vCPU's own copy (copy_tries=0):
#     every read while the VM runs succeeds, and the counts are exact.
echo 0 >/sys/module/cvmstat/parameters/copy_tries
sec readers-before cat /sys/kernel/debug/cvmstat/readers
cvmload -v 2 -k 3000 -p 0xa00 -m 0x80000 -e /tmp/expect-o.csv >/tmp/run-o.out 2>&1 &
po=$!
ok=0 novm=0 bad=0
while kill -0 $po 2>/dev/null; do
	cvmstat-read vm --pid $po >/dev/null 2>/tmp/read-o.err
	case $? in 0) ok=$((ok + 1)) ;; 3) novm=$((novm + 1)) ;; *) bad=$((bad + 1)) ;; esac
done
wait $po
job run-o /tmp/run-o.out $?
echo 4 >/sys/module/cvmstat/parameters/copy_tries
sec reads-o echo "ok=$ok novm=$novm bad=$bad"
sec readers-after cat /sys/kernel/debug/cvmstat/readers
sec counts-o cvmstat-read vm --pid $po
sec expect-o cat /tmp/expect-o.csv

# 4e. VM destruction unseen (kprobes disarmed by hand): the same VM shape
#     twice, KVM likely reusing the first one's memory.  Neither may count
#     the other's exits without saying so (the old VM stale, the new one
#     partial), and lifetime_missed counts the stale ones.  Both run on
#     CPU 0, where the slab most likely hands the second the first one's
#     vCPU, and the second starts after the per-CPU caches were emptied
#     (once a second), so its first exit takes a slow path: within that
#     second it would count as the first VM unseen, the blind spot that
#     registry.c describes.
echo 0 >/sys/kernel/debug/kprobes/enabled
pin=0 counted l1 -v 1 -k 100 -p 0xa80 -m 0x90000
sleep 1.5
pin=0 counted l2 -v 1 -k 150 -p 0xa80 -m 0x90000
pin=
echo 1 >/sys/kernel/debug/kprobes/enabled
sec pids-l echo "l1=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' /tmp/run-l1.out) l2=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' /tmp/run-l2.out)"
sec list-l cvmstat-read list
sec version-l cvmstat-read version
# Their slots stay until the module goes: what follows starts afresh.
sec rmmod-l rmmod cvmstat
sec insmod-l insmod /cvm/cvmstat.ko

# 5. A new VM never inherits an old one's counters (same process name,
#    KVM likely reusing the memory of the VMs just destroyed).
counted c -v 1 -k 200

# 6. rmmod cvmstat while a VM runs: the VM goes on unharmed.
cvmload -v 2 -s 4 -e /tmp/expect-live.csv >/tmp/run-live.out 2>&1 &
pl=$!
sleep 2
sec rmmod-live rmmod cvmstat
wait $pl
job run-live /tmp/run-live.out $?

# 7. kvm.ko loaded first, cvmstat after it.
sec insmod-after-kvm insmod /cvm/cvmstat.ko
sec version-after-kvm cvmstat-read version
counted d -v 2 -k 300

# 8. kvm.ko unloaded and reloaded under a loaded cvmstat.
sec kvm-unload rmmod kvm_amd kvm
sec version-kvm-gone cvmstat-read version
sec kvm-reload modprobe kvm-amd
sec version-kvm-back cvmstat-read version
counted e -v 2 -k 250 -p 0x700 -m 0x40000

# 9. 64 vCPUs, read in one ioctl.
counted f -v 64 -k 2 -p 0x800 -m 0x50000

sec list-final cvmstat-read list
sec rmmod-final rmmod cvmstat

# 10. Retention limit: with room for 2 VMs, the oldest exited one goes.
sec insmod-max2 insmod /cvm/cvmstat.ko max_vms=2
for t in g1 g2 g3; do
	cvmload -v 1 -k 10 >/tmp/run-$t.out 2>&1 &
	p=$!
	wait $p
	job run-$t /tmp/run-$t.out $?
	echo "$t=$p" >>/tmp/pids-g
done
sec pids-g cat /tmp/pids-g
sec list-max2 cvmstat-read list
sec version-max2 cvmstat-read version
sec rmmod-max2 rmmod cvmstat

# 11. Phase marks.  The VM's OUTs go to the phase port, each of its 100
#     iterations one.  Nobody opted its guest marks in: none is a mark.
#     Then opted in: as many mark as the rate limit lets through, the rest
#     are counted as dropped, and the counters as of the last mark are
#     exactly what the guest had done up to the OUT that made it.  70 host
#     marks then wrap the ring.
sec insmod-phases insmod /cvm/cvmstat.ko
sec phases-none cvmstat-read phases
sec phase-host cvmstat-read phase "setup, \"first\""
cvmload -v 1 -k 100 -p 0xf4 -e /tmp/expect-q.csv >/tmp/run-q.out 2>&1 &
pq=$!
wait $pq
job run-q /tmp/run-q.out $?
sec phases-quiet cvmstat-read phases
sec list-quiet cvmstat-read list
sec pid-q echo "q=$pq"
cvmstat-read marks all -- sh -c 'cvmload -v 1 -k 100 -p 0xf4 \
	-e /tmp/expect-p.csv >/tmp/run-p.out 2>&1 & echo $! >/tmp/pid-p; wait $!'
rp=$?
pp=$(cat /tmp/pid-p)
job run-p /tmp/run-p.out $rp
sec pid-p echo "p=$pp"
sec list-p cvmstat-read list
sec phases-all cvmstat-read phases
last=$(cvmstat-read phases | tail -n 1 | cut -d, -f1)
sec counts-p-last cvmstat-read vm --pid $pp --at "$last"
sec counts-p-stale cvmstat-read vm --pid $pp --at $((last - 1))
sec counts-p-before cvmstat-read vm --pid $pp --at 1
i=0
while [ $i -lt 70 ]; do cvmstat-read phase "host $i" >/dev/null; i=$((i + 1)); done
sec phases-wrapped cvmstat-read phases
sec rmmod-phases rmmod cvmstat

# 12. Migration: more vCPU threads than CPUs (two VMs of 3 vCPUs on the
#     guest's 2) while a loop keeps changing every thread's CPU affinity,
#     so vCPU threads are preempted and moved between CPUs while they exit,
#     in and out of the probes.  Every count must still be its own vCPU's.
#     The loop notes "TID CPU" for each thread after each change (each
#     pair once in the results).  Each round pins every thread to the CPU
#     it was not pinned to in the round before, and every vCPU runs for
#     the whole 3 seconds (-s, not a number of iterations, after which the
#     first vCPUs would be gone while the last still run): two rounds see
#     each of the 6 always-runnable vCPU threads on both CPUs, however
#     slowly a loaded machine lets the loop go round.
shuffle() {
	pids="$*"
	r=0
	n=0
	while :; do
		alive=0
		for p in $pids; do
			for t in /proc/$p/task/*; do
				[ -d "$t" ] || continue
				alive=1
				tid=${t##*/}
				m=$(((tid + r) % 2 + 1))
				taskset -p $m "$tid" >/dev/null 2>&1 && n=$((n + 1))
				# field 39 of stat: the CPU it last ran on (no fork)
				read -r st 2>/dev/null <"$t/stat" || continue
				set -- $st
				echo "$tid ${39}"
			done
		done
		[ $alive = 1 ] || break
		r=$((r + 1))
		sleep 0.05
	done
	echo "changes=$n rounds=$r"
}
sec insmod-migrate insmod /cvm/cvmstat.ko
cvmload -v 3 -s 3 -p 0x900 -m 0x60000 -e /tmp/expect-m1.csv >/tmp/run-m1.out 2>&1 &
pm1=$!
cvmload -v 3 -s 3 -p 0xa00 -m 0x70000 -e /tmp/expect-m2.csv >/tmp/run-m2.out 2>&1 &
pm2=$!
shuffle $pm1 $pm2 >/tmp/shuffle.out 2>&1 &
psh=$!
wait $pm1
rm1=$?
wait $pm2
rm2=$?
wait $psh
rsh=$?
sort -u /tmp/shuffle.out >/tmp/shuffle.sum
job shuffle /tmp/shuffle.sum $rsh
job run-m1 /tmp/run-m1.out $rm1
job run-m2 /tmp/run-m2.out $rm2
sec counts-m1 cvmstat-read vm --pid $pm1
sec expect-m1 cat /tmp/expect-m1.csv
sec counts-m2 cvmstat-read vm --pid $pm2
sec expect-m2 cat /tmp/expect-m2.csv
sec version-migrate cvmstat-read version
sec rmmod-migrate rmmod cvmstat

# 13. The cvmstat tool.  "load" finds cvmstat.ko by name where DKMS puts
#     it.  "record" follows phased.sh: a host mark, then cvmload marks a
#     phase from its guest and stops for a host mark, every boundary exact
#     for every vCPU: the rows summed per phase must equal what cvmload did
#     in each phase.  Then JSON lines, a guest mark only.
sec tool-load cvmstat load
sec tool-load-again cvmstat load
sec tool-record cvmstat record -o /tmp/rec.csv -i 0.2 -- sh /cvm/phased.sh /tmp/rec.csv
px=$(cat /tmp/pid-x 2>/dev/null)
sec tool-run cat /tmp/run-x.out
sec tool-pid echo "x=$px"
sec tool-csv cat /tmp/rec.csv
sec tool-expect cat /tmp/expect-x.csv
sec tool-marks cvmstat-read phases
sec tool-counts cvmstat-read vm --pid "$px"
sec tool-record-json cvmstat record -o /tmp/rec.json -i 0.2 --format json -- \
	cvmload -v 2 -X 300,g:300 -E /tmp/expect-j.csv
sec tool-json cat /tmp/rec.json
sec tool-expect-json cat /tmp/expect-j.csv
sec tool-marks-json cvmstat-read phases
sec tool-show cvmstat show --vm "$px"
# top.  After the VM exited, on a terminal (this serial port): redrawn in
# place, rates 0, totals exact.  While one runs, into a file: plain blocks,
# live rates.
sec tool-top-exited cvmstat top --vm "$px" -i 0.1 -n 2
cvmload -v 1 -s 4 >/tmp/run-t.out 2>&1 &
pt=$!
while [ -z "$(vm_of $pt)" ] && kill -0 $pt 2>/dev/null; do sleep 0.1; done
cvmstat top --vm "$pt" -i 0.5 -n 2 >/tmp/top-live.out 2>&1
job tool-top-live /tmp/top-live.out $?
wait $pt
job tool-top-run /tmp/run-t.out $?
sec tool-status cvmstat status
sec tool-btf sh -c 'test -e /sys/kernel/btf/kvm && echo kvm-btf=yes || echo kvm-btf=no'
# Errors a researcher meets, each with its exit code: no such VM, a full
# disk in the middle of a recording (the command still runs to its end),
# a command that does not exist; and SIGTERM ends a recording cleanly.
sec tool-err-novm cvmstat show --vm 999999
sec tool-err-norec cvmstat record -o /tmp/norec.csv --vm 999999 -- true
sec tool-rec-vm cvmstat record -o /tmp/recvm.csv --vm "$px" -- true
mkdir -p /tmp/small && mount -t tmpfs -o size=16k tmpfs /tmp/small
sec tool-err-diskfull cvmstat record -o /tmp/small/rec.csv -i 0.1 -- \
	cvmload -v 2 -k 2000
sec tool-err-notfound cvmstat record -o /tmp/nf.csv -- /cvm/no-such-command
cvmstat record -o /tmp/sig.csv -i 0.2 &
ps=$!
# SIGTERM once it is recording (it blocks the signal before it writes the
# header): on a slow kernel (the debug one) it may take over a second
while [ ! -s /tmp/sig.csv ] && kill -0 $ps 2>/dev/null; do sleep 0.1; done
sleep 1
kill -TERM $ps
wait $ps
rs=$?
head -n 1 /tmp/sig.csv >/tmp/sig.head
job tool-sigterm /tmp/sig.head $rs
# A noisy neighbour: while phased.sh runs under a recording of every VM,
# another VM writes the phase port at every iteration.  Its marks are
# rate-limited and touch only its own VM: the phased VM's recording stays
# exact, and each of the noisy VM's OUTs is a mark recorded, one dropped by
# the rate limit, or one the recorder reports lost when it fell a ring
# (64 marks) behind, as a slow emulated guest's can.
sec tool-record-noisy cvmstat record -o /tmp/rec-n.csv -i 0.2 -- sh -c \
	'cvmload -v 1 -s 6 -p 0xf4 >/tmp/run-n.out 2>&1 & echo $! >/tmp/pid-n
	 sh /cvm/phased.sh /tmp/rec-n.csv; r=$?; wait; exit $r'
sec tool-noisy-run cat /tmp/run-x.out /tmp/run-n.out
sec tool-noisy-pids echo "x=$(cat /tmp/pid-x) n=$(cat /tmp/pid-n)"
sec tool-noisy-csv cat /tmp/rec-n.csv
sec tool-noisy-expect cat /tmp/expect-x.csv
sec tool-noisy-counts-x cvmstat-read vm --pid "$(cat /tmp/pid-x)"
sec tool-noisy-counts-n cvmstat-read vm --pid "$(cat /tmp/pid-n)"
sec tool-noisy-list cvmstat-read list
sec tool-noisy-marks cvmstat-read phases
sec tool-unload cvmstat unload
sec tool-unload-again cvmstat unload
sec tool-unloaded test ! -e /sys/module/cvmstat

sec dmesg dmesg

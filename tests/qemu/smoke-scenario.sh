#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke scenario (runs as /cvm/scenario.sh inside the QEMU guest, busybox
# sh): kvm-amd loads, cvmload runs (two at once), kvm reloads, cvmload
# runs again, and a timed run. Checks every expectations file.
set -eu

log() { echo "smoke: $*"; }
fail() { echo "smoke: FAIL: $*"; exit 1; }

# check_expect FILE NVCPUS ITERS: ITERS = 0 for a timed (-s) run.
check_expect() {
	awk -F, -v nv="$2" -v k="$3" '
		NR == 1 {
			if ($0 != "vcpu_id,kind,key,dir,count") { print "bad header"; bad = 1 }
			next
		}
		{
			rows++
			if ($2 == "iter") iter[$1] = $5
			cnt[NR] = $5; vc[NR] = $1; key[NR] = $3
		}
		END {
			if (rows != 9 * nv) { print "rows " rows " != " 9 * nv; bad = 1 }
			for (r in cnt) {
				n = k ? k * (vc[r] + 1) : iter[vc[r]]
				want = key[r] == "0xf1" ? 1 : n
				if (cnt[r] != want || n < 1) {
					print "row " r ": count " cnt[r] " != " want; bad = 1
				}
			}
			exit bad
		}' "$1" || fail "$1 does not match (nvcpus $2, iters $3)"
	log "$1 ok"
}

run() {
	log "run: cvmload $*"
	cvmload "$@" || fail "cvmload $* exited with $?"
}

log "kernel $(uname -r)"
modprobe kvm-amd || fail "modprobe kvm-amd"
[ -c /dev/kvm ] || fail "no /dev/kvm after modprobe kvm-amd"
lsmod

t0=$(date +%s)
log "two concurrent cvmload processes"
cvmload -v 2 -k 1000 -e /tmp/a.csv >/tmp/a.out 2>&1 &
pa=$!
cvmload -v 3 -k 500 -p 0x600 -m 0x30000 -e /tmp/b.csv >/tmp/b.out 2>&1 &
pb=$!
ra=0; wait $pa || ra=$?
rb=0; wait $pb || rb=$?
cat /tmp/a.out /tmp/b.out
[ $ra -eq 0 ] || fail "cvmload -v 2 -k 1000 exited with $ra"
[ $rb -eq 0 ] || fail "cvmload -v 3 -k 500 exited with $rb"
log "concurrent runs took $(($(date +%s) - t0)) s"
echo "--- /tmp/a.csv (-v 2 -k 1000)"
cat /tmp/a.csv
echo "--- /tmp/b.csv (-v 3 -k 500 -p 0x600 -m 0x30000)"
cat /tmp/b.csv
check_expect /tmp/a.csv 2 1000
check_expect /tmp/b.csv 3 500

log "reload kvm"
rmmod kvm-amd kvm || fail "rmmod kvm-amd kvm"
[ ! -e /sys/module/kvm ] || fail "kvm still loaded after rmmod"
modprobe kvm-amd || fail "modprobe kvm-amd (again)"
[ -c /dev/kvm ] || fail "no /dev/kvm after reload"
run -v 2 -k 1000 -e /tmp/c.csv
check_expect /tmp/c.csv 2 1000

log "timed run"
t0=$(date +%s)
run -v 2 -s 3 -e /tmp/d.csv
log "timed run took $(($(date +%s) - t0)) s"
echo "--- /tmp/d.csv (-v 2 -s 3)"
cat /tmp/d.csv
check_expect /tmp/d.csv 2 0

log "all ok"

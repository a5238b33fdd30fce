#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage (in the QEMU guest, from scenario.sh):
#	cvmstat record -o REC ... -- sh /cvm/phased.sh REC [REC...]
#
# A benchmark with three phases for `cvmstat record` to follow: a host mark,
# then cvmload with 2 vCPUs in phased mode, which runs phase 1, marks phase 2
# from inside the guest (vCPU 0 writes 2 to the phase port), and stops every
# vCPU at a handshake for the host to mark phase 3.  Every boundary is exact
# for every vCPU, so the recording summed per phase must equal what cvmload
# writes to /tmp/expect-x.csv (for every recording REC, CSV, that runs
# meanwhile: each must have read the guest mark before the host one, see
# below).  The host phase names are awkward on purpose
# (a comma, quotes, UTF-8, a line break): the recording must give them back
# byte for byte.  tests/qemu/check_results.py has the same names.
#
# cvmload's pid goes to /tmp/pid-x, its output to /tmp/run-x.out.  Exit
# status: cvmload's, or 1 if a mark or the handshake failed.
PATH=/cvm:$PATH
hs=/tmp/phased.handshake

rm -f "$hs"
cvmstat phase 'warm-up, "naïve"' || exit 1
cvmload -v 2 -X 600,g:600,h:600 -H "$hs" -E /tmp/expect-x.csv \
	>/tmp/run-x.out 2>&1 &
pid=$!
echo "$pid" >/tmp/pid-x

# Waits up to a minute for "$@" to succeed, while cvmload lives.
wait_for() {
	n=0
	until "$@"; do
		kill -0 "$pid" 2>/dev/null && [ $n -lt 600 ] || return 1
		n=$((n + 1))
		sleep 0.1
	done
}

fail() {
	echo "phased.sh: $*" >&2
	kill "$pid" 2>/dev/null
	rm -f "$hs"
	wait "$pid"
	exit 1
}

# cvmload created the handshake file: every vCPU is parked at the end of
# phase 2.
wait_for test -e "$hs" || fail "cvmload did not reach the handshake"
# The module holds one boundary per vCPU, the latest: the recorder must
# have read the guest mark before the next mark.  It writes the mark row
# at once and flushes it at its next interval.
for rec in "$@"; do
	wait_for grep -q ',guest phase 2,.*,mark' "$rec" ||
		fail "no guest mark in $rec"
done
cvmstat phase 'steady
state ✓' || fail "cvmstat phase failed"
rm "$hs"
wait "$pid"

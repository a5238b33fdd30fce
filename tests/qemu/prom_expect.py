#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What Prometheus answered, against what the workload implies.

Usage: prom_expect.py RESULTS_FILE QUERY_JSON QUERY_HALT_JSON

RESULTS_FILE is qemu/pkg-scenario.sh's output (cvmload's own counts of the
run, expect-a, and the module's, counts-a); QUERY_JSON the answer to
sum by (reason) (cvmstat_exits_total) as {reason: value}.  Exact: CPUID =
iterations, HLT = halts, IOIO = port accesses, MSR = MSR accesses, NPF =
MMIO accesses + the one RAM fault; INTR (host interrupts, not the
workload's) must equal what the module counted.  QUERY_HALT_JSON: each
halt-polling family summed, {family: value}: every one of them present and
0 (cvmload has no in-kernel local APIC: its HLTs exit to cvmload, none is a
halt in KVM).  Prints "FAIL: ..." lines and exits 1 on a difference.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_results as cr  # noqa: E402

# cvmstat export's halt-polling families, without cvmstat_ and _total
HALT_FAMILIES = ("halts", "halt_poll_successes", "halt_poll_failures", "halts_not_polled",
                 "halt_polled_seconds", "halt_poll_wasted_seconds", "halt_waited_seconds")


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        secs = cr.parse_sections(f.read())
    with open(sys.argv[2]) as f:
        got = json.load(f)
    exp = cr.rows(secs["expect-a"]["lines"])
    counts = cr.rows(secs["counts-a"]["lines"])

    def e(kind):
        return sum(int(r["count"]) for r in exp if r["kind"] == kind)

    want = {"CPUID": e("iter"), "HLT": e("hlt"), "IOIO": e("pio"),
            "MSR": e("msr"), "NPF": e("mmio") + cr.RAM_FAULTS_VCPU0}
    intr = sum(int(r["count"]) for r in counts
               if r["kind"] == "reason" and int(r["key"], 16) & 0xFFFFFFFF == cr.SVM_INTR)
    if intr:
        want["INTR"] = intr
    bad = 0
    print(f"promql: sum by (reason) (cvmstat_exits_total) = {json.dumps(got, sort_keys=True)}")
    print(f"workload: {json.dumps(want, sort_keys=True)}")
    if got != want:
        print(f"FAIL: Prometheus says {got}, the workload implies {want}")
        bad = 1
    with open(sys.argv[3]) as f:
        halt = json.load(f)
    want_halt = {m: 0.0 for m in HALT_FAMILIES}
    print(f"promql: halt polling, sum(cvmstat_*_total) = {json.dumps(halt, sort_keys=True)}")
    if halt != want_halt:
        print(f"FAIL: Prometheus says {halt} for halt polling, the workload implies {want_halt}")
        bad = 1
    sys.exit(bad)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Usage: bench_table.py RESULTS ITERS CSV BOOT_RC

The overhead benchmark's table from one run's results (bench-scenario.sh's
"bench" and "seen" lines): per configuration, guest instructions per exit
(-icount: elapsed ns = instructions; exits = ITERS * 8 + 2, as cost.sh),
added over the baseline (the mean of the run's first and last baseline
runs), and how many times what cvmstat counting adds, and what cvmstat
with exit-handling time adds.  Printed as a
Markdown table and written to CSV (one row per configuration, loads into
pandas/R unchanged).  Checks: the boot ended well (BOOT_RC, boot.sh's
exit status, 0), every configuration ran its workload to the end (cvmload
"ok", exit status 0) and saw its exits (the "seen" lines: exact, or at
least); the two baselines agree within 2 instructions per exit (leftover
tracing state would add hundreds).
Ends with "bench: N passed, N failed"; exit status 1 on a failure.
"""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "qemu"))
from check_results import check  # noqa: E402  one FAIL line per failed check
import check_results  # noqa: E402  its tally

ROWS = [
    ("base", "nothing attached (baseline)"),
    ("floor-exit", "empty probes on counting's tracepoints (the floor)"),
    ("floor-entry", "empty probes on those and timing's"),
    ("cvmstat", "cvmstat counting"),
    ("cvmstat-latency", "cvmstat counting + exit-handling time"),
    ("cvmstat-record", "cvmstat counting, `cvmstat record -i 0.1` running"),
    ("ftrace-event", "ftrace `kvm_exit` event into the ring buffer"),
    ("ftrace-hist", "ftrace `hist:keys=exit_reason` on kvm_exit"),
    ("bpftrace-count", "bpftrace count by exit_reason"),
    ("bpftrace-latency", "bpftrace kvm_exit->kvm_entry time, hist"),
    ("perf-kvm", "`perf kvm stat record -a`"),
    ("base-end", "nothing attached, again at the end"),
]
BASE_AGREE = 2.0     # five boots: within 0.5


def fmt(v, places=2):
    return "" if v is None else f"{v:.{places}f}"


def main():
    results, iters, out_csv, boot_rc = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    exits = iters * 8 + 2
    runs, seen = {}, []
    for line in open(results, encoding="utf-8", errors="replace"):
        f = line.split()
        if len(f) >= 2 and f[0] == "bench":
            kv = dict(w.split("=", 1) for w in f[2:] if "=" in w)
            runs[f[1]] = (kv, f[-1] == "ok")
        elif len(f) == 5 and f[0] == "seen" and f[4].isdigit():
            seen.append((f[1], int(f[2]) if f[2].isdigit() else -1, f[3], int(f[4])))

    check(boot_rc == "0", f"the guest run failed (boot.sh exit status {boot_rc})")
    per, why = {}, {}
    for name, _ in ROWS:
        kv, ok = runs.get(name, ({}, False))
        good = ok and kv.get("rc") == "0" and "elapsed_ns" in kv and \
            kv.get("iters") == str(iters)
        check(good, f"{name}: the workload did not run to its end ({kv or 'no run'})")
        if good:
            per[name] = int(kv["elapsed_ns"]) / exits
        else:
            why[name] = f"exit status {kv['rc']}" if "rc" in kv else "no run"
    for name, n, how, want in seen:
        good = n == want if how == "want" else n >= want
        what = "exactly" if how == "want" else "at least"
        check(good, f"{name}: saw {n}, want {what} {want}")
        if not good:
            why.setdefault(name.split("/")[0], f"{name}: saw {n}, want {what} {want}")
    for name, _ in ROWS:
        if name in per and name not in ("base", "base-end") and \
           not any(s[0].split("/")[0] == name for s in seen):
            check(False, f"{name}: no check of what it saw")

    base = None
    if "base" in per and "base-end" in per:
        base = (per["base"] + per["base-end"]) / 2
        check(abs(per["base"] - per["base-end"]) <= BASE_AGREE,
              f"baselines differ: {per['base']:.1f} and {per['base-end']:.1f}")
    def added_of(name):
        return per[name] - base if name in per and base is not None else None

    def ratio(added, ref):
        return added / ref if added is not None and ref else None

    cvm, cvm_lat = added_of("cvmstat"), added_of("cvmstat-latency")
    table = []
    for name, what in ROWS:
        added = added_of(name)
        if name in ("base", "base-end"):
            table.append((name, what, per.get(name), added, None, None))
        else:
            table.append((name, what, per.get(name), added, ratio(added, cvm),
                          ratio(added, cvm_lat)))

    print(f"bench: {exits} exits per configuration (1 vCPU, {iters} x CPUID, OUT, IN, "
          f"MMIO write, MMIO read, RDMSR, WRMSR, HLT); guest instructions")
    print()
    def times(r):
        return "" if r is None else f"{r:.2f}x" if r < 10 else f"{r:.0f}x"

    print("| configuration | instructions per exit | added | x cvmstat counting "
          "| x cvmstat with times |")
    print("|---|---:|---:|---:|---:|")
    for name, what, ipe, added, r, r_lat in table:
        if name in why:
            what += f" (FAILED: {why[name]})"
        if ipe is None:
            print(f"| {what} | not run | | | |")
            continue
        a = "" if added is None else f"{round(added, 1) + 0.0:+.1f}"  # no -0.0
        print(f"| {what} | {ipe:.1f} | {a} | {times(r)} | {times(r_lat)} |")

    with open(out_csv, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["config", "description", "exits", "elapsed_ns",
                    "instructions_per_exit", "added_per_exit", "ratio_to_cvmstat",
                    "ratio_to_cvmstat_latency"])
        for name, what, ipe, added, r, r_lat in table:
            kv = runs.get(name, ({}, False))[0]
            w.writerow([name, what.replace("`", ""), exits, kv.get("elapsed_ns", ""),
                        fmt(ipe), fmt(added), fmt(r, 3), fmt(r_lat, 3)])
    print()
    print(f"bench: {check_results.passed} passed, {check_results.failed} failed")
    return 1 if check_results.failed else 0


if __name__ == "__main__":
    sys.exit(main())

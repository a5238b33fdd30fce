#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-phase summary of a `cvmstat record` CSV: exits per reason per phase.

Usage: phase_summary.py RECORD.csv [--keys N]

What a researcher would do first with a recording, with nothing but
python's csv module: sum `count` per (phase, reason) over all vCPUs, and
per phase and vCPU, and show how long each phase lasted (between marks).
With --keys, also the N MMIO addresses, MSRs and ports (with direction)
whose counts differ most between the phases: what changed.
"""
import csv
import sys


def label(phase):
    """A phase name on one line (names may hold line breaks)."""
    return phase.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def changed_keys(by_key, phases, n):
    """The n keys whose counts differ most between phases, one row each."""
    def spread(k):
        c = [by_key[k].get(ph, 0) for ph in phases]
        return max(c) - min(c)
    keys = sorted(by_key, key=lambda k: (-spread(k), k))[:n]
    names = [label(p) for _, p in phases]
    w = [max(10, len(x) + 2) for x in names]
    print(f"Keys whose counts differ most between the phases (all vCPUs):")
    print(f"{'kind':<9}{'key':<12}{'dir':<7}{'name':<24}"
          + "".join(f"{x:>{wi}}" for x, wi in zip(names, w)))
    for k in keys:
        kind, key, d, name = k
        shown = f"{key:#x}" if kind != "overflow" else str(key)
        print(f"{kind:<9}{shown:<12}{d:<7}{name[:23]:<24}"
              + "".join(f"{by_key[k].get(ph, 0):>{wi}}" for ph, wi in zip(phases, w)))


def main(path, keys=0):
    by_reason = {}          # (seq, phase) -> {reason name: count}
    by_key = {}             # (kind, key, dir, name) -> {(seq, phase): count}
    by_vcpu = {}            # (seq, phase) -> {vcpu: exits}
    starts = {}             # seq -> time_ns of its mark
    last_ns = 0
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            seq, t = int(r["phase_seq"]), int(r["time_ns"])
            ph = (seq, r["phase"])
            last_ns = max(last_ns, t)
            if r["kind"] in ("mark", "mark_inexact"):
                starts[seq] = t
                by_reason.setdefault(ph, {})
            elif r["kind"] in ("mmio", "msr", "pio", "overflow"):
                k = (r["kind"], int(r["key"]), r["dir"], r["name"])
                d = by_key.setdefault(k, {})
                d[ph] = d.get(ph, 0) + int(r["count"])
            elif r["kind"] == "reason":
                d = by_reason.setdefault(ph, {})
                d[r["name"]] = d.get(r["name"], 0) + int(r["count"])
                v = by_vcpu.setdefault(ph, {})
                v[int(r["vcpu"])] = v.get(int(r["vcpu"]), 0) + int(r["count"])
    if not by_reason:
        print("no rows")
        return 1
    totals = {}
    for d in by_reason.values():
        for k, n in d.items():
            totals[k] = totals.get(k, 0) + n
    reasons = sorted(totals, key=lambda k: -totals[k])[:8]
    phases = sorted(by_reason)
    width = max(len(label(p)) for _, p in phases) + 2
    print("Exits per phase and reason (all VMs and vCPUs):")
    print(f"{'phase':<{width}}" + "".join(f"{k:>10}" for k in reasons)
          + f"{'total':>10}{'ms':>9}")
    for i, ph in enumerate(phases):
        d = by_reason[ph]
        start = starts.get(ph[0])
        end = starts.get(phases[i + 1][0], last_ns) if i + 1 < len(phases) \
            else last_ns
        ms = f"{(end - start) / 1e6:9.1f}" if start is not None else f"{'-':>9}"
        print(f"{label(ph[1]):<{width}}"
              + "".join(f"{d.get(k, 0):>10}" for k in reasons)
              + f"{sum(d.values()):>10}{ms}")
    print()
    print("Exits per phase and vCPU:")
    vcpus = sorted({v for d in by_vcpu.values() for v in d})
    print(f"{'phase':<{width}}" + "".join(f"{'vcpu ' + str(v):>10}" for v in vcpus))
    for ph in phases:
        d = by_vcpu.get(ph, {})
        print(f"{label(ph[1]):<{width}}" + "".join(f"{d.get(v, 0):>10}" for v in vcpus))
    if keys:
        print()
        changed_keys(by_key, phases, keys)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2:
        sys.exit(main(sys.argv[1]))
    if len(sys.argv) == 4 and sys.argv[2] == "--keys" and sys.argv[3].isdigit():
        sys.exit(main(sys.argv[1], int(sys.argv[3])))
    sys.exit(__doc__)

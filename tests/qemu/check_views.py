#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""show, status and top as CSV and JSON lines, from the real module, loaded
with pandas the way a script around an experiment would (no options).

Usage: check_views.py RESULTS_FILE LABEL

RESULTS_FILE is qemu/pkg-scenario.sh's output: one 2-vCPU cvmload VM,
exited, its counts (cvmstat-read, counts-a) and the views show-csv,
show-json, status-csv, status-json, top-csv, top-json.  Each must load with
the documented columns (cvmstat(8), OUTPUT), integer columns as integers,
no missing value, and agree with the module's own counts exactly.  Ends
with "LABEL: N passed, N failed".
"""
import io
import os
import sys

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_results as cr  # noqa: E402

COLS = {
    "show": ["vm_id", "pid", "comm", "vcpu", "kind", "count", "share", "key", "dir", "name"],
    "status": ["vm_id", "pid", "comm", "nr_vcpus", "type", "state", "not_keyed",
               "guest_marks_dropped"],
    "top": ["time_ns", "time", "kind", "key", "name", "rate", "share", "count", "total"],
}
INTS = {
    "show": ["vm_id", "pid", "vcpu", "count", "key"],
    "status": ["vm_id", "pid", "nr_vcpus", "guest_marks_dropped"],
    "top": ["time_ns", "key", "count", "total"],
}


def load(secs, view, fmt):
    text = "\n".join(cr.section(secs, f"{view}-{fmt}")) + "\n"
    if fmt == "csv":
        return pd.read_csv(io.StringIO(text))
    return pd.read_json(io.StringIO(text), lines=True)


def main():
    path, label = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8", errors="replace") as f:
        secs = cr.parse_sections(f.read())
    # the module's reason counts for the VM, summed over vCPUs, by key
    module = {}
    for r in cr.rows(secs.get("counts-a", {}).get("lines", [])):
        if r["kind"] == "reason":
            k = int(r["key"], 16)
            module[k] = module.get(k, 0) + int(r["count"])
    cr.check(module != {}, "counts-a: the module's counts are there")
    for view in ("show", "status", "top"):
        for fmt in ("csv", "json"):
            what = f"{view} --format {fmt}"
            try:
                d = load(secs, view, fmt)
            except Exception as e:  # noqa: BLE001
                cr.check(False, f"{what}: pandas cannot load it: {e}")
                continue
            cr.check(list(d.columns) == COLS[view], f"{what}: columns {list(d.columns)}")
            cr.check(len(d) > 0, f"{what}: has rows")
            cr.check(not d.isna().any().any(), f"{what}: no missing value")
            for c in INTS[view]:
                if c in d:
                    cr.check(d[c].dtype.kind == "i", f"{what}: {c} is {d[c].dtype}")
            if view == "show" and list(d.columns) == COLS[view]:
                got = {int(r.key): int(r["count"]) for _, r in d.iterrows() if r.kind == "reason"}
                cr.check(got == module, f"{what}: reasons {got}, the module's {module}")
                cr.check(set(d["comm"]) == {"cvmload"} and set(d["vcpu"]) == {-1},
                         f"{what}: comm, vcpu")
            if view == "status" and list(d.columns) == COLS[view]:
                # the state's flags (,partial ...) are the module's to say
                cr.check(len(d) == 1 and int(d["nr_vcpus"][0]) == 2 and d["comm"][0] == "cvmload"
                         and d["state"][0].split(",")[0] == "exited",
                         f"{what}: one exited 2-vCPU cvmload VM: {d.to_dict('records')}")
            if view == "top" and list(d.columns) == COLS[view]:
                got = {int(r.key): int(r["total"]) for _, r in d.iterrows() if r.kind == "reason"}
                cr.check(got == module, f"{what}: totals {got}, the module's {module}")
                cr.check(int(d["count"].sum()) == 0, f"{what}: nothing ran in the interval")
    print(f"{label}: {cr.passed} passed, {cr.failed} failed")
    sys.exit(1 if cr.failed else 0)


if __name__ == "__main__":
    main()

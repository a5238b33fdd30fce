#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks what tests/qemu/pkg-scenario.sh printed in the guest.

Usage: pkg_check.py RESULTS_FILE LABEL

The packaged cvmstat.ko, loaded by the packaged `cvmstat load`, counts one
2-vCPU cvmload run exactly (check_results.check_counts, the module test's
own comparison).  Ends with "LABEL: N passed, N failed".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_results as cr  # noqa: E402


def main():
    path, label = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8", errors="replace") as f:
        secs = cr.parse_sections(f.read())
    cr.section(secs, "modprobe-kvm")
    cr.section(secs, "load")
    mp = " ".join(cr.section(secs, "modpath"))
    cr.check(mp.startswith("updates/dkms/cvmstat.ko:"),
             f"modpath: cvmstat.ko from updates/dkms: {mp}")
    cr.check_version(secs, "version-kvm", bound=True)
    out = cr.section(secs, "run-a")
    cr.check(any(line.endswith(" ok") for line in out), "run-a: workload says ok")
    cr.check_counts(secs, "a", 2)
    cr.check_version(secs, "version-after-vms", bound=True, vms_seen=True)
    exp = cr.section(secs, "export")
    cr.check(any(l.startswith("cvmstat_exits_total{") for l in exp) and exp[-1:] == ["# EOF"],
             "export: exits per reason, ending with # EOF")
    ret0 = cr.section(secs, "export-retention0")
    cr.check(not any(l.startswith("cvmstat_") for l in ret0) and ret0[-1:] == ["# EOF"],
             f"export --retention 0: the exited VM's series end: {ret0[:3]}")
    cr.section(secs, "status")
    cr.section(secs, "unload")
    cr.section(secs, "unloaded")
    print(f"{label}: {cr.passed} passed, {cr.failed} failed")
    sys.exit(1 if cr.failed else 0)


if __name__ == "__main__":
    main()

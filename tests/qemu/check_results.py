#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks what tests/qemu/scenario.sh printed in the guest.

Usage: check_results.py RESULTS_FILE LABEL

Every assertion is exact: cvmstat's counts per vCPU, reason, port, GPA and
MSR must equal what the workload (cvmload) observed itself.  The only reason
allowed to vary is SVM INTR (0x60, host interrupts).  Prints one line per
failure and ends with "LABEL: N passed, N failed"; exit status 1 on failure.
"""
import csv
import io
import re
import sys

SVM = 2
SVM_INTR, SVM_CPUID, SVM_HLT, SVM_IOIO, SVM_MSR, SVM_NPF = (
    0x60, 0x72, 0x78, 0x7B, 0x7C, 0x400)
# cvmload's guest fetches its code from one RAM page and touches no other
# RAM: the first fetch faults it in, one NPF per VM, and cvmload runs vCPU 0
# alone until then.  Every other NPF is an MMIO access.
RAM_FAULTS_VCPU0 = 1
# enum cvmstat_probe bits: kvm_exit, kvm_mmio, kvm_fast_mmio, kvm_msr,
# kvm_pio, kvm_vmgexit_enter, kvm_vmgexit_msr_protocol_enter (not
# kvm_userspace_exit: TDX hosts only)
PROBES_AMD = 0x7F
FEAT_VM_LIFETIME, FEAT_SVM_FAST_REASON = 1 << 1, 1 << 2

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


def parse_sections(text):
    sections = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"^=== BEGIN (\S+)$", line)
        if m:
            cur = m.group(1)
            sections[cur] = {"lines": [], "rc": None}
            continue
        m = re.match(r"^=== END (\S+) rc=(\d+)$", line)
        if m and cur == m.group(1):
            sections[cur]["rc"] = int(m.group(2))
            cur = None
            continue
        if cur:
            sections[cur]["lines"].append(line)
    return sections


def section(secs, name, rc=0):
    s = secs.get(name)
    check(s is not None, f"section {name} present")
    if s is None:
        return []
    check(s["rc"] == rc, f"{name}: exit status {s['rc']}, want {rc}: "
          + " | ".join(s["lines"][-3:]))
    return s["lines"]


def rows(lines):
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def kv(lines):
    return dict(line.split("=", 1) for line in lines if "=" in line)


def check_version(secs, name, bound, vms_seen=False):
    v = kv(section(secs, name))
    probes = int(v.get("probes_bound", "-1"), 16)
    check(probes == (PROBES_AMD if bound else 0),
          f"{name}: probes_bound {probes:#x}, want {PROBES_AMD if bound else 0:#x}")
    feats = int(v.get("features", "0"), 16)
    check(bool(feats & FEAT_VM_LIFETIME) == bound,
          f"{name}: VM lifetime hooks {'on' if bound else 'off'}")
    if vms_seen:
        # learnt at the first exit, and validated against get_exit_info
        check(feats & FEAT_SVM_FAST_REASON, f"{name}: SVM VMCB reason read validated")
        check(v.get("isa") == str(SVM), f"{name}: isa {v.get('isa')}, want {SVM}")
    check(v.get("unattributed") == "0", f"{name}: unattributed {v.get('unattributed')}")
    check(v.get("untracked_vms") == "0" and v.get("untracked_vcpus") == "0",
          f"{name}: nothing untracked")


def check_counts(secs, tag, nr_vcpus, ram_faults=RAM_FAULTS_VCPU0, paused=False):
    if f"counts-{tag}" not in secs or f"expect-{tag}" not in secs:
        check(False, f"counts-{tag}/expect-{tag}: sections missing")
        return
    counts = rows(section(secs, f"counts-{tag}"))
    expect = rows(section(secs, f"expect-{tag}"))
    check(counts != [], f"counts-{tag}: has rows")
    got = {}
    for r in counts:
        k = (int(r["vcpu_id"]), r["kind"], int(r["key"], 16), r["dir"])
        check(k not in got, f"counts-{tag}: {k} listed once")
        got[k] = int(r["count"])
    vcpus = sorted({k[0] for k in got})
    check(vcpus == list(range(nr_vcpus)), f"counts-{tag}: vCPUs {vcpus}")
    exp = {}
    for r in expect:
        exp[(int(r["vcpu_id"]), r["kind"], int(r["key"], 16), r["dir"])] = int(r["count"])

    for v in range(nr_vcpus):
        def e(kind):
            return sum(c for (vv, k, _, _), c in exp.items() if vv == v and k == kind)

        iters, hlts = e("iter"), e("hlt")
        check(iters > 0, f"{tag} vcpu {v}: workload ran ({iters} iterations)")
        # port, MMIO and MSR keys: exactly the workload's, nothing else
        for kind in ("pio", "mmio", "msr"):
            want = {(k[2], k[3]): c for k, c in exp.items() if k[0] == v and k[1] == kind}
            have = {(k[2], k[3]): c for k, c in got.items() if k[0] == v and k[1] == kind}
            check(have == want, f"{tag} vcpu {v} {kind}: got {sorted(have.items())}, "
                  f"want {sorted(want.items())}")
        reasons = {k[2] & 0xFFFFFFFF: c for k, c in got.items()
                   if k[0] == v and k[1] == "reason"}
        check(all(k[2] >> 32 == SVM for k in got if k[0] == v and k[1] == "reason"),
              f"{tag} vcpu {v}: all reasons are SVM")
        want = {
            SVM_CPUID: iters,
            SVM_HLT: hlts,
            # after a pause-and-reset, the paused IN completes (kvm_pio)
            # but its exit came before the reset
            SVM_IOIO: e("pio") - (1 if paused else 0),
            SVM_MSR: e("msr"),
            SVM_NPF: e("mmio") + (ram_faults if v == 0 else 0),
        }
        for code, n in want.items():
            check(reasons.get(code, 0) == n,
                  f"{tag} vcpu {v} reason {code:#x}: {reasons.get(code, 0)}, want {n}")
        extra = {hex(c): n for c, n in reasons.items() if c not in want and c != SVM_INTR}
        check(not extra, f"{tag} vcpu {v}: unexpected reasons {extra}")
        total = got.get((v, "vcpu", v, "none"))
        check(total == sum(reasons.values()),
              f"{tag} vcpu {v}: vcpu total {total} = sum of reasons {sum(reasons.values())}")
        check(not any(k[0] == v and k[1] in ("overflow", "vmgexit", "ghcb_msr", "tdx_leaf")
                      for k in got), f"{tag} vcpu {v}: no overflow or CVM-only rows")


def main():
    path, label = sys.argv[1], sys.argv[2]
    with open(path, errors="replace") as f:
        secs = parse_sections(f.read())

    section(secs, "insmod-before-kvm")
    check_version(secs, "version-no-kvm", bound=False)
    section(secs, "modprobe-kvm")
    check_version(secs, "version-kvm", bound=True)

    for tag in ("a", "b"):
        out = section(secs, f"run-{tag}")
        check(any(l.endswith(" ok") for l in out), f"run-{tag}: workload says ok")
    check_version(secs, "version-after-vms", bound=True, vms_seen=True)
    pids = kv(" ".join(section(secs, "pids-ab")).split())
    vms = rows(section(secs, "list-ab"))
    by_pid = {r["pid"]: r for r in vms}
    for tag, n in (("a", 2), ("b", 3)):
        vm = by_pid.get(pids.get(tag))
        check(vm is not None, f"list-ab: VM of workload {tag} listed")
        if vm:
            check(vm["nr_vcpus"] == str(n), f"list-ab: VM {tag} has {vm['nr_vcpus']} vCPUs, want {n}")
            check(vm["type"] == "0", f"list-ab: VM {tag} type {vm['type']}, want 0 (plain)")
            check(vm["alive"] == "0", f"list-ab: VM {tag} exited")
            check(vm["comm"] == "cvmload", f"list-ab: VM {tag} comm {vm['comm']}")
            check(int(vm["exit_ns"]) >= int(vm["first_ns"]) > 0, f"list-ab: VM {tag} times")
    check_counts(secs, "a", 2)
    check_counts(secs, "b", 3)

    abi = section(secs, "abi")
    check(any(re.search(r"abi-test: \d+ passed, 0 failed", l) for l in abi), "abi-test all passed")
    for l in abi:
        if l.startswith("not ok"):
            check(False, f"abi: {l}")

    section(secs, "reset-a")
    section(secs, "read-after-reset", rc=3)
    after = rows(section(secs, "list-after-reset"))
    check([r["pid"] for r in after] == [pids.get("b")],
          f"list-after-reset: only VM b remains, got {[r['pid'] for r in after]}")

    section(secs, "reset-live")
    live = rows(section(secs, "read-live-reset"))
    check([(r["kind"], r["count"]) for r in live] == [("vcpu", "0")],
          f"read-live-reset: all zero right after the reset, got {live}")
    section(secs, "run-r")
    # the code page was faulted in before the reset
    check_counts(secs, "r", 1, ram_faults=0, paused=True)

    section(secs, "run-c")
    check_counts(secs, "c", 1)

    section(secs, "rmmod-live")
    live = section(secs, "run-live")
    check(any(l.endswith(" ok") for l in live), "run-live: VM survived rmmod cvmstat")

    section(secs, "insmod-after-kvm")
    check_version(secs, "version-after-kvm", bound=True)
    section(secs, "run-d")
    check_counts(secs, "d", 2)

    section(secs, "kvm-unload")
    check_version(secs, "version-kvm-gone", bound=False)
    section(secs, "kvm-reload")
    check_version(secs, "version-kvm-back", bound=True)
    section(secs, "run-e")
    check_counts(secs, "e", 2)

    section(secs, "run-f")
    check_counts(secs, "f", 64)

    final = rows(section(secs, "list-final"))
    ids = [int(r["vm_id"]) for r in final]
    check(ids == sorted(set(ids)) and len(ids) == 3,
          f"list-final: the three VMs since insmod, unique ids: {ids}")
    section(secs, "rmmod-final")

    section(secs, "insmod-max2")
    for t in ("g1", "g2", "g3"):
        section(secs, f"run-{t}")
    gp = kv(section(secs, "pids-g"))
    held = [r["pid"] for r in rows(section(secs, "list-max2"))]
    check(held == [gp.get("g2"), gp.get("g3")],
          f"list-max2: the newest two VMs held, oldest evicted: {held} vs {gp}")
    v = kv(section(secs, "version-max2"))
    check(v.get("max_vms") == "2" and v.get("nr_vms") == "2", f"version-max2: {v}")
    check(v.get("untracked_vms") == "0", "version-max2: eviction, not loss")
    section(secs, "rmmod-max2")

    section(secs, "insmod-phases")
    check(rows(section(secs, "phases-none")) == [], "phases-none: no marks yet")
    check(section(secs, "phase-host") == ["1"], "phase-host: mark 1")
    section(secs, "run-p")
    lines = section(secs, "phases-all")
    check("cvmstat-read: 37 marks no longer held" in lines,
          "phases-all: the 37 marks the ring no longer holds are reported")
    marks = rows([l for l in lines if not l.startswith("cvmstat-read:")])
    check(len(marks) == 64, f"phases-all: the ring's 64 marks, got {len(marks)}")
    check([int(m["seq"]) for m in marks] == list(range(38, 102)),
          "phases-all: marks 38..101, oldest first")
    check(all(m["source"] == "guest" and m["vcpu_id"] == "0" and m["name"] == ""
              for m in marks), "phases-all: guest marks by vCPU 0")
    # up to and including the 100th OUT of 100 iterations (see scenario.sh)
    n = 100
    last = {(r["kind"], int(r["key"], 16), r["dir"]): int(r["count"])
            for r in rows(section(secs, "counts-p-last"))}
    want = {
        ("vcpu", 0, "none"): 0,
        ("reason", (SVM << 32) | SVM_CPUID, "none"): n,
        ("reason", (SVM << 32) | SVM_IOIO, "none"): 2 * n - 1,
        ("reason", (SVM << 32) | SVM_NPF, "none"): 2 * (n - 1) + RAM_FAULTS_VCPU0,
        ("reason", (SVM << 32) | SVM_MSR, "none"): 2 * (n - 1),
        ("reason", (SVM << 32) | SVM_HLT, "none"): n - 1,
        ("pio", 0xF4, "write"): n,
        ("pio", 0xF4, "read"): n - 1,
        ("mmio", 0x20000, "write"): n - 1,
        ("mmio", 0x20008, "read"): n - 1,
        ("msr", 0x10, "read"): n - 1,
        ("msr", 0x10, "write"): n - 1,
    }
    intr = last.pop(("reason", (SVM << 32) | SVM_INTR, "none"), 0)
    want[("vcpu", 0, "none")] = sum(c for k, c in want.items() if k[0] == "reason") + intr
    check(last == want, f"counts-p-last: as of mark 101: {sorted(last.items())}, "
          f"want {sorted(want.items())}")
    section(secs, "counts-p-stale", rc=2)
    before = rows(section(secs, "counts-p-before"))
    check([(r["kind"], r["count"]) for r in before] == [("vcpu", "0")],
          f"counts-p-before: the VM did nothing before mark 1: {before}")
    section(secs, "rmmod-phases")
    dmesg = section(secs, "dmesg")
    check(any("cvmstat: bound to kvm" in l for l in dmesg), "dmesg: bound to kvm")

    print(f"{label}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

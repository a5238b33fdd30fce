#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks what tests/qemu/stress-scenario.sh printed in the guest.

Usage: check_stress.py RESULTS_FILE LABEL

Every step must have run to its size (the sizes are in the "params"
section), every count after it must be exact (the checks of
check_results.py), and the checkers that ran in the guest (perm-test,
vmcycle -c, vmwatch, ioctl-fuzz) must report no failure.  Prints one line
per failure, the figures and wall times of the run, and ends with
"LABEL: N passed, N failed"; exit status 1 on failure.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_results as cr  # noqa: E402  (its checks and counters)

check, section, kv, rows = cr.check, cr.section, cr.kv, cr.rows


def fields(line):
    """key=value words of a summary line, as ints where they are."""
    out = {}
    for k, v in re.findall(r"(\w+)=(\S+)", line):
        out[k] = int(v) if re.fullmatch(r"\d+", v) else v
    return out


def summary(secs, name, prefix, rc=0):
    """The line of section NAME that starts with PREFIX, as fields."""
    lines = [l for l in section(secs, name, rc) if l.startswith(prefix)]
    check(len(lines) == 1, f"{name}: one '{prefix}' line, got {lines}")
    return fields(lines[-1]) if lines else {}


def vmcycle_ok(secs, name, n):
    """vmcycle -c in section NAME: n cycles, all checked, ids one after another."""
    s = summary(secs, name, "vmcycle:")
    check(s.get("cycles") == n and s.get("checked") == n,
          f"{name}: {s.get('cycles')} cycles checked, want {n}")
    first, last = s.get("first_vm", 0), s.get("last_vm", 0)
    check(first > 0 and last - first == n - 1,
          f"{name}: vm_ids {first}..{last}, want {n} ids one after another")
    return s


def watch_ok(secs, name):
    s = summary(secs, name, "vmwatch:")
    check(s.get("violations") == 0 and s.get("polls", 0) > 0 and s.get("reads", 0) > 0,
          f"{name}: reader polled and saw no violation: {s}")
    for l in section(secs, name, rc=0):
        if "VIOLATION" in l:
            check(False, f"{name}: {l}")
    return s


def fuzz_ok(secs, name, n):
    lines = section(secs, name)
    for l in lines:
        if "VIOLATION" in l:
            check(False, f"{name}: {l}")
    s = {}
    for l in lines:
        if l.startswith("ioctl-fuzz:") and "ok=" in l:
            s = fields(l)
    check(s.get("ioctls") == n and s.get("out_of_time") == 0,
          f"{name}: {s.get('ioctls')} ioctls made, want {n}")
    check(s.get("violations") == 0, f"{name}: {s.get('violations')} violations")
    return s


def version(secs, name, max_vms=None, loaded_under_vms=False):
    """VERSION: bound, nothing untracked.  Events of a VM that was running
    when cvmstat was loaded can fire before its vCPU thread is known (while
    the probes are being bound, or an IN completed at the next KVM_RUN):
    there, and only there, unattributed events are expected."""
    v = kv(section(secs, name))
    check(v.get("abi", "").startswith("1.") and
          int(v.get("probes_bound", "0"), 16) == cr.PROBES_AMD,
          f"{name}: ABI 1.x, every probe bound: {v}")
    check(v.get("untracked_vms") == "0" and v.get("untracked_vcpus") == "0" and
          (loaded_under_vms or v.get("unattributed") == "0"),
          f"{name}: nothing untracked or unattributed: {v}")
    if max_vms is not None:
        check(v.get("max_vms") == str(max_vms) and int(v.get("nr_vms", "-1")) <= max_vms,
              f"{name}: nr_vms {v.get('nr_vms')} within max_vms {max_vms}")
    return v


def runs(secs, name):
    """A cvmload_until loop: its runs, all ok."""
    s = kv(section(secs, name))
    n = int(s.get("runs", "0"))
    check(n > 0, f"{name}: cvmload ran ({n} runs), each ok")
    return n


def reloads(secs, name, what, n):
    lines = section(secs, name)
    check(f"{what}: {n}" in lines, f"{name}: {n} reloads: {lines[-2:]}")
    ok = [l for l in lines if re.match(r"vmcycle: cycles=1 checked=1 .* ok$", l)]
    check(len(ok) == n, f"{name}: a VM counted exactly after each of {n} reloads, got {len(ok)}")


def check_recorders(secs):
    section(secs, "recorders")
    check(any(l.endswith(" ok") for l in section(secs, "rec-run")), "rec-run: workload says ok")
    section(secs, "rec2-exit")
    top = section(secs, "top-rec")
    check(any(re.match(r"REASON\s+RATE/s", l) for l in top), f"top-rec: top printed: {top[-3:]}")
    pid = int(kv(section(secs, "rec-pid")).get("x") or -1)
    marks = cr.module_marks(section(secs, "rec-marks"))
    seqs = sorted(marks)
    kinds = [(marks[s]["source"], marks[s]["value"]) for s in seqs]
    check(kinds == [("host", 0), ("guest", 2), ("host", 0)],
          f"rec-marks: a host mark, the guest mark 2, a host mark: {kinds}")
    totals = rows(section(secs, "rec-counts"))
    vm_ids = {int(r["vm_id"]) for r in totals}
    check(len(vm_ids) == 1, f"rec-counts: one VM of pid {pid}: {vm_ids}")
    if len(seqs) != 3 or len(vm_ids) != 1:
        return
    phases = [(seqs[0], cr.PHASED_NAMES[0]), (seqs[1], "guest phase 2"),
              (seqs[2], cr.PHASED_NAMES[1])]
    for tag in ("rec1-csv", "rec2-csv"):
        rec = cr.rec_csv(tag, section(secs, tag))
        cr.check_rec_rows(tag, rec)
        cr.check_recording(tag, rec, pid, min(vm_ids), phases, [marks[s] for s in seqs],
                           section(secs, "rec-expect"), totals)


def main():
    path, label = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8", errors="replace") as f:
        secs = cr.parse_sections(f.read())
    p = fields(" ".join(section(secs, "params")))
    for k in ("cycles", "ioctls", "threads", "seed", "kvm_reloads", "cvm_reloads"):
        check(isinstance(p.get(k), int), f"params: {k} given: {p}")
    if cr.failed:
        print(f"{label}: {cr.passed} passed, {cr.failed} failed")
        sys.exit(1)

    section(secs, "modprobe-kvm")
    section(secs, "insmod")
    version(secs, "version-start", 16)

    # 1. permissions
    check(any(l.endswith(" ok") for l in section(secs, "run-perm")), "run-perm: ok")
    perm = section(secs, "perm")
    for l in perm:
        if l.startswith("not ok"):
            check(False, f"perm: {l}")
    check(any(re.search(r"perm-test: \d+ passed, 0 failed", l) for l in perm),
          "perm-test all passed")

    # 2. create/destroy cycles with readers
    cyc = vmcycle_ok(secs, "cycles", p["cycles"])
    watch = watch_ok(secs, "watch-cycles")
    check(watch.get("max_held", 99) <= 16 and watch.get("vms_seen", 0) >= p["cycles"] // 10,
          f"watch-cycles: held at most max_vms=16, saw the VMs come and go: {watch}")
    section(secs, "top-cycles")
    v = version(secs, "version-cycles", 16)
    check(v.get("nr_vms") == "16", f"version-cycles: 16 VMs held (the newest), got {v.get('nr_vms')}")
    held = rows(section(secs, "list-cycles"))
    ids = [int(r["vm_id"]) for r in held]
    check(len(ids) == 16 and ids == sorted(ids) and ids and ids[-1] == cyc.get("last_vm")
          and all(r["alive"] == "0" for r in held),
          f"list-cycles: the 16 newest VMs, exited, the last vmcycle's last: {ids}")

    # 3. fuzz
    section(secs, "rmmod-fuzz")
    section(secs, "insmod-fuzz")
    fz = fuzz_ok(secs, "fuzz", p["ioctls"])
    churn = summary(secs, "churn-fuzz", "vmcycle:")
    check(churn.get("cycles", 0) > 0, f"churn-fuzz: VMs came and went meanwhile: {churn}")
    live = runs(secs, "live-fuzz")
    watch_ok(secs, "watch-fuzz")
    version(secs, "version-fuzz")
    check(any(l.endswith(" ok") for l in section(secs, "run-k")), "run-k: ok")
    cr.check_counts(secs, "k", 2)
    vmcycle_ok(secs, "cycles-after-fuzz", 8)

    # 4. kvm reloads
    reloads(secs, "kvm-reloads", "kvm reloads", p["kvm_reloads"])
    version(secs, "version-kvm-reloads")

    # 5. cvmstat reloads under running VMs
    reloads(secs, "cvm-reloads", "cvmstat reloads", p["cvm_reloads"])
    live_r = runs(secs, "live-reload")
    vr = version(secs, "version-cvm-reloads", loaded_under_vms=True)
    check(any(l.endswith(" ok") for l in section(secs, "run-m")), "run-m: ok")
    cr.check_counts(secs, "m", 2)

    # 6. two recorders and top
    section(secs, "rmmod-rec")
    section(secs, "insmod-rec")
    check_recorders(secs)

    section(secs, "rmmod-end")
    if "kmemleak" in secs:
        leaks = [l for l in section(secs, "kmemleak") if l.strip()]
        check(not leaks, f"kmemleak: {len(leaks)} lines: {leaks[:5]}")
    section(secs, "dmesg")

    # 8. finding 10
    section(secs, "insmod-maxvms")
    fuzz_ok(secs, "fuzz-maxvms", 20000)
    section(secs, "rmmod-maxvms")

    times = [l.split() for l in section(secs, "times")]
    print("stress: wall times (guest s): " +
          ", ".join(f"{t[0]} {t[1]}" for t in times if len(t) == 2))
    print(f"stress: figures: {cyc.get('cycles')} VM create/destroy cycles counted exactly "
          f"(vm_ids {cyc.get('first_vm')}..{cyc.get('last_vm')}) under "
          f"{watch.get('polls')} reader polls; {fz.get('ioctls')} random ioctls "
          f"(seed {fz.get('seed')}, {p['threads']} threads, {fz.get('elapsed_ms')} ms, "
          f"{churn.get('cycles')} VMs and {live} 2-vCPU runs meanwhile); "
          f"{p['kvm_reloads']} kvm reloads; {p['cvm_reloads']} cvmstat reloads "
          f"({live_r} VM runs through them, {vr.get('unattributed')} events unattributed "
          f"after the last insmod); 2 recorders and top exact")
    print(f"{label}: {cr.passed} passed, {cr.failed} failed")
    sys.exit(1 if cr.failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks what tests/qemu/scenario.sh printed in the guest.

Usage: check_results.py RESULTS_FILE LABEL

Every assertion is exact: cvmstat's counts per vCPU, reason, port, GPA and
MSR must equal what the workload (cvmload) observed itself.  The only reason
allowed to vary is SVM INTR (0x60, host interrupts).  Prints one line per
failure and ends with "LABEL: N passed, N failed"; exit status 1 on failure.
"""
import calendar
import csv
import io
import os
import json
import re
import sys

SVM = 2
SVM_INTR, SVM_CPUID, SVM_HLT, SVM_IOIO, SVM_MSR, SVM_NPF = (
    0x60, 0x72, 0x78, 0x7B, 0x7C, 0x400)
# cvmload's guest fetches its code from one RAM page and touches no other
# RAM: the first fetch faults it in, one NPF per VM, and cvmload starts the
# vCPUs in turn, vCPU 0 first.  Every other NPF is an MMIO access (exactly
# one each: each vCPU starts after the one before has mapped the MMIO page).
RAM_FAULTS_VCPU0 = 1
# enum cvmstat_probe bits: kvm_exit, kvm_mmio, kvm_fast_mmio, kvm_msr,
# kvm_pio, kvm_vmgexit_enter, kvm_vmgexit_msr_protocol_enter (not
# kvm_userspace_exit: TDX hosts only), kvm_vcpu_wakeup, kvm_halt_poll_ns
PROBES_AMD = 0x37F
FEAT_VM_LIFETIME, FEAT_SVM_FAST_REASON = 1 << 1, 1 << 2

# tests/qemu/phased.sh: the names of its host marks (phases 1 and 3), which
# the recording must give back byte for byte, and cvmload's vCPUs there and
# in the JSON run.
PHASED_NAMES = ('warm-up, "naïve"', "steady\nstate \u2713")
PHASED_VCPUS = 2
# cvmstat(8), OUTPUT
REC_COLUMNS = ["time_ns", "time", "phase_seq", "phase", "vm_id", "pid", "vcpu",
               "kind", "key", "dir", "name", "count"]
REC_INTS = ("time_ns", "phase_seq", "vm_id", "pid", "vcpu", "key", "count")
REC_KINDS = {"reason", "vmgexit", "ghcb_msr", "mmio", "msr", "pio", "tdx_leaf",
             "overflow", "vcpu", "mark", "mark_inexact", "setting", "halt", "halt_hist",
             "halt_window"}
ISO_UTC = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z")

passed = failed = skipped = 0
# CVMSTAT_SLOW_GUEST=1 (the debug kernel, several times slower under TCG):
# checks that only hold when the guest is fast enough (timed()) do not fail.
SLOW_GUEST = os.environ.get("CVMSTAT_SLOW_GUEST") == "1"


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {what}")


def timed(ok, what):
    """A check that assumes the guest runs at about normal speed."""
    global skipped
    if ok or not SLOW_GUEST:
        check(ok, what)
    else:
        skipped += 1
        print(f"SKIP (slow guest): {what}")


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
    check(v.get("lifetime_missed") == "0", f"{name}: no VM destruction missed")


def check_symbols(secs):
    """What cvmstat.ko resolved, against /proc/kallsyms: the ops table and
    the per-CPU running vCPU in kvm.ko, and get_exit_info is exactly the
    start of svm_get_exit_info in kvm_amd (no offset: an IBT/kCFI-safe
    call target)."""
    mine = {}
    for l in section(secs, "symbols"):
        f = l.split()
        if len(f) >= 2:
            mine[f[0]] = (int(f[1], 16), " ".join(f[2:]))
    ks = {}
    for l in section(secs, "kallsyms"):
        f = l.split()
        if len(f) >= 3:
            ks.setdefault(f[2], []).append((int(f[0], 16), f[1], f[3] if len(f) > 3 else ""))
    for name, mod in (("kvm_x86_ops", "[kvm]"), ("kvm_running_vcpu", "[kvm]"),
                      ("svm_get_exit_info", "[kvm_amd]")):
        want = [a for a, _, m in ks.get(name, []) if m == mod]
        got = mine.get(name, (None,))[0]
        check(len(want) == 1 and got == want[0] and got != 0,
              f"symbols: {name} {got and hex(got)} = /proc/kallsyms {mod} {[hex(a) for a in want]}")
    gei = mine.get("get_exit_info", (None, ""))
    check(gei[0] is not None and gei[0] == mine.get("svm_get_exit_info", (0,))[0],
          f"symbols: get_exit_info {gei} is svm_get_exit_info's start")
    check(gei[1] == "svm_get_exit_info [kvm_amd]",
          f"symbols: get_exit_info names itself svm_get_exit_info+0: {gei[1]!r}")


def check_readers(secs):
    """4d: with copy_tries 0, reads of the running VM go through the vCPU's
    own copy: all succeed, none times out, and the final counts are exact."""
    before, after = (dict(l.split(" ", 1) for l in section(secs, name) if " " in l)
                     for name in ("readers-before", "readers-after"))
    reads = kv(" ".join(section(secs, "reads-o")).split())
    d = {k: int(after.get(k, -1)) - int(before.get(k, 0)) for k in
         ("at_once", "by_owner", "by_copies", "timeouts")}
    check(int(reads.get("ok", 0)) >= 1 and reads.get("bad") == "0",
          f"reads-o: every read of the running VM succeeded: {reads}")
    check(d["by_owner"] >= 1 and d["timeouts"] == 0,
          f"readers: the vCPUs copied themselves, no read timed out: {d}")
    section(secs, "run-o")
    check_counts(secs, "o", 2)


def check_lifetime_missed(secs):
    """4e: kprobes disarmed, two VMs in a row: each one's counts are exact,
    or it says why not (the old one stale, the new one partial)."""
    pids = kv(" ".join(section(secs, "pids-l")).split())
    vms = {r["pid"]: r for r in rows(section(secs, "list-l"))}
    stale = 0
    for tag, flag in (("l1", "stale"), ("l2", "partial")):
        section(secs, f"run-{tag}")
        vm = vms.get(pids.get(tag))
        check(vm is not None, f"list-l: VM of {tag} listed")
        if vm and vm[flag] == "1":
            stale += tag == "l1"
            continue
        check_counts(secs, tag, 1)
    v = kv(section(secs, "version-l"))
    check(v.get("lifetime_missed") == str(stale),
          f"version-l: lifetime_missed {v.get('lifetime_missed')} = stale VMs {stale}")
    if vms.get(pids.get("l2"), {}).get("partial") == "1":
        check(stale == 1, "list-l: a partial new VM goes with a stale old one")
    section(secs, "rmmod-l")
    section(secs, "insmod-l")


def phase_mark_counts(n, k):
    """cvmload -v 1 -p 0xf4 (n iterations) as of its k-th OUT, which made a
    mark: counter -> count, but for INTR and the vCPU total."""
    return {
        ("reason", (SVM << 32) | SVM_CPUID, "none"): k,
        ("reason", (SVM << 32) | SVM_IOIO, "none"): 2 * k - 1,
        ("reason", (SVM << 32) | SVM_NPF, "none"): 2 * (k - 1) + RAM_FAULTS_VCPU0,
        ("reason", (SVM << 32) | SVM_MSR, "none"): 2 * (k - 1),
        ("reason", (SVM << 32) | SVM_HLT, "none"): k - 1,
        ("pio", 0xF4, "write"): k,
        ("pio", 0xF4, "read"): k - 1,
        ("mmio", 0x20000, "write"): k - 1,
        ("mmio", 0x20008, "read"): k - 1,
        ("msr", 0x10, "read"): k - 1,
        ("msr", 0x10, "write"): k - 1,
    }


def check_phase_marks(secs):
    """Section 11: guest marks are opt-in, rate-limited, exact."""
    section(secs, "insmod-phases")
    check(rows(section(secs, "phases-none")) == [], "phases-none: no marks yet")
    check(section(secs, "phase-host") == ["1"], "phase-host: mark 1")
    check(any(l.endswith(" ok") for l in section(secs, "run-q")), "run-q: workload says ok")
    quiet = rows(section(secs, "phases-quiet"))
    check([(m["seq"], m["source"]) for m in quiet] == [("1", "host")],
          f"phases-quiet: 100 OUTs to the phase port of a VM nobody opted in "
          f"made no mark: {[(m['seq'], m['source']) for m in quiet]}")
    pq = kv(section(secs, "pid-q")).get("q")
    vq = [r for r in rows(section(secs, "list-quiet")) if r["pid"] == pq]
    check(len(vq) == 1 and vq[0]["guest_marks"] == "0" and vq[0]["marks_dropped"] == "0",
          f"list-quiet: VM not opted in, nothing dropped: {vq}")

    check(any(l.endswith(" ok") for l in section(secs, "run-p")), "run-p: workload says ok")
    pp = kv(section(secs, "pid-p")).get("p")
    vp = [r for r in rows(section(secs, "list-p")) if r["pid"] == pp]
    check(len(vp) == 1, f"list-p: the VM of pid {pp}")
    # host mark 1, then the guest's marks 2..1+M (the ring keeps the last 64)
    lines = section(secs, "phases-all")
    marks = rows([l for l in lines if not l.startswith("cvmstat-read:")])
    seqs = [int(m["seq"]) for m in marks]
    nmarks = max(seqs, default=1) - 1
    vm_id = vp[0]["vm_id"] if vp else None
    check(seqs == list(range(max(1, nmarks + 2 - 64), nmarks + 2)),
          f"phases-all: marks up to {nmarks + 1}, consecutive: {seqs[:3]}..")
    check(all(m["source"] == "guest" and m["vm_id"] == vm_id and m["vcpu_id"] == "0"
              and m["name"] == "" for m in marks if m["seq"] != "1"),
          "phases-all: marks after 1 are guest marks by the VM's vCPU 0")
    dropped = int(vp[0]["marks_dropped"]) if vp else -1
    # 16 per 100 ms: the first window alone lets 16 through
    check(16 <= nmarks <= 100 and nmarks + dropped == 100,
          f"phases-all: {nmarks} marks + {dropped} dropped = the 100 OUTs")
    # the last mark: made by the k-th OUT, k = the OUTs counted as of it
    last = {(r["kind"], int(r["key"], 16), r["dir"]): int(r["count"])
            for r in rows(section(secs, "counts-p-last"))}
    k = last.get(("pio", 0xF4, "write"), 0)
    last.pop(("reason", (SVM << 32) | SVM_INTR, "none"), None)
    total = last.pop(("vcpu", 0, "none"), None)
    want = phase_mark_counts(100, k)
    check(k >= nmarks and last == want,
          f"counts-p-last: as of the last mark, the guest's state at OUT {k}: "
          f"{sorted(set(last.items()) ^ set(want.items()))}")
    check(total is not None and total >= sum(c for key, c in want.items() if key[0] == "reason"),
          f"counts-p-last: vcpu total {total}")
    # one boundary per vCPU: the mark before the last is gone
    out = section(secs, "counts-p-stale", rc=2)
    check(len(out) == 1 and re.match(r"cvmstat-read: VM \d+ at mark \d+: not held \(the module "
                                      r"keeps a vCPU's counters as of its latest mark only, .*"
                                      r"`cvmstat-read phases` before marking, and read each mark "
                                      r"before the next\)$", out[0]),
          f"counts-p-stale: one line saying what to do: {out}")
    before = rows(section(secs, "counts-p-before"))
    check([(r["kind"], r["count"]) for r in before] == [("vcpu", "0")],
          f"counts-p-before: the VM did nothing before mark 1: {before}")
    lines = section(secs, "phases-wrapped")
    n = 1 + nmarks + 70
    check(f"cvmstat-read: {n - 64} marks no longer held" in lines,
          f"phases-wrapped: the {n - 64} marks the ring no longer holds are reported")
    wrapped = rows([l for l in lines if not l.startswith("cvmstat-read:")])
    check([int(m["seq"]) for m in wrapped] == list(range(n - 63, n + 1)) and
          all(m["source"] == "host" for m in wrapped),
          f"phases-wrapped: the ring's last 64 marks, host marks {n - 63}..{n}")
    section(secs, "rmmod-phases")


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


def module_marks(lines):
    """cvmstat-read phases: seq -> mark.  Names are printed raw (one may hold
    a line break), so only the fields before the name are read."""
    marks = {}
    for line in lines:
        m = re.match(r"^(\d+),(\d+),(\d+),(\d+),(host|guest),(\d+),", line)
        if m:
            seq, t, vm, vcpu, source, value = m.groups()
            marks[int(seq)] = {"seq": int(seq), "time_ns": int(t), "vm_id": int(vm),
                               "vcpu": int(vcpu), "source": source, "value": int(value)}
    return marks


def iso_utc_ns(s):
    """ISO-8601 UTC (YYYY-MM-DDTHH:MM:SS[.fraction]Z) as ns since the epoch."""
    m = ISO_UTC.fullmatch(s) if isinstance(s, str) else None
    if not m:
        return None
    y, mo, d, h, mi, sec, frac = m.groups()
    try:
        t = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(sec)))
    except (ValueError, OverflowError):
        return None
    return t * 10**9 + int((frac or "0").ljust(9, "0"))


def rec_csv(tag, lines):
    """A CSV recording's rows as dicts, integer fields as ints."""
    table = list(csv.reader(io.StringIO("\n".join(lines) + "\n", newline="")))
    check(bool(table) and table[0] == REC_COLUMNS,
          f"{tag}: header {table[0] if table else None}, want {REC_COLUMNS}")
    out, bad = [], []
    for r in table[1:]:
        if len(r) != len(REC_COLUMNS):
            bad.append(r)
            continue
        row = dict(zip(REC_COLUMNS, r))
        if not all(re.fullmatch(r"\d+", row[k]) for k in REC_INTS):
            bad.append(r)
            continue
        out.append({k: int(v) if k in REC_INTS else v for k, v in row.items()})
    check(not bad, f"{tag}: {len(bad)} rows without 12 fields or with bad "
          f"integers (time_ns, phase_seq, vm_id, pid, vcpu, key, count): {bad[:3]}")
    return out


def rec_json(tag, lines):
    """A JSON-lines recording's rows: the same fields, numbers as numbers."""
    out, bad = [], []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if (not isinstance(row, dict) or set(row) != set(REC_COLUMNS) or
                not all(type(row[k]) is int and row[k] >= 0 for k in REC_INTS) or
                not all(isinstance(row[k], str) for k in REC_COLUMNS if k not in REC_INTS)):
            bad.append(line)
            continue
        out.append(row)
    check(not bad, f"{tag}: {len(bad)} lines that are not an object of the 12 fields "
          f"with {', '.join(REC_INTS)} unsigned integers and the rest strings: {bad[:3]}")
    return out


def check_rec_rows(tag, recs):
    """What every row of a recording must satisfy, whatever was recorded."""
    check(recs != [], f"{tag}: has rows")
    walls = [(r["time_ns"], iso_utc_ns(r["time"]), r["time"]) for r in recs]
    bad = [t for _, w, t in walls if w is None or w < iso_utc_ns("2020-01-01T00:00:00Z")]
    check(not bad, f"{tag}: time is ISO-8601 UTC wall time: {bad[:3]}")
    if not bad:
        # one clock offset for the whole recording, to the precision printed
        offs = [w - t for t, w, _ in walls]
        check(max(offs) - min(offs) < 1000,
              f"{tag}: time - time_ns constant, spread {max(offs) - min(offs)} ns")
        walls.sort()
        check(all(a[1] <= b[1] for a, b in zip(walls, walls[1:])),
              f"{tag}: time in the order of time_ns")
    check(all(r["kind"] in REC_KINDS for r in recs),
          f"{tag}: kinds {sorted({r['kind'] for r in recs} - REC_KINDS)} unknown")
    check(all(r["dir"] in ("read", "write", "-") for r in recs),
          f"{tag}: dir read, write or -: {sorted({r['dir'] for r in recs})}")
    check(all(r["count"] > 0 for r in recs), f"{tag}: every count > 0")
    check(all(r["name"] for r in recs), f"{tag}: every row has a name")
    marks = [r for r in recs if r["kind"] in ("mark", "mark_inexact")]
    # a host mark's row has vm_id 0; a VM read inexactly at it gets a
    # mark_inexact row of its own, named host too
    check(all(r["count"] == 1 and r["dir"] == "-" and r["key"] == r["phase_seq"] and
              (r["name"] == ("host" if r["vm_id"] == 0 else "guest") or
               (r["kind"] == "mark_inexact" and r["name"] == "host")) for r in marks),
          f"{tag}: mark rows: count 1, dir -, key = phase_seq, name host/guest: {marks}")
    names = {}
    for r in recs:
        names.setdefault(r["phase_seq"], set()).add(r["phase"])
    check(all(len(n) == 1 for n in names.values()),
          f"{tag}: one name per phase_seq: {names}")


def check_recording(tag, recs, pid, vm_id, phases, marks, exp_lines, totals=None):
    """Rows of a recording of cvmload -X run PID against its expectations.

    phases: (seq, name) of cvmload's phases 1..N; marks: the module's marks
    this recording must have written a row for (cvmstat-read phases);
    totals: the VM's counters after the run (cvmstat-read vm), which the
    rows must add up to over all phases, host interrupts included."""
    seq_of = {p + 1: seq for p, (seq, _) in enumerate(phases)}
    got_marks = [r for r in recs if r["kind"] in ("mark", "mark_inexact")]
    check(not [r for r in got_marks if r["kind"] == "mark_inexact"],
          f"{tag}: no mark_inexact rows")
    want = sorted((m["seq"], m["time_ns"], m["vm_id"], pid if m["vm_id"] else 0, m["vcpu"],
                   dict(phases).get(m["seq"]) or f"guest phase {m['value']}")
                  for m in marks)
    got = sorted((r["key"], r["time_ns"], r["vm_id"], r["pid"], r["vcpu"], r["phase"])
                 for r in got_marks)
    check(got == want, f"{tag}: mark rows {got}, want {want}")

    # (halt-polling "setting" rows: the global parameters, of no VM)
    vm_rows = [r for r in recs if r["kind"] not in ("mark", "mark_inexact", "setting")]
    check(all(r["vm_id"] == vm_id and r["pid"] == pid for r in vm_rows),
          f"{tag}: rows of VM {vm_id} (pid {pid}) only: "
          f"{sorted({(r['vm_id'], r['pid']) for r in vm_rows})}")
    check({(r["phase_seq"], r["phase"]) for r in vm_rows} == set(phases),
          f"{tag}: phases {sorted({(r['phase_seq'], r['phase']) for r in vm_rows})}, "
          f"want {phases} (names byte-exact)")
    # a phase's rows lie between its mark and the next (closing rows: at it)
    times = {m["seq"]: m["time_ns"] for m in marks}
    for p, (seq, _) in enumerate(phases):
        lo = times.get(seq, 0)
        hi = times.get(phases[p + 1][0]) if p + 1 < len(phases) else None
        out = [r["time_ns"] for r in vm_rows if r["phase_seq"] == seq and
               (r["time_ns"] < lo or (hi is not None and r["time_ns"] > hi))]
        check(not out, f"{tag} phase {p + 1}: rows within [{lo}, {hi}]: {out[:3]}")

    got = {}
    for r in vm_rows:
        k = (r["phase_seq"], r["vcpu"], r["kind"], r["key"], r["dir"])
        got[k] = got.get(k, 0) + r["count"]
    exp = {}
    for r in rows(exp_lines):
        k = (seq_of.get(int(r["phase"])), int(r["vcpu_id"]), r["kind"], int(r["key"], 16),
             "-" if r["dir"] == "none" else r["dir"])
        exp[k] = exp.get(k, 0) + int(r["count"])
    check(None not in {k[0] for k in exp}, f"{tag}: expectations name phases 1..{len(phases)}")
    for p, (seq, _) in enumerate(phases):
        for v in range(PHASED_VCPUS):
            what = f"{tag} phase {p + 1} vcpu {v}"

            def e(kind):
                return sum(c for k, c in exp.items() if k[:3] == (seq, v, kind))

            check(e("iter") > 0, f"{what}: workload ran ({e('iter')} iterations)")
            for kind in ("pio", "mmio", "msr"):
                w = {k[3:]: c for k, c in exp.items() if k[:3] == (seq, v, kind) and c}
                h = {k[3:]: c for k, c in got.items() if k[:3] == (seq, v, kind)}
                check(h == w, f"{what} {kind}: got {sorted(h.items())}, want {sorted(w.items())}")
            reasons = {k[3]: c for k, c in got.items() if k[:3] == (seq, v, "reason")}
            want = {
                SVM_CPUID: e("iter"),
                SVM_HLT: e("hlt"),
                SVM_IOIO: e("pio"),
                SVM_MSR: e("msr"),
                # the code page's fault, before anything else
                SVM_NPF: e("mmio") + (RAM_FAULTS_VCPU0 if v == 0 and p == 0 else 0),
            }
            for code, n in want.items():
                check(reasons.get(code, 0) == n,
                      f"{what} reason {code:#x}: {reasons.get(code, 0)}, want {n}")
            extra = {hex(c): n for c, n in reasons.items() if c not in want and c != SVM_INTR}
            check(not extra, f"{what}: unexpected reasons {extra}")
            total = got.get((seq, v, "vcpu", v, "-"), 0)
            check(total == sum(reasons.values()),
                  f"{what}: vcpu total {total} = sum of reasons {sum(reasons.values())}")
            check(not any(k[:2] == (seq, v) and k[2] in ("overflow", "vmgexit", "ghcb_msr",
                                                         "tdx_leaf") for k in got),
                  f"{what}: no overflow or CVM-only rows")
    if totals is None:
        return
    # all phases together: the module's own counters after the run
    for v in range(PHASED_VCPUS):
        h = {}
        for k, c in got.items():
            if k[1] == v:
                h[k[2:]] = h.get(k[2:], 0) + c
        w = {(r["kind"], int(r["key"], 16) & (0xFFFFFFFF if r["kind"] == "reason" else ~0),
              "-" if r["dir"] == "none" else r["dir"]): int(r["count"])
             for r in totals if int(r["vcpu_id"]) == v and int(r["count"])}
        check(h == w, f"{tag} vcpu {v}: rows summed over phases = the module's counters: "
              f"{sorted(set(h.items()) ^ set(w.items()))}")


TOP_TITLE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z  1 VM  (\d+) exits/s  \(interval ([\d.]+) s\)$"
TOP_ROW = r"^(\S+)\s+([\d.]+)\s+([\d.]+)%\s+(\d+)$"


CLEAR = "\x1b[H\x1b[J"


def top_blocks(tag, lines, tty):
    """`cvmstat top`: blocks of title, header, rows; on a terminal each title
    clears the screen first, off one a blank line ends each block."""
    blocks, cur = [], None
    for l in lines:
        if tty:
            check(l.startswith(CLEAR) == bool(re.match(TOP_TITLE, l[len(CLEAR):])),
                  f"{tag}: the screen is cleared before each title only: {l!r}")
            l = l[len(CLEAR):] if l.startswith(CLEAR) else l
        else:
            check("\x1b" not in l, f"{tag}: no escape sequence off a terminal: {l!r}")
            if cur is not None and not l:
                cur["ended"] = True
        m = re.match(TOP_TITLE, l)
        if m:
            cur = {"rate": int(m.group(1)), "interval": m.group(2), "rows": {}}
            blocks.append(cur)
        elif cur is not None and re.match(r"^REASON\s+RATE/s\s+SHARE\s+TOTAL$", l):
            cur["header"] = True
        elif cur is not None and l.startswith("not keyed (table full): "):
            cur["not_keyed"] = l
        elif cur is not None and l:
            m = re.match(TOP_ROW, l)
            check(m is not None, f"{tag}: row {l!r}")
            if m:
                cur["rows"][m.group(1)] = (float(m.group(2)), int(m.group(4)))
    check(all(b.get("header") for b in blocks), f"{tag}: every block has its header")
    check(not any(b.get("not_keyed") for b in blocks),
          f"{tag}: no event without its key: {[b.get('not_keyed') for b in blocks]}")
    if not tty:
        check(all(b.get("ended") for b in blocks), f"{tag}: a blank line after each block")
    return blocks


def check_top(secs, want):
    """top --vm after the VM exited (exact), and while one runs (live)."""
    names = {SVM_INTR: "INTR", SVM_CPUID: "CPUID", SVM_HLT: "HLT",
             SVM_IOIO: "IOIO", SVM_MSR: "MSR", SVM_NPF: "NPF"}
    blocks = top_blocks("tool-top-exited", section(secs, "tool-top-exited"), True)
    check(len(blocks) == 2, f"tool-top-exited: 2 refreshes, got {len(blocks)}")
    for b in blocks:
        # the interval measured: a late wake-up shortens the next one
        check(b["rate"] == 0 and 0 < float(b["interval"]) < 0.5,
              f"tool-top-exited: 0 exits/s about every 0.1 s: {b['rate']} {b['interval']}")
        got = {k: t for k, (r, t) in b["rows"].items()}
        check(got == {names.get(k, hex(k)): n for k, n in want.items()} and
              all(r == 0 for r, t in b["rows"].values()),
              f"tool-top-exited: totals {got}, want {want}, rates all 0")
    blocks = top_blocks("tool-top-live", section(secs, "tool-top-live"), False)
    check(len(blocks) == 2, f"tool-top-live: 2 refreshes, got {len(blocks)}")
    for b in blocks:
        rows = b["rows"]
        # cvmload -s 4 may be over before a slow guest's top has started
        timed(b["rate"] > 0 and all(rows.get(k, (0, 0))[0] > 0 for k in
                                    ("CPUID", "IOIO", "NPF", "MSR", "HLT")),
              f"tool-top-live: live rates for every reason of the workload: {rows}")
        check(abs(sum(r for r, t in rows.values()) - b["rate"]) <= len(rows),
              f"tool-top-live: the title's rate is the sum of the rows: {b['rate']}")
    if len(blocks) == 2:
        # rates are per measured interval, printed to 0.1/s and 0.01 s
        a, z, t = blocks[0]["rows"], blocks[1]["rows"], float(blocks[1]["interval"])
        check(t > 0.25 and all(abs(z[k][1] - a[k][1] - z[k][0] * t) <= 0.006 * z[k][0] + 0.1
                               for k in a if k in z),
              f"tool-top-live: totals grow by rate x interval ({t} s): {a} -> {z}")
    run = section(secs, "tool-top-run")
    check(any(l.endswith(" ok") for l in run), "tool-top-run: workload says ok")


def check_tool_errors(secs):
    """One line on stderr and the documented exit code, inside a real guest."""
    out = section(secs, "tool-err-novm", rc=3)
    check(out == ["cvmstat: show: no VM of process 999999 (`cvmstat status` lists the VMs seen)"],
          f"tool-err-novm: {out}")
    out = section(secs, "tool-err-norec", rc=3)
    check(out == ["cvmstat: record: no VM of process 999999, and no such process"],
          f"tool-err-norec: {out}")
    # a VMM that has exited but whose VM is still held can be recorded
    out = section(secs, "tool-rec-vm")
    check(out == [], f"tool-rec-vm: --vm of an exited VMM records quietly: {out}")
    out = section(secs, "tool-err-diskfull", rc=2)
    err = [l for l in out if l.startswith("cvmstat:")]
    check(err == ["cvmstat: record: writing /tmp/small/rec.csv: No space left on device"],
          f"tool-err-diskfull: the full disk is reported: {err}")
    check(any(re.search(r"cvmload: pid=\d+ vcpus=2 .* ok$", l) for l in out),
          "tool-err-diskfull: the command still ran to its end")
    out = section(secs, "tool-err-notfound", rc=127)
    check(out == ["cvmstat: record: /cvm/no-such-command: No such file or directory"],
          f"tool-err-notfound: {out}")
    out = section(secs, "tool-sigterm")
    check(out == ["time_ns,time,phase_seq,phase,vm_id,pid,vcpu,kind,key,dir,name,count"],
          f"tool-sigterm: SIGTERM ends the recording with exit 0, a header: {out}")


def check_migration(secs):
    """Section 12: two VMs of 3 vCPUs on 2 CPUs, threads moved all along."""
    section(secs, "insmod-migrate")
    cpus = {}
    changes = None
    for l in section(secs, "shuffle"):
        m = re.match(r"^(\d+) (\d+)$", l)
        if m:
            cpus.setdefault(m.group(1), set()).add(m.group(2))
        m = re.match(r"^changes=(\d+) rounds=(\d+)$", l)
        if m:
            changes = int(m.group(1))
    moved = sorted(t for t, c in cpus.items() if len(c) > 1)
    # the 6 vCPU threads at least (the VMMs' main threads mostly sleep);
    # a slow guest's shuffle loop makes few rounds (6 on the debug kernel)
    timed(changes and len(moved) >= 6,
          f"shuffle: {changes} affinity changes, {len(moved)} threads seen on "
          f"more than one CPU, want >= 6")
    for tag in ("m1", "m2"):
        out = section(secs, f"run-{tag}")
        check(any(l.endswith(" ok") for l in out), f"run-{tag}: workload says ok")
        check_counts(secs, tag, 3)
    check_version(secs, "version-migrate", bound=True, vms_seen=True)
    section(secs, "rmmod-migrate")


def check_noisy(secs):
    """phased.sh under a recording of every VM while another VM writes the
    phase port at every iteration: the phased VM's recording stays exact;
    the noisy VM's marks are its own, rate-limited, none lost."""
    out = section(secs, "tool-record-noisy")
    # A reader that falls 64 marks behind (CVMSTAT_PHASE_RING: 0.4 s of the
    # noisy VM's 16 per 100 ms) loses the oldest and says how many, once
    # as they go and once in its closing summary: they are accounted below.
    gone = [int(m.group(1)) for m in
            (re.search(r"warning: (\d+) phase marks were made faster", l) for l in out) if m]
    summary = [int(m.group(1)) for m in (re.search(r", (\d+) lost \(see", l) for l in out) if m]
    lost = sum(gone)
    check(sum(summary) == lost and len(summary) <= 1,
          f"tool-record-noisy: the marks lost as they went ({gone}) are the summary's {summary}")
    if lost:
        print(f"NOTE: tool-record-noisy: the recorder fell behind the ring and lost {lost} marks")
    run = section(secs, "tool-noisy-run")
    check(sum(l.endswith(" ok") for l in run) == 2, "tool-noisy-run: both workloads say ok")
    pids = kv(" ".join(section(secs, "tool-noisy-pids")).split())
    px, pn = int(pids.get("x") or -1), int(pids.get("n") or -1)
    totals = rows(section(secs, "tool-noisy-counts-x"))
    noisy = rows(section(secs, "tool-noisy-counts-n"))
    vx = {int(r["vm_id"]) for r in totals}
    vn = {int(r["vm_id"]) for r in noisy}
    check(len(vx) == 1 and len(vn) == 1 and vx != vn, f"tool-noisy: two VMs {vx} {vn}")
    if len(vx) != 1 or len(vn) != 1:
        return
    vx, vn = vx.pop(), vn.pop()
    rec = rec_csv("tool-noisy-csv", section(secs, "tool-noisy-csv"))
    check_rec_rows("tool-noisy-csv", rec)
    marks = [r for r in rec if r["kind"] in ("mark", "mark_inexact")]
    mine = [r for r in marks if r["vm_id"] in (0, vx)]
    kinds = [(r["vm_id"], r["phase"]) for r in sorted(mine, key=lambda r: r["key"])]
    check(kinds == [(0, PHASED_NAMES[0]), (vx, "guest phase 2"), (0, PHASED_NAMES[1])],
          f"tool-noisy-csv: the phased VM's marks: {kinds}")
    if len(mine) != 3:
        return
    seqs = sorted(r["key"] for r in mine)
    phases = [(seqs[0], PHASED_NAMES[0]), (seqs[1], "guest phase 2"),
              (seqs[2], PHASED_NAMES[1])]
    as_marks = [{"seq": r["key"], "time_ns": r["time_ns"], "vm_id": r["vm_id"],
                 "vcpu": r["vcpu"], "value": 2 if r["vm_id"] else 0} for r in mine]
    recs_x = [r for r in rec if r["vm_id"] == vx or r in mine]
    check_recording("tool-noisy-csv", recs_x, px, vx, phases, as_marks,
                    section(secs, "tool-noisy-expect"), totals)
    # the noisy VM: every OUT to the phase port made a mark or was dropped
    # its own marks (a host mark it could not be read at adds a row too)
    theirs = [r for r in marks if r["vm_id"] == vn and r["name"] == "guest"]
    check(all(r["pid"] == pn for r in theirs), "tool-noisy-csv: its marks are its VM's")
    outs = sum(int(r["count"]) for r in noisy
               if r["kind"] == "pio" and int(r["key"], 16) == 0xF4 and r["dir"] == "write")
    vm = [r for r in rows(section(secs, "tool-noisy-list")) if int(r["vm_id"]) == vn]
    dropped = int(vm[0]["marks_dropped"]) if vm else -1
    # every OUT: a mark recorded, one the rate limit dropped, or one the
    # recorder said it lost (the phased VM's marks, checked above, were not)
    check(outs > 0 and len(theirs) + dropped + lost == outs,
          f"tool-noisy: {len(theirs)} marks + {dropped} dropped + {lost} lost = its {outs} OUTs")
    t = sorted(r["time_ns"] for r in theirs)
    burst = max((sum(1 for u in t if v <= u < v + 100_000_000) for v in t), default=0)
    # 16 per 100 ms window, so any 100 ms span holds at most two windows' worth
    check(burst <= 32, f"tool-noisy: at most 32 of its marks in any 100 ms: {burst}")


def check_tool(secs):
    """Section 13: the cvmstat tool, phased.sh under cvmstat record."""
    section(secs, "tool-load")
    section(secs, "tool-load-again")
    section(secs, "tool-record")
    run = section(secs, "tool-run")
    check(any(l.endswith(" ok") for l in run), "tool-run: workload says ok")
    pid = int(kv(section(secs, "tool-pid")).get("x") or -1)
    marks = module_marks(section(secs, "tool-marks"))
    seqs = sorted(marks)
    kinds = [(marks[s]["source"], marks[s]["value"], marks[s]["vcpu"]) for s in seqs]
    check(kinds == [("host", 0, 0), ("guest", 2, 0), ("host", 0, 0)],
          f"tool-marks: a host mark, vCPU 0's guest mark 2, a host mark: {kinds}")
    totals = rows(section(secs, "tool-counts"))
    vm_ids = {int(r["vm_id"]) for r in totals}
    check(len(vm_ids) == 1, f"tool-counts: one VM of pid {pid}: {vm_ids}")
    vm_id = vm_ids.pop() if len(vm_ids) == 1 else -1
    check(len(seqs) == 3 and marks[seqs[1]]["vm_id"] == vm_id,
          f"tool-marks: the guest mark is VM {vm_id}'s")
    if len(seqs) != 3:
        return
    phases = [(seqs[0], PHASED_NAMES[0]), (seqs[1], "guest phase 2"),
              (seqs[2], PHASED_NAMES[1])]
    rec = rec_csv("tool-csv", section(secs, "tool-csv"))
    # rows only where counts changed: a bound for the results file, whatever
    # the emulation's speed (a slow run has more intervals)
    check(len(rec) < 20000, f"tool-csv: {len(rec)} rows, a size for the results file")
    check_rec_rows("tool-csv", rec)
    check_recording("tool-csv", rec, pid, vm_id, phases, [marks[s] for s in seqs],
                    section(secs, "tool-expect"), totals)

    # JSON lines: starts in the phase of the newest mark, the host's third
    out = section(secs, "tool-record-json")
    m = re.search(r"cvmload: pid=(\d+) .* ok$", "\n".join(out), re.M)
    check(m is not None, "tool-record-json: workload says ok")
    marks = module_marks(section(secs, "tool-marks-json"))
    new = [marks[s] for s in sorted(marks) if s > seqs[2]]
    check([(n["source"], n["value"], n["vcpu"]) for n in new] == [("guest", 2, 0)],
          f"tool-marks-json: one more mark, vCPU 0's guest mark 2: {new}")
    rec = rec_json("tool-json", section(secs, "tool-json"))
    check_rec_rows("tool-json", rec)
    if m and len(new) == 1:
        check_recording("tool-json", rec, int(m.group(1)), new[0]["vm_id"],
                        [phases[2], (new[0]["seq"], "guest phase 2")], new,
                        section(secs, "tool-expect-json"))

    # show: the VM's exits by reason, all vCPUs, as the module counted them
    show = section(secs, "tool-show")
    check(bool(show) and re.match(rf"VM {vm_id}: pid {pid} \(cvmload\), plain, "
                                  rf"{PHASED_VCPUS} vCPUs, exited$", show[0]),
          f"tool-show: title {show[:1]}")
    want = {}
    for r in totals:
        if r["kind"] == "reason":
            k = int(r["key"], 16) & 0xFFFFFFFF
            want[k] = want.get(k, 0) + int(r["count"])
    got = {int(m.group(2), 16): int(m.group(1)) for m in
           (re.match(r"^\s*(\d+)\s+[\d.]+%\s+(0x[0-9a-f]+)\s+-\s+\S+$", l) for l in show) if m}
    check(got == want, f"tool-show: reasons {sorted(got.items())}, want {sorted(want.items())}")
    check(not any("not keyed" in l for l in show), "tool-show: no event without its key")
    check_top(secs, want)
    status = section(secs, "tool-status")
    # proven where kvm.ko has BTF (Debian's kernels), said to be assumed where
    # it has none (the minimal debug kernel)
    btf = kv(section(secs, "tool-btf")).get("kvm-btf")
    want = ("prototypes: every bound probe's proven by kvm.ko's BTF" if btf == "yes" else
            "prototypes: assumed (kvm.ko's BTF: No such file or directory)")
    check(want in status, f"tool-status: {want!r} (kvm.ko BTF: {btf}): "
          f"{[l for l in status if l.startswith('prototypes')]}")
    check(any(re.match(rf"^\s*{vm_id}\s+{pid}\s+cvmload\s+{PHASED_VCPUS}\s+plain\s+exited\s+none$",
                       l) for l in status),
          f"tool-status: VM {vm_id} of pid {pid} listed, exited, no event without its key")
    check_tool_errors(secs)
    check_noisy(secs)
    section(secs, "tool-unload")
    section(secs, "tool-unload-again")
    section(secs, "tool-unloaded")


def main():
    path, label = sys.argv[1], sys.argv[2]
    # UTF-8 whatever the locale: phase names must compare byte for byte
    with open(path, encoding="utf-8", errors="replace") as f:
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
    check_symbols(secs)
    for tag, n in (("alt", 2), ("alt3", 3)):
        out = section(secs, f"run-{tag}")
        check(any(l.endswith(" ok") for l in out), f"run-{tag}: workload says ok")
        check_counts(secs, tag, n)

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

    check_readers(secs)
    check_lifetime_missed(secs)

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

    check_phase_marks(secs)

    check_migration(secs)
    check_tool(secs)
    # The recordings as files, for check_frames.sh (pandas and R).
    out = os.path.dirname(os.path.abspath(path))
    for name, fname in (("tool-csv", "rec.csv"), ("tool-json", "rec.jsonl")):
        with open(os.path.join(out, fname), "w", encoding="utf-8", newline="") as f:
            f.write("".join(l + "\n" for l in secs.get(name, {}).get("lines", [])))
    dmesg = section(secs, "dmesg")
    check(any("cvmstat: bound to kvm" in l for l in dmesg), "dmesg: bound to kvm")

    if skipped:
        print(f"{label}: {skipped} speed-dependent checks skipped (CVMSTAT_SLOW_GUEST=1)")
    print(f"{label}: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks a real-guest run (tests/qemu/guest.sh) against the kernel's trace.

Usage: check_guest.py OUTDIR LABEL BOOT_OK

OUTDIR holds results.txt (guest-scenario.sh's sections) and share/ (what
l1-guest.sh saved of each attempt N: trace-N.dat, trace-stats-N.txt,
counts-N.csv, lat-N.csv, show-lat-N.txt, hp-N.csv, phases-N.csv, rec-N.csv, sweep-N.csv,
hp-before-N.txt, hp-after-N.txt, sweep-done-N.txt, testbed-N.txt).  The
oracle is the kernel's own trace events of the same run, recorded by ftrace
in the test kernel: kvm_exit (exit_reason, vcpu_id), kvm_mmio, kvm_fast_mmio,
kvm_msr, kvm_pio, kvm_vcpu_wakeup (ns, valid), kvm_halt_poll_ns (grow),
kvm_entry and kvm_userspace_exit, parsed from `trace-cmd report -R`.  Events without a vCPU field are
given the vCPU of the thread they fired on (every vCPU is one QEMU thread,
known from its kvm_exit events).

cvmstat must equal the trace exactly, per vCPU:
  - exits by reason, and the vCPU's total;
  - halts (kvm_vcpu_wakeup events), invalid wakeups among them, the time
    halted (the sum of their ns) and the poll window's grows and shrinks
    (kvm_halt_poll_ns events);
  - MMIO by guest-physical address and direction, MSRs by index and
    direction, ports by port and direction;
  - the same per phase in `cvmstat record`'s CSV, the trace being split at
    the guest's marks: every vCPU's events stamped before the mark's time
    (the trace's clock is mono, the module's) belong to the phase the mark
    ends, and so does the marking write to the phase port (it ends its
    phase), whenever ftrace stamped it (see split_at_marks);
  - nothing lost: no overflow record (events a full table could not hold),
    nothing unattributed or untracked, and no trace event lost (the ring
    buffer's overrun and dropped counters are 0 and every event it held was
    extracted).
Exit-handling time (on from the module's load) equals the trace's pairs,
per vCPU, exit reason and kernel/userspace: an exit is timed at its vCPU's
next kvm_entry, as via userspace if a kvm_userspace_exit came on its thread
in between; the one exit no entry followed (where the guest powered off)
is open; no pair lost; histograms consistent with count, min and max.
The halt-poll views of the held VM equal the module's records
(cvmstat-read hp): `show --by haltpoll --format csv` per vCPU, and `export
--per vcpu`'s halt families per VM and per vCPU, seconds to the nanosecond.
The halt-polling sweep over the idle guest (its phase 3, l1-guest.sh's
hp_sweep), from its own recording (sweep-N.csv), per setting: its phase
exists; polled with success + in vain + not polled = halts on every vCPU;
with halt_poll_ns=0 in force throughout (set before the sweep started) no
poll at all, no time polled, no window; every window at a poll within the
largest value in force during the phase; the settings afterwards exactly
as before (`cvmstat halt-poll` prints the same).  It prints one line per
setting: halts, the success share, time polled and the windows seen.
Counted differently by design, and checked as such:
  - an MMIO read that KVM leaves to userspace (QEMU's devices) fires kvm_mmio
    twice, READ_UNSATISFIED when the vCPU exits to userspace and READ when
    the access completes; cvmstat counts READ and WRITE only, so each access
    once (kmod/core/counters.h, cvm_mmio_dir).  The rule is checked on the
    trace: every READ_UNSATISFIED is followed on its vCPU, before its next
    exit, by a READ of the same address;
  - kvm_fast_mmio (an ioeventfd write completed without decoding) counts as
    an MMIO write.

A run whose L2 guest did not reach its power-off is a test-bed failure (see
guest.sh), reported as such: a retried attempt is a NOTE; a last attempt
that failed is one failure, "test bed", and nothing else is checked.

Prints a line per failure (at most MAX_PRINT per group; every key's verdict
is in OUTDIR/keys.txt) and ends with "LABEL: N passed, N failed".
"""
import csv
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict

import check_results            # its section parser (tests/qemu)
import check_latency            # the latency records' tables and structure

ISA_SVM = 2
PHASE_PORT = 0xF4
MAX_PRINT = 25
# enum cvmstat_kind numbers, as overflow keys
KIND_NAMES = {1: "reason", 2: "vmgexit", 3: "ghcb_msr", 4: "mmio", 5: "msr",
              6: "pio", 7: "tdx_leaf"}
# kvm_mmio's type (include/trace/events/kvm.h)
MMIO_UNSATISFIED, MMIO_READ, MMIO_WRITE = 0, 1, 2
# `trace-cmd report -R` prints a field as the event's print format does:
# these are printed with a bare %x, the others in decimal or with 0x.
HEX_FIELDS = {("kvm_msr", "ecx")}

passed = failed = 0
printed = Counter()
keys_log = []


def check(ok, what, group="misc", detail=None):
    """One verdict; failures are printed, at most MAX_PRINT per group."""
    global passed, failed
    keys_log.append(("PASS " if ok else "FAIL ") + (detail or what))
    if ok:
        passed += 1
        return True
    failed += 1
    printed[group] += 1
    if printed[group] <= MAX_PRINT:
        print(f"FAIL: {what}")
    return False


def parse_sections(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return check_results.parse_sections(f.read().replace("\r", ""))


def key_name(kind, key, d):
    if kind == "reason":
        return f"reason {key:#x}"
    if kind == "vcpu":
        return "exits in total"
    if kind == "halt":
        return HALT_TRACED.get(key, f"halt {key}")
    return f"{kind} {key:#x} {d}"


# halt record keys (enum cvmstat_halt): halts, invalid, ns halted, grow, shrink
HALT_HALTS, HALT_INVALID, HALT_NS, HALT_GROW, HALT_SHRINK = 0, 5, 6, 10, 11
HALT_TRACED = {HALT_HALTS: "halts", HALT_INVALID: "invalid wakeups",
               HALT_NS: "ns halted", HALT_GROW: "window grows",
               HALT_SHRINK: "window shrinks"}
SWEEP_MAX = 5000000                 # l1-guest.sh's hp_sweep_max


# --- the oracle -----------------------------------------------------------

EVENT_RE = re.compile(r"^\s*(.+)-(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d+):\s+(\w+):\s+(.*)$")


def field_value(event, name, text):
    if text.startswith("0x"):
        return int(text, 16)
    return int(text, 16 if (event, name) in HEX_FIELDS else 10)


def read_trace(dat):
    """The trace's events, in order: (ts_ns, tid, event, fields)."""
    out = subprocess.run(["trace-cmd", "report", "-R", "-t", dat],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return None, f"trace-cmd report failed: {out.stderr.strip()[-200:]}"
    events, other = [], []
    for line in out.stdout.splitlines():
        m = EVENT_RE.match(line)
        if not m:
            if line.strip() and not line.startswith("cpus="):
                other.append(line.strip())
            continue
        _, tid, _, sec, frac, ev, rest = m.groups()
        ts = int(sec) * 10**9 + int(frac.ljust(9, "0")[:9])
        fields = {}
        for kv in rest.split():
            if "=" in kv:
                k, v = kv.split("=", 1)
                try:
                    fields[k] = field_value(ev, k, v)
                except ValueError:
                    fields[k] = v
        events.append((ts, int(tid), ev, fields))
    return events, other


def vcpu_of_threads(events):
    """{tid: vcpu_id} from kvm_exit, and the problems found."""
    m, bad = {}, []
    for _, tid, ev, f in events:
        if ev == "kvm_exit":
            v = f["vcpu_id"]
            if m.setdefault(tid, v) != v:
                bad.append(f"thread {tid} ran vCPUs {m[tid]} and {v}")
    if len(set(m.values())) != len(m):
        bad.append(f"a vCPU ran on more than one thread: {sorted(m.items())}")
    return m, bad


def oracle_keys(ev, f):
    """[((kind, key, dir), n)]: what the event counts under, and how much."""
    if ev == "kvm_vcpu_wakeup":
        out = [(("halt", HALT_HALTS, "none"), 1), (("halt", HALT_NS, "none"), f["ns"])]
        if not f["valid"]:
            out.append((("halt", HALT_INVALID, "none"), 1))
        return out
    if ev == "kvm_halt_poll_ns":
        return [(("halt", HALT_GROW if f["grow"] else HALT_SHRINK, "none"), 1)]
    k = oracle_key(ev, f)
    return [(k, 1)] if k else []


def oracle_key(ev, f):
    """(kind, key, dir) the event counts under, or None (not counted)."""
    if ev == "kvm_exit":
        return ("reason", f["exit_reason"], "none")
    if ev == "kvm_mmio":
        t = f["type"]
        if t == MMIO_READ:
            return ("mmio", f["gpa"], "read")
        if t == MMIO_WRITE:
            return ("mmio", f["gpa"], "write")
        return None                     # READ_UNSATISFIED: see the rule
    if ev == "kvm_fast_mmio":
        return ("mmio", f["gpa"], "write")
    if ev == "kvm_msr":
        return ("msr", f["ecx"], "write" if f["write"] else "read")
    if ev == "kvm_pio":
        return ("pio", f["port"], "write" if f["rw"] else "read")
    return None


def per_vcpu_events(events, tids):
    out = defaultdict(list)
    for e in events:
        v = tids.get(e[1])
        out[v].append(e)
    return out


def count(evs):
    c = Counter()
    for _, _, ev, f in evs:
        for k, n in oracle_keys(ev, f):
            c[k] += n
            if k[0] == "reason":
                c[("vcpu", 0, "none")] += 1
    return c


def check_mmio_rule(byv):
    """READ_UNSATISFIED is always completed by a READ of the same address."""
    n_unsat = 0
    for v, evs in sorted(byv.items(), key=lambda x: (x[0] is None, x[0])):
        pending, broken = None, 0
        for _, _, ev, f in evs:
            if ev == "kvm_exit":
                if pending is not None:
                    broken += 1
                pending = None
            elif ev == "kvm_mmio" and f["type"] == MMIO_UNSATISFIED:
                if pending is not None:
                    broken += 1
                pending = f["gpa"]
                n_unsat += 1
            elif ev == "kvm_mmio" and f["type"] == MMIO_READ and pending is not None:
                if f["gpa"] != pending:
                    broken += 1
                pending = None
        check(broken == 0, f"vCPU {v}: {broken} MMIO reads left to userspace "
              "without their READ completion (the rule cvmstat counts them by)",
              "rule")
    return n_unsat


def oracle_latency(evs):
    """The trace's exit/entry pairs of one vCPU: ({(reason, dir): n} timed,
    {(reason, dir): n} still open at the end).  An exit is timed at the
    vCPU's next kvm_entry; dir is "user" if a kvm_userspace_exit came on
    its thread in between, else "kernel"; an exit no entry followed is open."""
    timed, opened = Counter(), Counter()
    pending = None
    for _, _, ev, f in evs:
        if ev == "kvm_exit":
            if pending:
                opened[tuple(pending)] += 1     # never seen: says so below
            pending = [f["exit_reason"], "kernel"]
        elif ev == "kvm_userspace_exit" and pending:
            pending[1] = "user"
        elif ev == "kvm_entry" and pending:
            timed[tuple(pending)] += 1
            pending = None
    if pending:
        opened[tuple(pending)] += 1
    return timed, opened


def check_guest_latency(share, a, byv, vcpus):
    """Exit-handling time of the real guest (timing on from the module's
    load) against the trace's pairs: per vCPU, reason and kernel/userspace,
    timed and open exits exactly; nothing lost; the histograms' structure;
    show --latency names what it prints.  Returns the number of keys."""
    check_latency.check = check         # its checks count as this suite's
    with open(os.path.join(share, f"lat-{a}.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    t, opened, lost = check_latency.lat_tables(rows)
    nkeys = 0
    for v in vcpus:
        want_t, want_o = oracle_latency(byv[v])
        got_t = Counter({(k & 0xFFFFFFFF, d): e.get("count", 0)
                         for (k, d), e in t.get(v, {}).items()})
        got_o = Counter({(k & 0xFFFFFFFF, d): c for k, d, c in opened.get(v, [])})
        for k in sorted(set(want_t) | set(got_t)):
            nkeys += 1
            check(got_t[k] == want_t[k], f"vCPU {v}: reason {k[0]:#x} {k[1]}: "
                  f"{got_t[k]} exits timed, the trace paired {want_t[k]}",
                  "latency", f"latency vCPU {v} {k[0]:#x} {k[1]}: {got_t[k]}")
        check(got_o == want_o, f"vCPU {v}: open exits {dict(got_o)}, the trace "
              f"ends with {dict(want_o)} (one: the exit it stopped at)")
        check(sum(want_o.values()) == 1, f"vCPU {v}: the trace has "
              f"{sum(want_o.values())} exits without an entry, want 1 (the last)")
        check(not lost.get(v), f"vCPU {v}: pairs not timed {lost.get(v)}, want none")
    check_latency.check_structure("guest", t)
    with open(os.path.join(share, f"show-lat-{a}.txt")) as f:
        show = f.read()
    check("CPUID" in show and "P99_US" in show and "user" in show,
          f"show --latency names reasons and splits them: {show[:200]!r}")
    return nkeys


# --- cvmstat's side ---------------------------------------------------------

def read_counts(path, hp_path):
    """{vcpu: Counter((kind, key, dir))} and {vcpu: {kind: lost}}; the
    halt counts the trace has from hp_path (cvmstat-read hp)."""
    counts, overflow = defaultdict(Counter), defaultdict(dict)
    with open(hp_path, newline="") as f:
        for r in csv.DictReader(f):
            key = int(r["key"], 16)
            if r["kind"] == "halt" and key in HALT_TRACED:
                counts[int(r["vcpu_id"])][("halt", key, "none")] += int(r["count"])
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            v, kind, key = int(r["vcpu_id"]), r["kind"], int(r["key"], 16)
            n = int(r["count"])
            if kind == "overflow":
                overflow[v][KIND_NAMES.get(key, str(key))] = n
            elif kind == "reason":
                counts[v][("reason", key & 0xFFFFFFFF, "none")] += n
            elif kind == "vcpu":
                counts[v][("vcpu", 0, "none")] += n
            else:
                counts[v][(kind, key, r["dir"])] += n
    return counts, overflow


# Halt polling (no trace event counterpart here): summed per vCPU, reported.
HALT_KINDS = ("halt", "halt_hist", "halt_window", "halt_state", "setting")
halts = defaultdict(Counter)


def read_recording(path, guest_seqs):
    """{phase_seq: {vcpu: Counter}}, overflow rows, mark rows.  Host phases
    (the sweep's) are folded into the guest phase they are in: a row of
    phase seq s counts in the guest phase of the latest guest mark <= s."""
    phases = defaultdict(lambda: defaultdict(Counter))
    overflow, marks = defaultdict(Counter), {}
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            seq, kind = int(r["phase_seq"]), r["kind"]
            if kind in ("mark", "mark_inexact"):
                marks[int(r["key"])] = kind
                continue
            seq = max((g for g in guest_seqs if g <= seq), default=0)
            if kind in HALT_KINDS:
                if kind == "halt":
                    halts[int(r["vcpu"])][r["name"]] += int(r["count"])
                    if int(r["key"]) in HALT_TRACED:
                        phases[seq][int(r["vcpu"])][("halt", int(r["key"]), "none")] \
                            += int(r["count"])
                elif kind == "halt_window":
                    halts[int(r["vcpu"])][f"window {int(r['key'])}"] += int(r["count"])
                continue
            v, key, n = int(r["vcpu"]), int(r["key"]), int(r["count"])
            d = {"-": "none"}.get(r["dir"], r["dir"])
            if kind == "overflow":
                overflow[(seq, v)][KIND_NAMES.get(key, str(key))] += n
            elif kind == "vcpu":
                phases[seq][v][("vcpu", 0, "none")] += n
            else:
                phases[seq][v][(kind, key, d)] += n
    return phases, overflow, marks


def read_marks(path):
    with open(path, newline="") as f:
        return [dict(r, seq=int(r["seq"]), time_ns=int(r["time_ns"]),
                     vcpu_id=int(r["vcpu_id"]), value=int(r["value"]))
                for r in csv.DictReader(f)]


# --- comparisons ------------------------------------------------------------

def compare(where, got, want, overflowed, group):
    """Every key of either side: cvmstat's count equals the trace's."""
    n = 0
    for k in sorted(set(got) | set(want), key=lambda k: (k[0], k[1], k[2])):
        g, w = got.get(k, 0), want.get(k, 0)
        why = ""
        if g != w and k[0] in overflowed:
            why = f" ({k[0]} table full: {overflowed[k[0]]} events in overflow)"
        check(g == w, f"{where}: {key_name(*k)}: cvmstat {g}, trace {w}{why}",
              group, f"{where}: {key_name(*k)}: cvmstat {g}, trace {w}{why}")
        n += 1
    return n


def marking_writes(events, marks):
    """The trace's index of each guest mark's write to the phase port."""
    writes = [i for i, (_, _, ev, f) in enumerate(events)
              if ev == "kvm_pio" and f["rw"] and f["port"] == PHASE_PORT]
    check(len(writes) == len(marks), f"the trace has {len(writes)} writes to "
          f"port {PHASE_PORT:#x}, cvmstat {len(marks)} guest marks", "marks")
    return writes[:len(marks)]


def split_at_marks(byv, events, marks, tids):
    """{vcpu: [Counter per segment]}: segment i ends at marks[i].

    The test kernel runs on one CPU, and the trace's clock is the module's
    (mono): every event stamped before a mark's time happened before it.
    So is the marking write, though ftrace, whose probe runs after
    cvmstat's, may stamp it later: much later if the vCPU's thread is
    preempted in between, which 7.x kernels allow (tracepoint probes
    preemptible), and then other vCPUs' events come in between in the
    trace, after the mark.
    """
    writes = marking_writes(events, marks)
    for m, w in zip(marks, writes):
        ts, tid, _, f = events[w]
        check(tids.get(tid) == m["vcpu_id"] and f.get("val") == m["value"],
              f"mark {m['seq']}: by vCPU {m['vcpu_id']}, value {m['value']}; the "
              f"trace's write: vCPU {tids.get(tid)}, value {f.get('val')}", "marks")
        check(all(e[0] < m["time_ns"] for e in events[:w] if e[1] == tid),
              f"mark {m['seq']}: its vCPU's events before the marking write are "
              "stamped before the mark", "marks")
    marking = {id(events[w]): i for i, w in enumerate(writes)}
    out = {}
    for v, evs in byv.items():
        bounds = []
        for i, m in enumerate(marks):
            bounds.append(sum(1 for e in evs if e[0] < m["time_ns"]
                              or marking.get(id(e), len(marks)) <= i))
        segs, start = [], 0
        for b in bounds + [len(evs)]:
            segs.append(count(evs[start:b]))
            start = b
        out[v] = segs
    return out


def main(outdir, label, boot_ok):
    share = os.path.join(outdir, "share")
    secs = parse_sections(os.path.join(outdir, "results.txt"))
    check(boot_ok == "1", "the test kernel ran the scenario without an oops or WARN "
          f"(boot.sh; {outdir}/console.log)")
    attempts = sorted(int(m.group(1)) for s in secs
                      for m in [re.match(r"attempt-(\d+)$", s)] if m)
    if not check(attempts != [], "the scenario ran an attempt"):
        return finish(label, outdir)
    for s in ("modules", "host-root", "host-tmp"):
        check(secs.get(s, {}).get("rc") == 0, f"{s}: "
              + " | ".join(secs.get(s, {}).get("lines", [])[-3:]))
    a = attempts[-1]
    for n in attempts:
        tb = os.path.join(share, f"testbed-{n}.txt")
        if os.path.exists(tb):
            with open(tb) as f:
                what = f.read().strip()
            if n != a:
                print(f"NOTE: test bed: attempt {n}: {what}; tried again")
            else:
                check(False, f"test bed (not cvmstat): the L2 guest did not reach "
                      f"its power-off in {len(attempts)} attempts; last: {what} "
                      f"(see {share}/l2-console-{n}.log)")
                return finish(label, outdir)
    att = secs[f"attempt-{a}"]
    if not check(att["rc"] == 0, f"attempt {a}: exit status {att['rc']}: "
                 + " | ".join(att["lines"][-5:])):
        return finish(label, outdir)
    ver = dict(l.split("=", 1) for l in secs.get(f"version-{a}", {}).get("lines", [])
               if "=" in l)
    for k in ("unattributed", "untracked_vms", "untracked_vcpus", "lifetime_missed"):
        check(ver.get(k) == "0", f"cvmstat: {k} {ver.get(k)}, want 0")

    # The trace: nothing lost, every event extracted.
    stats = open(os.path.join(share, f"trace-stats-{a}.txt")).read()
    for what in ("overrun", "commit overrun", "dropped events"):
        vals = [int(x) for x in re.findall(rf"^{what}: (\d+)$", stats, re.M)]
        check(vals and not any(vals), f"trace: {what} {vals}, want 0 on every CPU")
    entries = sum(int(x) for x in re.findall(r"^entries: (\d+)$", stats, re.M))
    events, other = read_trace(os.path.join(share, f"trace-{a}.dat"))
    if not check(events is not None, f"trace: {other}"):
        return finish(label, outdir)
    check(stats.count("== cpu") == 1, "trace: from one CPU (the phase split "
          "relies on one CPU's clock ordering every event)")
    check(len(events) == entries, f"trace: {len(events)} events extracted, "
          f"the buffer held {entries}")
    check(not any("LOST" in l.upper() for l in other),
          f"trace: no lost-events marker: {[l for l in other if 'LOST' in l.upper()][:3]}")
    tids, bad = vcpu_of_threads(events)
    check(not bad, f"trace: one thread per vCPU: {bad}")
    byv = per_vcpu_events(events, tids)
    check(None not in byv, f"trace: {len(byv.get(None, []))} events on threads "
          "that ran no vCPU")
    n_unsat = check_mmio_rule(byv)

    # Totals per vCPU.
    counts, overflow = read_counts(os.path.join(share, f"counts-{a}.csv"),
                                   os.path.join(share, f"hp-{a}.csv"))
    vcpus = sorted(v for v in byv if v is not None)
    check(vcpus == [0, 1], f"the guest's vCPUs in the trace: {vcpus}, want [0, 1]")
    check(sorted(counts) == vcpus, f"cvmstat's vCPUs {sorted(counts)}, the trace's {vcpus}")
    for v in sorted(set(overflow) | set(vcpus)):
        for kind, n in sorted(overflow.get(v, {}).items()):
            check(False, f"vCPU {v}: {n} {kind} events lost: the table of "
                  f"{kind} keys was full (an overflow record, kind 8)",
                  "overflow")
        if not overflow.get(v):
            check(True, "", "overflow", f"vCPU {v}: no overflow record")
    nkeys = Counter()
    total = {}
    for v in vcpus:
        want = count(byv[v])
        total[v] = want[("vcpu", 0, "none")]
        got = counts.get(v, Counter())
        compare(f"vCPU {v}", got, want, overflow.get(v, {}), "total")
        # what a full table lost is exactly what its overflow record says
        for kind in ("mmio", "msr", "pio"):
            lost = sum(n for k, n in want.items() if k[0] == kind) - \
                sum(n for k, n in got.items() if k[0] == kind)
            check(lost == overflow.get(v, {}).get(kind, 0),
                  f"vCPU {v}: the trace has {lost} {kind} events more than "
                  f"cvmstat's keys, its overflow record says "
                  f"{overflow.get(v, {}).get(kind, 0)}")
        for k in want:
            nkeys[k[0]] += 1

    # Per phase: the recording against the trace split at the marks.
    marks = [m for m in read_marks(os.path.join(share, f"phases-{a}.csv"))
             if m["source"] == "guest"]
    check([m["value"] for m in marks] == [1, 2, 3, 4],
          f"guest marks {[m['value'] for m in marks]}, want [1, 2, 3, 4]")
    rec, rec_over, rec_marks = read_recording(os.path.join(share, f"rec-{a}.csv"),
                                              [m["seq"] for m in marks])
    for m in marks:
        check(rec_marks.get(m["seq"]) == "mark", f"recording: mark {m['seq']} is "
              f"{rec_marks.get(m['seq'], 'missing')}, want an exact mark")
    segs = split_at_marks(byv, events, marks, tids)
    seqs = [0] + [m["seq"] for m in marks]
    check(set(rec) <= set(seqs), f"recording: phases {sorted(rec)}, want within {seqs}")
    nphase = 0
    for i, seq in enumerate(seqs):
        for v in vcpus:
            nphase += compare(f"phase {seq} vCPU {v}", rec[seq][v], segs[v][i],
                              rec_over.get((seq, v), {}), "phase")

    nlat = check_guest_latency(share, a, byv, vcpus)

    exits = sum(total.values())
    print(f"guest: exit-handling time: {nlat} keys (vCPU, reason, kernel or "
          "userspace) timed exactly as the trace pairs kvm_exit and kvm_entry")
    print(f"guest: attempt {a}; trace {len(events)} events, {exits} exits "
          f"({', '.join(f'vCPU {v} {total[v]}' for v in vcpus)}); compared "
          f"{sum(nkeys.values())} keys over the vCPUs ({', '.join(f'{n} {k}' for k, n in sorted(nkeys.items()))}) "
          f"and {nphase} per phase and vCPU over {len(seqs)} phases; "
          f"{n_unsat} MMIO reads completed in userspace counted once; "
          f"module memory {ver.get('vcpu_bytes', '?')} bytes per vCPU slot")
    for v in sorted(halts):
        h = halts[v]
        wins = sorted(int(k.split()[1]) for k in h if k.startswith("window "))
        check(h["poll_ok"] + h["poll_fail"] + h["not_polled"] == h["halts"],
              f"vCPU {v}: halts {h['halts']} = polled with success {h['poll_ok']} "
              f"+ in vain {h['poll_fail']} + not polled {h['not_polled']}")
        print(f"guest: halt polling vCPU {v}: {h['halts']} halts, {h['poll_ok']} polled "
              f"with success ({100 * h['poll_ok'] / max(h['halts'], 1):.1f}%), "
              f"{h['poll_fail']} in vain, {h['not_polled']} not polled; polled "
              f"{h['poll_ok_ns'] / 1e6:.1f} ms ok, {h['poll_fail_ns'] / 1e6:.1f} ms in vain, "
              f"waited {h['wait_ns'] / 1e6:.1f} ms; windows "
              f"{wins[0] if wins else '-'}..{wins[-1] if wins else '-'} ns")
    check_hp_views(share, a)
    check_sweep(share, a)
    return finish(label, outdir)


# enum cvmstat_halt_key by name, as in show's and record's fields
HALT_KEYS = ["halts", "poll_ok", "poll_fail", "not_polled", "not_polled_guest",
             "invalid", "halted_ns", "poll_ok_ns", "poll_fail_ns", "wait_ns",
             "grow", "shrink"]
EXPORT_FAMILIES = {"halts": 0, "halt_poll_successes": 1, "halt_poll_failures": 2,
                   "halts_not_polled": 3, "halt_polled_seconds": 7,
                   "halt_poll_wasted_seconds": 8, "halt_waited_seconds": 9}


def check_hp_views(share, a):
    """show --by haltpoll --format csv and export --per vcpu, against the
    module's halt-poll records of the same held VM."""
    hp, wins, state = defaultdict(Counter), defaultdict(set), defaultdict(dict)
    with open(os.path.join(share, f"hp-{a}.csv"), newline="") as f:
        for r in csv.DictReader(f):
            v, key, n = int(r["vcpu_id"]), int(r["key"], 16), int(r["count"])
            if r["kind"] == "halt":
                hp[v][key] += n
            elif r["kind"] == "halt_window" and n:
                wins[v].add(key)
            elif r["kind"] == "halt_state":
                state[v][key] = n
    with open(os.path.join(share, f"show-hp-{a}.csv"), newline="") as f:
        show = {int(r["vcpu"]): r for r in csv.DictReader(f)}
    check(sorted(show) == sorted(hp), f"show --by haltpoll --format csv: vCPUs "
          f"{sorted(show)}, the module's {sorted(hp)}", "views")
    for v in sorted(show):
        r, h = show[v], hp[v]
        got = {k: int(r[k]) for k in HALT_KEYS}
        want = {k: h[i] for i, k in enumerate(HALT_KEYS)}
        want_w = (min(wins[v]), max(wins[v])) if wins[v] else (0, 0)
        check(got == want and (int(r["window_min"]), int(r["window_max"])) == want_w
              and int(r["window"]) == state[v].get(0, 0)
              and r["guest_poll"] == ("off" if state[v].get(1) else "on"),
              f"show --by haltpoll --format csv vCPU {v}: {dict(r)}, the module's "
              f"{want}, windows {want_w}, state {state[v]}", "views")
    series = {}
    with open(os.path.join(share, f"export-{a}.prom")) as f:
        for line in f:
            m = re.match(r'cvmstat_(vcpu_)?(\w+)_total\{[^}]*?(?:,vcpu="(\w+)")?\} (\S+)$',
                         line.strip())
            if m and m.group(2) in EXPORT_FAMILIES:
                series[(m.group(2), m.group(3))] = m.group(4)

    def fmt(fam, n):
        return f"{n // 10**9}.{n % 10**9:09d}" if fam.endswith("seconds") else str(n)
    want = {}
    for fam, key in EXPORT_FAMILIES.items():
        want[(fam, None)] = fmt(fam, sum(hp[v][key] for v in hp))
        for v in hp:
            want[(fam, str(v))] = fmt(fam, hp[v][key])
    check(series == want, f"export --per vcpu: halt series {series}, the module's "
          f"{want}", "views")
    print(f"guest: halt-poll views: show --by haltpoll --format csv ({len(show)} "
          f"vCPUs) and export --per vcpu ({len(series)} halt series) equal the "
          "module's records")


def read_sweep(path):
    """The sweep's recording: [(phase name, {vcpu: Counter of halt names},
    {vcpu: Counter of windows}, [halt_poll_ns values set in the phase])],
    in phase order, and the halt_poll_ns in force when it started."""
    phases, start = {}, None
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            seq = int(r["phase_seq"])
            if seq not in phases:
                phases[seq] = (r["phase"], defaultdict(Counter), defaultdict(Counter), [])
            _, h, w, sets = phases[seq]
            kind = r["kind"]
            if kind == "halt":
                h[int(r["vcpu"])][r["name"]] += int(r["count"])
            elif kind == "halt_window":
                w[int(r["vcpu"])][int(r["key"])] += int(r["count"])
            elif kind == "setting" and r["name"].startswith("halt_poll_ns="):
                if r["name"].endswith(" at start"):
                    start = int(r["key"])
                else:
                    sets.append(int(r["key"]))
    return [phases[seq] for seq in sorted(phases)], start


def check_sweep(share, a):
    """The halt-polling sweep over the idle guest (see the docstring)."""
    def path(n):
        return os.path.join(share, n)
    done = open(path(f"sweep-done-{a}.txt")).read().strip() \
        if os.path.exists(path(f"sweep-done-{a}.txt")) else "missing"
    if not check(done == "0", f"halt-polling sweep: exit status {done} "
                 f"(see {share}/sweep-{a}.log)", "sweep"):
        return
    before = open(path(f"hp-before-{a}.txt")).read()
    after = open(path(f"hp-after-{a}.txt")).read()
    check(before == after, "halt-polling sweep: `cvmstat halt-poll` after the "
          f"sweep and --restore differs from before:\n{before}---\n{after}", "sweep")
    m = re.search(r"^halt_poll_ns\s*[=:]?\s*(\d+)", before, re.M)
    orig = int(m.group(1)) if m else None
    check(orig is not None, f"halt-polling sweep: halt_poll_ns in `cvmstat "
          f"halt-poll`: {before[:200]!r}", "sweep")
    phases, start = read_sweep(path(f"sweep-{a}.csv"))
    check(start == 0, f"halt-polling sweep: halt_poll_ns {start} when it "
          "started, want 0 (set before)", "sweep")
    want = [0, orig, SWEEP_MAX]
    byname = {name: (h, w, sets) for name, h, w, sets in phases}
    in_force = start
    for name, h, w, sets in phases:
        if not name.startswith("halt_poll_ns="):
            continue
        val = int(name.split("=", 1)[1])
        # the last phase also has the sweep's restore (to the start value)
        check(sets in ([val], [val, start]), f"sweep phase {name}: halt_poll_ns "
              f"set to {sets}, want [{val}] (and [{start}] at the end)", "sweep")
        maxv = max([in_force] + sets)
        tot = Counter()
        wins = set()
        for v in sorted(set(h) | set(w)):
            c = h[v]
            check(c["poll_ok"] + c["poll_fail"] + c["not_polled"] == c["halts"],
                  f"sweep phase {name} vCPU {v}: halts {c['halts']} = polled with "
                  f"success {c['poll_ok']} + in vain {c['poll_fail']} + not polled "
                  f"{c['not_polled']}", "sweep")
            over = sorted(x for x in w[v] if x > maxv)
            check(not over, f"sweep phase {name} vCPU {v}: windows {over} above "
                  f"{maxv}, the largest value in force", "sweep")
            tot += c
            wins |= set(w[v])
        if val == 0 and in_force == 0:
            check(tot["poll_ok"] == tot["poll_fail"] == tot["poll_ok_ns"]
                  == tot["poll_fail_ns"] == 0 and not wins and
                  tot["not_polled"] == tot["halts"],
                  f"sweep phase {name}: no poll at all, but {tot['poll_ok']} with "
                  f"success, {tot['poll_fail']} in vain, {tot['poll_ok_ns']} + "
                  f"{tot['poll_fail_ns']} ns polled, windows {sorted(wins)}", "sweep")
        check(tot["halts"] > 0, f"sweep phase {name}: no halt measured (the "
              "guest's idle phase ended before it?)", "sweep")
        in_force = sets[-1] if sets else in_force
        n = max(tot["halts"], 1)
        per = ", ".join(f"vCPU {v} {h[v]['halts']}" for v in sorted(h))
        print(f"guest: idle guest, {name}: {tot['halts']} halts ({per}), "
              f"polled with success {100 * tot['poll_ok'] / n:.1f}%, in vain "
              f"{100 * tot['poll_fail'] / n:.1f}%, not polled {100 * tot['not_polled'] / n:.1f}%; "
              f"polled {tot['poll_ok_ns'] / 1e6:.2f} ms ok, {tot['poll_fail_ns'] / 1e6:.2f} ms "
              f"in vain, waited {tot['wait_ns'] / 1e6:.1f} ms; windows "
              + (f"{min(wins)}..{max(wins)} ns" if wins else "none"))
    for val in want:
        check(f"halt_poll_ns={val}" in byname, f"halt-polling sweep: no phase "
              f"halt_poll_ns={val} (phases {[p[0] for p in phases]})", "sweep")


def finish(label, outdir):
    for g, n in sorted(printed.items()):
        if n > MAX_PRINT:
            print(f"FAIL: ... and {n - MAX_PRINT} more {g} failures, every one in {outdir}/keys.txt")
    with open(os.path.join(outdir, "keys.txt"), "w") as f:
        f.write("\n".join(keys_log) + "\n")
    print(f"{label}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks what tests/qemu/haltpoll-scenario.sh printed in the guest.

Usage: check_haltpoll.py RESULTS_FILE LABEL

What must hold exactly: cvmstat's halts per vCPU are the guest's HLTs;
polled with success + in vain + not polled = halts; the polls, successes
and the time polled and waited are KVM's own per-vCPU statistics to the
nanosecond; every window in force at a poll is within the maximum in
force; halt_poll_ns=0 and a VM maximum of 0 mean no poll at all; the
guest's opt-out stops polling on its vCPU from then on; every setting
comes back exactly.  What KVM's algorithm implies: with a window far
longer than the timer period most polls succeed.  Prints one line per
failure, a "measured:" line per run, and "LABEL: N passed, N failed".
"""
import csv
import io
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_results as cr  # noqa: E402  (its check() and section helpers)

check, section, rows, kv = cr.check, cr.section, cr.rows, cr.kv

FEAT_HALTPOLL, FEAT_HALTPOLL_VM = 1 << 7, 1 << 8
HALT = ["halts", "poll_ok", "poll_fail", "not_polled", "not_polled_guest", "invalid",
        "halted_ns", "poll_ok_ns", "poll_fail_ns", "wait_ns", "grow", "shrink",
        "guest_poll_off", "guest_poll_on", "window_overflow"]
HP_KEY_GLOBAL = 1 << 32
VCPUS = 2


def hp_of(lines):
    """cvmstat-read hp: {vcpu: {"halt": {name: n}, "hist": {k: n},
    "window": {ns: n}, "state": {k: v}}}"""
    out = {}
    for r in rows(lines):
        v = out.setdefault(int(r["vcpu_id"]), {"halt": {}, "hist": {}, "window": {},
                                               "state": {}})
        key, n = int(r["key"], 16), int(r["count"])
        if r["kind"] == "halt":
            v["halt"][HALT[key] if key < len(HALT) else key] = n
        elif r["kind"] == "halt_hist":
            v["hist"][key] = n
        elif r["kind"] == "halt_window":
            v["window"][key] = n
        elif r["kind"] == "halt_state":
            v["state"][key] = n
    return out


def exp_of(lines):
    return {int(r["vcpu_id"]): {k: int(x) for k, x in r.items()} for r in rows(lines)}


measured = []


def check_run(tag, hp, exp, max_ns, wakeups, vcpus=VCPUS, polls=None):
    """One haltload run: cvmstat's counters (hp) against the guest's and
    KVM's (exp).  max_ns: the largest maximum in force; polls: None (no
    claim), 0 (no poll at all), "some" (at least one poll) or a minimum
    success share."""
    check(sorted(hp) == list(range(vcpus)) and sorted(exp) == list(range(vcpus)),
          f"{tag}: vCPUs {sorted(hp)} counted, {sorted(exp)} ran")
    for v in range(vcpus):
        h, e = hp.get(v, {}).get("halt", {}), exp.get(v, {})
        w = hp.get(v, {}).get("window", {})
        g = lambda k: h.get(k, 0)  # noqa: E731
        what = f"{tag} vcpu {v}"
        check(e.get("wakeups") == wakeups, f"{what}: {e.get('wakeups')} wakeups, want {wakeups}")
        check(e.get("halt_exits") == e.get("guest_hlt"),
              f"{what}: KVM's HLT exits {e.get('halt_exits')} = the guest's HLTs {e.get('guest_hlt')}")
        check(g("halts") == e.get("guest_hlt"),
              f"{what}: halts {g('halts')} = the guest's HLTs {e.get('guest_hlt')}")
        check(g("poll_ok") + g("poll_fail") + g("not_polled") == g("halts"),
              f"{what}: success {g('poll_ok')} + fail {g('poll_fail')} + not polled "
              f"{g('not_polled')} = halts {g('halts')}")
        check(g("poll_ok") == e.get("halt_successful_poll") and
              g("poll_ok") + g("poll_fail") == e.get("halt_attempted_poll"),
              f"{what}: polls {g('poll_ok')}/{g('poll_fail')} = KVM's "
              f"{e.get('halt_successful_poll')} of {e.get('halt_attempted_poll')}")
        for mine, kvm in (("poll_ok_ns", "halt_poll_success_ns"),
                          ("poll_fail_ns", "halt_poll_fail_ns"), ("wait_ns", "halt_wait_ns")):
            check(g(mine) == e.get(kvm), f"{what}: {mine} {g(mine)} = KVM's {kvm} {e.get(kvm)}")
        check(sum(hp.get(v, {}).get("hist", {}).values()) == g("halts"),
              f"{what}: the halt histogram holds every halt")
        check(sum(w.values()) + g("window_overflow") == g("poll_ok") + g("poll_fail"),
              f"{what}: a window for every poll: {w}")
        check(all(0 < k <= max_ns for k in w), f"{what}: windows {sorted(w)} within {max_ns}")
        check(g("invalid") == 0, f"{what}: no invalid wakeup (x86)")
        if polls == 0:
            check(g("poll_ok") + g("poll_fail") == 0 and not w,
                  f"{what}: no poll at all ({g('poll_ok')}, {g('poll_fail')}, {w})")
        elif polls == "some":
            check(g("poll_ok") + g("poll_fail") > 0, f"{what}: it polls")
        elif polls is not None:
            share = g("poll_ok") / g("halts") if g("halts") else 0
            check(share >= polls, f"{what}: {share:.0%} of halts polled with success, want >= {polls:.0%}")
        measured.append(f"{tag} vcpu {v}: halts {g('halts')}, success {g('poll_ok')}, "
                        f"fail {g('poll_fail')}, not polled {g('not_polled')} "
                        f"({100 * g('poll_ok') / max(g('halts'), 1):.1f}% success), "
                        f"polled {g('poll_ok_ns') / 1e6:.3f} ms ok / {g('poll_fail_ns') / 1e6:.3f} ms "
                        f"in vain, waited {g('wait_ns') / 1e6:.3f} ms, windows "
                        f"{min(w) if w else '-'}..{max(w) if w else '-'} ns, "
                        f"grow {g('grow')} shrink {g('shrink')}")


def recording(lines):
    table = list(csv.DictReader(io.StringIO("\n".join(lines))))
    for r in table:
        for k in cr.REC_INTS:
            r[k] = int(r[k])
    return table


def rec_sums(recs, vm_id, kind="halt", by_phase=True):
    """{(phase, vcpu): {name: count}} of a recording's rows of VM vm_id."""
    out = {}
    for r in recs:
        if r["vm_id"] != vm_id or r["kind"] != kind:
            continue
        k = (r["phase"] if by_phase else None, r["vcpu"])
        d = out.setdefault(k, {})
        name = r["name"] if kind == "halt" else r["key"]
        d[name] = d.get(name, 0) + r["count"]
    return out


def settings(recs):
    return [(r["phase"], r["vm_id"], r["vcpu"], r["key"], r["name"])
            for r in sorted(recs, key=lambda r: r["time_ns"]) if r["kind"] == "setting"]


def pid_of(lines):
    for l in lines:
        m = re.search(r"haltload: pid=(\d+) ", l)
        if m:
            return int(m.group(1))
    return None


def vm_of(list_lines, pid):
    ids = [int(r["vm_id"]) for r in rows(list_lines) if int(r["pid"]) == pid]
    return ids[-1] if ids else None


def main():
    path, label = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8", errors="replace") as f:
        secs = cr.parse_sections(f.read().replace("\r", ""))

    section(secs, "insmod")
    section(secs, "modprobe")
    v = kv(section(secs, "version"))
    feats = int(v.get("features", "0"), 16)
    check(feats & FEAT_HALTPOLL and feats & FEAT_HALTPOLL_VM,
          f"version: halt polling measured and settable ({feats:#x})")
    check(int(v.get("probes_bound", "0"), 16) == cr.PROBES_AMD,
          f"version: probes bound {v.get('probes_bound')}, want {cr.PROBES_AMD:#x}")
    boot = kv(l.replace("/sys/module/kvm/parameters/", "").replace(":", "=", 1)
              for l in section(secs, "params-boot"))
    check(set(boot) == {"halt_poll_ns", "halt_poll_ns_grow", "halt_poll_ns_grow_start",
                        "halt_poll_ns_shrink"}, f"params-boot: {boot}")
    check(boot.get("halt_poll_ns") == "200000", f"params-boot: x86's default window {boot}")
    show = section(secs, "tool-show-none")
    check([l.split()[:2] for l in show[:4]] == [[k, boot.get(k)] for k in
           ("halt_poll_ns", "halt_poll_ns_grow", "halt_poll_ns_grow_start", "halt_poll_ns_shrink")],
          f"tool-show-none: the four parameters: {show[:4]}")

    # 1. default, zero, long
    for tag, vcpus, max_ns, polls in (("default", 2, 200000, None), ("short", 1, 200000, 0.5),
                                      ("zero", 2, 0, 0), ("long", 1, 5000000, 0.8)):
        run = section(secs, f"run-{tag}")
        check(any(l.endswith(" ok") for l in run), f"run-{tag}: workload says ok")
        check_run(tag, hp_of(section(secs, f"hp-{tag}")), exp_of(section(secs, f"exp-{tag}")),
                  max_ns, 200, vcpus=vcpus, polls=polls)
    check(section(secs, "set-zero") == [f"halt_poll_ns=0 (was {boot.get('halt_poll_ns')})"],
          f"set-zero: {section(secs, 'set-zero')}")
    check(section(secs, "set-long") == ["halt_poll_ns=5000000 (was 0)"],
          f"set-long: {section(secs, 'set-long')}")

    # 2. the guest's opt-out, recorded
    rec_lines = section(secs, "rec-optout")
    pid = pid_of(rec_lines)
    recs = recording(section(secs, "rec-optout-csv"))
    cr.check_rec_rows("rec-optout-csv", recs)
    vm_ids = {r["vm_id"] for r in recs if r["pid"] == pid}
    check(len(vm_ids) == 1, f"rec-optout: one VM of pid {pid}: {vm_ids}")
    vm = vm_ids.pop() if len(vm_ids) == 1 else None
    sums = rec_sums(recs, vm, by_phase=False)
    exp = exp_of(section(secs, "exp-optout"))
    hp = {vc: {"halt": d, "hist": {}, "window": {}} for (_, vc), d in sums.items()}
    for vc in hp:  # windows and buckets from the rows too
        hp[vc]["window"] = {k: c for (_, c2), d in rec_sums(recs, vm, "halt_window", False).items()
                            if c2 == vc for k, c in d.items()}
        hp[vc]["hist"] = {k: c for (_, c2), d in rec_sums(recs, vm, "halt_hist", False).items()
                          if c2 == vc for k, c in d.items()}
    check_run("optout", hp, exp, 5000000, 200)
    h0 = hp.get(0, {}).get("halt", {})
    after = exp.get(0, {}).get("guest_hlt", 0) - exp.get(0, {}).get("wakeups", 0) + 100
    check(h0.get("not_polled_guest") == after and h0.get("guest_poll_off") == 1,
          f"optout vcpu 0: every halt after the guest's write unpolled "
          f"({h0.get('not_polled_guest')} of {after}), one change")
    check(not hp.get(1, {}).get("halt", {}).get("not_polled_guest"),
          "optout vcpu 1: its polling stays on")
    got = [s for s in settings(recs) if s[1] == vm]
    check([s[2:] for s in got] == [(0, 0, "guest_poll_control=0 by guest")],
          f"rec-optout-csv: the guest's change as a row of vCPU 0: {got}")
    ev = [r for r in rows(section(secs, "events-optout")) if r["type"] == "guest"]
    check([(int(r["vm_id"]), r["vcpu_id"], r["old"], r["new"]) for r in ev] == [(vm, "0", "1", "0")],
          f"events-optout: {ev}")

    # 3. two VMs, one with maximum 0
    section(secs, "rec-pervm")
    pids = kv(section(secs, "pids-pervm")[0].split())
    pa, pb = int(pids.get("a", 0)), int(pids.get("b", 0))
    sva = section(secs, "set-va")
    check(len(sva) == 1 and re.fullmatch(
        rf"VM \d+ \(pid {pa}\): vm_halt_poll_ns 0 \(cvmstat\), was 5000000 \(global\)", sva[0]),
        f"set-va: {sva}")
    sva = section(secs, "show-va")
    check(len(sva) == 3 and re.fullmatch(rf"\d+\s+{pa}\s+haltload\s+0\s+cvmstat\s+global", sva[2]),
          f"show-va: {sva}")
    recs = recording(section(secs, "rec-pervm-csv"))
    cr.check_rec_rows("rec-pervm-csv", recs)
    va = {r["vm_id"] for r in recs if r["pid"] == pa}
    vb = {r["vm_id"] for r in recs if r["pid"] == pb}
    check(len(va) == 1 and len(vb) == 1, f"rec-pervm: the two VMs {va} {vb}")
    va, vb = (va.pop() if va else None), (vb.pop() if vb else None)
    got = settings(recs)
    want = [("-", 0, 0, 5000000, "halt_poll_ns=5000000 at start"),
            ("-", va, 0, 0, "vm_halt_poll_ns=0 by cvmstat"),
            ("-", 0, 0, 4000000, "halt_poll_ns=4000000 by sysfs")]
    check([g for g in got if g[4].startswith(("halt_poll_ns=", "vm_"))] == want,
          f"rec-pervm-csv: settings {got}, want {want}")
    check_run("pervm a", hp_of(section(secs, "hp-va")), exp_of(section(secs, "exp-va")),
              0, 200, vcpus=1, polls=0)
    check_run("pervm b", hp_of(section(secs, "hp-vb")), exp_of(section(secs, "exp-vb")),
              4000000, 200, vcpus=1, polls="some")
    sh = section(secs, "show-haltpoll")
    hb = hp_of(section(secs, "hp-vb")).get(0, {}).get("halt", {})
    row = [l.split() for l in sh if l.split()[:1] == ["0"]]
    check(len(sh) == 3 and sh[1].split()[:4] == ["VCPU", "HALTS", "OK%", "POLL_OK"]
          and row and row[0][1] == str(hb.get("halts")) and row[0][3] == str(hb.get("poll_ok", 0))
          and row[0][-1] == "on", f"show-haltpoll: {sh}")
    # the same VM as CSV and as Prometheus series, to the nanosecond
    shc = list(csv.DictReader(io.StringIO("\n".join(section(secs, "show-haltpoll-csv")))))
    names = HALT[:12]
    got = {k: int(shc[0][k]) for k in names} if len(shc) == 1 else None
    check(got == {k: hb.get(k, 0) for k in names} and shc[0]["vcpu"] == "0"
          and shc[0]["pid"] == str(pb) and shc[0]["guest_poll"] == "on",
          f"show-haltpoll-csv: {shc}, the module's {hb}")
    fams = {"halts": "halts", "halt_poll_successes": "poll_ok",
            "halt_poll_failures": "poll_fail", "halts_not_polled": "not_polled",
            "halt_polled_seconds": "poll_ok_ns", "halt_poll_wasted_seconds": "poll_fail_ns",
            "halt_waited_seconds": "wait_ns"}
    series = {}
    for line in section(secs, "export-hp"):
        m = re.match(r'cvmstat_(vcpu_)?(\w+)_total\{vm_id="\d+",pid="(\d+)",[^}]*?'
                     r'(?:,vcpu="(\w+)")?\} (\S+)$', line)
        if m and m.group(2) in fams and m.group(3) == str(pb):
            series[(m.group(2), m.group(4))] = m.group(5)
    want = {}
    for fam, k in fams.items():
        n = hb.get(k, 0)
        v = f"{n // 10**9}.{n % 10**9:09d}" if fam.endswith("seconds") else str(n)
        want[(fam, None)] = want[(fam, "0")] = v
    check(series == want and hb.get("halts", 0) > 0,
          f"export-hp: VM b's halt series {series}, the module's {want}")

    # 4. clear and restore
    c = {k: kv(section(secs, f"c-{k}")) for k in range(5)}
    d0, d4 = kv(section(secs, "d-0")), kv(section(secs, "d-4"))
    want_c0 = {"max_ns": "30000", "override": "1", "source": "vmm", "saved": "0"}
    check(all(c[0].get(k) == x for k, x in want_c0.items()), f"c-0: the VMM's own 30 us: {c[0]}")
    check(all(c[1].get(k) == x for k, x in {"max_ns": "0", "override": "1", "source": "cvmstat",
                                             "saved": "1", "orig_override": "1",
                                             "orig_max_ns": "30000"}.items()), f"c-1: {c[1]}")
    check(c[2].get("override") == "0" and c[2].get("source") == "global" and
          c[2].get("saved") == "1", f"c-2: cleared: {c[2]}")
    check(c[3].get("max_ns") == "7777" and c[3].get("source") == "cvmstat", f"c-3: {c[3]}")
    check({k: x for k, x in c[4].items() if k != "changed"} ==
          {k: x for k, x in c[0].items() if k != "changed"},
          f"c-4: restored exactly: {c[4]} vs {c[0]}")
    check(d0.get("override") == "0" and d0.get("source") == "global" and
          {k: x for k, x in d4.items() if k != "changed"} ==
          {k: x for k, x in d0.items() if k != "changed"}, f"d: restored exactly: {d4} vs {d0}")
    pc = kv(section(secs, "pids-cd")[0].split())
    check(section(secs, "set-c") and re.fullmatch(
        rf"VM \d+ \(pid {pc.get('c')}\): vm_halt_poll_ns 0 \(cvmstat\), was 30000 \(vmm\)",
        section(secs, "set-c")[0]), f"set-c: {section(secs, 'set-c')}")
    sd = section(secs, "set-d")
    check(len(sd) == 2 and sd[0] == f"halt_poll_ns_grow=4 (was {boot.get('halt_poll_ns_grow')})"
          and re.fullmatch(rf"VM \d+ \(pid {pc.get('d')}\): vm_halt_poll_ns 1234 \(cvmstat\), "
                           r"was 4000000 \(global\)", sd[1]), f"set-d: {sd}")
    mid = section(secs, "show-mid")
    check("changed by cvmstat: halt_poll_ns, was 200000 (--restore puts it back)" in mid and
          f"changed by cvmstat: halt_poll_ns_grow, was {boot.get('halt_poll_ns_grow')} "
          "(--restore puts it back)" in mid, f"show-mid: the originals kept: {mid}")
    check(any(re.fullmatch(rf"\d+\s+{pc.get('c')}\s+haltload\s+0\s+cvmstat\s+30000", l) for l in mid)
          and any(re.fullmatch(rf"\d+\s+{pc.get('d')}\s+haltload\s+1234\s+cvmstat\s+global", l)
                  for l in mid), f"show-mid: both VMs: {mid}")
    res = section(secs, "restore")
    check(res[:1] == ["global parameters: 2 put back"] and len(res) == 3, f"restore: {res}")
    after = kv(l.replace("/sys/module/kvm/parameters/", "").replace(":", "=", 1)
               for l in section(secs, "params-restored"))
    check(after == boot, f"params-restored: {after} = {boot}")
    check(section(secs, "state-gone") == [], f"state-gone: {section(secs, 'state-gone')}")
    check(section(secs, "restore-again") == ["global parameters: 0 put back"],
          f"restore-again: {section(secs, 'restore-again')}")
    for t in ("run-c", "run-d"):
        check(any(l.endswith(" ok") for l in section(secs, t)), f"{t}: workload says ok")
    abi = section(secs, "abi")
    check(not [l for l in abi if l.startswith("not ok")] and
          any(re.match(r"# abi-test: \d+ passed, 0 failed", l) for l in abi),
          f"abi: {[l for l in abi if l.startswith('not ok')]}")
    for t, msg in (("err-exited", f"cvmstat: halt-poll: no live VM of process {pc.get('c')}"),
                   ("err-novm", "cvmstat: halt-poll: no VM of process 999999 (`cvmstat status` "
                                "lists the VMs seen)"),
                   ("err-clear-exited", f"cvmstat: halt-poll: no live VM of process {pc.get('c')}")):
        check(section(secs, t, rc=3) == [msg], f"{t}: {section(secs, t, rc=3)}")

    # 5. sweeps
    sw = section(secs, "sweep")
    check(sum(l.endswith(" ok") for l in sw) == 3, f"sweep: three runs: {sw}")
    recs = recording(section(secs, "sweep-csv"))
    cr.check_rec_rows("sweep-csv", recs)
    names = [r["phase"] for r in recs if r["kind"] == "mark"]
    check(names == ["halt_poll_ns=0", "halt_poll_ns=50000", "halt_poll_ns=5000000"],
          f"sweep-csv: three phases named after the setting: {names}")
    for p, val in zip(names, (0, 50000, 5000000)):
        rs = [r for r in recs if r["phase"] == p]
        st = [r["name"] for r in rs if r["kind"] == "setting"]
        check(st[:1] == [f"halt_poll_ns={val} by cvmstat"], f"sweep {p}: its setting first: {st}")
        vms = {r["vm_id"] for r in rs if r["kind"] == "halt"}
        check(len(vms) == 1, f"sweep {p}: one VM's halts: {vms}")
        for vm in vms:
            h = rec_sums(rs, vm)
            w = rec_sums(rs, vm, "halt_window")
            for vc in range(1):
                d = h.get((p, vc), {})
                n = d.get("poll_ok", 0) + d.get("poll_fail", 0)
                check(d.get("halts") == 100 and n + d.get("not_polled", 0) == 100,
                      f"sweep {p} vcpu {vc}: 100 halts, all accounted: {d}")
                check(all(k <= val for k in w.get((p, vc), {})),
                      f"sweep {p} vcpu {vc}: windows within {val}: {w.get((p, vc))}")
                if val == 0:
                    check(n == 0, f"sweep {p} vcpu {vc}: no poll")
                if val == 5000000:
                    check(d.get("poll_ok", 0) >= 80, f"sweep {p}: most halts polled with success")
                measured.append(f"sweep {p} vcpu {vc}: halts {d.get('halts')}, success "
                                f"{d.get('poll_ok', 0)}, fail {d.get('poll_fail', 0)}, not polled "
                                f"{d.get('not_polled', 0)}, windows {sorted(w.get((p, vc), {}))}")
    st = settings(recs)
    check(st[-1][3:] == (int(boot["halt_poll_ns"]), f"halt_poll_ns={boot['halt_poll_ns']} by cvmstat"),
          f"sweep-csv: the setting put back last: {st[-1:]}")
    check(section(secs, "sweep-params") == [f"/sys/module/kvm/parameters/halt_poll_ns:"
                                           f"{boot['halt_poll_ns']}"], "sweep-params: put back")

    section(secs, "sweep-vm")
    psv = int(section(secs, "pid-sv")[0])
    recs = recording(section(secs, "sweep-vm-csv"))
    cr.check_rec_rows("sweep-vm-csv", recs)
    names = [r["phase"] for r in recs if r["kind"] == "mark"]
    check(names == ["vm_halt_poll_ns=0", "vm_halt_poll_ns=5000000"], f"sweep-vm: phases {names}")
    vms = {r["vm_id"] for r in recs if r["pid"] == psv}
    check(len(vms) == 1, f"sweep-vm: the VM of pid {psv}: {vms}")
    for vm in vms:
        h = rec_sums(recs, vm)
        d0 = h.get(("vm_halt_poll_ns=0", 0), {})
        d1 = h.get(("vm_halt_poll_ns=5000000", 0), {})
        check(d0.get("halts", 0) > 0 and d0.get("poll_ok", 0) + d0.get("poll_fail", 0) == 0,
              f"sweep-vm phase 1: halts, none polled: {d0}")
        check(d1.get("poll_ok", 0) > 0, f"sweep-vm phase 2: polled with success: {d1}")
        st = [(s[0], s[4]) for s in settings(recs) if s[1] == vm]
        check(st == [("vm_halt_poll_ns=0", "vm_halt_poll_ns=0 by cvmstat"),
                     ("vm_halt_poll_ns=5000000", "vm_halt_poll_ns=5000000 by cvmstat"),
                     ("vm_halt_poll_ns=5000000", "vm_halt_poll_ns=global by cvmstat")],
              f"sweep-vm: the VM's settings as rows: {st}")
        check(all(s[3] == HP_KEY_GLOBAL for s in settings(recs) if "global" in s[4]),
              "sweep-vm: key 2^32 for the global value")
    state = kv(section(secs, "sweep-vm-state"))
    check(state.get("override") == "0" and state.get("saved") == "0" and
          state.get("source") == "global", f"sweep-vm-state: put back: {state}")
    check(any(l.endswith(" ok") for l in section(secs, "run-sv")), "run-sv: workload says ok")

    sig = section(secs, "sweep-sig")
    check(sig[:1] == ["rc=143"], f"sweep-sig: SIGTERM ends it with 143: {sig[:1]}")
    recs = recording(sig[1:])
    check([r["phase"] for r in recs if r["kind"] == "mark"] == ["halt_poll_ns=1"],
          "sweep-sig: no run after the signal")
    check([s[4] for s in settings(recs)][-1:] == [f"halt_poll_ns={boot['halt_poll_ns']} by cvmstat"],
          f"sweep-sig: put back: {settings(recs)[-1:]}")
    section(secs, "sweep-fail", rc=1)
    recs = recording(section(secs, "sweep-fail-csv"))
    check([r["phase"] for r in recs if r["kind"] == "mark"] == ["halt_poll_ns_grow=3"],
          "sweep-fail: no run after a failed one")
    after = kv(l.replace("/sys/module/kvm/parameters/", "").replace(":", "=", 1)
               for l in section(secs, "sweep-after"))
    check(after == {k: boot[k] for k in ("halt_poll_ns", "halt_poll_ns_grow")},
          f"sweep-after: every sweep put its setting back: {after}")
    check(section(secs, "sweep-state") == [], "sweep-state: no original left behind")

    # 6. top
    top = section(secs, "top")
    heads = [i for i, l in enumerate(top) if l.startswith("VM ") and "HALTS/s" in l]
    check(len(heads) == 2, f"top: a halt-polling table per refresh: {top}")
    for i in heads:
        f = top[i + 1].split() if i + 1 < len(top) else []
        check(len(f) == 9 and float(f[1]) > 0, f"top: the VM's row: {f}")

    # 7. set in a loop while VMs come and go
    rcs = section(secs, "loop-rc")
    check(rcs and set(rcs) <= {"0", "3"} and "0" in rcs,
          f"loop: every call changed a live VM (0) or said it is gone (3): "
          f"{ {x: rcs.count(x) for x in set(rcs)} }")
    errs = section(secs, "loop-err")
    check(all(re.fullmatch(r"cvmstat: halt-poll: (no live VM of process \d+|no VM of process \d+ "
                           r"\(`cvmstat status` lists the VMs seen\)|VM \d+ of process \d+ has exited)",
                           l) for l in errs), f"loop-err: {errs}")
    v = kv(section(secs, "version-end"))
    check(v.get("lifetime_missed") == "0" and v.get("unattributed") == "0",
          f"version-end: {v}")
    dmesg = section(secs, "dmesg")
    check(not any(re.search(r"WARNING|BUG|Oops", l) for l in dmesg), "dmesg: no WARN/BUG")

    for m in measured:
        print(f"measured: {m}")
    print(f"{label}: {cr.passed} passed, {cr.failed} failed")
    sys.exit(1 if cr.failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks a guest's kernel console for the reports of the kernel's checkers.

Usage: check_console.py CONSOLE_LOG LABEL [--kmemleak RESULTS_FILE]

One check per kind of report, each passing only if the console has none:
KASAN, lockdep, suspicious RCU usage, sleeping in atomic context, per-CPU
access in preemptible code (DEBUG_PREEMPT), kmemleak, stalls and lockups,
and any other oops, BUG or WARNING.  Each report found is printed in full
(up to its end marker).  With --kmemleak, the results file must also hold
the "kmemleak" section the guest's init writes after its scan (the debug
kernel has kmemleak; a missing scan fails).  Ends with
"LABEL: N passed, N failed"; exit status 1 on failure.
"""
import re
import sys

# (name, what starts a report).  A line counts for the first kind it
# matches; "other" takes whatever oops, BUG or WARNING is left.
KINDS = [
    ("KASAN", re.compile(r"BUG: KASAN: |KASAN: .*(out-of-bounds|use-after-free)")),
    ("lockdep", re.compile(
        r"WARNING: (possible (circular|recursive) locking|possible irq lock inversion"
        r"|inconsistent lock state|bad unlock balance|held lock freed"
        r"|lock held when returning to user space|Nested lock was not taken"
        r"|.*lock.*dependency)"
        r"|INFO: possible irq lock inversion|DEBUG_LOCKS_WARN_ON|BUG: MAX_LOCK")),
    ("RCU", re.compile(r"WARNING: suspicious RCU usage")),
    ("atomic-sleep", re.compile(
        r"BUG: sleeping function called from invalid context|BUG: scheduling while atomic"
        r"|BUG: workqueue leaked lock")),
    ("preempt", re.compile(r"BUG: using (smp_processor_id\(\)|__this_cpu_\w+\(\)|this_cpu_\w+\(\)) in preemptible")),
    ("kmemleak", re.compile(r"unreferenced object 0x|kmemleak: \d+ new suspected memory leaks")),
    ("stall", re.compile(r"rcu: INFO: .* detected stalls|rcu_.* self-detected stall|"
                         r"soft lockup|hard LOCKUP|INFO: task .* blocked for more than")),
    ("other", re.compile(r"Oops|BUG:|WARNING:|Kernel panic|general protection|"
                         r"kernel BUG at|Unable to handle kernel")),
]
# A report ends at its end marker or its stack dump's last line; KASAN's at
# its closing rule (it has several stacks), kmemleak's at a blank line.
END = re.compile(r"---\[ end (trace|Kernel panic)|</TASK>|={20,}")
END_OF = {"KASAN": re.compile(r"={20,}"),
          "kmemleak": re.compile(r"^(\[[ 0-9.]*\] ?)?\s*$")}
MAX_LINES = 80


def reports(lines):
    """{kind: [report text]} for the reports starting in lines."""
    found = {name: [] for name, _ in KINDS}
    i = 0
    while i < len(lines):
        kind = next((n for n, rx in KINDS if rx.search(lines[i])), None)
        if kind is None:
            i += 1
            continue
        j = i + 1
        end = END_OF.get(kind, END)
        # a report runs until its end, the next report, at most MAX_LINES
        while j < len(lines) and j - i < MAX_LINES:
            if any(rx.search(lines[j]) for _, rx in KINDS):
                break
            if end.search(lines[j]):
                j += 1
                break
            j += 1
        found[kind].append("\n".join(lines[i:j]))
        i = j
    # kmemleak's "N new suspected memory leaks" line only announces the
    # objects: it counts when the objects themselves are not there
    objs = [r for r in found["kmemleak"] if "unreferenced object" in r]
    if objs:
        found["kmemleak"] = objs
    return found


def read_lines(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [l.rstrip("\r") for l in text.split("\n")]


def main():
    args = sys.argv[1:]
    results = None
    if "--kmemleak" in args:
        k = args.index("--kmemleak")
        results = args[k + 1]
        del args[k:k + 2]
    if len(args) != 2:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 2
    console, label = args
    passed = failed = 0
    try:
        lines = read_lines(console)
    except OSError as e:
        print(f"FAIL: no console log: {e}")
        print(f"{label}: 0 passed, 1 failed")
        return 1
    # the kmemleak section of the results port counts like the console
    scanned = None
    if results is not None:
        try:
            res = read_lines(results)
        except OSError:
            res = []
        if "=== BEGIN kmemleak" in res:
            b = res.index("=== BEGIN kmemleak")
            e = next((i for i in range(b, len(res)) if res[i].startswith("=== END kmemleak")), len(res))
            scanned = res[b + 1:e]
    found = reports(lines)
    if scanned is not None:
        # the same reports also went to the console: count them once
        in_results = reports(scanned)["kmemleak"]
        if len(in_results) > len(found["kmemleak"]):
            found["kmemleak"] = in_results
    for name, _ in KINDS:
        n = len(found[name])
        if n == 0:
            passed += 1
            continue
        failed += 1
        print(f"FAIL: console: {n} {name} report{'s' if n > 1 else ''}")
        for r in found[name]:
            print("    | " + r.replace("\n", "\n    | "))
    if results is not None:
        if scanned is None:
            failed += 1
            print("FAIL: console: no kmemleak scan in the results (section kmemleak)")
        else:
            passed += 1
    print(f"{label}: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: record-cpu.sh [OUTDIR] [SECONDS]	(make bench; default build/bench, 10)
#
# What `cvmstat record -i 0.1` costs its own CPU on a busy 64-vCPU VM, run
# natively against the scripted device (tests/unit/fakedev.c, preloaded)
# since no 64-vCPU guest runs here.  Two VMs of 64 vCPUs, one at a time:
# "reasons", 20 exit reasons per vCPU, and "all", those and 28 MSRs,
# 16 MMIO addresses and 12 ports per vCPU, 18 timed reasons (4 with their
# userspace side) with 8 histogram buckets each; every count grows at every
# read (fakedev's "scale"), the worst case: every counter is a row at every
# interval.  The file is a regular file, so every interval also ends with
# fdatasync().  CPU is user + system time of cvmstat (its child is
# `sleep`), from getrusage; the device's own work is in it too (the
# module's would be the kernel's).  Prints one line per run: the figure is
# printed, not checked (a shared machine's CPU time varies); checked is
# that every read of the run (5 a second at least) wrote a row for every
# counter of the VM with the count that read added.
# Ends with "record-cpu: N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$top/build/bench}/record-cpu")
secs=${2:-10}
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [OUTDIR] [SECONDS]" >&2; exit 2; }
mkdir -p "$out" || exit 1

if ! make -s -C "$top/userspace" cvmstat >"$out/build.log" 2>&1 ||
   ! gcc -D_GNU_SOURCE -shared -fPIC -I"$top/kmod/include/uapi" \
	-o "$out/fakedev.so" "$top/tests/unit/fakedev.c" -ldl >>"$out/build.log" 2>&1; then
	cat "$out/build.log"
	echo "FAIL: building cvmstat and the scripted device"
	echo "record-cpu: 0 passed, 1 failed"
	exit 1
fi

python3 - "$top/userspace/cvmstat" "$out" "$secs" <<'PY'
import csv, os, resource, subprocess, sys, time
from collections import Counter

cvmstat, out, secs = sys.argv[1], sys.argv[2], sys.argv[3]
VCPUS = 64
SVM = 2 << 32
reasons = [0x60, 0x61, 0x62, 0x64, 0x65, 0x6e, 0x72, 0x78, 0x7b, 0x7c,
           0x7f, 0x81, 0x400, 0x401, 0x402, 0x403, 0x404, 0x405, 0x406, 0x407]
msrs = [0x830 + i for i in range(16)] + [0x10, 0x1b, 0x3a, 0x48, 0x49, 0x6e0,
        0xc0000080, 0xc0000100, 0xc0000101, 0xc0000102, 0x174, 0x277]
mmio = [0xfee00000 + 16 * i for i in range(12)] + \
       [0xfec00000, 0xfec00010, 0xfed00000, 0xfed000f0]
ports = [0x70, 0x71, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fd, 0xcf8, 0xcfc,
         0x60, 0x64, 0x80]

def script(everything):
    """The device's lines; the number of rows one read writes."""
    base.clear()
    lines = ["features 0x23f", "latency 1", "scale",
             f"vm 7 4242 {VCPUS} 0 0 qemu-system-x86"]
    per_read = 0
    for v in range(VCPUS):
        recs = [(9, 0, v, 100000)]
        recs += [(1, 0, SVM | r, 1000 + i) for i, r in enumerate(reasons)]
        if everything:
            recs += [(5, 1 + i % 2, m, 50 + i) for i, m in enumerate(msrs)]
            recs += [(4, 1 + i % 2, a, 70 + i) for i, a in enumerate(mmio)]
            recs += [(6, 1 + i % 2, p, 30 + i) for i, p in enumerate(ports)]
        per_read += len(recs)
        if everything:      # times: read at the end only (per phase)
            for i, r in enumerate(reasons[:18]):
                for d in (1, 2) if i % 5 == 0 else (1,):
                    k = SVM | r
                    recs += [(14, d, k, 500 + i), (15, d, k, 2000 * (500 + i)),
                             (16, d, k, 900), (17, d, k, 90000)]
                    recs += [(18, d, k | (160 + b) << 40, 60 + b) for b in range(8)]
        lines += [f"rec 7 {v} {k} {d} {key:#x} {c}" for k, d, key, c in recs]
        # a reason's CSV key is the reason alone
        base.update({(v, k, d, key & 0xffffffff if k == 1 else key): c
                     for k, d, key, c in recs if k < 10})
    return "\n".join(lines) + "\n", per_read

base = {}       # (vcpu, kind, dir, key) of a counter: its count a read
passed = failed = 0
for name, everything, extra in (("reasons", False, []), ("all", True, []),
                                ("all --latency", True, ["--latency"])):
    text, per_read = script(everything)
    path = os.path.join(out, name.split()[0] + ".script")
    with open(path, "w") as f:
        f.write(text)
    rec = os.path.join(out, name.replace(" --", "-") + ".csv")
    dev = os.path.join(out, "dev")
    env = dict(os.environ, FAKEDEV_PATH=dev, FAKEDEV_SCRIPT=path,
               CVMSTAT_DEV=dev, LD_PRELOAD=os.path.join(out, "fakedev.so"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    r = subprocess.run([cvmstat, "record", "-i", "0.1", "-o", rec, *extra,
                        "--", "sleep", secs], env=env)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = after.ru_utime - before.ru_utime
    sys_ = after.ru_stime - before.ru_stime
    # every read wrote one row per counter of the VM, each the count the
    # read added (fakedev's scale: the script's count once more a read)
    kinds = {"vcpu": 9, "reason": 1, "mmio": 4, "msr": 5, "pio": 6}
    dirs = {"-": 0, "read": 1, "write": 2}
    rows, wrong = Counter(), 0
    with open(rec, newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"] not in kinds:
                continue
            k = (int(row["vcpu"]), kinds[row["kind"]], dirs[row["dir"]], int(row["key"]))
            rows[k] += 1
            wrong += base.get(k) != int(row["count"])
    reads = min(rows.values()) if len(rows) == len(base) else 0
    ok = (r.returncode == 0 and reads >= 5 * int(secs) and not wrong and
          max(rows.values()) == reads)
    passed += ok
    failed += not ok
    print(f"record-cpu: {name}: {VCPUS} vCPUs, {per_read} counters a read, "
          f"{reads} reads in {wall:.1f} s: {100 * (user + sys_) / wall:.2f}% "
          f"of a CPU (user {user:.2f} s, system {sys_:.2f} s), "
          f"{os.path.getsize(rec) / wall / 1e6:.1f} MB/s")
    if not ok:
        print(f"FAIL: record-cpu: {name}: exit {r.returncode}, {reads} reads "
              f"of {len(rows)} counters ({len(base)} expected), {wrong} wrong counts")
print(f"record-cpu: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY

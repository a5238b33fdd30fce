#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `cvmstat plot`: a recording of three phases (written here, in record's
# CSV format, with quoting the way record writes it) drawn as SVG and PNG;
# both files must be what their names say and non-trivial: the SVG parses
# and names every phase and the top reasons, the PNG decodes, is large and
# not blank.  Plus the argument errors.  Needs userspace/cvmstat built.
# Ends with "plot: N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cvmstat=$top/userspace/cvmstat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=0
f=0
ok() { p=$((p + 1)); }
bad() { f=$((f + 1)); echo "FAIL: $*"; }
expect_rc() {
	local want=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok; else bad "$* exited $rc, want $want: $(cat "$tmp/err")"; fi
}

# 3 phases of 2 s, samples every 0.5 s; reasons at fixed rates per phase
python3 - "$tmp/run.csv" <<'PY'
import csv, sys
reasons = [(114, "CPUID"), (120, "HLT"), (123, "IOIO"), (124, "MSR"),
           (1024, "NPF"), (96, "INTR"), (110, "RDTSC"), (100, "PAUSE")]
phases = [(1, 'warm-up, "naïve"'), (2, "steady"), (3, "cool down")]
w = csv.writer(open(sys.argv[1], "w", newline=""), lineterminator="\n")
w.writerow("time_ns time phase_seq phase vm_id pid vcpu kind key dir name count".split())
t = 1_000_000_000
for seq, name in phases:
    w.writerow([t, "2026-12-02T00:00:00Z", seq, name, 0, 0, 0, "mark", seq, "-", "host", 1])
    for s in range(4):
        t += 500_000_000
        for i, (code, rname) in enumerate(reasons):
            n = (len(reasons) - i) * 100 * seq
            w.writerow([t, "2026-12-02T00:00:00Z", seq, name, 1, 42, 0, "reason",
                        code, "-", rname, n])
PY

expect_rc 0 "$cvmstat" plot "$tmp/run.csv" -o "$tmp/run.svg"
expect_rc 0 "$cvmstat" plot "$tmp/run.csv" -o "$tmp/run.png" --top 4
if /usr/bin/python3 - "$tmp/run.svg" "$tmp/run.png" >"$tmp/check" 2>&1 <<'PY'
import sys, xml.etree.ElementTree as ET
import matplotlib.image as mpimg
svg, png = sys.argv[1], sys.argv[2]
root = ET.parse(svg).getroot()
assert root.tag.endswith("svg"), root.tag
text = open(svg, encoding="utf-8").read()
for want in ('warm-up, "naïve"', "steady", "cool down", "CPUID", "HLT",
             "other", "exits/s"):
    assert want in text, f"SVG lacks {want!r}"
assert len(text) > 20000, f"SVG only {len(text)} bytes"
with open(png, "rb") as f:
    assert f.read(8) == b"\x89PNG\r\n\x1a\n", "PNG signature"
img = mpimg.imread(png)
h, w = img.shape[:2]
assert w >= 1000 and h >= 1000, f"PNG {w}x{h}"
rgb = img[..., :3].reshape(-1, 3)
colors = {tuple((c * 255).astype(int)) for c in rgb[:: max(1, len(rgb) // 20000)]}
assert len(colors) > 20, f"PNG has {len(colors)} colours: blank?"
print("ok", w, h, len(colors))
PY
then ok; else bad "plot files: $(cat "$tmp/check")"; fi

# a recording with exit-handling times (record --latency): the fourth
# panel, p50 and p99 per reason and phase, from cvmstat summary
python3 - "$tmp/run.csv" "$tmp/lat.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
w = csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n")
w.writerow(rows[0] + ["lo_ns", "hi_ns"])
for r in rows[1:]:
    w.writerow(r + [0, 0])
    if r[7] == "reason" and r[10] in ("CPUID", "IOIO"):
        seq = int(r[2])
        for kind, n, lo, hi in (("lat_count", 10, 0, 0), ("lat_sum", 10000 * seq, 0, 0),
                                ("lat_bucket", 9, 512 * seq, 544 * seq),
                                ("lat_bucket", 1, 4096 * seq, 4352 * seq)):
            w.writerow(r[:7] + [kind, r[8], "kernel", r[10], n, lo, hi])
PY
expect_rc 0 "$cvmstat" plot "$tmp/lat.csv" -o "$tmp/lat.svg"
if grep -q 'exit handling time per phase' "$tmp/lat.svg" && grep -q 'CPUID p99' "$tmp/lat.svg" &&
	! grep -q 'exit handling time' "$tmp/run.svg"; then ok; else
	bad "plot: the latency panel with --latency's rows only"; fi

expect_rc 1 "$cvmstat" plot "$tmp/run.csv"
expect_rc 1 "$cvmstat" plot "$tmp/run.csv" -o "$tmp/run.pdf"
expect_rc 1 "$cvmstat" plot "$tmp/run.csv" -o "$tmp/x.svg" --top 0
expect_rc 1 "$cvmstat" plot -o "$tmp/x.svg"
expect_rc 2 "$cvmstat" plot "$tmp/missing.csv" -o "$tmp/x.svg"
printf 'a,b\n1,2\n' >"$tmp/bad.csv"
expect_rc 1 "$cvmstat" plot "$tmp/bad.csv" -o "$tmp/x.svg"
expect_rc 2 "$cvmstat" plot "$tmp/run.csv" -o "$tmp/nodir/x.svg"
expect_rc 0 "$cvmstat" plot --help
echo "plot: $p passed, $f failed"
[ "$f" -eq 0 ]

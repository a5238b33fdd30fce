#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `cvmstat summary` on a recording written here in record --latency's CSV
# format, with a known distribution: two phases (one name needing quotes),
# two VMs, two vCPUs, lat_min/lat_max rows for one vCPU only, buckets split
# over two intervals, rows of other kinds in between.  The expected figures
# are worked out by hand from the interpolation cvm_lat_percentile()
# documents (the rank-th of a bucket's n values at lo + (hi - lo) *
# (rank - seen - 0.5) / n, hi clamped to max + 1, rank = ceil(q * count);
# a rank >= count is max), e.g. warm CPUID kernel: 101 exits, vCPU 0's
# min 1030 and max 4311 recorded, vCPU 1's only in bucket [512, 544), so
# min 512, max 4311; p50: rank 51, seen 1, [1024, 1088) holds 50:
# 1024 + 64 * 49.5 / 50 = 1087.36 ns; p95: rank 96, seen 51, [2048, 2176)
# holds 45: 2048 + 128 * 44.5 / 45 = 2174.58; p99: rank 100, seen 96,
# [4096, 4312) holds 5: 4096 + 216 * 3.5 / 5 = 4247.2; mean 150520 / 101.
# Plus the errors.  Needs userspace/cvmstat built.
# Ends with "summary: N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cvmstat=$top/userspace/cvmstat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=0
f=0

# same WHAT WANT CODE ARGS...: stdout is WANT exactly, the exit code CODE
same() {
	local what=$1 want=$2 code=$3 got rc
	shift 3
	got=$("$cvmstat" "$@" 2>"$tmp/err")
	rc=$?
	if [ "$rc" -eq "$code" ] && [ "$got" == "$want" ]; then
		p=$((p + 1))
	else
		f=$((f + 1))
		echo "FAIL: $what: exit $rc (want $code)"
		diff <(echo "$want") <(echo "$got") | head -20
		head -3 "$tmp/err"
	fi
}

# fails WHAT CODE ERR_RE ARGS...: exit CODE, one line on stderr matching
fails() {
	local what=$1 code=$2 re=$3 rc
	shift 3
	"$cvmstat" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$code" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -qE "$re" "$tmp/err" && [ ! -s "$tmp/out" ]; then
		p=$((p + 1))
	else
		f=$((f + 1))
		echo "FAIL: $what: exit $rc (want $code), stderr: $(head -3 "$tmp/err")"
	fi
}

cat >"$tmp/run.csv" <<'CSV'
time_ns,time,phase_seq,phase,vm_id,pid,vcpu,kind,key,dir,name,count,lo_ns,hi_ns
5,2026-12-02T07:00:00.000000005Z,1,warm,0,0,0,mark,1,-,host,1,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,reason,114,-,CPUID,100,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_count,114,kernel,CPUID,100,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_sum,114,kernel,CPUID,150000,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_min,114,kernel,CPUID,1030,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_max,114,kernel,CPUID,4311,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_bucket,114,kernel,CPUID,50,1024,1088
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_bucket,114,kernel,CPUID,45,2048,2176
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_bucket,114,kernel,CPUID,5,4096,4352
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_count,123,user,IOIO,3,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_sum,123,user,IOIO,30,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_bucket,123,user,IOIO,3,10,11
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,0,lat_lost,0,-,cross_cpu,7,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,1,lat_count,114,kernel,CPUID,1,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,1,lat_sum,114,kernel,CPUID,520,0,0
9,2026-12-02T07:00:00.000000009Z,1,warm,1,100,1,lat_bucket,114,kernel,CPUID,1,512,544
20,2026-12-02T07:00:00.000000020Z,2,"steady, ""hot""",0,0,0,mark,2,-,host,1,0,0
30,2026-12-02T07:00:00.000000030Z,2,"steady, ""hot""",1,100,0,lat_count,114,kernel,CPUID,2,0,0
30,2026-12-02T07:00:00.000000030Z,2,"steady, ""hot""",1,100,0,lat_sum,114,kernel,CPUID,2100,0,0
30,2026-12-02T07:00:00.000000030Z,2,"steady, ""hot""",1,100,0,lat_bucket,114,kernel,CPUID,2,1024,1088
40,2026-12-02T07:00:00.000000040Z,2,"steady, ""hot""",1,100,0,lat_count,114,kernel,CPUID,2,0,0
40,2026-12-02T07:00:00.000000040Z,2,"steady, ""hot""",1,100,0,lat_sum,114,kernel,CPUID,2100,0,0
40,2026-12-02T07:00:00.000000040Z,2,"steady, ""hot""",1,100,0,lat_bucket,114,kernel,CPUID,2,1024,1088
40,2026-12-02T07:00:00.000000040Z,2,"steady, ""hot""",2,200,0,lat_count,114,user,CPUID,1,0,0
40,2026-12-02T07:00:00.000000040Z,2,"steady, ""hot""",2,200,0,lat_sum,114,user,CPUID,9000,0,0
40,2026-12-02T07:00:00.000000040Z,2,"steady, ""hot""",2,200,0,lat_bucket,114,user,CPUID,1,8704,9216
CSV

h='REASON                       WHERE       COUNT    MEAN_US     P50_US     P95_US     P99_US     MAX_US'
same "text: per phase, reason, all/kernel/user" "phase warm (seq 1)
$h
CPUID                        all           101      1.490      1.087      2.175      4.247      4.311
                             kernel        101      1.490      1.087      2.175      4.247      4.311
IOIO                         all             3      0.010      0.010      0.010      0.010      0.010
                             user            3      0.010      0.010      0.010      0.010      0.010

phase steady, \"hot\" (seq 2)
$h
CPUID                        all             5      2.640      1.064      9.215      9.215      9.215
                             kernel          4      1.050      1.048      1.087      1.087      1.087
                             user            1      9.000      9.215      9.215      9.215      9.215" \
	0 summary "$tmp/run.csv"
same "csv, --vm-id 1, from standard input" 'phase_seq,phase,key,reason,where,count,mean_us,p50_us,p95_us,p99_us,max_us
1,warm,114,CPUID,all,101,1.490,1.087,2.175,4.247,4.311
1,warm,114,CPUID,kernel,101,1.490,1.087,2.175,4.247,4.311
1,warm,123,IOIO,all,3,0.010,0.010,0.010,0.010,0.010
1,warm,123,IOIO,user,3,0.010,0.010,0.010,0.010,0.010
2,"steady, ""hot""",114,CPUID,all,4,1.050,1.048,1.087,1.087,1.087
2,"steady, ""hot""",114,CPUID,kernel,4,1.050,1.048,1.087,1.087,1.087' \
	0 summary --format csv --vm-id 1 - <"$tmp/run.csv"
same "json, --vcpu 1: its outer bucket bounds min and max" '{"phase_seq":1,"phase":"warm","key":114,"reason":"CPUID","where":"all","count":1,"mean_us":0.520,"p50_us":0.543,"p95_us":0.543,"p99_us":0.543,"max_us":0.543}
{"phase_seq":1,"phase":"warm","key":114,"reason":"CPUID","where":"kernel","count":1,"mean_us":0.520,"p50_us":0.543,"p95_us":0.543,"p99_us":0.543,"max_us":0.543}' \
	0 summary --format json --vcpu 1 "$tmp/run.csv"
if /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
	"$cvmstat" summary --format csv "$tmp/run.csv" >"$tmp/s.csv"
	if /usr/bin/python3 - "$tmp/s.csv" <<'PY'; then p=$((p + 1)); else f=$((f + 1)); echo "FAIL: pandas reads summary's CSV"; fi
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
assert not df.isna().any().any()
assert str(df["count"].dtype) == "int64" and str(df["p99_us"].dtype) == "float64"
assert df[df["where"] == "all"]["count"].sum() == 109
PY
fi

# a recording without times, and broken files
head -3 "$tmp/run.csv" | cut -d, -f1-12 >"$tmp/plain.csv"
fails "no lo_ns column" 2 '^cvmstat: summary: row 1: no lo_ns column: not recorded with --latency$' \
	summary "$tmp/plain.csv"
sed 's/,1024,1088$/,1025,1088/' "$tmp/run.csv" >"$tmp/bad.csv"
fails "lo_ns not a bucket bound" 2 "^cvmstat: summary: row 8: lo_ns is not a bucket's lower bound$" \
	summary "$tmp/bad.csv"
sed '4s/,100,0,0$/,x,0,0/' "$tmp/run.csv" >"$tmp/bad.csv"
fails "not a number" 2 '^cvmstat: summary: row 4: not a number where one belongs$' \
	summary "$tmp/bad.csv"
printf 'a,"b\n' >"$tmp/bad.csv"
fails "not CSV" 2 "^cvmstat: summary: $tmp/bad.csv: not CSV" summary "$tmp/bad.csv"
: >"$tmp/empty.csv"
fails "empty" 2 "^cvmstat: summary: $tmp/empty.csv: empty$" summary "$tmp/empty.csv"
fails "missing file" 2 "^cvmstat: summary: cannot open $tmp/nope.csv: No such file" summary "$tmp/nope.csv"
fails "no FILE" 1 '^cvmstat: summary: no recording' summary
fails "two FILEs" 1 "^cvmstat: summary: unexpected argument \`b'" summary a b
fails "--format xml" 1 "^cvmstat: summary: invalid --format \`xml'" summary --format xml a
fails "--vcpu x" 1 "^cvmstat: summary: invalid vCPU \`x'" summary --vcpu x a
fails "--vm-id 0" 1 "^cvmstat: summary: invalid VM id \`0'" summary --vm-id 0 a
if "$cvmstat" summary --help | head -1 | grep -q '^Usage: cvmstat summary'; then
	p=$((p + 1))
else
	f=$((f + 1))
	echo "FAIL: --help"
fi

echo "summary: $p passed, $f failed"
[ "$f" -eq 0 ]

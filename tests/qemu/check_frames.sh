#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: check_frames.sh RECORD.csv [RECORD.jsonl [LABEL]]
#
# Loads what `cvmstat record` wrote the way a researcher would, with no
# options: pandas.read_csv, R's read.csv and (for JSON lines)
# pandas.read_json(lines=True).  Each must give the documented columns in
# order, integer columns as integers, no missing value anywhere, and the
# same per-(phase, vm, vcpu, kind, key, dir) sums as python's csv module.
# A recording made with --latency has two integer columns more, lo_ns and
# hi_ns.
# Ends with "LABEL: N passed, N failed" (default label "frames").
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 RECORD.csv [RECORD.jsonl]" >&2; exit 2; }
csv=$1
jsonl=${2:-}
label=${3:-frames}
passed=0
failed=0

check() {
	local what=$1
	shift
	if out=$("$@" 2>&1); then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what: $(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
}

# The reference: python's csv (or json) module, sums by group, as
# "key<TAB>sum" lines, line breaks in names escaped.
reference() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import csv, json, sys
path, fmt = sys.argv[1], sys.argv[2]
s = {}
with open(path, newline="", encoding="utf-8") as f:
    rows = csv.DictReader(f) if fmt == "csv" else (json.loads(l) for l in f)
    for r in rows:
        k = "|".join(str(r[c]) for c in ("phase", "vm_id", "vcpu", "kind", "key", "dir"))
        k = k.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        s[k] = s.get(k, 0) + int(r["count"])
for k in sorted(s):
    print(f"{k}\t{s[k]}")
EOF
}

pandas_csv() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
import pandas as pd
cols = ["time_ns", "time", "phase_seq", "phase", "vm_id", "pid", "vcpu",
        "kind", "key", "dir", "name", "count"]
ints = ["time_ns", "phase_seq", "vm_id", "pid", "vcpu", "key", "count"]
path, fmt = sys.argv[1], sys.argv[2]
df = pd.read_csv(path) if fmt == "csv" else pd.read_json(path, lines=True)
if "lo_ns" in df.columns:
    cols += ["lo_ns", "hi_ns"]
    ints += ["lo_ns", "hi_ns"]
assert list(df.columns) == cols, f"columns {list(df.columns)}"
assert len(df) > 0, "no rows"
for c in ints:
    assert str(df[c].dtype) == "int64", f"{c} is {df[c].dtype}"
for c in set(cols) - set(ints):
    assert df[c].dtype == object, f"{c} is {df[c].dtype}"
assert not df.isna().any().any(), "missing values: " + str(df.isna().sum().to_dict())
t = pd.to_datetime(df["time"], format="%Y-%m-%dT%H:%M:%S.%fZ", utc=True)
assert t.notna().all(), "unparsable time"
s = df.groupby(["phase", "vm_id", "vcpu", "kind", "key", "dir"])["count"].sum()
def esc(k):
    return k.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
for k, v in sorted((esc("|".join(str(x) for x in k)), int(v)) for k, v in s.items()):
    print(f"{k}\t{v}")
EOF
}

r_csv() {
	Rscript --vanilla - "$1" <<'EOF'
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1], encoding = "UTF-8")
cols <- c("time_ns", "time", "phase_seq", "phase", "vm_id", "pid", "vcpu",
          "kind", "key", "dir", "name", "count")
ints <- c("time_ns", "phase_seq", "vm_id", "pid", "vcpu", "key", "count")
if ("lo_ns" %in% names(df)) {
  cols <- c(cols, "lo_ns", "hi_ns")
  ints <- c(ints, "lo_ns", "hi_ns")
}
stopifnot(identical(names(df), cols))
for (c in ints)
  if (!is.numeric(df[[c]])) stop(paste(c, "is not numeric"))
if (anyNA(df)) stop("missing values")
s <- aggregate(count ~ phase + vm_id + vcpu + kind + key + dir, data = df, FUN = sum)
num <- function(x) format(x, scientific = FALSE, trim = TRUE)
k <- paste(s$phase, s$vm_id, s$vcpu, s$kind, num(s$key), s$dir, sep = "|")
k <- gsub("\r", "\\r", gsub("\n", "\\n", gsub("\\", "\\\\", k, fixed = TRUE), fixed = TRUE), fixed = TRUE)
o <- order(k, method = "radix")
writeLines(paste(k[o], num(s$count[o]), sep = "\t"))
EOF
}

ref=$(reference "$csv" csv) || { echo "FAIL: reference read of $csv"; echo "$label: 0 passed, 1 failed"; exit 1; }
check "python csv reads rows" test -n "$ref"
check "pandas.read_csv: columns, dtypes, no NA, same sums" \
	diff <(echo "$ref") <(pandas_csv "$csv" csv)
check "R read.csv: columns, numeric, no NA, same sums" \
	diff <(echo "$ref") <(r_csv "$csv" | LC_ALL=C sort)
if [ -n "$jsonl" ]; then
	ref=$(reference "$jsonl" json)
	check "python json reads rows of $jsonl" test -n "$ref"
	check "pandas.read_json(lines=True): columns, dtypes, no NA, same sums" \
		diff <(echo "$ref") <(pandas_csv "$jsonl" json)
fi
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

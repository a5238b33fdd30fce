#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: prom-test.sh RESULTS_FILE OUTDIR LABEL [SERVICE_UNIT]
#
# cvmstat export for real: RESULTS_FILE is what qemu/pkg-scenario.sh
# printed in a guest (the packaged module counting one 2-vCPU cvmload run,
# then `cvmstat export --per vcpu -o`).  The file it exported goes to a
# textfile directory; promtool checks it; Debian's prometheus-node-exporter
# (textfile collector only) serves it and Debian's prometheus scrapes that,
# both started here on localhost; and a PromQL query through Prometheus's
# HTTP API must give per reason exactly what the workload implies (and
# what the module counted), and for each halt-polling family exactly 0
# (cvmload has no in-kernel local APIC: its HLTs exit to cvmload, none is
# a halt in KVM).  With SERVICE_UNIT (the packaged cvmstat-export.service),
# rate() too, on a workload whose counters grow while Prometheus scrapes:
# the unit's ExecStart, as shipped, once a second against the CLI tests'
# scripted device, its output directory the textfile directory of a second
# node_exporter (a bind mount in a private mount namespace: the host's
# directory is not touched), and rate(cvmstat_exits_total[1m]) by reason
# checked against the raw samples and the workload's known counts
# (qemu/prom_rate.py, about 75 s).  Ends with "LABEL: N passed, N failed".
set -uo pipefail

[ $# -eq 3 ] || [ $# -eq 4 ] ||
	{ echo "usage: $0 RESULTS_FILE OUTDIR LABEL [SERVICE_UNIT]" >&2; exit 2; }
results=$1
out=$(realpath -m "$2")
label=$3
unit=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
p=0
f=0
ok() { p=$((p + 1)); }
bad() { f=$((f + 1)); echo "FAIL: $*"; }
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
}
trap cleanup EXIT

for t in promtool prometheus prometheus-node-exporter; do
	if ! command -v $t >/dev/null; then
		echo "SKIP: $t is not installed (tests/setup.sh installs prometheus and prometheus-node-exporter)"
		echo "$label: 0 passed, 0 failed"
		exit 0
	fi
done
rm -rf "$out" && mkdir -p "$out/textfile" "$out/tsdb" "$out/service"
awk '$0 == "=== BEGIN export" { on = 1; next }
	on && /^=== END export rc=/ { exit }
	on' "$results" | tr -d '\r' >"$out/textfile/cvmstat.prom"
if grep -q '^# EOF$' "$out/textfile/cvmstat.prom"; then ok; else bad "the guest's export ends with # EOF"; fi
if promtool check metrics <"$out/textfile/cvmstat.prom" >"$out/promtool.txt" 2>&1; then
	ok
else
	bad "promtool check metrics: $(head -3 "$out/promtool.txt")"
fi

# free ports on localhost, chosen by the kernel
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ne_port=$(port)
pr_port=$(port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$out/textfile" >"$out/node-exporter.log" 2>&1 &
pids+=($!)
cat >"$out/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
EOC
if [ -n "$unit" ]; then
	# the service's textfile directory, scraped as job "service"
	sv_port=$(port)
	prometheus-node-exporter --web.listen-address="127.0.0.1:$sv_port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$out/service" >"$out/node-exporter-service.log" 2>&1 &
	pids+=($!)
	cat >>"$out/prometheus.yml" <<EOC
  - job_name: service
    static_configs:
      - targets: ['127.0.0.1:$sv_port']
EOC
fi
prometheus --config.file="$out/prometheus.yml" --storage.tsdb.path="$out/tsdb" \
	--web.listen-address="127.0.0.1:$pr_port" >"$out/prometheus.log" 2>&1 &
pids+=($!)

# the query, until Prometheus has scraped (at most 120 s: a loaded machine)
query='sum by (reason) (cvmstat_exits_total{job="node"})'
got=
for _ in $(seq 120); do
	got=$(python3 - "$pr_port" "$query" <<'PY' 2>/dev/null
import json, sys, urllib.parse, urllib.request
port, q = sys.argv[1], sys.argv[2]
url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
r = json.load(urllib.request.urlopen(url, timeout=5))
assert r["status"] == "success"
res = r["data"]["result"]
assert res
print(json.dumps({x["metric"]["reason"]: int(float(x["value"][1])) for x in res}))
PY
	) && [ -n "$got" ] && break
	sleep 1
done
echo "$got" >"$out/query.json"
if [ -n "$got" ]; then ok; else bad "no answer to $query (see $out/prometheus.log)"; fi
if python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	"http://127.0.0.1:$ne_port/metrics" 2>/dev/null | grep -q '^node_textfile_scrape_error 0$'; then
	ok
else
	bad "node_exporter's textfile collector reports an error (see $out/node-exporter.log)"
fi

# the workload has ended, so its counters stand still: rate() over them is
# 0 for each of its reasons (once Prometheus holds two samples of each)
rq='sum by (reason) (rate(cvmstat_exits_total{job="node"}[1m]))'
rates=
for _ in $(seq 30); do
	rates=$(python3 - "$pr_port" "$rq" "$out/query.json" <<'PY' 2>/dev/null
import json, sys, urllib.parse, urllib.request
port, q = sys.argv[1], sys.argv[2]
url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
r = json.load(urllib.request.urlopen(url, timeout=5))
res = r["data"]["result"]
# every reason of the instant query, once it has two samples
assert {x["metric"]["reason"] for x in res} == set(json.load(open(sys.argv[3])))
print(json.dumps({x["metric"]["reason"]: float(x["value"][1]) for x in res}, sort_keys=True))
PY
	) && [ -n "$rates" ] && break
	sleep 1
done
echo "promql: $rq = $rates"
if [ -n "$rates" ] && python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(any(v != 0 for v in d.values()) or set(d) != set(json.load(open(sys.argv[2]))))' \
	"$rates" "$out/query.json"; then
	ok
else
	bad "rate() of the ended workload's counters: $rates, want 0 for each reason"
fi

# the halt-polling families, each summed over the VMs (the same scrape)
hp=
for _ in $(seq 30); do
	hp=$(python3 - "$pr_port" <<'PY' 2>/dev/null
import json, sys, urllib.parse, urllib.request
port = sys.argv[1]
out = {}
for m in ("halts", "halt_poll_successes", "halt_poll_failures", "halts_not_polled",
          "halt_polled_seconds", "halt_poll_wasted_seconds", "halt_waited_seconds"):
    q = f'sum(cvmstat_{m}_total{{job="node"}})'
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    r = json.load(urllib.request.urlopen(url, timeout=5))
    res = r["data"]["result"]
    assert len(res) == 1, (q, res)
    out[m] = float(res[0]["value"][1])
print(json.dumps(out, sort_keys=True))
PY
	) && [ -n "$hp" ] && break
	sleep 1
done
if [ -n "$hp" ]; then ok; else bad "no answer to the halt-polling queries (see $out/prometheus.log)"; fi
echo "${hp:-null}" >"$out/query-halt.json"

# what the workload implies, per reason, summed over its vCPUs
python3 "$here/qemu/prom_expect.py" "$results" "$out/query.json" "$out/query-halt.json" \
	>"$out/compare.txt" 2>&1
rc=$?
grep '^FAIL' "$out/compare.txt"
grep '^promql' "$out/compare.txt"
if [ $rc -eq 0 ]; then ok; else bad "PromQL values differ from the workload's ($out/compare.txt)"; fi

# rate() of counters that grow while Prometheus scrapes: the service's
# command against the scripted device, into the service's own directory
if [ -n "$unit" ]; then
	rate=(python3 "$here/qemu/prom_rate.py")
	if ! gcc -O1 -D_GNU_SOURCE -shared -fPIC -I"$top/kmod/include/uapi" \
		-o "$out/fakedev.so" "$top/tests/unit/fakedev.c" -ldl 2>"$out/fakedev.log"; then
		bad "building tests/unit/fakedev.c: $(head -3 "$out/fakedev.log")"
	else
		dir=$("${rate[@]}" outdir "$unit")
		if unshare -m --propagation private true 2>/dev/null && [ -d "$dir" ]; then
			unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
				sh "$out/service" "$dir" "${rate[@]}" run "$unit" "$out/fakedev.so" \
				"$pr_port" service "$dir" "$out" "$label-rate" >"$out/rate.txt" 2>&1
		else
			echo "NOTE: no private mount namespace or no $dir here: the service writes to $out/service instead"
			"${rate[@]}" run "$unit" "$out/fakedev.so" "$pr_port" service "$out/service" \
				"$out" "$label-rate" >"$out/rate.txt" 2>&1
		fi
		grep -E '^(FAIL|NOTE|promql|workload|samples|service)' "$out/rate.txt"
		read -r rp rf < <(sed -n 's/.*-rate: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/rate.txt")
		p=$((p + ${rp:-0}))
		f=$((f + ${rf:-1}))
		[ -n "$rp" ] || { echo "FAIL: prom_rate.py ended without a count:"; tail -5 "$out/rate.txt"; }
	fi
fi
echo "$label: $p passed, $f failed"
[ "$f" -eq 0 ]

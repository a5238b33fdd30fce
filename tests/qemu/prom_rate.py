#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rate() through Prometheus, against a workload with known counts at known times.

Usage: prom_rate.py outdir UNIT
       prom_rate.py run UNIT FAKEDEV_SO PROM_PORT JOB TEXTFILE_DIR OUTDIR LABEL

UNIT is the packaged cvmstat-export.service.  `outdir` prints the directory
its ExecStart writes to.  `run` is the workload, by tests/prom-test.sh while
its Prometheus scrapes node_exporter's textfile directory TEXTFILE_DIR every
second as job JOB: the ExecStart command line exactly as shipped (when
TEXTFILE_DIR is another directory than the unit's, only that directory is
replaced, and it says so) runs once a second, as the timer would every 15 s,
against the scripted device of the CLI tests (tests/unit/fakedev.c,
preloaded from FAKEDEV_SO at /dev/cvmstat), whose counters grow by a known
number of exits per reason at every step.  The steps fall halfway between
Prometheus's scrapes, so each scrape sees a known step.  Then, at the time
of the newest sample:

- every stored sample is the workload's count of one step (the same step
  for every reason: the file is replaced whole), the step the writer had
  finished when the sample was scraped;
- rate(cvmstat_exits_total[1m]) per reason is what Prometheus's
  extrapolation gives from the raw samples of the same window (the range
  query), to float rounding; with the window covered by samples, that is
  (v2 - v1) / (t2 - t1) of the first and last sample, and the workload's
  exits per step times the steps between them over the time between them;
- that is the workload's exits per second, within 5 % (steps written late
  on a loaded machine reach a later scrape: 3 s late at one end of the
  window against the other would be 5 %);
- sum by (reason) (rate(...)) is the same.

Prints "promql: ..." lines, "FAIL: ..." lines and "LABEL: N passed, N failed".
"""
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.parse
import urllib.request

STEPS = 66          # one a second: a [1m] window full of them, and a little
RANGE_S = 60
# per step (a second), per vCPU: a 2-vCPU VM's reasons, SVM exit codes
SVM = 2 << 32       # the ISA in the key's upper half, as the module keys
WORK = {            # name: (exit code, (vCPU 0, vCPU 1) exits per step)
    "CPUID": (0x72, (1500, 1500)),
    "HLT": (0x78, (700, 300)),
    "IOIO": (0x7b, (4000, 2000)),
    "MSR": (0x7c, (2500, 1500)),
    "NPF": (0x400, (350, 150)),
}
BASE = {name: 1000003 * (i + 1) for i, name in enumerate(sorted(WORK))}


def unit_keys(path):
    keys = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and line[0] not in "#;[" and "=" in line:
                k, v = line.split("=", 1)
                keys.setdefault(k.strip(), []).append(v.strip())
    return keys


def exec_start(path):
    argv = shlex.split(unit_keys(path)["ExecStart"][0])
    out = argv[argv.index("-o") + 1]
    return argv, out


def count(name, k):
    return BASE[name] + k * sum(WORK[name][1])


def script(k):
    """The scripted device at step k: one alive 2-vCPU VM."""
    lines = ["version 0 0 0", "vm 1 4242 2 0 1 promload"]
    for vcpu in (0, 1):
        total = 0
        for name, (code, per) in sorted(WORK.items()):
            # the base goes to vCPU 0
            c = (BASE[name] if vcpu == 0 else 0) + k * per[vcpu]
            total += c
            lines.append(f"rec 1 {vcpu} 1 0 {SVM | code:#x} {c}")
        lines.append(f"rec 1 {vcpu} 9 0 {vcpu} {total}")
    return "\n".join(lines) + "\n"


def query(port, q, at=None):
    args = {"query": q}
    if at is not None:
        args["time"] = f"{at / 1000:.3f}"
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode(args)
    r = json.load(urllib.request.urlopen(url, timeout=10))
    if r["status"] != "success":
        raise RuntimeError(f"{q}: {r}")
    return r["data"]["result"]


def ms(ts):
    return round(float(ts) * 1000)


def extrapolated_rate(samples, end_ms, range_s):
    """Prometheus's rate() of a counter from a window's raw samples.

    The increase from the first to the last sample (counter resets added
    back), extrapolated to the window's ends when they are closer than 1.1
    average sample intervals (else by half an interval), not below zero,
    over the range: Prometheus's documented behaviour, in its own order of
    float operations.
    """
    t = [s[0] for s in samples]
    v = [s[1] for s in samples]
    result = v[-1] - v[0]
    last = 0.0
    for x in v:
        if x < last:
            result += last
        last = x
    to_start = (t[0] - (end_ms - range_s * 1000)) / 1000
    to_end = (end_ms - t[-1]) / 1000
    sampled = (t[-1] - t[0]) / 1000
    average = sampled / (len(t) - 1)
    if result > 0 and v[0] >= 0:
        to_zero = sampled * (v[0] / result)
        if to_zero < to_start:
            to_start = to_zero
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    covered = to_start < threshold and to_end < threshold
    return result * (interval / sampled) / range_s, covered


class Checks:
    def __init__(self, label):
        self.label, self.p, self.f = label, 0, 0

    def __call__(self, ok, what):
        if ok:
            self.p += 1
        else:
            self.f += 1
            print(f"FAIL: {what}")
        return ok


def run(unit, fakedev, port, job, textdir, outdir, label):
    check = Checks(label)
    argv, out = exec_start(unit)
    keys = unit_keys(unit)
    check(keys.get("ConditionPathIsDirectory") == [os.path.dirname(out)],
          f"ConditionPathIsDirectory {keys.get('ConditionPathIsDirectory')} is "
          f"where ExecStart writes, {os.path.dirname(out)}")
    check(keys.get("ConditionPathExists") == ["/dev/cvmstat"],
          f"ConditionPathExists {keys.get('ConditionPathExists')}: the device")
    if os.path.dirname(out) != textdir:
        print(f"NOTE: ExecStart's output directory {os.path.dirname(out)} "
              f"replaced by {textdir}")
        argv[argv.index("-o") + 1] = os.path.join(textdir, os.path.basename(out))
    print(f"service: {shlex.join(argv)}")
    env = dict(os.environ, FAKEDEV_PATH="/dev/cvmstat",
               FAKEDEV_SCRIPT=os.path.join(outdir, "fakedev.script"),
               LD_PRELOAD=fakedev)
    env.pop("CVMSTAT_DEV", None)

    # the phase of Prometheus's scrapes of JOB (once a second)
    scrapes = []
    deadline = time.time() + 90
    while len(scrapes) < 2 and time.time() < deadline:
        try:
            res = query(port, f'up{{job="{job}"}}[5s]')
            scrapes = [ms(ts) for ts, _ in res[0]["values"]] if res else []
        except (OSError, RuntimeError, KeyError, IndexError):
            scrapes = []
        time.sleep(0.5)
    if not check(len(scrapes) >= 2, f"Prometheus scrapes job {job}"):
        return check
    phase = scrapes[-1] % 1000
    now = time.time() * 1000
    first = now - now % 1000 + phase + 500
    while first < now + 300:
        first += 1000

    # the workload: step k at first + k seconds
    log, bad_rc = [], []
    for k in range(STEPS + 1):
        delay = (first + 1000 * k) / 1000 - time.time()
        if delay > 0:
            time.sleep(delay)
        path = env["FAKEDEV_SCRIPT"]
        with open(path + ".tmp", "w") as f:
            f.write(script(k))
        os.rename(path + ".tmp", path)
        t0 = time.time() * 1000
        p = subprocess.run(argv, env=env, capture_output=True, text=True)
        t1 = time.time() * 1000
        log.append((k, t0, t1))
        if p.returncode:
            bad_rc.append((k, p.returncode, p.stderr.strip()))
    with open(os.path.join(outdir, "steps.txt"), "w") as f:
        f.writelines(f"{k} {t0:.0f} {t1:.0f}\n" for k, t0, t1 in log)
    check(not bad_rc, f"ExecStart exit codes: {bad_rc[:3]}")
    # a late step is seen by a later scrape, which the checks below allow
    late = [k for k, t0, _ in log if t0 - (first + 1000 * k) > 400]
    if late:
        print(f"NOTE: steps started more than 0.4 s late (a loaded machine): {late[:5]}")

    # the first sample of the last step (the counters still grew up to
    # it), and the window that ends there
    sel = f'cvmstat_exits_total{{job="{job}"}}'
    last = count("CPUID", STEPS)
    end = 0
    for _ in range(20):
        time.sleep(0.5)
        res = query(port, f'cvmstat_exits_total{{job="{job}",reason="CPUID"}}[10s]')
        end = min((ms(ts) for r in res for ts, v in r["values"]
                   if float(v) == last), default=0)
        if end:
            break
    if not check(end, f"a sample of the last step in {sel}"):
        return check
    raw = {r["metric"]["reason"]: [(ms(ts), float(v)) for ts, v in r["values"]]
           for r in query(port, f"{sel}[{RANGE_S}s]", end)}
    rates = {r["metric"]["reason"]: float(r["value"][1])
             for r in query(port, f"rate({sel}[1m])", end)}
    sums = {r["metric"]["reason"]: float(r["value"][1])
            for r in query(port, f"sum by (reason) (rate({sel}[1m]))", end)}
    with open(os.path.join(outdir, "samples.json"), "w") as f:
        json.dump({"end_ms": end, "raw": raw, "rate": rates, "sum": sums}, f)
    check(set(raw) == set(WORK) == set(rates),
          f"reasons: samples {sorted(raw)}, rate() {sorted(rates)}, workload {sorted(WORK)}")

    # every sample: one step's counts, the same step for every reason,
    # the step the writer had finished by the scrape
    steps, wrong = {}, []
    for name, samples in raw.items():
        per = sum(WORK[name][1])
        for t, v in samples:
            k, rem = divmod(round(v) - BASE[name], per)
            if rem or k < 0 or v != round(v):
                wrong.append((name, t, v))
            steps.setdefault(t, set()).add(k)
    check(not wrong, f"samples that are no step's count: {wrong[:3]}")
    torn = {t: ks for t, ks in steps.items() if len(ks) != 1}
    check(not torn, f"samples of different steps at one scrape: {list(torn.items())[:3]}")
    unexpected, in_flight = [], 0
    for t, ks in sorted(steps.items()):
        done = max((k for k, _, t1 in log if t1 <= t), default=-1)
        flying = [k for k, t0, t1 in log if t0 <= t < t1]
        in_flight += bool(flying)
        if ks - {done, *flying}:
            unexpected.append((t, sorted(ks), done))
    check(not unexpected, f"samples not of the step finished at the scrape: {unexpected[:3]}")
    print(f"samples: {sum(len(s) for s in raw.values())} in the window ending "
          f"{end} ms, {len(steps)} scrapes, {in_flight} during a write")

    # rate(): Prometheus's arithmetic on its own samples, and the workload
    want, mism, uncovered, off, far = {}, [], [], [], []
    for name, samples in sorted(raw.items()):
        per = sum(WORK[name][1])
        want[name] = float(per)
        got = rates.get(name)
        expect, covered = extrapolated_rate(samples, end, RANGE_S)
        (t1, v1), (t2, v2) = samples[0], samples[-1]
        simple = (v2 - v1) / ((t2 - t1) / 1000)
        k1 = (round(v1) - BASE[name]) // per
        k2 = (round(v2) - BASE[name]) // per
        work = per * (k2 - k1) / ((t2 - t1) / 1000)
        print(f"promql: rate({sel}[1m]) {name} = {got!r}; from the samples "
              f"{expect!r}; (v2-v1)/(t2-t1) = {simple!r} ({len(samples)} samples, "
              f"{t2 - t1} ms, steps {k1}..{k2}); workload {per} per s")
        if got is None or abs(got - expect) > 1e-12 * abs(expect):
            mism.append(name)
        if not covered:
            uncovered.append(name)
        elif abs(got - simple) > 1e-12 * simple or abs(got - work) > 1e-12 * work:
            off.append(name)
        if got is None or abs(got / per - 1) > 0.05:
            far.append(name)
    check(not mism, f"rate() differs from Prometheus's extrapolation of its samples: {mism}")
    check(not uncovered, f"samples do not cover the [1m] window: {uncovered}")
    check(not off, f"rate() differs from (v2-v1)/(t2-t1) and the workload's steps: {off}")
    check(not far, f"rate() more than 5 % from the workload's exits per second: {far}")
    check(sums == rates, f"sum by (reason): {sums} != {rates}")
    print(f"promql: sum by (reason) (rate({sel}[1m])) = "
          f"{json.dumps({k: round(v, 6) for k, v in sorted(sums.items())})}")
    print(f"workload: {json.dumps(want, sort_keys=True)} exits per second")
    return check


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "outdir":
        print(os.path.dirname(exec_start(sys.argv[2])[1]))
        return
    if len(sys.argv) != 9 or sys.argv[1] != "run":
        sys.exit(__doc__.split("\n\n")[1])
    unit, fakedev, port, job, textdir, outdir, label = sys.argv[2:]
    check = run(unit, fakedev, port, job, textdir, outdir, label)
    print(f"{label}: {check.p} passed, {check.f} failed")
    sys.exit(1 if check.f else 0)


if __name__ == "__main__":
    main()

# SPDX-License-Identifier: GPL-2.0
"""cvmstat plot: pictures of a `cvmstat record` CSV, with matplotlib.

Usage: cvmstat-plot.py RUN.CSV OUT.svg|OUT.png [TOP [SUMMARY.CSV]]

Run by `cvmstat plot` (cmd_plot.c), which checks the arguments.  Draws, in
one figure:
  1. exits per phase, stacked by reason (the TOP reasons, the rest summed as
     "other"), as counts;
  2. the same as rates (exits/s over each phase's duration);
  3. the exit rate over time per reason, phases shaded and named;
  4. with SUMMARY.CSV (`cvmstat summary --format csv` of a recording made
     with --latency: cmd_plot.c passes it), p50/p99 exit-handling time per
     reason per phase; the percentiles are summary's, not computed here.
Reason names come from the recording's name column.  Exit status: 0, 1 for
an unusable recording, 2 when the file cannot be read or written or when
matplotlib is missing.
"""
import csv
import os
import sys

EXIT_USAGE, EXIT_SYSTEM, EXIT_MISSING = 1, 2, 2


def die(code, msg):
    print(f"cvmstat: plot: {msg}", file=sys.stderr)
    sys.exit(code)


def load_summary(path):
    """(phase_seq, reason, "p50"|"p99", ns) of summary's "all" rows."""
    try:
        f = open(path, newline="", encoding="utf-8", errors="replace")
    except OSError as e:
        die(EXIT_SYSTEM, f"{path}: {e.strerror}")
    out = []
    with f:
        for r in csv.DictReader(f):
            if r["where"] == "all":
                for q in ("p50", "p99"):
                    out.append((int(r["phase_seq"]), r["reason"], q,
                                float(r[q + "_us"]) * 1e3))
    return out


def load(path):
    """The reason rows and the phases (seq, name, start_ns)."""
    try:
        f = open(path, newline="", encoding="utf-8", errors="replace")
    except OSError as e:
        die(EXIT_SYSTEM, f"{path}: {e.strerror}")
    with f:
        rd = csv.DictReader(f)
        need = {"time_ns", "phase_seq", "phase", "kind", "name", "count", "key"}
        if not rd.fieldnames or not need <= set(rd.fieldnames):
            die(EXIT_USAGE, f"{path}: not a `cvmstat record` CSV (columns "
                f"{','.join(sorted(need))} needed)")
        reasons, marks = [], {}
        first = last = None
        for r in rd:
            try:
                t = int(r["time_ns"])
                seq = int(r["phase_seq"])
                n = int(r["count"])
            except ValueError:
                die(EXIT_USAGE, f"{path}: line {rd.line_num}: not a number")
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
            kind = r["kind"]
            if kind in ("mark", "mark_inexact"):
                marks.setdefault(seq, (r["phase"], t))
            elif kind == "reason":
                reasons.append((t, seq, r["phase"], r["name"], n))
    if not reasons:
        die(EXIT_USAGE, f"{path}: no exits recorded")
    return reasons, marks, first, last


def phases_of(reasons, marks, first, last):
    """[(seq, name, start_ns, end_ns)] in order; phase 0 is before any mark."""
    names = {seq: name for _, seq, name, _, _ in reasons}
    for seq, (name, _) in marks.items():
        names[seq] = name
    seqs = sorted(names)
    starts = {}
    for s in seqs:
        if s in marks:
            starts[s] = marks[s][1]
        else:
            starts[s] = min([t for t, q, _, _, _ in reasons if q == s] + [first])
    out = []
    for i, s in enumerate(seqs):
        end = starts[seqs[i + 1]] if i + 1 < len(seqs) else last
        # one line per label: a name's line breaks become spaces
        out.append((s, "(before any mark)" if s == 0 else " ".join(names[s].split("\n")),
                    starts[s], max(end, starts[s])))
    return out


def main():
    if len(sys.argv) not in (3, 4, 5):
        die(EXIT_USAGE, "usage: cvmstat-plot.py RUN.CSV OUT.svg|OUT.png [TOP [SUMMARY.CSV]]")
    src, dst = sys.argv[1], sys.argv[2]
    top = int(sys.argv[3]) if len(sys.argv) >= 4 else 6
    ext = os.path.splitext(dst)[1].lower()
    if ext not in (".svg", ".png"):
        die(EXIT_USAGE, f"{dst}: the output is .svg or .png")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        die(EXIT_MISSING, "matplotlib is not installed (apt-get install python3-matplotlib)")

    reasons, marks, first, last = load(src)
    lat = load_summary(sys.argv[4]) if len(sys.argv) == 5 else []
    phases = phases_of(reasons, marks, first, last)

    total = {}
    for _, _, _, name, n in reasons:
        total[name] = total.get(name, 0) + n
    ranked = sorted(total, key=lambda k: (-total[k], k))
    shown = ranked[:top]
    other = len(ranked) > top
    series = shown + (["other"] if other else [])

    def label(name):
        return name if name in shown else "other"

    per_phase = {(p[0], s): 0 for p in phases for s in series}
    for _, seq, _, name, n in reasons:
        per_phase[(seq, label(name))] += n

    # a sample's rows all carry the time it was taken: rate over the interval
    # since the sample before (the first one: since the recording started)
    times = sorted({t for t, _, _, _, _ in reasons} | {p[2] for p in phases})
    prev = {t: (times[i - 1] if i else None) for i, t in enumerate(times)}
    over_time = {s: {} for s in series}
    for t, _, _, name, n in reasons:
        d = over_time[label(name)]
        d[t] = d.get(t, 0) + n

    plt.rcParams.update({"font.size": 9, "svg.fonttype": "none"})
    cmap = plt.get_cmap("tab10")
    colors = {s: (cmap(i % 10) if s != "other" else (0.6, 0.6, 0.6, 1.0))
              for i, s in enumerate(series)}
    nrows = 4 if lat else 3
    fig, axes = plt.subplots(nrows, 1, figsize=(10, 3.2 * nrows),
                             constrained_layout=True)
    fig.suptitle(f"cvmstat: {os.path.basename(src)}")
    pnames = [p[1] for p in phases]
    xs = range(len(phases))

    for ax, rate in ((axes[0], False), (axes[1], True)):
        bottom = [0.0] * len(phases)
        for s in series:
            vals = []
            for i, p in enumerate(phases):
                v = per_phase[(p[0], s)]
                dur = (p[3] - p[2]) / 1e9
                vals.append(v / dur if rate and dur > 0 else (0 if rate else v))
            ax.bar(xs, vals, bottom=bottom, color=colors[s], label=s, width=0.6)
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_xticks(list(xs), pnames)
        ax.set_ylabel("exits/s" if rate else "exits")
        ax.set_title("exit rate per phase, by reason" if rate else
                     "exits per phase, by reason")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)

    # stacked, as the bars are: reasons with equal rates (a workload doing
    # one of each per iteration) would hide each other as lines
    ax = axes[2]
    t0 = min(times)
    shade = [(0.93, 0.93, 0.97), (0.97, 0.95, 0.90)]
    samples = [t for t in times if prev.get(t) is not None and t > prev[t]
               and any(t in over_time[s] for s in series)]
    # record's last snapshot comes right after the one before: a rate over
    # such a short interval is noise (it drew a spike), so an interval under
    # half the usual one joins the interval before it
    gaps = sorted(t - prev[t] for t in samples)
    usual = gaps[len(gaps) // 2] if gaps else 0
    merged = []		# [start, end, {series: count}]
    for t in samples:
        counts = {s: over_time[s].get(t, 0) for s in series}
        if merged and t - prev[t] < usual / 2:
            merged[-1][1] = t
            for s in series:
                merged[-1][2][s] += counts[s]
        else:
            merged.append([prev[t], t, counts])
    xs_t = [(end - t0) / 1e9 for _, end, _ in merged]
    ys = [[c[s] / ((end - start) / 1e9) for start, end, c in merged]
          for s in series]
    ax.stackplot(xs_t, ys, labels=series, colors=[colors[s] for s in series],
                 step="pre", alpha=0.9)
    top_y = max((sum(col) for col in zip(*ys)), default=0)
    for i, p in enumerate(phases):
        a, b = (p[2] - t0) / 1e9, (p[3] - t0) / 1e9
        ax.axvspan(a, b, color=shade[i % 2], zorder=0)
        ax.axvline(a, color="0.4", linewidth=0.8, linestyle="--")
        ax.text((a + b) / 2, 1.01, p[1], transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("time since the recording started (s)")
    ax.set_ylabel("exits/s")
    ax.set_title("exit rate over time, by reason, stacked (phases shaded)", pad=16)
    ax.set_ylim(0, top_y * 1.05 if top_y else 1)
    ax.set_xlim(0, max([(p[3] - t0) / 1e9 for p in phases] + xs_t + [1e-9]))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)

    if lat:
        ax = axes[3]
        keys = sorted({(name, key) for _, name, key, _ in lat if name in shown})
        width = 0.8 / max(len(keys), 1)
        for j, (name, key) in enumerate(keys):
            vals = [sum(ns for q, nm, k, ns in lat if q == p[0] and nm == name and k == key)
                    for p in phases]
            ax.bar([i + j * width - 0.4 for i in xs], [v / 1e3 for v in vals],
                   width=width, align="edge", label=f"{name} {key}",
                   color=colors[name], alpha=1.0 if key.endswith("50") else 0.5)
        ax.set_xticks(list(xs), pnames)
        ax.set_ylabel("µs")
        ax.set_yscale("log")	# p50 and p99 are often decades apart
        ax.set_title("exit handling time per phase: p50 (solid), p99 (light)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)

    try:
        fig.savefig(dst, dpi=120)
    except OSError as e:
        die(EXIT_SYSTEM, f"{dst}: {e.strerror}")


if __name__ == "__main__":
    main()

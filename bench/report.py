#!/usr/bin/env python3
"""bench/report.py MEASURE_TSV VALUES_TSV META_TSV OUT_JSON — the table, ratios and targets of bench/run.sh.

MEASURE_TSV: group run client stage wall user sys maxrss_kb rc server_cpu, one line per process run (stage
"total" is a whole run: outer wall time and the server's CPU). VALUES_TSV: name run value (per-run figures
that are not a process). META_TSV: key value ("check_failed" lines are failed checks).

Every figure is summarised over the runs as its median and range (min-max), never the best or the sum.
A run of a group sums its clients (the tiny tenants of one round) and takes the largest RSS. A ratio pairs
run i of syncpipe with run i of the reference and reports the median (and range) of those per-run ratios.
"""
import json
import statistics
import sys

GROUPS = [
    ("scan", "plain sqlite3 scan"),
    ("copy", "raw COPY, single stream (1 psql)"),
    ("pcopy", "raw COPY, parallel ({sessions} psql)"),
    ("pgloader", "pgloader (tuned)"),
    ("first", "syncpipe: first full sync"),
    ("restore", "syncpipe: restore to a new file"),
    ("nochange", "syncpipe: nothing changed"),
    ("changed_0.001", "syncpipe: 0.1 % changed"),
    ("changed_0.01", "syncpipe: 1 % changed"),
    ("big_row", "syncpipe: + one 30 MB chat"),
    ("tiny_first", "syncpipe: {tiny} tiny, first sync"),
    ("tiny_nochange", "syncpipe: {tiny} tiny, nothing changed"),
    ("cycle_first", "syncpipe-cycle: {tiny} tiny, first"),
    ("cycle_nochange", "syncpipe-cycle: {tiny} tiny, fingerprint"),
    ("cycle_nochange_pipeline", "syncpipe-cycle: {tiny} tiny, forced"),
    ("app_auto", "app writer: first sync, --copy auto"),
    ("app_never", "app writer: first sync, --copy never"),
]
RATED = ("copy", "pcopy", "pgloader", "first", "restore")  # loads of the whole tenant: MB/s
CYCLE_TARGET_MS = {"cycle_first": 40, "cycle_nochange": 15}  # issue 13: per tenant through syncpipe-cycle
RSS_LIMIT_MB = 256
FIELDS = ("wall", "cpu", "rss_mb", "server_cpu")


def read_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            g, run, c, s, w, u, sy, rss, rc, scpu = (line.rstrip("\n").split("\t") + [""] * 10)[:10]
            rows.append(dict(group=g, run=int(run), client=c, stage=s, wall=float(w or 0),
                             cpu=float(u or 0) + float(sy or 0), rss_mb=int(rss or 0) / 1024, rc=int(rc or 0),
                             server_cpu=float(scpu or 0)))
    return rows


def read_values(path):
    values = {}
    with open(path) as f:
        for line in f:
            name, run, v = line.rstrip("\n").split("\t")
            values.setdefault(name, {})[int(run)] = float(v)
    return values


def read_meta(path):
    meta, checks = {}, []
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            if k == "check_failed":
                checks.append(v)
            else:
                meta[k] = v
    return meta, checks


def per_run(rows):
    """(group, stage) -> {run: figures}: a run's clients summed, its peak RSS the largest; stage order kept."""
    out = {}
    for r in rows:
        a = out.setdefault((r["group"], r["stage"]), {}).setdefault(
            r["run"], dict(wall=0.0, cpu=0.0, rss_mb=0.0, server_cpu=0.0, rc=0, clients=0))
        a["wall"] += r["wall"]
        a["cpu"] += r["cpu"]
        a["server_cpu"] += r["server_cpu"]
        a["rss_mb"] = max(a["rss_mb"], r["rss_mb"])
        a["rc"] = a["rc"] or r["rc"]
        a["clients"] += 1
    for (g, s), runs in out.items():  # a run's total gets the CPU and peak RSS of its processes
        if s != "total":
            continue
        for run, a in runs.items():
            procs = [v[run] for (h, t), v in out.items() if h == g and t != "total" and run in v]
            if procs:
                a["cpu"] = sum(p["cpu"] for p in procs)
                a["rss_mb"] = max(p["rss_mb"] for p in procs)
    return out


def spread(xs):
    xs = list(xs)
    if not xs:
        return None
    return dict(median=statistics.median(xs), min=min(xs), max=max(xs), n=len(xs), each_run=xs)


def rng(s, prec):
    """ "[min, max]" of a spread, or "" for one run."""
    return "" if s["n"] == 1 else f"[{s['min']:.{prec}f}, {s['max']:.{prec}f}]"


def summary(runs):
    """{run: figures} -> the median and range of every field, the status, and every run."""
    s = {f: spread(a[f] for a in runs.values() if a[f] is not None) for f in FIELDS}
    s.update(runs=len(runs), rc=next((a["rc"] for a in runs.values() if a["rc"]), 0),
             clients=max(a["clients"] for a in runs.values()),
             each_run=[dict(run=r, **a) for r, a in sorted(runs.items())])
    return s


def lines_of(g, pr):
    """The table lines of one group: (process name, {run: figures}, has server CPU)."""
    stages = [s for (h, s) in pr if h == g]
    procs = [s for s in stages if s != "total"]
    total = pr.get((g, "total"), {})
    if len(procs) == 1:  # a reference or a one-process run: its figures with the run's wall and server CPU
        runs = {}
        for run, p in pr[(g, procs[0])].items():
            t = total.get(run)
            runs[run] = dict(p, wall=t["wall"], server_cpu=t["server_cpu"], rc=p["rc"] or t["rc"]) if t else p
        return [(procs[0], runs, bool(total))]
    out = [(s, pr[(g, s)], False) for s in procs]
    if total and not procs:  # timed as a whole only (syncpipe-cycle): no process figures
        total = {run: dict(a, cpu=None, rss_mb=None) for run, a in total.items()}
    if total:
        out.append(("= pipeline", total, True))
    return out


def fmt(s, prec, width):
    if s is None:
        return f"{'':>{width}} {'':<16}"
    return f"{s['median']:{width}.{prec}f} {rng(s, prec):<16}"


def print_table(meta, pr, value_mb):
    hdr = (f"{'run':<40} {'process':<14} {'runs':>4} {'wall s':>8} {'[min, max]':<16} {'CPU s':>8} {'[min, max]':<16} "
           f"{'RSS MB':>7} {'[min, max]':<16} {'srv CPU':>8} {'[min, max]':<16} {'MB/s':>7}  status")
    print("\n" + hdr + "\n" + "-" * len(hdr))
    table = {}
    names = dict(tiny=meta.get("tiny_tenants", "?"), sessions=meta.get("copy_sessions", "?"))
    for g, title in GROUPS:
        title = title.format(**names)
        if not any(h == g for (h, _) in pr):
            if g == "pgloader":
                print(f"{title:<40} {'pgloader':<14} {'':>4} {'n/a':>8}  {meta.get('pgloader_version', '')}")
            continue
        for name, runs, srv in lines_of(g, pr):
            s = summary(runs)
            table[f"{g}/{name}"] = s
            w = s["wall"]["median"]
            rate = f"{value_mb / w:7.1f}" if g in RATED and srv and w > 0 and s["rc"] == 0 else ""
            status = "ok" if s["rc"] == 0 else f"FAILED ({s['rc']})"
            print(f"{title:<40} {name:<14} {s['runs']:>4} {fmt(s['wall'], 2, 8)} {fmt(s['cpu'], 2, 8)} "
                  f"{fmt(s['rss_mb'], 1, 7)} {fmt(s['server_cpu'] if srv and g != 'scan' else None, 2, 8)} "
                  f"{rate:>7}  {status}")
            title = ""
    return table


def walls(pr, g):
    """{run: wall} of a group's successful runs (its total, or its one process)."""
    runs = pr.get((g, "total")) or pr.get((g, "pipeline")) or {}
    return {r: a["wall"] for r, a in runs.items() if a["rc"] == 0}


def paired(a, b, f):
    """f(a[run], b[run]) for the runs both have, as a spread."""
    return spread(f(a[r], b[r]) for r in sorted(a) if r in b)


def compute_ratios(pr, values, meta):
    """name -> spread of the per-run ratio (or per-run figure)."""
    w = {g: walls(pr, g) for g, _ in GROUPS}
    div = lambda a, b: a / b  # noqa: E731
    r = {
        "first_sync_time_vs_raw_copy": paired(w["first"], w["copy"], div),
        "first_sync_time_vs_parallel_copy": paired(w["first"], w["pcopy"], div),
        "parallel_copy_time_vs_raw_copy": paired(w["pcopy"], w["copy"], div),
        "first_sync_time_vs_pgloader": paired(w["first"], w["pgloader"], div),
        "restore_time_vs_first_sync": paired(w["restore"], w["first"], div),
        "nochange_time_vs_scan": paired(w["nochange"], w["scan"], div),
    }
    for frac in ("0.001", "0.01"):
        rows = values.get(f"changed_rows_{frac}", {})
        extra = {k: v - w["nochange"][k] for k, v in w[f"changed_{frac}"].items() if k in w["nochange"]}
        r[f"changed_{frac}_extra_s_over_nochange"] = spread(extra.values())
        r[f"changed_{frac}_extra_ms_per_changed_row"] = paired(extra, rows, lambda e, n: 1000 * e / max(n, 1))
    sync_rss = [a["rss_mb"] for (g, s), runs in pr.items() if s.startswith("sync-") or g.startswith("app_")
                for a in runs.values()]
    r["syncpipe_peak_rss_mb"] = spread([max(sync_rss)]) if sync_rss else None
    big = [a["rss_mb"] for (g, s), runs in pr.items() if g == "big_row" and s.startswith("sync-") for a in runs.values()]
    r["big_row_peak_rss_mb"] = spread([max(big)]) if big else None
    n_tiny = int(meta.get("tiny_tenants", 0) or 0)
    for g in ("tiny_first", "tiny_nochange", "cycle_first", "cycle_nochange", "cycle_nochange_pipeline"):
        r[f"{g}_s"] = spread(w[g].values())
        r[f"{g}_ms_per_tenant"] = spread(1000 * x / n_tiny for x in w[g].values()) if n_tiny else None
    for mode in ("auto", "never"):
        for k in ("worst_write_ms", "p99_write_ms", "alone_worst_write_ms", "alone_p99_write_ms", "lock_ms"):
            r[f"app_{mode}_{k}"] = spread(values.get(f"app_{mode}_{k}", {}).values())
    return {k: v for k, v in r.items() if v}


def writes_total(values, *names):
    """Tenant-table writes summed over every run of the named no-change groups; None when none ran."""
    got = [v for n in names for v in values.get(f"{n}_tenant_writes", {}).values()]
    return sum(got) if got else None


def compute_targets(ratios, values):
    """(what, the figure it is judged on, met) — medians, except the bounds (RSS, writes, the app's worst)."""
    t = []

    def median_at_most(key, limit, what):
        if key in ratios:
            s = ratios[key]
            t.append((what, f"{s['median']:.3f} {rng(s, 3)}", s["median"] <= limit))

    median_at_most("first_sync_time_vs_raw_copy", 1.0, "first sync <= 1.0x single-stream raw COPY time (issue 15)")
    median_at_most("first_sync_time_vs_raw_copy", 0.8, "first sync <= 0.8x single-stream raw COPY (stretch)")
    median_at_most("nochange_time_vs_scan", 1.3, "no-change cycle <= 1.3x plain scan (issue 15)")
    median_at_most("restore_time_vs_first_sync", 1.0, "restore no slower than the first sync (issue 11)")
    median_at_most("first_sync_time_vs_pgloader", 0.5, "first sync <= 0.5x pgloader time (issue 6)")
    median_at_most("tiny_nochange_ms_per_tenant", 100, "tiny tenants: no-change < 100 ms per tenant (issue 6)")
    for g, ms in CYCLE_TARGET_MS.items():
        median_at_most(f"{g}_ms_per_tenant", ms, f"{g}: <= {ms} ms per tenant (issue 13)")
    if "syncpipe_peak_rss_mb" in ratios:
        peak = ratios["syncpipe_peak_rss_mb"]["max"]
        t.append((f"peak RSS < {RSS_LIMIT_MB} MB per process, every run", f"{peak:.1f}", peak < RSS_LIMIT_MB))
    for names, what in ((("nochange", "tiny_nochange"), "nothing changed: zero tenant writes, every run"),
                        (("cycle_nochange",), "cycle_nochange: zero tenant writes, every run")):
        n = writes_total(values, *names)
        if n is not None:
            t.append((what, f"{n:.0f}", n == 0))
    worst, busy = values.get("app_auto_worst_write_ms", {}), values.get("app_auto_busy_errors", {})
    if worst:
        t.append(("app writer, --copy auto: worst write <= 500 ms, no busy error, every run",
                  f"{max(worst.values()):.1f} ms, {sum(busy.values()):.0f} busy", max(worst.values()) <= 500
                  and sum(busy.values()) == 0))
    return t


def print_header(meta, value_mb):
    print(f"\nsyncpipe bench, size {meta.get('size')}: {meta.get('chats')} chats, {meta.get('channel_messages')} "
          f"channel messages, {meta.get('rows')} rows in {meta.get('tables')} tables, {value_mb:.1f} MB of values "
          f"({int(meta.get('db_file_bytes', 0)) / 1e6:.1f} MB file)")
    print(f"machine: {meta.get('machine')}; PostgreSQL {meta.get('postgres')}, SQLite {meta.get('sqlite')}, "
          f"{meta.get('pgloader_version', '')}")
    print(f"commit measured: {meta.get('commit')} (git describe --always --dirty), {meta.get('date')}")
    tiny = f"{meta.get('tiny_repeat')} round(s) of {meta.get('tiny_tenants')} tenants"
    if meta.get("tiny_repeat") != meta.get("repeat"):
        tiny += " (BENCH_TINY_REPEAT: a round provisions twice that many tenants; 5 would take L past 25 min)"
    print(f"method: runs of every contender: {meta.get('repeat')}, interleaved round by round; tiny tenants: {tiny}; "
          f"the 30 MB chat: 1 run.\n        Each figure is the median [min, max] over the runs; a ratio is the "
          f"median of the per-run ratios (run i against run i).")
    print(f"pgloader WITH data only, truncate, {meta.get('pgloader_with')}")
    for k in ("syncpipe", "note"):
        if k in meta:
            print(f"{k}: {meta[k]}")


def main():
    rows_path, values_path, meta_path, out_path = sys.argv[1:5]
    meta, checks = read_meta(meta_path)
    values = read_values(values_path)
    pr = per_run(read_rows(rows_path))
    value_mb = int(meta.get("value_bytes", 0)) / 1e6
    print_header(meta, value_mb)
    table = print_table(meta, pr, value_mb)
    ratios = compute_ratios(pr, values, meta)
    targets = compute_targets(ratios, values)

    print("\nratios and per-run figures (median [min, max] over n runs; a ratio pairs run i with run i):")
    for k, s in ratios.items():
        print(f"  {k:<44} {s['median']:10.3f}  {rng(s, 3):<20} n={s['n']}")
    print(f"targets (issue 15's are set for size L; this is size {meta.get('size')}):")
    for what, figure, met in targets:
        print(f"  {what:<72} {figure:<28} {'met' if met else 'MISSED'}")
    for c in checks:
        print(f"check failed: {c}")

    with open(out_path, "w") as f:
        json.dump(dict(meta=meta, failed_checks=checks, measurements=table, values={
            k: spread(v[r] for r in sorted(v)) for k, v in values.items()}, ratios=ratios,
            targets=[dict(what=w, figure=fig, met=m) for w, fig, m in targets]), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

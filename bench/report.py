#!/usr/bin/env python3
"""bench/report.py MEASURE_TSV META_TSV OUT_JSON — the table and ratios of bench/run.sh.

MEASURE_TSV: group client stage wall user sys maxrss_kb rc server_cpu (one line per process run;
stage "total" is a whole run: outer wall time and the server's CPU). META_TSV: key value.
"""
import json
import sys

GROUPS = [
    ("scan", "plain sqlite3 scan"),
    ("copy", "raw COPY (psql \\copy from sqlite3 -csv)"),
    ("pgloader", "pgloader (tuned)"),
    ("first", "syncpipe: first full sync"),
    ("restore", "syncpipe: restore to a new file"),
    ("nochange", "syncpipe: nothing changed"),
    ("changed_0.001", "syncpipe: 0.1 % changed"),
    ("changed_0.01", "syncpipe: 1 % changed"),
    ("big_row", "syncpipe: + one 30 MB chat"),
    ("tiny_first", "syncpipe: tiny tenants, first sync"),
    ("tiny_nochange", "syncpipe: tiny tenants, nothing changed"),
    ("cycle_first", "syncpipe-cycle: tiny tenants, first cycle"),
    ("cycle_nochange", "syncpipe-cycle: tiny tenants, unchanged (fingerprint)"),
    ("cycle_nochange_pipeline", "syncpipe-cycle: tiny tenants, forced, nothing changed"),
]
# issue 13: per tenant through syncpipe-cycle
CYCLE_TARGET_MS = {"cycle_first": 40, "cycle_nochange": 15}
RSS_LIMIT_MB = 256


def read_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            g, c, s, w, u, sy, rss, rc, scpu = (line.rstrip("\n").split("\t") + [""] * 9)[:9]
            rows.append(dict(group=g, client=c, stage=s, wall=float(w or 0), cpu=float(u or 0) + float(sy or 0),
                             rss_mb=int(rss or 0) / 1024, rc=int(rc or 0), server_cpu=float(scpu or 0)))
    return rows


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


def aggregate(rows):
    """(group, stage) -> runs, wall, cpu, max rss, rc, server cpu; stage order as first seen."""
    agg, order = {}, []
    for r in rows:
        key = (r["group"], r["stage"])
        if key not in agg:
            agg[key] = dict(group=r["group"], stage=r["stage"], runs=0, wall_s=0.0, cpu_s=0.0, peak_rss_mb=0.0,
                            rc=0, server_cpu_s=0.0)
            order.append(key)
        a = agg[key]
        a["runs"] += 1
        a["wall_s"] += r["wall"]
        a["cpu_s"] += r["cpu"]
        a["peak_rss_mb"] = max(a["peak_rss_mb"], r["rss_mb"])
        a["server_cpu_s"] += r["server_cpu"]
        a["rc"] = a["rc"] or r["rc"]
    # A run's total gets the CPU and peak RSS of its processes.
    for (g, s), a in agg.items():
        if s == "total":
            procs = [b for (h, t), b in agg.items() if h == g and t != "total"]
            a["cpu_s"] = sum(b["cpu_s"] for b in procs)
            a["peak_rss_mb"] = max([b["peak_rss_mb"] for b in procs] or [0])
    return [agg[k] for k in order]


def main():
    rows_path, meta_path, out_path = sys.argv[1:4]
    meta, checks = read_meta(meta_path)
    agg = aggregate(read_rows(rows_path))
    by = {(a["group"], a["stage"]): a for a in agg}
    value_mb = int(meta.get("value_bytes", 0)) / 1e6

    def wall(g):
        a = by.get((g, "total")) or by.get((g, "sqlite3"))
        return a["wall_s"] if a and a["rc"] == 0 else None

    def ok(g):
        return all(a["rc"] == 0 for a in agg if a["group"] == g) and any(a["group"] == g for a in agg)

    print(f"\nsyncpipe bench, size {meta.get('size')}: {meta.get('chats')} chats, {meta.get('channel_messages')} "
          f"channel messages, {meta.get('rows')} rows in {meta.get('tables')} tables, {value_mb:.1f} MB of values "
          f"({int(meta.get('db_file_bytes', 0)) / 1e6:.1f} MB file)")
    print(f"machine: {meta.get('machine')}; PostgreSQL {meta.get('postgres')}, SQLite {meta.get('sqlite')}, "
          f"{meta.get('pgloader_version', '')}; commit {meta.get('commit')}")
    if "syncpipe" in meta:
        print(f"syncpipe: {meta['syncpipe']}")
    if "note" in meta:
        print(f"note: {meta['note']}")
    hdr = f"{'run':<40} {'process':<14} {'runs':>4} {'wall s':>8} {'CPU s':>8} {'RSS MB':>7} {'srv CPU':>8} {'MB/s':>7}  status"
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for g, title in GROUPS:
        stages = [a for a in agg if a["group"] == g]
        if not stages:
            if g == "pgloader":
                print(f"{title:<40} {'pgloader':<14} {'':>4} {'n/a':>8}  {meta.get('pgloader_version', '')}")
            continue
        total = by.get((g, "total"))
        procs = [a for a in stages if a["stage"] != "total"]
        lines = []
        if len(procs) == 1:  # a reference: one process, the run's wall time and server CPU
            p = dict(procs[0])
            if total:
                p.update(wall_s=total["wall_s"], server_cpu_s=total["server_cpu_s"], rc=p["rc"] or total["rc"])
            lines.append((p["stage"], p, True))
        else:
            lines += [(a["stage"], dict(a, server_cpu_s=None), False) for a in procs]
            if total:
                lines.append(("= pipeline", total, g in ("first", "restore")))
        for name, a, rated in lines:
            w = a["wall_s"]
            rate = f"{value_mb / w:7.1f}" if rated and w > 0 and a["rc"] == 0 else ""
            srv = "" if a["server_cpu_s"] is None or (g == "scan") else f"{a['server_cpu_s']:8.2f}"
            status = "ok" if a["rc"] == 0 else f"FAILED ({a['rc']})"
            print(f"{title:<40} {name:<14} {a['runs']:>4} {w:8.2f} {a['cpu_s']:8.2f} {a['peak_rss_mb']:7.1f} "
                  f"{srv:>8} {rate:>7}  {status}")
            title = ""

    ratios, targets = {}, {}
    scan, copy, pgl, first, noch = (wall(g) for g in ("scan", "copy", "pgloader", "first", "nochange"))
    if copy and first:
        ratios["first_sync_throughput_vs_raw_copy"] = copy / first
        targets["first sync >= 0.8x raw COPY throughput"] = copy / first >= 0.8
    restore = wall("restore")
    if restore and first:
        ratios["restore_time_vs_first_sync"] = restore / first
        targets["restore no slower than the first sync"] = restore <= first
    if pgl and first:
        ratios["first_sync_throughput_vs_pgloader"] = pgl / first
        targets["first sync >= 2x pgloader throughput"] = pgl / first >= 2
    if scan and noch:
        ratios["nochange_time_vs_scan"] = noch / scan
        targets["nothing changed <= 1.5x plain scan"] = noch / scan <= 1.5
    if "nochange_tenant_writes" in meta:
        targets["nothing changed: zero writes to tenant tables"] = meta["nochange_tenant_writes"] == "0"
    for frac in ("0.001", "0.01"):
        w = wall(f"changed_{frac}")
        if w and noch:
            n = int(meta.get(f"changed_rows_{frac}", 0)) or 1
            ratios[f"changed_{frac}_extra_s_over_nochange"] = w - noch
            ratios[f"changed_{frac}_extra_ms_per_changed_row"] = 1000 * (w - noch) / n
    big = [a["peak_rss_mb"] for a in agg if a["group"] == "big_row" and a["stage"].startswith("sync-")]
    if big:
        ratios["big_row_peak_rss_mb"] = max(big)
    sync_rss = [a["peak_rss_mb"] for a in agg if a["stage"].startswith("sync-")]
    if sync_rss:
        ratios["syncpipe_peak_rss_mb"] = max(sync_rss)
        targets[f"peak RSS < {RSS_LIMIT_MB} MB per process"] = max(sync_rss) < RSS_LIMIT_MB
    for g in ("tiny_first", "tiny_nochange"):
        t = by.get((g, "total"))
        if t and ok(g):
            ratios[f"{g}_cycle_s"] = t["wall_s"]
            ratios[f"{g}_ms_per_tenant"] = 1000 * t["wall_s"] / t["runs"]
            if g == "tiny_nochange" or "tiny_nochange" not in {a["group"] for a in agg}:
                targets[f"{t['runs']} tiny tenants: cycle < 10 s"] = t["wall_s"] < 10
                targets["tiny tenants: < 100 ms per tenant"] = 1000 * t["wall_s"] / t["runs"] < 100
    n_cyc = int(meta.get("cycle_tenants", 0) or 0)
    for g in ("cycle_first", "cycle_nochange", "cycle_nochange_pipeline"):
        t = by.get((g, "total"))
        if t and ok(g) and n_cyc:
            ratios[f"{g}_s"] = t["wall_s"]
            ratios[f"{g}_ms_per_tenant"] = 1000 * t["wall_s"] / n_cyc
            if g in CYCLE_TARGET_MS:
                targets[f"{g}: <= {CYCLE_TARGET_MS[g]} ms per tenant"] = 1000 * t["wall_s"] / n_cyc <= CYCLE_TARGET_MS[g]
    if "cycle_nochange_tenant_writes" in meta:
        targets["cycle_nochange: zero writes to tenant tables"] = meta["cycle_nochange_tenant_writes"] == "0"

    print("\nratios:")
    for k, v in ratios.items():
        print(f"  {k:<48} {v:10.3f}")
    print("targets:")
    for k, v in targets.items():
        print(f"  {k:<48} {'met' if v else 'MISSED'}")
    for c in checks:
        print(f"check failed: {c}")

    with open(out_path, "w") as f:
        json.dump(dict(meta=meta, failed_checks=checks, measurements=agg, ratios=ratios, targets=targets), f,
                  indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

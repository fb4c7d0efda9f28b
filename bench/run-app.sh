# shellcheck shell=bash disable=SC2154 # sourced by bench/run.sh, which sets the variables it reads
# bench/run-app.sh — the app comes first; sourced by bench/run.sh.
#
# app_writer MODE — the first sync of a rollback-journal copy of the tenant (sync-snapshot --copy MODE) while
# an Open WebUI-like writer commits one small transaction every 20 ms with Python's sqlite3 (busy timeout 5 s,
# SQLAlchemy's default). Records the sync's process figures (group app_MODE) and, per run, the writer's worst
# and p99 commit latency and its "database is locked" errors (target: worst <= 0.5 s, no error, with the
# default --copy auto). Each run starts from a copy of the tenant provisioned just before it.
# Two more figures make the worst write readable on a busy machine:
#   - the writer alone: right after the sync, the same writer makes as many commits on the same file with no
#     sync running (app_MODE_alone_*): what the disk and the scheduler cost a commit by themselves;
#   - how long the snapshot held the file at most (app_MODE_lock_ms): the longest step of the stepwise copy, or the
#     hold of the locked pass after it, from sync-snapshot -v; none for --copy never, which reads under its lock
#     throughout.

app_writer_py() {
    cat >"$work/app_writer.py" <<'PY'
import os, sqlite3, sys, time
# app_writer.py DB STOP [COUNT]: commits until the file STOP exists, or COUNT times; STOP.ready once connected
db, stop = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else None
con = sqlite3.connect(db, timeout=5.0, isolation_level=None)
open(stop + ".ready", "w").close()
lat, busy, n = [], 0, 0
while (n < count) if count is not None else not os.path.exists(stop):
    n += 1
    t0 = time.monotonic()
    try:
        con.execute("BEGIN")
        con.execute("INSERT INTO config(\"key\", value, updated_at) VALUES (?, '1', 0)", (f"{stop}.{n}",))
        con.execute("COMMIT")
    except sqlite3.OperationalError:
        busy += 1
        try: con.execute("ROLLBACK")
        except sqlite3.Error: pass
    lat.append(time.monotonic() - t0)
    time.sleep(0.02)
lat.sort()
if not lat:
    sys.exit("no commit made")
print(f"{len(lat)} {lat[-1] * 1000:.1f} {lat[int(len(lat) * 0.99)] * 1000:.1f} {busy}")
PY
}

app_writer() {
    local mode="$1" c="app_$1" f="$work/app_$1.db" p="$work/t/app_$1" e="$work/err/app_$1" st wpid n worst p99 busy
    ((RUN == 1)) || reset_tenants "^$c\$"
    if ! cp "$DB" "$f" || ! sqlite3 "$f" 'PRAGMA journal_mode=DELETE' >/dev/null; then
        fail "$c: no copy"
        return
    fi
    provision "$c" "$f" || { fail "$c: provisioning failed"; return; }
    # the copy just made is still being written back: the writer's first fdatasync would wait for all of it
    # (1.4 s at L, measured), a cost of this bench, not of the sync
    sync "$f"
    [[ -f "$work/app_writer.py" ]] || app_writer_py
    rm -f "$work/app.stop" "$work/app.stop.ready"
    settle
    python3 "$work/app_writer.py" "$f" "$work/app.stop" >"$work/$c.out" 2>"$e.writer" &
    wpid=$!
    # the sync starts once the writer is connected (it then commits at least once: the stop file comes after)
    while [[ ! -e "$work/app.stop.ready" ]] && kill -0 "$wpid" 2>/dev/null; do sleep 0.01; done
    # shellcheck disable=SC2016 # the inner bash expands its own positional parameters
    tm "$p.sync" bash -c '"$1" -v --client "$2" --no-lease --state-dir "$7" --copy "$3" "$4" | "$5" --dsn "$6" --state-dir "$7" |
        "$8" | "$9" --dsn "$6" --state-dir "$7"' _ "$SNAP" "$c" "$mode" "$f" "$DIFF" "$SVC" \
        "$work/state" "$RESOLVE" "$LOAD" 2>"$e"
    st=$?
    touch "$work/app.stop"
    wait "$wpid"
    record "$c" "$c" pipeline "$p.sync" "$st"
    ((st == 0)) || fail "$c: the sync exited $st: $(tail -n2 "$e" | tr '\n' ' ')"
    read -r n worst p99 busy <"$work/$c.out" || { fail "$c: the writer failed: $(tail -n2 "$e.writer")"; return; }
    value "${c}_writes" "$n"
    value "${c}_worst_write_ms" "$worst"
    value "${c}_p99_write_ms" "$p99"
    value "${c}_busy_errors" "$busy"
    log "app writer during a first sync with --copy $mode, run $RUN: $n writes, worst $worst ms, p99 $p99 ms, $busy busy errors"
    app_lock_held "$c" "$e"
    app_writer_alone "$c" "$f" "$n"
    rm -f "$f"
}

# app_lock_held GROUP ERRLOG — how long the snapshot held the file, from its -v line (sync-snapshot(1)).
app_lock_held() {
    local ms
    ms="$(grep -o -e 'longest step [0-9]* ms' -e 'under one lock held [0-9]* ms' "$2" | tr -dc '0-9\n' | sort -n | tail -n1)"
    [[ -n "$ms" ]] || return 0
    value "${1}_lock_ms" "$ms"
    log "$1: the snapshot held the file for at most $ms ms ($(grep -o 'copied [0-9]* [a-z]*' "$2" | head -n1))"
}

# app_writer_alone GROUP FILE N — the same writer, N commits on FILE, no sync running.
app_writer_alone() {
    local c="$1" n worst p99 busy
    settle
    python3 "$work/app_writer.py" "$2" "$work/$c.alone" "$3" >"$work/$c.alone.out" 2>"$work/err/$c.alone" ||
        { fail "$c: the writer alone failed: $(tail -n2 "$work/err/$c.alone")"; return; }
    read -r n worst p99 busy <"$work/$c.alone.out"
    value "${c}_alone_worst_write_ms" "$worst"
    value "${c}_alone_p99_write_ms" "$p99"
    log "app writer alone after it, run $RUN: $n writes, worst $worst ms, p99 $p99 ms, $busy busy errors"
}

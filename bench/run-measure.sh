# shellcheck shell=bash disable=SC2154 # sourced by bench/run.sh, which sets the variables it reads
# bench/run-measure.sh — how bench/run.sh measures and records; sourced by it, not run.
#
# Files (in $work, set by run.sh):
#   $M     measure.tsv: group run client stage wall user sys maxrss_kb rc server_cpu — one line per process run
#          (stage "total": a whole run, its outer wall time and the server's CPU meanwhile)
#   $V     values.tsv: name run value — per-run figures that are not a process (the app writer's latency, ...)
#   $META  meta.tsv: key value — one value per key; "check_failed" lines are failed checks
# RUN is the repeat being measured (1..BENCH_REPEAT); every record carries it, so report.py can take the
# median over runs and pair run i of syncpipe with run i of a reference.
RUN=1

meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
value() { printf '%s\t%s\t%s\n' "$1" "$RUN" "$2" >>"$V"; } # value NAME VALUE — one run's figure
fail() { log "FAIL: $*"; meta check_failed "$*"; failures=$((failures + 1)); }
now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a - b }'; }

# CPU seconds (user+sys) of the postmaster, its live children, and every child it has reaped.
server_cpu() {
    local pm
    pm="$(head -n1 "$PGCLUSTER_DIR/data/postmaster.pid" 2>/dev/null)" || { echo 0; return; }
    sleep 0.05 # a backend whose client just left is reaped (its CPU moves to the postmaster's cutime)
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$pm" -v hz="$(getconf CLK_TCK)" '
        {
            pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
            if (pid == pm) s += f[12] + f[13] + f[14] + f[15]
            else if (f[2] == pm) s += f[12] + f[13]
        }
        END { printf "%.2f\n", s / hz }'
}

# tm OUT CMD... — run CMD under GNU time, the figures into OUT.
tm() { local out="$1"; shift; "$TIME" -o "$out" -f '%e %U %S %M %x' "$@"; }
# record GROUP CLIENT STAGE TIMEFILE [RC] — one measurement line (of run $RUN) from a GNU time file.
record() {
    local g="$1" c="$2" s="$3" f="$4" rc="${5:-}" line w u sy rss x
    line="$(tail -n1 "$f" 2>/dev/null)"
    read -r w u sy rss x <<<"${line:-- - - - -}"
    [[ "$w" =~ ^[0-9.]+$ ]] || { w=0 u=0 sy=0 rss=0 x="${rc:-1}"; }
    [[ -n "$rc" && "$x" == 0 ]] && x="$rc"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$g" "$RUN" "$c" "$s" "$w" "$u" "$sy" "$rss" "$x" "" >>"$M"
}
# total GROUP CLIENT T0 T1 CPU0 CPU1 RC — the outer wall time and the server's CPU of one run.
total() {
    printf '%s\t%s\t%s\ttotal\t%s\t0\t0\t0\t%s\t%s\n' "$1" "$RUN" "$2" "$(minus "$4" "$3")" "$7" \
        "$(minus "$6" "$5")" >>"$M"
}

# SQL as the admin (the cluster's superuser over the socket), database $QDB (default bench).
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -d "${QDB:-bench}" -c "$1"; }
settle() { q CHECKPOINT >/dev/null; }
qi() { printf '"%s"' "${1//\"/\"\"}"; } # quote an SQL identifier
# Rows inserted, updated or deleted so far in the schemas matching a regular expression.
writes() {
    q "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname ~ '$1'"
}
# quiesce — wait until no sync_service backend is left. A backend flushes its statistics before it leaves
# pg_stat_activity, so writes() is exact afterwards.
quiesce() {
    local i
    for ((i = 0; i < 300; i++)); do
        [[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE usename = 'sync_service'")" == 0 ]] && return 0
        sleep 0.1
    done
    fail "sync_service backends still connected after 30 s"
}
tables_of() { sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"; }
# Rows in every table of a schema, in one query.
rows_in() {
    q "SELECT coalesce(sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
         table_schema, table_name), false, true, '')))[1]::text::bigint), 0)
       FROM information_schema.tables WHERE table_schema = '$1'"
}

#!/usr/bin/env bash
# bench/run.sh — syncpipe against its references, in one run on one throwaway cluster.
#
#   bench/run.sh [--keep] smoke|S|M|L
#
# Generates an Open WebUI tenant (syncpipe-gen create, the alembic schema of shared/fixtures) and measures,
# side by side, wall time, user+sys CPU and peak RSS of every process:
#   scan      a plain sqlite3 read of every value of every table (sum of byte lengths)
#   copy      raw COPY of the same rows into identical tables (LIKE the tenant's, INCLUDING ALL), one psql
#             \copy ... FROM PROGRAM 'sqlite3 -csv' per table — the physical limit
#   pgloader  when installed: data only into a copy of the same tables in a database of its own, tuned
#             (workers 2, concurrency 1, batches of 1000 rows / 4 MB: its best here; larger batches exhaust
#             its 1 GB heap on L, or with --dynamic-space-size 4096 take 1.5x as long; BENCH_PGLOADER_WITH)
#   syncpipe  sync-snapshot | sync-diff | sync-resolve | sync-load as sync_service, each stage timed on its own:
#             first full sync, a cycle with nothing changed (must write nothing to the tenant tables), cycles
#             after 0.1 % and 1 % of the chat/message rows changed, after one 30 MB chat was added, and N tiny
#             tenants one after the other (first sync and no-change), each provisioned beforehand, and the same
#             number through systemd/syncpipe-cycle on a host of their own (first cycle; a no-change cycle
#             where the files' fingerprints prove nothing changed; a forced no-change cycle through the whole
#             pipeline); then the app's worst write during a first sync (app_writer: --copy auto vs never;
#             BENCH_APP=0 skips it). The scan and the no-change cycle are run BENCH_REPEAT times (3; smoke: 1)
#             and the fastest run is kept.
# Prints a table and the ratios to the references; writes $BENCH_RESULTS_DIR/<size>-<UTC time>.json.
# Exit status: 0 when every stage ran and every check held, 1 otherwise (a target missed is not a failure).
#
# Environment: BUILD_DIR (default <repo>/build), SHARED_DIR (default <repo>/../shared),
#   BENCH_RESULTS_DIR (default <repo>/bench/results), BENCH_TMPDIR (default /tmp), BENCH_TINY (tiny tenants),
#   SYNCPIPE_JOBS (syncpipe-cycle's tenants at once, default nproc),
#   BENCH_REPEAT, BENCH_BIG_BYTES (the big chat, default 30 MiB),
#   BENCH_PGLOADER_WITH (pgloader's WITH options after "data only, truncate"), BENCH_PGLOADER_TIMEOUT (s),
#   BENCH_SNAPSHOT / BENCH_DIFF / BENCH_RESOLVE / BENCH_LOAD (override a stage's executable),
#   PGCLUSTER_PORT (see tests/lib/pgcluster.sh).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${BUILD_DIR:-$repo/build}")"
shared="$(realpath -m "${SHARED_DIR:-$repo/../shared}")"
results_dir="${BENCH_RESULTS_DIR:-$repo/bench/results}"
keep=0

usage() { echo "usage: bench/run.sh [--keep] smoke|S|M|L" >&2; exit 64; }
log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

while (($#)); do
    case "$1" in
        --keep) keep=1 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        smoke | S | M | L) size="$1" ;;
        *) usage ;;
    esac
    shift
done
[[ -n "${size:-}" ]] || usage

# users, chats per user, channel messages, tiny tenants
case "$size" in
    smoke) shape=(5 20 300 5) ;;
    S) shape=(50 20 3000 150) ;;
    M) shape=(500 20 30000 150) ;;
    L) shape=(5000 20 300000 150) ;;
esac
tiny_n="${BENCH_TINY:-${shape[3]}}"
repeat="${BENCH_REPEAT:-$([[ $size == smoke ]] && echo 1 || echo 3)}" # best of: the scan and the no-change cycle
big_bytes="${BENCH_BIG_BYTES:-31457280}"

GEN="$build/tests/gen/syncpipe-gen"
SNAP="${BENCH_SNAPSHOT:-$build/tools/snapshot/sync-snapshot}"
DIFF="${BENCH_DIFF:-$build/tools/diff/sync-diff}"
RESOLVE="${BENCH_RESOLVE:-$build/tools/resolve/sync-resolve}"
LOAD="${BENCH_LOAD:-$build/tools/load/sync-load}"
SCHEMA_SQL="$shared/fixtures/openwebui/webui-schema.sql"
TIME=/usr/bin/time

[[ -x "$TIME" ]] || die "GNU time is missing: apt-get install time"
command -v sqlite3 >/dev/null || die "sqlite3 is missing"
command -v python3 >/dev/null || die "python3 is missing"
[[ -x "$GEN" && -x "$SNAP" && -x "$LOAD" ]] || die "build first: ninja -C $build (need syncpipe-gen, sync-snapshot, sync-load)"
[[ -f "$SCHEMA_SQL" ]] || die "$SCHEMA_SQL is missing (SHARED_DIR?)"

missing=()
for exe in "$DIFF" "$RESOLVE"; do
    [[ "$exe" == cat || -x "$exe" ]] || missing+=("$(basename "$exe")")
done

work="$(mktemp -d "${BENCH_TMPDIR:-/tmp}/syncpipe-bench.XXXXXX")" || die "no work dir"
mkdir -p "$work/t" "$work/err" "$work/state" "$results_dir"
M="$work/measure.tsv" # group client stage wall user sys maxrss_kb rc server_cpu
META="$work/meta.tsv" # key value
: >"$M"
: >"$META"
failures=0

meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
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
# record GROUP CLIENT STAGE TIMEFILE [RC] — one measurement line from a GNU time file.
record() {
    local g="$1" c="$2" s="$3" f="$4" rc="${5:-}" line
    line="$(tail -n1 "$f" 2>/dev/null)"
    read -r w u sy rss x <<<"${line:-- - - - -}"
    [[ "$w" =~ ^[0-9.]+$ ]] || { w=0 u=0 sy=0 rss=0 x="${rc:-1}"; }
    [[ -n "$rc" && "$x" == 0 ]] && x="$rc"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$g" "$c" "$s" "$w" "$u" "$sy" "$rss" "$x" "" >>"$M"
}
# total GROUP CLIENT T0 T1 CPU0 CPU1 RC — the outer wall time and the server's CPU of one run.
total() {
    printf '%s\t%s\ttotal\t%s\t0\t0\t0\t%s\t%s\n' "$1" "$2" "$(minus "$4" "$3")" "$7" "$(minus "$6" "$5")" >>"$M"
}
# best_of N FUNC ARG... — run FUNC N times; keep the measurements of the run with the shortest total wall time.
best_of() {
    local n="$1" i best="" bw="" w rc=0 main="$M"
    shift
    for ((i = 1; i <= n; i++)); do
        M="$work/rep.$i.tsv"
        : >"$M"
        "$@" || rc=$?
        w="$(awk -F'\t' '$3 == "total" { print $4 }' "$M")"
        if [[ -z "$best" ]] || awk -v a="$w" -v b="$bw" 'BEGIN { exit !(a < b) }'; then best="$M" bw="$w"; fi
    done
    M="$main"
    cat "$best" >>"$M"
    return "$rc"
}
settle() { psql -X -q -d bench -c CHECKPOINT >/dev/null; }
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -d "${QDB:-bench}" -c "$1"; }
writes() {
    q "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname ~ '$1'"
}
tables_of() { sqlite3 "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"; }
# Rows in every table of a schema, in one query.
rows_in() {
    q "SELECT coalesce(sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
         table_schema, table_name), false, true, '')))[1]::text::bigint), 0)
       FROM information_schema.tables WHERE table_schema = '$1'"
}
qi() { printf '"%s"' "${1//\"/\"\"}"; } # quote an SQL identifier

cleanup() {
    pgcluster_stop
    if ((keep)); then log "work dir kept: $work"; else rm -rf "$work"; fi
}

# --- the tenant ------------------------------------------------------------------------------------------
DB="$work/tenant.db"
log "generating size $size: ${shape[0]} users x ${shape[1]} chats, ${shape[2]} channel messages"
"$GEN" create --schema-sql "$SCHEMA_SQL" --out "$DB" --users "${shape[0]}" --chats-per-user "${shape[1]}" \
    --messages-per-chat 0 --channel-messages "${shape[2]}" >/dev/null || die "syncpipe-gen create failed"
mapfile -t src_tables < <(tables_of "$DB")

# The scan query (every value's byte length, one line per table) and the row count.
scan_sql="$work/scan.sql"
: >"$scan_sql"
rows_total=0
for t in "${src_tables[@]}"; do
    mapfile -t cols < <(sqlite3 "$DB" "SELECT name FROM pragma_table_info('${t//\'/\'\'}')")
    expr=0
    for c in "${cols[@]}"; do expr+=" + coalesce(length(CAST($(qi "$c") AS BLOB)), 0)"; done
    echo "SELECT coalesce(sum($expr), 0) FROM $(qi "$t");" >>"$scan_sql"
    rows_total=$((rows_total + $(sqlite3 "$DB" "SELECT count(*) FROM $(qi "$t")")))
done
meta size "$size"
meta db_file_bytes "$(stat -c %s "$DB")"
meta rows "$rows_total"
meta chats "$(sqlite3 "$DB" 'SELECT count(*) FROM chat')"
meta channel_messages "$(sqlite3 "$DB" 'SELECT count(*) FROM message')"
meta tables "${#src_tables[@]}"
meta tiny_tenants "$tiny_n"
meta repeat "$repeat"

# --- the cluster -----------------------------------------------------------------------------------------
unset PGCLUSTER_DIR SERVICE_PASSFILE # a run nested in tests/run-all.sh gets a cluster of its own
# shellcheck source=tests/lib/pgcluster.sh
source "$repo/tests/lib/pgcluster.sh"
pgcluster_start || die "cannot start PostgreSQL"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pgcluster_migrate bench || die "migrations failed"
pgcluster_service_password bench || die "cannot set the service password"
SVC="host=127.0.0.1 port=$PGPORT user=sync_service dbname=bench"
export PGPASSFILE="$SERVICE_PASSFILE" # only sync_service over TCP uses it
export SYNCPIPE_HOST=bench
meta postgres "$(q 'SHOW server_version')"
meta sqlite "$(sqlite3 --version | cut -d' ' -f1)"

provision() { # CLIENT FILE [SNAPSHOT ARGS...]
    "$SNAP" --client "$1" --no-lease "${@:3}" "$2" 2>>"$work/err/provision" |
        "$LOAD" --provision --dsn "dbname=bench" 2>>"$work/err/provision"
}
log "provisioning tenant t"
provision t "$DB" || die "provisioning failed (see $work/err/provision)"

# --- (1) the plain scan ------------------------------------------------------------------------------------
cat "$DB" >/dev/null # the page cache is warm for every contender
log "scan"
scan() {
    local t0 t1 rc
    t0=$(now)
    tm "$work/t/scan" sqlite3 "$DB" <"$scan_sql" >"$work/scan.out" 2>"$work/err/scan"
    rc=$?
    t1=$(now)
    record scan - sqlite3 "$work/t/scan" "$rc"
    total scan - "$t0" "$t1" 0 0 "$rc"
    ((rc == 0)) || fail "sqlite3 scan failed: $(tail -n2 "$work/err/scan")"
}
best_of "$repeat" scan
meta value_bytes "$(awk '{ s += $1 } END { printf "%d\n", s }' "$work/scan.out")"

# --- (2) raw COPY into identical tables --------------------------------------------------------------------
log "raw COPY"
mapfile -t pg_tables < <(q "SELECT table_name FROM information_schema.tables WHERE table_schema = 't' ORDER BY 1")
copy_sql="$work/copy.sql"
echo "CREATE SCHEMA ref;" >"$work/ref.sql"
: >"$copy_sql"
for t in "${pg_tables[@]}"; do
    [[ " ${src_tables[*]} " == *" $t "* ]] || continue
    echo "CREATE TABLE ref.$(qi "$t") (LIKE t.$(qi "$t") INCLUDING ALL);" >>"$work/ref.sql"
    sel="" list=""
    while IFS='|' read -r c ty; do
        case "$c" in
            _sqlite_rowid) e="rowid" ;;
            *) e="$(qi "$c")" ;;
        esac
        [[ "$ty" == bytea ]] && e="CASE WHEN $e IS NULL THEN NULL ELSE '\\x' || hex($e) END"
        sel+="${sel:+, }$e"
        list+="${list:+, }$(qi "$c")"
    done < <(q "SELECT column_name, data_type FROM information_schema.columns
                WHERE table_schema = 't' AND table_name = '$t' ORDER BY ordinal_position")
    prog="$work/copy.$t.sh"
    printf '#!/bin/sh\nexec sqlite3 -csv %q %q\n' "$DB" "SELECT $sel FROM $(qi "$t")" >"$prog"
    chmod +x "$prog"
    echo "\\copy ref.$(qi "$t") ($list) FROM PROGRAM '$prog' CSV" >>"$copy_sql"
done
psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$work/ref.sql" >/dev/null || die "cannot create schema ref"
settle
c0=$(server_cpu) t0=$(now)
tm "$work/t/copy" psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$copy_sql" >/dev/null 2>"$work/err/copy"
rc=$?
t1=$(now) c1=$(server_cpu)
record copy - psql+sqlite3 "$work/t/copy" "$rc"
total copy - "$t0" "$t1" "$c0" "$c1" "$rc"
((rc == 0)) || fail "raw COPY failed: $(tail -n3 "$work/err/copy")"
n="$(rows_in ref)"
meta copy_rows "$n"
((rc != 0 || n == rows_total)) || fail "raw COPY loaded $n rows of $rows_total"
q "DROP SCHEMA ref CASCADE" >/dev/null

# --- (3) pgloader ------------------------------------------------------------------------------------------
# Data only, into a copy of the tenant's tables (pg_dump -s of schema t) in a database of its own: the same
# tables as the others. (Letting pgloader create its own tables adds every SQLite index, and pgloader 3.6.9
# crashes on the expression index of "user".)
if command -v pgloader >/dev/null; then
    log "pgloader"
    createdb bench_pgl && pg_dump -s -n t bench | psql -X -q -d bench_pgl >/dev/null 2>"$work/err/pgloader.schema"
    cat >"$work/pgloader.load" <<EOF
LOAD DATABASE
    FROM sqlite://$DB
    INTO postgresql://postgres@unix:$PGHOST:$PGPORT/bench_pgl
WITH data only, truncate, ${BENCH_PGLOADER_WITH:-workers = 2, concurrency = 1, batch rows = 1000, prefetch rows = 1000, batch size = 4MB}
SET PostgreSQL PARAMETERS search_path to 't', work_mem to '64MB', maintenance_work_mem to '256MB';
EOF
    settle
    c0=$(server_cpu) t0=$(now)
    # pgloader can hang after an internal error, and then ignores SIGTERM
    tm "$work/t/pgloader" timeout -k 10 "${BENCH_PGLOADER_TIMEOUT:-1800}" pgloader "$work/pgloader.load" \
        >"$work/err/pgloader" 2>&1
    rc=$?
    t1=$(now) c1=$(server_cpu)
    n="$(QDB=bench_pgl rows_in t)"
    meta pgloader_rows "$n"
    [[ "$n" == "$rows_total" || $rc != 0 ]] || rc=1
    record pgloader - pgloader "$work/t/pgloader" "$rc"
    total pgloader - "$t0" "$t1" "$c0" "$c1" "$rc"
    meta pgloader_version "$(pgloader --version 2>&1 </dev/null | sed -n 1p)"
    ((rc == 0)) || log "pgloader failed (a reference, not a failed check): rc $rc, $n of $rows_total rows: $(grep -m1 -A3 'KABOOM\|ERROR' "$work/err/pgloader" | tr '\n' ' ')"
    dropdb --force bench_pgl
else
    log "pgloader: not installed"
    meta pgloader_version "not installed"
fi

# --- (4) syncpipe ------------------------------------------------------------------------------------------
# cycle GROUP CLIENT FILE — one sync cycle as sync_service, every stage under GNU time. The snapshot skips
# the rows the local cache says are unchanged (as syncpipe-cycle does); the first sync has no cache yet.
cycle() {
    local g="$1" c="$2" f="$3" p="$work/t/$1.$2" e="$work/err/$1.$2" t0 t1 c0 c1 rc=0 s
    c0=$(server_cpu) t0=$(now)
    tm "$p.snapshot" "$SNAP" --client "$c" --no-lease --skip-unchanged --state-dir "$work/state" "$f" 2>"$e.snapshot" |
        tm "$p.diff" "$DIFF" --dsn "$SVC" --state-dir "$work/state" 2>"$e.diff" |
        tm "$p.resolve" "$RESOLVE" 2>"$e.resolve" |
        tm "$p.load" "$LOAD" --dsn "$SVC" --state-dir "$work/state" 2>"$e.load"
    local st=("${PIPESTATUS[@]}")
    t1=$(now) c1=$(server_cpu)
    local i=0
    for s in snapshot diff resolve load; do
        record "$g" "$c" "sync-$s" "$p.$s" "${st[i]}"
        ((st[i] == 0)) || { rc=${st[i]}; fail "$g: sync-$s exited ${st[i]} for $c: $(tail -n2 "$e.$s" | tr '\n' ' ')"; }
        i=$((i + 1))
    done
    total "$g" "$c" "$t0" "$t1" "$c0" "$c1" "$rc"
    return "$rc"
}
# Rows of TABLES in FILE vs schema SCHEMA (+ quarantine); a mismatch is a failed check.
same_rows() { # GROUP FILE SCHEMA TABLE...
    local g="$1" f="$2" s="$3" t a b bad=()
    shift 3
    for t in "$@"; do
        a="$(sqlite3 "$f" "SELECT count(*) FROM $(qi "$t")")"
        b="$(q "SELECT (SELECT count(*) FROM $(qi "$s").$(qi "$t")) + (SELECT count(*) FROM sync_metadata.quarantine
                WHERE client_id = '$s' AND table_name = '$t' AND resolved_at IS NULL)")"
        [[ "$a" == "$b" ]] || bad+=("$t $a/$b")
    done
    ((${#bad[@]} == 0)) || fail "$g: rows in SQLite/PostgreSQL+quarantine differ: ${bad[*]:0:5}"
}
# restore_measure — the tenant rebuilt from PostgreSQL alone right after its first sync, as sync_service
# (sync-snapshot --from-postgres | sync-load --to-sqlite, timed like a cycle), then proved against the base
# state with sync-diff --against-base (not timed). Issue 11's goal: no slower than the first sync.
restore_measure() {
    local p="$work/t/restore" e="$work/err/restore" f="$work/restored.db" t0 t1 c0 c1 rc=0
    rm -f "$f"
    settle
    c0=$(server_cpu) t0=$(now)
    tm "$p.snapshot" "$SNAP" --client t --from-postgres --dsn "$SVC" 2>"$e.snapshot" |
        tm "$p.load" "$LOAD" --to-sqlite "$f" 2>"$e.load"
    local st=("${PIPESTATUS[@]}")
    t1=$(now) c1=$(server_cpu)
    record restore t sync-snapshot "$p.snapshot" "${st[0]}"
    record restore t sync-load "$p.load" "${st[1]}"
    ((st[0] == 0 && st[1] == 0)) || rc=1
    total restore t "$t0" "$t1" "$c0" "$c1" "$rc"
    ((rc == 0)) || { fail "restore: exit ${st[*]}: $(tail -qn1 "$e.snapshot" "$e.load" | tr '\n' ' ')"; return 1; }
    meta restore_file_bytes "$(stat -c %s "$f")"
    "$SNAP" --client t --no-lease --all-rows "$f" 2>/dev/null | "$DIFF" --dsn "$SVC" --against-base 2>"$e.verify" ||
        fail "restore: the restored file differs from the base state: $(tail -n1 "$e.verify")"
    rm -f "$f"
}
# mutate SEED FRACTION — change that fraction of the chat+message rows: half updates, a quarter each inserts/deletes.
mutate() {
    local n base u i d
    base=$(($(sqlite3 "$DB" 'SELECT count(*) FROM chat') + $(sqlite3 "$DB" 'SELECT count(*) FROM message')))
    n="$(awk -v b="$base" -v f="$2" 'BEGIN { x = int(b * f); print (x < 4 ? 4 : x) }')"
    u=$((n / 2)) i=$((n / 4)) d=$((n - n / 2 - n / 4))
    "$GEN" mutate --db "$DB" --seed "$1" --tables chat,message --update "$u" --insert "$i" --delete "$d" \
        >"$work/mutate.$1" || fail "syncpipe-gen mutate failed"
    meta "changed_rows_$2" "$n"
}

if ((${#missing[@]})); then
    log "syncpipe rows are n/a: missing ${missing[*]}"
    meta syncpipe "n/a: missing ${missing[*]}"
    fail "syncpipe stages missing: ${missing[*]}"
else
    [[ "$RESOLVE" == cat ]] && meta note "sync-resolve replaced by cat (BENCH_RESOLVE)"
    log "syncpipe: first full sync"
    settle
    cycle first t "$DB" && same_rows first "$DB" t "${src_tables[@]}"
    log "syncpipe: restore"
    restore_measure
    settle
    log "syncpipe: no change"
    w0="$(writes '^t$')"
    best_of "$repeat" cycle nochange t "$DB"
    sleep 1 # a backend publishes its statistics when it exits
    w1="$(writes '^t$')"
    meta nochange_tenant_writes "$((w1 - w0))"
    ((w1 == w0)) || fail "nochange: $((w1 - w0)) rows written to the tenant tables"
    for frac in 0.001 0.01; do
        log "syncpipe: $frac changed"
        mutate "${frac#0.}" "$frac"
        settle
        cycle "changed_$frac" t "$DB" && same_rows "changed_$frac" "$DB" t chat message
    done
    log "syncpipe: one chat of $big_bytes bytes"
    "$GEN" big --db "$DB" --bytes "$big_bytes" >/dev/null || fail "syncpipe-gen big failed"
    meta big_row_bytes "$big_bytes"
    settle
    cycle big_row t "$DB" && same_rows big_row "$DB" t chat

    log "syncpipe: $tiny_n tiny tenants (provisioning)"
    "$GEN" create --schema-sql "$SCHEMA_SQL" --out "$work/tiny.db" --users 1 --chats-per-user 3 \
        --messages-per-chat 0 --channel-messages 6 >/dev/null || die "syncpipe-gen create (tiny) failed"
    for ((k = 1; k <= tiny_n; k++)); do
        cp "$work/tiny.db" "$work/tiny$k.db"
        provision "tiny$k" "$work/tiny$k.db" || die "provisioning tiny$k failed"
    done
    settle
    for g in tiny_first tiny_nochange; do
        log "syncpipe: $tiny_n tiny tenants ($g)"
        w0="$(writes '^tiny[0-9]+$')"
        t0=$(now)
        for ((k = 1; k <= tiny_n; k++)); do cycle "$g" "tiny$k" "$work/tiny$k.db"; done
        t1=$(now)
        meta "${g}_wall" "$(minus "$t1" "$t0")"
        sleep 1
        w1="$(writes '^tiny[0-9]+$')"
        meta "${g}_tenant_writes" "$((w1 - w0))"
        [[ $g == tiny_first ]] && same_rows tiny "$work/tiny1.db" tiny1 "${src_tables[@]}"
        [[ $g == tiny_first || $w1 == "$w0" ]] || fail "tiny_nochange: $((w1 - w0)) rows written to tenant tables"
        settle
    done

    # The same number of tiny tenants through systemd/syncpipe-cycle as a node runs it (lease gate, one
    # sync-jobs query for all, SYNCPIPE_JOBS tenants at once) on a host of their own, "tinyhost":
    #   cycle_first             every tenant never synced: the whole pipeline for each
    #   cycle_nochange          every tenant due by its interval, files unchanged: the fingerprint proof
    #   cycle_nochange_pipeline every tenant forced (syncpipe-cycle --force): the whole pipeline, nothing changed
    log "syncpipe-cycle: $tiny_n tiny tenants (provisioning, host tinyhost)"
    for ((k = 1; k <= tiny_n; k++)); do
        cp "$work/tiny.db" "$work/cyc$k.db"
        provision "cyc$k" "$work/cyc$k.db" --host tinyhost || die "provisioning cyc$k failed"
    done
    q "UPDATE sync_metadata.client_deployments SET sync_interval_seconds = 1 WHERE host_id = 'tinyhost'" >/dev/null
    sleep 2.1 # the files' timestamps must be older than the fingerprint's settle margin (2 s)
    settle
    cyc() { # cyc GROUP — one syncpipe-cycle run of node-a, timed
        local g="$1" t0 t1 c0 c1 rc w0 w1
        w0="$(writes '^cyc[0-9]+$')"
        c0=$(server_cpu) t0=$(now)
        env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE=bench PGUSER=sync_service SYNCPIPE_BINDIR="$work/bin" \
            STATE_DIRECTORY="$work/cycstate" SYNCPIPE_TTL=60 "$repo/systemd/syncpipe-cycle" tinyhost node-a \
            2>"$work/err/$g"
        rc=$?
        t1=$(now) c1=$(server_cpu)
        total "$g" - "$t0" "$t1" "$c0" "$c1" "$rc"
        ((rc == 0)) || fail "$g: syncpipe-cycle exited $rc: $(grep -m3 'error' "$work/err/$g" | tr '\n' ' ')"
        sleep 1 # a backend publishes its statistics when it exits; also makes every tenant due again (interval 1 s)
        w1="$(writes '^cyc[0-9]+$')"
        meta "${g}_tenant_writes" "$((w1 - w0))"
        meta "${g}_pipelines" "$(grep -c ': exit 0 (snapshot' "$work/err/$g")"
        [[ $g == cycle_first || $w1 == "$w0" ]] || fail "$g: $((w1 - w0)) rows written to tenant tables"
        settle
    }
    mkdir -p "$work/bin" "$work/cycstate"
    for t in lease snapshot diff resolve load jobs; do ln -sf "$build/tools/$t/sync-$t" "$work/bin/"; done
    meta cycle_tenants "$tiny_n"
    meta cycle_jobs "${SYNCPIPE_JOBS:-$(nproc)}"
    cyc cycle_first
    same_rows cycle_first "$work/cyc1.db" cyc1 "${src_tables[@]}"
    cyc cycle_nochange
    env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE=bench PGUSER=sync_service SYNCPIPE_BINDIR="$work/bin" \
        "$repo/systemd/syncpipe-cycle" --force tinyhost 2>>"$work/err/cycle_force" || fail "syncpipe-cycle --force failed"
    cyc cycle_nochange_pipeline
fi

# --- (5) the app comes first ------------------------------------------------------------------------------
# app_writer MODE — the first sync of a rollback-journal copy of the tenant (sync-snapshot --copy MODE) while
# an Open WebUI-like writer commits one small transaction every 20 ms with Python's sqlite3 (busy timeout 5 s,
# SQLAlchemy's default). Records the writer's worst and p99 commit latency and its "database is locked"
# errors (target: worst <= 0.5 s, no error, with the default --copy auto).
app_writer() {
    local mode="$1" f="$work/app_$1.db" p="$work/t/app_$1" e="$work/err/app_$1" st wpid
    if ! cp "$DB" "$f" || ! sqlite3 "$f" 'PRAGMA journal_mode=DELETE' >/dev/null; then
        fail "app_$mode: no copy"
        return
    fi
    provision "app_$mode" "$f" || { fail "app_$mode: provisioning failed"; return; }
    cat >"$work/app_writer.py" <<'PY'
import os, sqlite3, sys, time
db, stop = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db, timeout=5.0, isolation_level=None)
lat, busy, n = [], 0, 0
while not os.path.exists(stop):
    n += 1
    t0 = time.monotonic()
    try:
        con.execute("BEGIN")
        con.execute("INSERT INTO config(\"key\", value, updated_at) VALUES (?, '1', 0)", (f"bench.app.{n}",))
        con.execute("COMMIT")
    except sqlite3.OperationalError:
        busy += 1
        try: con.execute("ROLLBACK")
        except sqlite3.Error: pass
    lat.append(time.monotonic() - t0)
    time.sleep(0.02)
lat.sort()
print(f"{len(lat)} {lat[-1] * 1000:.1f} {lat[int(len(lat) * 0.99)] * 1000:.1f} {busy}")
PY
    rm -f "$work/app.stop"
    python3 "$work/app_writer.py" "$f" "$work/app.stop" >"$work/app_$mode.out" 2>"$e.writer" &
    wpid=$!
    # shellcheck disable=SC2016 # the inner bash expands its own positional parameters
    tm "$p.sync" bash -c '"$1" --client "$2" --no-lease --copy "$3" "$4" | "$5" --dsn "$6" --state-dir "$7" |
        "$8" | "$9" --dsn "$6" --state-dir "$7"' _ "$SNAP" "app_$mode" "$mode" "$f" "$DIFF" "$SVC"         "$work/state" "$RESOLVE" "$LOAD" 2>"$e"
    st=$?
    touch "$work/app.stop"
    wait "$wpid"
    record app "app_$mode" pipeline "$p.sync" "$st"
    ((st == 0)) || fail "app_$mode: the sync exited $st: $(tail -n2 "$e" | tr '\n' ' ')"
    read -r n worst p99 busy <"$work/app_$mode.out" || { fail "app_$mode: the writer failed: $(tail -n2 "$e.writer")"; return; }
    meta "app_${mode}_writes" "$n"
    meta "app_${mode}_worst_write_ms" "$worst"
    meta "app_${mode}_p99_write_ms" "$p99"
    meta "app_${mode}_busy_errors" "$busy"
    log "app writer during a first sync with --copy $mode: $n writes, worst $worst ms, p99 $p99 ms, $busy busy errors"
    if [[ $mode == auto ]] && { ((busy > 0)) || awk -v w="$worst" 'BEGIN { exit !(w > 500) }'; }; then
        log "target missed: the app's worst write must stay <= 500 ms with no busy error"
    fi
}
if [[ "${BENCH_APP:-1}" == 1 && ${#missing[@]} == 0 ]]; then
    for mode in auto never; do
        log "the app comes first: --copy $mode"
        app_writer "$mode"
        settle
    done
fi

# --- report ------------------------------------------------------------------------------------------------
meta machine "$(nproc) CPU $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(awk '/MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo)"
meta kernel "$(uname -r)"
meta commit "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
out="$results_dir/$size-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 "$repo/bench/report.py" "$M" "$META" "$out" || fail "report failed"
log "results: $out"
((failures == 0)) || { log "$failures check(s) failed"; exit 1; }

# shellcheck shell=bash disable=SC2154 # sourced by bench/run.sh, which sets the variables it reads
# bench/run-references.sh — the references syncpipe is measured against; sourced by bench/run.sh.
#
#   scan       a plain sqlite3 read of every value of every table (sum of byte lengths, one line per table)
#   copy       raw COPY of the same rows into identical tables, one psql session: per table
#              \copy ... FROM PROGRAM 'sqlite3 -csv FILE "SELECT ..."' (single stream: the issue's yardstick)
#   pcopy      the same \copy lines spread over $(nproc) psql sessions at once, largest tables first, each to
#              the least loaded session: the ceiling of this machine
#   pgloader   when installed: data only into a copy of the same tables in a database of its own
# Each loading reference writes into tables created just before it (LIKE the tenant's, INCLUDING ALL) and
# dropped after its row count is checked.

# pgloader's options after "data only, truncate": the only place they are written (bench/README.md quotes
# them; run.sh checks it does). 1000-row / 4 MB batches are its best here: larger ones exhaust its 1 GB heap
# at L, or with --dynamic-space-size 4096 take 1.5x as long.
PGLOADER_WITH_DEFAULT="workers = 2, concurrency = 1, batch rows = 1000, prefetch rows = 1000, batch size = 4MB"
pgloader_with="${BENCH_PGLOADER_WITH:-$PGLOADER_WITH_DEFAULT}"

# prepare_scan — $work/scan.sql (one SELECT per table) and rows_total; runs it once untimed, which warms
# the page cache and gives each table's bytes of values (table_bytes[T]) and value_bytes.
declare -A table_bytes
prepare_scan() {
    local t c expr i=0 n
    local -a cols sums
    : >"$work/scan.sql"
    rows_total=0
    for t in "${src_tables[@]}"; do
        mapfile -t cols < <(sqlite3 "$DB" "SELECT name FROM pragma_table_info('${t//\'/\'\'}')")
        expr=0
        for c in "${cols[@]}"; do expr+=" + coalesce(length(CAST($(qi "$c") AS BLOB)), 0)"; done
        echo "SELECT coalesce(sum($expr), 0) FROM $(qi "$t");" >>"$work/scan.sql"
        n="$(sqlite3 "$DB" "SELECT count(*) FROM $(qi "$t")")" || die "cannot count $t"
        rows_total=$((rows_total + n))
    done
    mapfile -t sums < <(sqlite3 "$DB" <"$work/scan.sql")
    ((${#sums[@]} == ${#src_tables[@]})) || die "the scan printed ${#sums[@]} sums for ${#src_tables[@]} tables"
    for t in "${src_tables[@]}"; do
        table_bytes[$t]="${sums[i]}"
        i=$((i + 1))
    done
    meta value_bytes "$(printf '%s\n' "${sums[@]}" | awk '{ s += $1 } END { printf "%d\n", s }')"
}

scan() {
    local t0 t1 rc
    settle
    t0=$(now)
    tm "$work/t/scan" sqlite3 "$DB" <"$work/scan.sql" >/dev/null 2>"$work/err/scan"
    rc=$?
    t1=$(now)
    record scan - sqlite3 "$work/t/scan" "$rc"
    total scan - "$t0" "$t1" 0 0 "$rc"
    ((rc == 0)) || fail "sqlite3 scan failed: $(tail -n2 "$work/err/scan")"
}

# prepare_copy — for every table of schema t: $work/copy.T.sh (sqlite3 -csv of its columns, bytea as hex)
# and the \copy line of each reference schema (ref: one session; pref: $(nproc) sessions, greedy by bytes).
prepare_copy() {
    local t s c ty e k best
    local -a load=() order
    local -A sel=() list=()
    sessions=$(nproc)
    meta copy_sessions "$sessions"
    for ((k = 0; k < sessions; k++)); do
        : >"$work/pref.$k.sql"
        load[k]=0
    done
    : >"$work/ref.copy.sql"
    echo "CREATE SCHEMA ref;" >"$work/ref.schema.sql"
    echo "CREATE SCHEMA pref;" >"$work/pref.schema.sql"
    while IFS='|' read -r t c ty; do
        case "$c" in
            _sqlite_rowid) e="rowid" ;;
            *) e="$(qi "$c")" ;;
        esac
        [[ "$ty" == bytea ]] && e="CASE WHEN $e IS NULL THEN NULL ELSE '\\x' || hex($e) END"
        sel[$t]+="${sel[$t]:+, }$e"
        list[$t]+="${list[$t]:+, }$(qi "$c")"
    done < <(q "SELECT table_name, column_name, data_type FROM information_schema.columns
                WHERE table_schema = 't' ORDER BY table_name, ordinal_position")
    mapfile -t order < <(for t in "${!table_bytes[@]}"; do printf '%s\t%s\n' "${table_bytes[$t]}" "$t"; done |
        sort -t$'\t' -k1,1nr -k2 | cut -f2)
    for t in "${order[@]}"; do # largest first, each to the least loaded session
        [[ -n "${sel[$t]:-}" ]] || continue
        printf '#!/bin/sh\nexec sqlite3 -csv %q %q\n' "$DB" "SELECT ${sel[$t]} FROM $(qi "$t")" >"$work/copy.$t.sh"
        chmod +x "$work/copy.$t.sh"
        for s in ref pref; do echo "CREATE TABLE $s.$(qi "$t") (LIKE t.$(qi "$t") INCLUDING ALL);" >>"$work/$s.schema.sql"; done
        echo "\\copy ref.$(qi "$t") (${list[$t]}) FROM PROGRAM '$work/copy.$t.sh' CSV" >>"$work/ref.copy.sql"
        best=0
        for ((k = 1; k < sessions; k++)); do ((load[k] < load[best])) && best=$k; done
        echo "\\copy pref.$(qi "$t") (${list[$t]}) FROM PROGRAM '$work/copy.$t.sh' CSV" >>"$work/pref.$best.sql"
        load[best]=$((load[best] + table_bytes[$t]))
    done
    meta pcopy_session_bytes "${load[*]}"
}

# copy_run GROUP SCHEMA SQLFILE... — one run of a raw COPY reference: fresh tables in SCHEMA, one psql
# session per SQLFILE (all at once), timed as one process tree (psql and its sqlite3 children), rows checked.
copy_run() {
    local g="$1" s="$2" t0 t1 c0 c1 rc n
    shift 2
    psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$work/$s.schema.sql" >/dev/null || { fail "$g: cannot create schema $s"; return; }
    settle
    c0=$(server_cpu) t0=$(now)
    if (($# == 1)); then
        tm "$work/t/$g" psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$1" >/dev/null 2>"$work/err/$g"
    else
        # shellcheck disable=SC2016 # the inner bash expands its own positional parameters
        tm "$work/t/$g" bash -c 'for f; do psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$f" & done
            rc=0; for f; do wait -n || rc=1; done; exit $rc' _ "$@" >/dev/null 2>"$work/err/$g"
    fi
    rc=$?
    t1=$(now) c1=$(server_cpu)
    record "$g" - psql+sqlite3 "$work/t/$g" "$rc"
    total "$g" - "$t0" "$t1" "$c0" "$c1" "$rc"
    ((rc == 0)) || fail "$g failed: $(tail -n3 "$work/err/$g" | tr '\n' ' ')"
    n="$(rows_in "$s")"
    value "${g}_rows" "$n"
    ((rc != 0 || n == rows_total)) || fail "$g loaded $n rows of $rows_total"
    q "DROP SCHEMA $s CASCADE" >/dev/null
}

# pgloader_run — data only, into a copy of the tenant's tables (pg_dump -s of schema t) in a database of its
# own. (Letting pgloader create its own tables adds every SQLite index, and pgloader 3.6.9 crashes on the
# expression index of "user".) A pgloader failure is logged, not a failed check: it is a reference.
pgloader_run() {
    local t0 t1 c0 c1 rc n
    createdb bench_pgl && pg_dump -s -n t bench | psql -X -q -d bench_pgl >/dev/null 2>"$work/err/pgloader.schema"
    cat >"$work/pgloader.load" <<EOF
LOAD DATABASE
    FROM sqlite://$DB
    INTO postgresql://postgres@unix:$PGHOST:$PGPORT/bench_pgl
WITH data only, truncate, $pgloader_with
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
    value pgloader_rows "$n"
    [[ "$n" == "$rows_total" || $rc != 0 ]] || rc=1
    record pgloader - pgloader "$work/t/pgloader" "$rc"
    total pgloader - "$t0" "$t1" "$c0" "$c1" "$rc"
    ((rc == 0)) || log "pgloader failed (a reference, not a failed check): rc $rc, $n of $rows_total rows: $(grep -m1 -A3 'KABOOM\|ERROR' "$work/err/pgloader" | tr '\n' ' ')"
    dropdb --force bench_pgl
}

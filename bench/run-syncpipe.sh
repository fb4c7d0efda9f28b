# shellcheck shell=bash disable=SC2154 # sourced by bench/run.sh, which sets the variables it reads
# bench/run-syncpipe.sh — syncpipe's runs in bench/run.sh; sourced by it, not run.

provision() { # CLIENT FILE [SNAPSHOT ARGS...] — as the admin, untimed
    "$SNAP" --client "$1" --no-lease --all-rows "${@:3}" "$2" 2>>"$work/err/provision" |
        "$LOAD" --provision --dsn "dbname=bench" 2>>"$work/err/provision"
}

# reset_tenants REGEX — forget the tenants whose id matches, as the admin, so the next run of a first sync
# starts from nothing again: their schemas, every sync_metadata row naming them, their state-directory
# caches; then VACUUM FULL of sync_metadata, so every run writes into tables as empty as the first run's.
# One statement per transaction: dropping 150 schemas at once runs out of lock slots.
reset_tenants() {
    local c sql
    local -a ids
    mapfile -t ids < <(q "SELECT client_id FROM sync_metadata.client_deployments WHERE client_id ~ '$1'")
    for c in "${ids[@]}"; do rm -f "$work/state/$c".* "$work/cycstate/$c".*; done
    sql="$(q "SELECT format('DROP SCHEMA IF EXISTS %I CASCADE;', schema_name) FROM sync_metadata.client_deployments
               WHERE client_id ~ '$1'" &&
        q "SELECT format('DELETE FROM sync_metadata.%I WHERE client_id ~ %L;', c.table_name, '$1')
             FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = 'sync_metadata' AND c.column_name = 'client_id' AND t.table_type = 'BASE TABLE'" &&
        q "SELECT format('VACUUM (FULL, ANALYZE) sync_metadata.%I;', table_name) FROM information_schema.tables
            WHERE table_schema = 'sync_metadata' AND table_type = 'BASE TABLE'")" || die "cannot list what to reset for $1"
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -d bench <<<"$sql" >/dev/null ||
        die "cannot reset the tenants $1"
}

# cycle GROUP CLIENT FILE — one sync cycle as sync_service, every stage under GNU time. The snapshot skips
# the rows the local cache says are unchanged (as syncpipe-cycle does); the first sync has no cache yet.
cycle() {
    local g="$1" c="$2" f="$3" p="$work/t/$1.$2" e="$work/err/$1.$2" t0 t1 c0 c1 rc=0 s i=0
    c0=$(server_cpu) t0=$(now)
    tm "$p.snapshot" "$SNAP" --client "$c" --no-lease --skip-unchanged --state-dir "$work/state" "$f" 2>"$e.snapshot" |
        tm "$p.diff" "$DIFF" --dsn "$SVC" --state-dir "$work/state" 2>"$e.diff" |
        tm "$p.resolve" "$RESOLVE" 2>"$e.resolve" |
        tm "$p.load" "$LOAD" --dsn "$SVC" --state-dir "$work/state" 2>"$e.load"
    local st=("${PIPESTATUS[@]}")
    t1=$(now) c1=$(server_cpu)
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

# first_sync — run $RUN's first full sync of tenant t: on a tenant provisioned just before (reset first
# from run 2 on), then its rows checked.
first_sync() {
    if ((RUN > 1)); then
        reset_tenants '^t$'
        provision t "$DB" || die "provisioning t again failed (see $work/err/provision)"
    fi
    settle
    cycle first t "$DB" && same_rows first "$DB" t "${src_tables[@]}"
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
    value restore_file_bytes "$(stat -c %s "$f")"
    "$SNAP" --client t --no-lease --all-rows "$f" 2>/dev/null | "$DIFF" --dsn "$SVC" --against-base 2>"$e.verify" ||
        fail "restore: the restored file differs from the base state: $(tail -n1 "$e.verify")"
    rm -f "$f"
}

# nochange — a cycle of tenant t with nothing changed; it must write nothing to the tenant's tables.
nochange() {
    local w0 w1
    settle
    w0="$(writes '^t$')"
    cycle nochange t "$DB"
    quiesce
    w1="$(writes '^t$')"
    value nochange_tenant_writes "$((w1 - w0))"
    ((w1 == w0)) || fail "nochange: $((w1 - w0)) rows written to the tenant tables"
}

# changed FRACTION SEED — change that fraction of the chat+message rows (half updates, a quarter each
# inserts and deletes), then a timed cycle, then the rows checked.
changed() {
    local n base u i d
    base=$(($(sqlite3 "$DB" 'SELECT count(*) FROM chat') + $(sqlite3 "$DB" 'SELECT count(*) FROM message')))
    n="$(awk -v b="$base" -v f="$1" 'BEGIN { x = int(b * f); print (x < 4 ? 4 : x) }')"
    u=$((n / 2)) i=$((n / 4)) d=$((n - n / 2 - n / 4))
    "$GEN" mutate --db "$DB" --seed "$2" --tables chat,message --update "$u" --insert "$i" --delete "$d" \
        >"$work/mutate.$2" || fail "syncpipe-gen mutate failed"
    value "changed_rows_$1" "$n"
    settle
    cycle "changed_$1" t "$DB" && same_rows "changed_$1" "$DB" t chat message
}

#!/usr/bin/env bats
# A key-less table whose columns shadow rowid, oid and _rowid_ (issue 16 item 7): SQLite gives no access
# to its rowid, so the row content is the key, with identical rows counted (sync-snapshot(1), "Key
# choice"). It loads, converges, and deletes one of several identical rows exactly.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=h1
    pgcluster_service_db keyless || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
snap() { "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$2"; }
sync() {
    snap "$1" "$2" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" |
        "$B/tools/resolve/sync-resolve" | "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W/state"
}
# the rows of the shadowing table in SQLite and in PostgreSQL, in one comparable form
src_rows() { sqlite3 "$W/$1.db" "SELECT coalesce(rowid, '-') || '|' || coalesce(oid, '-') || '|' || coalesce(_rowid_, '-') FROM main.legacy ORDER BY 1"; }
pg_rows() { q "SELECT r FROM (SELECT coalesce(rowid, '-') || '|' || coalesce(oid::text, '-') || '|' || coalesce(_rowid_::text, '-') AS r FROM $1.legacy) s ORDER BY r COLLATE \"C\""; }

@test "the rowid shadowed three times: keyed by content, duplicates counted, loads and converges" {
    mkdir -p "$W/state"
    for lineage in webui-schema.sql webui-schema-upgraded-from-peewee.sql; do
        c=kl_${lineage%%.sql}
        c=${c//-/_}
        "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/$lineage" --out "$W/$c.db" --users 2 >/dev/null
        sqlite3 "$W/$c.db" "CREATE TABLE legacy(rowid TEXT, oid INTEGER, _rowid_ TEXT);
            INSERT INTO legacy VALUES ('a', 1, 'x'), ('a', 1, 'x'), ('a', 1, 'x'), ('b', NULL, NULL), (NULL, NULL, NULL);"
        snap "$c" "$W/$c.db" | "$B/tools/load/sync-load" --provision --dsn "dbname=$DB"
        run sync "$c" "$W/$c.db"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(pg_rows "$c")" = "$(src_rows "$c")" ]
        [ "$(q "SELECT count(DISTINCT _sqlite_row) FROM $c.legacy")" = 5 ]
        # one of three identical rows deleted, one row changed, one added: exactly that in PostgreSQL
        python3 - "$W/$c.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
# no SQL name reaches the real rowid here, so delete one duplicate through a rebuild
rows = db.execute('SELECT "rowid", "oid", "_rowid_" FROM legacy').fetchall()
rows.remove(('a', 1, 'x'))
rows = [('B', None, 'new') if r == ('b', None, None) else r for r in rows] + [('c', 3, 'y')]
db.execute("DELETE FROM legacy")
db.executemany("INSERT INTO legacy VALUES (?, ?, ?)", rows)
db.commit()
PY
        [ "$(sqlite3 "$W/$c.db" "SELECT count(*) FROM legacy WHERE oid = 1")" = 2 ]
        run sync "$c" "$W/$c.db"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(pg_rows "$c")" = "$(src_rows "$c")" ]
        [ "$(q "SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id = '$c' AND table_name = 'legacy'")" = 2 ]
        # a cycle with no change writes nothing
        run sync "$c" "$W/$c.db"
        [ "$status" -eq 0 ]
        [[ "$output" == *" 0 inserts, 0 updates, 0 deletes"* ]]
    done
}

@test "restore: the shadowing table comes back with its rows, without the synthetic _sqlite_row column" {
    mkdir -p "$W/state"
    local c=kl_restore
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/$c.db" --users 2 >/dev/null
    sqlite3 "$W/$c.db" "CREATE TABLE legacy(rowid TEXT, oid INTEGER, _rowid_ TEXT);
        INSERT INTO legacy VALUES ('a', 1, 'x'), ('a', 1, 'x'), ('b', NULL, NULL), (NULL, NULL, NULL);"
    snap "$c" "$W/$c.db" | "$B/tools/load/sync-load" --provision --dsn "dbname=$DB"
    run -0 sync "$c" "$W/$c.db"
    run -0 --separate-stderr bash -c '"$1" --client "$2" --from-postgres --dsn "$3" | "$4" --to-sqlite "$5"' _ \
        "$B/tools/snapshot/sync-snapshot" "$c" "$SVC" "$B/tools/load/sync-load" "$W/restored.db"
    [ "$(sqlite3 "$W/restored.db" "SELECT group_concat(name, ',') FROM pragma_table_info('legacy')")" = "rowid,oid,_rowid_" ]
    cp "$W/restored.db" "$W/$c-restored.db"
    [ "$(src_rows "$c-restored")" = "$(src_rows "$c")" ]
}

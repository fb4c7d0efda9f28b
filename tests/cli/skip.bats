#!/usr/bin/env bats
# sync-snapshot's default (issue 6; the default since issue 15, --skip-unchanged still accepted): rows
# the local base-state cache says are unchanged are never written; sync-diff verifies each table's
# "unchanged" summary against the authoritative base and refuses a stream built from a stale cache (exit
# 75, nothing loadable written). --all-rows and --no-cache write every row; the consumers that need every
# row refuse a skipping stream.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/skip.bats
#
# Each test uses its own tenants and state directories.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"
source "$BATS_TEST_DIRNAME/../lib/digest.bash"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" SYNCPIPE_HOST=h1
    pgcluster_service_db skip || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

setup() {
    W="$BATS_TEST_TMPDIR"
    T="s${BATS_TEST_NUMBER}_$RANDOM"
    mkdir -p "$W/state" "$W/a" "$W/b"
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
tenant() { # tenant NAME — a generated alembic-born tenant, provisioned
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/$1.db" --users 4 \
        --chats-per-user 6 >/dev/null
    "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$W/$1.db" |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" >/dev/null
}
# snap CLIENT STATE_DIR [args] — a snapshot that skips by the cache in STATE_DIR (the default)
snap() { "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease --state-dir "$2" "${@:3}" "$W/$1.db"; }
diff_() { "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$1"; }
diff_to() { diff_ "$1" >"$2"; } # diff_to STATE_DIR OUT — stderr only is left for `run`
load() { "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$1"; }
# sync CLIENT STATE_DIR [--plain] — one cycle; --plain: the snapshot writes every row (--all-rows)
sync() {
    if [[ "${3:-}" == --plain ]]; then
        snap "$1" "$2" --all-rows | diff_ "$2" | "$B/tools/resolve/sync-resolve" | load "$2"
    else
        snap "$1" "$2" | diff_ "$2" | "$B/tools/resolve/sync-resolve" | load "$2"
    fi
}
types() { python3 -c 'import json,sys
for l in sys.stdin: print(json.loads(l)["t"])' | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' '; }
writes() { q "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = '$1'"; }
flush_stats() { sleep 0.6; q "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true; }
# every row of every table of schema S, as one digest per table
contents() {
    local t
    for t in $(sqlite3 "$W/$2.db" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
        echo "$t $(q "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text COLLATE \"C\")), '-')
                        FROM \"$1\".\"$t\" x")"
    done
}
summary_field() { # summary_field FILE TABLE FIELD — a field of the table's unchanged record
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["t"] == "unchanged" and r["table"] == sys.argv[2]: print(r[sys.argv[3]])' "$@"
}

@test "no change: the snapshot writes no row, the diff no change, the load writes nothing" {
    tenant "$T"
    run -0 sync "$T" "$W/state" # the first sync has no cache: every row is written
    snap "$T" "$W/state" >"$W/snap.ndjson" 2>"$W/snap.err"
    cat "$W/snap.err"
    run types <"$W/snap.ndjson"
    echo "$output"
    [[ "$output" != *"row="* ]]
    [[ "$output" == *"unchanged="* ]]
    [[ "$output" != *"absent_keys="* ]]
    [ "$(head -n1 "$W/snap.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["skip_unchanged"])')" = True ]
    [ "$(summary_field "$W/snap.ndjson" chat rows)" = "$(sqlite3 "$W/$T.db" 'SELECT count(*) FROM chat')" ]
    [ "$(summary_field "$W/snap.ndjson" chat absent)" = 0 ]
    grep -q "rows written" "$W/snap.err"
    diff_ "$W/state" <"$W/snap.ndjson" >"$W/diff.ndjson"
    run types <"$W/diff.ndjson"
    [[ "$output" != *"change="* && "$output" != *"conflict="* && "$output" != *"unchanged="* ]]
    flush_stats
    before=$(writes "$T")
    jobs=$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = '$T'")
    run -0 sync "$T" "$W/state"
    flush_stats
    [ "$(writes "$T")" = "$before" ]
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = '$T'")" = $((jobs + 1)) ]
}

@test "updates, inserts and hard deletes converge exactly as with --all-rows" {
    tenant "$T"
    cp "$W/$T.db" "$W/${T}p.db"
    "$B/tools/snapshot/sync-snapshot" --client "${T}p" --no-lease "$W/${T}p.db" |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" >/dev/null
    run -0 sync "$T" "$W/state"
    run -0 sync "${T}p" "$W/state" --plain
    for round in 1 2; do
        "$GEN" mutate --db "$W/$T.db" --seed "$round" --insert 15 --update 25 --delete 10 --now 1700000000 >/dev/null
        sqlite3 "$W/$T.db" "DELETE FROM chat WHERE rowid IN (SELECT rowid FROM chat ORDER BY id LIMIT 2);
                            UPDATE tag SET name = name || ' x' WHERE rowid = (SELECT min(rowid) FROM tag);
                            INSERT INTO tag (id, name, user_id) SELECT 'new$round', 'New', id FROM \"user\" LIMIT 1;"
        cp "$W/$T.db" "$W/${T}p.db"
        snap "$T" "$W/state" >"$W/snap.ndjson"
        [ "$(summary_field "$W/snap.ndjson" chat absent)" -ge 2 ]
        grep -q '"t":"absent_keys"' "$W/snap.ndjson"
        run -0 sync "$T" "$W/state"
        run -0 sync "${T}p" "$W/state" --plain
        diff <(contents "$T" "$T") <(contents "${T}p" "$T")
        assert_tenant_digest "$W/$T.db" "$T"
    done
    [ "$(sqlite3 "$W/$T.db" 'SELECT count(*) FROM chat')" = "$(q "SELECT count(*) FROM \"$T\".chat")" ]
    [ "$(q "SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id = '$T'")" = \
      "$(q "SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id = '${T}p'")" ]
    [ "$(q "SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id = '$T'")" -ge 4 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.row_state WHERE client_id = '$T'")" = \
      "$(q "SELECT count(*) FROM sync_metadata.row_state WHERE client_id = '${T}p'")" ]
}

@test "value traps and every key kind hash the same skipped or written: nothing changed, no row sent" {
    tenant "$T"
    "$GEN" traps --db "$W/$T.db" >/dev/null
    sqlite3 "$W/$T.db" <<'SQL'
CREATE TABLE nokey (a TEXT, b INTEGER);
CREATE TABLE r (k REAL PRIMARY KEY, v TEXT);
CREATE TABLE bl (k BLOB PRIMARY KEY, v BLOB);
CREATE TABLE "we""ird" (k1 INTEGER NOT NULL, k2 TEXT NOT NULL, v TEXT, PRIMARY KEY (k1, k2));
CREATE TABLE nul (k TEXT, v TEXT);
CREATE UNIQUE INDEX nul_k ON nul (k);
INSERT INTO nokey VALUES ('x', 1), ('y', NULL), (NULL, NULL);
INSERT INTO r VALUES (0.1, 'a'), (-1e300, 'b'), (-0.0, NULL);
INSERT INTO bl VALUES (X'00ff10', X''), (X'', NULL);
INSERT INTO "we""ird" VALUES (-9223372036854775808, 'tab	"quote"
newline', 'a'), (9223372036854775807, '', 'ü');
INSERT INTO nul VALUES (NULL, 'null key part'), ('k', CAST(X'ff00fe' AS TEXT));
SQL
    "$B/tools/snapshot/sync-snapshot" --client "$T" --no-lease "$W/$T.db" |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" >/dev/null
    run -0 sync "$T" "$W/state"
    [ "$(q "SELECT count(*) FROM sync_metadata.quarantine WHERE client_id = '$T'")" -gt 0 ]
    snap "$T" "$W/state" >"$W/snap.ndjson"
    run types <"$W/snap.ndjson"
    echo "$output"
    [[ "$output" != *"row="* && "$output" != *"absent_keys="* ]]
    run -0 diff_ "$W/state" <"$W/snap.ndjson"
    # one byte changed in a trap row is written, and only that row
    sqlite3 "$W/$T.db" "UPDATE nokey SET a = 'X' WHERE b = 1; UPDATE bl SET v = X'01' WHERE k = X'00ff10'"
    snap "$T" "$W/state" >"$W/snap.ndjson"
    [ "$(grep -c '"t":"row"' "$W/snap.ndjson")" = 2 ]
    run -0 sync "$T" "$W/state"
    assert_tenant_digest "$W/$T.db" "$T"
}

@test "a stale cache: sync-diff exits 75, nothing is written, the next run succeeds" {
    tenant "$T"
    run -0 sync "$T" "$W/a"  # A's cache: generation g
    id=$(sqlite3 "$W/$T.db" 'SELECT id FROM chat ORDER BY id LIMIT 1')
    title=$(sqlite3 "$W/$T.db" "SELECT title FROM chat WHERE id = '$id'")
    sqlite3 "$W/$T.db" "UPDATE chat SET title = 'changed on the other node' WHERE id = '$id'"
    run -0 sync "$T" "$W/b"  # the other node loads the change: generation g+1, A does not know
    sqlite3 "$W/$T.db" "UPDATE chat SET title = '$title' WHERE id = '$id'"  # back to what A's cache has
    gen=$(q "SELECT generation FROM sync_metadata.client_deployments WHERE client_id = '$T'")
    jobs=$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = '$T'")
    flush_stats
    before=$(writes "$T")
    snap "$T" "$W/a" >"$W/snap.ndjson"
    run -75 diff_to "$W/a" "$W/diff.ndjson" <"$W/snap.ndjson"
    echo "$output"
    [ "${#lines[@]}" -eq 1 ]
    [[ "${lines[0]}" == "sync-diff: error: table chat: "*"stale local cache"*"run the pipeline again"* ]]
    run ! grep -q '"t":"trailer"' "$W/diff.ndjson"
    run load "$W/a" <"$W/diff.ndjson"
    [ "$status" -eq 65 ]
    flush_stats
    [ "$(writes "$T")" = "$before" ]
    [ "$(q "SELECT generation FROM sync_metadata.client_deployments WHERE client_id = '$T'")" = "$gen" ]
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = '$T'")" = "$jobs" ]
    # the refused run refreshed A's cache: the next run skips by the right base and converges
    run -0 sync "$T" "$W/a"
    [ "$(q "SELECT title FROM \"$T\".chat WHERE id = '$id'")" = "$title" ]
    snap "$T" "$W/a" >"$W/snap.ndjson"
    run types <"$W/snap.ndjson"
    [[ "$output" != *"row="* ]]
}

@test "a stale cache that only lacks deletes and inserts still verifies" {
    tenant "$T"
    run -0 sync "$T" "$W/a"
    "$GEN" mutate --db "$W/$T.db" --seed 7 --insert 5 --update 5 --delete 5 --now 1700000000 >/dev/null
    run -0 sync "$T" "$W/b"
    snap "$T" "$W/a" >"$W/snap.ndjson"
    run -0 diff_ "$W/a" <"$W/snap.ndjson"
    run types <<<"$output"
    [[ "$output" != *"change="* ]]
}

@test "a corrupt or foreign cache file is ignored: every row is written and the sync converges" {
    tenant "$T"
    tenant "${T}o"
    run -0 sync "$T" "$W/state"
    run -0 sync "${T}o" "$W/state"
    n=$(sqlite3 "$W/$T.db" 'SELECT count(*) FROM chat')
    printf 'garbage' | dd of="$W/state/$T.base" bs=1 seek=40 conv=notrunc status=none
    snap "$T" "$W/state" >"$W/snap.ndjson" 2>"$W/err"
    grep -q "no usable base-state cache" "$W/err"
    [ "$(grep -c '"t":"row","table":"chat"' "$W/snap.ndjson")" = "$n" ]
    run ! grep -q '"t":"unchanged"' "$W/snap.ndjson"
    run ! grep -q 'skip_unchanged' "$W/snap.ndjson"
    run -0 diff_ "$W/state" <"$W/snap.ndjson"
    cp "$W/state/${T}o.base" "$W/state/$T.base"  # another tenant's cache under this tenant's name
    snap "$T" "$W/state" >"$W/snap.ndjson" 2>"$W/err"
    grep -q "no usable base-state cache" "$W/err"
    [ "$(grep -c '"t":"row","table":"chat"' "$W/snap.ndjson")" = "$n" ]
    rm "$W/state/$T.base"
    run -0 sync "$T" "$W/state"
    snap "$T" "$W/state" | types | grep -vq 'row='
}

@test "--verify needs every row: refused on a skipping stream (exit 64)" {
    tenant "$T"
    run -0 sync "$T" "$W/state"
    snap "$T" "$W/state" >"$W/snap.ndjson"
    run -64 "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" --verify <"$W/snap.ndjson"
    [[ "$output" == *"sync-diff --verify needs every row"*"run sync-snapshot with --all-rows" ]]
    snap "$T" "$W/state" --all-rows >"$W/snap.ndjson"
    run -0 "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" --verify <"$W/snap.ndjson"
}

@test "a skipping stream cannot provision: refused (65), nothing created" {
    tenant "$T"
    run -0 sync "$T" "$W/state"
    snap "$T" "$W/state" >"$W/snap.ndjson"
    grep -q '"skip_unchanged":true' "$W/snap.ndjson"
    q "DROP SCHEMA $T CASCADE" 2>/dev/null
    run -65 "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" <"$W/snap.ndjson"
    [[ "$output" == *"sync-load --provision needs every row"*"run sync-snapshot with --all-rows" ]]
    [ "$(q "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$T'")" = 0 ]
}

@test "sync-resolve forwards the summary records byte for byte" {
    tenant "$T"
    run -0 sync "$T" "$W/state"
    "$GEN" mutate --db "$W/$T.db" --seed 9 --delete 3 --now 1700000000 >/dev/null
    snap "$T" "$W/state" >"$W/snap.ndjson"
    "$B/tools/resolve/sync-resolve" <"$W/snap.ndjson" >"$W/res.ndjson"
    diff <(grep -E '"t":"(unchanged|absent_keys)"' "$W/snap.ndjson") <(grep -E '"t":"(unchanged|absent_keys)"' "$W/res.ndjson")
    grep -q '"t":"absent_keys"' "$W/res.ndjson"
}

@test "syncpipe-cycle skips unchanged rows and runs once more after a stale cache hint" {
    local bin="$W/bin" src="$W/cy.db" c="SK$RANDOM" t
    mkdir -p "$bin"
    for t in lease snapshot diff resolve load jobs; do ln -s "$B/tools/$t/sync-$t" "$bin/"; done
    sqlite3 "$src" "CREATE TABLE \"user\" (id TEXT PRIMARY KEY, name TEXT);
                    INSERT INTO \"user\" VALUES ('u1', 'Ann'), ('u2', 'Bo');"
    "$B/tools/snapshot/sync-snapshot" --client "$T" --no-lease --host "$c" "$src" 2>/dev/null |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
    node() { # node NAME — one cycle of that node, with its own state directory
        env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE="$DB" PGUSER=sync_service PGPASSFILE="$SERVICE_PASSFILE" \
            SYNCPIPE_BINDIR="$bin" STATE_DIRECTORY="$W/$1" "$BATS_TEST_DIRNAME/../../systemd/syncpipe-cycle" "$c" "$1"
    }
    force() { # the tenant is due now, whatever its interval (a forced run never skips the pipeline)
        env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE="$DB" PGUSER=sync_service PGPASSFILE="$SERVICE_PASSFILE" \
            SYNCPIPE_BINDIR="$bin" "$BATS_TEST_DIRNAME/../../systemd/syncpipe-cycle" --force "$c" "$T"
    }
    release() { "$B/tools/lease/sync-lease" release --dsn "$SVC" --cluster "$c" --node "$1"; }
    mkdir -p "$W/node-a" "$W/node-b"
    run -0 node node-a
    run -0 force
    run -0 node node-a  # skips by its cache
    [[ "$output" == *"0 rows written, 2 unchanged"* ]]
    [[ "$output" != *"once more"* ]]
    sqlite3 "$src" "UPDATE \"user\" SET name = 'Anna' WHERE id = 'u1'"
    run -0 release node-a
    run -0 force
    run -0 node node-b
    sqlite3 "$src" "UPDATE \"user\" SET name = 'Ann' WHERE id = 'u1'"  # what node-a's cache still says
    run -0 release node-b
    run -0 force
    run node node-a
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"stale local cache"* ]]
    [[ "$output" == *"tenant $T: sync-diff exited 75"*"running once more"* ]]
    [[ "$output" == *"tenant $T: exit 0 (snapshot 0, diff 0, resolve 0, load 0)"* ]]
    [ "$(q "SELECT name FROM \"$T\".\"user\" WHERE id = 'u1'")" = Ann ]
}

@test "--help names every option the man page documents" {
    for o in skip-unchanged all-rows no-cache state-dir; do
        "$B/tools/snapshot/sync-snapshot" --help | grep -q -- "--$o"
        grep -q -- "$o" "$BATS_TEST_DIRNAME/../../man/sync-snapshot.1.scd"
    done
}

@test "skipping is the default; --skip-unchanged is the same; --all-rows and --no-cache write every row" {
    tenant "$T"
    run -0 sync "$T" "$W/state"
    n=$(sqlite3 "$W/$T.db" 'SELECT count(*) FROM chat')
    snap "$T" "$W/state" | types >"$W/default"
    snap "$T" "$W/state" --skip-unchanged | types >"$W/flag"
    cat "$W/default"
    diff "$W/default" "$W/flag"
    run ! grep -q 'row=' "$W/default"
    for o in --all-rows --no-cache; do
        snap "$T" "$W/state" "$o" >"$W/snap.ndjson"
        [ "$(grep -c '"t":"row","table":"chat"' "$W/snap.ndjson")" = "$n" ]
        run ! grep -q -e '"t":"unchanged"' -e 'skip_unchanged' "$W/snap.ndjson"
    done
    run -64 snap "$T" "$W/state" --skip-unchanged --all-rows
    [[ "$output" == *"--skip-unchanged contradicts --all-rows and --no-cache"* ]]
    run -64 snap "$T" "$W/state" --no-cache --skip-unchanged
}

@test "--to-sqlite and --against-base refuse a skipping stream (65, no file); with --all-rows they work" {
    tenant "$T"
    run -0 sync "$T" "$W/state"
    snap "$T" "$W/state" >"$W/snap.ndjson"
    grep -q '"skip_unchanged":true' "$W/snap.ndjson"
    run -65 "$B/tools/load/sync-load" --to-sqlite "$W/copy.db" <"$W/snap.ndjson"
    [[ "$output" == *"sync-load --to-sqlite needs every row"*"run sync-snapshot with --all-rows" ]]
    [ ! -e "$W/copy.db" ] && [ ! -e "$W/copy.db.tmp" ]
    run -65 "$B/tools/diff/sync-diff" --dsn "$SVC" --against-base <"$W/snap.ndjson"
    [[ "$output" == *"sync-diff --against-base needs every row"*"run sync-snapshot with --all-rows" ]]
    snap "$T" "$W/state" --all-rows | "$B/tools/load/sync-load" --to-sqlite "$W/copy.db"
    [ "$(sqlite3 "$W/copy.db" 'SELECT count(*) FROM chat')" = "$(sqlite3 "$W/$T.db" 'SELECT count(*) FROM chat')" ]
    run -0 "$B/tools/diff/sync-diff" --dsn "$SVC" --against-base < <(snap "$T" "$W/state" --all-rows)
    # the restored copy under the tenant's name: its snapshot skips by the same cache, and is refused too
    "$B/tools/snapshot/sync-snapshot" --client "$T" --no-lease --state-dir "$W/state" "$W/copy.db" >"$W/snap.ndjson"
    run -65 "$B/tools/diff/sync-diff" --dsn "$SVC" --against-base <"$W/snap.ndjson"
}

@test "sync-diff --no-cache after a stale hint: exit 75 saying the cache stays stale and what to run" {
    tenant "$T"
    run -0 sync "$T" "$W/a"
    id=$(sqlite3 "$W/$T.db" 'SELECT id FROM chat ORDER BY id LIMIT 1')
    sqlite3 "$W/$T.db" "UPDATE chat SET title = title || ' x' WHERE id = '$id'"
    run -0 sync "$T" "$W/b"
    sqlite3 "$W/$T.db" "UPDATE chat SET title = substr(title, 1, length(title) - 2) WHERE id = '$id'"
    cp "$W/a/$T.base" "$W/a.before"
    snap "$T" "$W/a" >"$W/snap.ndjson"
    run -75 "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/a" --no-cache <"$W/snap.ndjson"
    [[ "$output" == *"stale local cache"*"--no-cache leaves that cache as it is: run sync-snapshot with --no-cache"* ]]
    cmp "$W/a/$T.base" "$W/a.before"
    snap "$T" "$W/a" --no-cache | "$B/tools/diff/sync-diff" --dsn "$SVC" --no-cache | "$B/tools/resolve/sync-resolve" |
        "$B/tools/load/sync-load" --dsn "$SVC" --no-cache
    assert_tenant_digest "$W/$T.db" "$T"
}

# readme CLIENT — the sync pipeline exactly as README.md shows it (no lease: --no-lease), every stage with
# its default state directory; the snapshot's log in $W/snap.err, the stages' statuses in $W/st. Fails
# with the last failing stage's status (as pipefail).
readme() {
    "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$W/$1.db" 2>"$W/snap.err" |
        "$B/tools/diff/sync-diff" --dsn "$SVC" | "$B/tools/resolve/sync-resolve" | "$B/tools/load/sync-load" --dsn "$SVC"
    local st=("${PIPESTATUS[@]}") rc=0 i
    echo "${st[*]}" >"$W/st"
    for i in "${st[@]}"; do ((i == 0)) || rc=$i; done
    return "$rc"
}

@test "the README pipeline skips by default, and a missing, foreign, older or stale cache never makes it wrong" {
    [ -n "$XDG_STATE_HOME" ] && [ -z "${STATE_DIRECTORY:-}" ]
    local cache="$XDG_STATE_HOME/syncpipe/$T.base"
    tenant "$T"
    tenant "${T}o"
    run -0 readme "$T"
    run ! grep -q "unchanged by the cache" "$W/snap.err"  # the first run has no cache yet
    run -0 readme "${T}o"
    [ -s "$cache" ]
    run -0 readme "$T"
    grep -q " tables, 0 rows written, [1-9][0-9]* unchanged by the cache" "$W/snap.err"
    assert_tenant_digest "$W/$T.db" "$T"
    # missing: every row is written, the diff reads the base from PostgreSQL
    rm "$cache"
    "$GEN" mutate --db "$W/$T.db" --seed 1 --insert 5 --update 5 --delete 5 --now 1700000000 >/dev/null
    run -0 readme "$T"
    run ! grep -q "unchanged by the cache" "$W/snap.err"
    assert_tenant_digest "$W/$T.db" "$T"
    # foreign: another tenant's cache under this tenant's name is not read
    cp "$cache" "$W/own.base"
    cp "$XDG_STATE_HOME/syncpipe/${T}o.base" "$cache"
    "$GEN" mutate --db "$W/$T.db" --seed 2 --insert 5 --update 5 --delete 5 --now 1700000000 >/dev/null
    run -0 readme "$T"
    grep -q "no usable base-state cache" "$W/snap.err"
    assert_tenant_digest "$W/$T.db" "$T"
    # older: a copy of an earlier generation skips only the rows it still has right; the rest is sent
    cp "$W/own.base" "$cache"
    "$GEN" mutate --db "$W/$T.db" --seed 3 --insert 5 --update 5 --delete 5 --now 1700000000 >/dev/null
    run -0 readme "$T"
    assert_tenant_digest "$W/$T.db" "$T"
    # stale: an older copy that has a row's current value while PostgreSQL's base has another
    cp "$cache" "$W/old.base"
    id=$(sqlite3 "$W/$T.db" 'SELECT id FROM chat ORDER BY id LIMIT 1')
    sqlite3 "$W/$T.db" "UPDATE chat SET title = title || ' x' WHERE id = '$id'"
    run -0 readme "$T"
    sqlite3 "$W/$T.db" "UPDATE chat SET title = substr(title, 1, length(title) - 2) WHERE id = '$id'"
    cp "$W/old.base" "$cache"
    flush_stats
    before=$(writes "$T")
    run readme "$T"
    [ "$(cut -d' ' -f2 "$W/st")" = 75 ]  # sync-diff; the later stages refuse its output (no trailer)
    [[ "$output" == *"sync-diff: error: "*"stale local cache"*"run the pipeline again"* ]]
    flush_stats
    [ "$(writes "$T")" = "$before" ]
    run -0 readme "$T"
    assert_tenant_digest "$W/$T.db" "$T"
    # drift: a row changed in PostgreSQL behind the cache's back is not seen by a cycle (with or without
    # skipping: the source did not change); the audit needs every row, and repairs it
    q "UPDATE \"$T\".chat SET title = 'edited in PostgreSQL' WHERE id = '$id'"
    run -0 readme "$T"
    run ! assert_tenant_digest "$W/$T.db" "$T"
    run -64 "$B/tools/diff/sync-diff" --dsn "$SVC" --verify < <("$B/tools/snapshot/sync-snapshot" --client "$T" --no-lease "$W/$T.db")
    [[ "$output" == *"run sync-snapshot with --all-rows"* ]]
    echo '{"conflict_resolution": {"default_strategy": "source_wins"}}' >"$W/source.json"
    "$B/tools/snapshot/sync-snapshot" --client "$T" --no-lease --all-rows "$W/$T.db" |
        "$B/tools/diff/sync-diff" --dsn "$SVC" --verify | "$B/tools/resolve/sync-resolve" --config "$W/source.json" |
        "$B/tools/load/sync-load" --dsn "$SVC"
    assert_tenant_digest "$W/$T.db" "$T"
    run -0 readme "$T"
    grep -q " tables, 0 rows written, [1-9][0-9]* unchanged by the cache" "$W/snap.err"
}

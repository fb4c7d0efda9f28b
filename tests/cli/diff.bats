#!/usr/bin/env bats
# sync-diff against a real PostgreSQL and real SQLite files: the three-way classification (insert,
# update, delete, record, each conflict kind, drift with --verify), the local base-state cache (hit,
# refreshed after the generation moves, a corrupt cache ignored), the refusals (tenant or table not
# provisioned, truncated input) and the round trip snapshot | diff | load | snapshot | diff.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/diff.bats
#
# Each test uses its own tenant (its own schema and SQLite file), so tests do not disturb each other.

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    local b="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}"
    export SNAPSHOT="$b/tools/snapshot/sync-snapshot" DIFF="$b/tools/diff/sync-diff" LOAD="$b/tools/load/sync-load"
    for x in "$SNAPSHOT" "$DIFF" "$LOAD"; do
        [[ -x "$x" ]] || { echo "not built: $x" >&2; return 1; }
    done
    export DB="difftest_$$_$RANDOM"
    pgcluster_migrate "$DB"
    pgcluster_state_home "$DB"
    pgcluster_service_password "$DB"
    export SVC_DSN="host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service"
    export PGDATABASE="$DB" # sync-load --provision: the superuser over the socket
}

teardown_file() {
    dropdb --if-exists --force -- "$DB"
}

setup() {
    T="t${BATS_TEST_NUMBER}_$RANDOM"
    SRC="$BATS_TEST_TMPDIR/$T.db"
    STATE="$BATS_TEST_TMPDIR/state"
    mkdir -p "$STATE"
}

# admin SQL — as the superuser over the socket, in one transaction.
admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$DB" -f -
}

src() { sqlite3 "$SRC" "$1"; }

snap() { "$SNAPSHOT" --client "$T" --host H1 --no-lease "$SRC"; }

# diff as sync_service (passfile, never a password in argv or env).
svc_diff() { PGPASSFILE="$SERVICE_PASSFILE" "$DIFF" --dsn "$SVC_DSN" --state-dir "$STATE" "$@"; }
svc_load() { PGPASSFILE="$SERVICE_PASSFILE" "$LOAD" --dsn "$SVC_DSN" --state-dir "$STATE" "$@"; }

# A tenant with a composite-key table, a table keyed by a text id, and values PostgreSQL would
# mangle if the types were wrong; provisioned by sync-load --provision (admin) and loaded once.
make_tenant() {
    sqlite3 "$SRC" <<'SQL'
CREATE TABLE note (id VARCHAR(255) PRIMARY KEY, body TEXT, n INTEGER, x REAL, meta JSON);
CREATE TABLE tag (id VARCHAR(255) NOT NULL, user_id VARCHAR(255) NOT NULL, name TEXT,
                  PRIMARY KEY (id, user_id));
INSERT INTO note VALUES ('a', 'alpha', 1, 0.1, '{"k":1}'), ('b', 'beta', 9007199254740993, 1e300, 'null'),
                        ('c', 'gamma', 3, -0.0, NULL), ('d', 'delta', 4, 4.5, '[]');
INSERT INTO tag VALUES ('work', 'u1', 'Work'), ('home', 'u1', 'Home'), ('work', 'u2', 'Work 2');
SQL
    snap | "$LOAD" --provision >/dev/null
    sync_once
}

# One pipeline run without sync-resolve: snapshot | diff | load.
# shellcheck disable=SC2120 # sync-load options are optional; no test needs one today
sync_once() {
    snap | svc_diff | svc_load "$@"
}

# The change and conflict records of one diff, as "op table key" lines (sorted).
diff_ops() {
    snap 2>>"$BATS_TEST_TMPDIR/log" | svc_diff "$@" >"$BATS_TEST_TMPDIR/out.ndjson" 2>>"$BATS_TEST_TMPDIR/log" || {
        cat "$BATS_TEST_TMPDIR/log" >&2
        return 1
    }
    python3 - "$BATS_TEST_TMPDIR/out.ndjson" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["t"] == "change":
        out.append(f'{r["op"]} {r["table"]} {json.dumps(r["k"], separators=(",", ":"))}')
    elif r["t"] == "conflict":
        d = " drift" if r.get("drift") else ""
        out.append(f'conflict:{r["kind"]} {r["table"]} {json.dumps(r["k"], separators=(",", ":"))}{d}')
print("\n".join(sorted(out)))
PY
}

# field NAME — that field of the base record of the last diff_ops.
base_field() {
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["t"] == "base": print(r[sys.argv[2]])' "$BATS_TEST_TMPDIR/out.ndjson" "$1"
}

@test "first run into an empty target: all rows are inserts, without target lookups" {
    sqlite3 "$SRC" "CREATE TABLE note (id TEXT PRIMARY KEY, body TEXT); INSERT INTO note VALUES ('a','x'),('b','y');"
    snap | "$LOAD" --provision >/dev/null
    run -0 diff_ops
    [ "$output" = 'insert note ["a"]
insert note ["b"]' ]
    [ "$(base_field cache)" = refreshed ]
    [ "$(base_field generation)" = 0 ]
    snap >"$BATS_TEST_TMPDIR/in"
    run -0 --separate-stderr svc_diff --no-cache <"$BATS_TEST_TMPDIR/in"
    [[ "$stderr" == *"2 inserts"*" 0 target lookups"* ]]
}

@test "the output is a valid stream: lease-less header, base, the source schema, table with pg_types, table_end, trailer" {
    make_tenant
    snap | svc_diff >"$BATS_TEST_TMPDIR/o"
    run python3 - "$BATS_TEST_TMPDIR/o" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
types = [r["t"] for r in recs]
assert types == ["header", "base", "sqlite_schema", "table", "table_end", "table", "table_end", "trailer"], types
note = recs[3]
assert note["table"] == "note" and note["pg_types"] == ["text", "text", "bigint", "double precision", "json"], note
assert recs[-1]["records"] == len(recs) - 1
PY
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "nothing changed: no change records, the cache is hit, and no tenant table is read" {
    make_tenant
    run -0 diff_ops
    [ -z "$output" ]
    [ "$(base_field cache)" = hit ]
    stats="SELECT sum(coalesce(seq_scan,0) + coalesce(idx_scan,0)) FROM pg_stat_user_tables WHERE schemaname = '$T'"
    sleep 1.2 # pg_stat is flushed by backends at most once a second
    before=$(admin "$stats")
    run -0 diff_ops
    [ -z "$output" ]
    sleep 1.2
    [ "$(admin "$stats")" = "$before" ]
}

@test "insert, update and delete in the source become exactly those changes; load converges" {
    make_tenant
    src "INSERT INTO note VALUES ('e', 'eps', 5, 5.5, NULL); UPDATE note SET body = 'ALPHA' WHERE id = 'a';
         DELETE FROM note WHERE id = 'c'; DELETE FROM tag WHERE id = 'home';"
    run -0 diff_ops
    [ "$output" = 'delete note ["c"]
delete tag ["home","u1"]
insert note ["e"]
update note ["a"]' ]
    sync_once
    [ "$(admin "SELECT body FROM \"$T\".note WHERE id = 'a'")" = ALPHA ]
    [ "$(admin "SELECT count(*) FROM \"$T\".note")" = 4 ]
    [ "$(admin "SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id = '$T'")" = 2 ]
    run -0 diff_ops
    [ -z "$output" ]
}

@test "a change already in the target is recorded, not rewritten" {
    make_tenant
    src "UPDATE note SET body = 'same' WHERE id = 'a'; INSERT INTO note (id, body) VALUES ('z', 'zed');"
    admin "UPDATE \"$T\".note SET body = 'same' WHERE id = 'a'; INSERT INTO \"$T\".note (id, body) VALUES ('z', 'zed');"
    run -0 diff_ops
    [ "$output" = 'record note ["a"]
record note ["z"]' ]
    sync_once
    run -0 diff_ops
    [ -z "$output" ]
}

@test "each conflict kind: insert_insert, update_update, update_delete, delete_update" {
    make_tenant
    src "INSERT INTO note (id, body) VALUES ('new', 'from source'); UPDATE note SET body = 's' WHERE id IN ('a', 'b');
         DELETE FROM note WHERE id = 'c';"
    admin "INSERT INTO \"$T\".note (id, body) VALUES ('new', 'from target');
           UPDATE \"$T\".note SET body = 't' WHERE id = 'a'; DELETE FROM \"$T\".note WHERE id = 'b';
           UPDATE \"$T\".note SET body = 't' WHERE id = 'c';"
    run -0 diff_ops
    [ "$output" = 'conflict:delete_update note ["c"]
conflict:insert_insert note ["new"]
conflict:update_delete note ["b"]
conflict:update_update note ["a"]' ]
    # both sides travel in the record, with the hashes sync-load logs
    run -0 python3 - "$BATS_TEST_TMPDIR/out.ndjson" <<'PY'
import json, sys
c = {r["k"][0]: r for r in map(json.loads, open(sys.argv[1])) if r["t"] == "conflict"}
assert c["a"]["v"][1] == "s" and c["a"]["target"][1] == "t" and c["a"]["base_h"] and c["a"]["target_h"], c["a"]
assert c["b"]["target"] is None and c["b"]["target_h"] is None and c["b"]["v"][1] == "s"
assert c["c"]["v"] is None and c["c"]["h"] is None and c["c"]["target"][1] == "t"
assert c["new"]["base_h"] is None and c["new"]["target"][1] == "from target"
PY
}

@test "the target's own changes alone produce nothing; --verify reports them as drift" {
    make_tenant
    admin "UPDATE \"$T\".note SET body = 'edited' WHERE id = 'a'; DELETE FROM \"$T\".tag WHERE id = 'home';"
    run -0 diff_ops
    [ -z "$output" ]
    run -0 diff_ops --verify
    [ "$output" = 'conflict:update_update note ["a"] drift
conflict:update_update tag ["home","u1"] drift' ]
}

@test "the cache is refreshed when PostgreSQL's generation moves, and a corrupt cache is ignored" {
    make_tenant
    run -0 diff_ops
    [ "$(base_field cache)" = hit ]
    gen=$(base_field generation)
    admin "UPDATE sync_metadata.client_deployments SET generation = generation + 1 WHERE client_id = '$T'"
    run -0 diff_ops
    [ "$(base_field cache)" = refreshed ]
    [ "$(base_field generation)" = $((gen + 1)) ]
    run -0 diff_ops
    [ "$(base_field cache)" = hit ]
    printf 'garbage' | dd of="$STATE/$T.base" bs=1 seek=40 conv=notrunc status=none
    run -0 diff_ops
    [ "$(base_field cache)" = refreshed ]
    [ -z "$output" ]
    # a cache that lies (right generation, wrong content) can never be written by hand: the row_state is
    # what a refresh reads, and --no-cache always reads it
    run -0 diff_ops --no-cache
    [ "$(base_field cache)" = refreshed ]
}

@test "a tenant that is not provisioned: one clear line, exit 65, no trailer" {
    sqlite3 "$SRC" "CREATE TABLE note (id TEXT PRIMARY KEY);"
    snap >"$BATS_TEST_TMPDIR/in"
    run -65 --separate-stderr svc_diff <"$BATS_TEST_TMPDIR/in"
    [ "$stderr" = "sync-diff: error: tenant $T is not provisioned for host H1 (run sync-snapshot --client $T --no-lease FILE | sync-load --provision)" ]
    [[ "$output" != *'"t":"trailer"'* ]]
}

@test "a table missing from the target schema is created by sync-diff (sql/010), then its rows inserted" {
    make_tenant
    src "CREATE TABLE later (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO later VALUES (1, 'x');"
    snap >"$BATS_TEST_TMPDIR/in"
    run -0 --separate-stderr svc_diff <"$BATS_TEST_TMPDIR/in"
    [[ "$stderr" == *"new table later created in schema $T (key (id))"* ]]
    [[ "$output" == *'"t":"trailer"'* ]]
    run -0 diff_ops
    [ "$output" = 'insert later [1]' ]
}

@test "truncated input: exit 65, no trailer written, and sync-load refuses the output" {
    make_tenant
    snap | head -n 5 >"$BATS_TEST_TMPDIR/cut"
    run -65 --separate-stderr svc_diff <"$BATS_TEST_TMPDIR/cut"
    [[ "$stderr" == *"truncated stream"* ]]
    [[ "$output" != *'"t":"trailer"'* ]]
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/o"
    run -65 svc_load --no-cache <"$BATS_TEST_TMPDIR/o"
}

@test "values PostgreSQL stores differently compare as equal images (no false updates)" {
    make_tenant
    # bigint beyond 2^53, 1e300, -0.0, JSON 'null' text, boolean-like and bytea columns round-trip
    src "CREATE TABLE flag (id INTEGER PRIMARY KEY, is_on INTEGER, data BLOB, at DATETIME);
         INSERT INTO flag VALUES (1, 1, X'00ff', 1700000000123456789), (2, 0, NULL, NULL);"
    snap | "$LOAD" --provision >/dev/null
    sync_once
    # modify one source row and touch the target the same way: a record, not a conflict
    src "UPDATE flag SET data = X'0102' WHERE id = 2"
    admin "UPDATE \"$T\".flag SET data = '\\x0102'::bytea WHERE id = 2"
    run -0 diff_ops
    [ "$output" = 'record flag [2]' ]
}

@test "target lookups by every key kind: rowid, REAL, BLOB, integer and composite keys find their rows" {
    sqlite3 "$SRC" <<'SQL'
CREATE TABLE nokey (a TEXT, b INTEGER);
CREATE TABLE r (k REAL PRIMARY KEY, v TEXT);
CREATE TABLE bl (k BLOB PRIMARY KEY, v TEXT);
CREATE TABLE "we""ird" (k1 INTEGER NOT NULL, k2 TEXT NOT NULL, v TEXT, PRIMARY KEY (k1, k2));
INSERT INTO nokey VALUES ('x', 1), ('y', 2);
INSERT INTO r VALUES (0.1, 'a'), (-1e300, 'b');
INSERT INTO bl VALUES (X'00ff10', 'a'), (X'', 'b');
INSERT INTO "we""ird" VALUES (-9223372036854775808, 'tab	"quote"
newline', 'a');
SQL
    snap | "$LOAD" --provision >/dev/null
    sync_once
    src "UPDATE nokey SET a = 'X' WHERE b = 1; UPDATE r SET v = 'A' WHERE k = 0.1; UPDATE bl SET v = 'A';
         UPDATE \"we\"\"ird\" SET v = 'A';"
    run -0 diff_ops
    [ "$output" = 'update bl [{"blob":""}]
update bl [{"blob":"AP8Q"}]
update nokey [1]
update r [0.1]
update we"ird [-9223372036854775808,"tab\t\"quote\"\nnewline"]' ]
    sync_once
    src "DELETE FROM r; DELETE FROM bl WHERE v = 'A' AND length(k) = 0;"
    run -0 diff_ops
    [ "$output" = 'delete bl [{"blob":""}]
delete r [-1e+300]
delete r [0.1]' ]
}

@test "round trip: snapshot | diff | load | snapshot | diff finds nothing, in small batches too" {
    make_tenant
    for i in $(seq 1 30); do src "INSERT INTO note (id, body, n) VALUES ('r$i', 'row $i', $i)"; done
    sync_once
    src "UPDATE note SET n = n + 1 WHERE id LIKE 'r1%'; DELETE FROM note WHERE id LIKE 'r2%';"
    run -0 diff_ops --batch-rows 3
    [ "$(grep -c '^update' <<<"$output")" = 11 ]
    [ "$(grep -c '^delete' <<<"$output")" = 11 ]
    snap | svc_diff --batch-rows 3 | svc_load
    run -0 diff_ops --batch-rows 3
    [ -z "$output" ]
    [ "$(admin "SELECT count(*) FROM \"$T\".note")" = 23 ]
}

@test "--help names every option the man page documents" {
    page="$BATS_TEST_DIRNAME/../../man/sync-diff.1.scd"
    for opt in $("$DIFF" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        grep -q -- "\*$opt\*" "$page" || { echo "missing in man page: $opt" >&2; return 1; }
    done
}

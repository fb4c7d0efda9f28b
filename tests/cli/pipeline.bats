#!/usr/bin/env bats
# The data path end to end (issue 2): real tenants generated from both Open WebUI schema
# lineages, provisioned by an admin, synced by sync_service through
#   sync-snapshot | sync-diff | sync-resolve | sync-load
# against the throwaway cluster of tests/lib/pgcluster.sh.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"
source "$BATS_TEST_DIRNAME/../lib/digest.bash"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=h1
    pgcluster_service_db pipe || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
snap() { "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$2"; }
provision() { snap "$1" "$2" | "$B/tools/load/sync-load" --provision --dsn "dbname=$DB"; }
# sync CLIENT FILE [extra sync-load args] — one cycle as sync_service ($RESOLVE_CONFIG: a strategy file)
sync() {
    local c="$1" f="$2"; shift 2
    snap "$c" "$f" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" |
        "$B/tools/resolve/sync-resolve" ${RESOLVE_CONFIG:+--config "$RESOLVE_CONFIG"} |
        "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W/state" "$@"
}
tenant() {  # tenant NAME LINEAGE_SQL
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/$2" --out "$W/$1.db" --users 4 --chats-per-user 6 >/dev/null
}
# rows per table in SQLite vs target + quarantine
count_mismatches() {
    local c="$1" f="$2" t n_src n_dst n_q bad=0
    for t in $(sqlite3 "$f" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"); do
        n_src=$(sqlite3 "$f" "SELECT count(*) FROM \"$t\"")
        n_dst=$(q "SELECT count(*) FROM \"$c\".\"$t\"")
        n_q=$(q "SELECT count(*) FROM sync_metadata.quarantine WHERE client_id='$c' AND table_name='$t' AND resolved_at IS NULL")
        if ((n_src != n_dst + n_q)); then echo "$t: sqlite $n_src, pg $n_dst + quarantined $n_q"; bad=1; fi
    done
    return $bad
}
writes() { q "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = '$1'"; }

@test "alembic-born tenant: full sync puts every row in the target or in quarantine" {
    mkdir -p "$W/state"
    tenant alembic webui-schema.sql
    provision alembic "$W/alembic.db"
    run sync alembic "$W/alembic.db"
    [ "$status" -eq 0 ]
    run count_mismatches alembic "$W/alembic.db"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(q 'SELECT count(*) FROM alembic.chat')" -gt 0 ]
    assert_tenant_digest "$W/alembic.db" alembic
}

@test "peewee-born tenant: full sync, chat JSON byte-exact, DATETIME seconds as bigint" {
    mkdir -p "$W/state"
    tenant peewee webui-schema-upgraded-from-peewee.sql
    provision peewee "$W/peewee.db"
    run sync peewee "$W/peewee.db"
    [ "$status" -eq 0 ]
    run count_mismatches peewee "$W/peewee.db"
    [ "$status" -eq 0 ]
    diff <(sqlite3 "$W/peewee.db" "SELECT id || '|' || chat FROM chat ORDER BY id") \
         <(q "SELECT id || '|' || chat FROM peewee.chat ORDER BY id COLLATE \"C\"")
    [ "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'peewee.chat'::regclass AND attname = 'created_at'")" = bigint ]
    [ "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'peewee.chat'::regclass AND attname = 'archived'")" = boolean ]
    assert_tenant_digest "$W/peewee.db" peewee
}

@test "value traps: ns timestamps, REAL bits, 'null' vs NULL, '' vs NULL; bad values quarantined, not lost" {
    mkdir -p "$W/state"
    tenant traps webui-schema.sql
    "$GEN" traps --db "$W/traps.db" >"$W/traps.tsv"
    provision traps "$W/traps.db"
    run sync traps "$W/traps.db"
    [ "$status" -eq 0 ]
    run count_mismatches traps "$W/traps.db"
    echo "$output"
    [ "$status" -eq 0 ]
    while IFS=$'\t' read -r t id _; do  # each trap once: in the target or in quarantine
        [ "$(q "SELECT (SELECT count(*) FROM traps.\"$t\" WHERE id = '$id') + (SELECT count(*) FROM sync_metadata.quarantine
                WHERE client_id = 'traps' AND row_key = '[\"$id\"]' AND resolved_at IS NULL)")" = 1 ] || { echo "trap $t $id"; false; }
    done <"$W/traps.tsv"
    # int64 and ns timestamps exact to the last digit (quarantined rows aside)
    quarantined=$(q "SELECT string_agg(row_key::json->>0, '|') FROM sync_metadata.quarantine WHERE client_id='traps' AND table_name='message'")
    diff <(sqlite3 "$W/traps.db" "SELECT id || '|' || created_at FROM message ORDER BY id" | grep -vE "^(${quarantined:-none})\|") \
         <(q "SELECT id || '|' || created_at FROM traps.message ORDER BY id COLLATE \"C\"")
    [ "$(q "SELECT created_at FROM traps.message WHERE id = 'trap-int64-max'")" = 9223372036854775807 ]
    [ "$(q "SELECT created_at FROM traps.message WHERE id = 'trap-int64-min'")" = -9223372036854775808 ]
    # REAL bit-exact in double precision, infinities included
    [ "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'traps.memory'::regclass AND attname = 'score'")" = "double precision" ]
    [ "$(q "SELECT score::text FROM traps.memory WHERE id = 'trap-real-0.1'")" = 0.1 ]
    [ "$(q "SELECT score::text FROM traps.memory WHERE id = 'trap-real-1e300'")" = 1e+300 ]
    [ "$(q "SELECT score::text FROM traps.memory WHERE id = 'trap-real-subnormal'")" = 5e-324 ]
    [ "$(q "SELECT score::text FROM traps.memory WHERE id = 'trap-real-inf'")" = Infinity ]
    [ "$(q "SELECT score::text FROM traps.memory WHERE id = 'trap-real-neg-inf'")" = -Infinity ]
    # '' and NULL stay distinct; a VARCHAR(255) overflow is kept whole
    [ "$(q "SELECT path = '' FROM traps.memory WHERE id = 'trap-empty-string'")" = t ]
    [ "$(q "SELECT path IS NULL FROM traps.memory WHERE id = 'trap-sql-null'")" = t ]
    [ "$(q "SELECT length(username) FROM traps.\"user\" WHERE id = 'trap-varchar-overflow'")" = \
      "$(sqlite3 "$W/traps.db" "SELECT length(username) FROM \"user\" WHERE id = 'trap-varchar-overflow'")" ]
    # a NUL byte and invalid UTF-8 are quarantined with their reason, never lost
    [ "$(q "SELECT reason FROM sync_metadata.quarantine WHERE client_id='traps' AND row_key::json->>0 = 'trap-text-nul'")" = 'column "content": NUL byte in text' ]
    [ "$(q "SELECT reason FROM sync_metadata.quarantine WHERE client_id='traps' AND row_key::json->>0 = 'trap-text-invalid-utf8'")" = 'column "content": text is not valid UTF-8' ]
    # deleting rows that hold \u0000 in JSON archives them too (deleted_rows is json, not jsonb)
    sqlite3 "$W/traps.db" "DELETE FROM note WHERE id = 'trap-json-u0000'"
    run sync traps "$W/traps.db"
    [ "$status" -eq 0 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id='traps' AND row_key = '[\"trap-json-u0000\"]'")" = 1 ]
    [ "$(sqlite3 "$W/traps.db" "SELECT count(*) FROM \"user\" WHERE info = 'null'")" = \
      "$(q "SELECT count(*) FROM traps.\"user\" WHERE info::text = 'null'")" ]
    [ "$(sqlite3 "$W/traps.db" "SELECT count(*) FROM \"user\" WHERE info IS NULL")" = \
      "$(q "SELECT count(*) FROM traps.\"user\" WHERE info IS NULL")" ]
    # the quarantine names table, key and reason
    [ "$(q "SELECT count(*) FROM sync_metadata.quarantine WHERE client_id='traps' AND reason <> '' AND row_key <> ''")" -gt 0 ]
    assert_tenant_digest "$W/traps.db" traps
}

@test "incremental: inserts, updates and hard deletes converge; deletes archived; no change writes nothing" {
    mkdir -p "$W/state"
    tenant inc webui-schema.sql
    provision inc "$W/inc.db"
    sync inc "$W/inc.db"
    "$GEN" mutate --db "$W/inc.db" --seed 3 --insert 20 --update 30 --delete 12 >/dev/null
    run sync inc "$W/inc.db"
    [ "$status" -eq 0 ]
    run count_mismatches inc "$W/inc.db"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.deleted_rows WHERE client_id='inc'")" -ge 1 ]
    assert_tenant_digest "$W/inc.db" inc
    before=$(writes inc)
    run sync inc "$W/inc.db"
    [ "$status" -eq 0 ]
    sleep 0.6  # statistics are flushed asynchronously
    q "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true
    [ "$(writes inc)" = "$before" ]
}

@test "replaying the same change stream twice changes nothing the second time" {
    mkdir -p "$W/state"
    tenant rep webui-schema.sql
    provision rep "$W/rep.db"
    snap rep "$W/rep.db" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" >"$W/rep.ndjson"
    "$B/tools/load/sync-load" --dsn "$SVC" <"$W/rep.ndjson"
    n=$(q "SELECT count(*) FROM sync_metadata.row_state WHERE client_id='rep'")
    gen=$(q "SELECT generation FROM sync_metadata.client_deployments WHERE client_id='rep'")
    run env "$B/tools/load/sync-load" --dsn "$SVC" <"$W/rep.ndjson"
    [ "$status" -eq 0 ]
    [[ "$output" == *"already applied"* ]]
    [ "$(q "SELECT count(*) FROM sync_metadata.row_state WHERE client_id='rep'")" = "$n" ]
    [ "$(q "SELECT generation FROM sync_metadata.client_deployments WHERE client_id='rep'")" = "$gen" ]
}

@test "a truncated or corrupted stream writes nothing and names the problem" {
    mkdir -p "$W/state"
    tenant trunc webui-schema.sql
    provision trunc "$W/trunc.db"
    snap trunc "$W/trunc.db" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" >"$W/full.ndjson"
    head -n 20 "$W/full.ndjson" >"$W/cut.ndjson"
    run env "$B/tools/load/sync-load" --dsn "$SVC" <"$W/cut.ndjson"
    [ "$status" -eq 65 ]
    [[ "$output" == *"truncated"* ]]
    sed '5s/"/*/' "$W/full.ndjson" >"$W/bad.ndjson"
    run env "$B/tools/load/sync-load" --dsn "$SVC" <"$W/bad.ndjson"
    [ "$status" -eq 65 ]
    [[ "$output" == *":5:"* ]]
    [ "$(q "SELECT count(*) FROM trunc.chat")" = 0 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id='trunc'")" = 0 ]
}

@test "a stream cut after several batches: whole batches only, job not succeeded, refused (65); --spool writes nothing" {
    mkdir -p "$W/state"
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/cut.db" --users 10 --chats-per-user 40 >/dev/null
    provision cut "$W/cut.db"
    snap cut "$W/cut.db" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" >"$W/cut-full.ndjson"
    # two thirds of the records, then the next one up to its first comma: cut inside an object, after a
    # whole member (simdjson sees that only while reading the record; a cut inside a string it sees at once)
    local keep=$(($(wc -l <"$W/cut-full.ndjson") * 2 / 3))
    { head -n "$keep" "$W/cut-full.ndjson"; sed -n "$((keep + 1))p" "$W/cut-full.ndjson" | grep -o '^[^,]*,' | tr -d '\n'; } \
        >"$W/cut-part.ndjson"
    gen() { q "SELECT generation FROM sync_metadata.client_deployments WHERE client_id = 'cut'"; }
    # --spool: refused before anything is written
    run env "$B/tools/load/sync-load" --dsn "$SVC" --batch-bytes 65536 --no-cache --spool <"$W/cut-part.ndjson"
    [ "$status" -eq 65 ]
    [[ "$output" == *"stdin:"*"not a JSON record"* ]]
    [ "$(gen)" = 0 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = 'cut'")" = 0 ]
    # streaming (the default): the batches filled before the cut are committed, whole; the job is not a success
    run env "$B/tools/load/sync-load" --dsn "$SVC" --batch-bytes 65536 --no-cache <"$W/cut-part.ndjson"
    [ "$status" -eq 65 ]
    [[ "$output" == *"stdin:"*"not a JSON record"* ]]
    (($(gen) >= 2))
    [ "$(q "SELECT status FROM sync_metadata.sync_jobs WHERE client_id = 'cut'")" = failed ]
    for t in chat message chat_message; do
        [ "$(q "SELECT count(*) FROM cut.$t")" = \
          "$(q "SELECT count(*) FROM sync_metadata.row_state WHERE client_id = 'cut' AND table_name = '$t' AND status = 'loaded'")" ]
    done
    n=$(q "SELECT count(*) FROM sync_metadata.row_state WHERE client_id = 'cut'")
    ((n > 0 && n < $(grep -c '"t":"change"' "$W/cut-full.ndjson")))
    # the next run converges
    run sync cut "$W/cut.db"
    [ "$status" -eq 0 ]
    run count_mismatches cut "$W/cut.db"
    [ "$status" -eq 0 ]
    assert_tenant_digest "$W/cut.db" cut
}

@test "kill -9 of sync-load at several points leaves whole batches only; the next run converges" {
    mkdir -p "$W/state"
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/kill.db" --users 10 --chats-per-user 40 >/dev/null
    provision kill "$W/kill.db"
    gen() { q "SELECT generation FROM sync_metadata.client_deployments WHERE client_id = 'kill'"; }
    for point in 1 3 8; do  # kill once this many batches of the run have committed
        snap kill "$W/kill.db" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" >"$W/kill.ndjson"
        g0=$(gen)
        "$B/tools/load/sync-load" --dsn "$SVC" --batch-bytes 65536 --no-cache <"$W/kill.ndjson" 2>/dev/null &
        pid=$!
        for _ in $(seq 500); do
            (($(gen) >= g0 + point)) && break
            sleep 0.01
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" || true
        # the server may still be finishing a COMMIT the killed client had sent: wait until its backend is gone
        for _ in $(seq 500); do
            [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'sync-load'")" = 0 ] && break
            sleep 0.01
        done
        echo "killed after $(($(gen) - g0)) batches"
        [ "$(q "SELECT status FROM sync_metadata.sync_jobs WHERE client_id = 'kill' ORDER BY job_id DESC LIMIT 1")" = running ]
        # every row in the target has its base state (same transaction), and vice versa
        for t in chat message chat_message; do
            [ "$(q "SELECT count(*) FROM kill.$t")" = \
              "$(q "SELECT count(*) FROM sync_metadata.row_state WHERE client_id = 'kill' AND table_name = '$t' AND status = 'loaded'")" ]
        done
        # the interrupted stream is stale now: refused, nothing written
        if (($(gen) > g0)); then
            run "$B/tools/load/sync-load" --dsn "$SVC" --no-cache <"$W/kill.ndjson"
            [ "$status" -eq 12 ]
        fi
        # a fresh run converges from wherever the kill left it
        run sync kill "$W/kill.db"
        [ "$status" -eq 0 ]
        run count_mismatches kill "$W/kill.db"
        [ "$status" -eq 0 ]
        assert_tenant_digest "$W/kill.db" kill
        # give the next round something to write
        sqlite3 "$W/kill.db" "UPDATE chat SET title = title || ' (again)'; UPDATE message SET content = content || '.'"
    done
}

@test "hostile table and column names are quoted, synced, never executed" {
    mkdir -p "$W/state"
    sqlite3 "$W/hostile.db" "CREATE TABLE \"x\"\"; DROP TABLE y; --\" (\"id\" TEXT PRIMARY KEY, \"a;b\" TEXT, \"new
line\" INTEGER); INSERT INTO \"x\"\"; DROP TABLE y; --\" VALUES ('k1', 'v', 1); CREATE TABLE \"group\" (id TEXT PRIMARY KEY); INSERT INTO \"group\" VALUES ('g');"
    provision hostile "$W/hostile.db"
    run sync hostile "$W/hostile.db"
    [ "$status" -eq 0 ]
    [ "$(q "SELECT \"a;b\" FROM hostile.\"x\"\"; DROP TABLE y; --\"")" = v ]
    [ "$(q "SELECT id FROM hostile.\"group\"")" = g ]
    assert_tenant_digest "$W/hostile.db" hostile
}

@test "names longer than 63 bytes are refused before anything is written" {
    long=$(printf 'c%.0s' {1..70})
    sqlite3 "$W/long.db" "CREATE TABLE t (id TEXT PRIMARY KEY, $long TEXT)"
    run bash -c "'$B/tools/snapshot/sync-snapshot' --client longt --no-lease '$W/long.db' | '$B/tools/load/sync-load' --provision --dsn 'dbname=$DB'"
    [ "$status" -eq 65 ]
    [[ "$output" == *"63 bytes"* ]]
    [ "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'longt'")" = 0 ]
}

@test "a 30 MB chat passes every stage with bounded memory" {
    mkdir -p "$W/state"
    tenant big webui-schema.sql
    "$GEN" big --db "$W/big.db" --bytes 31457280 >/dev/null
    provision big "$W/big.db"
    run sync big "$W/big.db"
    [ "$status" -eq 0 ]
    [ "$(q "SELECT max(octet_length(chat::text)) FROM big.chat")" -ge 31457280 ]
    assert_tenant_digest "$W/big.db" big
}

@test "a node's local cache is used only at PostgreSQL's generation: two nodes alternate and converge" {
    mkdir -p "$W/na" "$W/nb"
    tenant two webui-schema.sql
    provision two "$W/two.db"
    node() {  # node STATE_DIR
        snap two "$W/two.db" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$1" |
            "$B/tools/resolve/sync-resolve" | "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$1"
    }
    node "$W/na"
    "$GEN" mutate --db "$W/two.db" --seed 11 --insert 5 --update 5 --delete 5 >/dev/null
    node "$W/nb"                       # node b: no cache yet, refreshed from PostgreSQL
    "$GEN" mutate --db "$W/two.db" --seed 12 --insert 5 --update 5 --delete 5 >/dev/null
    run node "$W/na"                   # node a: its cache is a generation behind
    [ "$status" -eq 0 ]
    [[ "$output" == *"cache refreshed"* ]]
    run count_mismatches two "$W/two.db"
    [ "$status" -eq 0 ]
    run node "$W/na"                   # now in step: a hit, and nothing to do
    [[ "$output" == *"cache hit"* ]]
    [[ "$output" == *"0 inserted, 0 updated, 0 deleted"* ]]
    assert_tenant_digest "$W/two.db" two
}

@test "a concurrent writer on the SQLite file never breaks a cross-table invariant in PostgreSQL" {
    for mode in wal delete; do
        mkdir -p "$W/state"
        "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/cw-$mode.db" \
            --users 2 --journal "$mode" >/dev/null
        provision "cw$mode" "$W/cw-$mode.db"
        "$GEN" writer --db "$W/cw-$mode.db" --seconds 4 >/dev/null &
        writer=$!
        for _ in 1 2 3 4 5 6; do
            sync "cw$mode" "$W/cw-$mode.db" 2>/dev/null
            chats=$(q "SELECT count(*) FROM cw$mode.chat WHERE id LIKE 'w-%'")
            msgs=$(q "SELECT count(*) FROM cw$mode.chat_message WHERE id LIKE 'w-%'")
            counter=$(q "SELECT coalesce((SELECT value::text FROM cw$mode.config WHERE key = 'syncpipe.test.counter'), '0')")
            echo "$mode: chats=$chats messages=$msgs counter=$counter"
            [ "$chats" = "$msgs" ]
            [ "$chats" = "$counter" ]
            sleep 0.5
        done
        [ "$counter" -gt 0 ]  # the syncs really ran while the writer wrote
        wait "$writer"
    done
}

@test "delete/update conflict decided for the target: the target keeps its row on every later run" {
    mkdir -p "$W/state"
    tenant du webui-schema.sql
    provision du "$W/du.db"
    sync du "$W/du.db"
    id=$(sqlite3 "$W/du.db" "SELECT id FROM memory ORDER BY id LIMIT 1")
    q "UPDATE du.memory SET content = 'edited in PostgreSQL' WHERE id = '$id'"
    sqlite3 "$W/du.db" "DELETE FROM memory WHERE id = '$id'"
    printf '{"conflict_resolution":{"default_strategy":"target_wins"}}' >"$W/target_wins.json"
    keep() { RESOLVE_CONFIG="$W/target_wins.json" sync du "$W/du.db"; }
    run keep
    [ "$status" -eq 0 ]
    [ "$(q "SELECT conflict_type || ' ' || resolution FROM sync_metadata.conflict_log WHERE client_id = 'du'")" = "delete_update target" ]
    for _ in 1 2; do
        run keep
        [ "$status" -eq 0 ]
        [ "$(q "SELECT content FROM du.memory WHERE id = '$id'")" = "edited in PostgreSQL" ]
    done
    [ "$(q "SELECT count(*) FROM sync_metadata.conflict_log WHERE client_id = 'du'")" = 1 ]
}

@test "a manual conflict holds back only its row (exit 2); settled by an operator, the next run applies it (exit 0)" {
    mkdir -p "$W/state"
    tenant man webui-schema.sql
    provision man "$W/man.db"
    sync man "$W/man.db"
    ids=$(sqlite3 "$W/man.db" "SELECT id FROM memory ORDER BY id LIMIT 2")
    a=$(echo "$ids" | head -n1) b=$(echo "$ids" | tail -n1)
    q "UPDATE man.memory SET content = 'target edit' WHERE id = '$a'"
    sqlite3 "$W/man.db" "UPDATE memory SET content = 'source edit' WHERE id IN ('$a', '$b')"
    printf '{"conflict_resolution":{"default_strategy":"manual"}}' >"$W/manual.json"
    manual() { RESOLVE_CONFIG="$W/manual.json" sync man "$W/man.db"; }
    run manual
    [ "$status" -eq 2 ]
    [ "$(q "SELECT content FROM man.memory WHERE id = '$a'")" = "target edit" ]   # kept
    [ "$(q "SELECT content FROM man.memory WHERE id = '$b'")" = "source edit" ]   # not held back
    run manual                                                                    # still open, logged once
    [ "$status" -eq 2 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.conflict_log WHERE client_id = 'man'")" = 1 ]
    id=$(q "SELECT id FROM sync_metadata.conflict_log WHERE client_id = 'man' AND resolved_at IS NULL")
    run "$B/tools/resolve/sync-resolve" --dsn "$SVC" --host h1 --settle "$id" --take source
    [ "$status" -eq 0 ]
    run manual
    [ "$status" -eq 0 ]
    [ "$(q "SELECT content FROM man.memory WHERE id = '$a'")" = "source edit" ]
    [ "$(q "SELECT resolved_at IS NOT NULL FROM sync_metadata.conflict_log WHERE id = $id")" = t ]
    run manual
    [ "$status" -eq 0 ]
}

@test "a pre-v0.9.6 peewee file without primary keys (unique index, rowid) syncs fully and incrementally; an upgrade adds columns" {
    mkdir -p "$W/state"
    python3 - "$SHARED/fixtures/openwebui/webui-schema-upgraded-from-peewee.sql" >"$W/nopk.sql" <<'PY'
import sys
s = open(sys.argv[1]).read()
for t in ["auth", "user", "chat", "chatidtag", "file", "function", "memory", "model", "tool"]:
    s = s.replace(f",\n\tCONSTRAINT pk_{t} PRIMARY KEY (id)\n", "\n")
s += "\nCREATE TABLE legacy_log(ts INTEGER, line TEXT);"  # neither a key nor a unique index: rowid
print(s)
PY
    "$GEN" create --schema-sql "$W/nopk.sql" --out "$W/nopk.db" --users 3 >/dev/null
    sqlite3 "$W/nopk.db" "INSERT INTO legacy_log VALUES (1, 'a'), (2, 'b'), (2, 'b')"
    run "$B/tools/snapshot/sync-snapshot" --client nopk --no-lease "$W/nopk.db"
    [[ "$output" == *'"table":"chat"'*'"key":["id"],"key_source":"unique_index:chat_id"'* ]]
    [[ "$output" == *'"table":"legacy_log"'*'"key":["_sqlite_rowid"],"key_source":"rowid"'* ]]
    provision nopk "$W/nopk.db"
    run sync nopk "$W/nopk.db"
    [ "$status" -eq 0 ]
    run count_mismatches nopk "$W/nopk.db"
    [ "$status" -eq 0 ]
    "$GEN" mutate --db "$W/nopk.db" --seed 5 --insert 10 --update 10 --delete 5 --tables chat,memory,user >/dev/null
    sqlite3 "$W/nopk.db" "DELETE FROM legacy_log WHERE rowid = (SELECT max(rowid) FROM legacy_log);
                          UPDATE legacy_log SET line = 'A' WHERE rowid = (SELECT min(rowid) FROM legacy_log)"
    run sync nopk "$W/nopk.db"
    [ "$status" -eq 0 ]
    run count_mismatches nopk "$W/nopk.db"
    [ "$status" -eq 0 ]
    [ "$(q "SELECT string_agg(_sqlite_rowid || ':' || line, ',' ORDER BY _sqlite_rowid) FROM nopk.legacy_log")" = \
      "$(sqlite3 "$W/nopk.db" "SELECT group_concat(rowid || ':' || line, ',') FROM (SELECT rowid, line FROM legacy_log ORDER BY rowid)")" ]
    # an Open WebUI upgrade adds a nullable column: re-provisioning adds it, no row hash changes
    sqlite3 "$W/nopk.db" "ALTER TABLE chat ADD COLUMN timer_note TEXT"
    provision nopk "$W/nopk.db"
    [ "$(q "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'nopk' AND table_name = 'chat' AND column_name = 'timer_note'")" = 1 ]
    run sync nopk "$W/nopk.db"
    [ "$status" -eq 0 ]
    [[ "$output" == *"0 inserted, 0 updated, 0 deleted"* ]]
    assert_tenant_digest "$W/nopk.db" nopk
}

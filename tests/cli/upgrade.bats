#!/usr/bin/env bats
# Schema evolution without an admin (issue 12 item 1): an Open WebUI upgrade adds tables and columns,
# drops or renames a column, changes a key or a type. The next ordinary cycle, as sync_service, adds
# what only needs adding through sql/010_schema_evolution.sql, keeps what was dropped, and stops only
# a table whose key or type changed (the others keep syncing) until an admin resets it. Both fixture
# lineages, real PostgreSQL (tests/lib/pgcluster.sh).

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=h1
    pgcluster_service_db upgrade || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
# svc SQL: as sync_service, with the host id of these tenants set.
svc() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$SVC" \
        -c "SELECT set_config('syncpipe.host_id', 'h1', false)" -c "$1" 2>&1 | sed 1d
    return "${PIPESTATUS[0]}"
}
snap() { "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$2"; }
provision() { snap "$1" "$2" | "$B/tools/load/sync-load" --provision --dsn "dbname=$DB"; }
# sync CLIENT FILE — one cycle as sync_service; prints "diff=N load=N" (the stages' statuses) last.
sync() {
    snap "$1" "$2" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" |
        "$B/tools/resolve/sync-resolve" | "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W/state"
    local st=("${PIPESTATUS[@]}")
    echo "diff=${st[1]} load=${st[3]}"
    ((st[0] == 0 && st[1] == 0 && st[2] == 0 && st[3] == 0))
}
tenant() {  # tenant NAME LINEAGE_SQL
    mkdir -p "$W/state"
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/$2" --out "$W/$1.db" --users 3 --chats-per-user 4 >/dev/null
    provision "$1" "$W/$1.db"
    sync "$1" "$W/$1.db" >/dev/null
}
# rows per table in SQLite vs target + quarantine (tables named, or all)
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
pg_type() { q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$1'::regclass AND attname = '$2' AND NOT attisdropped"; }
history() { q "SELECT string_agg(change || ':' || table_name || coalesce('.' || column_name, ''), ' ' ORDER BY id) FROM sync_metadata.schema_history WHERE client_id = '$1' AND change <> 'source_schema'"; }

# new_column_and_table CLIENT LINEAGE_SQL
new_column_and_table() {
    local c="$1"
    tenant "$c" "$2"
    # what an upgrade does: a nullable column on chat_message and chat, a new table with rows
    sqlite3 "$W/$c.db" "ALTER TABLE chat_message ADD COLUMN response_id VARCHAR;
        ALTER TABLE chat ADD COLUMN pinned_rank INTEGER DEFAULT 7;
        CREATE TABLE skill_usage (id VARCHAR NOT NULL, skill_id VARCHAR, used_at BIGINT, score REAL, note NUMERIC,
                                  PRIMARY KEY (id));
        INSERT INTO skill_usage VALUES ('s1', 'k', 1700000000, 0.5, 12), ('s2', 'k', 1700000001, NULL, 'x');
        UPDATE chat_message SET response_id = 'resp-' || id WHERE rowid % 2 = 0;"
    run sync "$c" "$W/$c.db"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"new table skill_usage created"* ]]
    [[ "$output" == *"new column chat_message.response_id (text) added"* ]]
    run count_mismatches "$c" "$W/$c.db"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(pg_type "$c.chat_message" response_id)" = text ]
    [ "$(pg_type "$c.chat" pinned_rank)" = bigint ]
    [ "$(pg_type "$c.skill_usage" score)" = "double precision" ]
    [ "$(pg_type "$c.skill_usage" note)" = text ]  # NUMERIC names no type: text, as for an empty table
    [ "$(q "SELECT string_agg(a.attname, ',') FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '$c.skill_usage'::regclass AND i.indisprimary")" = id ]
    diff <(sqlite3 "$W/$c.db" "SELECT id || '|' || coalesce(response_id, '-') FROM chat_message ORDER BY id") \
         <(q "SELECT id || '|' || coalesce(response_id, '-') FROM $c.chat_message ORDER BY id COLLATE \"C\"")
    [ "$(q "SELECT DISTINCT pinned_rank FROM $c.chat")" = 7 ]
    [ "$(q "SELECT note FROM $c.skill_usage ORDER BY id")" = $'12\nx' ]
    # recorded, and sync_service may read but not write the history
    [ "$(history "$c")" = "add_column:chat.pinned_rank add_column:chat_message.response_id add_table:skill_usage" ]
    run svc "INSERT INTO sync_metadata.schema_history (host_id, client_id, schema_name, table_name, change) VALUES ('h1', '$c', '$c', 'x', 'add_table')"
    [ "$status" -ne 0 ]
    [[ "$output" == *"permission denied"* ]]
    # the next cycle changes nothing and records nothing more
    run sync "$c" "$W/$c.db"
    [ "$status" -eq 0 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.schema_history WHERE client_id = '$c' AND change <> 'source_schema'")" = 3 ]
}

@test "alembic-born: a new column and a new table reach PostgreSQL on the next ordinary cycle" {
    new_column_and_table up_a webui-schema.sql
}

@test "peewee-born: a new column and a new table reach PostgreSQL on the next ordinary cycle" {
    new_column_and_table up_p webui-schema-upgraded-from-peewee.sql
}

@test "after an upgrade the captured schema follows the file: a restore has the new table and column" {
    # up_a was upgraded and synced by the first test of this file (bats runs them in order)
    [ -f "$W/up_a.db" ] || new_column_and_table up_a webui-schema.sql
    [ "$(q "SELECT count(*) FROM sync_metadata.source_schema WHERE client_id = 'up_a' AND name = 'skill_usage'")" = 1 ]
    [ "$(q "SELECT count(*) FROM sync_metadata.schema_history WHERE client_id = 'up_a' AND change = 'source_schema'")" = 1 ]
    run -0 --separate-stderr bash -c '"$1" --client up_a --from-postgres --dsn "$2" | "$3" --to-sqlite "$4"' _ \
        "$B/tools/snapshot/sync-snapshot" "$SVC" "$B/tools/load/sync-load" "$W/up_a-restored.db"
    [ "$(sqlite3 "$W/up_a-restored.db" "SELECT count(*) FROM skill_usage")" = 2 ]
    [ "$(sqlite3 "$W/up_a-restored.db" "SELECT count(*) FROM pragma_table_info('chat_message') WHERE name = 'response_id'")" = 1 ]
    [ "$(sqlite3 "$W/up_a-restored.db" "SELECT count(response_id) FROM chat_message")" = \
      "$(sqlite3 "$W/up_a.db" "SELECT count(response_id) FROM chat_message")" ]
    # a cycle with the same file changes the capture no more
    run -0 sync up_a "$W/up_a.db"
    [ "$(q "SELECT count(*) FROM sync_metadata.schema_history WHERE client_id = 'up_a' AND change = 'source_schema'")" = 1 ]
}

@test "a dropped column stays with its values, NULL in new rows; a renamed one is dropped + added" {
    c=up_drop
    tenant "$c" webui-schema-upgraded-from-peewee.sql
    before=$(q "SELECT count(*) FROM $c.memory WHERE content IS NOT NULL")
    [ "$before" -gt 0 ]
    sqlite3 "$W/$c.db" "ALTER TABLE memory DROP COLUMN content;
        ALTER TABLE chat RENAME COLUMN title TO headline;
        INSERT INTO memory (id, user_id, updated_at, created_at) VALUES ('m-new', 'u', 1, 1);
        UPDATE chat SET headline = 'renamed ' || id;"
    run sync "$c" "$W/$c.db"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"column memory.content is no longer in the source"* ]]
    run count_mismatches "$c" "$W/$c.db"
    [ "$status" -eq 0 ]
    # nothing lost: the old values stay, the new row has NULL
    [ "$(q "SELECT count(*) FROM $c.memory WHERE content IS NOT NULL")" = "$before" ]
    [ "$(q "SELECT content IS NULL FROM $c.memory WHERE id = 'm-new'")" = t ]
    # renamed: the old column keeps the old titles, the new one has the new values
    [ "$(q "SELECT count(*) FROM $c.chat WHERE title IS NOT NULL AND headline = 'renamed ' || id")" = \
      "$(sqlite3 "$W/$c.db" 'SELECT count(*) FROM chat')" ]
    [ "$(history "$c")" = "add_column:chat.headline column_dropped:chat.title column_dropped:memory.content" ]
    # recorded once, however many cycles see it
    sync "$c" "$W/$c.db"
    [ "$(q "SELECT count(*) FROM sync_metadata.schema_history WHERE client_id = '$c' AND change <> 'source_schema'")" = 3 ]
}

@test "a key change stops that table only, names the admin command; reset_table resyncs it" {
    c=up_key
    tenant "$c" webui-schema.sql
    mem_before=$(q "SELECT string_agg(id, ',' ORDER BY id) FROM $c.memory")
    # memory rebuilt with a composite key (what an alembic batch migration does), and a type change on note
    sqlite3 "$W/$c.db" "UPDATE memory SET user_id = coalesce(user_id, 'nobody');
        CREATE TABLE memory_new (id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, content TEXT, updated_at BIGINT,
            created_at BIGINT, type VARCHAR DEFAULT 'context' NOT NULL, path TEXT, meta JSON, PRIMARY KEY (id, user_id));
        INSERT INTO memory_new SELECT id, user_id, content, updated_at, created_at, type, path, meta FROM memory;
        DROP TABLE memory; ALTER TABLE memory_new RENAME TO memory;
        INSERT INTO memory (id, user_id, updated_at, created_at) VALUES ('m-after', 'u', 1, 1);
        DELETE FROM memory WHERE rowid = (SELECT min(rowid) FROM memory WHERE id <> 'm-after');"
    "$GEN" mutate --db "$W/$c.db" --seed 9 --insert 5 --update 5 --delete 2 --tables chat >/dev/null
    run sync "$c" "$W/$c.db"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"diff=1 load=0"* ]]
    [[ "$output" == *"sync-diff: error: tenant $c: table memory stopped (the key changed from (id) in PostgreSQL to (id, user_id) in the source)"*"SELECT sync_metadata.reset_table('$c', 'memory')"* ]]
    # the other tables kept syncing; nothing of memory was written or deleted
    [ "$(q "SELECT count(*) FROM $c.chat")" = "$(sqlite3 "$W/$c.db" 'SELECT count(*) FROM chat')" ]
    [ "$(q "SELECT string_agg(id, ',' ORDER BY id) FROM $c.memory")" = "$mem_before" ]
    [ "$(history "$c")" = "table_stopped:memory" ]
    # the admin resolves it; the old rows stay under a new name; the next ordinary cycle converges
    old=$(q "SELECT sync_metadata.reset_table('$c', 'memory')")
    [[ "$old" == memory_before_* ]]
    [ "$(q "SELECT count(*) FROM $c.\"$old\"")" -gt 0 ]
    run sync "$c" "$W/$c.db"
    echo "$output"
    [ "$status" -eq 0 ]
    run count_mismatches "$c" "$W/$c.db"
    [ "$status" -eq 0 ]
    [ "$(q "SELECT count(*) FROM $c.memory WHERE id = 'm-after'")" = 1 ]
    [ "$(history "$c")" = "table_stopped:memory table_reset:memory add_table:memory" ]
    # sync_service cannot reset a table itself
    run svc "SELECT sync_metadata.reset_table('$c', 'chat')"
    [ "$status" -ne 0 ]
    [[ "$output" == *"permission denied"* ]]
}

@test "a type change stops that table only; the others keep syncing" {
    c=up_type
    tenant "$c" webui-schema.sql
    sqlite3 "$W/$c.db" "CREATE TABLE memory_new (id VARCHAR NOT NULL, user_id VARCHAR, content TEXT, updated_at BIGINT,
            created_at TEXT, type VARCHAR DEFAULT 'context' NOT NULL, path TEXT, meta JSON, PRIMARY KEY (id));
        INSERT INTO memory_new SELECT id, user_id, content, updated_at, created_at, type, path, meta FROM memory;
        DROP TABLE memory; ALTER TABLE memory_new RENAME TO memory;
        UPDATE memory SET created_at = 'yesterday';
        INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, meta) VALUES ('c-type', 'u', 't', '{}', 1, 1, '{}');"
    run sync "$c" "$W/$c.db"
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"table memory stopped (column created_at is now declared TEXT, which does not map to its PostgreSQL type bigint)"* ]]
    [ "$(q "SELECT count(*) FROM $c.chat WHERE id = 'c-type'")" = 1 ]
    [ "$(q "SELECT count(*) FROM $c.memory WHERE created_at IS NULL")" = 0 ]
}

@test "the definer functions add only, validate names and types, and stay inside the caller's tenants" {
    c=up_fn
    tenant "$c" webui-schema.sql
    run svc "SELECT sync_metadata.add_column('$c', 'chat', 'x', 'text; DROP TABLE $c.chat')"
    [ "$status" -ne 0 ]
    [[ "$output" == *"is not one syncpipe maps"* ]]
    run svc "SELECT sync_metadata.add_column('$c', 'chat', repeat('x', 64), 'text')"
    [[ "$output" == *"longer than 63 bytes"* ]]
    run svc "SELECT sync_metadata.add_table('$c', 'n', '[{\"name\": \"a\", \"type\": \"text\"}]', ARRAY['b'])"
    [[ "$output" == *"key column 'b' is not a column"* ]]
    run svc "SELECT sync_metadata.add_column('nobody', 'chat', 'x', 'text')"
    [[ "$output" == *"is not an active client of host"* ]]
    # another host's tenant is out of reach
    run psql -X -q -At -d "$SVC" -c "SELECT set_config('syncpipe.host_id', 'h2', false)" \
        -c "SELECT sync_metadata.add_column('$c', 'chat', 'x', 'text')"
    [[ "$output" == *"is not an active client of host 'h2'"* ]]
    # a tenant cannot even be registered on a reserved schema (007's check); 010 refuses it again
    run q "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('evil', 'h1', 'public')"
    [ "$status" -ne 0 ]
    # a column that exists is not touched; a type change is not possible through add_column
    run svc "SELECT sync_metadata.add_column('$c', 'chat', 'title', 'bigint')"
    [ "$output" = f ]
    [ "$(pg_type "$c.chat" title)" = text ]
    # nothing was recorded for the refused calls
    [ "$(q "SELECT count(*) FROM sync_metadata.schema_history WHERE client_id = '$c'")" = 0 ]
}

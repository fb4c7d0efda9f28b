#!/usr/bin/env bats
# sync-resolve over hand-written conflict streams (sealed with the test aid stream-seal, which appends
# the trailer), config validation, and the man page against --help.
#
# The --list/--settle tests need a real PostgreSQL (they fail, not skip, without one):
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/resolve.bats

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    export RESOLVE="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tools/resolve/sync-resolve"
    export SEAL="$SYNCPIPE_BUILD/tools/resolve/stream-seal"
    [[ -x "$RESOLVE" && -x "$SEAL" ]] || { echo "not built: $RESOLVE / $SEAL" >&2; return 1; }
    export REPO="$BATS_TEST_DIRNAME/../.."
    if [[ -n "${PGCLUSTER_DIR:-}" && -n "${PGPORT:-}" ]]; then
        export DB="resolvetest_$$_$RANDOM"
        pgcluster_migrate "$DB"
        pgcluster_state_home "$DB"
        pgcluster_service_password "$DB"
    fi
}

teardown_file() {
    if [[ -n "${DB:-}" ]]; then dropdb --if-exists --force -- "$DB"; fi
}

need_cluster() {
    [[ -n "${DB:-}" ]] || { echo "no cluster: run under tests/lib/pgcluster.sh run" >&2; return 1; }
}

# admin SQL as the superuser over the socket.
admin() { printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -f -; }

# sync-resolve as sync_service over TCP with the passfile (never a password in argv).
svc() {
    PGPASSFILE="$SERVICE_PASSFILE" "$RESOLVE" --dsn "host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service" "$@"
}

HEADER='{"t":"header","v":1,"client":"acme","host":"h1","schema":"acme","source":"/srv/acme/webui.db","stream_id":"s1","adhoc":true,"created_at":"2026-11-25T09:00:00Z"}'
BASE='{"t":"base","client":"acme","generation":3,"cache":"hit"}'
col() { printf '{"name":"%s","decl":"TEXT","notnull":false,"pk":%s,"dflt":null}' "$1" "${2:-0}"; }
CHAT_TABLE="{\"t\":\"table\",\"table\":\"chat\",\"columns\":[$(col id 1),$(col title),$(col chat),$(col meta),$(col updated_at)],\"key\":[\"id\"],\"key_source\":\"primary_key\"}"
USER_TABLE="{\"t\":\"table\",\"table\":\"user\",\"columns\":[$(col id 1),$(col name),$(col updated_at)],\"key\":[\"id\"],\"key_source\":\"primary_key\"}"
OAUTH_TABLE="{\"t\":\"table\",\"table\":\"oauth_session\",\"columns\":[$(col id 1),$(col token),$(col updated_at)],\"key\":[\"id\"],\"key_source\":\"primary_key\"}"
CONFIG_TABLE="{\"t\":\"table\",\"table\":\"config\",\"columns\":[$(col key 1),$(col value),$(col updated_at)],\"key\":[\"key\"],\"key_source\":\"primary_key\"}"
KH1=11111111111111111111111111111111
KH2=22222222222222222222222222222222
KH3=33333333333333333333333333333333
KH4=44444444444444444444444444444444
SH=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa

# Both sides of chat c1 gained a message under m1: m2 in SQLite (older), m3 in PostgreSQL (newer).
SRC_CHAT='{\"history\":{\"messages\":{\"m1\":{\"id\":\"m1\",\"childrenIds\":[\"m2\"]},\"m2\":{\"id\":\"m2\",\"parentId\":\"m1\"}},\"currentId\":\"m2\"},\"messages\":[{\"id\":\"m1\"},{\"id\":\"m2\"}]}'
TGT_CHAT='{\"history\":{\"messages\":{\"m1\":{\"id\":\"m1\",\"childrenIds\":[\"m3\"]},\"m3\":{\"id\":\"m3\",\"parentId\":\"m1\"}},\"currentId\":\"m3\"},\"messages\":[{\"id\":\"m1\"},{\"id\":\"m3\"}]}'

# The conflict stream every test starts from: one conflict per configured table, plus a plain change.
conflicts() {
    printf '%s\n' "$HEADER" "$BASE" "$CHAT_TABLE" \
        "{\"t\":\"change\",\"op\":\"insert\",\"table\":\"chat\",\"kh\":\"$KH4\",\"h\":\"$SH\",\"k\":[\"c0\"],\"v\":[\"c0\",\"new\",null,null,1]}" \
        "{\"t\":\"conflict\",\"kind\":\"update_update\",\"table\":\"chat\",\"kh\":\"$KH1\",\"h\":\"$SH\",\"k\":[\"c1\"],\"v\":[\"c1\",\"Source\",\"$SRC_CHAT\",\"{\\\"tags\\\":[\\\"a\\\",\\\"s\\\"]}\",1700000000],\"target\":[\"c1\",\"Target\",\"$TGT_CHAT\",\"{\\\"tags\\\":[\\\"a\\\",\\\"t\\\"]}\",1700000001000000000],\"base_h\":null}" \
        "$USER_TABLE" \
        "{\"t\":\"conflict\",\"kind\":\"update_update\",\"table\":\"user\",\"kh\":\"$KH2\",\"h\":\"$SH\",\"k\":[\"u1\"],\"v\":[\"u1\",\"Source name\",1700000005],\"target\":[\"u1\",\"Target name\",1700000001000000000],\"base_h\":null}" \
        "{\"t\":\"conflict\",\"kind\":\"delete_update\",\"table\":\"user\",\"kh\":\"$KH3\",\"h\":null,\"k\":[\"u2\"],\"v\":null,\"target\":[\"u2\",\"Kept\",5],\"base_h\":null}" \
        "$OAUTH_TABLE" \
        "{\"t\":\"conflict\",\"kind\":\"update_delete\",\"table\":\"oauth_session\",\"kh\":\"$KH1\",\"h\":\"$SH\",\"k\":[\"o1\"],\"v\":[\"o1\",\"tok\",1],\"target\":null,\"base_h\":null}" \
        "$CONFIG_TABLE" \
        "{\"t\":\"conflict\",\"kind\":\"update_update\",\"table\":\"config\",\"kh\":\"$KH4\",\"h\":\"$SH\",\"k\":[\"ui\"],\"v\":[\"ui\",\"{}\",2],\"target\":[\"ui\",\"{\\\"x\\\":1}\",3],\"base_h\":null}" \
        | "$SEAL"
}

# records OUTPUT_FILE TYPE: the records of one type, one per line.
records() { jq -c --arg t "$2" 'select(.t == $t)' "$1"; }

@test "the conflict stream resolves with the default config: exit 0, a valid stream out" {
    conflicts >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr "$RESOLVE" <"$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"5 conflicts: 2 source, 1 target, 1 merged, 1 unresolved"* ]]
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
    [ "$(jq -r .t "$BATS_TEST_TMPDIR/out" | grep -c conflict)" -eq 0 ]
    [ "$(records "$BATS_TEST_TMPDIR/out" decision | wc -l)" -eq 5 ]
    [ "$(records "$BATS_TEST_TMPDIR/out" change | wc -l)" -eq 5 ]  # the plain one + 4 resolved
    # Everything but conflicts is forwarded byte for byte, in order.
    diff <(grep -v '"t":"conflict"' "$BATS_TEST_TMPDIR/in" | grep -v '"t":"trailer"') \
         <(grep -v -e '"t":"decision"' -e '"t":"change","op":"\(update\|record\|delete\)"' "$BATS_TEST_TMPDIR/out" | grep -v '"t":"trailer"')
    # The output is itself a valid stream: a second pass forwards it unchanged.
    "$RESOLVE" -q <"$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/out2"
    cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/out2"
}

@test "merge: two chats that both gained messages keep both" {
    conflicts | "$RESOLVE" -q >"$BATS_TEST_TMPDIR/out"
    d=$(records "$BATS_TEST_TMPDIR/out" decision | jq -c 'select(.table == "chat")')
    [ "$(jq -r .resolution <<<"$d")" = merge ]
    [ "$(jq -r .strategy <<<"$d")" = merge ]
    [ "$(jq -r .h <<<"$d")" = "$SH" ]
    [[ "$(jq -r .target_h <<<"$d")" =~ ^[0-9a-f]{32}$ ]]
    c=$(records "$BATS_TEST_TMPDIR/out" change | jq -c 'select(.table == "chat" and .op == "update")')
    [ "$(jq -r .h <<<"$c")" = "$SH" ]
    [ "$(jq -r '.v[1]' <<<"$c")" = Target ]  # title: newest_wins, the target is newer
    chat=$(jq -r '.v[2]' <<<"$c")
    [ "$(jq -c '.history.messages | keys' <<<"$chat")" = '["m1","m2","m3"]' ]
    [ "$(jq -c '.history.messages.m1.childrenIds' <<<"$chat")" = '["m3","m2"]' ]
    [ "$(jq -c '[.messages[].id]' <<<"$chat")" = '["m1","m3","m2"]' ]
    [ "$(jq -r '.v[3]' <<<"$c" | jq -c .tags)" = '["a","t","s"]' ]
}

@test "newest_wins compares seconds with nanoseconds; a deleted side loses to an edit" {
    conflicts | "$RESOLVE" -q >"$BATS_TEST_TMPDIR/out"
    d=$(records "$BATS_TEST_TMPDIR/out" decision | jq -c "select(.kh == \"$KH2\")")
    [ "$(jq -r .resolution <<<"$d")" = source ]
    [ "$(jq -r .note <<<"$d")" = "source newer by updated_at" ]
    c=$(records "$BATS_TEST_TMPDIR/out" change | jq -c "select(.kh == \"$KH2\")")
    [ "$(jq -c '[.op, .h, .v]' <<<"$c")" = "[\"update\",\"$SH\",[\"u1\",\"Source name\",1700000005]]" ]
    # delete_update: the target's edit is kept; the base remembers "no source row" (zero hash).
    d=$(records "$BATS_TEST_TMPDIR/out" decision | jq -c "select(.kh == \"$KH3\")")
    [ "$(jq -c '[.kind, .resolution, .h]' <<<"$d")" = '["delete_update","target",null]' ]
    c=$(records "$BATS_TEST_TMPDIR/out" change | jq -c "select(.kh == \"$KH3\")")
    [ "$(jq -c '[.op, .h, .v]' <<<"$c")" = '["record","00000000000000000000000000000000",["u2","Kept",5]]' ]
}

@test "source_wins on update_delete re-writes the row; manual leaves a decision and no change" {
    conflicts | "$RESOLVE" -q >"$BATS_TEST_TMPDIR/out"
    c=$(records "$BATS_TEST_TMPDIR/out" change | jq -c 'select(.table == "oauth_session")')
    [ "$(jq -c '[.op, .h, .k, .v]' <<<"$c")" = "[\"update\",\"$SH\",[\"o1\"],[\"o1\",\"tok\",1]]" ]
    d=$(records "$BATS_TEST_TMPDIR/out" decision | jq -c 'select(.table == "config")')
    [ "$(jq -c '[.strategy, .resolution, .resolved_by, .note]' <<<"$d")" = \
      '["manual","unresolved","sync-resolve","Configuration changes require review"]' ]
    [ "$(records "$BATS_TEST_TMPDIR/out" change | jq -c 'select(.table == "config")')" = "" ]
    # No snapshot by default, but both hashes always.
    [ "$(jq -c '[has("source"), has("target"), .h, (.target_h | length)]' <<<"$d")" = "[false,false,\"$SH\",32]" ]
}

@test "target_wins and include_data_snapshot from a --config file" {
    cat >"$BATS_TEST_TMPDIR/cfg.json" <<'JSON'
{"conflict_resolution": {"default_strategy": "target_wins",
  "resolution_log": {"enabled": true, "retention_days": 7, "include_data_snapshot": true}}}
JSON
    conflicts | "$RESOLVE" -q --config "$BATS_TEST_TMPDIR/cfg.json" >"$BATS_TEST_TMPDIR/out"
    [ "$(records "$BATS_TEST_TMPDIR/out" decision | jq -r .resolution | sort -u)" = target ]
    d=$(records "$BATS_TEST_TMPDIR/out" decision | jq -c "select(.kh == \"$KH2\")")
    [ "$(jq -c '[.source, .target]' <<<"$d")" = '[["u1","Source name",1700000005],["u1","Target name",1700000001000000000]]' ]
    c=$(records "$BATS_TEST_TMPDIR/out" change | jq -c 'select(.table == "oauth_session")')
    [ "$(jq -c '[.op, .h, .v]' <<<"$c")" = "[\"record\",\"$SH\",null]" ]  # the target deleted it: stays deleted
    c=$(records "$BATS_TEST_TMPDIR/out" change | jq -c "select(.kh == \"$KH2\")")
    [ "$(jq -c '[.op, .v]' <<<"$c")" = '["record",["u1","Target name",1700000001000000000]]' ]
}

@test "a truncated or unsealed stream is refused (65) and no trailer is written" {
    conflicts | head -n 5 >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr "$RESOLVE" <"$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 65 ]
    [[ "$stderr" == "sync-resolve: error: stdin:"*"truncated stream"* ]]
    [[ "$output" != *'"t":"trailer"'* ]]
    # Without a lease, only an ad-hoc stream is accepted.
    printf '%s\n' "${HEADER/\"adhoc\":true/\"adhoc\":false}" | "$SEAL" >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr "$RESOLVE" <"$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 65 ]
    [[ "$stderr" == *"no lease record"* ]]
}

@test "a conflict before its table record is refused with the line number" {
    printf '%s\n' "$HEADER" "{\"t\":\"conflict\",\"kind\":\"update_update\",\"table\":\"chat\",\"kh\":\"$KH1\",\"h\":\"$SH\",\"k\":[\"c1\"],\"v\":[\"c1\"],\"target\":[\"c1\"]}" \
        | "$SEAL" >"$BATS_TEST_TMPDIR/in"
    run --separate-stderr "$RESOLVE" <"$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 65 ]
    [ "$stderr" = 'sync-resolve: error: stdin:2: conflict for table "chat" before its table record' ]
}

@test "the shipped default config is the built-in one and is valid" {
    diff <("$RESOLVE" --default-config) "$REPO/config/conflict-resolution-default.json"
    run --separate-stderr "$RESOLVE" --check-config "$REPO/config/conflict-resolution-default.json" --strict
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"valid (4 table strategies, default newest_wins)"* ]]
}

@test "--check-config: an unknown strategy, merge rule or bad JSON exits 65 with one line naming file and key" {
    printf '{"conflict_resolution":{"table_strategies":{"chat":{"strategy":"newst_wins"}}}}' >"$BATS_TEST_TMPDIR/bad.json"
    run --separate-stderr "$RESOLVE" --check-config "$BATS_TEST_TMPDIR/bad.json"
    [ "$status" -eq 65 ]
    [ "$stderr" = "sync-resolve: error: $BATS_TEST_TMPDIR/bad.json: conflict_resolution.table_strategies.chat.strategy: unknown strategy \"newst_wins\" (expected newest_wins, source_wins, target_wins, merge or manual)" ]
    printf '{"conflict_resolution":{"table_strategies":{"chat":{"strategy":"merge","merge_rules":{"chat.messages":"concat"}}}}}' >"$BATS_TEST_TMPDIR/bad.json"
    run --separate-stderr "$RESOLVE" --check-config "$BATS_TEST_TMPDIR/bad.json"
    [ "$status" -eq 65 ]
    [[ "$stderr" == *'bad.json: conflict_resolution.table_strategies.chat.merge_rules."chat.messages": unknown merge rule "concat"'* ]]
    [ "$(wc -l <<<"$stderr")" -eq 1 ]
    printf '{"conflict_resolution": {' >"$BATS_TEST_TMPDIR/bad.json"
    run --separate-stderr "$RESOLVE" --check-config "$BATS_TEST_TMPDIR/bad.json"
    [ "$status" -eq 65 ]
    [[ "$stderr" == *"bad.json: (document): not valid JSON"* ]]
    # A bad --config stops the filter before it reads anything.
    run --separate-stderr "$RESOLVE" --config "$BATS_TEST_TMPDIR/bad.json" </dev/null
    [ "$status" -eq 65 ]
    run --separate-stderr "$RESOLVE" --check-config "$BATS_TEST_TMPDIR/missing.json"
    [ "$status" -eq 66 ]
}

@test "--check-config: unknown tables are warnings, errors under --strict" {
    printf '{"conflict_resolution":{"table_strategies":{"chats":{"strategy":"manual"}}}}' >"$BATS_TEST_TMPDIR/w.json"
    run --separate-stderr "$RESOLVE" --check-config "$BATS_TEST_TMPDIR/w.json"
    [ "$status" -eq 0 ]
    [[ "$stderr" == *'warning: '*'w.json: conflict_resolution.table_strategies.chats: unknown table "chats"'* ]]
    run --separate-stderr "$RESOLVE" --check-config "$BATS_TEST_TMPDIR/w.json" --strict
    [ "$status" -eq 65 ]
    [[ "$stderr" == *'error: '*'unknown table "chats"'*'--strict'* ]]
}

@test "bad command lines exit 64" {
    run "$RESOLVE" --no-such-option
    [ "$status" -eq 64 ]
    run "$RESOLVE" --config a --check-config b
    [ "$status" -eq 64 ]
}

@test "every option of --help is documented in sync-resolve(1)" {
    page="$REPO/man/sync-resolve.1.scd"
    [ -f "$page" ]
    opts=$("$RESOLVE" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
    [ -n "$opts" ]
    for o in $opts; do
        grep -qF -- "*$o" "$page" || { echo "not in the man page: $o"; return 1; }
    done
}

# --- settling manual conflicts against a real PostgreSQL -------------------------------------------------

# Host R1, tenant acme: one unresolved manual conflict, one resolved; host R2 has one of its own.
# (sync_service reaches conflicts only of tenants registered to its host: sql/003_rls.sql.)
conflict_rows() {
    admin "
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name)
    VALUES ('acme', 'R1', 'acme'), ('beta', 'R2', 'beta') ON CONFLICT DO NOTHING;
    INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, row_key, key_hash, conflict_type,
        resolution_strategy, resolution, resolved_by, note, source_hash, target_hash, resolved_at)
    VALUES ('R1', 'acme', 'config', '[\"ui\"]', '$KH4', 'update_update', 'manual', 'unresolved', 'sync-resolve',
            'Configuration changes require review', '$SH', 'bbbb$BATS_TEST_NUMBER', NULL),
           ('R1', 'acme', 'user', '[\"u1\"]', '$KH2', 'update_update', 'newest_wins', 'source', 'sync-resolve',
            'source newer by updated_at', '$SH', 'cccc$BATS_TEST_NUMBER', now()),
           ('R2', 'beta', 'config', '[\"ui\"]', '$KH4', 'update_update', 'manual', 'unresolved', 'sync-resolve',
            'other host', '$SH', 'dddd$BATS_TEST_NUMBER', NULL)
    RETURNING id" | tr '\n' ' '
}

@test "--list shows the host's unresolved conflicts; --settle records the decision once" {
    need_cluster
    read -r open closed other <<<"$(conflict_rows)"
    run --separate-stderr svc --list --host R1 --client acme --json
    [ "$status" -eq 0 ]
    [ "$(wc -l <<<"$output")" -eq 1 ]
    [ "$(jq -c '[.id, .client, .table, .key, .kind, .strategy, .settled]' <<<"$output")" = \
      "[$open,\"acme\",\"config\",\"[\\\"ui\\\"]\",\"update_update\",\"manual\",null]" ]
    run --separate-stderr svc --list --host R1
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == *ID*DETECTED*CLIENT*TABLE* ]]
    [[ "$output" == *"Configuration changes require review"* && "$output" != *"other host"* ]]

    run --separate-stderr svc --settle "$open" --take target --host R1
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"conflict $open (acme table config key [\"ui\"]) settled: target"* ]]
    [ "$(admin "SELECT settled_value, resolved_at IS NULL FROM sync_metadata.conflict_log WHERE id = $open")" = \
      '{"settled":"target","settled_by":"sync_service"}|t' ]
    run --separate-stderr svc --list --host R1 --json
    [ "$(jq -c .settled <<<"$output")" = '{"settled":"target","settled_by":"sync_service"}' ]
    # A resolved conflict, another host's conflict (row-level security) and an unknown id are refused.
    run --separate-stderr svc --settle "$closed" --take source --host R1
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"conflict $closed is already resolved"* ]]
    run --separate-stderr svc --settle "$other" --take source --host R1
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"no conflict $other visible for host R1"* ]]
    [ "$(admin "SELECT settled_value IS NULL FROM sync_metadata.conflict_log WHERE id = $other")" = t ]
}

@test "--settle --value stores a row of protocol values; bad settle command lines exit 64" {
    need_cluster
    read -r open closed other <<<"$(conflict_rows)"
    run --separate-stderr svc --settle "$open" --value '["ui", "{\"x\": 2}", 9, {"real":"inf"}]' --host R1
    [ "$status" -eq 0 ]
    [ "$(admin "SELECT settled_value FROM sync_metadata.conflict_log WHERE id = $open")" = \
      '{"settled":"value","settled_v":["ui","{\"x\": 2}",9,{"real":"inf"}],"settled_by":"sync_service"}' ]
    run svc --settle "$open" --value '["ui", [1]]' --host R1
    [ "$status" -eq 64 ]
    run svc --settle "$open" --value '{"x":1}' --host R1
    [ "$status" -eq 64 ]
    run svc --settle "$open" --take both --host R1
    [ "$status" -eq 64 ]
    run svc --settle "$open" --take source --value '[]' --host R1
    [ "$status" -eq 64 ]
    run svc --take source
    [ "$status" -eq 64 ]
}

@test "the next run: a conflict carrying the settled_value is decided as settled, over the strategy" {
    need_cluster
    read -r open closed other <<<"$(conflict_rows)"
    svc --settle "$open" --take source --host R1 2>/dev/null
    settled=$(admin "SELECT settled_value FROM sync_metadata.conflict_log WHERE id = $open")
    # What the stage that finds the settlement does: splice its members into the conflict record.
    conflict="{\"t\":\"conflict\",\"kind\":\"update_update\",\"table\":\"config\",\"kh\":\"$KH4\",\"h\":\"$SH\",\"k\":[\"ui\"],\"v\":[\"ui\",\"{}\",2],\"target\":[\"ui\",\"{\\\"x\\\":1}\",3],\"settled_id\":$open,${settled#\{}"
    printf '%s\n' "$HEADER" "$CONFIG_TABLE" "$conflict" | "$SEAL" | "$RESOLVE" -q >"$BATS_TEST_TMPDIR/out"
    d=$(records "$BATS_TEST_TMPDIR/out" decision)
    [ "$(jq -c '[.strategy, .resolution, .resolved_by, .note]' <<<"$d")" = \
      "[\"settled\",\"source\",\"sync_service\",\"settled by sync_service (conflict_log id $open): source taken\"]" ]
    c=$(records "$BATS_TEST_TMPDIR/out" change)
    [ "$(jq -c '[.op, .v]' <<<"$c")" = '["update",["ui","{}",2]]' ]
}

# --- end to end: real conflicts between a SQLite file and its PostgreSQL copy ------------------------------

# A tiny tenant: chat (merge), config (manual), user (newest_wins), tag (default newest_wins, no updated_at).
e2e_tenant() {
    sqlite3 "$1" <<'SQL'
CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT, chat JSON, meta JSON, updated_at BIGINT);
CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT, updated_at BIGINT);
CREATE TABLE "user" (id TEXT PRIMARY KEY, name TEXT, updated_at BIGINT);
CREATE TABLE tag (id TEXT PRIMARY KEY, name TEXT);
INSERT INTO chat VALUES ('c1', 'Base', '{"history":{"messages":{"m1":{"id":"m1","childrenIds":[]}},"currentId":"m1"},"messages":[{"id":"m1"}]}', '{"tags":["a"]}', 1700000000);
INSERT INTO config VALUES ('ui', '{"theme":"light"}', 1700000000);
INSERT INTO "user" VALUES ('u1', 'Ann', 1700000000), ('u2', 'Bob', 1700000000);
INSERT INTO tag VALUES ('t1', 'one'), ('t2', 'two');
SQL
}

e2e_sync() {
    mkdir -p "$BATS_FILE_TMPDIR/state"
    "$SYNCPIPE_BUILD/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$2" |
        PGPASSFILE="$SERVICE_PASSFILE" "$SYNCPIPE_BUILD/tools/diff/sync-diff" --dsn "$SVC_DSN" --state-dir "$BATS_FILE_TMPDIR/state" |
        "$RESOLVE" | PGPASSFILE="$SERVICE_PASSFILE" "$SYNCPIPE_BUILD/tools/load/sync-load" --dsn "$SVC_DSN"
}

@test "end to end: merge keeps both chats' messages, manual keeps the target and exits 2, others sync; reruns log nothing new" {
    need_cluster
    export SVC_DSN="host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service" SYNCPIPE_HOST=h1
    f="$BATS_TEST_TMPDIR/e2e.db"
    e2e_tenant "$f"
    "$SYNCPIPE_BUILD/tools/snapshot/sync-snapshot" --client e2e --no-lease "$f" |
        "$SYNCPIPE_BUILD/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
    e2e_sync e2e "$f" 2>/dev/null
    # Both sides change: SQLite gains m2 (older), PostgreSQL gains m3 (newer); config edited on both;
    # user u1 newer in SQLite (seconds) than in PostgreSQL (nanoseconds); u2 and t1 change in SQLite only.
    sqlite3 "$f" "UPDATE chat SET title = 'Source', updated_at = 1700000100,
        chat = '{\"history\":{\"messages\":{\"m1\":{\"id\":\"m1\",\"childrenIds\":[\"m2\"]},\"m2\":{\"id\":\"m2\",\"parentId\":\"m1\"}},\"currentId\":\"m2\"},\"messages\":[{\"id\":\"m1\"},{\"id\":\"m2\"}]}'
        WHERE id = 'c1';
      UPDATE config SET value = '{\"theme\":\"dark\"}', updated_at = 1700000100;
      UPDATE \"user\" SET name = 'Ann (sqlite)', updated_at = 1700000300 WHERE id = 'u1';
      UPDATE \"user\" SET name = 'Bob 2', updated_at = 1700000300 WHERE id = 'u2';
      UPDATE tag SET name = 'ONE' WHERE id = 't1';"
    admin "UPDATE e2e.chat SET title = 'Target', updated_at = 1700000200000000000,
        chat = '{\"history\":{\"messages\":{\"m1\":{\"id\":\"m1\",\"childrenIds\":[\"m3\"]},\"m3\":{\"id\":\"m3\",\"parentId\":\"m1\"}},\"currentId\":\"m3\"},\"messages\":[{\"id\":\"m1\"},{\"id\":\"m3\"}]}'
        WHERE id = 'c1';
      UPDATE e2e.config SET value = '{\"theme\":\"blue\"}', updated_at = 1700000200;
      UPDATE e2e.\"user\" SET name = 'Ann (pg)', updated_at = 1700000200000000000 WHERE id = 'u1';"
    run e2e_sync e2e "$f"
    [ "$status" -eq 2 ]  # the manual config conflict
    chat=$(admin "SELECT chat FROM e2e.chat WHERE id = 'c1'")
    [ "$(jq -c '.history.messages | keys' <<<"$chat")" = '["m1","m2","m3"]' ]
    [ "$(jq -c '[.messages[].id]' <<<"$chat")" = '["m1","m3","m2"]' ]
    [ "$(admin "SELECT title FROM e2e.chat WHERE id = 'c1'")" = Target ]
    [ "$(admin "SELECT value FROM e2e.config WHERE key = 'ui'")" = '{"theme":"blue"}' ]  # manual: target kept
    [ "$(admin "SELECT name FROM e2e.\"user\" ORDER BY id" | tr '\n' ,)" = 'Ann (sqlite),Bob 2,' ]
    [ "$(admin "SELECT name FROM e2e.tag WHERE id = 't1'")" = ONE ]
    [ "$(admin "SELECT table_name, resolution_strategy, resolution, resolved_at IS NULL
                FROM sync_metadata.conflict_log WHERE client_id = 'e2e' ORDER BY table_name" | tr '\n' ' ')" = \
      'chat|merge|merge|f config|manual|unresolved|t user|newest_wins|source|f ' ]
    # Rerun: the merged chat and the user are settled in the base state; only the manual conflict is
    # raised again, and it is not logged twice.
    run e2e_sync e2e "$f"
    [ "$status" -eq 2 ]
    [ "$(admin "SELECT count(*) FROM sync_metadata.conflict_log WHERE client_id = 'e2e'")" -eq 3 ]
    [ "$(jq -c '.history.messages | keys' <<<"$(admin "SELECT chat FROM e2e.chat WHERE id = 'c1'")")" = '["m1","m2","m3"]' ]
}

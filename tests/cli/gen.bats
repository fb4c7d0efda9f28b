#!/usr/bin/env bats
# syncpipe-gen: both Open WebUI schema lineages build with exact row counts,
# every table filled, realistic encodings; traps, mutate, writer and big do
# what they print; the same seed gives the same file.
#
#   SYNCPIPE_BUILD=/path/to/build bats tests/cli/gen.bats
#
# Needs sqlite3 and python3. No PostgreSQL.

bats_require_minimum_version 1.5.0

setup_file() {
    export GEN="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tests/gen/syncpipe-gen"
    [[ -x "$GEN" ]] || { echo "not built: $GEN" >&2; return 1; }
    export FIX="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}/fixtures/openwebui"
    [[ -f "$FIX/webui-schema.sql" ]] || { echo "no fixtures in $FIX" >&2; return 1; }
    export W="$BATS_FILE_TMPDIR"
    "$GEN" create --schema-sql "$FIX/webui-schema.sql" --out "$W/a.db" --users 4 \
        --chats-per-user 3 --messages-per-chat 5 --channel-messages 7 --seed 11 2>/dev/null
    "$GEN" create --schema-sql "$FIX/webui-schema-upgraded-from-peewee.sql" --out "$W/p.db" \
        --users 4 --chats-per-user 3 --messages-per-chat 5 --seed 11 --journal wal 2>/dev/null
}

q() { sqlite3 -cmd '.timeout 5000' "$@"; }
tables() { q "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"; }

# every_table_filled DB: prints empty tables; fails if any.
every_table_filled() {
    local t empty=0
    while read -r t; do
        if [[ "$(q "$1" "SELECT count(*) FROM \"$t\"")" == 0 ]]; then echo "empty: $t"; empty=1; fi
    done < <(tables "$1")
    return "$empty"
}

@test "both lineages: 43 and 44 tables, every one non-empty, exact counts" {
    [ "$(tables "$W/a.db" | wc -l)" -eq 43 ]
    [ "$(tables "$W/p.db" | wc -l)" -eq 44 ]
    for db in a p; do
        run every_table_filled "$W/$db.db"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(q "$W/$db.db" 'SELECT count(*) FROM "user"')" -eq 4 ]
        [ "$(q "$W/$db.db" 'SELECT count(*) FROM auth JOIN "user" USING (id)')" -eq 4 ]
        [ "$(q "$W/$db.db" 'SELECT count(*) FROM chat')" -eq 12 ]
        [ "$(q "$W/$db.db" 'SELECT count(*) FROM chat_message')" -eq 60 ]
        [ "$(q "$W/$db.db" 'SELECT version_num FROM alembic_version')" = d4c1a8e37b62 ]
    done
    [ "$(q "$W/a.db" 'SELECT count(*) FROM message')" -eq 7 ]
    [ "$(q "$W/p.db" 'SELECT count(*) FROM migratehistory')" -eq 18 ]
    [ "$(q "$W/p.db" 'PRAGMA journal_mode')" = wal ]
    [ "$(q "$W/a.db" 'PRAGMA journal_mode')" = delete ]
}

@test "chat JSON: ASCII-escaped, valid, --chat-bytes long, messages twice and in chat_message" {
    db="$W/a.db"
    [ "$(q "$db" 'SELECT min(length(chat)) || "," || max(length(chat)) FROM chat')" = "4600,4600" ]
    [ "$(q "$db" 'SELECT count(*) FROM chat WHERE NOT json_valid(chat) OR length(chat) <> length(CAST(chat AS BLOB))')" -eq 0 ]
    [ "$(q "$db" "SELECT count(*) FROM chat WHERE chat LIKE '%\\u00%' OR chat LIKE '%\\ud83d%'")" -gt 0 ]
    # history.messages and the messages array hold the same ids as chat_message rows
    [ "$(q "$db" "SELECT count(*) FROM chat c, json_each(c.chat, '\$.history.messages') h
                 JOIN chat_message m ON m.id = c.id || '-' || h.key")" -eq 60 ]
    [ "$(q "$db" "SELECT count(*) FROM chat c, json_each(c.chat, '\$.messages') a
                 WHERE json_extract(c.chat, '\$.history.messages.\"' || json_extract(a.value, '\$.id') || '\".content')
                       = json_extract(a.value, '\$.content')")" -eq 60 ]
    # top-level timestamp in ms, message timestamps in s
    [ "$(q "$db" "SELECT count(*) FROM chat WHERE json_extract(chat, '\$.timestamp') / 1000 <> created_at")" -eq 0 ]
    [ "$(q "$db" "SELECT count(*) FROM chat_message WHERE created_at > 4000000000 OR content NOT LIKE '\"%\"'")" -eq 0 ]
}

@test "every JSON text is byte-identical to Python's json.dumps of itself (as SQLAlchemy writes it)" {
    for db in "$W/a.db" "$W/p.db"; do
        run python3 - "$db" <<'PY'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
checked = bad = 0
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
    for col in [r[1] for r in c.execute("SELECT * FROM pragma_table_info(?)", (t,))]:
        q = f'SELECT "{col}" FROM "{t}" WHERE typeof("{col}") = \'text\' AND json_valid("{col}")'
        for (v,) in c.execute(q):
            if v[:1] not in "{[\"":
                continue
            checked += 1
            if json.dumps(json.loads(v)) != v:
                bad += 1
                print(t, col, v[:120])
print(checked, "checked")
sys.exit(1 if bad or checked < 300 else 0)
PY
        echo "$output"
        [ "$status" -eq 0 ]
    done
}

@test "Open WebUI encodings: ns > 2^53, composite tag keys, 'null' and NULL, '' and 0/1 booleans" {
    for db in "$W/a.db" "$W/p.db"; do
        [ "$(q "$db" 'SELECT count(*) FROM message WHERE created_at <= 9007199254740992')" -eq 0 ]
        [ "$(q "$db" "SELECT count(*) FROM note WHERE typeof(created_at) <> 'integer' OR created_at < 1e18")" -eq 0 ]
        [ "$(q "$db" "SELECT count(*) FROM chat WHERE typeof(created_at) <> 'integer' OR created_at > 1e10")" -eq 0 ]
        [ "$(q "$db" "SELECT count(DISTINCT user_id) FROM tag WHERE id = 'work'")" -eq 4 ]
        [ "$(q "$db" "SELECT count(*) FROM \"user\" WHERE info = 'null'")" -gt 0 ]
        [ "$(q "$db" "SELECT count(*) FROM \"user\" WHERE info IS NULL")" -gt 0 ]
        [ "$(q "$db" "SELECT count(*) FROM chat WHERE archived NOT IN (0, 1) OR pinned NOT IN (0, 1)")" -eq 0 ]
        [ "$(q "$db" "SELECT count(*) FROM config WHERE typeof(value) = 'integer'")" -gt 0 ]
        [ "$(q "$db" "SELECT count(*) FROM chat c JOIN shared_chat s ON s.id = c.share_id AND s.chat_id = c.id")" -eq 4 ]
    done
    [ "$(q "$W/p.db" "SELECT type FROM pragma_table_info('chat') WHERE name = 'created_at'")" = DATETIME ]
    [ "$(q "$W/p.db" "SELECT count(*) FROM config_old WHERE typeof(created_at) = 'text'")" -eq 1 ]
}

@test "schema drift: a pre-v0.9.6 file without primary keys, a fork's extra table and columns" {
    python3 - "$FIX/webui-schema-upgraded-from-peewee.sql" >"$W/drift.sql" <<'PY'
import sys
s = open(sys.argv[1]).read()
for t in ["auth", "user", "chat", "chatidtag", "file", "function", "memory", "model", "tool"]:
    old = f",\n\tCONSTRAINT pk_{t} PRIMARY KEY (id)\n"
    assert old in s, t
    s = s.replace(old, "\n")
s += "\nCREATE TABLE fork_extra(id TEXT PRIMARY KEY, score REAL, payload BLOB, n INTEGER, misc);"
s += "\nALTER TABLE chat_message ADD COLUMN response_id TEXT;"
print(s)
PY
    "$GEN" create --schema-sql "$W/drift.sql" --out "$W/drift.db" --users 2 2>/dev/null
    [ "$(q "$W/drift.db" "SELECT count(*) FROM pragma_table_info('chat') WHERE pk > 0")" -eq 0 ]
    run every_table_filled "$W/drift.db"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(q "$W/drift.db" 'SELECT count(*) FROM chat')" -eq 10 ]
    [ "$(q "$W/drift.db" "SELECT typeof(score) || typeof(payload) || typeof(n) FROM fork_extra LIMIT 1")" = realblobinteger ]
    [ "$(q "$W/drift.db" "SELECT count(*) FROM chat_message WHERE response_id IS NOT NULL")" -gt 0 ]
    "$GEN" traps --db "$W/drift.db" >/dev/null
    run "$GEN" mutate --db "$W/drift.db" --seed 2 --insert 10 --update 10 --delete 5
    [ "$status" -eq 0 ]
}

@test "determinism: the same seed gives the same .dump, another seed does not" {
    "$GEN" create --schema-sql "$FIX/webui-schema-upgraded-from-peewee.sql" --out "$W/p2.db" \
        --users 4 --chats-per-user 3 --messages-per-chat 5 --seed 11 --journal wal 2>/dev/null
    "$GEN" create --schema-sql "$FIX/webui-schema-upgraded-from-peewee.sql" --out "$W/p3.db" \
        --users 4 --chats-per-user 3 --messages-per-chat 5 --seed 12 --journal wal 2>/dev/null
    [ "$(q "$W/p.db" .dump | sha256sum)" = "$(q "$W/p2.db" .dump | sha256sum)" ]
    [ "$(q "$W/p.db" .dump | sha256sum)" != "$(q "$W/p3.db" .dump | sha256sum)" ]
}

# value_of DB SQL: one value through Python's sqlite3 (repr keeps -0.0, bytes).
py() { python3 -c 'import sqlite3, sys; print(repr(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0]))' "$@"; }

@test "traps: one row per trap, as printed, with the exact storage class; re-run is harmless" {
    for lineage in a p; do
        db="$W/traps-$lineage.db"
        cp "$W/$lineage.db" "$db"
        [[ $lineage == p ]] && cp "$W/p.db-wal" "$db-wal" 2>/dev/null || true
        "$GEN" traps --db "$db" >"$W/traps.tsv"
        [ "$(wc -l <"$W/traps.tsv")" -eq 21 ]
        [ "$(awk -F'\t' 'NF != 4' "$W/traps.tsv" | wc -l)" -eq 0 ]
        while IFS=$'\t' read -r table key _ _; do
            [ "$(q "$db" "SELECT count(*) FROM \"$table\" WHERE id = '$key'")" -eq 1 ] || { echo "missing $table $key"; false; }
        done <"$W/traps.tsv"
        v() { q "$db" "SELECT $1 FROM \"$2\" WHERE id = 'trap-$3'"; }
        [ "$(v created_at message int64-max)" = 9223372036854775807 ]
        [ "$(v created_at message int64-min)" = -9223372036854775808 ]
        [ "$(v created_at message ns-timestamp)" = 1800000000123456789 ]
        [ "$(v 'typeof(created_at)' chat_message text-in-integer)" = text ]
        [ "$(v 'typeof(created_at)' chat_message real-in-integer)" = real ]
        [ "$(v 'hex(content)' memory text-nul)" = 6265666F7265006166746572 ]
        [ "$(v 'typeof(content) || hex(content)' memory blob-in-text)" = blob0001FEFF ]
        [ "$(v 'hex(content)' message text-invalid-utf8)" = 62616420C32820FFFE207574662D38 ]
        [ "$(v 'quote(info)' user json-null-text)" = "'null'" ]
        [ "$(v 'quote(info)' user json-sql-null)" = NULL ]
        [ "$(v 'quote(path)' memory empty-string)" = "''" ]
        [ "$(v 'quote(path)' memory sql-null)" = NULL ]
        [ "$(v "data LIKE '%\\u0000%'" note json-u0000)" = 1 ]
        vt=$(awk -F'\t' '$3 == "varchar-overflow" { print $1 "\t" $4 }' "$W/traps.tsv")
        [ "$(q "$db" "SELECT length(\"${vt#*$'\t'}\") FROM \"${vt%%$'\t'*}\" WHERE id = 'trap-varchar-overflow'")" -eq 300 ]
        [ "$(q "$db" "SELECT type FROM pragma_table_info('${vt%%$'\t'*}') WHERE name = '${vt#*$'\t'}'")" != TEXT ]
        [ "$(py "$db" "SELECT score FROM memory WHERE id = 'trap-real-inf'")" = inf ]
        [ "$(py "$db" "SELECT score FROM memory WHERE id = 'trap-real-neg-inf'")" = -inf ]
        [ "$(py "$db" "SELECT score FROM memory WHERE id = 'trap-real-subnormal'")" = 5e-324 ]
        [ "$(py "$db" "SELECT score FROM memory WHERE id = 'trap-real-1e300'")" = 1e+300 ]
        [ "$(py "$db" "SELECT weight FROM memory WHERE id = 'trap-real-neg-zero'")" = -0.0 ]
        before=$(q "$db" 'SELECT sum(n) FROM (SELECT count(*) n FROM memory UNION ALL SELECT count(*) FROM message UNION ALL SELECT count(*) FROM "user")')
        "$GEN" traps --db "$db" >/dev/null
        [ "$(q "$db" 'SELECT sum(n) FROM (SELECT count(*) n FROM memory UNION ALL SELECT count(*) FROM message UNION ALL SELECT count(*) FROM "user")')" = "$before" ]
    done
}

total_rows() {
    local t n=0
    while read -r t; do n=$((n + $(q "$1" "SELECT count(*) FROM \"$t\""))); done < <(tables "$1")
    echo "$n"
}

@test "mutate: exactly the requested operations, one transaction, updated_at bumped" {
    db="$W/mut.db"
    cp "$W/a.db" "$db"
    before=$(total_rows "$db")
    "$GEN" mutate --db "$db" --seed 5 --insert 25 --update 40 --delete 15 --now 1900000000 >"$W/mut.tsv"
    [ "$(awk -F'\t' '$2 == "insert" { s += $3 } END { print s }' "$W/mut.tsv")" -eq 25 ]
    [ "$(awk -F'\t' '$2 == "update" { s += $3 } END { print s }' "$W/mut.tsv")" -eq 40 ]
    [ "$(awk -F'\t' '$2 == "delete" { s += $3 } END { print s }' "$W/mut.tsv")" -eq 15 ]
    [ "$(total_rows "$db")" -eq $((before + 25 - 15)) ]
    bumped=0
    while read -r t; do
        if q "$db" "SELECT 1 FROM pragma_table_info('$t') WHERE name = 'updated_at'" | grep -q 1; then
            bumped=$((bumped + $(q "$db" "SELECT count(*) FROM \"$t\" WHERE updated_at = 1900000000 OR updated_at / 1000000000 = 1900000000")))
        fi
    done < <(awk -F'\t' '$2 == "update" { print $1 }' "$W/mut.tsv")
    [ "$bumped" -gt 0 ]
    # --tables restricts, including a reserved name
    "$GEN" mutate --db "$db" --seed 6 --update 5 --tables chat,group >"$W/mut2.tsv"
    [ "$(cut -f1 "$W/mut2.tsv" | sort -u | grep -cvE '^(chat|group)$')" -eq 0 ]
}

@test "writer: chats, messages and the counter agree, WAL and rollback journal" {
    for mode in wal delete; do
        db="$W/writer-$mode.db"
        "$GEN" create --schema-sql "$FIX/webui-schema.sql" --out "$db" --users 2 --journal "$mode" 2>/dev/null
        n=$("$GEN" writer --db "$db" --seconds 1)
        [ "$n" -gt 0 ]
        [ "$(q "$db" "SELECT count(*) FROM chat WHERE id LIKE 'w-%'")" -eq "$n" ]
        [ "$(q "$db" "SELECT count(*) FROM chat_message WHERE id LIKE 'w-%'")" -eq "$n" ]
        [ "$(q "$db" "SELECT value FROM config WHERE \"key\" = 'syncpipe.test.counter'")" -eq "$n" ]
        [ "$(q "$db" 'PRAGMA journal_mode')" = "$mode" ]
        m=$("$GEN" writer --db "$db" --seconds 0.3)  # continues the counter
        [ "$m" -gt "$n" ]
        [ "$(q "$db" "SELECT count(*) FROM chat WHERE id LIKE 'w-%'")" -eq "$m" ]
    done
}

@test "big: one chat whose JSON is exactly --bytes long (30 MB)" {
    db="$W/big.db"
    cp "$W/a.db" "$db"
    run "$GEN" big --db "$db" --bytes 31457280
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'chat\tbig-31457280\t31457280')" ]
    [ "$(q "$db" "SELECT length(chat) || ' ' || json_valid(chat) FROM chat WHERE id = 'big-31457280'")" = "31457280 1" ]
    [ "$(q "$db" "SELECT count(*) FROM chat_message WHERE chat_id = 'big-31457280'")" -eq 20 ]
}

@test "errors: usage is 64, a missing schema or database is 66, one line on stderr" {
    run -64 "$GEN"
    run -64 "$GEN" frobnicate
    run -64 "$GEN" create --out "$W/x.db"
    run -64 "$GEN" traps
    run -66 "$GEN" create --schema-sql "$W/nope.sql" --out "$W/x.db"
    [[ "$output" == "syncpipe-gen: error: $W/nope.sql: cannot read schema SQL" ]]
    run -64 "$GEN" mutate --db "$W/a.db" --update 1 --tables chat,nope
    [[ "$output" == *"no such rowid table: nope"* ]]
    run -66 "$GEN" traps --db "$W/nope.db"
    [ ! -e "$W/nope.db" ]
    run -0 "$GEN" create --help
    [[ "$output" == *--chat-bytes* ]]
}

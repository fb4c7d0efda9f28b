#!/usr/bin/env bats
# Value tests that can fail (issue 14, item 2): every trap of the Open WebUI notes
# (/work/shared/fixtures/openwebui/NOTES.md) is compared value by value, as exact bytes, between the
# SQLite file and what PostgreSQL holds after a real sync-snapshot | sync-diff | sync-resolve | sync-load
# run; quarantined rows decode back to the source bytes.
#
#   SYNCPIPE_BUILD=$PWD/build SHARED_DIR=/work/shared tests/lib/pgcluster.sh run bats tests/cli/values.bats
#
# A value is written CLASS:TEXT on both sides: integer:<digits>, real:<IEEE-754 bits, hex>,
# text:<HEX of the bytes>, blob:<HEX>, null: (boolean is integer:0/1, bigint integer, double real,
# text and json text, bytea blob: sync-protocol(7), the target image).

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"
source "$BATS_TEST_DIRNAME/../lib/digest.bash"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=h1
    pgcluster_service_db values || return 1
    mkdir -p "$W/state"
    build_tenant va webui-schema.sql || return 1
    build_tenant vp webui-schema-upgraded-from-peewee.sql || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# build_tenant NAME LINEAGE_SQL — generated tenant + `syncpipe-gen traps` (list in $W/NAME.traps) + the
# traps the generator has no row for, provisioned and synced once by sync_service.
build_tenant() {
    local f="$W/$1.db"
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/$2" --out "$f" --users 4 --chats-per-user 6 >/dev/null &&
        "$GEN" traps --db "$f" >"$W/$1.traps" &&
        sqlite3 "$f" <<'SQL' &&
-- -0.0 where SQLite keeps it: a column with no type (no REAL affinity) holding only reals, so
-- PostgreSQL gets double precision; and inside JSON text.
ALTER TABLE memory ADD COLUMN ratio;
UPDATE memory SET ratio = CASE id WHEN 'trap-real-neg-zero' THEN -0.0 ELSE 0.25 END;
UPDATE model SET params = '{"temperature": -0.0, "top_p": 1e-07}' WHERE rowid = (SELECT min(rowid) FROM model);
-- an integer past 2^53 next to reals in a column with no type: text, not a double that rounds it
ALTER TABLE memory ADD COLUMN mixed;
UPDATE memory SET mixed = CASE id WHEN 'trap-real-0.1' THEN 1800000000123456789 ELSE 0.5 END;
-- JSON text that the NUMERIC affinity of a JSON column stores as a number, and Python's NaN/Infinity
INSERT INTO config ("key", value, updated_at) VALUES ('v.int', '5', 1), ('v.real', '1.5', 1), ('v.pad', ' 7 ', 1),
    ('v.big', '12345678901234567890', 1), ('v.small', '1e-07', 1), ('v.nan', 'NaN', 1), ('v.inf', 'Infinity', 1);
SQL
        "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$f" |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null &&
        sync "$1" 2>/dev/null
}
sync() {
    "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$W/$1.db" |
        "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" | "$B/tools/resolve/sync-resolve" |
        "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W/state"
}

# src TENANT TABLE ID COLUMN — the SQLite value (through Python's sqlite3: exact bytes, -0.0 kept) of the
# row whose column $KEY (default id) is ID
src() {
    python3 - "$W/$1.db" "$2" "$3" "$4" "${KEY:-id}" <<'PY'
import sqlite3, struct, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
con.text_factory = bytes
c = '"' + sys.argv[4].replace('"', '""') + '"'
k, v = con.execute(f'SELECT typeof({c}), {c} FROM "{sys.argv[2]}" WHERE "{sys.argv[5]}" = ?', (sys.argv[3],)).fetchone()
k = k.decode()
print(k + ":" + ("" if v is None else str(v) if k == "integer" else struct.pack(">d", v).hex() if k == "real"
                 else v.hex().upper()))
PY
}
# pg TENANT TABLE ID COLUMN — the value PostgreSQL holds, by the column's type
pg() {
    local c="\"$4\"" e
    case "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$1.\"$2\"'::regclass AND attname = '$4'")" in
        bigint) e="'integer:' || $c" ;;
        boolean) e="'integer:' || $c::int" ;;
        "double precision") e="'real:' || encode(float8send($c), 'hex')" ;;
        text | json) e="'text:' || upper(encode(convert_to($c::text, 'UTF8'), 'hex'))" ;;
        bytea) e="'blob:' || upper(encode($c, 'hex'))" ;;
        *) echo "unexpected type of $2.$4" && return 1 ;;
    esac
    q "SELECT coalesce($e, 'null:') FROM $1.\"$2\" WHERE \"${KEY:-id}\" = '$3'"
}
# quarantined TENANT TABLE ID — every value of the open quarantine entry, decoded from row_data
# (sync-protocol(7), VALUES), one COLUMN=CLASS:TEXT line each; src_row prints the SQLite row alike.
quarantined() {
    q "SELECT row_data FROM sync_metadata.quarantine WHERE client_id = '$1' AND table_name = '$2'
         AND row_key = '[\"$3\"]' AND resolved_at IS NULL" | python3 -c '
import base64, json, sqlite3, struct, sys
cols = [r[1] for r in sqlite3.connect(sys.argv[1]).execute(f"PRAGMA table_info(\"{sys.argv[2]}\")")]
for c, x in zip(cols, json.loads(sys.stdin.read())):
    if x is None: v = "null:"
    elif isinstance(x, int): v = f"integer:{x}"
    elif isinstance(x, float): v = "real:" + struct.pack(">d", x).hex()
    elif isinstance(x, str): v = "text:" + x.encode().hex().upper()
    elif "real" in x: v = "real:" + struct.pack(">d", float(x["real"])).hex()
    elif "text_b64" in x: v = "text:" + base64.b64decode(x["text_b64"]).hex().upper()
    else: v = "blob:" + base64.b64decode(x["blob"]).hex().upper()
    print(f"{c}={v}")' "$W/$1.db" "$2"
}
src_row() {
    local c
    for c in $(sqlite3 "$W/$1.db" "SELECT name FROM pragma_table_info('$2')"); do
        echo "$c=$(src "$1" "$2" "$3" "$c")"
    done
}
# same WANT TENANT TABLE ID COLUMN — the value is WANT in SQLite and in PostgreSQL
same() {
    local s p
    s="$(src "$2" "$3" "$4" "$5")" p="$(pg "$2" "$3" "$4" "$5")"
    [[ "$s" == "$1" && "$p" == "$1" ]] || { echo "$3 $4 $5: want $1, sqlite $s, postgresql $p"; return 1; }
}
# kept WANT TENANT TABLE ID COLUMN — the row is quarantined; its COLUMN decodes to WANT, as in SQLite
kept() {
    local s p
    s="$(src "$2" "$3" "$4" "$5")" p="$(quarantined "$2" "$3" "$4" | sed -n "s/^$5=//p")"
    [[ "$s" == "$1" && "$p" == "$1" ]] || { echo "$3 $4 $5: want $1, sqlite $s, quarantine $p"; return 1; }
    [ "$(q "SELECT count(*) FROM $2.\"$3\" WHERE id = '$4'")" = 0 ]
}

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }

# check_trap TENANT WHAT TABLE COLUMN — the assertion for one line of `syncpipe-gen traps`
check_trap() {
    local t="$1" id="trap-$2"
    case "$2" in
        int64-max) same integer:9223372036854775807 "$t" "$3" "$id" "$4" ;;
        int64-min) same integer:-9223372036854775808 "$t" "$3" "$id" "$4" ;;
        ns-timestamp) same integer:1800000000123456789 "$t" "$3" "$id" "$4" ;;
        real-inf) same real:7ff0000000000000 "$t" "$3" "$id" "$4" ;;
        real-neg-inf) same real:fff0000000000000 "$t" "$3" "$id" "$4" ;;
        real-0.1) same real:3fb999999999999a "$t" "$3" "$id" "$4" ;;
        real-1e300) same real:7e37e43c8800759c "$t" "$3" "$id" "$4" ;;
        real-subnormal) same real:0000000000000001 "$t" "$3" "$id" "$4" ;;
        real-neg-zero) # a REAL in a column of texts: PostgreSQL text, the sign kept ("-0", std::to_chars)
            [ "$(src "$t" "$3" "$id" "$4")" = real:8000000000000000 ] &&
                [ "$(pg "$t" "$3" "$id" "$4")" = "text:$(hex -0)" ] ;;
        text-nul) kept "text:$(hex before)00$(hex after)" "$t" "$3" "$id" "$4" ;;
        text-invalid-utf8) kept text:62616420C32820FFFE207574662D38 "$t" "$3" "$id" "$4" ;;
        blob-in-text) kept blob:0001FEFF "$t" "$3" "$id" "$4" ;;
        text-in-integer) kept "text:$(hex yesterday)" "$t" "$3" "$id" "$4" ;;
        real-in-integer) kept real:41d954fc40200000 "$t" "$3" "$id" "$4" ;;
        json-u0000) same "text:$(hex '{"content": "x\u0000y"}')" "$t" "$3" "$id" "$4" ;;
        json-lone-surrogate) same "text:$(hex '{"title": "\ud800"}')" "$t" "$3" "$id" "$4" ;;
        json-null-text) same "text:$(hex null)" "$t" "$3" "$id" "$4" ;;
        json-sql-null | sql-null) same null: "$t" "$3" "$id" "$4" ;;
        empty-string) same text: "$t" "$3" "$id" "$4" ;;
        varchar-overflow) same "text:$(hex "$(printf "v%.0s" {1..300})")" "$t" "$3" "$id" "$4" ;;
        *) echo "no assertion for trap $2 ($3.$4)" && return 1 ;;
    esac
}

@test "every trap syncpipe-gen writes holds, byte for byte, the same value in PostgreSQL or in quarantine (both lineages)" {
    for t in va vp; do
        [ "$(wc -l <"$W/$t.traps")" -ge 21 ]
        while IFS=$'\t' read -r table _ what column; do
            check_trap "$t" "$what" "$table" "$column" || { echo "tenant $t, trap $what"; false; }
        done <"$W/$t.traps"
    done
}

@test "-0.0 where SQLite keeps it: double precision with the sign bit, and JSON text byte-exact" {
    for t in va vp; do
        [ "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$t.memory'::regclass AND attname = 'ratio'")" = "double precision" ]
        same real:8000000000000000 "$t" memory trap-real-neg-zero ratio
        same real:3fd0000000000000 "$t" memory trap-real-0.1 ratio
        [ "$(q "SELECT ratio::text FROM $t.memory WHERE id = 'trap-real-neg-zero'")" = -0 ]
        id=$(sqlite3 "$W/$t.db" "SELECT id FROM model WHERE params LIKE '%-0.0%'")
        same "text:$(hex '{"temperature": -0.0, "top_p": 1e-07}')" "$t" model "$id" params
    done
}

@test "JSON that SQLite stored as a number is the same number's JSON text; NaN and Infinity are quarantined" {
    for t in va vp; do
        [ "$(KEY=key src "$t" config v.int value)" = integer:5 ]
        [ "$(KEY=key pg "$t" config v.int value)" = "text:$(hex 5)" ]
        [ "$(KEY=key src "$t" config v.pad value)" = integer:7 ]
        [ "$(KEY=key pg "$t" config v.pad value)" = "text:$(hex 7)" ]
        [ "$(KEY=key src "$t" config v.real value)" = real:3ff8000000000000 ]
        [ "$(KEY=key pg "$t" config v.real value)" = "text:$(hex 1.5)" ]
        [ "$(KEY=key pg "$t" config v.small value)" = "text:$(hex 1e-07)" ]
        # SQLite itself keeps 17 digits of a number past int64; PostgreSQL holds that double's exact digits
        [ "$(KEY=key src "$t" config v.big value)" = real:43e56a95319d63e1 ]
        [ "$(KEY=key pg "$t" config v.big value)" = "text:$(hex 12345678901234567168)" ]
        for k in v.nan v.inf; do
            [ "$(q "SELECT reason FROM sync_metadata.quarantine WHERE client_id = '$t' AND row_key = '[\"$k\"]'")" = \
                'column "value": not valid JSON' ]
        done
        [ "$(KEY=key src "$t" config v.nan value)" = "text:$(hex NaN)" ]
        [ "$(q "SELECT row_data::json->>1 FROM sync_metadata.quarantine WHERE client_id = '$t' AND row_key = '[\"v.inf\"]'")" = Infinity ]
    done
}

@test "an integer past 2^53 next to reals is text with every digit, never a rounded double" {
    for t in va vp; do
        [ "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$t.memory'::regclass AND attname = 'mixed'")" = text ]
        [ "$(src "$t" memory trap-real-0.1 mixed)" = integer:1800000000123456789 ]
        [ "$(pg "$t" memory trap-real-0.1 mixed)" = "text:$(hex 1800000000123456789)" ]
        [ "$(pg "$t" memory trap-real-inf mixed)" = "text:$(hex 0.5)" ]
    done
}

@test "quarantined row_data decodes to the exact source bytes, every column of every quarantined row" {
    for t in va vp; do
        n=0
        while IFS='|' read -r table key; do
            KEY=$(sqlite3 "$W/$t.db" "SELECT name FROM pragma_table_info('$table') WHERE pk = 1")
            diff <(KEY=$KEY src_row "$t" "$table" "$key") <(quarantined "$t" "$table" "$key")
            n=$((n + 1))
        done < <(q "SELECT table_name, row_key::json->>0 FROM sync_metadata.quarantine WHERE client_id = '$t' AND resolved_at IS NULL")
        [ "$n" -eq 7 ]
    done
}

@test "units: seconds and nanoseconds land digit for digit in bigint, in each table the notes name" {
    for t in va vp; do
        for tc in "chat created_at s" "chat timer_at ns" "message created_at ns" "channel_file created_at s" \
            "note updated_at ns" "automation next_run_at ns" "channel_member joined_at ns" "user last_active_at s"; do
            read -r table col unit <<<"$tc"
            id=$(sqlite3 "$W/$t.db" "SELECT id FROM \"$table\" WHERE typeof($col) = 'integer' AND id NOT LIKE 'trap-%' ORDER BY id LIMIT 1")
            [ -n "$id" ] || { echo "$t: no $table.$col value"; false; }
            v=$(src "$t" "$table" "$id" "$col")
            if [ "$unit" = ns ]; then ((${v#integer:} > 10**18)); else ((${v#integer:} < 10**10)); fi
            same "$v" "$t" "$table" "$id" "$col"
        done
    done
}

@test "booleans, reserved names, composite keys, JSON 'null', Fernet valves and DATE text keep their values" {
    for t in va vp; do
        # "user" and "group" are reserved in PostgreSQL: the tenant's rows, not current_user
        id=$(sqlite3 "$W/$t.db" "SELECT id FROM \"user\" WHERE id NOT LIKE 'trap-%' ORDER BY id LIMIT 1")
        same "$(src "$t" user "$id" email)" "$t" user "$id" email
        same "$(src "$t" user "$id" date_of_birth)" "$t" user "$id" date_of_birth
        gid=$(sqlite3 "$W/$t.db" "SELECT id FROM \"group\" ORDER BY id LIMIT 1")
        same "$(src "$t" group "$gid" permissions)" "$t" group "$gid" permissions
        # booleans 0/1 as boolean, both values
        for v in 0 1; do
            id=$(sqlite3 "$W/$t.db" "SELECT id FROM chat WHERE archived = $v ORDER BY id LIMIT 1")
            [ -n "$id" ]
            same "integer:$v" "$t" chat "$id" archived
        done
        [ "$(q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '$t.chat'::regclass AND attname = 'archived'")" = boolean ]
        # Fernet-encrypted valves: a JSON string, not an object, byte-exact
        id=$(sqlite3 "$W/$t.db" "SELECT id FROM function WHERE valves LIKE '\"gAAAA%' LIMIT 1")
        [ -n "$id" ]
        same "$(src "$t" function "$id" valves)" "$t" function "$id" valves
        # the whole conversation JSON (ASCII escapes, millisecond timestamp) byte-exact
        id=$(sqlite3 "$W/$t.db" "SELECT id FROM chat WHERE chat LIKE '%\\u%' ORDER BY id LIMIT 1")
        same "$(src "$t" chat "$id" chat)" "$t" chat "$id" chat
        # composite key (id, user_id): the same tag id under several users, each row its own
        tag=$(sqlite3 "$W/$t.db" "SELECT id FROM tag GROUP BY id HAVING count(*) > 1 LIMIT 1")
        diff <(sqlite3 "$W/$t.db" "SELECT user_id || '|' || name FROM tag WHERE id = '$tag' ORDER BY user_id") \
            <(q "SELECT user_id || '|' || name FROM $t.tag WHERE id = '$tag' ORDER BY user_id COLLATE \"C\"")
    done
    # peewee-born: DATETIME holding integer seconds is bigint; config_old's DATETIME text stays text
    id=$(sqlite3 "$W/vp.db" "SELECT id FROM chat ORDER BY id LIMIT 1")
    [ "$(sqlite3 "$W/vp.db" "SELECT type FROM pragma_table_info('chat') WHERE name = 'created_at'")" = DATETIME ]
    same "$(src vp chat "$id" created_at)" vp chat "$id" created_at
    [[ "$(src vp chat "$id" created_at)" == integer:* ]]
    v=$(sqlite3 "$W/vp.db" "SELECT created_at FROM config_old LIMIT 1")
    [[ "$v" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2} ]]
    [ "$(q "SELECT created_at FROM vp.config_old")" = "$v" ]
}

@test "the tenant digest matches on both lineages, and fails on a lost NUL, a changed unit, a wrong type, -0.0 or a dropped row" {
    assert_tenant_digest "$W/va.db" va
    assert_tenant_digest "$W/vp.db" vp
    broken() { # broken SQL UNDO — the digest must fail while SQL is in effect
        q "$1"
        run assert_tenant_digest "$W/va.db" va
        q "$2"
        echo "$output" | grep -v '^[^ ]*: [0-9a-f]\{16\} (' | head -n 5
        [ "$status" -eq 1 ]
    }
    broken "UPDATE va.message SET created_at = created_at / 1000000000 WHERE id = 'trap-ns-timestamp'" \
        "UPDATE va.message SET created_at = 1800000000123456789 WHERE id = 'trap-ns-timestamp'"
    broken "UPDATE sync_metadata.quarantine SET row_data = replace(row_data, 'before\\u0000after', 'beforeafter')
              WHERE client_id = 'va' AND row_key = '[\"trap-text-nul\"]'" \
        "UPDATE sync_metadata.quarantine SET row_data = replace(row_data, 'beforeafter', 'before\\u0000after')
              WHERE client_id = 'va' AND row_key = '[\"trap-text-nul\"]'"
    broken "UPDATE va.memory SET ratio = 0 WHERE id = 'trap-real-neg-zero'" \
        "UPDATE va.memory SET ratio = '-0'::float8 WHERE id = 'trap-real-neg-zero'"
    broken "ALTER TABLE va.memory ALTER COLUMN ratio TYPE text" \
        "ALTER TABLE va.memory ALTER COLUMN ratio TYPE double precision USING ratio::double precision"
    broken "CREATE TABLE va.saved AS SELECT * FROM va.tag WHERE id = (SELECT min(id) FROM va.tag);
            DELETE FROM va.tag WHERE id = (SELECT min(id) FROM va.tag)" \
        "INSERT INTO va.tag SELECT * FROM va.saved; DROP TABLE va.saved"
    assert_tenant_digest "$W/va.db" va
}

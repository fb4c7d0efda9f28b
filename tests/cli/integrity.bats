#!/usr/bin/env bats
# Nothing unverified is stored (issue 16.2, 16.3): a stream is accepted only for its tenant's
# registered schema and host, and every row's hashes are checked against its values before they are
# written. The altered streams are well-formed (a valid trailer, sealed again with the test aid
# stream-seal), as a buggy or hostile stage would pass them on.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/integrity.bats

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" SEAL="$B/tools/resolve/stream-seal" W="$BATS_FILE_TMPDIR" SYNCPIPE_HOST=h1
    pgcluster_service_db integ || return 1
    local t
    for t in ta tb; do
        "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/$t.db" --users 3 \
            --chats-per-user 5 >/dev/null
        snap "$t" "$W/$t.db" | "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
        sync "$t" "$W/$t.db" 2>/dev/null
    done
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
snap() { "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease "$2"; }
diff_of() { snap "$1" "$2" | "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state"; }
load() { "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W/state" "$@"; }
sync() { diff_of "$1" "$2" | "$B/tools/resolve/sync-resolve" | load; }
# edit SED_SCRIPT — a stream (stdin) changed by SED_SCRIPT and sealed with a valid trailer again
edit() { grep -v '^{"t":"trailer"' | sed -e "$1" | "$SEAL"; }
# fingerprint SCHEMA — every row of every table of SCHEMA, and its base state, as one digest
fingerprint() {
    q "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
         SELECT c.relname || ':' || md5(query_to_xml(format('SELECT * FROM %I.%I t ORDER BY t::text', n.nspname, c.relname),
                                                     true, false, '')::text) AS x
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$1' AND c.relkind = 'r'
         UNION ALL SELECT coalesce(md5(string_agg(encode(key_hash, 'hex') || encode(src_hash, 'hex'), ',' ORDER BY key_hash)), '')
           FROM sync_metadata.row_state WHERE client_id = '$1'
         UNION ALL SELECT count(*)::text FROM sync_metadata.sync_jobs WHERE client_id = '$1') s"
}
chats_of_source() { sqlite3 "$1" "SELECT id || '|' || title FROM chat ORDER BY id"; }
chats_of_target() { q "SELECT id || '|' || title FROM $1.chat ORDER BY id COLLATE \"C\""; }

@test "sync-diff refuses a stream whose header names another tenant's schema: exit 65, one line, no trailer" {
    run -65 --separate-stderr bash -c "'$B/tools/snapshot/sync-snapshot' --client ta --schema tb --no-lease '$W/ta.db' 2>/dev/null |
        '$B/tools/diff/sync-diff' --dsn '$SVC' --state-dir '$W/state'"
    [ "$stderr" = 'sync-diff: error: tenant ta: the stream names schema "tb", but the tenant is registered in schema "ta" (host h1); refused, nothing written' ]
    [[ "$output" != *'"t":"trailer"'* ]]
}

@test "sync-load refuses a stream of tenant ta whose header names tb's schema: exit 65, nothing written in either" {
    sqlite3 "$W/ta.db" "UPDATE chat SET title = 'moved?' WHERE rowid IN (SELECT rowid FROM chat LIMIT 3);
                        DELETE FROM chat WHERE rowid IN (SELECT rowid FROM chat ORDER BY rowid DESC LIMIT 2);"
    diff_of ta "$W/ta.db" >"$BATS_TEST_TMPDIR/ta.stream"
    grep -q '"op":"update"' "$BATS_TEST_TMPDIR/ta.stream"
    grep -q '"op":"delete"' "$BATS_TEST_TMPDIR/ta.stream"
    local before_a before_b
    before_a="$(fingerprint ta)" before_b="$(fingerprint tb)"
    edit '/^{"t":"header"/s/"schema":"ta"/"schema":"tb"/' <"$BATS_TEST_TMPDIR/ta.stream" >"$BATS_TEST_TMPDIR/moved"
    run -65 --separate-stderr load <"$BATS_TEST_TMPDIR/moved"
    [ "$stderr" = 'sync-load: error: tenant ta: the stream names schema "tb", but the tenant is registered in schema "ta" (host h1); refused, nothing written' ]
    [ "$(fingerprint ta)" = "$before_a" ]
    [ "$(fingerprint tb)" = "$before_b" ]
    local sid
    sid="$(grep -m1 '^{"t":"header"' "$BATS_TEST_TMPDIR/ta.stream" | jq -r .stream_id)"
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE stream_id = '$sid'")" = 0 ]
    # the same stream with the host of another cluster: ta is not a tenant of that host
    edit '/^{"t":"header"/s/"host":"h1"/"host":"h2"/' <"$BATS_TEST_TMPDIR/ta.stream" >"$BATS_TEST_TMPDIR/rehosted"
    run -65 --separate-stderr load <"$BATS_TEST_TMPDIR/rehosted"
    [[ "$stderr" == 'sync-load: error: tenant ta is not provisioned for host h2 '* ]]
    [ "$(fingerprint ta)" = "$before_a" ]
    # the stream as it was loads
    run -0 load <"$BATS_TEST_TMPDIR/ta.stream"
    [ "$(chats_of_target ta)" = "$(chats_of_source "$W/ta.db")" ]
}

@test "a value altered between stages with its h left as it was: exit 65 naming table and key; its batch rolled back" {
    sqlite3 "$W/tb.db" "UPDATE chat SET title = 'renamed ' || id;"
    diff_of tb "$W/tb.db" >"$BATS_TEST_TMPDIR/tb.stream"
    local n line key
    n="$(grep -c '"op":"update","table":"chat"' "$BATS_TEST_TMPDIR/tb.stream")"
    ((n >= 10))
    # the last chat update: its title "renamed <id>" becomes "Renamed <id>", its h stays
    line="$(grep -n '"op":"update","table":"chat"' "$BATS_TEST_TMPDIR/tb.stream" | tail -n1 | cut -d: -f1)"
    key="$(sed -n "${line}p" "$BATS_TEST_TMPDIR/tb.stream" | jq -c .k)"
    edit "${line}s/\"renamed /\"Renamed /" <"$BATS_TEST_TMPDIR/tb.stream" >"$BATS_TEST_TMPDIR/altered"
    ! cmp -s "$BATS_TEST_TMPDIR/tb.stream" "$BATS_TEST_TMPDIR/altered"
    # small batches: the earlier ones commit, the one holding the altered row does not
    run -65 --separate-stderr load --batch-bytes 4096 <"$BATS_TEST_TMPDIR/altered"
    echo "$stderr"
    [[ "$stderr" == "sync-load: error: stdin:$line: table \"chat\" key $key: the row hash h does not match the values (the stream was altered between stages)"* ]]
    [ "$(q "SELECT count(*) FROM tb.chat WHERE title LIKE 'Renamed %'")" = 0 ]
    local done_rows
    done_rows="$(q "SELECT count(*) FROM tb.chat WHERE title LIKE 'renamed %'")"
    ((done_rows > 0 && done_rows < n))
    # the next ordinary run completes the rest
    run -0 sync tb "$W/tb.db"
    [ "$(chats_of_target tb)" = "$(chats_of_source "$W/tb.db")" ]
}

@test "a key hash that does not match its key, in an insert or a delete: exit 65, nothing of the stream written" {
    sqlite3 "$W/ta.db" "DELETE FROM chat WHERE rowid IN (SELECT rowid FROM chat LIMIT 1);
                        INSERT INTO tag (id, name, user_id) VALUES ('zz-tag', 'zz', 'nobody');"
    diff_of ta "$W/ta.db" >"$BATS_TEST_TMPDIR/ta.stream"
    local before
    before="$(fingerprint ta)"
    # a delete whose key names another chat than its kh
    edit '/"op":"delete","table":"chat"/s/"k":\["[^"]*"\]/"k":["not-that-chat"]/' <"$BATS_TEST_TMPDIR/ta.stream" >"$BATS_TEST_TMPDIR/d"
    run -65 --separate-stderr load <"$BATS_TEST_TMPDIR/d"
    [[ "$stderr" == *'table "chat" key ["not-that-chat"]: the key hash kh does not match the key'* ]]
    # an insert whose kh is another key's
    edit '/"op":"insert","table":"tag"/s/"kh":"[0-9a-f]\{8\}/"kh":"00000000/' <"$BATS_TEST_TMPDIR/ta.stream" >"$BATS_TEST_TMPDIR/i"
    ! cmp -s "$BATS_TEST_TMPDIR/ta.stream" "$BATS_TEST_TMPDIR/i"
    run -65 --separate-stderr load <"$BATS_TEST_TMPDIR/i"
    [[ "$stderr" == *'table "tag" key ["zz-tag"'*': the key hash kh does not match the key'* ]]
    [ "$(fingerprint ta)" = "$before" ]
    run -0 load <"$BATS_TEST_TMPDIR/ta.stream"
}

@test "values a stage got wrong with matching hashes are repaired by the next ordinary run" {
    # a stage that rewrote a value and its hash consistently cannot be caught by the hash check; the
    # base state then holds the hash of what was written, which differs from the source's, so the
    # next ordinary run sees a change and writes the source values again
    cp "$W/ta.db" "$BATS_TEST_TMPDIR/wrong.db"
    sqlite3 "$BATS_TEST_TMPDIR/wrong.db" "UPDATE chat SET title = 'wrong ' || id WHERE rowid IN (SELECT rowid FROM chat LIMIT 4);"
    diff_of ta "$BATS_TEST_TMPDIR/wrong.db" | "$B/tools/resolve/sync-resolve" | load
    [ "$(q "SELECT count(*) FROM ta.chat WHERE title LIKE 'wrong %'")" = 4 ]
    run -0 sync ta "$W/ta.db"
    [ "$(q "SELECT count(*) FROM ta.chat WHERE title LIKE 'wrong %'")" = 0 ]
    [ "$(chats_of_target ta)" = "$(chats_of_source "$W/ta.db")" ]
}

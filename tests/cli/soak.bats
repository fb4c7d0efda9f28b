#!/usr/bin/env bats
# The soak (tests/soak/run.sh) for SOAK_MINUTES (default 2) in a cluster of its own, and proof that its
# final check, tests/soak/compare.py, finds a tenant that differs from its source.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/soak.bats

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export W="$BATS_FILE_TMPDIR" COMPARE="$BATS_TEST_DIRNAME/../soak/compare.py"
    pgcluster_service_db soakcmp || return 1
    "$B/tests/gen/syncpipe-gen" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema-upgraded-from-peewee.sql" \
        --out "$W/cmp.db" --users 3 --chats-per-user 4 >/dev/null
    "$B/tools/snapshot/sync-snapshot" --client cmp --no-lease "$W/cmp.db" |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
    "$B/tools/snapshot/sync-snapshot" --client cmp --no-lease "$W/cmp.db" |
        "$B/tools/diff/sync-diff" --dsn "$SVC" --state-dir "$W/state" | "$B/tools/resolve/sync-resolve" |
        "$B/tools/load/sync-load" --dsn "$SVC" --state-dir "$W/state" 2>/dev/null
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
compare() { PGDATABASE="$DB" python3 "$COMPARE" "$W/cmp.db" cmp cmp; }

@test "soak compare: the synced tenant equals its source" {
    run -0 compare
    [[ "${lines[-1]}" == "tables 44 rows "*" missing 0 extra 0 differing 0 quarantined 0" ]]
}

@test "soak compare: a changed bigint, a JSON value turned SQL NULL, a lost and an extra row are all found" {
    local id
    id="$(sqlite3 "$W/cmp.db" 'SELECT id FROM chat ORDER BY id LIMIT 1')"
    q "BEGIN;
       UPDATE cmp.chat SET updated_at = updated_at + 1 WHERE id = '$id';
       UPDATE cmp.\"user\" SET settings = NULL WHERE id = (SELECT min(id) FROM cmp.\"user\");
       DELETE FROM cmp.tag WHERE ctid = (SELECT min(ctid) FROM cmp.tag);
       INSERT INTO cmp.chat (id, user_id, title) VALUES ('extra-row', 'nobody', 'not in the source');
       ROLLBACK;" # proves the statements are valid before the real run below
    q "UPDATE cmp.chat SET updated_at = updated_at + 1 WHERE id = '$id'"
    run -1 compare
    [[ "${lines[-1]}" == *" missing 0 extra 0 differing 1 "* ]]
    q "UPDATE cmp.chat SET updated_at = updated_at - 1 WHERE id = '$id'"
    run -0 compare

    q "UPDATE cmp.\"user\" SET settings = NULL WHERE id = (SELECT min(id) FROM cmp.\"user\" WHERE settings IS NOT NULL)"
    run -1 compare
    [[ "${lines[-1]}" == *" differing 1 "* ]]

    q "DELETE FROM cmp.tag WHERE ctid = (SELECT min(ctid) FROM cmp.tag)"
    q "INSERT INTO cmp.chat (id, user_id, title) VALUES ('extra-row', 'nobody', 'not in the source')"
    run -1 compare
    [[ "${lines[-1]}" == *" missing 1 extra 1 differing 1 "* ]]
}

@test "soak: ${SOAK_MINUTES:-2} minutes of kills, stops, restarts, handovers and cuts lose nothing" {
    run "$BATS_TEST_DIRNAME/../soak/run.sh" --minutes "${SOAK_MINUTES:-2}" --tenants 4
    grep '^soak: ' <<<"$output" | grep -v '^soak: [0-9:]* ' | sed 's/^/# /' >&3
    echo "$output" | tail -n 40
    [ "$status" -eq 0 ]
    [[ "$output" == *"rows lost 0, rows extra 0"* ]]
    [[ "$output" == *"commits under an expired lease 0 "* ]]
    [[ "$output" != *"rows checked 0,"* ]]
}

#!/usr/bin/env bats
# Every privilege role sync_service holds, read from the catalogs of a freshly migrated database with
# one tenant provisioned by the real sync-load --provision, must equal the reviewed list in
# sync_service_privileges.txt: a migration or a provisioning change that grants more (or less) fails
# here with a diff until the list is changed, after review, in the same commit.
#
#   SYNCPIPE_BUILD=$PWD/build SHARED_DIR=/work/shared tests/lib/pgcluster.sh run bats tests/db/privileges.bats

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    pgcluster_service_db privs || return 1
    local db="$BATS_FILE_TMPDIR/tenant.db"
    "$B/tests/gen/syncpipe-gen" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$db" \
        --users 2 --chats-per-user 2 >/dev/null || return 1
    "$B/tools/snapshot/sync-snapshot" --client priv_tenant --host h1 --no-lease "$db" 2>/dev/null |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

# The reviewed list without comments and blank lines, in the query's order.
reviewed() { grep -vE '^[[:space:]]*(#|$)' "$BATS_TEST_DIRNAME/sync_service_privileges.txt" | LC_ALL=C sort; }
held() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -f "$BATS_TEST_DIRNAME/sync_service_privileges.sql"; }

@test "sync_service holds exactly the reviewed privileges (sync_service_privileges.txt)" {
    run -0 held
    local now="$output"
    [[ "$now" == *"schema <tenant> USAGE"* ]]  # the tenant was provisioned and is listed
    run diff -u <(reviewed) <(printf '%s\n' "$now")
    if ((status != 0)); then
        printf 'sync_service privileges differ from tests/db/sync_service_privileges.txt (- reviewed, + held):\n%s\n' \
            "$output" >&2
        return 1
    fi
}

@test "the comparison notices a privilege granted by hand" {
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "GRANT UPDATE ON sync_metadata.deleted_rows TO sync_service"
    run -0 held
    ! diff <(reviewed) <(printf '%s\n' "$output") >/dev/null
    [[ "$output" == *"table sync_metadata.deleted_rows SELECT UPDATE"* ]]
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "REVOKE UPDATE ON sync_metadata.deleted_rows FROM sync_service"
}

#!/usr/bin/env bats
# sync-load --provision refuses a tenant id or schema that is not a plain identifier, a reserved or
# system schema, another tenant's schema, and a schema that already holds other objects (issue 16,
# item 4): exit 65, one line naming the rule, and nothing created or registered.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}" W="$BATS_FILE_TMPDIR"
    pgcluster_service_db names || return 1
    "$B/tests/gen/syncpipe-gen" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$W/t.db" \
        --users 1 --chats-per-user 1 >/dev/null || return 1
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# provision CLIENT [SCHEMA] — sync-snapshot | sync-load --provision as admin; stderr of sync-load only.
provision() {
    "$B/tools/snapshot/sync-snapshot" --client "$1" ${2+--schema "$2"} --host h1 --no-lease "$W/t.db" 2>/dev/null |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB"
}

# Everything provisioning could have left behind: schemas, tables, registrations.
footprint() {
    q "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%'
       UNION ALL SELECT count(*)::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       UNION ALL SELECT count(*)::text FROM sync_metadata.client_deployments"
}

@test "--provision refuses reserved schemas and ids that are not plain identifiers; nothing is created" {
    local before c
    before="$(footprint)"
    for c in public sync_metadata information_schema pg_catalog pg_mine; do
        run -65 --separate-stderr provision "$c"
        [ "$stderr" = "sync-load: error: cannot provision this tenant: schema $c is reserved" ] || { echo "$c: $stderr"; false; }
    done
    run -65 --separate-stderr provision fine public
    [ "$stderr" = "sync-load: error: cannot provision this tenant: schema public is reserved" ]
    run -65 --separate-stderr provision Acme
    [ "$stderr" = "sync-load: error: cannot provision this tenant: client id \"Acme\" is not a plain identifier (a-z, 0-9 and _, not starting with a digit, at most 63 bytes)" ]
    run -65 --separate-stderr provision $'line\nbreak'
    [ "$stderr" = "sync-load: error: cannot provision this tenant: client id \"line\\nbreak\" is not a plain identifier (a-z, 0-9 and _, not starting with a digit, at most 63 bytes)" ]
    run -65 --separate-stderr provision fine 'a-b'
    [[ "$stderr" == "sync-load: error: cannot provision this tenant: schema \"a-b\" is not a plain identifier "* ]]
    [ "$(footprint)" = "$before" ]
}

@test "--provision refuses a schema holding other objects, and another tenant's schema" {
    q "CREATE SCHEMA app; CREATE TABLE app.users (id int)"
    local before
    before="$(footprint)"
    run -65 --separate-stderr provision mine app
    [ "$stderr" = "sync-load: error: cannot provision this tenant: schema app already holds objects that are not the tenant's: relation users" ]
    [ "$(footprint)" = "$before" ]
    [ "$(q "SELECT count(*) FROM app.users")" = 0 ]
    run -0 provision first
    before="$(footprint)"
    run -65 --separate-stderr provision second first
    [ "$stderr" = "sync-load: error: cannot provision this tenant: schema first is registered to client 'first'" ]
    [ "$(footprint)" = "$before" ]
    # Re-provisioning a tenant into its own schema (an upgrade adding tables) is fine.
    run -0 provision first
    [ "$(footprint)" = "$before" ]
}

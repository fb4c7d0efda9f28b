#!/usr/bin/env bats
# sql/ migrations against a real PostgreSQL: idempotence, the sync_service role's limits, row-level
# security between hosts, delete_rows, the admin functions and the views.
#
# Run with the cluster's environment exported:
#   tests/lib/pgcluster.sh run bats tests/db/sql.bats
# The file creates its own database in setup_file and drops it in teardown_file.

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

setup_file() {
    pgcluster_require || return 1
    export DB="sqltest_$$_$RANDOM"
    pgcluster_migrate "$DB"
    pgcluster_service_password "$DB"
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$BATS_TEST_DIRNAME/sql_fixture.sql" >/dev/null
}

teardown_file() {
    dropdb --if-exists --force -- "${DB}_hosted"
    dropdb --if-exists --force -- "$DB"
}

# admin SQL — run SQL as the superuser over the socket, in one transaction; errors exit 3.
admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$DB" -f -
}

# svc HOST SQL — run SQL as sync_service over TCP with the passfile, in one transaction that first
# sets syncpipe.host_id to HOST (an empty HOST leaves it unset), as the tools do. Errors exit 3.
svc() {
    local host="$1" sql="$2"
    {
        if [[ -n "$host" ]]; then
            printf "SELECT set_config('syncpipe.host_id', '%s', true) \\\\g /dev/null\n" "$host"
        fi
        printf '%s\n' "$sql"
    } | PGPASSFILE="$SERVICE_PASSFILE" psql -X -q -At -w -v ON_ERROR_STOP=1 --single-transaction \
        "host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service" -f -
}

# refused HOST SQL MESSAGE — SQL as sync_service must fail with exactly "ERROR:  MESSAGE".
refused() {
    run -3 svc "$1" "$2"
    if [[ "$output" != *"ERROR:  $3"* ]]; then
        printf 'SQL: %s\nwanted: ERROR:  %s\ngot: %s\n' "$2" "$3" "$output" >&2
        return 1
    fi
}

# Catalog fingerprint of everything the migrations create.
fingerprint() {
    admin "
      SELECT 'rel', c.relname::text, c.relkind::text, c.relrowsecurity::text, c.relforcerowsecurity::text,
             c.relacl::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'sync_metadata'
      UNION ALL
      SELECT 'pol', tablename::text, policyname::text, array_to_string(roles, ','), qual, with_check
        FROM pg_policies WHERE schemaname = 'sync_metadata'
      UNION ALL
      SELECT 'fn', p.proname::text, p.prosecdef::text, array_to_string(p.proconfig, ','), p.proacl::text, ''
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'sync_metadata'
      UNION ALL
      SELECT 'ns', nspname::text, nspacl::text, '', '', '' FROM pg_namespace WHERE nspname IN ('sync_metadata', 'public')
      ORDER BY 1, 2, 3"
}

@test "migrations: re-running every file is harmless and changes nothing" {
    run -0 fingerprint
    local before="$output"
    [[ "$before" == *"rel|hosts|r|true|true|"* ]]
    run -0 admin "SELECT count(*) FROM sync_metadata.hosts"
    local hosts="$output"
    pgcluster_migrate "$DB"
    pgcluster_migrate "$DB"
    run -0 fingerprint
    [ "$output" = "$before" ]
    run -0 admin "SELECT count(*) FROM sync_metadata.hosts"
    [ "$output" = "$hosts" ]
}

@test "migrations: a non-superuser admin without BYPASSRLS (hosted setups) can run them twice" {
    local db="${DB}_hosted"
    admin "DO \$\$ BEGIN
             IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hosted_admin') THEN
               CREATE ROLE hosted_admin LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS;
             END IF;
           END \$\$"
    createdb -O hosted_admin -- "$db"
    local f
    for f in "$BATS_TEST_DIRNAME"/../../sql/*.sql "$BATS_TEST_DIRNAME"/../../sql/*.sql; do
        PGUSER=hosted_admin PGOPTIONS="-c client_min_messages=warning" \
            psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f"
    done
    # FORCEd RLS binds the owner here: the admin policy keeps the admin seeing every host.
    run -0 env PGUSER=hosted_admin psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "
      INSERT INTO sync_metadata.hosts (host_id, node_name) VALUES ('A', 'n'), ('B', 'n');
      SELECT string_agg(host_id, ',' ORDER BY host_id) FROM sync_metadata.hosts;"
    [ "$output" = "A,B" ]
    run -0 psql -X -At -d "$db" -c "SELECT string_agg(policyname || ':' || array_to_string(roles, ','), ' ' ORDER BY policyname)
                                      FROM pg_policies WHERE tablename = 'hosts'"
    [ "$output" = "sync_admin_all:hosted_admin sync_service_own_host:sync_service" ]
    dropdb --force -- "$db"
}

@test "migrations: every sync_metadata table has forced RLS and the service policy" {
    run -0 admin "
      SELECT c.relname || ':' || (c.relrowsecurity AND c.relforcerowsecurity) || ':' ||
             coalesce((SELECT string_agg(p.policyname, ',' ORDER BY p.policyname) FROM pg_policies p
                        WHERE p.schemaname = 'sync_metadata' AND p.tablename = c.relname), '-')
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'sync_metadata' AND c.relkind = 'r' ORDER BY 1"
    [ "$output" = "cache_events:true:sync_service_own_clients,sync_service_own_clients_update,sync_service_own_host
client_deployments:true:sync_service_own_host
conflict_log:true:sync_service_open_conflict,sync_service_own_clients,sync_service_own_clients_update,sync_service_own_host
conflict_rollup:true:sync_service_own_host
deleted_rows:true:sync_service_own_clients,sync_service_own_clients_update,sync_service_own_host
hosts:true:sync_service_own_host
job_rollup:true:sync_service_own_host
leader_election:true:sync_service_own_host
quarantine:true:sync_service_own_clients,sync_service_own_clients_update,sync_service_own_host
row_state:true:sync_service_own_clients,sync_service_own_clients_update,sync_service_own_host
schema_history:true:sync_service_own_host
source_schema:true:sync_service_own_host
sync_jobs:true:sync_service_open_job,sync_service_own_clients,sync_service_own_clients_update,sync_service_own_host
sync_progress:true:sync_service_own_clients,sync_service_own_clients_update,sync_service_own_host
table_rollup:true:sync_service_own_host" ]
}

@test "sync_service: no superuser, createdb, createrole, bypassrls; owns nothing" {
    run -0 admin "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication, rolcanlogin
                    FROM pg_roles WHERE rolname = 'sync_service'"
    [ "$output" = "f|f|f|f|f|t" ]
    run -0 admin "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
                       + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)
                       + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)
                       + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)
                    FROM pg_roles r WHERE rolname = 'sync_service'"
    [ "$output" = "0" ]
    run -0 admin "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'sync_metadata'"
    [ "$output" = "postgres" ]
}

@test "rls: a host sees only its own rows; no host set sees nothing" {
    local sql="SELECT string_agg(DISTINCT host_id, ',') FROM sync_metadata.hosts
               UNION ALL SELECT string_agg(client_id, ',' ORDER BY client_id) FROM sync_metadata.client_deployments
               UNION ALL SELECT coalesce(string_agg(cluster_id, ','), '-') FROM sync_metadata.leader_election"
    run -0 svc X "$sql"
    [ "$output" = "X
acme,ro
-" ]
    run -0 svc Y "$sql"
    [ "$output" = "Y
other
Y" ]
    run -0 svc "" "SELECT count(*) FROM sync_metadata.hosts UNION ALL SELECT count(*) FROM sync_metadata.client_deployments"
    [ "$output" = "0
0" ]
}

@test "rls: rows of another host cannot be inserted" {
    refused X "INSERT INTO sync_metadata.hosts (host_id, node_name) VALUES ('Y', 'node-z')" \
        'new row violates row-level security policy for table "hosts"'
    refused X "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('c9', 'Y', 'c9')" \
        'permission denied for table client_deployments'
    refused X "INSERT INTO sync_metadata.leader_election (cluster_id, holder) VALUES ('Z9', 'node-a')" \
        'new row violates row-level security policy for table "leader_election"'
    refused X "INSERT INTO sync_metadata.row_state (host_id, client_id, table_name, key_hash, key_json, src_hash)
               VALUES ('Y', 'other', 'user', '\\x00', '[\"o1\"]', '\\x00')" \
        'new row violates row-level security policy for table "row_state"'
    refused "" "INSERT INTO sync_metadata.hosts (host_id, node_name) VALUES ('X', 'node-q')" \
        'new row violates row-level security policy for table "hosts"'
    run -0 admin "SELECT count(*) FROM sync_metadata.hosts WHERE node_name IN ('node-z', 'node-q')"
    [ "$output" = "0" ]
}

@test "rls: rows of another host cannot be updated, nor moved to another host" {
    run -0 svc X "WITH u AS (UPDATE sync_metadata.hosts SET hostname = 'pwned' WHERE host_id = 'Y' RETURNING 1)
                  SELECT count(*) FROM u"
    [ "$output" = "0" ]
    run -0 svc X "WITH u AS (UPDATE sync_metadata.leader_election SET holder = 'node-x', epoch = epoch + 1 RETURNING 1)
                  SELECT count(*) FROM u"
    [ "$output" = "0" ]
    run -0 admin "SELECT hostname FROM sync_metadata.hosts WHERE host_id = 'Y'
                  UNION ALL SELECT holder || ':' || epoch FROM sync_metadata.leader_election WHERE cluster_id = 'Y'"
    [ "$output" = "hy-a
node-a:1" ]
    refused X "UPDATE sync_metadata.client_deployments SET host_id = 'Y' WHERE client_id = 'acme'" \
        'permission denied for table client_deployments'
    run -0 admin "SELECT host_id FROM sync_metadata.client_deployments WHERE client_id = 'acme'"
    [ "$output" = "X" ]
}

@test "sync_service writes its own host's rows, uses sequences and temp tables" {
    run -0 svc X "INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, status)
                  VALUES ('s-own', 'X', 'acme', 'running') RETURNING status"
    [ "$output" = "running" ]
    run -0 svc X "UPDATE sync_metadata.sync_jobs SET status = 'success', rows_inserted = 5
                  WHERE stream_id = 's-own' RETURNING status || ':' || rows_inserted"
    [ "$output" = "success:5" ]
    run -0 svc X "INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
                  VALUES ('X', 'node-a', 1, now() + interval '30 seconds')
                  ON CONFLICT (cluster_id) DO UPDATE SET holder = excluded.holder RETURNING epoch"
    [ "$output" = "1" ]
    run -0 svc X "CREATE TEMP TABLE stage (id text) ON COMMIT DROP;
                  INSERT INTO stage VALUES ('a'), ('b');
                  UPDATE acme.\"user\" u SET name = u.name FROM stage WHERE u.id = stage.id;
                  SELECT count(*) FROM stage"
    [ "$output" = "2" ]
    refused X "INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, status)
               VALUES ('s-bad', 'X', 'acme', 'bogus')" \
        'new row for relation "sync_jobs" violates check constraint "sync_jobs_status_check"'
}

@test "sync_service cannot DELETE, TRUNCATE, DROP, ALTER or CREATE in sync_metadata" {
    refused X "DELETE FROM sync_metadata.hosts WHERE host_id = 'X'" 'permission denied for table hosts'
    refused X "DELETE FROM sync_metadata.deleted_rows" 'permission denied for table deleted_rows'
    refused X "TRUNCATE sync_metadata.row_state" 'permission denied for table row_state'
    refused X "DROP TABLE sync_metadata.conflict_log" 'must be owner of table conflict_log'
    refused X "ALTER TABLE sync_metadata.hosts DISABLE ROW LEVEL SECURITY" 'must be owner of table hosts'
    refused X "DROP POLICY sync_service_own_host ON sync_metadata.hosts" 'must be owner of relation hosts'
    refused X "DROP VIEW sync_metadata.v_sync_status" 'must be owner of view v_sync_status'
    refused X "DROP FUNCTION sync_metadata.delete_rows(text, text, jsonb, bigint)" \
        'must be owner of function sync_metadata.delete_rows'
    refused X "CREATE TABLE sync_metadata.evil (id int)" 'permission denied for schema sync_metadata'
    refused X "CREATE FUNCTION sync_metadata.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'" \
        'permission denied for schema sync_metadata'
    refused X "CREATE SCHEMA evil" "permission denied for database $DB"
    refused X "CREATE TABLE public.evil (id int)" 'permission denied for schema public'
    run -0 admin "SELECT string_agg(c.relname || ':' || has_table_privilege('sync_service', c.oid, 'SELECT')
                                    || has_table_privilege('sync_service', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'),
                             ',' ORDER BY c.relname)
                    FROM pg_class c WHERE c.relnamespace = 'sync_metadata'::regnamespace AND c.relkind = 'v'"
    [ "$output" = "v_cluster_health:truefalse,v_conflict_summary:truefalse,v_sync_status:truefalse" ]
    run -0 admin "SELECT count(*) FROM sync_metadata.hosts WHERE host_id = 'X'"
    [ "$output" = "1" ]
}

@test "sync_service cannot DELETE, TRUNCATE, DROP, ALTER or CREATE on a tenant table" {
    admin "INSERT INTO acme.\"user\" VALUES ('keep', 'Kim')"
    refused X "DELETE FROM acme.\"user\"" 'permission denied for table user'
    refused X "TRUNCATE acme.\"user\"" 'permission denied for table user'
    refused X "DROP TABLE acme.\"user\"" 'must be owner of table user'
    refused X "ALTER TABLE acme.\"user\" ADD COLUMN evil int" 'must be owner of table user'
    refused X "CREATE TABLE acme.evil (id int)" 'permission denied for schema acme'
    refused X "DROP SCHEMA acme CASCADE" 'must be owner of schema acme'
    run -0 admin "SELECT name FROM acme.\"user\" WHERE id = 'keep'"
    [ "$output" = "Kim" ]
}

KH1=11111111111111111111111111111111
KH2=22222222222222222222222222222222
KH3=33333333333333333333333333333333
KHG=99999999999999999999999999999999

@test "delete_rows archives the row, removes it with its row_state and quarantine rows" {
    admin "INSERT INTO acme.\"user\" VALUES ('u1', 'Alice'), ('u2', 'Bob'), ('u3', 'Carol');
           INSERT INTO sync_metadata.row_state (host_id, client_id, table_name, key_hash, key_json, src_hash)
           SELECT 'X', 'acme', 'user', decode(kh, 'hex'), kj, '\\x01'
             FROM (VALUES ('$KH1', '[\"u1\"]'), ('$KH2', '[\"u2\"]'), ('$KH3', '[\"u3\"]'), ('$KHG', '[\"gone\"]')) v(kh, kj);
           INSERT INTO sync_metadata.quarantine (host_id, client_id, table_name, key_hash, row_key, reason)
           VALUES ('X', 'acme', 'user', decode('$KH1', 'hex'), '[\"u1\"]', 'test')"
    local keys="[{\"kh\":\"$KH1\",\"k\":[\"u1\"]},{\"kh\":\"$KHG\",\"k\":[\"gone\"]}]"
    run -0 svc X "SELECT sync_metadata.delete_rows('acme', 'user', '$keys', 42)"
    [ "$output" = "1" ]
    run -0 admin "SELECT string_agg(id, ',' ORDER BY id) FROM acme.\"user\" WHERE id LIKE 'u%'"
    [ "$output" = "u2,u3" ]
    run -0 admin "SELECT host_id, client_id, table_name, row_key, row_data::text, job_id
                    FROM sync_metadata.deleted_rows WHERE job_id = 42"
    [ "$output" = 'X|acme|user|["u1"]|{"id":"u1","name":"Alice"}|42' ]
    run -0 admin "SELECT string_agg(encode(key_hash, 'hex'), ',' ORDER BY key_hash)
                    FROM sync_metadata.row_state WHERE client_id = 'acme' AND table_name = 'user'"
    [ "$output" = "$KH2,$KH3" ]
    run -0 admin "SELECT count(*) FROM sync_metadata.quarantine WHERE client_id = 'acme'"
    [ "$output" = "0" ]
    # Replaying the same call deletes nothing more and archives nothing twice.
    run -0 svc X "SELECT sync_metadata.delete_rows('acme', 'user', '$keys', 42)"
    [ "$output" = "0" ]
    run -0 admin "SELECT count(*) FROM sync_metadata.deleted_rows WHERE job_id = 42"
    [ "$output" = "1" ]
    # The archive is visible to the service for its own host only.
    run -0 svc Y "SELECT count(*) FROM sync_metadata.deleted_rows WHERE job_id = 42"
    [ "$output" = "0" ]
}

@test "delete_rows matches composite and 64-bit keys in primary-key column order" {
    admin "INSERT INTO acme.pairs VALUES (9007199254740993, 'x', 'big'), (9007199254740992, 'x', 'near'), (1, 'y', 'one')"
    run -0 svc X "SELECT sync_metadata.delete_rows('acme', 'pairs', '[{\"kh\":\"$KH3\",\"k\":[\"x\",9007199254740993]},{\"kh\":\"$KH2\",\"k\":[\"y\",\"1\"]}]', 43)"
    [ "$output" = "2" ]
    run -0 admin "SELECT a || ':' || b FROM acme.pairs ORDER BY a"
    [ "$output" = "9007199254740992:x" ]
    run -0 admin "SELECT row_key || ' ' || row_data::text FROM sync_metadata.deleted_rows WHERE job_id = 43 ORDER BY id"
    [[ "$output" == *'["x", 9007199254740993] {"a":9007199254740993,"b":"x","note":"big"}'* ]]
    [[ "$output" == *'["y", "1"] {"a":1,"b":"y","note":"one"}'* ]]
}

@test "delete_rows refuses another host's client and an unset host" {
    local keys="[{\"kh\":\"$KH1\",\"k\":[\"o1\"]}]"
    refused X "SELECT sync_metadata.delete_rows('other', 'user', '$keys', 1)" \
        "delete_rows: client 'other' is not an active client of host 'X'"
    refused "" "SELECT sync_metadata.delete_rows('other', 'user', '$keys', 1)" \
        'delete_rows: syncpipe.host_id is not set'
    run -0 admin "SELECT string_agg(id, ',') FROM other.\"user\""
    [ "$output" = "o1" ]
}

@test "delete_rows refuses a hostile table name and non-tenant or read-only schemas" {
    refused X "SELECT sync_metadata.delete_rows('acme', 'x\"; drop table y; --', '[]', 1)" \
        'delete_rows: no table acme."x""; drop table y; --"'
    refused X "SELECT sync_metadata.delete_rows('acme', 'hosts', '[]', 1)" 'delete_rows: no table acme.hosts'
    run -0 admin "SELECT to_regclass('public.y') IS NOT NULL"
    [ "$output" = "t" ]
    # A registration naming sync_metadata, forged past the table's CHECK, still cannot point delete_rows there.
    admin "ALTER TABLE sync_metadata.client_deployments DROP CONSTRAINT client_deployments_schema_name_name;
           ALTER TABLE sync_metadata.client_deployments DISABLE TRIGGER client_deployments_schema_free;
           INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('evil', 'X', 'sync_metadata');
           ALTER TABLE sync_metadata.client_deployments ENABLE TRIGGER client_deployments_schema_free"
    refused X "SELECT sync_metadata.delete_rows('evil', 'hosts', '[{\"kh\":\"$KH1\",\"k\":[\"X\",\"node-a\"]}]', 1)" \
        "delete_rows: schema sync_metadata of client 'evil' is not a tenant schema"
    admin "DELETE FROM sync_metadata.client_deployments WHERE client_id = 'evil'"
    pgcluster_migrate "$DB"
    # Nor at a table it cannot write anyway.
    refused X "SELECT sync_metadata.delete_rows('ro', 't', '[{\"kh\":\"$KH1\",\"k\":[\"r1\"]}]', 1)" \
        'delete_rows: sync_service may not write ro.t'
    run -0 admin "SELECT count(*) FROM ro.t UNION ALL SELECT count(*) FROM sync_metadata.hosts WHERE host_id = 'X'"
    [ "$output" = "1
1" ]
}

@test "delete_rows rejects malformed keys and deletes nothing" {
    admin "INSERT INTO acme.\"user\" VALUES ('m1', 'Mia')"
    refused X "SELECT sync_metadata.delete_rows('acme', 'user', '{\"kh\":\"$KH1\"}', 1)" \
        'delete_rows: p_keys must be a JSON array'
    refused X "SELECT sync_metadata.delete_rows('acme', 'user', '[{\"kh\":\"$KH1\",\"k\":[\"m1\"]},{\"kh\":\"zz\",\"k\":[\"m1\"]}]', 1)" \
        'delete_rows: bad key entry {"k": ["m1"], "kh": "zz"}'
    refused X "SELECT sync_metadata.delete_rows('acme', 'user', '[{\"kh\":\"$KH1\",\"k\":[\"m1\",\"extra\"]}]', 1)" \
        'delete_rows: bad key entry'
    refused X "SELECT sync_metadata.delete_rows('acme', 'user', '[{\"kh\":\"$KH1\",\"k\":[null]}]', 1)" \
        'delete_rows: bad key entry'
    refused X "SELECT sync_metadata.delete_rows('acme', 'user', '[{\"kh\":\"$KH1\",\"k\":\"m1\"}]', 1)" \
        'delete_rows: bad key entry'
    run -0 admin "SELECT name FROM acme.\"user\" WHERE id = 'm1'"
    [ "$output" = "Mia" ]
}

@test "admin functions are not callable by sync_service" {
    refused X "SELECT sync_metadata.deregister_host('X')" 'permission denied for function deregister_host'
    refused X "SELECT sync_metadata.archive_client('acme')" 'permission denied for function archive_client'
    refused X "SELECT sync_metadata.prune_conflict_log(0)" 'permission denied for function prune_conflict_log'
    run -0 admin "SELECT sync_enabled FROM sync_metadata.client_deployments WHERE client_id = 'acme'"
    [ "$output" = "t" ]
}

@test "deregister_host refuses while enabled tenants remain, lists them, then releases and keeps history" {
    admin "INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat)
           VALUES ('Z', 'node-a', now()), ('Z', 'node-b', now());
           INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
           VALUES ('Z', 'node-a', 3, now() + interval '1 minute');
           INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, sync_enabled, archived_at)
           VALUES ('z1', 'Z', 'z1', true, NULL), ('z2', 'Z', 'z2', true, NULL), ('z3', 'Z', 'z3', false, now())"
    run -3 admin "SELECT sync_metadata.deregister_host('Z')"
    [[ "$output" == *'ERROR:  deregister_host: host Z still has sync-enabled tenants: z1, z2'* ]]
    admin "SELECT sync_metadata.archive_client('z1')"
    run -3 admin "SELECT sync_metadata.deregister_host('Z')"
    [[ "$output" == *'ERROR:  deregister_host: host Z still has sync-enabled tenants: z2'* ]]
    run -0 admin "SELECT string_agg(status, ',') FROM sync_metadata.hosts WHERE host_id = 'Z'
                  UNION ALL SELECT holder FROM sync_metadata.leader_election WHERE cluster_id = 'Z'"
    [ "$output" = "active,active
node-a" ]
    admin "UPDATE sync_metadata.client_deployments SET sync_enabled = false WHERE client_id = 'z2'"
    run -0 admin "SELECT sync_metadata.deregister_host('Z')"
    [ "$output" = "host Z deregistered: 2 node(s), lease released" ]
    run -0 admin "SELECT string_agg(status || ':' || (archived_at IS NOT NULL), ',') FROM sync_metadata.hosts WHERE host_id = 'Z'"
    [ "$output" = "deregistered:true,deregistered:true" ]
    run -0 admin "SELECT coalesce(holder, '-'), epoch, released_at IS NOT NULL, expires_at <= now()
                    FROM sync_metadata.leader_election WHERE cluster_id = 'Z'"
    [ "$output" = "-|3|t|t" ]
    run -0 admin "SELECT string_agg(client_id || ':' || sync_enabled || ':' || (archived_at IS NOT NULL), ',' ORDER BY client_id)
                    FROM sync_metadata.client_deployments WHERE host_id = 'Z'"
    [ "$output" = "z1:false:true,z2:false:false,z3:false:true" ]
    run -3 admin "SELECT sync_metadata.deregister_host('nosuch')"
    [[ "$output" == *'ERROR:  deregister_host: no host nosuch'* ]]
    run -3 admin "SELECT sync_metadata.archive_client('nosuch')"
    [[ "$output" == *"ERROR:  archive_client: no client 'nosuch'"* ]]
}

@test "v_cluster_health buckets heartbeats and shows the lease holder" {
    admin "INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES
             ('H', 'n1', now() - interval '30 seconds'), ('H', 'n2', now() - interval '3 minutes'),
             ('H', 'n3', now() - interval '10 minutes'), ('H', 'n4', NULL);
           INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
           VALUES ('H', 'n1', 7, now() + interval '60 seconds')"
    local q="SELECT node_name, health, is_leader, epoch, heartbeat_age_seconds
               FROM sync_metadata.v_cluster_health WHERE host_id = 'H' ORDER BY node_name"
    run -0 admin "UPDATE sync_metadata.hosts SET last_heartbeat = now() - interval '30 seconds' WHERE node_name = 'n1';
                  UPDATE sync_metadata.hosts SET last_heartbeat = now() - interval '3 minutes' WHERE node_name = 'n2';
                  UPDATE sync_metadata.hosts SET last_heartbeat = now() - interval '10 minutes' WHERE node_name = 'n3';
                  $q"
    [ "$output" = "n1|active|t|7|30
n2|degraded|f|7|180
n3|offline|f|7|600
n4|offline|f|7|" ]
    run -0 admin "SELECT lease_expires_in_seconds BETWEEN 55 AND 59 FROM sync_metadata.v_cluster_health WHERE node_name = 'n1'"
    [ "$output" = "t" ]
    # security_invoker: the service sees its own host only.
    run -0 svc H "SELECT count(*) FROM sync_metadata.v_cluster_health"
    [ "$output" = "4" ]
    run -0 svc X "SELECT count(*) FROM sync_metadata.v_cluster_health WHERE host_id = 'H'"
    [ "$output" = "0" ]
    # An expired lease makes nobody the leader.
    admin "UPDATE sync_metadata.leader_election SET expires_at = now() - interval '1 second' WHERE cluster_id = 'H'"
    run -0 admin "SELECT string_agg(is_leader::text, ',' ORDER BY node_name) FROM sync_metadata.v_cluster_health WHERE host_id = 'H'"
    [ "$output" = "false,false,false,false" ]
}

@test "v_sync_status shows the last job, last success, open conflicts and quarantined rows" {
    admin "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, generation)
           VALUES ('beta', 'X', 'beta', 4);
           INSERT INTO sync_metadata.sync_jobs (host_id, client_id, status, started_at, finished_at, error) VALUES
             ('X', 'beta', 'success', now() - interval '20 minutes', now() - interval '19 minutes', NULL),
             ('X', 'beta', 'success', now() - interval '10 minutes', now() - interval '9 minutes', NULL),
             ('X', 'beta', 'failed',  now() - interval '1 minute', now(), 'boom');
           INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash, resolution, resolved_at) VALUES
             ('X', 'beta', 'chat', 'k1', NULL, NULL), ('X', 'beta', 'chat', 'k2', 'source_wins', now()),
             ('X', 'beta', 'user', 'k3', 'manual', NULL);
           INSERT INTO sync_metadata.quarantine (host_id, client_id, table_name, key_hash, reason, resolved_at) VALUES
             ('X', 'beta', 'chat', '\\x01', 'bad date', NULL), ('X', 'beta', 'chat', '\\x02', 'bad int', now())"
    local q="SELECT client_id, host_id, schema_name, sync_enabled, generation, last_job_status, last_error,
                    conflicts_unresolved, quarantined_rows, seconds_since_success, last_started_at < now()
               FROM sync_metadata.v_sync_status WHERE client_id = 'beta'"
    run -0 admin "UPDATE sync_metadata.sync_jobs SET finished_at = now() - interval '9 minutes'
                   WHERE client_id = 'beta' AND started_at < now() - interval '5 minutes' AND finished_at > now() - interval '15 minutes';
                  $q"
    [ "$output" = "beta|X|beta|t|4|failed|boom|2|1|540|t" ]
    run -0 svc X "$q"
    [[ "$output" == "beta|X|beta|t|4|failed|boom|2|1|54"[0-9]"|t" ]]
    run -0 svc Y "$q"
    [ "$output" = "" ]
}

@test "v_conflict_summary counts per table, unresolved and by resolution" {
    run -0 admin "SELECT client_id, table_name, total, unresolved, by_resolution::text, last_detected_at IS NOT NULL
                    FROM sync_metadata.v_conflict_summary WHERE client_id = 'beta' ORDER BY table_name"
    [ "$output" = 'beta|chat|2|1|{"none": 1, "source_wins": 1}|t
beta|user|1|1|{"manual": 1}|t' ]
    run -0 svc Y "SELECT count(*) FROM sync_metadata.v_conflict_summary"
    [ "$output" = "0" ]
}

@test "prune_conflict_log removes only conflicts resolved before the retention" {
    admin "INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash, detected_at, resolved_at) VALUES
             ('X', 'gamma', 't', 'old-resolved', now() - interval '50 days', now() - interval '40 days'),
             ('X', 'gamma', 't', 'new-resolved', now() - interval '50 days', now() - interval '1 day'),
             ('X', 'gamma', 't', 'old-open', now() - interval '100 days', NULL)"
    run -0 admin "SELECT sync_metadata.prune_conflict_log(30)"
    [ "$output" = "1" ]
    run -0 admin "SELECT string_agg(key_hash, ',' ORDER BY key_hash) FROM sync_metadata.conflict_log WHERE client_id = 'gamma'"
    [ "$output" = "new-resolved,old-open" ]
    run -3 admin "SELECT sync_metadata.prune_conflict_log(-1)"
    [[ "$output" == *'ERROR:  prune_conflict_log: retention must be 0 or more days, not -1'* ]]
}

@test "harness: passfile is private, no PGPASSWORD, TCP needs the password" {
    [ -z "${PGPASSWORD+set}" ]
    run -0 stat -c '%a' "$SERVICE_PASSFILE"
    [ "$output" = "600" ]
    run -0 grep -c "^127\.0\.0\.1:$PGPORT:\*:sync_service:[0-9a-f]\{48\}\$" "$SERVICE_PASSFILE"
    [ "$output" = "1" ]
    run -2 env PGPASSFILE=/dev/null psql -X -w -At "host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service" -c 'SELECT 1'
    [[ "$output" == *"no password supplied"* ]]
    run -0 svc "" "SELECT current_user, inet_server_addr()"
    [ "$output" = "sync_service|127.0.0.1" ]
}

# A name as an SQL literal.
lit() { printf "'%s'" "${1//\'/\'\'}"; }

@test "tenant names: the database refuses reserved schemas and names that are not plain identifiers" {
    local before long63 long64 bad
    long63="$(printf 'a%.0s' {1..63})" long64="$(printf 'b%.0s' {1..64})"
    before="$(admin "SELECT count(*) FROM sync_metadata.client_deployments")"
    for bad in public sync_metadata information_schema pg_catalog pg_toast pg_anything Acme 1acme a-b 'a b' "a'b" \
               a/b '' "$long64" $'line\nbreak' $'trailing\n'; do
        run -3 admin "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name)
                      VALUES ('okname', 'X', $(lit "$bad"))"
        [[ "$output" == *'violates check constraint "client_deployments_schema_name_name"'* ]] || { echo "schema $bad: $output"; false; }
    done
    for bad in Acme 1acme a-b 'a b' a/b ../x '' "$long64" $'line\nbreak' $'trailing\n'; do
        run -3 admin "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name)
                      VALUES ($(lit "$bad"), 'X', 'okname')"
        [[ "$output" == *'violates check constraint "client_deployments_client_id_name"'* ]] || { echo "client $bad: $output"; false; }
    done
    run -0 svc X "SELECT sync_metadata.name_problem('client id', E'line\\nbreak')"
    [ "$output" = 'client id "line\nbreak" is not a plain identifier (a-z, 0-9 and _, not starting with a digit, at most 63 bytes)' ]
    run -0 admin "SELECT count(*) FROM sync_metadata.client_deployments"
    [ "$output" = "$before" ]
    # The longest plain identifier PostgreSQL keeps whole is fine, and so is an underscore start.
    admin "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name)
           VALUES ('$long63', 'X', '$long63'), ('_t_1', 'X', '_t_1');
           DELETE FROM sync_metadata.client_deployments WHERE client_id IN ('$long63', '_t_1')"
}

@test "tenant names: a schema that already holds objects cannot be registered nor switched to" {
    admin "CREATE SCHEMA occupied; CREATE TABLE occupied.app_users (id int); CREATE SCHEMA empty_one"
    run -3 admin "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('occ', 'X', 'occupied')"
    [[ "$output" == *"ERROR:  client 'occ': schema occupied already holds objects that are not the tenant's: relation app_users"* ]]
    run -3 admin "UPDATE sync_metadata.client_deployments SET schema_name = 'occupied' WHERE client_id = 'acme'"
    [[ "$output" == *"ERROR:  client 'acme': schema occupied already holds objects"* ]]
    # Re-registering a tenant in the schema it already has (re-provisioning) is fine; so is an empty schema.
    admin "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('acme', 'X', 'acme')
           ON CONFLICT (client_id) DO UPDATE SET schema_name = EXCLUDED.schema_name;
           INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('emp', 'X', 'empty_one');
           DELETE FROM sync_metadata.client_deployments WHERE client_id = 'emp'"
    run -0 admin "SELECT sync_metadata.tenant_problem('occ', 'occupied') UNION ALL
                  SELECT sync_metadata.tenant_problem('acme2', 'acme') UNION ALL
                  SELECT coalesce(sync_metadata.tenant_problem('acme', 'acme'), 'ok') UNION ALL
                  SELECT sync_metadata.tenant_problem('x', 'pg_temp')"
    [ "$output" = "schema occupied already holds objects that are not the tenant's: relation app_users
schema acme is registered to client 'acme'
ok
schema pg_temp is reserved" ]
    run -0 admin "SELECT schema_name FROM sync_metadata.client_deployments WHERE client_id = 'acme'
                  UNION ALL SELECT count(*)::text FROM sync_metadata.client_deployments WHERE client_id = 'occ'"
    [ "$output" = "acme
0" ]
}

@test "sync_service cannot register, re-point or archive a tenant; it advances generation, pauses, sets the interval" {
    refused X "INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('c8', 'X', 'c8')" \
        'permission denied for table client_deployments'
    refused X "UPDATE sync_metadata.client_deployments SET schema_name = 'ro' WHERE client_id = 'acme'" \
        'permission denied for table client_deployments'
    refused X "UPDATE sync_metadata.client_deployments SET archived_at = now() WHERE client_id = 'acme'" \
        'permission denied for table client_deployments'
    run -0 svc X "UPDATE sync_metadata.client_deployments SET generation = generation + 1, updated_at = now()
                  WHERE client_id = 'acme' RETURNING generation > 0"
    [ "$output" = "t" ]
    run -0 svc X "UPDATE sync_metadata.client_deployments SET sync_enabled = true, sync_interval_seconds = 60
                  WHERE client_id = 'acme' RETURNING sync_interval_seconds"
    [ "$output" = "60" ]
    run -0 admin "SELECT schema_name || ':' || host_id || ':' || (archived_at IS NULL) FROM sync_metadata.client_deployments
                   WHERE client_id = 'acme'"
    [ "$output" = "acme:X:true" ]
}

@test "archives: deleted_rows is read-only for sync_service" {
    admin "INSERT INTO sync_metadata.deleted_rows (host_id, client_id, table_name, row_key, row_data, job_id)
           VALUES ('X', 'acme', 'user', '[\"z\"]', '{\"id\":\"z\",\"name\":\"Zoe\"}', 77)"
    refused X "UPDATE sync_metadata.deleted_rows SET row_data = '{}' WHERE job_id = 77" \
        'permission denied for table deleted_rows'
    refused X "INSERT INTO sync_metadata.deleted_rows (host_id, client_id, table_name, job_id) VALUES ('X', 'acme', 'user', 77)" \
        'permission denied for table deleted_rows'
    run -0 svc X "SELECT row_data::text FROM sync_metadata.deleted_rows WHERE job_id = 77"
    [ "$output" = '{"id":"z","name":"Zoe"}' ]
}

@test "archives: conflict_log keeps what was recorded; only an open conflict gets its resolution" {
    admin "INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash, source_data, resolution, resolved_at)
           VALUES ('X', 'acme', 'user', 'c-open', 'S1', NULL, NULL), ('X', 'acme', 'user', 'c-done', 'S2', 'source', now())"
    refused X "UPDATE sync_metadata.conflict_log SET source_data = 'forged' WHERE client_id = 'acme'" \
        'permission denied for table conflict_log'
    refused X "UPDATE sync_metadata.conflict_log SET detected_at = now(), key_hash = 'k' WHERE client_id = 'acme'" \
        'permission denied for table conflict_log'
    # sync-resolve --settle on both: only the open one takes it.
    run -0 svc X "WITH u AS (UPDATE sync_metadata.conflict_log SET settled_value = 'v' WHERE key_hash IN ('c-open', 'c-done')
                             RETURNING key_hash) SELECT string_agg(key_hash, ',') FROM u"
    [ "$output" = "c-open" ]
    # sync-load's decision on it; afterwards it is history too.
    run -0 svc X "UPDATE sync_metadata.conflict_log SET resolution = 'target', resolved_by = 'settle', note = 'n',
                         resolved_at = now(), job_id = 5 WHERE key_hash = 'c-open' RETURNING resolution"
    [ "$output" = "target" ]
    run -0 svc X "WITH u AS (UPDATE sync_metadata.conflict_log SET resolution = 'forged', settled_value = 'w'
                             WHERE key_hash IN ('c-open', 'c-done') RETURNING 1) SELECT count(*) FROM u"
    [ "$output" = "0" ]
    run -0 admin "SELECT string_agg(key_hash || ':' || source_data || ':' || resolution || ':' || coalesce(settled_value, '-'), ','
                                    ORDER BY key_hash) FROM sync_metadata.conflict_log WHERE key_hash IN ('c-open', 'c-done')"
    [ "$output" = "c-done:S2:source:-,c-open:S1:target:v" ]
}

@test "archives: a finished job is history; a running job is updated by its own load" {
    run -0 svc X "INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, status)
                  VALUES ('j-hist', 'X', 'acme', 'running') RETURNING status"
    run -0 svc X "UPDATE sync_metadata.sync_jobs SET status = 'failed', error = 'boom', finished_at = now()
                  WHERE stream_id = 'j-hist' RETURNING status"
    [ "$output" = "failed" ]
    run -0 svc X "WITH u AS (UPDATE sync_metadata.sync_jobs SET status = 'success', error = NULL
                             WHERE stream_id = 'j-hist' RETURNING 1) SELECT count(*) FROM u"
    [ "$output" = "0" ]
    refused X "INSERT INTO sync_metadata.sync_jobs (stream_id, host_id, client_id, status) VALUES ('j-hist', 'X', 'acme', 'running')
               ON CONFLICT (stream_id) DO UPDATE SET status = 'running', error = NULL" \
        'new row violates row-level security policy "sync_service_open_job" (USING expression) for table "sync_jobs"'
    run -0 admin "SELECT status || ':' || error FROM sync_metadata.sync_jobs WHERE stream_id = 'j-hist'"
    [ "$output" = "failed:boom" ]
}

@test "sync_service writes rows only for clients registered to its own host" {
    local t sql
    declare -A ins=(
        [row_state]="(host_id, client_id, table_name, key_hash, key_json, src_hash) VALUES ('X', '%s', 'user', '\\x07', '[\"o1\"]', '\\x00')"
        [quarantine]="(host_id, client_id, table_name, key_hash) VALUES ('X', '%s', 'user', '\\x07')"
        [conflict_log]="(host_id, client_id, table_name, key_hash) VALUES ('X', '%s', 'user', 'k7')"
        [sync_jobs]="(host_id, client_id, status) VALUES ('X', '%s', 'running')"
        [sync_progress]="(job_id, host_id, client_id, table_name) VALUES (7, 'X', '%s', 'user')"
        [cache_events]="(host_id, client_id, event) VALUES ('X', '%s', 'hit')")
    for t in "${!ins[@]}"; do
        # 'other' is host Y's client, 'ghost' nobody's: both refused under host X's own host_id.
        for c in other ghost; do
            sql="INSERT INTO sync_metadata.$t ${ins[$t]//%s/$c}"
            refused X "$sql" "new row violates row-level security policy \"sync_service_own_clients\" for table \"$t\""
        done
        run -0 svc X "INSERT INTO sync_metadata.$t ${ins[$t]//%s/acme}"
    done
    refused X "UPDATE sync_metadata.row_state SET client_id = 'other' WHERE client_id = 'acme' AND key_hash = '\\x07'" \
        'new row violates row-level security policy "sync_service_own_clients_update" for table "row_state"'
    run -0 svc X "INSERT INTO sync_metadata.cache_events (host_id, client_id, event) VALUES ('X', NULL, 'host-level') RETURNING event"
    run -0 admin "SELECT count(*) FROM sync_metadata.row_state WHERE client_id IN ('other', 'ghost') AND host_id = 'X'"
    [ "$output" = "0" ]
}

@test "move_client is admin only and refuses an unknown client or host, the same host, a running job" {
    admin "INSERT INTO sync_metadata.hosts (host_id, node_name) VALUES ('W', 'node-a');
           INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name) VALUES ('mover', 'X', 'mover');
           INSERT INTO sync_metadata.sync_jobs (host_id, client_id, node_name, status) VALUES ('X', 'mover', 'node-b', 'running')"
    refused X "SELECT sync_metadata.move_client('mover', 'W')" 'permission denied for function move_client'
    run -3 admin "SELECT sync_metadata.move_client('nosuch', 'W')"
    [[ "$output" == *"ERROR:  move_client: no client 'nosuch'"* ]]
    run -3 admin "SELECT sync_metadata.move_client('mover', 'nohost')"
    [[ "$output" == *"ERROR:  move_client: no host 'nohost'"* ]]
    run -3 admin "SELECT sync_metadata.move_client('mover', 'X')"
    [[ "$output" == *"ERROR:  move_client: client 'mover' is already on host 'X'"* ]]
    run -3 admin "SELECT sync_metadata.move_client('mover', 'W')"
    [[ "$output" == *"ERROR:  move_client: client 'mover' is being synced: job "*" (node node-b) running since "* ]]
    run -0 admin "SELECT host_id FROM sync_metadata.client_deployments WHERE client_id = 'mover'
                  UNION ALL SELECT DISTINCT host_id FROM sync_metadata.sync_jobs WHERE client_id = 'mover'"
    [ "$output" = "X
X" ]
}

@test "move_client moves the registration and every host_id row of the client, and bumps its generation" {
    admin "UPDATE sync_metadata.sync_jobs SET status = 'failed', finished_at = now(), error = 'abandoned'
            WHERE client_id = 'mover' AND status = 'running';
           INSERT INTO sync_metadata.row_state (host_id, client_id, table_name, key_hash, key_json, src_hash)
           VALUES ('X', 'mover', 't', '\\x01', '[1]', '\\x01'), ('X', 'mover', 't', '\\x02', '[2]', '\\x02'),
                  ('X', 'acme', 't', '\\x01', '[1]', '\\x01');
           INSERT INTO sync_metadata.quarantine (host_id, client_id, table_name, key_hash) VALUES ('X', 'mover', 't', '\\x03');
           INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash) VALUES ('X', 'mover', 't', 'mk');
           INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name) VALUES (99, 'X', 'mover', 't');
           INSERT INTO sync_metadata.deleted_rows (host_id, client_id, table_name) VALUES ('X', 'mover', 't');
           INSERT INTO sync_metadata.cache_events (host_id, client_id, event) VALUES ('X', 'mover', 'hit')"
    local g0
    g0="$(admin "SELECT generation FROM sync_metadata.client_deployments WHERE client_id = 'mover'")"
    run -0 admin "SELECT sync_metadata.move_client('mover', 'W')"
    [ "$output" = "client mover moved from host X to host W, 1 cache_events, 1 conflict_log, 1 deleted_rows, 1 quarantine, 2 row_state, 1 sync_jobs, 1 sync_progress" ]
    run -0 admin "SELECT host_id, generation - $g0 FROM sync_metadata.client_deployments WHERE client_id = 'mover'"
    [ "$output" = "W|1" ]
    run -0 admin "SELECT count(*) FROM (
                    SELECT host_id FROM sync_metadata.row_state WHERE client_id = 'mover'
                    UNION ALL SELECT host_id FROM sync_metadata.quarantine WHERE client_id = 'mover'
                    UNION ALL SELECT host_id FROM sync_metadata.conflict_log WHERE client_id = 'mover'
                    UNION ALL SELECT host_id FROM sync_metadata.sync_jobs WHERE client_id = 'mover'
                    UNION ALL SELECT host_id FROM sync_metadata.sync_progress WHERE client_id = 'mover'
                    UNION ALL SELECT host_id FROM sync_metadata.deleted_rows WHERE client_id = 'mover'
                    UNION ALL SELECT host_id FROM sync_metadata.cache_events WHERE client_id = 'mover') x
                  WHERE host_id <> 'W'
                  UNION ALL SELECT count(*) FROM sync_metadata.row_state
                             WHERE client_id = 'acme' AND host_id = 'X' AND key_hash = '\\x01'"
    [ "$output" = "0
1" ]
    # The old host sees nothing of it any more, the new one all of it.
    run -0 svc X "SELECT count(*) FROM sync_metadata.client_deployments WHERE client_id = 'mover'
                  UNION ALL SELECT count(*) FROM sync_metadata.row_state WHERE client_id = 'mover'"
    [ "$output" = "0
0" ]
    run -0 svc W "SELECT count(*) FROM sync_metadata.client_deployments WHERE client_id = 'mover'
                  UNION ALL SELECT count(*) FROM sync_metadata.row_state WHERE client_id = 'mover'"
    [ "$output" = "1
2" ]
    refused X "INSERT INTO sync_metadata.row_state (host_id, client_id, table_name, key_hash, key_json, src_hash)
               VALUES ('X', 'mover', 't', '\\x09', '[9]', '\\x09')" \
        'new row violates row-level security policy "sync_service_own_clients" for table "row_state"'
}

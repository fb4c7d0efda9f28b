-- 003_rls.sql — row-level security: each host sees and writes only its own sync_metadata rows.
--
-- The tools set the host per transaction (safe behind a transaction-mode pooler):
--   SELECT set_config('syncpipe.host_id', $1, true)
-- Policy for sync_service on every table of sync_metadata, USING and WITH CHECK:
--   host_id = current_setting('syncpipe.host_id', true)        (leader_election: cluster_id = ...)
-- With the setting absent (NULL) or reset ('') no row matches: host_id is never '' (001_schema.sql).
-- RLS is FORCEd, so it also binds the table owner unless that role is a superuser or has BYPASSRLS;
-- for an admin without either (some hosted setups) an explicit allow-all policy keeps the admin
-- functions and the operators working.
--
-- Every table of the schema is covered, including ones added by later migrations when this file is
-- re-run: a table with neither host_id nor cluster_id makes the migration fail.
--
-- RESTRICTIVE policies (ANDed with the one above) narrow what the service writes further:
--   sync_service_own_clients  rows of row_state, quarantine, conflict_log, sync_jobs, sync_progress,
--                             deleted_rows and cache_events name a client registered to the host, so a
--                             node cannot write rows for another host's tenant under its own host_id.
--                             The client list is an uncorrelated subquery: run once per statement and
--                             hashed, not a lookup per row.
--   sync_service_open_job     a finished job (status other than running) is history: not updated.
--   sync_service_open_conflict  a resolved conflict (resolved_at set) is history: not updated.
-- deleted_rows is read-only for the service (002_role.sql): only delete_rows() appends to it.

BEGIN;

DO $$
DECLARE
    t        record;
    col      text;
    admin    text := current_user;
    admin_ok boolean;
BEGIN
    SELECT rolsuper OR rolbypassrls INTO admin_ok FROM pg_roles WHERE rolname = admin;
    FOR t IN
        SELECT c.relname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'sync_metadata' AND c.relkind IN ('r', 'p')
         ORDER BY c.relname
    LOOP
        SELECT a.attname INTO col
          FROM pg_attribute a
         WHERE a.attrelid = format('sync_metadata.%I', t.relname)::regclass
           AND a.attname IN ('host_id', 'cluster_id') AND NOT a.attisdropped
         ORDER BY a.attname DESC  -- host_id before cluster_id
         LIMIT 1;
        IF col IS NULL THEN
            RAISE EXCEPTION 'sync_metadata.% has neither host_id nor cluster_id: cannot isolate hosts',
                t.relname;
        END IF;
        EXECUTE format('ALTER TABLE sync_metadata.%I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('ALTER TABLE sync_metadata.%I FORCE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('DROP POLICY IF EXISTS sync_service_own_host ON sync_metadata.%I', t.relname);
        EXECUTE format(
            'CREATE POLICY sync_service_own_host ON sync_metadata.%I FOR ALL TO sync_service'
            ' USING (%I = current_setting(''syncpipe.host_id'', true))'
            ' WITH CHECK (%I = current_setting(''syncpipe.host_id'', true))',
            t.relname, col, col);
        EXECUTE format('DROP POLICY IF EXISTS sync_admin_all ON sync_metadata.%I', t.relname);
        IF NOT admin_ok THEN
            EXECUTE format(
                'CREATE POLICY sync_admin_all ON sync_metadata.%I FOR ALL TO %I USING (true) WITH CHECK (true)',
                t.relname, admin);
        END IF;
    END LOOP;
END
$$;

DO $$
DECLARE
    t    text;
    mine text := '(client_id IS NULL OR client_id IN (SELECT d.client_id FROM sync_metadata.client_deployments d'
                 ' WHERE d.host_id = current_setting(''syncpipe.host_id'', true)))';
BEGIN
    FOREACH t IN ARRAY ARRAY['row_state', 'quarantine', 'conflict_log', 'sync_jobs', 'sync_progress',
                             'deleted_rows', 'cache_events']
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS sync_service_own_clients ON sync_metadata.%I', t);
        EXECUTE format('DROP POLICY IF EXISTS sync_service_own_clients_update ON sync_metadata.%I', t);
        EXECUTE format('CREATE POLICY sync_service_own_clients ON sync_metadata.%I AS RESTRICTIVE FOR INSERT'
                       ' TO sync_service WITH CHECK %s', t, mine);
        EXECUTE format('CREATE POLICY sync_service_own_clients_update ON sync_metadata.%I AS RESTRICTIVE FOR UPDATE'
                       ' TO sync_service USING %s WITH CHECK %s', t, mine, mine);
    END LOOP;
END
$$;

DROP POLICY IF EXISTS sync_service_open_job ON sync_metadata.sync_jobs;
CREATE POLICY sync_service_open_job ON sync_metadata.sync_jobs AS RESTRICTIVE FOR UPDATE TO sync_service
    USING (status = 'running') WITH CHECK (true);
DROP POLICY IF EXISTS sync_service_open_conflict ON sync_metadata.conflict_log;
CREATE POLICY sync_service_open_conflict ON sync_metadata.conflict_log AS RESTRICTIVE FOR UPDATE TO sync_service
    USING (resolved_at IS NULL) WITH CHECK (true);

COMMIT;

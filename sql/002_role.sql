-- 002_role.sql — the sync_service role and its privileges on sync_metadata.
--
-- sync_service is what the sync nodes log in as. It may read and write sync_metadata rows of its own
-- host (row-level security, 003_rls.sql), as far as the grants below allow, but never DELETE,
-- TRUNCATE, DROP, CREATE or own anything:
-- tenant rows are removed only through sync_metadata.delete_rows() (004_functions.sql), which
-- archives them first. Its password is set out of band (ALTER ROLE ... PASSWORD from stdin, or
-- \password), never here.
--
-- Kept on purpose: the database's default TEMPORARY privilege (granted to PUBLIC). sync-load stages
-- updates in ON COMMIT DROP temporary tables; those live in the session's pg_temp schema and cannot
-- touch any persistent object.

BEGIN;

DO $$
DECLARE
    r pg_roles%ROWTYPE;
BEGIN
    SELECT * INTO r FROM pg_roles WHERE rolname = 'sync_service';
    IF NOT FOUND THEN
        CREATE ROLE sync_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION;
    ELSIF r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolbypassrls OR r.rolreplication
          OR NOT r.rolcanlogin THEN
        -- Only touch attributes when they are wrong: a re-run by a non-superuser admin stays harmless.
        ALTER ROLE sync_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION;
    END IF;
END
$$;
COMMENT ON ROLE sync_service IS 'syncpipe sync nodes: own-host rows of sync_metadata, tenant writes, no DELETE/DDL';

-- Nobody but the admin and sync_service reaches sync_metadata.
REVOKE ALL ON SCHEMA sync_metadata FROM PUBLIC;
REVOKE CREATE ON SCHEMA sync_metadata FROM sync_service;
GRANT USAGE ON SCHEMA sync_metadata TO sync_service;

-- Tables of 001_schema.sql: the least each flow needs, and never DELETE or TRUNCATE. Later
-- migrations grant their own tables. REVOKE first so a re-run also repairs hand-made grants.
-- (ALL TABLES would include views, which get SELECT only, in 005_views.sql.)
--   client_deployments  registered by an admin (sync-load --provision); the service advances
--                       generation (sync-load) and may pause a tenant or change its interval
--                       (syncpipe-operations(7)), but can neither register a tenant nor re-point one
--                       at another schema or host, nor archive it.
--   deleted_rows        written only by delete_rows() (004, as its owner): read-only here.
--   conflict_log        append-only apart from the resolution columns that sync-load's decisions and
--                       sync-resolve --settle fill in; 003_rls.sql also keeps a resolved row as it is.
--   sync_jobs           a running job is updated by its own load; 003_rls.sql keeps a finished one.
--   cache_events        appended.
REVOKE ALL ON ALL TABLES IN SCHEMA sync_metadata FROM PUBLIC;
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN
        SELECT * FROM (VALUES
            ('hosts',              'SELECT, INSERT, UPDATE'),
            ('client_deployments', 'SELECT, UPDATE (generation, updated_at, sync_enabled, sync_interval_seconds)'),
            ('leader_election',    'SELECT, INSERT, UPDATE'),
            ('row_state',          'SELECT, INSERT, UPDATE'),
            ('quarantine',         'SELECT, INSERT, UPDATE'),
            ('deleted_rows',       'SELECT'),
            ('conflict_log',       'SELECT, INSERT, UPDATE (resolution, resolution_strategy, resolved_by, note,'
                                   ' resolved_at, settled_value, job_id)'),
            ('cache_events',       'SELECT, INSERT'),
            ('sync_jobs',          'SELECT, INSERT, UPDATE'),
            ('sync_progress',      'SELECT, INSERT, UPDATE')) AS t(relname, privileges)
    LOOP
        -- REVOKE ALL on a table leaves column grants in place: revoke those column by column too.
        EXECUTE format('REVOKE ALL ON sync_metadata.%I FROM sync_service', g.relname);
        EXECUTE (SELECT format('REVOKE ALL (%s) ON sync_metadata.%I FROM sync_service',
                               string_agg(quote_ident(a.attname), ', '), g.relname)
                   FROM pg_attribute a
                  WHERE a.attrelid = format('sync_metadata.%I', g.relname)::regclass
                    AND a.attnum > 0 AND NOT a.attisdropped);
        EXECUTE format('GRANT %s ON sync_metadata.%I TO sync_service', g.privileges, g.relname);
    END LOOP;
END
$$;
-- Sequences: only those of the tables the service appends to (nextval needs USAGE).
REVOKE ALL ON ALL SEQUENCES IN SCHEMA sync_metadata FROM PUBLIC;
REVOKE ALL ON SEQUENCE sync_metadata.deleted_rows_id_seq, sync_metadata.conflict_log_id_seq,
                       sync_metadata.cache_events_id_seq, sync_metadata.sync_jobs_job_id_seq FROM sync_service;
GRANT USAGE ON SEQUENCE sync_metadata.conflict_log_id_seq, sync_metadata.cache_events_id_seq,
                        sync_metadata.sync_jobs_job_id_seq TO sync_service;

-- Functions get EXECUTE for PUBLIC by default; ours are granted one by one in 004_functions.sql.
ALTER DEFAULT PRIVILEGES IN SCHEMA sync_metadata REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- No object creation: PostgreSQL 15 already creates new databases this way, but databases upgraded
-- from older versions (and some hosted setups) still let PUBLIC create in schema public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE CREATE ON DATABASE %I FROM sync_service', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO sync_service', current_database());
    IF has_database_privilege('sync_service', current_database(), 'CREATE') THEN
        RAISE WARNING 'sync_service can still CREATE schemas in database % (through PUBLIC?)',
            current_database();
    END IF;
END
$$;

COMMIT;

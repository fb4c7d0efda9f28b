-- 002_role.sql — the sync_service role and its privileges on sync_metadata.
--
-- sync_service is what the sync nodes log in as. It may read and write sync_metadata rows of its own
-- host (row-level security, 003_rls.sql) but never DELETE, TRUNCATE, DROP, CREATE or own anything:
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

-- Tables: read and write, never remove. REVOKE first so a re-run also repairs hand-made grants.
-- (ALL TABLES would include views, which get SELECT only, in 005_views.sql.)
REVOKE ALL ON ALL TABLES IN SCHEMA sync_metadata FROM PUBLIC;
REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA sync_metadata FROM sync_service;
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'sync_metadata' AND c.relkind IN ('r', 'p') ORDER BY c.relname
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON sync_metadata.%I TO sync_service', t);
    END LOOP;
END
$$;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA sync_metadata FROM PUBLIC;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA sync_metadata TO sync_service;

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

-- 008_source_schema.sql — the source's SQLite schema, kept in PostgreSQL so a tenant's file can be
-- rebuilt from PostgreSQL alone (sync-snapshot --from-postgres | sync-load --to-sqlite NEW.db).
--
-- source_schema holds one row per sqlite_master object of the tenant's webui.db, exactly as SQLite
-- wrote it: type (table, index, view, trigger), name, tbl_name and the CREATE statement's text (sql,
-- NULL for the automatic sqlite_autoindex_* of PRIMARY KEY / UNIQUE constraints), in creation order
-- (ordinal = position in sqlite_master by rowid, from 0). PRAGMA user_version is
-- client_deployments.source_user_version.
--
-- Written by sync-load --provision (admin credentials): the client's rows are replaced as a whole,
-- in the provisioning transaction. A later schema change (Open WebUI upgrade) replaces them the same
-- way, through an admin-owned definer function; sync_service only reads them (SELECT, its own host
-- under row-level security), so a node can restore but never rewrite what restore recreates.
--
-- Created after 002/003 ran, so this file carries its own grants and row-level security (the same
-- sync_service_own_host policy as 003_rls.sql; re-running 003 recreates it identically).
-- Idempotent.

BEGIN;

CREATE TABLE IF NOT EXISTS sync_metadata.source_schema (
    host_id   text NOT NULL CHECK (host_id <> ''),
    client_id text NOT NULL,
    ordinal   int NOT NULL CHECK (ordinal >= 0),
    type      text NOT NULL CHECK (type IN ('table', 'index', 'view', 'trigger')),
    name      text NOT NULL,
    tbl_name  text NOT NULL,
    sql       text,
    PRIMARY KEY (client_id, ordinal)
);
COMMENT ON TABLE sync_metadata.source_schema IS
    'sqlite_master of each tenant''s source file (for restore); written at provisioning';

ALTER TABLE sync_metadata.client_deployments ADD COLUMN IF NOT EXISTS source_user_version bigint;
COMMENT ON COLUMN sync_metadata.client_deployments.source_user_version IS
    'PRAGMA user_version of the source file at provisioning (restore sets it again)';

REVOKE ALL ON sync_metadata.source_schema FROM PUBLIC;
REVOKE ALL ON sync_metadata.source_schema FROM sync_service;
GRANT SELECT ON sync_metadata.source_schema TO sync_service;

ALTER TABLE sync_metadata.source_schema ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_metadata.source_schema FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS sync_service_own_host ON sync_metadata.source_schema;
CREATE POLICY sync_service_own_host ON sync_metadata.source_schema FOR ALL TO sync_service
    USING (host_id = current_setting('syncpipe.host_id', true))
    WITH CHECK (host_id = current_setting('syncpipe.host_id', true));
-- An admin that is neither superuser nor BYPASSRLS (some hosted setups) must still write it (003).
DO $$
BEGIN
    EXECUTE format('DROP POLICY IF EXISTS sync_admin_all ON sync_metadata.source_schema');
    IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('CREATE POLICY sync_admin_all ON sync_metadata.source_schema FOR ALL TO %I '
                       'USING (true) WITH CHECK (true)', current_user);
    END IF;
END
$$;

COMMIT;

-- 012_source_schema_current.sql — keep each tenant's captured SQLite schema (008) current after an Open
-- WebUI upgrade, without an admin (issue 12 item 1).
--
-- Provisioning (the admin) captures the source's sqlite_master; every snapshot stream carries it again
-- (the sqlite_schema record). sync-load, as sync_service, hands it to refresh_source_schema in its last
-- batch's transaction (fenced like the rows), so a restore rebuilds the tables and columns the upgrade
-- added (sync-diff added them in PostgreSQL through 010). sync_service keeps SELECT only on
-- source_schema: this admin-owned function is the one way it changes, for a non-archived tenant of the
-- caller's host only (010's evolution_tenant), and it records the change in schema_history. Idempotent.

BEGIN;

ALTER TABLE sync_metadata.schema_history DROP CONSTRAINT IF EXISTS schema_history_change_check;
ALTER TABLE sync_metadata.schema_history ADD CONSTRAINT schema_history_change_check
    CHECK (change IN ('add_table', 'add_column', 'column_dropped', 'table_stopped', 'table_reset',
                      'source_schema'));

-- refresh_source_schema(client, objects, user_version) -> true when the capture changed. objects is a
-- JSON array of {o, type, name, tbl_name, sql} (o = the object's position in sqlite_master).
CREATE OR REPLACE FUNCTION sync_metadata.refresh_source_schema(p_client text, p_objects json,
                                                               p_user_version bigint)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_schema text := sync_metadata.evolution_tenant('refresh_source_schema', p_client);
    v_host   text := current_setting('syncpipe.host_id');
    v_same   boolean;
BEGIN
    IF p_objects IS NULL OR json_typeof(p_objects) <> 'array' OR json_array_length(p_objects) = 0 THEN
        RAISE EXCEPTION 'refresh_source_schema: objects must be a non-empty JSON array' USING ERRCODE = '22023';
    END IF;
    SELECT coalesce(d.source_user_version = p_user_version, false)
           AND NOT EXISTS (
               (SELECT x.o, x.type, x.name, x.tbl_name, x.sql
                  FROM json_to_recordset(p_objects) AS x(o int, type text, name text, tbl_name text, sql text))
               EXCEPT ALL
               (SELECT s.ordinal, s.type, s.name, s.tbl_name, s.sql
                  FROM sync_metadata.source_schema s WHERE s.client_id = p_client))
           AND (SELECT count(*) FROM sync_metadata.source_schema s WHERE s.client_id = p_client)
               = json_array_length(p_objects)
      INTO v_same
      FROM sync_metadata.client_deployments d WHERE d.client_id = p_client;
    IF v_same THEN
        RETURN false;
    END IF;
    DELETE FROM sync_metadata.source_schema WHERE client_id = p_client;
    INSERT INTO sync_metadata.source_schema (host_id, client_id, ordinal, type, name, tbl_name, sql)
    SELECT v_host, p_client, x.o, x.type, x.name, x.tbl_name, x.sql
      FROM json_to_recordset(p_objects) AS x(o int, type text, name text, tbl_name text, sql text);
    UPDATE sync_metadata.client_deployments SET source_user_version = p_user_version WHERE client_id = p_client;
    INSERT INTO sync_metadata.schema_history (host_id, client_id, schema_name, table_name, column_name, change,
                                              detail)
    VALUES (v_host, p_client, v_schema, '', NULL, 'source_schema',
            format('%s objects, user_version %s', json_array_length(p_objects), p_user_version));
    RETURN true;
END
$fn$;

REVOKE ALL ON FUNCTION sync_metadata.refresh_source_schema(text, json, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.refresh_source_schema(text, json, bigint) TO sync_service;

COMMIT;

-- 010_schema_evolution.sql — Open WebUI upgrades without an admin: sync_service may ADD (never change
-- or remove) tables and nullable columns of its own tenants' schemas, through admin-owned functions
-- that record every change in sync_metadata.schema_history (syncpipe-operations(7), "Schema changes").
--
--   add_table(client, table, columns, key)   a new table with the columns' types and PRIMARY KEY
--   add_column(client, table, column, type)  a new nullable column
--   note_schema_change(client, table, column, change, detail)
--                                            records what the sync could not apply ('column_dropped',
--                                            'table_stopped'), once per cause
--   reset_table(client, table)               ADMIN ONLY: the way out of a stopped table (key or type
--                                            change): the table is renamed aside with all its rows and
--                                            its base state dropped, so the next cycle creates it anew
--
-- sync-diff chooses the types as provisioning does (lib/core/typemap.cpp: choose_pg_type) and calls
-- these as sync_service; they accept only the six types syncpipe maps. Every function is SECURITY
-- DEFINER with a fixed search_path, quotes identifiers with format('%I'), works only in the schema
-- registered for a non-archived client of the caller's host (syncpipe.host_id), refuses reserved
-- schemas and names PostgreSQL would truncate.
--
-- The history table is created here, after 002 and 003 ran, so it carries its own grant (SELECT only:
-- rows are written by the functions) and row-level security.

BEGIN;

CREATE TABLE IF NOT EXISTS sync_metadata.schema_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id     text NOT NULL CHECK (host_id <> ''),
    client_id   text NOT NULL,
    schema_name text NOT NULL,
    table_name  text NOT NULL,
    column_name text,
    change      text NOT NULL CHECK (change IN ('add_table', 'add_column', 'column_dropped', 'table_stopped',
                                                'table_reset')),
    detail      text,
    changed_by  text NOT NULL DEFAULT session_user,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS schema_history_client_idx ON sync_metadata.schema_history (client_id, table_name);

REVOKE ALL ON sync_metadata.schema_history FROM PUBLIC;
REVOKE ALL ON sync_metadata.schema_history FROM sync_service;
GRANT SELECT ON sync_metadata.schema_history TO sync_service;
-- its rows are written by the definer functions only: no sequence use (002 grants it on a re-run)
REVOKE ALL ON SEQUENCE sync_metadata.schema_history_id_seq FROM PUBLIC;
REVOKE ALL ON SEQUENCE sync_metadata.schema_history_id_seq FROM sync_service;
ALTER TABLE sync_metadata.schema_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_metadata.schema_history FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS sync_service_own_host ON sync_metadata.schema_history;
CREATE POLICY sync_service_own_host ON sync_metadata.schema_history FOR ALL TO sync_service
    USING (host_id = current_setting('syncpipe.host_id', true))
    WITH CHECK (host_id = current_setting('syncpipe.host_id', true));
DO $$
BEGIN
    DROP POLICY IF EXISTS sync_admin_all ON sync_metadata.schema_history;
    IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('CREATE POLICY sync_admin_all ON sync_metadata.schema_history FOR ALL TO %I '
                       'USING (true) WITH CHECK (true)', current_user);
    END IF;
END
$$;

-- evolution_tenant(fn, client) -> the client's schema. Internal (no EXECUTE for sync_service); the one
-- check of every definer function sync_service may call about a tenant (010, 012): the caller's host
-- (syncpipe.host_id) owns the non-archived client, and its schema is a tenant schema.
CREATE OR REPLACE FUNCTION sync_metadata.evolution_tenant(p_fn text, p_client text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_host   text := current_setting('syncpipe.host_id', true);
    v_schema text;
BEGIN
    IF v_host IS NULL OR v_host = '' THEN
        RAISE EXCEPTION '%: syncpipe.host_id is not set', p_fn USING ERRCODE = '42501';
    END IF;
    SELECT d.schema_name INTO v_schema FROM sync_metadata.client_deployments d
     WHERE d.client_id = p_client AND d.host_id = v_host AND d.archived_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%: client % is not an active client of host %', p_fn, quote_literal(p_client),
            quote_literal(v_host) USING ERRCODE = '42501';
    END IF;
    IF v_schema IN ('sync_metadata', 'public', 'information_schema') OR v_schema LIKE 'pg\_%' THEN
        RAISE EXCEPTION '%: schema % of client % is not a tenant schema', p_fn, quote_ident(v_schema),
            quote_literal(p_client) USING ERRCODE = '42501';
    END IF;
    RETURN v_schema;
END
$fn$;

-- evolution_target(fn, client, table, must_exist) -> the client's schema. Internal (no EXECUTE for
-- sync_service). Raises unless evolution_tenant accepts the client and the table name is a plain
-- name; with must_exist, the table exists there and sync_service can already write it (as
-- provisioning grants), so nothing else is reachable.
CREATE OR REPLACE FUNCTION sync_metadata.evolution_target(p_fn text, p_client text, p_table text,
                                                          p_must_exist boolean)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_schema text := sync_metadata.evolution_tenant(p_fn, p_client);
    v_rel    oid;
BEGIN
    PERFORM sync_metadata.evolution_check_name(p_fn, 'table', p_table);
    IF p_must_exist THEN
        SELECT c.oid INTO v_rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = v_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
        IF NOT FOUND THEN
            RAISE EXCEPTION '%: no table %.%', p_fn, quote_ident(v_schema), quote_ident(p_table)
                USING ERRCODE = '42P01';
        END IF;
        IF NOT has_table_privilege('sync_service', v_rel, 'INSERT, UPDATE') THEN
            RAISE EXCEPTION '%: sync_service may not write %.%', p_fn, quote_ident(v_schema), quote_ident(p_table)
                USING ERRCODE = '42501';
        END IF;
    END IF;
    RETURN v_schema;
END
$fn$;

-- evolution_check_name(fn, what, name): a name PostgreSQL keeps as it is (1..63 bytes; SQLite names
-- may hold any other byte: they are always quoted).
CREATE OR REPLACE FUNCTION sync_metadata.evolution_check_name(p_fn text, p_what text, p_name text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF p_name IS NULL OR p_name = '' OR octet_length(p_name) > 63 THEN
        RAISE EXCEPTION '%: % name % is empty or longer than 63 bytes', p_fn, p_what, quote_literal(p_name)
            USING ERRCODE = '42602';
    END IF;
END
$fn$;

-- evolution_column_def(fn, name, type) -> "name type [COMPRESSION lz4]", as provisioning writes it:
-- one of the six types syncpipe maps; text, json and bytea compressed with lz4 when the server can.
CREATE OR REPLACE FUNCTION sync_metadata.evolution_column_def(p_fn text, p_name text, p_type text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM sync_metadata.evolution_check_name(p_fn, 'column', p_name);
    IF p_type IS NULL OR p_type NOT IN ('bigint', 'double precision', 'boolean', 'text', 'json', 'bytea') THEN
        RAISE EXCEPTION '%: column %: type % is not one syncpipe maps', p_fn, quote_ident(p_name),
            quote_literal(p_type) USING ERRCODE = '22023';
    END IF;
    IF p_type IN ('text', 'json', 'bytea') AND EXISTS (
        SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        RETURN format('%I %s COMPRESSION lz4', p_name, p_type);
    END IF;
    RETURN format('%I %s', p_name, p_type);
END
$fn$;

-- add_table(client, table, columns, key) -> true when created, false when it already existed (a
-- concurrent run won; the caller compares it). columns: [{"name": N, "type": T}, ...] in source order;
-- key: the PRIMARY KEY column names in key order, each one of the columns.
CREATE OR REPLACE FUNCTION sync_metadata.add_table(p_client text, p_table text, p_columns jsonb, p_key text[])
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '10s'
AS $fn$
DECLARE
    v_schema text := sync_metadata.evolution_target('add_table', p_client, p_table, false);
    v_defs   text;
    v_names  text[];
    v_k      text;
BEGIN
    IF p_columns IS NULL OR jsonb_typeof(p_columns) <> 'array' OR jsonb_array_length(p_columns) = 0 THEN
        RAISE EXCEPTION 'add_table: columns must be a non-empty JSON array' USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_columns) e
                WHERE jsonb_typeof(e) <> 'object' OR jsonb_typeof(e->'name') IS DISTINCT FROM 'string'
                   OR jsonb_typeof(e->'type') IS DISTINCT FROM 'string') THEN
        RAISE EXCEPTION 'add_table: each column must be {"name": "...", "type": "..."}' USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(e->>'name' ORDER BY o),
           string_agg(sync_metadata.evolution_column_def('add_table', e->>'name', e->>'type'), ', ' ORDER BY o)
      INTO v_names, v_defs
      FROM jsonb_array_elements(p_columns) WITH ORDINALITY AS x(e, o);
    IF (SELECT count(DISTINCT n) FROM unnest(v_names) n) <> cardinality(v_names) THEN
        RAISE EXCEPTION 'add_table: a column name repeats' USING ERRCODE = '42701';
    END IF;
    IF p_key IS NULL OR cardinality(p_key) = 0 THEN
        RAISE EXCEPTION 'add_table: the table needs a key' USING ERRCODE = '22023';
    END IF;
    FOREACH v_k IN ARRAY p_key LOOP
        IF v_k IS NULL OR NOT v_k = ANY (v_names) THEN
            RAISE EXCEPTION 'add_table: key column % is not a column', quote_literal(v_k) USING ERRCODE = '42703';
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = v_schema AND c.relname = p_table) THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I.%I (%s, PRIMARY KEY (%s))', v_schema, p_table, v_defs,
                   (SELECT string_agg(format('%I', k), ', ' ORDER BY o) FROM unnest(p_key) WITH ORDINALITY u(k, o)));
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I.%I TO sync_service', v_schema, p_table);
    INSERT INTO sync_metadata.schema_history (host_id, client_id, schema_name, table_name, change, detail)
    VALUES (current_setting('syncpipe.host_id'), p_client, v_schema, p_table, 'add_table',
            format('(%s) PRIMARY KEY (%s)', v_defs, array_to_string(p_key, ', ')));
    RETURN true;
END
$fn$;

-- add_column(client, table, column, type) -> true when added, false when the column already existed.
-- The column is nullable with no default: the rows already there read NULL, as the source's do.
CREATE OR REPLACE FUNCTION sync_metadata.add_column(p_client text, p_table text, p_column text, p_type text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '10s'
AS $fn$
DECLARE
    v_schema text := sync_metadata.evolution_target('add_column', p_client, p_table, true);
    v_def    text := sync_metadata.evolution_column_def('add_column', p_column, p_type);
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid = format('%I.%I', v_schema, p_table)::regclass
                  AND a.attname = p_column AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RETURN false;
    END IF;
    EXECUTE format('ALTER TABLE %I.%I ADD COLUMN %s', v_schema, p_table, v_def);
    INSERT INTO sync_metadata.schema_history (host_id, client_id, schema_name, table_name, column_name, change,
                                              detail)
    VALUES (current_setting('syncpipe.host_id'), p_client, v_schema, p_table, p_column, 'add_column', v_def);
    RETURN true;
END
$fn$;

-- note_schema_change(client, table, column, change, detail) -> true when recorded, false when the
-- latest entry for that table and column already says so (a cycle repeats the same finding).
CREATE OR REPLACE FUNCTION sync_metadata.note_schema_change(p_client text, p_table text, p_column text,
                                                            p_change text, p_detail text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_schema text := sync_metadata.evolution_target('note_schema_change', p_client, p_table, false);
    v_last   record;
BEGIN
    IF p_change IS NULL OR p_change NOT IN ('column_dropped', 'table_stopped') THEN
        RAISE EXCEPTION 'note_schema_change: change must be column_dropped or table_stopped'
            USING ERRCODE = '22023';
    END IF;
    SELECT change, detail INTO v_last FROM sync_metadata.schema_history
     WHERE client_id = p_client AND table_name = p_table AND column_name IS NOT DISTINCT FROM p_column
     ORDER BY id DESC LIMIT 1;
    IF FOUND AND v_last.change = p_change AND v_last.detail IS NOT DISTINCT FROM p_detail THEN
        RETURN false;
    END IF;
    INSERT INTO sync_metadata.schema_history (host_id, client_id, schema_name, table_name, column_name, change,
                                              detail)
    VALUES (current_setting('syncpipe.host_id'), p_client, v_schema, p_table, p_column, p_change,
            left(p_detail, 1000));
    RETURN true;
END
$fn$;

-- reset_table(client, table) -> the name the old table now has. ADMIN ONLY. After a key or type
-- change stopped a table: renames it aside (every row kept, "<table>_before_<YYYYMMDDHH24MISS>",
-- the table part cut to fit 63 bytes), removes the client's base state and quarantine rows of that
-- table and bumps the client's generation (node caches refresh), so the next ordinary cycle creates
-- the table with the source's new shape and loads every row.
CREATE OR REPLACE FUNCTION sync_metadata.reset_table(p_client text, p_table text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_host   text;
    v_schema text;
    v_suffix text := '_before_' || to_char(clock_timestamp(), 'YYYYMMDDHH24MISS');
    v_new    text;
BEGIN
    SELECT d.host_id, d.schema_name INTO v_host, v_schema FROM sync_metadata.client_deployments d
     WHERE d.client_id = p_client;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'reset_table: no client %', quote_literal(p_client) USING ERRCODE = '42704';
    END IF;
    PERFORM set_config('syncpipe.host_id', v_host, true);
    PERFORM sync_metadata.evolution_target('reset_table', p_client, p_table, true);
    v_new := convert_from(substring(convert_to(p_table, 'UTF8') FROM 1 FOR 63 - octet_length(v_suffix)), 'UTF8')
             || v_suffix;
    EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', v_schema, p_table, v_new);
    DELETE FROM sync_metadata.row_state WHERE client_id = p_client AND table_name = p_table;
    DELETE FROM sync_metadata.quarantine WHERE client_id = p_client AND table_name = p_table;
    UPDATE sync_metadata.client_deployments SET generation = generation + 1, updated_at = now()
     WHERE client_id = p_client;
    INSERT INTO sync_metadata.schema_history (host_id, client_id, schema_name, table_name, change, detail)
    VALUES (v_host, p_client, v_schema, p_table, 'table_reset', format('renamed to %I', v_new));
    RETURN v_new;
END
$fn$;

REVOKE ALL ON FUNCTION sync_metadata.evolution_tenant(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.evolution_target(text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.evolution_check_name(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.evolution_column_def(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.add_table(text, text, jsonb, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.add_column(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.note_schema_change(text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.reset_table(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.add_table(text, text, jsonb, text[]) TO sync_service;
GRANT EXECUTE ON FUNCTION sync_metadata.add_column(text, text, text, text) TO sync_service;
GRANT EXECUTE ON FUNCTION sync_metadata.note_schema_change(text, text, text, text, text) TO sync_service;

COMMIT;

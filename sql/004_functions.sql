-- 004_functions.sql — admin-owned functions: archived deletes for the service, admin acts.
--
-- All are SECURITY DEFINER (they run as the admin who owns them) with a fixed search_path, and quote
-- every identifier with format('%I'). EXECUTE is revoked from PUBLIC; only delete_rows is granted
-- to sync_service (and name_problem, which the client_deployments CHECKs call). The others are
-- admin acts.

BEGIN;

-- name_problem(p_kind, p_name) -> NULL when p_name is acceptable as a tenant's p_kind ('client id'
-- or 'schema'), else why not, in one line. The one rule for tenant names, used by the
-- client_deployments CHECKs (007_tenant_names.sql), sync-load --provision (through
-- tenant_problem) and every definer function that reaches a tenant schema:
--   a plain identifier: ^[a-z_][a-z0-9_]*$, at most 63 bytes (no quoting needed, never truncated;
--   no newline, no path separator);
--   a schema is not reserved: public, sync_metadata, information_schema, pg_*.
CREATE OR REPLACE FUNCTION sync_metadata.name_problem(p_kind text, p_name text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE
        WHEN p_name IS NULL THEN format('%s is missing', p_kind)
        WHEN p_name !~ '^[a-z_][a-z0-9_]*$' OR octet_length(p_name) > 63 THEN
            -- to_json: the name on one line, a newline or a quote escaped.
            format('%s %s is not a plain identifier (a-z, 0-9 and _, not starting with a digit, at most 63 bytes)',
                   p_kind, to_json(p_name)::text)
        WHEN p_kind = 'schema' AND (p_name IN ('public', 'sync_metadata', 'information_schema') OR p_name LIKE 'pg\_%') THEN
            format('schema %s is reserved', p_name)
    END
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.name_problem(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.name_problem(text, text) TO sync_service;

-- schema_objects(p_schema) -> NULL when schema p_schema is missing or empty, else a one-line list
-- of (up to three of) the objects it holds: relations, functions, types, extensions, operators,
-- collations. A tenant gets a schema of its own: one that already holds something is not a
-- tenant schema (007_tenant_names.sql refuses to register it).
CREATE OR REPLACE FUNCTION sync_metadata.schema_objects(p_schema text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = p_schema),
    objects AS (
        SELECT 'relation ' || quote_ident(c.relname) AS o FROM pg_class c, ns WHERE c.relnamespace = ns.oid
        UNION ALL
        SELECT 'function ' || quote_ident(p.proname) FROM pg_proc p, ns WHERE p.pronamespace = ns.oid
        UNION ALL
        SELECT 'type ' || quote_ident(t.typname) FROM pg_type t, ns
         WHERE t.typnamespace = ns.oid AND t.typrelid = 0
           AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
        UNION ALL
        SELECT 'extension ' || quote_ident(x.extname) FROM pg_extension x, ns WHERE x.extnamespace = ns.oid
        UNION ALL
        SELECT 'operator ' || o.oprname FROM pg_operator o, ns WHERE o.oprnamespace = ns.oid
        UNION ALL
        SELECT 'collation ' || quote_ident(l.collname) FROM pg_collation l, ns WHERE l.collnamespace = ns.oid)
    SELECT string_agg(o, ', ' ORDER BY o) || CASE WHEN max(total) > 3 THEN format(' and %s more', max(total) - 3) ELSE '' END
      FROM (SELECT o, count(*) OVER () AS total FROM objects ORDER BY o LIMIT 3) x
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.schema_objects(text) FROM PUBLIC;

-- tenant_problem(p_client, p_schema) -> NULL when client p_client may be provisioned into schema
-- p_schema, else why not: a name problem, a schema registered to another client, or a schema that
-- is not yet the client's and already holds objects. sync-load --provision asks before it creates
-- anything. Admin only.
CREATE OR REPLACE FUNCTION sync_metadata.tenant_problem(p_client text, p_schema text)
RETURNS text
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(
        sync_metadata.name_problem('client id', p_client),
        sync_metadata.name_problem('schema', p_schema),
        (SELECT format('schema %s is registered to client %s', p_schema, quote_literal(d.client_id))
           FROM sync_metadata.client_deployments d WHERE d.schema_name = p_schema AND d.client_id <> p_client),
        CASE WHEN NOT EXISTS (SELECT 1 FROM sync_metadata.client_deployments d
                               WHERE d.client_id = p_client AND d.schema_name = p_schema)
             THEN (SELECT format('schema %s already holds objects that are not the tenant''s: %s', p_schema, o)
                     FROM sync_metadata.schema_objects(p_schema) AS o WHERE o IS NOT NULL)
        END)
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.tenant_problem(text, text) FROM PUBLIC;

-- delete_rows(p_client, p_table, p_keys, p_job) -> rows deleted from the tenant table.
--
-- The only way sync_service removes tenant rows. Each removed row is archived in deleted_rows
-- (to_json of the row, row_key = the key array as text) in the same statement, so nothing a
-- compromised node does is beyond recovery. Then the row_state and quarantine rows with those key
-- hashes are removed for that client (also for keys whose tenant row was already gone).
--
-- p_keys: JSON array of {"kh": "<32 hex digits>", "k": [v1, v2, ...]}, the k values (JSON strings or
-- integers) in the order of the table's PRIMARY KEY columns; each is cast to its column's type.
--
-- Refused unless: syncpipe.host_id is set; p_client is a non-archived client of that host;
-- p_table is a table of the client's schema with a primary key; that schema is a tenant schema
-- (name_problem: a plain identifier, not reserved); and sync_service can already INSERT and UPDATE the table (as provisioning grants),
-- so this function never reaches a table the service could not write anyway.
CREATE OR REPLACE FUNCTION sync_metadata.delete_rows(p_client text, p_table text, p_keys jsonb, p_job bigint)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_host   text := current_setting('syncpipe.host_id', true);
    v_schema text;
    v_rel    oid;
    v_cols   text[];
    v_types  text[];
    v_match  text;
    v_bad    jsonb;
    v_count  bigint;
BEGIN
    IF v_host IS NULL OR v_host = '' THEN
        RAISE EXCEPTION 'delete_rows: syncpipe.host_id is not set' USING ERRCODE = '42501';
    END IF;
    SELECT d.schema_name INTO v_schema
      FROM sync_metadata.client_deployments d
     WHERE d.client_id = p_client AND d.host_id = v_host AND d.archived_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'delete_rows: client % is not an active client of host %',
            quote_literal(p_client), quote_literal(v_host) USING ERRCODE = '42501';
    END IF;
    IF sync_metadata.name_problem('schema', v_schema) IS NOT NULL THEN
        RAISE EXCEPTION 'delete_rows: schema % of client % is not a tenant schema',
            quote_ident(v_schema), quote_literal(p_client) USING ERRCODE = '42501';
    END IF;

    SELECT c.oid INTO v_rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = v_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'delete_rows: no table %.%', quote_ident(v_schema), quote_ident(p_table)
            USING ERRCODE = '42P01';
    END IF;
    IF NOT has_table_privilege('sync_service', v_rel, 'INSERT, UPDATE')
       OR NOT has_schema_privilege('sync_service', v_schema, 'USAGE') THEN
        RAISE EXCEPTION 'delete_rows: sync_service may not write %.%', quote_ident(v_schema), quote_ident(p_table)
            USING ERRCODE = '42501';
    END IF;

    -- Primary key columns in key order, with their types without typmod (a cast to varchar(n)
    -- would truncate the key and could match another row).
    SELECT array_agg(a.attname::text ORDER BY k.ord), array_agg(format_type(a.atttypid, NULL) ORDER BY k.ord)
      INTO v_cols, v_types
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = v_rel AND i.indisprimary;
    IF v_cols IS NULL THEN
        RAISE EXCEPTION 'delete_rows: table %.% has no primary key', quote_ident(v_schema), quote_ident(p_table)
            USING ERRCODE = '42P10';
    END IF;

    IF p_keys IS NULL OR jsonb_typeof(p_keys) <> 'array' THEN
        RAISE EXCEPTION 'delete_rows: p_keys must be a JSON array' USING ERRCODE = '22023';
    END IF;
    SELECT e INTO v_bad
      FROM jsonb_array_elements(p_keys) AS e
     WHERE jsonb_typeof(e) IS DISTINCT FROM 'object'
        OR coalesce(e->>'kh', '') !~ '^[0-9a-fA-F]{32}$'
        OR jsonb_typeof(e->'k') IS DISTINCT FROM 'array'
        OR jsonb_array_length(CASE WHEN jsonb_typeof(e->'k') = 'array' THEN e->'k' ELSE '[]' END)
           <> cardinality(v_cols)
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e->'k') = 'array' THEN e->'k' ELSE '[]' END) v
                    WHERE jsonb_typeof(v) NOT IN ('string', 'number'))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'delete_rows: bad key entry % (want {"kh": "<32 hex>", "k": [% value(s)]})',
            v_bad::text, cardinality(v_cols) USING ERRCODE = '22023';
    END IF;

    SELECT string_agg(format('t.%I = (keys.k->>%s)::%s', v_cols[i], i - 1, v_types[i]), ' AND ' ORDER BY i)
      INTO v_match
      FROM generate_subscripts(v_cols, 1) AS i;

    EXECUTE format($q$
        WITH keys AS (
            SELECT decode(e->>'kh', 'hex') AS kh, e->'k' AS k
              FROM jsonb_array_elements($1) AS e
        ), del AS (
            DELETE FROM %I.%I AS t USING keys
             WHERE %s
            RETURNING keys.k, to_json(t.*) AS row_data
        ), archived AS (
            INSERT INTO sync_metadata.deleted_rows (host_id, client_id, table_name, row_key, row_data, job_id)
            SELECT $2, $3, $4, del.k::text, del.row_data, $5 FROM del
        ), state AS (
            DELETE FROM sync_metadata.row_state r
             WHERE r.client_id = $3 AND r.key_hash IN (SELECT kh FROM keys)
        ), quarantined AS (
            DELETE FROM sync_metadata.quarantine q
             WHERE q.client_id = $3 AND q.key_hash IN (SELECT kh FROM keys)
        )
        SELECT count(*) FROM del
        $q$, v_schema, p_table, v_match)
      INTO v_count
      USING p_keys, v_host, p_client, p_table, p_job;
    RETURN v_count;
END
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.delete_rows(text, text, jsonb, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.delete_rows(text, text, jsonb, bigint) TO sync_service;

-- prune_conflict_log(p_retention_days) -> rows removed. Admin only: removes conflict_log rows
-- resolved more than p_retention_days ago. Unresolved conflicts are never pruned.
CREATE OR REPLACE FUNCTION sync_metadata.prune_conflict_log(p_retention_days int)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_count bigint;
BEGIN
    IF p_retention_days IS NULL OR p_retention_days < 0 THEN
        RAISE EXCEPTION 'prune_conflict_log: retention must be 0 or more days, not %', p_retention_days
            USING ERRCODE = '22023';
    END IF;
    DELETE FROM sync_metadata.conflict_log
     WHERE resolved_at IS NOT NULL
       AND resolved_at < now() - make_interval(days => p_retention_days);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.prune_conflict_log(int) FROM PUBLIC;

-- deregister_host(p_host) -> a one-line summary. Admin only. Refuses (listing them) while any
-- sync-enabled, non-archived tenant remains on the host; otherwise releases the lease and marks the
-- host's nodes deregistered. Nothing is deleted: tenants, jobs and logs stay as history.
CREATE OR REPLACE FUNCTION sync_metadata.deregister_host(p_host text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_remaining text;
    v_nodes     bigint;
    v_leases    bigint;
BEGIN
    SELECT string_agg(d.client_id, ', ' ORDER BY d.client_id) INTO v_remaining
      FROM sync_metadata.client_deployments d
     WHERE d.host_id = p_host AND d.sync_enabled AND d.archived_at IS NULL;
    IF v_remaining IS NOT NULL THEN
        RAISE EXCEPTION 'deregister_host: host % still has sync-enabled tenants: %', p_host, v_remaining
            USING ERRCODE = '55000',
                  HINT = 'archive them first: SELECT sync_metadata.archive_client(''<client>'')';
    END IF;
    UPDATE sync_metadata.leader_election
       SET holder = NULL, expires_at = now(), released_at = now()
     WHERE cluster_id = p_host;
    GET DIAGNOSTICS v_leases = ROW_COUNT;
    UPDATE sync_metadata.hosts
       SET status = 'deregistered', archived_at = coalesce(archived_at, now())
     WHERE host_id = p_host;
    GET DIAGNOSTICS v_nodes = ROW_COUNT;
    IF v_nodes = 0 AND v_leases = 0 THEN
        RAISE EXCEPTION 'deregister_host: no host %', p_host USING ERRCODE = '42704';
    END IF;
    RETURN format('host %s deregistered: %s node(s), lease %s', p_host, v_nodes,
                  CASE WHEN v_leases > 0 THEN 'released' ELSE 'none' END);
END
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.deregister_host(text) FROM PUBLIC;

-- archive_client(p_client). Admin only: stops syncing a tenant and marks it archived (keeps the
-- first archive time on a re-run). Its schema and history are left alone.
CREATE OR REPLACE FUNCTION sync_metadata.archive_client(p_client text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    UPDATE sync_metadata.client_deployments
       SET sync_enabled = false, archived_at = coalesce(archived_at, now()), updated_at = now()
     WHERE client_id = p_client;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'archive_client: no client %', quote_literal(p_client) USING ERRCODE = '42704';
    END IF;
END
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.archive_client(text) FROM PUBLIC;

COMMIT;

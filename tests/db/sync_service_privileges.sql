-- sync_service_privileges.sql — every privilege role sync_service holds in the current database,
-- one line per object: KIND OBJECT PRIVILEGE... (privileges sorted). Read by tests/db/privileges.bats,
-- which compares the result with the reviewed list in sync_service_privileges.txt.
-- Effective privileges (has_*_privilege: grants to PUBLIC and through role membership count),
-- outside the system schemas (pg_*, information_schema). Objects of a registered tenant's schema
-- are written <tenant> and <tenant>.* (all of its relations of a kind on one line).
WITH sys(n) AS (SELECT oid FROM pg_namespace WHERE nspname LIKE 'pg\_%' OR nspname = 'information_schema'),
tenant(n) AS (SELECT schema_name FROM sync_metadata.client_deployments),
ns AS (
    SELECT oid, CASE WHEN nspname IN (SELECT n FROM tenant) THEN '<tenant>' ELSE quote_ident(nspname) END AS name,
           nspname IN (SELECT n FROM tenant) AS is_tenant
      FROM pg_namespace),
rel AS (
    SELECT c.oid, c.relkind, n.name || '.' || CASE WHEN n.is_tenant THEN '*' ELSE quote_ident(c.relname) END AS name
      FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
     WHERE c.relnamespace NOT IN (SELECT n FROM sys) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')),
line(kind, obj, priv) AS (
    SELECT 'role', 'sync_service', a
      FROM pg_roles r,
           unnest(ARRAY[CASE WHEN r.rolsuper THEN 'SUPERUSER' END, CASE WHEN r.rolinherit THEN 'INHERIT' END,
                        CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END, CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
                        CASE WHEN r.rolcanlogin THEN 'LOGIN' END, CASE WHEN r.rolreplication THEN 'REPLICATION' END,
                        CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END]) a
     WHERE r.rolname = 'sync_service' AND a IS NOT NULL
    UNION ALL
    SELECT 'member-of', m.roleid::regrole::text, 'MEMBER' FROM pg_auth_members m WHERE m.member = 'sync_service'::regrole
    UNION ALL
    SELECT 'database', '(current)', p FROM unnest(ARRAY['CONNECT', 'CREATE', 'TEMPORARY']) p
     WHERE has_database_privilege('sync_service', current_database(), p)
    UNION ALL
    SELECT 'schema', n.name, p FROM ns n, unnest(ARRAY['USAGE', 'CREATE']) p
     WHERE n.oid NOT IN (SELECT n FROM sys) AND has_schema_privilege('sync_service', n.oid, p)
    UNION ALL
    SELECT CASE relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview'
                        WHEN 'f' THEN 'foreign-table' ELSE 'table' END, name, p
      FROM rel, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'USAGE']) p
     WHERE CASE WHEN relkind = 'S' THEN p IN ('USAGE', 'SELECT', 'UPDATE') AND has_sequence_privilege('sync_service', oid, p)
                ELSE p <> 'USAGE' AND has_table_privilege('sync_service', oid, p) END
    UNION ALL
    -- Columns granted on their own, beyond what the table grants.
    SELECT 'column', rel.name || '.' || quote_ident(a.attname), p
      FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped,
           unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) p
     WHERE rel.relkind <> 'S' AND has_column_privilege('sync_service', rel.oid, a.attnum, p)
       AND NOT has_table_privilege('sync_service', rel.oid, p)
    UNION ALL
    SELECT 'function', format('%s.%I(%s)', n.name, f.proname, pg_get_function_identity_arguments(f.oid)), 'EXECUTE'
      FROM pg_proc f JOIN ns n ON n.oid = f.pronamespace
     WHERE f.pronamespace NOT IN (SELECT n FROM sys) AND has_function_privilege('sync_service', f.oid, 'EXECUTE')
    UNION ALL
    SELECT 'language', quote_ident(l.lanname), 'USAGE' FROM pg_language l
     WHERE l.lanpltrusted AND has_language_privilege('sync_service', l.oid, 'USAGE')
    UNION ALL
    SELECT 'foreign-server', quote_ident(s.srvname), 'USAGE' FROM pg_foreign_server s
     WHERE has_server_privilege('sync_service', s.oid, 'USAGE')
    UNION ALL
    SELECT 'tablespace', quote_ident(t.spcname), 'CREATE' FROM pg_tablespace t
     WHERE has_tablespace_privilege('sync_service', t.oid, 'CREATE')
    UNION ALL
    SELECT 'owns', x, 'OWNER' FROM (
        SELECT c.oid::regclass::text AS x FROM pg_class c WHERE c.relowner = 'sync_service'::regrole
        UNION ALL SELECT quote_ident(nspname) FROM pg_namespace WHERE nspowner = 'sync_service'::regrole
        UNION ALL SELECT f.oid::regprocedure::text FROM pg_proc f WHERE f.proowner = 'sync_service'::regrole
        UNION ALL SELECT t.oid::regtype::text FROM pg_type t WHERE t.typowner = 'sync_service'::regrole) o
    UNION ALL
    -- Row-level security policies that name the role (or PUBLIC): which rows the grants reach.
    SELECT 'policy', format('%I.%I %s', p.schemaname, p.tablename, p.policyname), lower(p.permissive) || ' ' || p.cmd
      FROM pg_policies p WHERE 'sync_service' = ANY (p.roles) OR 'public' = ANY (p.roles))
SELECT l FROM (SELECT kind || ' ' || obj || ' ' || string_agg(DISTINCT priv, ' ' ORDER BY priv) AS l
                 FROM line GROUP BY kind, obj) x
 ORDER BY l COLLATE "C";

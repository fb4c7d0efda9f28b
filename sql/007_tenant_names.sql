-- 007_tenant_names.sql — what a tenant registration may name, enforced by the database itself.
--
-- sync-load --provision checks the same rules first (sync_metadata.tenant_problem, 004), so that a
-- refusal there is a clear one-line error; these constraints make sure that a registration made by
-- hand, or forged, cannot get past them either:
--   client_deployments_client_id_name    the client id is a plain identifier (name_problem, 004);
--   client_deployments_schema_name_name  so is the schema, and it is not public, sync_metadata,
--                                        information_schema or pg_*;
--   client_deployments_schema_free/_moved  (triggers) a new registration, or a change of schema, names a
--                                        schema that does not exist yet or is empty: a schema that
--                                        already holds objects is not the tenant's to write into.
--
-- A database registered before these rules may hold a row that breaks them: the CHECKs are then
-- added NOT VALID (still enforced on every insert and update, so such a tenant's next load fails
-- loudly) and the migration warns with the offending rows.

BEGIN;

DO $$
DECLARE
    c record;
BEGIN
    FOR c IN
        SELECT * FROM (VALUES
            ('client_deployments_client_id_name', 'sync_metadata.name_problem(''client id'', client_id) IS NULL'),
            ('client_deployments_schema_name_name', 'sync_metadata.name_problem(''schema'', schema_name) IS NULL'))
            AS x(name, expr)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_constraint
                        WHERE conrelid = 'sync_metadata.client_deployments'::regclass AND conname = c.name) THEN
            EXECUTE format('ALTER TABLE sync_metadata.client_deployments ADD CONSTRAINT %I CHECK (%s) NOT VALID',
                           c.name, c.expr);
        END IF;
        BEGIN
            EXECUTE format('ALTER TABLE sync_metadata.client_deployments VALIDATE CONSTRAINT %I', c.name);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'client_deployments holds registrations that break %: %', c.name,
                (SELECT string_agg(coalesce(sync_metadata.name_problem('client id', d.client_id),
                                            sync_metadata.name_problem('schema', d.schema_name)), '; ')
                   FROM sync_metadata.client_deployments d
                  WHERE sync_metadata.name_problem('client id', d.client_id) IS NOT NULL
                     OR sync_metadata.name_problem('schema', d.schema_name) IS NOT NULL)
                USING HINT = 'archive or re-register them; their loads are refused until then';
        END;
    END LOOP;
END
$$;

-- Runs as whoever registers (an admin: the service cannot insert here, nor change schema_name).
CREATE OR REPLACE FUNCTION sync_metadata.refuse_occupied_schema()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_objects text := sync_metadata.schema_objects(NEW.schema_name);
BEGIN
    IF v_objects IS NOT NULL THEN
        RAISE EXCEPTION 'client %: schema % already holds objects that are not the tenant''s: %',
            quote_literal(NEW.client_id), quote_ident(NEW.schema_name), v_objects
            USING ERRCODE = '42P06',
                  HINT = 'give the tenant a schema of its own (sync-snapshot --schema), registered before its tables are created';
    END IF;
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.refuse_occupied_schema() FROM PUBLIC;

DROP TRIGGER IF EXISTS client_deployments_schema_free ON sync_metadata.client_deployments;
CREATE TRIGGER client_deployments_schema_free
    AFTER INSERT ON sync_metadata.client_deployments
    FOR EACH ROW EXECUTE FUNCTION sync_metadata.refuse_occupied_schema();
DROP TRIGGER IF EXISTS client_deployments_schema_moved ON sync_metadata.client_deployments;
CREATE TRIGGER client_deployments_schema_moved
    AFTER UPDATE OF schema_name ON sync_metadata.client_deployments
    FOR EACH ROW WHEN (OLD.schema_name IS DISTINCT FROM NEW.schema_name)
    EXECUTE FUNCTION sync_metadata.refuse_occupied_schema();

COMMIT;

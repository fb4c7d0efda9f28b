-- 009_retention.sql — bounded metadata: sync_metadata.apply_retention() prunes old job history,
-- progress rows, resolved conflicts and archived deleted rows of the caller's host, after folding
-- every total that sync-status reports into rollup tables, so no reported counter goes down.
--
--   SELECT sync_metadata.apply_retention(interval '7 days');                 -- as sync_service
--   SELECT sync_metadata.apply_retention(interval '7 days', interval '30 days', interval '365 days');
--
-- sync-status reads rollup + the rows that remain, in one snapshot: a job, progress row or conflict is
-- counted either in a rollup or as a row, never both (the fold and the delete are one statement).
--
-- Also: sync_progress gets per-operation counts, so rows synced can be reported by table and op.
-- The rollup tables are written only by apply_retention (SECURITY DEFINER, the admin); sync_service may
-- only read them, its own host's rows (row-level security as in 003_rls.sql, repeated here because 003
-- ran before these tables existed).

BEGIN;

-- Per table and job: rows by operation (rows_done stays the sum of every change, "record" included).
-- NULL in rows written before this migration: counted as 0 by sync-status.
ALTER TABLE sync_metadata.sync_progress
    ADD COLUMN IF NOT EXISTS rows_inserted bigint,
    ADD COLUMN IF NOT EXISTS rows_updated bigint,
    ADD COLUMN IF NOT EXISTS rows_deleted bigint,
    ADD COLUMN IF NOT EXISTS rows_quarantined bigint;

-- The run-duration histogram of sync-status. Its buckets' upper bounds ("le", seconds; +Inf implicit)
-- are written once, negated and ascending, as width_bucket() needs them:
--   run_duration_bucket(s) = the 0-based bucket of a run of s seconds = the number of bounds below s,
--                            so a run of exactly a bound's length counts in that bound's bucket (le is
--                            inclusive); one width_bucket() call, inlined, so it is cheap per job row;
--   run_duration_bounds()  = the bounds, ascending, for sync-status to print.
-- job_rollup.duration_runs holds one count per bucket: changing the bounds would need those arrays
-- re-bucketed, so they are fixed. No SET search_path on these: it would stop the inlining.
CREATE OR REPLACE FUNCTION sync_metadata.run_duration_negated_bounds()
RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT '{-1800,-600,-300,-120,-60,-30,-10,-5,-2.5,-1,-0.5,-0.25,-0.1,-0.05}'::pg_catalog.float8[] $$;

CREATE OR REPLACE FUNCTION sync_metadata.run_duration_bucket(p_seconds numeric)
RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.cardinality(sync_metadata.run_duration_negated_bounds())
             - pg_catalog.width_bucket(-(p_seconds::pg_catalog.float8), sync_metadata.run_duration_negated_bounds()) $$;

CREATE OR REPLACE FUNCTION sync_metadata.run_duration_bounds()
RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT array_agg(-b ORDER BY b DESC) FROM unnest(sync_metadata.run_duration_negated_bounds()) AS b $$;

-- Per tenant: what apply_retention removed from sync_jobs, summed. run_seconds is numeric so the
-- sum of rollup and remaining rows is exact, whatever the order of addition.
CREATE TABLE IF NOT EXISTS sync_metadata.job_rollup (
    host_id          text NOT NULL CHECK (host_id <> ''),
    client_id        text NOT NULL,
    jobs             bigint NOT NULL DEFAULT 0,
    jobs_failed      bigint NOT NULL DEFAULT 0,
    rows_inserted    bigint NOT NULL DEFAULT 0,
    rows_updated     bigint NOT NULL DEFAULT 0,
    rows_deleted     bigint NOT NULL DEFAULT 0,
    rows_quarantined bigint NOT NULL DEFAULT 0,
    run_seconds      numeric NOT NULL DEFAULT 0,     -- summed duration of the successful runs (the histogram's sum)
    duration_runs    bigint[] NOT NULL,              -- those runs per bucket, run_duration_bucket() order (its count)
    folded_until     timestamptz,                    -- newest finished_at folded in
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_id, client_id)
);

-- Per tenant and table: what apply_retention removed from sync_progress, by operation.
CREATE TABLE IF NOT EXISTS sync_metadata.table_rollup (
    host_id          text NOT NULL CHECK (host_id <> ''),
    client_id        text NOT NULL,
    table_name       text NOT NULL,
    rows_inserted    bigint NOT NULL DEFAULT 0,
    rows_updated     bigint NOT NULL DEFAULT 0,
    rows_deleted     bigint NOT NULL DEFAULT 0,
    rows_quarantined bigint NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_id, client_id, table_name)
);

-- Per tenant, strategy and resolution: resolved conflicts apply_retention removed from conflict_log.
CREATE TABLE IF NOT EXISTS sync_metadata.conflict_rollup (
    host_id    text NOT NULL CHECK (host_id <> ''),
    client_id  text NOT NULL,
    strategy   text NOT NULL,
    resolution text NOT NULL,
    conflicts  bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_id, client_id, strategy, resolution)
);

-- Element-wise sum of two count arrays of the same length.
CREATE OR REPLACE FUNCTION sync_metadata.add_counts(p_a bigint[], p_b bigint[])
RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT array_agg(coalesce(a, 0) + coalesce(b, 0) ORDER BY i) FROM unnest(p_a, p_b) WITH ORDINALITY AS u(a, b, i) $$;

-- retention_fold_jobs(host, before) -> jobs removed. Removes the host's jobs that finished (or, never
-- finished, started) before `before`, except running jobs and each tenant's latest job, latest
-- finished job and latest success (sync-status reads those), and adds them to job_rollup.
CREATE OR REPLACE FUNCTION sync_metadata.retention_fold_jobs(p_host text, p_before timestamptz)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_count bigint;
BEGIN
    WITH kept AS (
        (SELECT DISTINCT ON (client_id) job_id FROM sync_metadata.sync_jobs
          WHERE host_id = p_host ORDER BY client_id, started_at DESC, job_id DESC)
        UNION
        (SELECT DISTINCT ON (client_id) job_id FROM sync_metadata.sync_jobs
          WHERE host_id = p_host AND finished_at IS NOT NULL ORDER BY client_id, started_at DESC, job_id DESC)
        UNION
        (SELECT DISTINCT ON (client_id) job_id FROM sync_metadata.sync_jobs
          WHERE host_id = p_host AND status = 'success' ORDER BY client_id, started_at DESC, job_id DESC)
    ), gone AS (
        DELETE FROM sync_metadata.sync_jobs j
         WHERE j.host_id = p_host AND j.status <> 'running'
           AND coalesce(j.finished_at, j.started_at) < p_before
           AND j.job_id NOT IN (SELECT job_id FROM kept)
        RETURNING j.client_id, j.status, j.rows_inserted, j.rows_updated, j.rows_deleted, j.rows_quarantined,
                  j.finished_at, CASE WHEN j.status = 'success' AND j.finished_at IS NOT NULL
                                      THEN extract(epoch FROM j.finished_at - j.started_at) END AS run_seconds
    ), per_bucket AS (
        SELECT client_id, sync_metadata.run_duration_bucket(run_seconds) AS b, count(*) AS n
          FROM gone WHERE run_seconds IS NOT NULL GROUP BY 1, 2
    ), hist AS (
        SELECT c.client_id, array_agg(coalesce(p.n, 0) ORDER BY i) AS runs
          FROM (SELECT DISTINCT client_id FROM gone) c
         CROSS JOIN generate_series(0, cardinality(sync_metadata.run_duration_bounds())) AS i
          LEFT JOIN per_bucket p ON p.client_id = c.client_id AND p.b = i
         GROUP BY c.client_id
    ), sums AS (
        SELECT client_id, count(*) AS jobs, count(*) FILTER (WHERE status = 'failed') AS failed,
               coalesce(sum(rows_inserted), 0) AS ins, coalesce(sum(rows_updated), 0) AS upd,
               coalesce(sum(rows_deleted), 0) AS del, coalesce(sum(rows_quarantined), 0) AS quar,
               coalesce(sum(run_seconds), 0) AS secs, max(finished_at) AS last
          FROM gone GROUP BY client_id
    ), folded AS (
        INSERT INTO sync_metadata.job_rollup AS r
               (host_id, client_id, jobs, jobs_failed, rows_inserted, rows_updated, rows_deleted, rows_quarantined,
                run_seconds, duration_runs, folded_until)
        SELECT p_host, s.client_id, s.jobs, s.failed, s.ins, s.upd, s.del, s.quar, s.secs, h.runs, s.last
          FROM sums s JOIN hist h USING (client_id)
        ON CONFLICT (host_id, client_id) DO UPDATE SET
            jobs = r.jobs + EXCLUDED.jobs, jobs_failed = r.jobs_failed + EXCLUDED.jobs_failed,
            rows_inserted = r.rows_inserted + EXCLUDED.rows_inserted,
            rows_updated = r.rows_updated + EXCLUDED.rows_updated,
            rows_deleted = r.rows_deleted + EXCLUDED.rows_deleted,
            rows_quarantined = r.rows_quarantined + EXCLUDED.rows_quarantined,
            run_seconds = r.run_seconds + EXCLUDED.run_seconds,
            duration_runs = sync_metadata.add_counts(r.duration_runs, EXCLUDED.duration_runs),
            folded_until = greatest(r.folded_until, EXCLUDED.folded_until), updated_at = now()
    )
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$fn$;

-- retention_fold_progress(host, before) -> rows removed. Removes the host's sync_progress rows whose
-- job is gone (retention_fold_jobs ran first) and that were last written before `before`, and adds
-- them to table_rollup.
CREATE OR REPLACE FUNCTION sync_metadata.retention_fold_progress(p_host text, p_before timestamptz)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_count bigint;
BEGIN
    WITH gone AS (
        DELETE FROM sync_metadata.sync_progress p
         WHERE p.host_id = p_host AND p.updated_at < p_before
           AND NOT EXISTS (SELECT 1 FROM sync_metadata.sync_jobs j WHERE j.job_id = p.job_id)
        RETURNING p.client_id, p.table_name, p.rows_inserted, p.rows_updated, p.rows_deleted, p.rows_quarantined
    ), folded AS (
        INSERT INTO sync_metadata.table_rollup AS r
               (host_id, client_id, table_name, rows_inserted, rows_updated, rows_deleted, rows_quarantined)
        SELECT p_host, client_id, table_name, coalesce(sum(rows_inserted), 0), coalesce(sum(rows_updated), 0),
               coalesce(sum(rows_deleted), 0), coalesce(sum(rows_quarantined), 0)
          FROM gone GROUP BY client_id, table_name
        ON CONFLICT (host_id, client_id, table_name) DO UPDATE SET
            rows_inserted = r.rows_inserted + EXCLUDED.rows_inserted,
            rows_updated = r.rows_updated + EXCLUDED.rows_updated,
            rows_deleted = r.rows_deleted + EXCLUDED.rows_deleted,
            rows_quarantined = r.rows_quarantined + EXCLUDED.rows_quarantined, updated_at = now()
    )
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$fn$;

-- retention_fold_conflicts(host, before) -> rows removed. Removes the host's conflicts resolved before
-- `before` (never an unresolved one) and adds them to conflict_rollup.
CREATE OR REPLACE FUNCTION sync_metadata.retention_fold_conflicts(p_host text, p_before timestamptz)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_count bigint;
BEGIN
    WITH gone AS (
        DELETE FROM sync_metadata.conflict_log c
         WHERE c.host_id = p_host AND c.resolved_at IS NOT NULL AND c.resolved_at < p_before
        RETURNING c.client_id, coalesce(c.resolution_strategy, 'none') AS strategy,
                  coalesce(c.resolution, 'none') AS resolution
    ), folded AS (
        INSERT INTO sync_metadata.conflict_rollup AS r (host_id, client_id, strategy, resolution, conflicts)
        SELECT p_host, client_id, strategy, resolution, count(*) FROM gone GROUP BY 1, 2, 3, 4
        ON CONFLICT (host_id, client_id, strategy, resolution) DO UPDATE SET
            conflicts = r.conflicts + EXCLUDED.conflicts, updated_at = now()
    )
    SELECT count(*) INTO v_count FROM gone;
    RETURN v_count;
END
$fn$;

-- apply_retention(keep, conflict_keep, deleted_keep) -> {"jobs": n, "progress": n, "conflicts": n,
-- "deleted_rows": n}, the rows removed. Callable by sync_service; touches only rows of the host in
-- syncpipe.host_id (refused when unset). Removes, after folding what sync-status reports:
--   sync_jobs older than keep (never running jobs nor a tenant's latest job, latest finished job or
--   latest success), their sync_progress rows; conflict_log rows resolved more than conflict_keep ago
--   (default: keep; pass the conflict config's resolution_log.retention_days); deleted_rows archived
--   more than deleted_keep ago (default 365 days; not folded: sync-status reports no total of them).
-- Minimums, so a compromised node cannot wipe history it was given to keep: keep and conflict_keep
-- at least 1 hour, deleted_keep at least 30 days. An admin purges more by hand.
CREATE OR REPLACE FUNCTION sync_metadata.apply_retention(
    p_keep interval, p_conflict_keep interval DEFAULT NULL, p_deleted_keep interval DEFAULT interval '365 days')
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_host          text := current_setting('syncpipe.host_id', true);
    v_conflict_keep interval := coalesce(p_conflict_keep, p_keep);
    v_deleted       bigint;
    v_out           jsonb;
BEGIN
    IF v_host IS NULL OR v_host = '' THEN
        RAISE EXCEPTION 'apply_retention: syncpipe.host_id is not set' USING ERRCODE = '42501';
    END IF;
    IF p_keep IS NULL OR p_keep < interval '1 hour' OR v_conflict_keep < interval '1 hour' THEN
        RAISE EXCEPTION 'apply_retention: keep (%) and conflict keep (%) must be at least 1 hour',
            p_keep, v_conflict_keep USING ERRCODE = '22023';
    END IF;
    IF p_deleted_keep IS NULL OR p_deleted_keep < interval '30 days' THEN
        RAISE EXCEPTION 'apply_retention: deleted rows keep (%) must be at least 30 days', p_deleted_keep
            USING ERRCODE = '22023';
    END IF;
    v_out := jsonb_build_object('jobs', sync_metadata.retention_fold_jobs(v_host, now() - p_keep));
    v_out := v_out || jsonb_build_object('progress', sync_metadata.retention_fold_progress(v_host, now() - p_keep));
    v_out := v_out || jsonb_build_object('conflicts',
                                         sync_metadata.retention_fold_conflicts(v_host, now() - v_conflict_keep));
    DELETE FROM sync_metadata.deleted_rows WHERE host_id = v_host AND deleted_at < now() - p_deleted_keep;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_out || jsonb_build_object('deleted_rows', v_deleted);
END
$fn$;

-- Retention deletes old rows of one host.
CREATE INDEX IF NOT EXISTS sync_jobs_host_started_idx ON sync_metadata.sync_jobs (host_id, started_at);

REVOKE ALL ON FUNCTION sync_metadata.add_counts(bigint[], bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.retention_fold_jobs(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.retention_fold_progress(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.retention_fold_conflicts(text, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.apply_retention(interval, interval, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.run_duration_bounds() FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.run_duration_bucket(numeric) FROM PUBLIC;
REVOKE ALL ON FUNCTION sync_metadata.run_duration_negated_bounds() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.apply_retention(interval, interval, interval) TO sync_service;
GRANT EXECUTE ON FUNCTION sync_metadata.run_duration_bounds() TO sync_service;
GRANT EXECUTE ON FUNCTION sync_metadata.run_duration_bucket(numeric) TO sync_service;
GRANT EXECUTE ON FUNCTION sync_metadata.run_duration_negated_bounds() TO sync_service;

-- The rollups: read only for sync_service, its own host's rows (the 003_rls.sql pattern).
REVOKE ALL ON sync_metadata.job_rollup, sync_metadata.table_rollup, sync_metadata.conflict_rollup FROM PUBLIC;
REVOKE ALL ON sync_metadata.job_rollup, sync_metadata.table_rollup, sync_metadata.conflict_rollup FROM sync_service;
GRANT SELECT ON sync_metadata.job_rollup, sync_metadata.table_rollup, sync_metadata.conflict_rollup TO sync_service;
DO $$
DECLARE
    t        text;
    admin_ok boolean;
BEGIN
    SELECT rolsuper OR rolbypassrls INTO admin_ok FROM pg_roles WHERE rolname = current_user;
    FOREACH t IN ARRAY ARRAY['job_rollup', 'table_rollup', 'conflict_rollup'] LOOP
        EXECUTE format('ALTER TABLE sync_metadata.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE sync_metadata.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS sync_service_own_host ON sync_metadata.%I', t);
        EXECUTE format('CREATE POLICY sync_service_own_host ON sync_metadata.%I FOR ALL TO sync_service'
                       ' USING (host_id = current_setting(''syncpipe.host_id'', true))'
                       ' WITH CHECK (host_id = current_setting(''syncpipe.host_id'', true))', t);
        EXECUTE format('DROP POLICY IF EXISTS sync_admin_all ON sync_metadata.%I', t);
        IF NOT admin_ok THEN
            EXECUTE format('CREATE POLICY sync_admin_all ON sync_metadata.%I FOR ALL TO %I USING (true) WITH CHECK (true)',
                           t, current_user);
        END IF;
    END LOOP;
END
$$;

COMMIT;

-- 011_schedule.sql — what syncpipe-cycle needs to run only the tenants that are due (syncpipe-cycle(8)).
--
-- client_deployments gains two columns; sync_service already has SELECT, INSERT, UPDATE on the table
-- (002_role.sql grants per table, so new columns are covered) and row-level security (003_rls.sql)
-- already isolates its rows by host_id. No new table, so no new grant or policy is needed.
--
--   sync_requested_at   set by `syncpipe-cycle --force CLUSTER [CLIENT...]` (sync-jobs request): the
--                       tenant is due at the next cycle of whichever node holds the lease, whatever its
--                       interval; sync-jobs due clears it when it hands the tenant to a cycle.
--   source_fingerprint  the identity of the tenant's SQLite file (device, inode, size, mtime, ctime, the
--                       file change counter, the WAL's identity and header) taken by sync-snapshot before
--                       its read transaction, stored by sync-load with the last batch of a successful run and
--                       cleared by every batch that advances the base generation. While the file's
--                       fingerprint still equals it, the base state in PostgreSQL is the file's content,
--                       so a due tenant can be recorded as synced without running the pipeline.
--                       NULL: unknown (never stored, racy, or the base changed since).

BEGIN;

ALTER TABLE sync_metadata.client_deployments
    ADD COLUMN IF NOT EXISTS sync_requested_at timestamptz,
    ADD COLUMN IF NOT EXISTS source_fingerprint text;

COMMENT ON COLUMN sync_metadata.client_deployments.sync_requested_at IS
    'an operator asked for a sync now (syncpipe-cycle --force); cleared when a cycle takes the tenant';
COMMENT ON COLUMN sync_metadata.client_deployments.source_fingerprint IS
    'identity of the SQLite file whose content the base state holds (sync-snapshot); NULL = unknown';

-- The scheduler's "last success" and "last job" per tenant: both read the newest job of a client.
-- sync-jobs request (syncpipe-cycle --force) sets sync_requested_at and a cycle clears it; sync-load
-- stores the fingerprint of the file a successful load read. 002 grants the other columns; it runs
-- first, so the columns added here get their grant here.
GRANT UPDATE (sync_requested_at, source_fingerprint) ON sync_metadata.client_deployments TO sync_service;
-- sync-jobs due reads the job sequence's last value: the jobs a cycle's run leaves running have larger
-- ids (sync-jobs fail --after). Reading a counter reveals nothing of another host.
GRANT SELECT ON SEQUENCE sync_metadata.sync_jobs_job_id_seq TO sync_service;

CREATE INDEX IF NOT EXISTS sync_jobs_running_idx ON sync_metadata.sync_jobs (host_id)
    WHERE status = 'running';

COMMIT;

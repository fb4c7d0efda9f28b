-- 001_schema.sql — the sync_metadata schema: hosts, tenants, lease, base state, audit tables.
--
-- Applied by an admin (superuser, or the Supabase `postgres` role) with
--   psql -v ON_ERROR_STOP=1 -f sql/001_schema.sql
-- Idempotent: re-running on a migrated database changes nothing. Columns added later go in
-- `ALTER TABLE ... ADD COLUMN IF NOT EXISTS` below the CREATE TABLE they extend.
--
-- Vocabulary: a "host" is one Open WebUI host = one lease cluster; host_id == leader_election.cluster_id.
-- Every row carries its host_id (NOT NULL, never '') so row-level security (003_rls.sql) can isolate
-- hosts from each other: the tools set it per transaction with
--   SELECT set_config('syncpipe.host_id', $1, true)
-- An empty host_id is refused because current_setting() returns '' once a transaction-local setting
-- has been reset; such a session must match no row at all.

BEGIN;

CREATE SCHEMA IF NOT EXISTS sync_metadata;
COMMENT ON SCHEMA sync_metadata IS 'syncpipe bookkeeping: hosts, tenants, lease, base state, jobs, conflicts';

-- One row per sync node of a host; the lease tool upserts it with each heartbeat.
CREATE TABLE IF NOT EXISTS sync_metadata.hosts (
    host_id        text NOT NULL CHECK (host_id <> ''),
    node_name      text NOT NULL CHECK (node_name <> ''),
    hostname       text,
    registered_at  timestamptz DEFAULT now(),
    last_heartbeat timestamptz,
    status         text NOT NULL DEFAULT 'active',
    archived_at    timestamptz,
    PRIMARY KEY (host_id, node_name)
);

-- One row per tenant (Open WebUI instance); schema_name is the tenant's PostgreSQL schema.
-- generation increases with every load that changes the base state (node caches compare it).
CREATE TABLE IF NOT EXISTS sync_metadata.client_deployments (
    client_id             text PRIMARY KEY,
    host_id               text NOT NULL CHECK (host_id <> ''),
    schema_name           text NOT NULL UNIQUE,
    source_path           text,
    sync_enabled          boolean NOT NULL DEFAULT true,
    sync_interval_seconds int NOT NULL DEFAULT 60 CHECK (sync_interval_seconds > 0),
    generation            bigint NOT NULL DEFAULT 0,
    registered_at         timestamptz DEFAULT now(),
    updated_at            timestamptz DEFAULT now(),
    archived_at           timestamptz
);
CREATE INDEX IF NOT EXISTS client_deployments_host_idx ON sync_metadata.client_deployments (host_id);

-- The lease, one row per cluster (cluster_id == host_id). epoch is the fencing token: it increases
-- on every acquisition after expiry. All times come from the database clock.
CREATE TABLE IF NOT EXISTS sync_metadata.leader_election (
    cluster_id  text PRIMARY KEY CHECK (cluster_id <> ''),
    holder      text,
    epoch       bigint NOT NULL DEFAULT 0,
    acquired_at timestamptz,
    renewed_at  timestamptz,
    expires_at  timestamptz,
    released_at timestamptz
);

-- The per-row base state: what was last loaded for each row key, written in the same transaction
-- as the data. key_hash identifies (table, key) within a client; key_json is the key itself.
CREATE TABLE IF NOT EXISTS sync_metadata.row_state (
    host_id    text NOT NULL CHECK (host_id <> ''),
    client_id  text NOT NULL,
    table_name text NOT NULL,
    key_hash   bytea NOT NULL,
    key_json   text NOT NULL,
    src_hash   bytea NOT NULL,
    tgt_hash   bytea,
    status     text NOT NULL DEFAULT 'loaded' CHECK (status IN ('loaded', 'quarantined', 'absent')),
    updated_at timestamptz DEFAULT now(),
    PRIMARY KEY (client_id, key_hash)
);

-- Values that could not be stored as their column type: kept here with the reason, never blocking.
CREATE TABLE IF NOT EXISTS sync_metadata.quarantine (
    host_id     text NOT NULL CHECK (host_id <> ''),
    client_id   text NOT NULL,
    table_name  text NOT NULL,
    key_hash    bytea NOT NULL,
    row_key     text,
    reason      text,
    row_data    text,
    detected_at timestamptz DEFAULT now(),
    resolved_at timestamptz,
    job_id      bigint,
    PRIMARY KEY (client_id, key_hash)
);
CREATE INDEX IF NOT EXISTS quarantine_open_idx ON sync_metadata.quarantine (client_id)
    WHERE resolved_at IS NULL;

-- Archive of tenant rows removed by sync_metadata.delete_rows(); purging it is an admin act.
CREATE TABLE IF NOT EXISTS sync_metadata.deleted_rows (
    id         bigserial PRIMARY KEY,
    host_id    text NOT NULL CHECK (host_id <> ''),
    client_id  text NOT NULL,
    table_name text NOT NULL,
    row_key    text,
    row_data   json,           -- json, not jsonb: a row may hold \u0000 or text jsonb rejects
    deleted_at timestamptz DEFAULT now(),
    job_id     bigint
);
-- Databases created before row_data became json: convert (jsonb text is valid json).
DO $$
BEGIN
    IF (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
         WHERE attrelid = 'sync_metadata.deleted_rows'::regclass AND attname = 'row_data') = 'jsonb' THEN
        ALTER TABLE sync_metadata.deleted_rows ALTER COLUMN row_data TYPE json USING row_data::json;
    END IF;
END
$$;
CREATE INDEX IF NOT EXISTS deleted_rows_client_idx ON sync_metadata.deleted_rows (client_id, table_name, deleted_at);

-- Every conflict decision. The UNIQUE key makes replaying the same stream record it once.
CREATE TABLE IF NOT EXISTS sync_metadata.conflict_log (
    id                  bigserial PRIMARY KEY,
    host_id             text NOT NULL CHECK (host_id <> ''),
    client_id           text NOT NULL,
    table_name          text NOT NULL,
    row_key             text,
    key_hash            text,
    conflict_type       text,
    resolution_strategy text,
    resolution          text,
    resolved_by         text,
    note                text,
    source_data         text,
    target_data         text,
    source_hash         text NOT NULL DEFAULT '',
    target_hash         text NOT NULL DEFAULT '',
    settled_value       text,
    detected_at         timestamptz DEFAULT now(),
    resolved_at         timestamptz,
    job_id              bigint,
    UNIQUE (client_id, key_hash, source_hash, target_hash)
);
CREATE INDEX IF NOT EXISTS conflict_log_open_idx ON sync_metadata.conflict_log (client_id)
    WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS conflict_log_resolved_at_idx ON sync_metadata.conflict_log (resolved_at)
    WHERE resolved_at IS NOT NULL;

-- Node cache lifecycle (hit, miss, refresh, invalidated ...) for diagnosis.
CREATE TABLE IF NOT EXISTS sync_metadata.cache_events (
    id         bigserial PRIMARY KEY,
    host_id    text NOT NULL CHECK (host_id <> ''),
    client_id  text,
    node_name  text,
    event      text,
    generation bigint,
    at         timestamptz DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cache_events_client_idx ON sync_metadata.cache_events (client_id, at);

-- One row per pipeline run. stream_id makes a replayed stream find its job instead of adding one.
CREATE TABLE IF NOT EXISTS sync_metadata.sync_jobs (
    job_id               bigserial PRIMARY KEY,
    stream_id            text UNIQUE,
    host_id              text NOT NULL CHECK (host_id <> ''),
    client_id            text NOT NULL,
    node_name            text,
    epoch                bigint,
    started_at           timestamptz DEFAULT now(),
    finished_at          timestamptz,
    status               text NOT NULL
        CHECK (status IN ('running', 'success', 'failed', 'fenced', 'stale')),
    rows_inserted        bigint DEFAULT 0,
    rows_updated         bigint DEFAULT 0,
    rows_deleted         bigint DEFAULT 0,
    rows_quarantined     bigint DEFAULT 0,
    rows_recorded        bigint DEFAULT 0,
    conflicts            bigint DEFAULT 0,
    conflicts_unresolved bigint DEFAULT 0,
    bytes                bigint DEFAULT 0,
    error                text
);
CREATE INDEX IF NOT EXISTS sync_jobs_client_started_idx ON sync_metadata.sync_jobs (client_id, started_at DESC);
CREATE INDEX IF NOT EXISTS sync_jobs_client_success_idx ON sync_metadata.sync_jobs (client_id, started_at DESC)
    WHERE status = 'success';

-- Live progress of a running job, one row per table.
CREATE TABLE IF NOT EXISTS sync_metadata.sync_progress (
    job_id     bigint NOT NULL,
    host_id    text NOT NULL CHECK (host_id <> ''),
    client_id  text NOT NULL,
    table_name text NOT NULL,
    rows_done  bigint,
    bytes_done bigint,
    updated_at timestamptz DEFAULT now(),
    PRIMARY KEY (job_id, table_name)
);

COMMIT;

-- 005_views.sql — operator views. security_invoker: row-level security applies to whoever queries
-- them, so sync_service sees its own host only and an admin sees everything.
--
-- CREATE OR REPLACE VIEW can only append columns: add new ones at the end of a view.

BEGIN;

-- Per host and node: heartbeat age and health (active < 2 min <= degraded <= 5 min < offline; never
-- seen = offline), whether the node holds an unexpired lease, the lease epoch and seconds until the
-- lease expires (negative once expired).
CREATE OR REPLACE VIEW sync_metadata.v_cluster_health WITH (security_invoker = true) AS
SELECT h.host_id,
       h.node_name,
       h.hostname,
       h.status,
       h.last_heartbeat,
       floor(extract(epoch FROM now() - h.last_heartbeat))::bigint AS heartbeat_age_seconds,
       CASE
           WHEN h.last_heartbeat IS NULL THEN 'offline'
           WHEN now() - h.last_heartbeat < interval '2 minutes' THEN 'active'
           WHEN now() - h.last_heartbeat <= interval '5 minutes' THEN 'degraded'
           ELSE 'offline'
       END AS health,
       coalesce(l.holder = h.node_name AND l.expires_at > now(), false) AS is_leader,
       l.epoch,
       floor(extract(epoch FROM l.expires_at - now()))::bigint AS lease_expires_in_seconds
  FROM sync_metadata.hosts h
  LEFT JOIN sync_metadata.leader_election l ON l.cluster_id = h.host_id;

-- Per client: its latest job, its latest successful job, open conflicts and quarantined rows.
CREATE OR REPLACE VIEW sync_metadata.v_sync_status WITH (security_invoker = true) AS
SELECT d.client_id,
       d.host_id,
       d.schema_name,
       d.sync_enabled,
       d.generation,
       j.status AS last_job_status,
       j.started_at AS last_started_at,
       s.finished_at AS last_success_at,
       floor(extract(epoch FROM now() - s.finished_at))::bigint AS seconds_since_success,
       j.error AS last_error,
       (SELECT count(*) FROM sync_metadata.conflict_log c
         WHERE c.client_id = d.client_id AND c.resolved_at IS NULL) AS conflicts_unresolved,
       (SELECT count(*) FROM sync_metadata.quarantine q
         WHERE q.client_id = d.client_id AND q.resolved_at IS NULL) AS quarantined_rows,
       d.sync_interval_seconds,
       d.archived_at,
       j.job_id AS last_job_id,
       j.finished_at AS last_finished_at
  FROM sync_metadata.client_deployments d
  LEFT JOIN LATERAL (
        SELECT sj.job_id, sj.status, sj.started_at, sj.finished_at, sj.error
          FROM sync_metadata.sync_jobs sj
         WHERE sj.client_id = d.client_id
         ORDER BY sj.started_at DESC, sj.job_id DESC
         LIMIT 1) j ON true
  LEFT JOIN LATERAL (
        SELECT sj.finished_at
          FROM sync_metadata.sync_jobs sj
         WHERE sj.client_id = d.client_id AND sj.status = 'success'
         ORDER BY sj.started_at DESC, sj.job_id DESC
         LIMIT 1) s ON true;

-- Per client and table: how many conflicts, how many still open, counts by resolution (a JSON object
-- {"<resolution>": n}; a conflict with no resolution yet counts under "none") and by strategy.
CREATE OR REPLACE VIEW sync_metadata.v_conflict_summary WITH (security_invoker = true) AS
WITH per_resolution AS (
    SELECT host_id, client_id, table_name, coalesce(resolution, 'none') AS resolution,
           count(*) AS n,
           count(*) FILTER (WHERE resolved_at IS NULL) AS unresolved,
           max(detected_at) AS last_detected_at
      FROM sync_metadata.conflict_log
     GROUP BY host_id, client_id, table_name, coalesce(resolution, 'none')
), per_strategy AS (
    SELECT client_id, table_name,
           jsonb_object_agg(strategy, n) AS by_strategy
      FROM (SELECT client_id, table_name, coalesce(resolution_strategy, 'none') AS strategy, count(*) AS n
              FROM sync_metadata.conflict_log
             GROUP BY client_id, table_name, coalesce(resolution_strategy, 'none')) s
     GROUP BY client_id, table_name
)
SELECT r.host_id,
       r.client_id,
       r.table_name,
       sum(r.n)::bigint AS total,
       sum(r.unresolved)::bigint AS unresolved,
       jsonb_object_agg(r.resolution, r.n) AS by_resolution,
       max(r.last_detected_at) AS last_detected_at,
       max(p.by_strategy::text)::jsonb AS by_strategy
  FROM per_resolution r
  JOIN per_strategy p USING (client_id, table_name)
 GROUP BY r.host_id, r.client_id, r.table_name;

REVOKE ALL ON sync_metadata.v_cluster_health, sync_metadata.v_sync_status, sync_metadata.v_conflict_summary
    FROM PUBLIC;
GRANT SELECT ON sync_metadata.v_cluster_health, sync_metadata.v_sync_status, sync_metadata.v_conflict_summary
    TO sync_service;

COMMIT;

-- 007_move_client.sql — move a tenant to another host, with everything syncpipe knows about it.
--
-- move_client(p_client, p_new_host) -> a one-line summary. Admin only (SECURITY DEFINER, EXECUTE
-- revoked from PUBLIC). In one transaction it re-homes the registration and every sync_metadata row
-- of the client that carries a host_id: base state (row_state), quarantine, conflict history, job
-- history, progress, archived deletes, cache events, and the tables of later migrations that have
-- both client_id and host_id. The tenant's generation goes up, so no node's local base-state cache
-- of it is used again.
--
-- After the move the old host's nodes no longer see the tenant (row-level security): their
-- pipeline stops with sync-diff's "not provisioned" error and writes nothing. The new host's next
-- sync finds the base state it needs: rows that did not change are not written again.
--
-- Refused (nothing changes) for an unknown or archived client, a client already on p_new_host, a
-- host none of whose nodes has registered (sync-lease gate) or that is deregistered, and a tenant
-- being synced: a job still 'running'. Before that check it waits for any lease-fenced load
-- transaction of the old host (they hold its lease row FOR SHARE) and for any load advancing the
-- tenant's generation, so a load cannot commit for the old host once the move has looked.
-- The procedure around it is in syncpipe-operations(7), "Moving a tenant to another host".

BEGIN;

CREATE OR REPLACE FUNCTION sync_metadata.move_client(p_client text, p_new_host text)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    d     sync_metadata.client_deployments%ROWTYPE;
    v_job sync_metadata.sync_jobs%ROWTYPE;
    t     text;
    v_n   bigint;
    v_sum text := '';
BEGIN
    SELECT * INTO d FROM sync_metadata.client_deployments WHERE client_id = p_client;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'move_client: no client %', quote_literal(p_client) USING ERRCODE = '42704';
    END IF;
    IF d.archived_at IS NOT NULL THEN
        RAISE EXCEPTION 'move_client: client % is archived', quote_literal(p_client) USING ERRCODE = '55000';
    END IF;
    IF d.host_id = p_new_host THEN
        RAISE EXCEPTION 'move_client: client % is already on host %', quote_literal(p_client), quote_literal(p_new_host)
            USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM sync_metadata.hosts h WHERE h.host_id = p_new_host AND h.archived_at IS NULL) THEN
        RAISE EXCEPTION 'move_client: no host %', quote_literal(p_new_host) USING ERRCODE = '42704',
            HINT = 'a host is known once one of its nodes has run sync-lease gate, and until it is deregistered';
    END IF;

    PERFORM 1 FROM sync_metadata.leader_election WHERE cluster_id = d.host_id FOR UPDATE;
    SELECT * INTO d FROM sync_metadata.client_deployments WHERE client_id = p_client FOR UPDATE;
    SELECT * INTO v_job FROM sync_metadata.sync_jobs
     WHERE client_id = p_client AND status = 'running' ORDER BY job_id DESC LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'move_client: client % is being synced: job % (node %) running since %',
            quote_literal(p_client), v_job.job_id, coalesce(v_job.node_name, '?'), v_job.started_at
            USING ERRCODE = '55006',
                  HINT = format('stop the tenant''s syncs on host %s and let the job finish; a job whose load died '
                                'stays running: close it first with UPDATE sync_metadata.sync_jobs SET status = '
                                '''failed'', finished_at = now(), error = ''abandoned'' WHERE job_id = %s',
                                d.host_id, v_job.job_id);
    END IF;

    UPDATE sync_metadata.client_deployments
       SET host_id = p_new_host, generation = generation + 1, updated_at = now()
     WHERE client_id = p_client;
    FOR t IN
        SELECT c.relname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'sync_metadata' AND c.relkind IN ('r', 'p') AND c.relname <> 'client_deployments'
           AND (SELECT count(*) FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attname IN ('client_id', 'host_id') AND NOT a.attisdropped) = 2
         ORDER BY c.relname
    LOOP
        EXECUTE format('UPDATE sync_metadata.%I SET host_id = $1 WHERE client_id = $2 AND host_id <> $1', t)
          USING p_new_host, p_client;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        IF v_n > 0 THEN
            v_sum := v_sum || format(', %s %s', v_n, t);
        END IF;
    END LOOP;
    RETURN format('client %s moved from host %s to host %s%s', p_client, d.host_id, p_new_host,
                  coalesce(nullif(v_sum, ''), ', no rows'));
END
$fn$;
REVOKE ALL ON FUNCTION sync_metadata.move_client(text, text) FROM PUBLIC;

COMMIT;

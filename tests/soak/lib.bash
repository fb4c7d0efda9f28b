# lib.bash — the parts of the soak (tests/soak/run.sh): database, tenants, nodes, writers, faults,
# convergence and the report. Sourced by run.sh, which sets work, build, shared, gen, repo, tenants and log.
# shellcheck disable=SC2154 # those variables are run.sh's

readonly SOAK_CLUSTER=SOAK SOAK_DB=soak SOAK_TTL=3
declare -A proxy_pid=() node_pid=() faults=()
writer_pids=()
worst_failover=0

admin() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$SOAK_DB" "$@"; }

# The audit: a deferred constraint trigger runs at the commit of every transaction that writes
# sync_progress or a running/successful sync_jobs row (sync-load's data transactions) and records
# it when the job's lease was not the current, unexpired one at that moment.
soak_audit_sql() {
    cat <<'SQL'
CREATE SCHEMA soak;
CREATE TABLE soak.violations (at timestamptz DEFAULT clock_timestamp(), job_id bigint, node text, epoch bigint,
                              holder text, lease_epoch bigint, expires_at timestamptz,
                              superseded boolean);  -- false: still the holder, but past expires_at
CREATE FUNCTION soak.check_lease() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog AS $$
DECLARE j record; l record;
BEGIN
    SELECT node_name, epoch, host_id INTO j FROM sync_metadata.sync_jobs WHERE job_id = NEW.job_id;
    IF j.epoch IS NULL THEN RETURN NULL; END IF;  -- an ad-hoc (--no-lease) run
    SELECT holder, epoch, expires_at INTO l FROM sync_metadata.leader_election WHERE cluster_id = j.host_id;
    IF l.epoch IS DISTINCT FROM j.epoch OR l.holder IS DISTINCT FROM j.node_name
       OR NOT (l.expires_at > clock_timestamp()) THEN
        INSERT INTO soak.violations (job_id, node, epoch, holder, lease_epoch, expires_at, superseded)
        VALUES (NEW.job_id, j.node_name, j.epoch, l.holder, l.epoch, l.expires_at,
                l.epoch IS DISTINCT FROM j.epoch OR l.holder IS DISTINCT FROM j.node_name);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER soak_lease_progress AFTER INSERT OR UPDATE ON sync_metadata.sync_progress
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION soak.check_lease();
CREATE CONSTRAINT TRIGGER soak_lease_jobs AFTER INSERT OR UPDATE ON sync_metadata.sync_jobs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status IN ('running', 'success'))
    EXECUTE FUNCTION soak.check_lease();
SQL
}

soak_database() {
    pgcluster_migrate "$SOAK_DB" && pgcluster_service_password "$SOAK_DB" || return 1
    soak_audit_sql | admin -f - >/dev/null || return 1
    # the nodes reach PostgreSQL through their proxies' ports: one passfile line for any port
    (umask 077 && sed 's/^127\.0\.0\.1:[0-9]*:/127.0.0.1:*:/' "$SERVICE_PASSFILE" >"$work/pgpass")
}

# soak_tenants N — N tenants t1..tN, both lineages and both journal modes, provisioned by the admin.
soak_tenants() {
    local i schema journal
    for ((i = 1; i <= $1; i++)); do
        schema=webui-schema.sql journal=delete
        ((i % 2 == 0)) && schema=webui-schema-upgraded-from-peewee.sql
        ((i % 4 >= 2)) && journal=wal
        "$gen" create --schema-sql "$shared/fixtures/openwebui/$schema" --out "$work/t$i.db" --users 3 \
            --chats-per-user 6 --seed "$i" --journal "$journal" >/dev/null || return 1
        "$work/bin/sync-snapshot" --client "t$i" --no-lease --all-rows --host "$SOAK_CLUSTER" "$work/t$i.db" |
            "$work/bin/sync-load" --provision --dsn "dbname=$SOAK_DB" 2>>"$work/provision.log" || {
            log "provisioning t$i failed"; cat "$work/provision.log" >&2; return 1
        }
    done
    # every cycle finds every tenant due (the shortest interval), as a busy tenant would be
    admin -c "UPDATE sync_metadata.client_deployments SET sync_interval_seconds = 1 WHERE host_id = '$SOAK_CLUSTER'"
}

start_proxy() {
    python3 "$repo/tests/lib/stallproxy.py" "$PGPORT" "$work/proxy-$1.port" &
    proxy_pid[$1]=$!
    local tries=0
    until [[ -s "$work/proxy-$1.port" ]]; do
        ((tries++ < 100)) || { log "proxy $1 did not start"; return 1; }
        sleep 0.1
    done
}

# start_node N — node-N runs syncpipe-cycle in a loop, in a process group of its own (so a fault
# can freeze the whole node); each cycle's end time and status go to node-N.rc.
start_node() {
    mkdir -p "$work/state-$1"
    local port
    port="$(cat "$work/proxy-$1.port")"
    # shellcheck disable=SC2016 # the loop's variables are the inner bash's
    env PGHOST=127.0.0.1 PGPORT="$port" PGDATABASE="$SOAK_DB" PGUSER=sync_service PGPASSFILE="$work/pgpass" \
        STATE_DIRECTORY="$work/state-$1" SYNCPIPE_TTL="$SOAK_TTL" SYNCPIPE_BINDIR="$work/bin" setsid bash -c '
        while :; do
            "$0" "$1" "$2" >>"$3.log" 2>&1
            rc=$?
            echo "$(date +%s) $rc" >>"$3.rc"
            sleep 0.2
        done' "$repo/systemd/syncpipe-cycle" "$SOAK_CLUSTER" "node-$1" "$work/node-$1" </dev/null &
    node_pid[$1]=$!
}

# start_writer CLIENT — inserts, updates and deletes as the app would, one transaction every ~0.3 s.
start_writer() {
    (
        while :; do
            "$gen" mutate --db "$work/$1.db" --seed "$RANDOM" --insert 2 --update 3 --delete 1 >/dev/null \
                2>>"$work/writer-$1.err" && echo ok || echo failed
            sleep 0.3
        done >>"$work/writer-$1.log"
    ) </dev/null &
    writer_pids+=($!)
}

rand() { echo $((RANDOM % $1)); } # rand N — 0..N-1
rand_seconds() { awk -v lo="$1" -v hi="$2" -v r=$RANDOM 'BEGIN { printf "%.2f", lo + (hi - lo) * r / 32768 }'; }

# A running stage of either node, at random (empty when none runs).
random_stage() {
    local pids
    mapfile -t pids < <(pgrep -g "${node_pid[a]},${node_pid[b]}" -f '^sync-(lease|snapshot|diff|resolve|load)( |$)')
    ((${#pids[@]})) && echo "${pids[RANDOM % ${#pids[@]}]}"
}

fault_kill() {
    local pid
    pid="$(random_stage)"
    [[ -n "$pid" ]] || return 0
    kill -KILL "$pid" 2>/dev/null && faults[kill]=$((${faults[kill]:-0} + 1))
}

fault_stop() {
    local pid
    pid="$(random_stage)"
    [[ -n "$pid" ]] || return 0
    kill -STOP "$pid" 2>/dev/null || return 0
    faults[stop]=$((${faults[stop]:-0} + 1))
    sleep "$(rand_seconds 0.2 4)"
    kill -CONT "$pid" 2>/dev/null
}

fault_pg_restart() {
    _pgcluster_as_owner "$PGCLUSTER_BINDIR/pg_ctl" -D "$PGCLUSTER_DIR/data" -l "$PGCLUSTER_DIR/log" -m immediate \
        -w -t 60 restart >/dev/null || { log "PostgreSQL did not restart"; return 1; }
    faults[pg_restart]=$((${faults[pg_restart]:-0} + 1))
}

fault_cut() {
    local n=a
    (($(rand 2))) && n=b
    kill -USR1 "${proxy_pid[$n]}"
    faults[net_cut]=$((${faults[net_cut]:-0} + 1))
    sleep "$(rand_seconds 1 6)"
    kill -USR2 "${proxy_pid[$n]}"
}

holder() { admin -c "SELECT coalesce(holder, '') FROM sync_metadata.leader_election WHERE cluster_id = '$SOAK_CLUSTER'"; }

# The holder's whole node freezes until the other node holds the lease (at most 90 s), then thaws.
fault_handover() {
    local h n t0 t1
    h="$(holder 2>/dev/null)"
    [[ "$h" == node-a || "$h" == node-b ]] || return 0
    n="${h#node-}"
    kill -STOP -- "-${node_pid[$n]}"
    t0=$(date +%s.%N)
    local deadline=$((SECONDS + 90))
    while [[ "$(holder 2>/dev/null)" == "$h" ]] && ((SECONDS < deadline)); do sleep 0.1; done
    t1=$(date +%s.%N)
    kill -CONT -- "-${node_pid[$n]}"
    faults[handover]=$((${faults[handover]:-0} + 1))
    local took
    took="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
    log "handover: $h frozen, other node took over after $took s"
    worst_failover="$(awk -v w="$worst_failover" -v t="$took" 'BEGIN { print (t > w ? t : w) }')"
}

# Weighted: a restart of PostgreSQL (crash recovery) costs the most time, so it comes least often.
inject_fault() {
    case "$(rand 11)" in
        0 | 1 | 2) fault_kill ;;
        3 | 4 | 5) fault_stop ;;
        6 | 7) fault_cut ;;
        8 | 9) fault_handover ;;
        10) fault_pg_restart ;;
    esac
}

stop_writers() {
    local p
    for p in "${writer_pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${writer_pids[@]}"; do wait "$p" 2>/dev/null; done
    writer_pids=()
}

heal_all() {
    local n
    for n in "${!proxy_pid[@]}"; do kill -USR2 "${proxy_pid[$n]}" 2>/dev/null; done
    for n in "${!node_pid[@]}"; do kill -CONT -- "-${node_pid[$n]}" 2>/dev/null; done
}

stop_nodes() {
    local n
    for n in "${!node_pid[@]}"; do kill -TERM -- "-${node_pid[$n]}" 2>/dev/null; done
    for n in "${!node_pid[@]}"; do wait "${node_pid[$n]}" 2>/dev/null; done
    node_pid=()
}

stop_all() {
    stop_writers
    heal_all
    stop_nodes
    local n
    for n in "${!proxy_pid[@]}"; do kill "${proxy_pid[$n]}" 2>/dev/null; done
    proxy_pid=()
}

# One cycle of node-a straight to PostgreSQL, as the service; prints its status.
final_cycle() {
    env PGHOST=127.0.0.1 PGDATABASE="$SOAK_DB" PGUSER=sync_service PGPASSFILE="$work/pgpass" \
        STATE_DIRECTORY="$work/state-a" SYNCPIPE_TTL="$SOAK_TTL" SYNCPIPE_BINDIR="$work/bin" \
        "$repo/systemd/syncpipe-cycle" "$SOAK_CLUSTER" node-a >>"$work/final.log" 2>&1
    echo $?
}

# After the faults: node-a runs cycles until one succeeds (standby while node-b's lease runs out),
# then one more, which must succeed too.
converge() {
    local rc deadline=$((SECONDS + 120))
    while :; do
        rc="$(final_cycle)"
        ((rc == 0)) && break
        ((SECONDS < deadline)) || { log "no successful final cycle within 120 s (last exit $rc)"; return 1; }
        sleep 0.5
    done
    rc="$(final_cycle)"
    ((rc == 0)) || { log "the confirming cycle exited $rc"; return 1; }
}

# Statuses of the loop cycles of both nodes, as "status:count ..." sorted by count.
cycle_statuses() { cat "$work"/node-*.rc 2>/dev/null | awk '{ print $2 }' | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'; }

report() {
    local final_failed="$1" i out rows=0 lost=0 extra=0 quarantined=0 compared=0 line
    for i in $(seq "$tenants"); do
        out="$(PGDATABASE="$SOAK_DB" python3 "$repo/tests/soak/compare.py" "$work/t$i.db" "t$i" "t$i")"
        line="$(tail -n1 <<<"$out")"
        [[ "$line" == tables* ]] || { log "compare t$i: $out"; lost=$((lost + 1)); continue; }
        read -r _ _ _ r _ m _ e _ d _ q <<<"$line"
        rows=$((rows + r)) lost=$((lost + m + d)) extra=$((extra + e)) quarantined=$((quarantined + q))
        compared=$((compared + 1))
        ((m + d + e == 0)) || printf '%s\n' "$out" | sed "s/^/soak: t$i: /" >&2
    done
    local violations superseded epoch writes
    violations="$(admin -c 'SELECT count(*) FROM soak.violations')"
    superseded="$(admin -c 'SELECT count(*) FROM soak.violations WHERE superseded')"
    admin -c 'COPY (SELECT * FROM soak.violations ORDER BY at) TO STDOUT' >"$work/violations.tsv"
    epoch="$(admin -c "SELECT epoch FROM sync_metadata.leader_election WHERE cluster_id = '$SOAK_CLUSTER'")"
    writes="$(cat "$work"/writer-*.log 2>/dev/null | grep -c '^ok')"
    echo "soak: cycles $(cat "$work"/node-*.rc 2>/dev/null | wc -l) (by exit status: $(cycle_statuses))"
    echo "soak: faults $(for k in kill stop pg_restart net_cut handover; do printf '%s=%s ' "$k" "${faults[$k]:-0}"; done)"
    echo "soak: failovers $((epoch > 0 ? epoch - 1 : 0)) (lease epoch $epoch), worst failover ${worst_failover} s"
    echo "soak: writer transactions $writes; tenants compared $compared of $tenants"
    echo "soak: rows checked $rows, rows lost $lost, rows extra $extra, quarantined $quarantined"
    echo "soak: commits under an expired lease $violations ($superseded of them after another node took over)"
    ((final_failed == 0)) || echo "soak: FAILED: the final cycles did not succeed (see $work/final.log)"
    ((final_failed == 0 && lost == 0 && extra == 0 && violations == 0 && compared == tenants))
}

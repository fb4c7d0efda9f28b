#!/usr/bin/env bats
# Fencing under a frozen or cut-off leader (sync-lease(1), FENCING AND FAILOVER). node-a's sync-load
# is frozen (SIGSTOP) at each point of a write: in its first transaction just after the fence
# check, inside a COPY, before its commit, between two batches; or its network is cut (a test proxy
# that stops forwarding without closing anything). node-b must then take the lease over at its
# first gate after node-a's lease expired (never "lease row locked"), its own load must finish, and
# node-a must commit nothing: it exits 11 (fenced) when it resumes.
#
# The real binaries are frozen where the test wants them: a lock the test holds makes the load wait
# (server side) at the chosen statement, pg_stat_activity shows it waiting there, the test stops the
# process, and releases the lock; the server then finishes that statement and waits on the stopped
# client. No test hook is compiled into sync-load.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/lease-fencing.bats
#
# FENCE_TTL (default 6) is node-a's lease TTL in seconds; its pipeline must reach the freeze point
# within it. Measurements go to $FENCE_REPORT if set (one line per test).

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"
source "$BATS_TEST_DIRNAME/../lib/helpers.bash"

setup_file() {
    pgcluster_require || return 1
    local t
    for t in lease snapshot diff resolve load; do
        [[ -x "${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD}/tools/$t/sync-$t" ]] || { echo "not built: sync-$t" >&2; return 1; }
    done
    export DB="fencetest_$$_$RANDOM"
    pgcluster_migrate "$DB"
    pgcluster_service_password "$DB"
    export DSN="host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service" PGPASSFILE="$SERVICE_PASSFILE"
    export TTL_A="${FENCE_TTL:-6}"
}

teardown_file() {
    dropdb --if-exists --force -- "$DB"
}

teardown() {
    # what this test started and did not end (it failed early): resume and end it, by its id
    local f pid
    for f in "$BATS_TEST_TMPDIR"/*.pid; do
        [[ -s "$f" ]] || continue
        pid="$(cat "$f")"
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
    exec 8>&- 2>/dev/null || true
}

admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$DB" -f -
}

tool() { printf '%s/tools/%s/sync-%s' "$SYNCPIPE_BUILD" "$1" "$1"; }

# tenant CLIENT CLUSTER ROWS [BODY] — a SQLite file with ROWS rows (a body of BODY bytes, default
# 150), provisioned by the admin.
tenant() {
    local src="$BATS_TEST_TMPDIR/$1.db"
    python3 - "$src" "$3" "${4:-150}" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT, body TEXT, updated_at INTEGER)')
db.executemany('INSERT INTO chat VALUES (?, ?, ?, ?)',
               [(f'c{i:05d}', f'title {i}', 'x' * int(sys.argv[3]) + str(i), i) for i in range(int(sys.argv[2]))])
db.commit()
PY
    "$(tool snapshot)" --client "$1" --no-lease --host "$2" "$src" 2>/dev/null |
        "$(tool load)" --provision --dsn "dbname=$DB" 2>/dev/null
}

# upstream NODE CLIENT CLUSTER TTL TAG [gate args] — gate | snapshot | diff | resolve into TAG.stream;
# false when the gate did not give NODE the lease.
upstream() {
    local node="$1" client="$2" cluster="$3" ttl="$4" tag="$5" w="$BATS_TEST_TMPDIR"
    shift 5
    mkdir -p "$w/state-$node"
    (
        set -o pipefail
        export PGPASSFILE="$SERVICE_PASSFILE"
        "$(tool lease)" gate --dsn "$DSN" --cluster "$cluster" --node "$node" --ttl "$ttl" "$@" |
            "$(tool snapshot)" --client "$client" "$w/$client.db" |
            "$(tool diff)" --dsn "$DSN" --state-dir "$w/state-$node" |
            "$(tool resolve)"
    ) >"$w/$tag.stream" 2>"$w/$tag.up.err"
}

# load_a DSN [sync-load args] — node-a's sync-load < a.stream (or the output of a.feed.sh when it
# exists); its pid goes to a.pid, its exit status to a.status. Run it in the background with &.
load_a() {
    local dsn="$1" w="$BATS_TEST_TMPDIR"
    shift
    local feed=(cat "$w/a.stream")
    [[ -f "$w/a.feed.sh" ]] && feed=(bash "$w/a.feed.sh")
    (
        set +e
        export PGPASSFILE="${A_PASSFILE:-$SERVICE_PASSFILE}"
        "${feed[@]}" | bash -c 'echo $$ >"$0"; exec "$@"' "$w/a.pid" \
            "$(tool load)" --dsn "$dsn" --state-dir "$w/state-node-a" "$@"
        echo "${PIPESTATUS[1]}" >"$w/a.status"
    ) >"$w/a.out" 2>"$w/a.err" 3>&- 8>&-
}

# writer_is CONDITION — node-a's write connection (its transaction carries the writer tag, or it
# is the connection named sync-load) matches the SQL CONDITION on pg_stat_activity.
writer_is() {
    [ "$(admin "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                  AND usename = 'sync_service' AND application_name LIKE 'sync-load%' AND ($1)")" = 1 ]
}

expired() { [ "$(admin "SELECT '$1'::timestamptz < clock_timestamp()")" = t ]; }

rows_in() { [ "$(admin "SELECT count(*) FROM $1.chat")" -gt 0 ]; }

stopped() { grep -qE '^State:[[:space:]]+T' "/proc/$(cat "$BATS_TEST_TMPDIR/$1.pid" 2>/dev/null)/status" 2>/dev/null; }

table_of() { # table_of CLIENT — the tenant table as PostgreSQL has it
    admin "SELECT string_agg(id || '|' || title || '|' || body || '|' || updated_at, E'\n' ORDER BY id) FROM $1.chat"
}

source_of() { # source_of CLIENT — the same from the SQLite file
    sqlite3 "$BATS_TEST_TMPDIR/$1.db" "SELECT id || '|' || title || '|' || body || '|' || updated_at FROM chat ORDER BY id"
}

# gate_b CLIENT CLUSTER — one gate of node-b (the standby's timer firing); succeeds once it leads.
# Every attempt's stderr is kept in b.gates.
gate_b() {
    local w="$BATS_TEST_TMPDIR" rc=0
    upstream node-b "$1" "$2" 20 b || rc=$?
    cat "$w/b.up.err" >>"$w/b.gates"
    return $rc
}

# freeze_at POINT CLIENT — arrange node-a's load to stop at POINT (fence | copy | commit), start
# it, and return once it is stopped there, with the server waiting on it.
freeze_at() {
    local point="$1" client="$2" blocked frozen
    case "$point" in
    fence) # just after the batch's fence check: its generation UPDATE waits for our row lock
        hold "$DB" "SELECT 1 FROM sync_metadata.client_deployments WHERE client_id = '$client' FOR UPDATE"
        blocked="wait_event_type = 'Lock' AND query LIKE 'UPDATE sync_metadata.client_deployments%'"
        frozen="state = 'idle in transaction' AND query LIKE 'UPDATE sync_metadata.client_deployments%'" ;;
    copy) # inside the COPY of the tenant rows: it waits for our table lock before it starts
        hold "$DB" "LOCK TABLE $client.chat IN SHARE MODE"
        blocked="wait_event_type = 'Lock' AND query LIKE 'COPY%'"
        frozen="state = 'active' AND wait_event = 'ClientRead' AND query LIKE 'COPY%'" ;;
    commit) # rows and base state written, before the job update and COMMIT: the base state
        # insert waits for our uncommitted row_state row of the same key
        local kh
        kh="$(grep -m1 '"t":"change"' "$BATS_TEST_TMPDIR/a.stream" | jq -r .kh)"
        hold "$DB" "INSERT INTO sync_metadata.row_state (host_id, client_id, table_name, key_hash, key_json, src_hash)
              VALUES ('${client^^}', '$client', 'chat', decode('$kh', 'hex'), '[]', '\\x00')"
        blocked="wait_event_type = 'Lock' AND query LIKE '%INSERT INTO sync_metadata.row_state%'"
        frozen="state = 'idle in transaction' AND query LIKE '%INSERT INTO sync_metadata.row_state%'" ;;
    *) return 1 ;;
    esac
    load_a "$A_DSN" --idle-timeout 600 &
    wait_for 60 writer_is "$blocked"
    kill -STOP "$(cat "$BATS_TEST_TMPDIR/a.pid")"
    wait_for 10 stopped a
    release
    wait_for 30 writer_is "$frozen"
}

# take_over CLIENT — node-b's timer fires every 0.1 s (wait_for) until node-b leads; then its
# stages and load run. Prints the measurements.
take_over() {
    local client="$1" w="$BATS_TEST_TMPDIR" a_exp t0 t1
    a_exp="$(head -n1 "$w/a.stream" | jq -r .expires_at)"
    : >"$w/b.gates"
    wait_for $((TTL_A + 60)) gate_b "$client" "${client^^}"
    cat "$w/b.gates"
    # the first gate after node-a's expiry took the lease: none found the row locked
    ! grep -q 'lease row locked' "$w/b.gates"
    TAKEOVER_S="$(admin "SELECT round(extract(epoch FROM acquired_at - '$a_exp'::timestamptz)::numeric, 3)
                          FROM sync_metadata.leader_election WHERE cluster_id = '${client^^}'")"
    t0="$(date +%s.%N)"
    run timeout 120 bash -c "'$(tool load)' --dsn '$DSN' --state-dir '$w/state-node-b' <'$w/b.stream'" \
        3>&- </dev/null
    t1="$(date +%s.%N)"
    echo "node-b's load: $output"
    [ "$status" = 0 ]
    LOAD_B_S="$(awk "BEGIN { printf \"%.3f\", $t1 - $t0 }")"
}

report() { # report POINT — one line for the man page's numbers
    local line="$1: node-a TTL ${TTL_A}s; node-b took over ${TAKEOVER_S}s after node-a's expiry (gate polled every 0.1s), its load took ${LOAD_B_S}s; node-a had committed $FROZEN_ROWS rows; resumed: $(grep -o 'sync-load: error: .*' "$BATS_TEST_TMPDIR/a.err" | head -c 140)"
    echo "# $line" >&3
    [[ -z "${FENCE_REPORT:-}" ]] || echo "$line" >>"$FENCE_REPORT"
}

# frozen POINT CLIENT [cut] — the whole scenario for one freeze point.
frozen() {
    local point="$1" client="$2" cut="${3:-}" w="$BATS_TEST_TMPDIR"
    tenant "$client" "${client^^}" 400
    A_DSN="$DSN"
    if [[ -n "$cut" ]]; then
        python3 "$BATS_TEST_DIRNAME/../lib/stallproxy.py" "$PGPORT" "$w/proxy.port" 3>&- &
        echo $! >"$w/proxy.pid"
        wait_for 10 test -s "$w/proxy.port"
        A_DSN="host=127.0.0.1 port=$(cat "$w/proxy.port") dbname=$DB user=sync_service"
        # the same password, for the proxy's port
        sed "s/^127\.0\.0\.1:$PGPORT:/127.0.0.1:$(cat "$w/proxy.port"):/" "$SERVICE_PASSFILE" >"$w/proxy.pgpass"
        chmod 600 "$w/proxy.pgpass"
        export A_PASSFILE="$w/proxy.pgpass"
    fi
    upstream node-a "$client" "${client^^}" "$TTL_A" a
    if [[ -n "$cut" ]]; then
        freeze_or_cut "$point" "$client"
    else
        freeze_at "$point" "$client"
    fi
    FROZEN_ROWS="$(admin "SELECT count(*) FROM $client.chat")" # what node-a committed before it froze
    # not even the frozen one holds the lease row: row locks show in pg_locks only when waited for,
    # so ask the row itself
    [ "$(admin "SELECT 1 FROM sync_metadata.leader_election WHERE cluster_id = '${client^^}' FOR UPDATE NOWAIT")" = 1 ]
    # the source changes meanwhile: node-b must write the new values, and node-a's old ones must
    # never overwrite them
    sqlite3 "$w/$client.db" "UPDATE chat SET title = 'by node-b', updated_at = updated_at + 100000;
                             INSERT INTO chat VALUES ('zz-new', 'new', 'row', 1);"
    take_over "$client"
    local after_b
    after_b="$(table_of "$client")"
    [ "$after_b" = "$(source_of "$client")" ]

    if [[ -n "$cut" ]]; then
        kill -USR2 "$(cat "$w/proxy.pid")"
    else
        kill -CONT "$(cat "$w/a.pid")"
    fi
    wait_for 60 test -s "$w/a.status"
    cat "$w/a.err"
    report "$point${cut:+ (network cut)}"
    [ "$(cat "$w/a.status")" = 11 ]
    grep -q 'sync-load: error: .*no longer current' "$w/a.err"
    # node-a committed nothing after node-b took over: the data is what the single writer left
    [ "$(table_of "$client")" = "$after_b" ]
    run -0 admin "SELECT string_agg(DISTINCT node_name || ':' || epoch || ':' || status, ',')
                    FROM sync_metadata.sync_jobs WHERE client_id = '$client' AND status = 'success'"
    [ "$output" = "node-b:2:success" ]
    # and the next run of node-b converges with nothing left to do
    upstream node-b "$client" "${client^^}" 20 c
    run -0 "$(tool load)" --dsn "$DSN" --state-dir "$w/state-node-b" <"$w/c.stream"
    grep -q '0 inserts, 0 updates, 0 deletes' "$w/c.up.err"
    [ "$(table_of "$client")" = "$(source_of "$client")" ]
}

# freeze_or_cut POINT CLIENT — as freeze_at, but the network between node-a and PostgreSQL is
# cut instead: node-a's process keeps running and waits for an answer that does not come.
freeze_or_cut() {
    local point="$1" client="$2" w="$BATS_TEST_TMPDIR"
    [ "$point" = copy ]
    hold "$DB" "LOCK TABLE $client.chat IN SHARE MODE"
    load_a "$A_DSN" --idle-timeout 600 &
    wait_for 60 writer_is "wait_event_type = 'Lock' AND query LIKE 'COPY%'"
    kill -USR1 "$(cat "$w/proxy.pid")"
    wait_for 10 grep -qx cut "$w/proxy.port.state"
    release
    wait_for 30 writer_is "state = 'active' AND wait_event = 'ClientRead' AND query LIKE 'COPY%'"
}

@test "fencing: frozen just after the fence check, beyond the TTL: node-b takes over at once, node-a commits nothing" {
    frozen fence fza
    [ "$FROZEN_ROWS" = 0 ]
    run -0 admin "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = 'fza' AND node_name = 'node-a' AND status = 'success'"
    [ "$output" = 0 ]
}

@test "fencing: frozen inside a COPY, beyond the TTL: node-b takes over at once, node-a commits nothing" {
    frozen copy fzc
    [ "$FROZEN_ROWS" = 0 ]
}

@test "fencing: frozen before its commit, beyond the TTL: node-b takes over at once, node-a commits nothing" {
    frozen commit fzk
    [ "$FROZEN_ROWS" = 0 ]
}

@test "fencing: frozen between batches, beyond the TTL: node-b takes over at once, node-a writes no further batch" {
    local w="$BATS_TEST_TMPDIR"
    # rows of 5 kB and --batch-bytes 4096: every change is a batch of its own, committed before
    # the next change is read
    tenant fzb FZB 400 5000
    A_DSN="$DSN"
    upstream node-a fzb FZB "$TTL_A" a
    # node-a's input comes in three parts. A batch opens once 4096 bytes wait in sync-load's
    # read-ahead buffer (or the input ended), so the first batch opens only when the second part
    # arrives; when sync-load has read that part too, the next batch waits for input with no
    # transaction open: between batches
    local first k
    first="$(grep -n -m1 '"t":"change"' "$w/a.stream" | cut -d: -f1)"
    k=$((first + 20))
    mkfifo "$w/go1" "$w/go2"
    printf 'head -n %d "%s"; read -r _ <"%s"; sed -n %d,%dp "%s"; read -r _ <"%s"; tail -n +%d "%s"\n' \
        "$k" "$w/a.stream" "$w/go1" $((k + 1)) $((k + 20)) "$w/a.stream" "$w/go2" $((k + 21)) "$w/a.stream" \
        >"$w/a.feed.sh"
    load_a "$A_DSN" --idle-timeout 600 --batch-bytes 4096 &
    wait_for 60 writer_is "state = 'idle'"
    echo >"$w/go1"
    wait_for 60 rows_in fzb
    wait_for 60 writer_is "state = 'idle'"
    kill -STOP "$(cat "$w/a.pid")"
    wait_for 10 stopped a
    echo >"$w/go2"
    FROZEN_ROWS="$(admin "SELECT count(*) FROM fzb.chat")"
    ((FROZEN_ROWS > 0 && FROZEN_ROWS < 400))
    sqlite3 "$w/fzb.db" "UPDATE chat SET title = 'by node-b', updated_at = updated_at + 100000;
                         INSERT INTO chat VALUES ('zz-new', 'new', 'row', 1);"
    take_over fzb
    local after_b
    after_b="$(table_of fzb)"
    [ "$after_b" = "$(source_of fzb)" ]
    kill -CONT "$(cat "$w/a.pid")"
    wait_for 60 test -s "$w/a.status"
    cat "$w/a.err"
    report "between batches"
    [ "$(cat "$w/a.status")" = 11 ]
    [ "$(table_of fzb)" = "$after_b" ]
    run -0 admin "SELECT status FROM sync_metadata.sync_jobs WHERE client_id = 'fzb' AND node_name = 'node-a'"
    [[ "$output" != success ]]
}

@test "fencing: network cut inside a COPY (a proxy that stops forwarding): node-b takes over at once, node-a commits nothing" {
    frozen copy fzn cut
    [ "$FROZEN_ROWS" = 0 ]
}

@test "fencing: a load whose lease expired while it was frozen before its commit, with no other node, commits nothing" {
    local w="$BATS_TEST_TMPDIR"
    tenant fzx FZX 400
    A_DSN="$DSN"
    upstream node-a fzx FZX "$TTL_A" a
    freeze_at commit fzx
    local exp
    exp="$(head -n1 "$w/a.stream" | jq -r .expires_at)"
    wait_for $((TTL_A + 30)) expired "$exp"
    kill -CONT "$(cat "$w/a.pid")"
    wait_for 60 test -s "$w/a.status"
    cat "$w/a.err"
    # nobody took over and ended it: its own commit-time check refused
    [ "$(cat "$w/a.status")" = 11 ]
    grep -q 'sync-load: error: lease epoch 1 of node-a on cluster FZX is no longer current (now epoch 1, holder node-a, expired)' "$w/a.err"
    [ "$(admin "SELECT count(*) FROM fzx.chat")" = 0 ]
    [ "$(admin "SELECT count(*) FROM sync_metadata.row_state WHERE client_id = 'fzx'")" = 0 ]
}

@test "backend terminated mid-load: no partial batch, no lock left behind, the next run converges" {
    local w="$BATS_TEST_TMPDIR"
    tenant fzt FZT 400
    A_DSN="$DSN"
    upstream node-a fzt FZT 20 a
    freeze_at fence fzt
    run -0 admin "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                   WHERE datname = current_database() AND application_name LIKE 'sync-load%'"
    [ "$output" = 1 ]
    kill -CONT "$(cat "$w/a.pid")"
    wait_for 60 test -s "$w/a.status"
    cat "$w/a.err"
    [ "$(cat "$w/a.status")" = 75 ] # the lease is still ours: retry later
    [ "$(admin "SELECT count(*) FROM fzt.chat")" = 0 ]
    run -0 admin "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                   WHERE c.relname IN ('leader_election', 'chat', 'client_deployments', 'sync_jobs')"
    [ "$output" = 0 ]
    run -0 admin "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
    [ "$output" = 0 ]
    # the next run (same node, renewed lease) converges
    upstream node-a fzt FZT 20 b
    run -0 "$(tool load)" --dsn "$DSN" --state-dir "$w/state-node-a" <"$w/b.stream"
    [ "$(table_of fzt)" = "$(source_of fzt)" ]
}

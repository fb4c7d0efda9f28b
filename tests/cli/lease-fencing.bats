#!/usr/bin/env bats
# Fencing with the real pipeline: a leader whose sync-load is frozen (SIGSTOP, the test hook
# SYNCPIPE_TEST_STOP_AT of sync-load(1)) beyond the lease TTL must commit nothing after node-b took
# over, and must exit 11 (fenced) when it resumes; the data ends up as a single writer would leave it.
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/lease-fencing.bats

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
    export DSN="host=127.0.0.1 port=$PGPORT dbname=$DB user=sync_service"
}

teardown_file() {
    dropdb --if-exists --force -- "$DB"
}

teardown() {
    # a load this test froze and did not resume (the test failed early): resume and end it, by its id
    local f pid
    for f in "$BATS_TEST_TMPDIR"/*.loadpid; do
        [[ -s "$f" ]] || continue
        pid="$(cat "$f")"
        kill -CONT "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
    done
}

admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 --single-transaction -d "$DB" -f -
}

tool() { printf '%s/tools/%s/sync-%s' "$SYNCPIPE_BUILD" "$1" "$1"; }

# tenant CLIENT CLUSTER ROWS — a SQLite file with ROWS rows (~200 bytes each), provisioned by the admin.
tenant() {
    local src="$BATS_TEST_TMPDIR/$1.db"
    python3 - "$src" "$3" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT, body TEXT, updated_at INTEGER)')
db.executemany('INSERT INTO chat VALUES (?, ?, ?, ?)',
               [(f'c{i:05d}', f'title {i}', 'x' * 150 + str(i), i) for i in range(int(sys.argv[2]))])
db.commit()
PY
    "$(tool snapshot)" --client "$1" --no-lease --host "$2" "$src" 2>/dev/null |
        "$(tool load)" --provision --dsn "dbname=$DB" 2>/dev/null
}

# node NODE CLIENT CLUSTER TTL STOP TAG [sync-load args...] — one pipeline run of NODE, in the
# background when the caller adds &; sync-load's pid goes to TAG.loadpid, every stage's exit status
# to TAG.status.
node() {
    local node="$1" client="$2" cluster="$3" ttl="$4" stop="$5" tag="$6"
    shift 6
    local w="$BATS_TEST_TMPDIR" state="$BATS_TEST_TMPDIR/state-$1"
    mkdir -p "$state"
    (
        set +e
        export PGPASSFILE="$SERVICE_PASSFILE"
        "$(tool lease)" gate --dsn "$DSN" --cluster "$cluster" --node "$node" --ttl "$ttl" |
            "$(tool snapshot)" --client "$client" "$w/$client.db" |
            "$(tool diff)" --dsn "$DSN" --state-dir "$state" |
            "$(tool resolve)" |
            SYNCPIPE_TEST_STOP_AT="$stop" bash -c 'echo $$ >"$0"; exec "$@"' "$w/$tag.loadpid" \
                "$(tool load)" --dsn "$DSN" --state-dir "$state" "$@"
        echo "${PIPESTATUS[*]}" >"$w/$tag.status"
    ) >"$w/$tag.out" 2>"$w/$tag.err" 3>&-
}

stopped() { grep -qE '^State:[[:space:]]+T' "/proc/$(cat "$BATS_TEST_TMPDIR/$1.loadpid" 2>/dev/null)/status" 2>/dev/null; }


table_of() { # table_of CLIENT — the tenant table as PostgreSQL has it
    admin "SELECT string_agg(id || '|' || title || '|' || body || '|' || updated_at, E'\n' ORDER BY id) FROM $1.chat"
}

source_of() { # source_of CLIENT — the same from the SQLite file
    sqlite3 "$BATS_TEST_TMPDIR/$1.db" "SELECT id || '|' || title || '|' || body || '|' || updated_at FROM chat ORDER BY id"
}

# frozen CLIENT STOP [sync-load args] — the scenario: node-a's load freezes at STOP, the lease
# expires, node-b syncs the changed source, node-a resumes.
frozen() {
    local client="$1" stop="$2"
    shift 2
    tenant "$client" "${client^^}" 400
    node node-a "$client" "${client^^}" 2 "$stop" a "$@" --idle-timeout 1 &
    local runner=$!
    wait_for 30 stopped a
    FROZEN_ROWS="$(admin "SELECT count(*) FROM $client.chat")" # what node-a committed before it froze
    # the source changes while node-a is frozen: node-b must write the new values, and node-a's old
    # ones must never overwrite them
    sqlite3 "$BATS_TEST_TMPDIR/$client.db" "UPDATE chat SET title = 'by node-b', updated_at = updated_at + 100000;
                                             INSERT INTO chat VALUES ('zz-new', 'new', 'row', 1);"
    sleep 2.5 # beyond node-a's TTL (2 s) and its idle_in_transaction_session_timeout (1 s)
    node node-b "$client" "${client^^}" 20 none b
    cat "$BATS_TEST_TMPDIR/b.err"
    [ "$(cat "$BATS_TEST_TMPDIR/b.status")" = "0 0 0 0 0" ]
    local after_b
    after_b="$(table_of "$client")"
    [ "$after_b" = "$(source_of "$client")" ]

    kill -CONT "$(cat "$BATS_TEST_TMPDIR/a.loadpid")"
    wait "$runner"
    cat "$BATS_TEST_TMPDIR/a.err"
    echo "# $stop: node-a had committed $FROZEN_ROWS of 400 rows when it froze; on resuming: $(grep -o 'sync-load: error: .*' "$BATS_TEST_TMPDIR/a.err" | head -c 160)" >&3
    [ "$(cat "$BATS_TEST_TMPDIR/a.status")" = "0 0 0 0 11" ] # gate snapshot diff resolve load
    grep -q 'sync-load: error: .*no longer current' "$BATS_TEST_TMPDIR/a.err"
    # node-a committed nothing after node-b took over: the data is what the single writer left
    [ "$(table_of "$client")" = "$after_b" ]
    run -0 admin "SELECT string_agg(DISTINCT node_name || ':' || epoch || ':' || status, ',')
                    FROM sync_metadata.sync_jobs WHERE client_id = '$client' AND status = 'success'"
    [ "$output" = "node-b:2:success" ]
    # and the next run converges with nothing left to do
    node node-b "$client" "${client^^}" 20 none c
    [ "$(cat "$BATS_TEST_TMPDIR/c.status")" = "0 0 0 0 0" ]
    grep -q '0 inserts, 0 updates, 0 deletes' "$BATS_TEST_TMPDIR/c.err"
    [ "$(table_of "$client")" = "$(source_of "$client")" ]
}

@test "fencing: node-a's load frozen between its fence check and commit, beyond the TTL, commits nothing" {
    frozen fza fence
    [ "$FROZEN_ROWS" = 0 ]
    # it never got to write anything: no job of node-a at all, or a failed/fenced one
    run -0 admin "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = 'fza' AND node_name = 'node-a' AND status = 'success'"
    [ "$output" = 0 ]
}

@test "fencing: node-a's load frozen between batches, beyond the TTL, writes no further batch" {
    frozen fzb batch --batch-bytes 8192
    ((FROZEN_ROWS > 0 && FROZEN_ROWS < 400))
    # its first batch was committed while it still held the lease; then it stopped
    run -0 admin "SELECT status FROM sync_metadata.sync_jobs WHERE client_id = 'fzb' AND node_name = 'node-a'"
    [[ "$output" != success ]]
}

@test "backend terminated mid-load: no partial batch, no lock left behind, the next run converges" {
    tenant fzc FZC 400
    node node-a fzc FZC 20 fence a --batch-bytes 8192 &
    local runner=$!
    wait_for 30 stopped a
    # inside its first write transaction, holding FOR SHARE on the lease row: the server goes away
    run -0 admin "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                   WHERE c.relname = 'leader_election' AND l.mode = 'RowShareLock' AND l.granted"
    [ "$output" -ge 1 ]
    run -0 admin "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                   WHERE datname = current_database() AND application_name = 'sync-load'"
    [ "$output" = 1 ]
    kill -CONT "$(cat "$BATS_TEST_TMPDIR/a.loadpid")"
    wait "$runner"
    cat "$BATS_TEST_TMPDIR/a.err"
    [ "$(cat "$BATS_TEST_TMPDIR/a.status")" = "0 0 0 0 75" ] # the lease is still ours: retry later
    [ "$(admin "SELECT count(*) FROM fzc.chat")" = 0 ]
    run -0 admin "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                   WHERE c.relname IN ('leader_election', 'chat', 'client_deployments', 'sync_jobs')"
    [ "$output" = 0 ]
    run -0 admin "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
    [ "$output" = 0 ]
    # the next run (same node, renewed lease) converges
    node node-a fzc FZC 20 none b
    cat "$BATS_TEST_TMPDIR/b.err"
    [ "$(cat "$BATS_TEST_TMPDIR/b.status")" = "0 0 0 0 0" ]
    [ "$(table_of fzc)" = "$(source_of fzc)" ]
}

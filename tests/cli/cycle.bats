#!/usr/bin/env bats
# syncpipe-cycle (issues 12 and 13): due-only scheduling, --force, tenants in parallel, unchanged tenants
# recorded without running the pipeline, and no silent failure — with the real stages, real PostgreSQL and
# tenant files generated from the Open WebUI fixtures.
#
#   SYNCPIPE_BUILD=/path/to/build SHARED_DIR=/work/shared tests/lib/pgcluster.sh run bats tests/cli/cycle.bats
#
# Each test uses its own cluster (= host) id and tenants, so tests do not disturb each other.

bats_require_minimum_version 1.5.0
source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"
source "$BATS_TEST_DIRNAME/../lib/helpers.bash"

setup_file() {
    pgcluster_require || return 1
    export B="${SYNCPIPE_BUILD:?}" SHARED="${SHARED_DIR:-$BATS_TEST_DIRNAME/../../../shared}"
    export GEN="$B/tests/gen/syncpipe-gen" CYCLE="$BATS_TEST_DIRNAME/../../systemd/syncpipe-cycle"
    pgcluster_service_db cycle || return 1
    export BIN="$BATS_FILE_TMPDIR/bin"
    mkdir -p "$BIN"
    local t
    for t in lease snapshot diff resolve load jobs status; do
        [[ -x "$B/tools/$t/sync-$t" ]] || { echo "not built: sync-$t" >&2; return 1; }
        ln -sf "$B/tools/$t/sync-$t" "$BIN/"
    done
    # one generated tenant file, copied for every tenant
    "$GEN" create --schema-sql "$SHARED/fixtures/openwebui/webui-schema.sql" --out "$BATS_FILE_TMPDIR/tiny.db" \
        --users 1 --chats-per-user 3 --messages-per-chat 0 --channel-messages 4 >/dev/null
}

teardown_file() { dropdb --if-exists --force -- "$DB"; }

setup() {
    W="$BATS_TEST_TMPDIR"
    C="c${BATS_TEST_NUMBER}x$RANDOM" # this test's cluster
    mkdir -p "$W/state"
}

# a failed "parallel" test must not leave its held tenant (and so the cycle) waiting forever
teardown() { touch "$W/go"; }

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
# tenant NAME — a tenant of cluster $C from the fixture, provisioned (an admin act)
tenant() {
    cp "$BATS_FILE_TMPDIR/tiny.db" "$W/$1.db"
    "$B/tools/snapshot/sync-snapshot" --client "$1" --no-lease --host "$C" "$W/$1.db" 2>/dev/null |
        "$B/tools/load/sync-load" --provision --dsn "dbname=$DB" 2>/dev/null
}
# node_env CMD... — what a node's syncpipe@.service gives its cycle
node_env() {
    env PGHOST=127.0.0.1 PGPORT="$PGPORT" PGDATABASE="$DB" PGUSER=sync_service PGPASSFILE="$SERVICE_PASSFILE" \
        SYNCPIPE_BINDIR="${BINDIR:-$BIN}" STATE_DIRECTORY="$W/state" "$@"
}
cycle() { node_env "${@:2}" "$CYCLE" "$C" "${1:-node-a}"; } # cycle [NODE [VAR=VALUE...]]
force() { node_env "$CYCLE" --force "$C" "$@"; }             # force [CLIENT...]
jobs_of() { # jobs_of CLIENT — "status,status,..." oldest first
    q "SELECT string_agg(status, ',' ORDER BY job_id) FROM sync_metadata.sync_jobs WHERE client_id = '$1'"
}
writes() { q "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname ~ '$1'"; }
flush_stats() { q "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true; }
# settled FILE... — every file's last change (ctime) is older than the fingerprint's settle margin (2 s)
settled() {
    local f now
    now="$(date +%s)"
    for f in "$@"; do
        [[ -e "$f" ]] || continue
        (($(stat -c %Z "$f") < now - 2)) || return 1
    done
}
fingerprint() { q "SELECT coalesce(source_fingerprint, 'NULL') FROM sync_metadata.client_deployments WHERE client_id = '$1'"; }

@test "due-only: never-synced tenants run; within their interval they do not; a failed one is due again" {
    tenant "${C}a"
    tenant "${C}b"
    run cycle
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"tenant ${C}a: exit 0 "* && "$output" == *"tenant ${C}b: exit 0 "* ]]
    [[ "$output" == *"2 enabled tenants, 2 due: 0 unchanged since their last success (recorded), 2 to run"* ]]

    run -0 cycle # within the 60 s interval: nothing runs, nothing is written
    [[ "$output" == *"no tenant due"* ]]
    [ "$(jobs_of "${C}a")" = success ]

    # the interval has passed for a (its last success began 61 s ago): a runs, b does not
    q "UPDATE sync_metadata.sync_jobs SET started_at = started_at - interval '61 seconds' WHERE client_id = '${C}a'"
    sqlite3 "$W/${C}a.db" "UPDATE chat SET title = 'new title' WHERE rowid = 1"
    run -0 cycle
    [[ "$output" == *"tenant ${C}a: exit 0 "* ]]
    [[ "$output" != *"tenant ${C}b:"* ]]
    [ "$(q "SELECT count(*) FROM \"${C}a\".chat WHERE title = 'new title'")" = 1 ]
    [ "$(jobs_of "${C}a")" = success,success ]

    # a failed run makes the tenant due at the next cycle, whatever its interval
    mv "$W/${C}b.db" "$W/${C}b.moved"
    run -0 force "${C}b"
    run cycle
    [ "$status" -eq 66 ]
    [ "$(jobs_of "${C}b")" = success,failed ]
    mv "$W/${C}b.moved" "$W/${C}b.db"
    run -0 cycle
    [[ "$output" == *"tenant ${C}b: exit 0 "* ]]
    [[ "$output" != *"tenant ${C}a:"* ]]
    [ "$(jobs_of "${C}b")" = success,failed,success ]
}

@test "--force: one tenant, or all; an unknown tenant is refused; the standby only records the request" {
    tenant "${C}a"
    tenant "${C}b"
    run -0 cycle
    run -64 force nosuchtenant
    [[ "$output" == *"nosuchtenant is not an enabled tenant of host $C; nothing requested"* ]]
    run -0 force "${C}b"
    run -10 cycle node-b # standby: runs nothing, the request stays for the leader
    [ "$(q "SELECT count(*) FROM sync_metadata.client_deployments WHERE sync_requested_at IS NOT NULL AND host_id = '$C'")" = 1 ]
    run -0 cycle
    [[ "$output" == *"tenant ${C}b: exit 0 "* ]]
    [[ "$output" != *"tenant ${C}a:"* ]]
    [ "$(q "SELECT count(*) FROM sync_metadata.client_deployments WHERE sync_requested_at IS NOT NULL AND host_id = '$C'")" = 0 ]
    run -0 force # all of them
    run -0 cycle
    [[ "$output" == *"tenant ${C}a: exit 0 "* && "$output" == *"tenant ${C}b: exit 0 "* ]]
    [ "$(jobs_of "${C}a")" = success,success ]
    run -64 node_env "$CYCLE" --force
    run -64 node_env "$CYCLE" "$C"
}

@test "unchanged tenants: recorded as synced without the pipeline, zero writes to tenant tables" {
    tenant "${C}a"
    tenant "${C}b"
    wait_for 10 settled "$W/${C}a.db" "$W/${C}b.db"
    run -0 cycle
    [[ "$(fingerprint "${C}a")" == "fp1 db="*" wal=none" ]]
    q "UPDATE sync_metadata.sync_jobs SET started_at = started_at - interval '61 seconds' WHERE client_id LIKE '${C}%'"
    flush_stats
    local w0
    w0="$(writes "^${C}")"
    run -0 cycle
    echo "$output"
    [[ "$output" == *"2 due: 2 unchanged since their last success (recorded), 0 to run"* ]]
    [[ "$output" != *"sync-snapshot"* ]]
    [ "$(jobs_of "${C}a")" = success,success ]
    flush_stats
    [ "$(writes "^${C}")" = "$w0" ]
    # the unchanged run counts as the last success: not due again within the interval
    run -0 cycle
    [[ "$output" == *"no tenant due"* ]]
    # sync-status sees a healthy, freshly synced tenant
    run -0 node_env "$BIN/sync-status" --host "$C" --client "${C}a"
}

# Each case changes the file in a way that a weak proof (mtime, size) would miss, then checks that the
# next due cycle runs the pipeline and PostgreSQL gets the change.
@test "fingerprint: a change is seen through equal mtime and size, a WAL-only write, a checkpoint, a restore" {
    local f="$W/${C}a.db" title
    tenant "${C}a"
    due() { q "UPDATE sync_metadata.sync_jobs SET started_at = started_at - interval '61 seconds' WHERE client_id = '${C}a'"; }
    pg_title() { q "SELECT title FROM \"${C}a\".chat WHERE id = (SELECT min(id) FROM \"${C}a\".chat)"; }
    set_title() { sqlite3 "$f" "UPDATE chat SET title = '$1' WHERE id = (SELECT min(id) FROM chat)"; }
    wait_for 10 settled "$f"
    run -0 cycle
    [ "$(fingerprint "${C}a")" != NULL ]

    # rollback journal: same size (a title of the same length), mtime put back — the change counter (and
    # ctime) still differ
    cp -p "$f" "$W/before.db"
    sqlite3 "$f" "UPDATE chat SET title = 'A' || substr(title, 2) WHERE id = (SELECT min(id) FROM chat)"
    touch -r "$W/before.db" "$f"
    [ "$(stat -c '%s %Y' "$f")" = "$(stat -c '%s %Y' "$W/before.db")" ]
    wait_for 10 settled "$f"
    due
    run -0 cycle
    [[ "$output" == *"1 to run"* ]]
    title="$(sqlite3 "$f" "SELECT title FROM chat WHERE id = (SELECT min(id) FROM chat)")"
    [[ "$title" == A* ]]
    [ "$(pg_title)" = "$title" ]

    # a write that stays in the WAL (no checkpoint on close): the database file is untouched
    sqlite3 "$f" "PRAGMA journal_mode = WAL" >/dev/null
    wait_for 10 settled "$f" "$f-wal"
    due
    run -0 cycle # the switch to WAL changed the header: one run, nothing to load
    cp -p "$f" "$W/before.db"
    sqlite3 -cmd ".dbconfig no_ckpt_on_close on" "$f" "UPDATE chat SET title = 'BBBB' WHERE id = (SELECT min(id) FROM chat)"
    [ -s "$f-wal" ]
    cmp -s "$f" "$W/before.db" # the database file itself did not change
    wait_for 10 settled "$f" "$f-wal"
    due
    run -0 cycle
    [[ "$output" == *"1 to run"* ]]
    [ "$(pg_title)" = BBBB ]

    # a checkpoint moves the WAL into the file: content unchanged, but the proof is gone, so it runs once
    wait_for 10 settled "$f" "$f-wal"
    due
    run -0 cycle
    [[ "$output" == *"1 unchanged"* ]]
    sqlite3 "$f" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
    wait_for 10 settled "$f" "$f-wal"
    flush_stats
    local w0
    w0="$(writes "^${C}a$")"
    due
    run -0 cycle
    [[ "$output" == *"1 to run"* ]]
    flush_stats
    [ "$(writes "^${C}a$")" = "$w0" ] # nothing changed in the content: nothing written

    # restore: an older copy put in place by rename, with the same mtime and size
    sqlite3 "$f" "PRAGMA journal_mode = DELETE" >/dev/null
    cp -p "$f" "$W/backup.db"
    set_title "CCCC"
    wait_for 10 settled "$f"
    due
    run -0 cycle
    [ "$(pg_title)" = CCCC ]
    touch -r "$f" "$W/backup.db"
    mv "$W/backup.db" "$f"
    wait_for 10 settled "$f"
    due
    run -0 cycle
    [[ "$output" == *"1 to run"* ]]
    [ "$(pg_title)" = BBBB ]
}

@test "fingerprint: none is kept for a file written within the settle margin, or when the base moved on" {
    local f="$W/${C}a.db"
    tenant "${C}a"
    touch -d 'now + 1 hour' "$f" # a timestamp that is not yet 2 s old when the snapshot starts
    run -0 cycle
    [ "$(fingerprint "${C}a")" = NULL ]
    touch -d '1 hour ago' "$f" # mtime in the past, but ctime is now: still too fresh
    run -0 force "${C}a"
    run -0 cycle
    [ "$(fingerprint "${C}a")" = NULL ]
    wait_for 10 settled "$f"
    run -0 force "${C}a"
    run -0 cycle
    [ "$(fingerprint "${C}a")" != NULL ]
    # another node (or anything else) advances the base generation: the fingerprint no longer applies
    cp "$f" "$W/other.db"
    sqlite3 "$W/other.db" "UPDATE chat SET title = 'other' WHERE id = (SELECT min(id) FROM chat)"
    "$B/tools/snapshot/sync-snapshot" --client "${C}a" --no-lease --host "$C" --state-dir "$W/other" "$W/other.db" 2>/dev/null |
        "$B/tools/diff/sync-diff" --dsn "$SVC" --no-cache 2>/dev/null | "$B/tools/resolve/sync-resolve" 2>/dev/null |
        "$B/tools/load/sync-load" --dsn "$SVC" --no-cache 2>/dev/null
    [ "$(fingerprint "${C}a")" = NULL ]
    q "UPDATE sync_metadata.sync_jobs SET started_at = started_at - interval '61 seconds' WHERE client_id = '${C}a'"
    run -0 cycle
    [[ "$output" == *"1 to run"* ]]
    [ "$(q "SELECT title FROM \"${C}a\".chat WHERE id = (SELECT min(id) FROM \"${C}a\".chat)")" != other ]
}

# sync-load for tenant "<cluster>0slow" waits for a file the test creates: a tenant that is slow for as
# long as the test wants, without any timing assumption.
@test "parallel: a slow tenant delays no other; each tenant's lines carry its id" {
    local t
    export BINDIR="$W/bin"
    mkdir -p "$BINDIR"
    for t in lease snapshot diff resolve jobs status; do ln -s "$B/tools/$t/sync-$t" "$BINDIR/"; done
    cat >"$BINDIR/sync-load" <<EOF
#!/usr/bin/env bash
f="\$(mktemp "$W/load.XXXXXX")"
cat >"\$f"
if sed -n 2p "\$f" | grep -q '"client":"${C}0slow"'; then
    while [[ ! -e "$W/go" ]]; do sleep 0.05; done
fi
exec "$B/tools/load/sync-load" <"\$f"
EOF
    chmod +x "$BINDIR/sync-load"
    for t in 0slow a b c d; do tenant "$C$t"; done
    cycle node-a SYNCPIPE_JOBS=2 >"$W/cycle.log" 2>&1 &
    local pid=$!
    done4() { [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id IN ('${C}a', '${C}b', '${C}c', '${C}d') AND status = 'success'")" = 4 ]; }
    # the slow tenant sorts first, so it takes the first slot: one tenant at a time would stall here
    wait_for 60 done4 # all four others finished while the slow one is still held
    [ "$(jobs_of "${C}0slow")" = "" ]
    touch "$W/go"
    wait "$pid"
    cat "$W/cycle.log"
    [ "$(jobs_of "${C}0slow")" = success ]
    grep -q "^\[${C}a\] sync-load: ${C}a: " "$W/cycle.log"
    grep -q "^\[${C}0slow\] sync-load: ${C}0slow: " "$W/cycle.log"
    # every line says whose it is: a tenant's, or the cycle's own (gate, due list)
    run ! grep -v -e '^\[' -e '^syncpipe-cycle: ' -e '^sync-lease: ' -e '^sync-jobs: ' "$W/cycle.log"
    # the slow tenant ended last
    [ "$(grep -o "tenant ${C}[0-9a-z]*: exit" "$W/cycle.log" | tail -n1)" = "tenant ${C}0slow: exit" ]
}

@test "no silent failure: a corrupt and a truncated file each leave a failed job naming the cause" {
    tenant "${C}cor"
    tenant "${C}tru"
    tenant "${C}ok"
    # corrupt: garbage over the second page onwards; truncated: half the file gone
    local size
    size="$(stat -c %s "$W/${C}cor.db")"
    dd if=/dev/urandom of="$W/${C}cor.db" bs=4096 seek=1 count=$((size / 4096 - 1)) conv=notrunc 2>/dev/null
    truncate -s $(($(stat -c %s "$W/${C}tru.db") / 2)) "$W/${C}tru.db"
    run cycle
    echo "$output"
    [ "$status" -eq 65 ]
    [[ "$output" == *"tenant ${C}ok: exit 0 "* ]]
    local e
    for t in cor tru; do
        [ "$(jobs_of "$C$t")" = failed ]
        e="$(q "SELECT error FROM sync_metadata.sync_jobs WHERE client_id = '$C$t'")"
        echo "$t: $e"
        [[ "$e" == "sync-snapshot: error: "*"$W/$C$t.db"* ]]
        [[ "$e" == *"malformed"* || "$e" == *"not a database"* || "$e" == *"corrupt"* ]]
    done
    # sync-status: exit 3, the tenant shown failed with that error; the metric counts it
    run -3 node_env "$BIN/sync-status" --host "$C" --textfile "$W"
    echo "$output"
    [[ "$output" == *"${C}cor"*failed*"sync-snapshot: error: "* ]]
    grep -qx "sync_jobs_failed_total{client=\"${C}cor\"} 1" "$W/syncpipe.prom"
    grep -qx "sync_jobs_failed_total{client=\"${C}tru\"} 1" "$W/syncpipe.prom"
    grep -qx "sync_jobs_failed_total{client=\"${C}ok\"} 0" "$W/syncpipe.prom"
    # the next cycle runs them again (failed => due) and records once more
    run -65 cycle
    [ "$(jobs_of "${C}cor")" = failed,failed ]
    [[ "$output" != *"tenant ${C}ok:"* ]]
}

@test "no silent failure: a sync-diff error and a failing sync-load are recorded once, with their own cause" {
    local t
    tenant "${C}d"
    tenant "${C}l"
    run -0 cycle
    # sync-diff: a column's PostgreSQL type no longer fits its SQLite declaration (a type change stops the
    # table: sync-diff exits 1 naming it; a missing table would simply be created again)
    q "ALTER TABLE \"${C}d\".chat ALTER COLUMN title TYPE bigint USING 0"
    sqlite3 "$W/${C}d.db" "UPDATE chat SET title = 'x' WHERE id = (SELECT min(id) FROM chat)"
    # sync-load: PostgreSQL refuses the new row (a check an admin added); sync-diff sees nothing wrong
    q "ALTER TABLE \"${C}l\".tag ADD CONSTRAINT no_n CHECK (name <> 'refused-name')"
    sqlite3 "$W/${C}l.db" "INSERT INTO tag (id, name, user_id, meta) VALUES ('t-new', 'refused-name', 'u', '{}')"
    run -0 force
    run cycle
    echo "$output"
    [ "$status" -ne 0 ]
    # d: sync-load loaded the other tables (its own success), and the cycle recorded the stopped table's failure
    [ "$(jobs_of "${C}d")" = success,success,failed ]
    [ "$(jobs_of "${C}l")" = success,failed ]
    e="$(q "SELECT error FROM sync_metadata.sync_jobs WHERE client_id = '${C}d' AND status = 'failed'")"
    echo "diff: $e"
    [[ "$e" == "sync-diff: error: "* ]]
    e="$(q "SELECT error FROM sync_metadata.sync_jobs WHERE client_id = '${C}l' AND status = 'failed'")"
    echo "load: $e"
    [[ "$e" == *no_n* ]] # sync-load's own record (PostgreSQL's message), not a second one by the cycle
}

@test "no silent failure: jobs left running by a killed run are marked failed by the next cycle" {
    tenant "${C}k"
    run -0 cycle
    local epoch
    epoch="$(q "SELECT epoch FROM sync_metadata.leader_election WHERE cluster_id = '$C'")"
    # what kill -9 mid-load leaves: a running job of this node and epoch, and one of an older epoch
    q "INSERT INTO sync_metadata.sync_jobs (host_id, client_id, node_name, epoch, status, started_at)
       VALUES ('$C', '${C}k', 'node-a', $epoch, 'running', now() - interval '5 minutes'),
              ('$C', '${C}k', 'node-b', $((epoch - 1)), 'running', now() - interval '9 minutes'),
              ('$C', '${C}k', NULL, NULL, 'running', now() - interval '9 minutes')"
    run -0 cycle
    echo "$output"
    [[ "$output" == *"was still running (killed or lost mid-run); marked failed"* ]]
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = '${C}k' AND status = 'failed'
             AND error LIKE 'killed or lost mid-run: still running when node node-a began a cycle%'")" = 2 ]
    # an ad-hoc run (no epoch) is the operator's: left alone
    [ "$(q "SELECT count(*) FROM sync_metadata.sync_jobs WHERE client_id = '${C}k' AND status = 'running'")" = 1 ]
    # its last job is still the success of the first cycle: not due
    [[ "$output" == *"no tenant due"* ]]
}

@test "sync-jobs: usage errors exit 64, an unreachable server 75, a run without a lease is refused" {
    run -64 "$B/tools/jobs/sync-jobs"
    run -64 "$B/tools/jobs/sync-jobs" frobnicate
    run -64 "$B/tools/jobs/sync-jobs" fail --client x --error y </dev/null
    run -64 "$B/tools/jobs/sync-jobs" request --cluster c
    run -64 "$B/tools/jobs/sync-jobs" request --cluster c --all x
    run -65 "$B/tools/jobs/sync-jobs" due --dsn "$SVC" </dev/null
    [[ "$output" == *"expected the lease stream of sync-lease gate on stdin"* ]]
    run -75 "$B/tools/jobs/sync-jobs" request --cluster c --all \
        --dsn "host=127.0.0.1 port=1 dbname=x user=sync_service connect_timeout=2"
}

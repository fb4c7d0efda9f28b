#!/usr/bin/env bash
# demo.sh — the main job end to end on a throwaway PostgreSQL:
#   installs dependencies (root, fresh machine) if they are missing, builds,
#   starts a cluster, applies sql/, generates an Open WebUI tenant from the
#   real (peewee-born) schema, provisions it as the admin, then as
#   sync_service runs node-a's lease-gated pipeline: a full sync, changes to
#   the SQLite file, an incremental sync; and shows sync-status. Leaves
#   nothing behind.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${BUILD_DIR:-$repo/build}"
shared="${SHARED_DIR:-$repo/../shared}"
schema_sql="$shared/fixtures/openwebui/webui-schema-upgraded-from-peewee.sql"

"$repo/.ci/install-deps" --if-missing
[[ -f "$build/build.ninja" ]] || meson setup "$build" "$repo" >/dev/null
ninja -C "$build" >/dev/null

work="$(mktemp -d)"
source "$repo/tests/lib/pgcluster.sh"
trap 'pgcluster_stop >/dev/null 2>&1; rm -rf "$work"' EXIT
pgcluster_start >/dev/null
pgcluster_migrate postgres >/dev/null
pgcluster_service_password postgres >/dev/null # sync_service's password lives in a passfile only
export PGPASSFILE="$SERVICE_PASSFILE"
svc="host=127.0.0.1 port=$PGPORT dbname=postgres user=sync_service"
bin() { echo "$build/tools/$1/sync-$1"; }
db="$work/webui.db"

step() { printf '\n== %s\n' "$*"; }
step "generate a tenant from $(basename "$schema_sql")"
"$build/tests/gen/syncpipe-gen" create --schema-sql "$schema_sql" --out "$db" --users 20 --chats-per-user 25 >/dev/null
sqlite3 "$db" "SELECT 'chats: ' || count(*) FROM chat; SELECT 'chat messages: ' || count(*) FROM chat_message;"

step "provision tenant acme on host demo-host (admin)"
"$(bin snapshot)" --client acme --host demo-host --no-lease --all-rows "$db" | "$(bin load)" --provision

# One cycle of node-a as sync_service: the lease first; its epoch fences every write. Every stage uses
# the same state directory, so the snapshot leaves out the rows the last load left unchanged.
cycle() {
    "$(bin lease)" gate --cluster demo-host --node node-a --dsn "$svc" |
        "$(bin snapshot)" --client acme --state-dir "$work" "$db" |
        "$(bin diff)" --dsn "$svc" --state-dir "$work" |
        "$(bin resolve)" |
        "$(bin load)" --dsn "$svc" --state-dir "$work"
}
step "full sync"
time cycle
step "change the SQLite file: 30 inserts, 40 updates, 10 deletes"
"$build/tests/gen/syncpipe-gen" mutate --db "$db" --seed 7 --insert 30 --update 40 --delete 10 >/dev/null
step "incremental sync"
time cycle
step "node-b's gate while node-a holds the lease: standby (exit 10), prints nothing"
"$(bin lease)" gate --cluster demo-host --node node-b --dsn "$svc" || echo "exit status $?"
step "sync-status"
"$(bin status)" --dsn "$svc" --host demo-host
step "node_exporter textfile metrics (sync-status --textfile)"
"$(bin status)" --dsn "$svc" --host demo-host --textfile "$work"
grep -v '^#' "$work/syncpipe.prom"

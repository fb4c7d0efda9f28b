#!/usr/bin/env bash
# demo.sh — the main job end to end on a throwaway PostgreSQL:
#   installs dependencies (root, fresh machine) if they are missing, builds,
#   starts a cluster, applies sql/, generates an Open WebUI tenant from the
#   real schema, provisions it, runs a full sync, changes the SQLite file,
#   runs an incremental sync, and shows sync-status. Leaves nothing behind.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${BUILD_DIR:-$repo/build}"
shared="${SHARED_DIR:-$repo/../shared}"
schema_sql="$shared/fixtures/openwebui/webui-schema-upgraded-from-peewee.sql"

if ! command -v meson >/dev/null || ! command -v scdoc >/dev/null || ! pkg-config --exists simdjson libxxhash; then
    "$repo/.ci/install-deps"
fi
[[ -f "$build/build.ninja" ]] || meson setup "$build" "$repo" >/dev/null
ninja -C "$build" >/dev/null

work="$(mktemp -d)"
source "$repo/tests/lib/pgcluster.sh"
trap 'pgcluster_stop >/dev/null 2>&1; rm -rf "$work"' EXIT
pgcluster_start >/dev/null
pgcluster_migrate postgres >/dev/null
export SYNCPIPE_HOST=demo-host
bin() { echo "$build/tools/$1/sync-$1"; }
db="$work/webui.db"

step() { printf '\n== %s\n' "$*"; }
step "generate a tenant from $(basename "$schema_sql")"
"$build/tests/gen/syncpipe-gen" create --schema-sql "$schema_sql" --out "$db" --users 20 --chats-per-user 25 >/dev/null
sqlite3 "$db" "SELECT 'chats: ' || count(*) FROM chat; SELECT 'chat messages: ' || count(*) FROM chat_message;"

step "provision tenant acme (admin)"
"$(bin snapshot)" --client acme --no-lease "$db" | "$(bin load)" --provision

cycle() {
    "$(bin snapshot)" --client acme --no-lease "$db" | "$(bin diff)" --state-dir "$work" |
        "$(bin resolve)" | "$(bin load)"
}
step "full sync"
time cycle
step "change the SQLite file: 30 inserts, 40 updates, 10 deletes"
"$build/tests/gen/syncpipe-gen" mutate --db "$db" --seed 7 --insert 30 --update 40 --delete 10 >/dev/null
step "incremental sync"
time cycle
step "sync-status"
"$(bin status)" --host demo-host || true

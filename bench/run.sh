#!/usr/bin/env bash
# bench/run.sh — syncpipe against its references, in one run on one throwaway cluster.
#
#   bench/run.sh [--keep] smoke|S|M|L
#
# Generates an Open WebUI tenant (syncpipe-gen create, the alembic schema of shared/fixtures) and measures,
# side by side, wall time, user+sys CPU and peak RSS of every process:
#   scan      a plain sqlite3 read of every value of every table (sum of byte lengths)
#   copy      raw COPY of the same rows into identical tables (LIKE the tenant's, INCLUDING ALL), one psql
#             \copy ... FROM PROGRAM 'sqlite3 -csv' per table, in one session: single stream
#   pcopy     the same \copy lines over $(nproc) psql sessions at once (largest tables first, each to the
#             least loaded session): the ceiling of this machine
#   pgloader  when installed: data only into a copy of the same tables in a database of its own, tuned
#             (the options are in bench/run-references.sh; BENCH_PGLOADER_WITH overrides them)
#   syncpipe  sync-snapshot | sync-diff | sync-resolve | sync-load as sync_service, each stage timed on its own:
#             first full sync (each run on a tenant provisioned just before), its restore to a new file, a
#             cycle with nothing changed (must write nothing to the tenant tables), cycles after 0.1 % and 1 %
#             of the chat/message rows changed, one after a 30 MB chat was added (once), N tiny tenants one
#             after the other (first sync and no-change) and the same number through systemd/syncpipe-cycle
#             on a host of their own (first cycle; a no-change cycle where the files' fingerprints prove
#             nothing changed; a forced no-change cycle through the whole pipeline); then the app's worst
#             write during a first sync (app_writer: --copy auto vs never; BENCH_APP=0 skips it).
# Every contender runs BENCH_REPEAT times (5; smoke: 1), the runs interleaved round by round (copy, pcopy,
# pgloader, first sync, restore; then scan, no change, 0.1 %, 1 %), so drift on the machine hits all alike.
# Tiny tenants run BENCH_TINY_REPEAT rounds (default 1: a round provisions 2 x N tenants and takes minutes,
# five would take L past 25 minutes). The big chat runs once.
# Prints a table of medians and ranges (min-max) and the ratios to the references (each the median of the
# per-run ratios, run i against run i); writes every run to $BENCH_RESULTS_DIR/<size>-<UTC time>.json.
# Exit status: 0 when every stage ran and every check held, 1 otherwise (a target missed is not a failure;
# bench/README.md stating other pgloader options than the script is a failed check).
#
# Environment: BUILD_DIR (default <repo>/build), SHARED_DIR (default <repo>/../shared),
#   BENCH_RESULTS_DIR (default <repo>/bench/results), BENCH_TMPDIR (default /tmp), BENCH_TINY (tiny tenants),
#   SYNCPIPE_JOBS (syncpipe-cycle's tenants at once, default nproc),
#   BENCH_REPEAT, BENCH_TINY_REPEAT, BENCH_BIG_BYTES (the big chat, default 30 MiB),
#   BENCH_PGLOADER_WITH (pgloader's WITH options after "data only, truncate"), BENCH_PGLOADER_TIMEOUT (s),
#   BENCH_SNAPSHOT / BENCH_DIFF / BENCH_RESOLVE / BENCH_LOAD (override a stage's executable),
#   BENCH_ONLY (a comma list of the parts to run: load = round 1, sync = round 2 and the big chat,
#   tiny, app; default all; the report shows only what ran),
#   PGCLUSTER_PORT, PGCLUSTER_TMPDIR (see tests/lib/pgcluster.sh; /dev/shm keeps PostgreSQL's writes off the
#   tenant's disk, as a remote PostgreSQL would: bench/README.md, the app at L).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${BUILD_DIR:-$repo/build}")"
shared="$(realpath -m "${SHARED_DIR:-$repo/../shared}")"
results_dir="${BENCH_RESULTS_DIR:-$repo/bench/results}"
keep=0

usage() { echo "usage: bench/run.sh [--keep] smoke|S|M|L" >&2; exit 64; }
log() { printf "bench: [+%ss] %s\n" "$SECONDS" "$*" >&2; }
die() { log "$*"; exit 1; }

while (($#)); do
    case "$1" in
        --keep) keep=1 ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        smoke | S | M | L) size="$1" ;;
        *) usage ;;
    esac
    shift
done
[[ -n "${size:-}" ]] || usage

# users, chats per user, channel messages, tiny tenants
case "$size" in
    smoke) shape=(5 20 300 5) ;;
    S) shape=(50 20 3000 150) ;;
    M) shape=(500 20 30000 150) ;;
    L) shape=(5000 20 300000 150) ;;
esac
tiny_n="${BENCH_TINY:-${shape[3]}}"
repeat="${BENCH_REPEAT:-$([[ $size == smoke ]] && echo 1 || echo 5)}"
tiny_repeat="${BENCH_TINY_REPEAT:-1}" # a round provisions 2 x BENCH_TINY tenants: minutes each
[[ "$repeat" =~ ^[1-9][0-9]*$ && "$tiny_repeat" =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT and BENCH_TINY_REPEAT must be positive integers"
big_bytes="${BENCH_BIG_BYTES:-31457280}"

GEN="$build/tests/gen/syncpipe-gen"
SNAP="${BENCH_SNAPSHOT:-$build/tools/snapshot/sync-snapshot}"
DIFF="${BENCH_DIFF:-$build/tools/diff/sync-diff}"
RESOLVE="${BENCH_RESOLVE:-$build/tools/resolve/sync-resolve}"
LOAD="${BENCH_LOAD:-$build/tools/load/sync-load}"
SCHEMA_SQL="$shared/fixtures/openwebui/webui-schema.sql"
TIME=/usr/bin/time

[[ -x "$TIME" ]] || die "GNU time is missing: apt-get install time"
command -v sqlite3 >/dev/null || die "sqlite3 is missing"
command -v python3 >/dev/null || die "python3 is missing"
[[ -x "$GEN" && -x "$SNAP" && -x "$LOAD" ]] || die "build first: ninja -C $build (need syncpipe-gen, sync-snapshot, sync-load)"
[[ -f "$SCHEMA_SQL" ]] || die "$SCHEMA_SQL is missing (SHARED_DIR?)"

missing=()
for exe in "$DIFF" "$RESOLVE"; do
    [[ "$exe" == cat || -x "$exe" ]] || missing+=("$(basename "$exe")")
done

work="$(mktemp -d "${BENCH_TMPDIR:-/tmp}/syncpipe-bench.XXXXXX")" || die "no work dir"
mkdir -p "$work/t" "$work/err" "$work/state" "$work/cycstate" "$results_dir"
M="$work/measure.tsv"
V="$work/values.tsv"
META="$work/meta.tsv"
: >"$M"
: >"$V"
: >"$META"
failures=0

# shellcheck source=bench/run-measure.sh
source "$repo/bench/run-measure.sh"
# shellcheck source=bench/run-references.sh
source "$repo/bench/run-references.sh"
# shellcheck source=bench/run-syncpipe.sh
source "$repo/bench/run-syncpipe.sh"
# shellcheck source=bench/run-tiny.sh
source "$repo/bench/run-tiny.sh"
# shellcheck source=bench/run-app.sh
source "$repo/bench/run-app.sh"

cleanup() {
    pgcluster_stop
    if ((keep)); then log "work dir kept: $work"; else rm -rf "$work"; fi
}

# The pgloader options are written in one place; the README must state the same ones.
if [[ -z "${BENCH_PGLOADER_WITH:-}" ]] && ! grep -qF "$PGLOADER_WITH_DEFAULT" "$repo/bench/README.md"; then
    fail "bench/README.md does not state the pgloader options bench/run-references.sh uses: $PGLOADER_WITH_DEFAULT"
fi

# --- the tenant ------------------------------------------------------------------------------------------
DB="$work/tenant.db"
log "generating size $size: ${shape[0]} users x ${shape[1]} chats, ${shape[2]} channel messages"
"$GEN" create --schema-sql "$SCHEMA_SQL" --out "$DB" --users "${shape[0]}" --chats-per-user "${shape[1]}" \
    --messages-per-chat 0 --channel-messages "${shape[2]}" >/dev/null || die "syncpipe-gen create failed"
mapfile -t src_tables < <(tables_of "$DB")
prepare_scan # also warms the page cache for every contender
meta size "$size"
meta db_file_bytes "$(stat -c %s "$DB")"
meta rows "$rows_total"
meta chats "$(sqlite3 "$DB" 'SELECT count(*) FROM chat')"
meta channel_messages "$(sqlite3 "$DB" 'SELECT count(*) FROM message')"
meta tables "${#src_tables[@]}"
meta tiny_tenants "$tiny_n"
meta repeat "$repeat"
meta tiny_repeat "$tiny_repeat"
meta pgloader_with "$pgloader_with"

# --- the cluster -----------------------------------------------------------------------------------------
unset PGCLUSTER_DIR SERVICE_PASSFILE # a run nested in tests/run-all.sh gets a cluster of its own
# shellcheck source=tests/lib/pgcluster.sh
source "$repo/tests/lib/pgcluster.sh"
pgcluster_start || die "cannot start PostgreSQL"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
pgcluster_migrate bench || die "migrations failed"
pgcluster_service_password bench || die "cannot set the service password"
SVC="host=127.0.0.1 port=$PGPORT user=sync_service dbname=bench"
export PGPASSFILE="$SERVICE_PASSFILE" # only sync_service over TCP uses it
export SYNCPIPE_HOST=bench
meta postgres "$(q 'SHOW server_version')"
meta sqlite "$(sqlite3 --version | cut -d' ' -f1)"
if command -v pgloader >/dev/null; then
    meta pgloader_version "$(pgloader --version 2>&1 </dev/null | sed -n 1p)"
else
    meta pgloader_version "pgloader not installed"
fi

log "provisioning tenant t"
provision t "$DB" || die "provisioning failed (see $work/err/provision)"
prepare_copy
mapfile -t pfiles < <(for ((k = 0; k < sessions; k++)); do echo "$work/pref.$k.sql"; done)

if ((${#missing[@]})); then
    log "syncpipe rows are n/a: missing ${missing[*]}"
    meta syncpipe "n/a: missing ${missing[*]}"
    fail "syncpipe stages missing: ${missing[*]}"
fi
syncpipe_ok() { ((${#missing[@]} == 0)); }
part() { [[ -z "${BENCH_ONLY:-}" || ",$BENCH_ONLY," == *",$1,"* ]]; }
[[ -z "${BENCH_ONLY:-}" ]] || meta note "only: $BENCH_ONLY (BENCH_ONLY)"
[[ "$RESOLVE" == cat ]] && meta note "sync-resolve replaced by cat (BENCH_RESOLVE)"

# --- round 1: everything that loads the tenant from nothing --------------------------------------------------
for ((RUN = 1; RUN <= repeat; RUN++)); do
    part load || break
    log "run $RUN/$repeat: raw COPY, single stream"
    copy_run copy ref "$work/ref.copy.sql"
    log "run $RUN/$repeat: raw COPY, $sessions sessions"
    copy_run pcopy pref "${pfiles[@]}"
    if command -v pgloader >/dev/null; then
        log "run $RUN/$repeat: pgloader"
        pgloader_run
    fi
    syncpipe_ok || continue
    log "run $RUN/$repeat: syncpipe first full sync"
    first_sync
    log "run $RUN/$repeat: syncpipe restore"
    restore_measure
done

# --- round 2: the tenant as it is kept in sync -----------------------------------------------------------
for ((RUN = 1; RUN <= repeat; RUN++)); do
    part sync || break
    log "run $RUN/$repeat: scan"
    scan
    syncpipe_ok || continue
    log "run $RUN/$repeat: syncpipe no change"
    nochange
    log "run $RUN/$repeat: syncpipe 0.1 % changed"
    changed 0.001 $((RUN * 100 + 1))
    log "run $RUN/$repeat: syncpipe 1 % changed"
    changed 0.01 $((RUN * 100 + 2))
done

if syncpipe_ok && part sync; then
    RUN=1
    log "syncpipe: one chat of $big_bytes bytes (once)"
    "$GEN" big --db "$DB" --bytes "$big_bytes" >/dev/null || fail "syncpipe-gen big failed"
    meta big_row_bytes "$big_bytes"
    settle
    cycle big_row t "$DB" && same_rows big_row "$DB" t chat
fi

if syncpipe_ok && part tiny; then
    meta cycle_tenants "$tiny_n"
    meta cycle_jobs "${SYNCPIPE_JOBS:-$(nproc)}"
    for ((RUN = 1; RUN <= tiny_repeat; RUN++)); do
        tiny_round
        cyc_round
    done
fi

# --- the app comes first ------------------------------------------------------------------------------
if [[ "${BENCH_APP:-1}" == 1 ]] && syncpipe_ok && part app; then
    for ((RUN = 1; RUN <= repeat; RUN++)); do
        for mode in auto never; do
            log "run $RUN/$repeat: the app comes first: --copy $mode"
            app_writer "$mode"
        done
    done
fi

# --- report ------------------------------------------------------------------------------------------------
meta machine "$(nproc) CPU $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(awk '/MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo)"
meta kernel "$(uname -r)"
meta commit "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
out="$results_dir/$size-$(date -u +%Y%m%dT%H%M%SZ).json"
python3 "$repo/bench/report.py" "$M" "$V" "$META" "$out" || fail "report failed"
log "results: $out"
((failures == 0)) || { log "$failures check(s) failed"; exit 1; }

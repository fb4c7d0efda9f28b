#!/usr/bin/env bash
# run.sh — a soak under faults: two nodes run syncpipe-cycle in loops over tenants of both Open WebUI
# lineages while writers change the files, and faults are injected at random. At the end every tenant
# must equal its source, row for row and typed (tests/soak/compare.py).
#
#   tests/soak/run.sh [--minutes N] [--tenants N] [--seed N]
#
# Faults, one every 2-5 s (seeded): SIGKILL of a running stage; SIGSTOP of a stage for 0.2-4 s;
# PostgreSQL restarted with `pg_ctl restart -m immediate`; a lease handover (the holder's whole node
# frozen until the other node holds the lease, then thawed); a network cut between one node and
# PostgreSQL for 1-6 s (tests/lib/stallproxy.py: packets stop, sockets stay open).
#
# Commits under a stale or expired lease are caught by the database itself: a deferred constraint
# trigger added to this throwaway database checks, at each commit of sync-load that writes
# sync_progress or sync_jobs, that the job's epoch and node still hold an unexpired lease.
#
# Prints a summary; exits 0 only when rows lost = 0, commits under an expired lease = 0, and the
# final cycles succeeded. Environment: SYNCPIPE_BUILD (default <repo>/build), SHARED_DIR (default
# <repo>/../shared), SOAK_DIR (keep the work directory there instead of a temporary one).
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
minutes=2 tenants=4 seed=$$
while (($#)); do
    case "$1" in
        --minutes) minutes="$2"; shift 2 ;;
        --tenants) tenants="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        *) echo "usage: $0 [--minutes N] [--tenants N] [--seed N]" >&2; exit 64 ;;
    esac
done
[[ "$minutes" =~ ^[0-9]+(\.[0-9]+)?$ && "$tenants" =~ ^[1-9][0-9]*$ && "$seed" =~ ^[0-9]+$ ]] ||
    { echo "soak: --minutes, --tenants and --seed take numbers" >&2; exit 64; }
RANDOM=$seed

build="$(realpath -m "${SYNCPIPE_BUILD:-$repo/build}")"
shared="$(realpath -m "${SHARED_DIR:-$repo/../shared}")"
gen="$build/tests/gen/syncpipe-gen"
for t in lease snapshot diff resolve load; do
    [[ -x "$build/tools/$t/sync-$t" ]] || { echo "soak: not built: $build/tools/$t/sync-$t" >&2; exit 1; }
done

unset PGCLUSTER_DIR SERVICE_PASSFILE # a cluster of its own: the faults restart it
source "$repo/tests/lib/pgcluster.sh"
source "$repo/tests/soak/lib.bash"

work="${SOAK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")}"
mkdir -p "$work/bin"
for t in lease snapshot diff resolve load status; do ln -sfn "$build/tools/$t/sync-$t" "$work/bin/sync-$t"; done
log() { printf 'soak: %s %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
    stop_all
    pgcluster_stop
    [[ -n "${SOAK_DIR:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pgcluster_start || exit 1
soak_database || exit 1
soak_tenants "$tenants" || exit 1
for n in a b; do start_proxy "$n" || exit 1; done
for n in a b; do start_node "$n"; done
for i in $(seq "$tenants"); do start_writer "t$i"; done

deadline=$((SECONDS + ${minutes%.*} * 60 + $(awk -v m="$minutes" 'BEGIN { printf "%d", (m - int(m)) * 60 }')))
log "soak: $tenants tenants, seed $seed, until +$((deadline - SECONDS)) s"
while ((SECONDS < deadline)); do
    sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 2 + 3 * r / 32768 }')"
    inject_fault
done

log "faults stopped; writers stopped; converging"
stop_writers
heal_all
stop_nodes
converge || final_failed=1
report "${final_failed:-0}"

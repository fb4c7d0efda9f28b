#!/usr/bin/env bats
# The Grafana dashboard (config/grafana/syncpipe.json) and the alert rules (config/alerts/syncpipe.rules.yml)
# use only metrics that sync-status really writes: every metric named in any of their PromQL expressions must
# be a sample name of a .prom file written by sync-status against the test cluster. promtool must accept the
# rules, and the alerts of the newer metrics must fire (promtool test rules).
#
#   SYNCPIPE_BUILD=/path/to/build tests/lib/pgcluster.sh run bats tests/cli/status-dashboard.bats

bats_require_minimum_version 1.5.0

source "$BATS_TEST_DIRNAME/../lib/pgcluster.sh"

RULES="$BATS_TEST_DIRNAME/../../config/alerts/syncpipe.rules.yml"
DASHBOARD="$BATS_TEST_DIRNAME/../../config/grafana/syncpipe.json"

setup_file() {
    pgcluster_require || return 1
    export STATUS="${SYNCPIPE_BUILD:?set SYNCPIPE_BUILD to the meson build dir}/tools/status/sync-status"
    [[ -x "$STATUS" ]] || { echo "not built: $STATUS" >&2; return 1; }
    pgcluster_service_db statusdash || return 1
    export SRC="$BATS_FILE_TMPDIR/d1/webui.db"
    mkdir -p "${SRC%/*}"
    head -c 100 /dev/zero >"$SRC-wal"
    fixture_d
    export PROM="$BATS_FILE_TMPDIR/prom"
    mkdir -p "$PROM"
    PGPASSFILE="$SERVICE_PASSFILE" "$STATUS" --dsn "$SVC" --host D --textfile "$PROM" || return 1
}

teardown_file() {
    dropdb --if-exists --force -- "$DB"
}

admin() {
    printf '%s\n' "$1" | psql -X -q -At -v ON_ERROR_STOP=1 -v src="$SRC" --single-transaction -d "$DB" -f -
}

# Host D with every kind of row sync-status reports, so every metric family has samples: two nodes, a held
# lease, a tenant with successful and failed jobs, per-table progress, resolved and open conflicts,
# quarantine and a -wal file.
fixture_d() {
    admin "
    INSERT INTO sync_metadata.hosts (host_id, node_name, last_heartbeat) VALUES ('D', 'node-a', now()), ('D', 'node-b', now());
    INSERT INTO sync_metadata.leader_election (cluster_id, holder, epoch, expires_at)
    VALUES ('D', 'node-a', 4, now() + interval '1 minute');
    INSERT INTO sync_metadata.client_deployments (client_id, host_id, schema_name, source_path) VALUES ('d1', 'D', 'd1', :'src');
    INSERT INTO sync_metadata.sync_jobs (job_id, host_id, client_id, started_at, finished_at, status, rows_inserted, error)
    VALUES (9001, 'D', 'd1', now() - interval '5 min', now() - interval '5 min' + interval '0.2 s', 'success', 3, NULL),
           (9002, 'D', 'd1', now() - interval '3 min', now() - interval '3 min' + interval '1 s', 'failed', 0, 'boom'),
           (9003, 'D', 'd1', now() - interval '1 min', now() - interval '1 min' + interval '0.3 s', 'success', 1, NULL);
    INSERT INTO sync_metadata.sync_progress (job_id, host_id, client_id, table_name, rows_done, bytes_done,
                                             rows_inserted, rows_updated, rows_deleted, rows_quarantined)
    VALUES (9001, 'D', 'd1', 'chat', 3, 300, 3, 0, 0, 0), (9003, 'D', 'd1', 'chat', 1, 100, 1, 0, 0, 0);
    INSERT INTO sync_metadata.conflict_log (host_id, client_id, table_name, key_hash, resolution_strategy, resolution,
                                            resolved_at, source_hash)
    VALUES ('D', 'd1', 'chat', 'k1', 'newest_wins', 'source', now(), 'a'), ('D', 'd1', 'chat', 'k2', 'manual', 'unresolved', NULL, 'b');
    INSERT INTO sync_metadata.quarantine (host_id, client_id, table_name, key_hash, reason)
    VALUES ('D', 'd1', 'chat', '\\x01', 'bad json');
    " >/dev/null
}

# metric_names — reads JSON {"source": [expr, ...]} on stdin; prints "source<TAB>metric" for every metric name
# in each PromQL expression. Strings, label matchers, ranges, label lists (by/without/on/ignoring/group_*),
# Grafana variables and label_values()' label argument are no metric names; neither is a word followed by "(".
metric_names() {
    python3 -c '
import json, re, sys
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
            "offset", "inf", "nan", "Inf", "NaN"}
def names(expr):
    e = re.sub(r"label_values\((.*),\s*[A-Za-z_]\w*\s*\)\s*$", r"(\1)", expr.strip())
    e = re.sub(r"\"(\\.|[^\"\\])*\"", "", e)
    e = re.sub(r"\$\{?\w+\}?", "", e)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    out = set()
    for m in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", e):
        if m.group(0) in KEYWORDS or e[m.end():].lstrip().startswith("("):
            continue
        out.add(m.group(0))
    return out
for source, exprs in json.load(sys.stdin).items():
    for x in exprs:
        found = names(x)
        if not found:
            print(source + "\t(no metric in: " + x + ")")
        for n in sorted(found):
            print(source + "\t" + n)
'
}

# The expressions of the dashboard (targets and template variable queries) and of the alert rules.
dashboard_exprs() {
    jq '{dashboard: ([.. | objects | .expr? // empty] + [.templating.list[] | .definition? // empty])}' "$1"
}
rule_exprs() {
    python3 -c '
import json, sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
print(json.dumps({"rules": [r["expr"] for g in rules["groups"] for r in g["rules"]]}))' "$1"
}

# What sync-status wrote: every sample name (for a histogram: its _bucket, _sum and _count).
sample_names() {
    grep -v '^#' "$PROM/syncpipe.prom" | sed -E 's/[{ ].*//' | sort -u
}

# unknown_metrics FILE... — the metric names used by the expressions that sync-status did not write.
# node_textfile_mtime_seconds is node_exporter's own gauge of the file (the SyncStatusNotWritten alert).
unknown_metrics() {
    local known
    known="$(sample_names; echo node_textfile_mtime_seconds)"
    { dashboard_exprs "$1"; rule_exprs "$2"; } | jq -s 'add' | metric_names |
        awk -F'\t' -v known="$known" 'BEGIN { n = split(known, k, "\n"); for (i = 1; i <= n; i++) ok[k[i]] = 1 }
                                      !($2 in ok) { print }'
}

@test "dashboard and alert rules: every metric they name is written by sync-status" {
    run -0 sample_names
    echo "$output"
    [[ "$output" == *sync_run_duration_seconds_bucket* && "$output" == *sync_table_rows_synced_total* ]]
    [ "$(dashboard_exprs "$DASHBOARD" | jq '.dashboard | length')" -ge 20 ]
    run -0 unknown_metrics "$DASHBOARD" "$RULES"
    echo "$output"
    [ -z "$output" ]
}

@test "dashboard and alert rules: the check notices a metric sync-status does not write" {
    local d="$BATS_TEST_TMPDIR/dash.json" r="$BATS_TEST_TMPDIR/rules.yml"
    jq '.panels[1].targets[0].expr = "max by (client) (rate(sync_no_such_total{client=~\"$client\"}[5m]))"' \
        "$DASHBOARD" >"$d"
    sed 's/sync_jobs_failed_total/sync_jobs_failed_count/' "$RULES" >"$r"
    run -0 unknown_metrics "$d" "$r"
    echo "$output"
    [ "$output" = "$(printf 'dashboard\tsync_no_such_total\nrules\tsync_jobs_failed_count')" ]
}

@test "dashboard: valid JSON for Grafana: unique panel ids, a datasource variable, every target has an expr" {
    jq -e '.uid == "syncpipe" and (.templating.list | map(.name) | index("datasource") != null)' "$DASHBOARD"
    jq -e '[.panels[].id] | length == (unique | length)' "$DASHBOARD"
    jq -e '[.panels[] | select(.type != "row") | .targets[] | select((.expr // "") == "")] | length == 0' "$DASHBOARD"
    # Covered: cluster health, leader, lag, duration, failures, conflicts, quarantine.
    local t
    for t in sync_up sync_is_leader sync_last_success_timestamp_seconds sync_run_duration_seconds_bucket \
        sync_jobs_failed_total sync_conflicts_resolved_total sync_quarantined_rows sync_leader_changes_total; do
        grep -q "$t" "$DASHBOARD" || { echo "dashboard lacks $t" >&2; return 1; }
    done
}

@test "alert rules: promtool accepts them; a failed job, slow runs and a never-synced tenant fire" {
    run -0 promtool check rules "$RULES"
    local t="$BATS_TEST_TMPDIR/rules_test.yml"
    cat >"$t" <<YAML
rule_files: ["$RULES"]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      # ok: never fails, runs in 0.2 s; bad: one failed job at t=20m; slow: every run takes over 60 s.
      - series: 'sync_jobs_failed_total{client="ok",instance="a"}'
        values: '0x40'
      - series: 'sync_jobs_failed_total{client="bad",instance="a"}'
        values: '0x20 1x20'
      - series: 'sync_interval_seconds{client="ok",instance="a"}'
        values: '60x120'
      - series: 'sync_interval_seconds{client="slow",instance="a"}'
        values: '60x120'
      - series: 'sync_run_duration_seconds_bucket{client="ok",le="0.25",instance="a"}'
        values: '0+1x120'
      - series: 'sync_run_duration_seconds_bucket{client="ok",le="60",instance="a"}'
        values: '0+1x120'
      - series: 'sync_run_duration_seconds_bucket{client="ok",le="+Inf",instance="a"}'
        values: '0+1x120'
      - series: 'sync_run_duration_seconds_bucket{client="slow",le="0.25",instance="a"}'
        values: '0x120'
      - series: 'sync_run_duration_seconds_bucket{client="slow",le="60",instance="a"}'
        values: '0x120'
      - series: 'sync_run_duration_seconds_bucket{client="slow",le="120",instance="a"}'
        values: '0+1x120'
      - series: 'sync_run_duration_seconds_bucket{client="slow",le="+Inf",instance="a"}'
        values: '0+1x120'
      - series: 'sync_last_success_timestamp_seconds{client="ok",instance="a"}'
        values: '0+60x120'
      - series: 'sync_last_success_timestamp_seconds{client="slow",instance="a"}'
        values: '0+60x120'
      # new: registered on cluster C1, never succeeded.
      - series: 'sync_interval_seconds{client="new",instance="a"}'
        values: '60x120'
      - series: 'sync_tenant_info{client="new",cluster="C1",schema="new",instance="a"}'
        values: '1x120'
    alert_rule_test:
      - eval_time: 10m
        alertname: SyncJobsFailing
      - eval_time: 25m
        alertname: SyncJobsFailing
        exp_alerts:
          - exp_labels: {severity: warning, client: bad}
            exp_annotations:
              summary: "Sync jobs of tenant bad failed"
              description: "1 failed jobs in 15 minutes; see \`sync-status --client bad\` for the error."
      - eval_time: 20m
        alertname: SyncRunDurationHigh
      - eval_time: 100m
        alertname: SyncRunDurationHigh
        exp_alerts:
          - exp_labels: {severity: warning, client: slow}
            exp_annotations:
              summary: "Sync runs of tenant slow take longer than its interval (p95 1m 57s)"
              description: "The tenant falls behind. Look at its sizes and \`sync-status --client slow\`; raise its sync_interval_seconds or find the slow stage."
      - eval_time: 30m
        alertname: SyncTenantNeverSynced
      - eval_time: 70m
        alertname: SyncTenantNeverSynced
        exp_alerts:
          - exp_labels: {severity: warning, client: new, cluster: C1}
            exp_annotations:
              summary: "Tenant new is registered but has never synced successfully"
              description: "Is its cluster's timer enabled (systemctl enable --now syncpipe@C1.timer)? See \`sync-status --client new\`."
YAML
    run promtool test rules "$t"
    echo "$output"
    [ "$status" -eq 0 ]
}

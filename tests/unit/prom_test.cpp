// sync-status's Prometheus text exposition (tools/status/prom.hpp, metrics.hpp), checked by a small
// parser of the format, so the check does not depend on promtool being installed (tests/cli/status.bats
// runs promtool as well when it is).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../tools/status/metrics.hpp"
#include "../../tools/status/prom.hpp"

namespace syncpipe::status {
namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct Parsed {
  std::map<std::string, std::string> type, help;
  std::vector<Sample> samples;
};

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

std::string read_name(const std::string& l, std::size_t& i) {
  std::size_t b = i;
  while (i < l.size() && name_char(l[i], i == b)) ++i;
  if (i == b) throw std::runtime_error("expected a name: " + l);
  return l.substr(b, i - b);
}

// A quoted label value; only \\, \" and \n are valid escapes.
std::string read_value(const std::string& l, std::size_t& i) {
  if (l[i++] != '"') throw std::runtime_error("expected '\"': " + l);
  std::string v;
  while (i < l.size() && l[i] != '"') {
    if (l[i] == '\\') {
      char e = i + 1 < l.size() ? l[i + 1] : 0;
      if (e == 'n') v += '\n';
      else if (e == '\\' || e == '"') v += e;
      else throw std::runtime_error("bad escape: " + l);
      i += 2;
    } else {
      v += l[i++];
    }
  }
  if (i++ >= l.size()) throw std::runtime_error("unterminated label value: " + l);
  return v;
}

Sample parse_sample(const std::string& l) {
  Sample s;
  std::size_t i = 0;
  s.name = read_name(l, i);
  if (l[i] == '{') {
    ++i;
    while (l[i] != '}') {
      std::string k = read_name(l, i);
      if (l[i++] != '=') throw std::runtime_error("expected '=': " + l);
      if (!s.labels.emplace(k, read_value(l, i)).second) throw std::runtime_error("repeated label: " + l);
      if (l[i] == ',') ++i;
    }
    ++i;
  }
  if (l[i++] != ' ') throw std::runtime_error("expected one space before the value: " + l);
  std::string v = l.substr(i);
  if (v.find(' ') != std::string::npos) throw std::runtime_error("timestamp or junk after the value: " + l);
  if (v == "+Inf" || v == "-Inf" || v == "NaN") return s;
  char* end = nullptr;
  s.value = std::strtod(v.c_str(), &end);
  if (v.empty() || *end) throw std::runtime_error("bad value: " + l);
  return s;
}

// The family a sample belongs to: its name, or for <h>_bucket/_sum/_count
// the histogram family <h>.
std::string family_of(const Parsed& p, const std::string& sample) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (sample.size() > s.size() && sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
      std::string base = sample.substr(0, sample.size() - s.size());
      auto it = p.type.find(base);
      if (it != p.type.end() && it->second == "histogram") return base;
    }
  }
  return sample;
}

// Also checks the structure: HELP and TYPE once per family and before its samples, a family's
// samples contiguous, no series twice, counters end in _total, text ends with a newline.
Parsed parse(const std::string& text) {
  Parsed p;
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("no final newline");
  std::istringstream in(text);
  std::string line, current;
  std::set<std::string> closed, series;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::size_t i = 7;
      std::string name = read_name(line, i);
      auto& m = line[2] == 'H' ? p.help : p.type;
      if (closed.count(name) || !m.emplace(name, line.substr(i + 1)).second)
        throw std::runtime_error("family header repeated or late: " + line);
      if (name != current && !current.empty()) closed.insert(current);
      current = name;
      continue;
    }
    Sample s = parse_sample(line);
    if (family_of(p, s.name) != current || !p.type.count(current) || !p.help.count(current))
      throw std::runtime_error("sample outside its family: " + line);
    if (!series.insert(line.substr(0, line.rfind(' '))).second) throw std::runtime_error("series twice: " + line);
    p.samples.push_back(s);
  }
  for (const auto& [name, type] : p.type) {
    if (type != "gauge" && type != "counter" && type != "histogram") throw std::runtime_error("type " + type);
    if (type == "counter" && name.size() < 6) throw std::runtime_error("counter " + name);
    if (type == "counter" && name.substr(name.size() - 6) != "_total") throw std::runtime_error("counter " + name);
  }
  return p;
}

const Sample* find(const Parsed& p, const std::string& name, const std::map<std::string, std::string>& labels) {
  for (const auto& s : p.samples)
    if (s.name == name && s.labels == labels) return &s;
  return nullptr;
}

Snapshot example() {
  Snapshot s;
  s.nodes.push_back({"X", "node-a", "h", "active", "active", 3, true});
  s.nodes.push_back({"X", "node-b", std::nullopt, "active", "offline", std::nullopt, false});
  s.leases.push_back({"X", "node-a", 7, 12.5, true});
  Tenant a;
  a.client = "we\"ird\\na\nme";
  a.cluster = "X";
  a.last_success_ts = 1764000000.123456;
  a.last_duration = 2.25;
  a.inserted = 9007199254740993;  // over 2^53: printed exactly, not as a double
  a.updated = 2;
  a.jobs_failed = 4;
  a.wal_bytes = 4096;
  Tenant never;
  never.client = "new";
  never.cluster = "X";
  Tenant gone = never;
  gone.client = "gone";
  gone.archived = true;
  s.tenants = {a, never, gone};
  return s;
}

TEST(PromEscape, LabelValues) {
  EXPECT_EQ(prom::escape_label_value("plain"), "plain");
  EXPECT_EQ(prom::escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(prom::escape_label_value("tab\there"), "tab\there");
  EXPECT_EQ(prom::escape_label_value("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(prom::escape_label_value("bad\xff!"), "bad\xef\xbf\xbd!");
  EXPECT_EQ(prom::escape_label_value(std::string("nul\0x", 5)), std::string("nul\0x", 5));
  EXPECT_EQ(prom::escape_help("a\\b\nc\"d"), "a\\\\b\\nc\"d");
}

TEST(PromEscape, Values) {
  EXPECT_EQ(prom::format_value(1.5), "1.5");
  EXPECT_EQ(prom::format_value(0), "0");
  EXPECT_EQ(prom::format_value(-12.25), "-12.25");
  EXPECT_EQ(prom::format_value(1764000000.123456), "1764000000.123456");
  EXPECT_EQ(prom::format_value(1e300), "1e+300");
  EXPECT_EQ(prom::format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(prom::format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(prom::format_value(std::nan("")), "NaN");
}

TEST(PromExposition, FamilyOnceHeaderWithFirstSample) {
  prom::Exposition e;
  e.family("sync_a", "gauge", "A.");
  e.family("sync_b_total", "counter", "B.");
  e.sample({{"client", "c"}}, std::int64_t{3});
  EXPECT_EQ(e.text(), "# HELP sync_b_total B.\n# TYPE sync_b_total counter\nsync_b_total{client=\"c\"} 3\n");
  EXPECT_THROW(e.family("sync_a", "gauge", "again"), std::logic_error);
  EXPECT_THROW(e.family("9bad", "gauge", "x"), std::logic_error);
}

TEST(PromMetrics, ParsesAndMatchesTheSnapshot) {
  Parsed p = parse(render_metrics(example(), {}));
  const std::string weird = "we\"ird\\na\nme";
  ASSERT_NE(find(p, "sync_up", {}), nullptr);
  EXPECT_EQ(find(p, "sync_up", {})->value, 1);
  EXPECT_EQ(find(p, "sync_healthy", {})->value, 1);
  EXPECT_EQ(find(p, "sync_is_leader", {{"cluster", "X"}, {"node", "node-a"}})->value, 1);
  EXPECT_EQ(find(p, "sync_is_leader", {{"cluster", "X"}, {"node", "node-b"}})->value, 0);
  EXPECT_EQ(find(p, "sync_node_heartbeat_age_seconds", {{"cluster", "X"}, {"node", "node-b"}}), nullptr);
  EXPECT_EQ(find(p, "sync_lease_epoch", {{"cluster", "X"}})->value, 7);
  EXPECT_EQ(find(p, "sync_lease_expires_in_seconds", {{"cluster", "X"}})->value, 12.5);
  EXPECT_DOUBLE_EQ(find(p, "sync_last_success_timestamp_seconds", {{"client", weird}})->value, 1764000000.123456);
  EXPECT_EQ(find(p, "sync_last_success_timestamp_seconds", {{"client", "new"}}), nullptr);
  EXPECT_EQ(find(p, "sync_rows_synced_total", {{"client", "new"}, {"op", "deleted"}})->value, 0);
  EXPECT_EQ(find(p, "sync_rows_synced_total", {{"client", weird}, {"op", "updated"}})->value, 2);
  EXPECT_EQ(find(p, "sync_jobs_failed_total", {{"client", weird}})->value, 4);
  EXPECT_EQ(find(p, "sync_sqlite_wal_bytes", {{"client", weird}})->value, 4096);
  EXPECT_EQ(p.type.at("sync_rows_synced_total"), "counter");
  EXPECT_EQ(p.type.at("sync_is_leader"), "gauge");
  for (const auto& s : p.samples) EXPECT_NE(s.labels.count("client") ? s.labels.at("client") : "", "gone");
  // Integers over 2^53 are written exactly.
  EXPECT_NE(render_metrics(example(), {}).find("op=\"inserted\"} 9007199254740993\n"), std::string::npos);
}

TEST(PromMetrics, DurationsTablesConflictsLeaderChanges) {
  Snapshot s = example();
  const std::string weird = "we\"ird\\na\nme";
  s.duration_bounds = {0.5, 1, 5};
  s.tenants[0].duration_buckets = {1, 2, 0, 1};  // not cumulative; the last is +Inf
  s.tenants[0].run_seconds = 12.25;
  s.tenants[1].duration_buckets = {0, 0, 0, 0};
  s.tenants[2].duration_buckets = {0, 0, 0, 0};
  s.tables = {{"gone", "chat", 1, 0, 0, 0}, {"new", "chat", 3, 2, 1, 0}, {"new", "user", 0, 0, 0, 4}};
  s.conflict_counts = {{"gone", "manual", "source", 1, 1},
                       {"new", "manual", "unresolved", 2, 0},
                       {"new", "newest_wins", "source", 3, 3}};
  Parsed p = parse(render_metrics(s, {}));
  EXPECT_EQ(p.type.at("sync_run_duration_seconds"), "histogram");
  auto bucket = [&](const std::string& client, const std::string& le) {
    const Sample* x = find(p, "sync_run_duration_seconds_bucket", {{"client", client}, {"le", le}});
    return x ? x->value : -1;
  };
  EXPECT_EQ(bucket(weird, "0.5"), 1);
  EXPECT_EQ(bucket(weird, "1"), 3);
  EXPECT_EQ(bucket(weird, "5"), 3);
  EXPECT_EQ(bucket(weird, "+Inf"), 4);
  EXPECT_EQ(find(p, "sync_run_duration_seconds_count", {{"client", weird}})->value, 4);
  EXPECT_EQ(find(p, "sync_run_duration_seconds_sum", {{"client", weird}})->value, 12.25);
  EXPECT_EQ(bucket("new", "+Inf"), 0);
  EXPECT_EQ(bucket("gone", "+Inf"), -1);
  EXPECT_EQ(find(p, "sync_leader_changes_total", {{"cluster", "X"}})->value, 7);
  EXPECT_EQ(find(p, "sync_table_rows_synced_total", {{"client", "new"}, {"table", "chat"}, {"op", "updated"}})->value, 2);
  EXPECT_EQ(find(p, "sync_table_rows_synced_total", {{"client", "new"}, {"table", "user"}, {"op", "quarantined"}})->value,
            4);
  EXPECT_EQ(find(p, "sync_table_rows_synced_total", {{"client", "gone"}, {"table", "chat"}, {"op", "inserted"}}),
            nullptr);
  EXPECT_EQ(find(p, "sync_conflicts_detected_total", {{"client", "new"}})->value, 5);
  EXPECT_EQ(find(p, "sync_conflicts_detected_total", {{"client", weird}})->value, 0);
  EXPECT_EQ(find(p, "sync_conflicts_resolved_total",
                 {{"client", "new"}, {"strategy", "newest_wins"}, {"resolution", "source"}})->value, 3);
  EXPECT_EQ(find(p, "sync_conflicts_resolved_total",
                 {{"client", "new"}, {"strategy", "manual"}, {"resolution", "unresolved"}}), nullptr);
  EXPECT_EQ(find(p, "sync_conflicts_detected_total", {{"client", "gone"}}), nullptr);
}

TEST(PromExposition, HistogramNeedsOneCountPerBucket) {
  prom::Exposition e;
  e.family("sync_h_seconds", "histogram", "H.");
  EXPECT_THROW(e.histogram({}, {1, 2}, {1, 2}, 3), std::logic_error);
  e.histogram({}, {1}, {2, 1}, 4.5);
  EXPECT_EQ(e.text(), "# HELP sync_h_seconds H.\n# TYPE sync_h_seconds histogram\nsync_h_seconds_bucket{le=\"1\"} 2\n"
                      "sync_h_seconds_bucket{le=\"+Inf\"} 3\nsync_h_seconds_sum 4.5\nsync_h_seconds_count 3\n");
}

TEST(PromMetrics, UnhealthyAndDown) {
  Parsed p = parse(render_metrics(example(), {"cluster X: no node holds the lease"}));
  EXPECT_EQ(find(p, "sync_healthy", {})->value, 0);
  Parsed down = parse(render_down());
  ASSERT_EQ(down.samples.size(), 1u);
  EXPECT_EQ(down.samples[0].name, "sync_up");
  EXPECT_EQ(down.samples[0].value, 0);
}

TEST(PromParser, RejectsWhatPrometheusRejects) {
  EXPECT_THROW(parse("# HELP a x\n# TYPE a gauge\na 1 1700000000\n"), std::runtime_error);      // timestamp
  EXPECT_THROW(parse("# HELP a x\n# TYPE a gauge\na{l=\"x\\t\"} 1\n"), std::runtime_error);    // bad escape
  EXPECT_THROW(parse("a 1\n"), std::runtime_error);                                            // no TYPE
  EXPECT_THROW(parse("# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n"),
               std::runtime_error);                                                            // split family
  EXPECT_THROW(parse("# HELP a x\n# TYPE a counter\na 1\n"), std::runtime_error);             // counter name
  EXPECT_THROW(parse("# HELP a x\n# TYPE a gauge\na 1"), std::runtime_error);                  // no newline
}

}  // namespace
}  // namespace syncpipe::status

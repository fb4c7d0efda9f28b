// sync-resolve: unit-aware timestamps, every strategy on every collision
// kind, the merge rules (lib/ndjson/json_merge), the config parser, and the
// whole filter over a sealed stream (forwarding, decision + change records).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "../../tools/resolve/config.hpp"
#include "../../tools/resolve/resolver.hpp"
#include "../../tools/resolve/stream.hpp"
#include "../../tools/resolve/timestamp.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "ndjson/json_merge.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/json_tree.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/reader.hpp"
#include "ndjson/writer.hpp"

using namespace syncpipe;
using namespace syncpipe::resolve;
using ndjson::JsonNode;
using ndjson::MergeRule;

namespace {

Value T(const char* s) { return Value::text(s); }
Value I(std::int64_t i) { return Value::integer(i); }

Hash128 H(std::uint64_t lo) { return Hash128{0, lo}; }

// chat(id, title, chat JSON, meta JSON, updated_at)
ndjson::TableSchema chat_table() {
  ndjson::TableSchema t;
  t.name = "chat";
  for (const char* n : {"id", "title", "chat", "meta", "updated_at"}) t.columns.push_back({n, "TEXT", false, 0, {}});
  t.columns[0].pk = 1;
  t.key = {"id"};
  t.key_index = {0};
  return t;
}

Conflict conflict(std::string kind, std::optional<Row> source, std::optional<Row> target) {
  Conflict c;
  c.kind = std::move(kind);
  c.table = "chat";
  c.kh = H(1);
  c.k = {T("c1")};
  if (source) c.h = H(2);
  c.source = std::move(source);
  c.target = std::move(target);
  return c;
}

Row row(const char* title, std::int64_t updated, const char* chat = "{}", const char* meta = "{}") {
  return {T("c1"), T(title), T(chat), T(meta), I(updated)};
}

TableRule rule(Strategy s) {
  TableRule r;
  r.strategy = s;
  return r;
}

std::string json(std::string_view text) { return ndjson::to_json(ndjson::parse_json(text)); }

}  // namespace

// --- timestamps ---------------------------------------------------------------

TEST(ResolveTimestamp, UnitsAreReadFromTheMagnitude) {
  long double ns = 1700000000e9L;
  EXPECT_EQ(*instant_ns(I(1700000000)), ns);               // seconds
  EXPECT_EQ(*instant_ns(I(1700000000000)), ns);            // milliseconds
  EXPECT_EQ(*instant_ns(I(1700000000000000)), ns);         // microseconds
  EXPECT_EQ(*instant_ns(I(1700000000000000000)), ns);      // nanoseconds
  EXPECT_EQ(*instant_ns(Value::real(1700000000.5)), ns + 5e8L);
  EXPECT_EQ(*instant_ns(T("1700000000")), ns);
  EXPECT_FALSE(instant_ns(Value::null()));
  EXPECT_FALSE(instant_ns(Value::blob("x")));
  EXPECT_FALSE(instant_ns(T("yesterday")));
  // The boundaries: 1e11 is still seconds (year 5138), just above is milliseconds (1973).
  EXPECT_EQ(*instant_ns(I(100000000000)), 1e20L);
  EXPECT_EQ(*instant_ns(I(100000000001)), 100000000001e6L);
  EXPECT_EQ(*instant_ns(I(100000000000000)), 1e20L);             // 1e14 ms
  EXPECT_EQ(*instant_ns(I(100000000000001)), 100000000000001e3L);  // just above: µs
  EXPECT_EQ(*instant_ns(I(100000000000000000)), 1e20L);          // 1e17 µs
  EXPECT_EQ(*instant_ns(I(100000000000000001)), 100000000000000001.0L);  // just above: ns
}

TEST(ResolveTimestamp, Iso8601TextWithAndWithoutZone) {
  long double ns = 1700000000e9L;  // 2023-11-14T22:13:20Z
  EXPECT_EQ(*instant_ns(T("2023-11-14 22:13:20")), ns);
  EXPECT_EQ(*instant_ns(T("2023-11-14T22:13:20Z")), ns);
  EXPECT_EQ(*instant_ns(T("2023-11-14T23:13:20+01:00")), ns);
  EXPECT_EQ(*instant_ns(T("2023-11-14 22:13:20.25")), ns + 25e7L);
  EXPECT_EQ(*instant_ns(T("2023-11-14")), 1699920000e9L);
  EXPECT_FALSE(instant_ns(T("2023-13-14 22:13:20")));
  EXPECT_FALSE(instant_ns(T("2023-11-14 22:13:20 junk")));
}

// --- newest_wins ----------------------------------------------------------------

TEST(ResolveNewest, SecondsAgainstNanoseconds) {
  auto t = chat_table();
  // The source says 1700000002 s, the target 1700000001 s written in ns: the source is newer.
  auto c = conflict("update_update", row("s", 1700000002), row("t", 1700000001000000000));
  Newer n = newest(t, "updated_at", c);
  EXPECT_TRUE(n.source);
  EXPECT_EQ(n.note, "source newer by updated_at");
  c = conflict("update_update", row("s", 1700000000), row("t", 1700000000001000000));
  EXPECT_FALSE(newest(t, "updated_at", c).source);
}

TEST(ResolveNewest, TieIsDecidedForTheSourceAndLogged) {
  auto t = chat_table();
  auto c = conflict("update_update", row("s", 1700000000), row("t", 1700000000000));  // same instant, s vs ms
  Newer n = newest(t, "updated_at", c);
  EXPECT_TRUE(n.source);
  EXPECT_NE(n.note.find("tie"), std::string::npos) << n.note;
  n = newest(t, "no_such_column", c);
  EXPECT_TRUE(n.source);
  EXPECT_NE(n.note.find("tie"), std::string::npos) << n.note;
}

TEST(ResolveNewest, AMissingSideLoses) {
  auto t = chat_table();
  Row s = row("s", 5), g = row("t", 1);
  s[4] = Value::null();
  EXPECT_FALSE(newest(t, "updated_at", conflict("update_update", s, g)).source);
  EXPECT_TRUE(newest(t, "updated_at", conflict("update_update", g, s)).source);
  // A side without a row (deleted) loses to the side that edited it.
  EXPECT_TRUE(newest(t, "updated_at", conflict("update_delete", g, std::nullopt)).source);
  EXPECT_FALSE(newest(t, "updated_at", conflict("delete_update", std::nullopt, g)).source);
}

// --- strategies x kinds -> change records ------------------------------------------

struct KindCase {
  const char* kind;
  bool has_source, has_target;
  const char* op_source_wins;
  const char* op_target_wins;
};

TEST(ResolveStrategy, SourceAndTargetWinsOnEveryKind) {
  auto t = chat_table();
  for (const KindCase& k : {KindCase{"insert_insert", true, true, "update", "record"},
                            KindCase{"update_update", true, true, "update", "record"},
                            KindCase{"update_delete", true, false, "update", "record"},
                            KindCase{"delete_update", false, true, "delete", "record"}}) {
    SCOPED_TRACE(k.kind);
    auto c = conflict(k.kind, k.has_source ? std::optional<Row>(row("s", 2)) : std::nullopt,
                      k.has_target ? std::optional<Row>(row("t", 1)) : std::nullopt);
    Outcome s = decide(t, rule(Strategy::SourceWins), c);
    ASSERT_EQ(s.resolution, Resolution::Source);
    auto ch = change_for(c, s);
    EXPECT_EQ(ch.op, k.op_source_wins);
    EXPECT_EQ(ch.kh, H(1));
    EXPECT_EQ(ch.k, Row{T("c1")});
    if (k.has_source) {
      EXPECT_EQ(ch.h, H(2));
      EXPECT_EQ(ch.v, *c.source);
    } else {
      EXPECT_FALSE(ch.h);
      EXPECT_FALSE(ch.has_v);
    }

    Outcome g = decide(t, rule(Strategy::TargetWins), c);
    ASSERT_EQ(g.resolution, Resolution::Target);
    ch = change_for(c, g);
    EXPECT_EQ(ch.op, k.op_target_wins);
    EXPECT_EQ(ch.has_v, k.has_target);
    if (k.has_target) {
      EXPECT_EQ(ch.v, *c.target);
    }
    // The base moves to the source's hash; a deleted source is the all-zero hash.
    EXPECT_EQ(ch.h, k.has_source ? H(2) : Hash128{});
  }
}

TEST(ResolveStrategy, ManualLeavesItUnresolvedWithTheReason) {
  auto t = chat_table();
  TableRule r = rule(Strategy::Manual);
  r.reason = "Configuration changes require review";
  Outcome o = decide(t, r, conflict("update_update", row("s", 2), row("t", 1)));
  EXPECT_EQ(o.resolution, Resolution::Unresolved);
  EXPECT_EQ(o.note, r.reason);
}

TEST(ResolveStrategy, NewestWinsPicksTheNewerSide) {
  auto t = chat_table();
  Outcome o = decide(t, rule(Strategy::NewestWins), conflict("update_update", row("s", 1), row("t", 2000)));
  EXPECT_EQ(o.resolution, Resolution::Target);
  auto ch = change_for(conflict("update_update", row("s", 1), row("t", 2000)), o);
  EXPECT_EQ(ch.op, "record");
  EXPECT_EQ(ch.v[1], T("t"));
}

// --- merge ------------------------------------------------------------------------

TEST(ResolveMerge, TwoChatsThatBothGainedMessagesKeepBoth) {
  auto t = chat_table();
  TableRule r = rule(Strategy::Merge);
  r.merge_rules = {{"chat.history.messages", MergeRule::Union}, {"chat.messages", MergeRule::Append},
                   {"meta.tags", MergeRule::Union}, {"title", MergeRule::NewestWins}};
  // Base: m1. The source added m2, the target (later) added m3; both under m1.
  const char* src_chat = R"({"history":{"messages":{"m1":{"id":"m1","childrenIds":["m2"]},)"
                         R"("m2":{"id":"m2","parentId":"m1","content":"from source"}},"currentId":"m2"},)"
                         R"("messages":[{"id":"m1"},{"id":"m2","content":"from source"}]})";
  const char* tgt_chat = R"({"history":{"messages":{"m1":{"id":"m1","childrenIds":["m3"]},)"
                         R"("m3":{"id":"m3","parentId":"m1","content":"from target"}},"currentId":"m3"},)"
                         R"("messages":[{"id":"m1"},{"id":"m3","content":"from target"}]})";
  auto c = conflict("update_update", row("Source title", 100, src_chat, R"({"tags":["a","s"]})"),
                    row("Target title", 200, tgt_chat, R"({"tags":["a","t"]})"));
  Outcome o = decide(t, r, c);
  ASSERT_EQ(o.resolution, Resolution::Merge) << o.note;
  EXPECT_EQ(o.merged[1], T("Target title"));  // newest_wins: the target is newer
  EXPECT_EQ(o.merged[4], I(200));
  EXPECT_EQ(o.merged[3].s, json(R"({"tags":["a","t","s"]})"));
  JsonNode chat = ndjson::parse_json(o.merged[2].s);
  const JsonNode* msgs = chat.find("history")->find("messages");
  ASSERT_NE(msgs, nullptr);
  EXPECT_EQ(msgs->keys, (std::vector<std::string>{"m1", "m3", "m2"}));
  EXPECT_EQ(ndjson::to_json(*msgs->find("m1")->find("childrenIds")), R"(["m3","m2"])");
  EXPECT_EQ(chat.find("history")->find("currentId")->text, "m3");  // outside the rule: the newer side
  EXPECT_EQ(ndjson::to_json(*chat.find("messages")),
            json(R"([{"id":"m1"},{"id":"m3","content":"from target"},{"id":"m2","content":"from source"}])"));
  auto ch = change_for(c, o);
  EXPECT_EQ(ch.op, "update");
  EXPECT_EQ(ch.h, H(2));
  EXPECT_EQ(ch.v, o.merged);
}

TEST(ResolveMerge, FieldsWithoutARuleFollowTheNewerRow) {
  auto t = chat_table();
  TableRule r = rule(Strategy::Merge);
  r.merge_rules = {{"meta.tags", MergeRule::Union}};
  auto c = conflict("update_update", row("S", 300, R"({"x":1})", R"({"tags":["s"]})"),
                    row("T", 200, R"({"x":2})", R"({"tags":["t"]})"));
  Outcome o = decide(t, r, c);
  EXPECT_EQ(o.merged[1], T("S"));
  EXPECT_EQ(o.merged[2], T(R"({"x":1})"));  // untouched: the source's bytes
  EXPECT_EQ(o.merged[3].s, R"({"tags":["t","s"]})");
}

TEST(ResolveMerge, WithoutBothRowsItFallsBackToNewestWins) {
  auto t = chat_table();
  TableRule r = rule(Strategy::Merge);
  r.merge_rules = {{"meta.tags", MergeRule::Union}};
  Outcome o = decide(t, r, conflict("delete_update", std::nullopt, row("t", 1)));
  EXPECT_EQ(o.resolution, Resolution::Target);
  EXPECT_NE(o.note.find("nothing to merge"), std::string::npos);
}

TEST(ResolveMerge, BadJsonAndUnknownColumnsAreNotedNotFatal) {
  auto t = chat_table();
  TableRule r = rule(Strategy::Merge);
  r.merge_rules = {{"meta.tags", MergeRule::Union}, {"nope.x", MergeRule::Union}};
  auto c = conflict("update_update", row("S", 300, "{}", "{not json"), row("T", 200, "{}", R"({"tags":[]})"));
  Outcome o = decide(t, r, c);
  EXPECT_EQ(o.resolution, Resolution::Merge);
  EXPECT_EQ(o.merged[3], T("{not json"));  // the newer side's value
  EXPECT_NE(o.note.find("not valid JSON"), std::string::npos) << o.note;
  EXPECT_NE(o.note.find("\"nope.x\""), std::string::npos) << o.note;
}

TEST(JsonMerge, UnionOfArraysIsASetUnionByJsonText) {
  auto u = ndjson::union_nodes(ndjson::parse_json(R"([1,"a",{"k":1},1])"), ndjson::parse_json(R"(["a",2,{"k":1},{"k":2}])"));
  EXPECT_EQ(ndjson::to_json(u), R"([1,"a",{"k":1},2,{"k":2}])");
}

TEST(JsonMerge, UnionOfObjectsIsTheUnionOfKeysSourceWinsOnScalars) {
  auto u = ndjson::union_nodes(ndjson::parse_json(R"({"a":1,"b":"t","n":{"x":1},"l":[1]})"),
                               ndjson::parse_json(R"({"b":"s","c":3,"n":{"y":2},"l":[2]})"));
  EXPECT_EQ(ndjson::to_json(u), R"({"a":1,"b":"s","n":{"x":1,"y":2},"l":[1,2],"c":3})");
}

TEST(JsonMerge, AppendKeepsTargetOrderAndAddsNewSourceElementsById) {
  auto a = ndjson::append_nodes(ndjson::parse_json(R"([{"id":1,"v":"t"},{"id":2},"x"])"),
                                ndjson::parse_json(R"([{"id":1,"v":"s"},{"id":3},"x","y"])"));
  EXPECT_EQ(ndjson::to_json(a), R"([{"id":1,"v":"t"},{"id":2},"x",{"id":3},"y"])");
}

TEST(JsonMerge, PathsRulesAndMismatchedTypes) {
  std::vector<std::string> notes;
  // A path only one side has is taken from it; intermediate objects are created.
  auto out = ndjson::merge_json(R"({"a":0})", R"({"a":0})", R"({"p":{"q":[1]}})", {{"p.q", MergeRule::Union}}, false, notes);
  EXPECT_EQ(out, R"({"a":0,"p":{"q":[1]}})");
  EXPECT_TRUE(notes.empty());
  // Types that do not merge: the newer side's value, and a note.
  out = ndjson::merge_json(R"({"p":"t"})", R"({"p":"t"})", R"({"p":[1]})", {{"p", MergeRule::Append}}, false, notes);
  EXPECT_EQ(out, R"({"p":"t"})");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("do not merge"), std::string::npos);
  // newest_wins at a path.
  out = ndjson::merge_json(R"({"p":1,"o":1})", R"({"p":1,"o":1})", R"({"p":2,"o":2})", {{"p", MergeRule::NewestWins}}, true,
                           notes);
  EXPECT_EQ(out, R"({"p":2,"o":1})");
  // A path that crosses a scalar is skipped with a note.
  notes.clear();
  out = ndjson::merge_json(R"({"p":5})", R"({"p":5})", R"({"p":{"q":1}})", {{"p.q", MergeRule::Union}}, false, notes);
  EXPECT_EQ(out, R"({"p":5})");
  EXPECT_EQ(notes.size(), 1u);
  EXPECT_THROW(ndjson::merge_json("{", "{}", "{}", {}, true, notes), InputError);
}

TEST(JsonTree, RoundTripKeepsIntegersEscapesAndOrder) {
  const char* doc = R"({"z":18446744073709551615,"a":-9223372036854775808,"s":"\"\\\n\u0001é","f":0.1,"e":[],"o":{}})";
  EXPECT_EQ(ndjson::to_json(ndjson::parse_json(doc)),
            R"({"z":18446744073709551615,"a":-9223372036854775808,"s":"\"\\\n\u0001é","f":0.1,"e":[],"o":{}})");
}

// --- config ----------------------------------------------------------------------

namespace {

const char* kIssueConfig = R"({"conflict_resolution": {
   "default_strategy": "newest_wins",
   "table_strategies": {
     "user":          {"strategy": "newest_wins", "compare_field": "updated_at"},
     "chat":          {"strategy": "merge", "merge_rules": {"chat.history.messages": "union",
                                                          "chat.messages": "append",
                                                          "meta.tags": "union", "title": "newest_wins"}},
     "oauth_session": {"strategy": "source_wins", "reason": "Active sessions should not be overwritten"},
     "config":        {"strategy": "manual", "notify": true, "reason": "Configuration changes require review"}},
   "resolution_log": {"enabled": true, "retention_days": 30, "include_data_snapshot": false}}})";

std::string config_error(const std::string& text) {
  std::vector<std::string> w;
  try {
    parse_config(text, "f.json", w);
  } catch (const InputError& e) {
    EXPECT_EQ(e.code(), 65);
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ResolveConfig, AcceptsTheIssueShape) {
  std::vector<std::string> w;
  Config c = parse_config(kIssueConfig, "f.json", w);
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_EQ(c.default_rule.strategy, Strategy::NewestWins);
  EXPECT_EQ(c.rule_for("chat").strategy, Strategy::Merge);
  ASSERT_EQ(c.rule_for("chat").merge_rules.size(), 4u);
  EXPECT_EQ(c.rule_for("chat").merge_rules[0].field, "chat.history.messages");
  EXPECT_EQ(c.rule_for("chat").merge_rules[1].rule, MergeRule::Append);
  EXPECT_EQ(c.rule_for("oauth_session").strategy, Strategy::SourceWins);
  EXPECT_EQ(c.rule_for("config").strategy, Strategy::Manual);
  EXPECT_TRUE(c.rule_for("config").notify);
  EXPECT_EQ(c.rule_for("tag").strategy, Strategy::NewestWins);  // the default
  EXPECT_EQ(c.retention_days, 30);
  EXPECT_FALSE(c.include_snapshot);
}

TEST(ResolveConfig, TheBuiltInConfigParsesWithoutWarnings) {
  std::vector<std::string> w;
  Config c = parse_config(kDefaultConfigText, "builtin", w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(c.tables.size(), 4u);
}

TEST(ResolveConfig, ErrorsNameTheFileAndTheKey) {
  EXPECT_EQ(config_error(R"({"conflict_resolution":{"table_strategies":{"chat":{"strategy":"newst_wins"}}}})"),
            "f.json: conflict_resolution.table_strategies.chat.strategy: unknown strategy \"newst_wins\" "
            "(expected newest_wins, source_wins, target_wins, merge or manual)");
  EXPECT_NE(config_error(R"({"conflict_resolution":{"table_strategies":{"chat":{"strategy":"merge",)"
                         R"("merge_rules":{"meta.tags":"concat"}}}}})")
                .find("f.json: conflict_resolution.table_strategies.chat.merge_rules.\"meta.tags\": unknown merge rule"),
            std::string::npos);
  EXPECT_NE(config_error("{\"conflict_resolution\": ").find("f.json: (document): not valid JSON"), std::string::npos);
  EXPECT_NE(config_error(R"({"conflict_resolution":{"default_strategy":3}})")
                .find("conflict_resolution.default_strategy: expected string, found number"),
            std::string::npos);
  EXPECT_NE(config_error(R"({"conflict_resolution":{"resolution_log":{"retention_days":-1}}})")
                .find("retention_days"),
            std::string::npos);
  EXPECT_NE(config_error(R"({"other":{}})").find("conflict_resolution: missing"), std::string::npos);
  EXPECT_NE(config_error(R"({"conflict_resolution":{"table_strategies":{"chat":{}}}})").find("missing \"strategy\""),
            std::string::npos);
}

TEST(ResolveConfig, UnknownTablesColumnsAndKeysAreWarnings) {
  std::vector<std::string> w;
  parse_config(R"({"conflict_resolution":{"table_strategies":{"chats":{"strategy":"manual"},)"
               R"("chat":{"strategy":"newest_wins","compare_field":"modified","colour":1}}}})",
               "f.json", w);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], "f.json: conflict_resolution.table_strategies.chats: unknown table \"chats\" (not an Open WebUI table)");
  EXPECT_NE(w[1].find("colour: unknown key"), std::string::npos) << w[1];
  EXPECT_NE(w[2].find("has no column \"modified\""), std::string::npos) << w[2];
}

// --- the filter over a whole stream ---------------------------------------------------

namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

int temp_fd() {
  char path[] = "/tmp/resolve_test_XXXXXX";
  int fd = ::mkstemp(path);
  ::unlink(path);
  return fd;
}

// Seals record lines into a stream with a trailer, in a temp file.
int sealed(const std::vector<std::string>& lines) {
  int fd = temp_fd();
  {
    ndjson::RecordWriter w(fd);
    for (const auto& l : lines) w.line(l);
    w.finish();
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (std::size_t e; (e = s.find('\n', b)) != std::string::npos; b = e + 1) out.push_back(s.substr(b, e - b));
  return out;
}

std::string conflict_line(const char* kind, const std::string& k, const Row* source, const Row* target) {
  ndjson::JsonBuf j;
  j.open().key("t").string("conflict").key("kind").string(kind).key("table").string("chat");
  j.key("kh").string(H(k.size() + k[0]).hex());
  j.key("h");
  if (source) j.string(H(7).hex()); else j.null();
  j.key("k").values({Value::text(k)}).key("v");
  if (source) j.values(*source); else j.null();
  j.key("target");
  if (target) j.values(*target); else j.null();
  j.key("base_h").null().close();
  return j.str();
}

struct FilterRun {
  std::vector<std::string> out;
  ResolveStats stats;
};

FilterRun run_filter(const std::vector<std::string>& lines, const Config& cfg) {
  int in_fd = sealed(lines), out_fd = temp_fd();
  FilterRun r;
  {
    ndjson::Reader in(in_fd, "test");
    ndjson::RecordWriter out(out_fd);
    r.stats = resolve_stream(in, out, cfg);
  }
  r.out = split_lines(read_all(out_fd));
  ::close(in_fd);
  ::close(out_fd);
  return r;
}

std::vector<std::string> head_lines() {
  ndjson::JsonBuf j;
  ndjson::write_table(j, chat_table());
  return {R"({"t":"header","v":1,"client":"acme","host":"h1","schema":"acme","source":"/x","stream_id":"s1","adhoc":true,"created_at":"x"})",
          R"({"t":"base","client":"acme","generation":3,"cache":"hit","extra":[1, 2]})", j.str()};
}

}  // namespace

TEST(ResolveStream, ForwardsOtherRecordsAndReplacesConflicts) {
  std::vector<std::string> warnings;
  Config cfg = parse_config(kIssueConfig, "cfg", warnings);
  Row s = row("S", 300, "{}", R"({"tags":["s"]})"), g = row("T", 200, "{}", R"({"tags":["t"]})");
  auto lines = head_lines();
  lines.push_back(R"({"t":"change","op":"insert","table":"chat","kh":"00000000000000000000000000000009","h":"00000000000000000000000000000009","k":["c0"],"v":["c0",null,null,null,1]})");
  lines.push_back(conflict_line("update_update", "c1", &s, &g));
  lines.push_back(conflict_line("delete_update", "c2", nullptr, &g));
  FilterRun r = run_filter(lines, cfg);
  ASSERT_EQ(r.out.size(), 9u);  // 4 forwarded, 2 decisions, 2 changes, trailer
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(r.out[i], lines[i]);  // byte for byte
  EXPECT_EQ(r.stats.conflicts, 2u);
  EXPECT_EQ(r.stats.merge, 1u);
  EXPECT_EQ(r.stats.target, 1u);
  CanonicalBuffer cb;
  const std::string th = row_hash(cb, chat_table().column_names(), g).hex();
  EXPECT_NE(r.out[4].find(R"("t":"decision","table":"chat")"), std::string::npos) << r.out[4];
  EXPECT_NE(r.out[4].find(R"("strategy":"merge","resolution":"merge","resolved_by":"sync-resolve")"), std::string::npos);
  EXPECT_NE(r.out[4].find("\"h\":\"" + H(7).hex() + "\",\"target_h\":\"" + th + "\""), std::string::npos) << r.out[4];
  EXPECT_EQ(r.out[4].find("\"source\""), std::string::npos);  // include_data_snapshot: false
  EXPECT_NE(r.out[5].find(R"("op":"update")"), std::string::npos) << r.out[5];
  EXPECT_NE(r.out[5].find(R"({\"tags\":[\"t\",\"s\"]})"), std::string::npos) << r.out[5];
  EXPECT_NE(r.out[6].find(R"("kind":"delete_update","strategy":"merge","resolution":"target")"), std::string::npos);
  EXPECT_NE(r.out[6].find(R"("h":null)"), std::string::npos);
  EXPECT_NE(r.out[7].find(R"("op":"record")"), std::string::npos) << r.out[7];
  EXPECT_NE(r.out[7].find(R"("h":"00000000000000000000000000000000")"), std::string::npos) << r.out[7];
  EXPECT_EQ(r.out[8].rfind(R"({"t":"trailer","records":8,)", 0), 0u) << r.out[8];
}

TEST(ResolveStream, ManualGivesADecisionOnlyAndSnapshotsWhenAsked) {
  std::vector<std::string> warnings;
  Config cfg = parse_config(R"({"conflict_resolution":{"default_strategy":"manual",)"
                            R"("resolution_log":{"include_data_snapshot":true}}})",
                            "cfg", warnings);
  Row s = row("S", 1), g = row("T", 2);
  auto lines = head_lines();
  lines.push_back(conflict_line("insert_insert", "c1", &s, &g));
  FilterRun r = run_filter(lines, cfg);
  ASSERT_EQ(r.out.size(), 5u);
  EXPECT_NE(r.out[3].find(R"("resolution":"unresolved")"), std::string::npos);
  EXPECT_NE(r.out[3].find(R"("source":["c1","S","{}","{}",1],"target":["c1","T","{}","{}",2])"), std::string::npos)
      << r.out[3];
  EXPECT_EQ(r.stats.unresolved, 1u);
}

TEST(ResolveStream, RefusesMalformedConflicts) {
  std::vector<std::string> warnings;
  Config cfg = parse_config(kDefaultConfigText, "cfg", warnings);
  Row s = row("S", 1), g = row("T", 2), short_row = {T("c1")};
  auto expect_fail = [&](const std::string& line, const char* what) {
    auto lines = head_lines();
    lines.push_back(line);
    try {
      run_filter(lines, cfg);
      ADD_FAILURE() << "no error for " << line;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_fail(conflict_line("update_update", "c1", &s, nullptr), "update_update conflict without a target row");
  expect_fail(conflict_line("delete_update", "c1", &s, &g), "delete_update conflict with a source row");
  expect_fail(conflict_line("sideways", "c1", &s, &g), "unknown conflict kind");
  expect_fail(conflict_line("update_update", "c1", &short_row, &g), "has 1 values, table \"chat\" has 5 columns");
  std::string other = conflict_line("update_update", "c1", &s, &g);
  other.replace(other.find("\"chat\""), 6, "\"tag\"");
  expect_fail(other, "before its table record");
}

// --- settlements (sync-resolve --settle, applied on the next run) -------------------------

TEST(ResolveSettle, TheSettlementOverridesTheStrategy) {
  auto t = chat_table();
  auto c = conflict("update_update", row("S", 1), row("T", 2));
  c.settled = Settlement{"source", {}, "alice", 42};
  Outcome o = apply_settlement(t, c);
  EXPECT_EQ(o.resolution, Resolution::Source);
  EXPECT_EQ(o.note, "settled by alice (conflict_log id 42): source taken");
  EXPECT_EQ(change_for(c, o).op, "update");
  c.settled->take = "target";
  EXPECT_EQ(apply_settlement(t, c).resolution, Resolution::Target);
  c.settled->take = "value";
  c.settled->v = row("Given", 3);
  o = apply_settlement(t, c);
  ASSERT_EQ(o.resolution, Resolution::Merge);
  auto ch = change_for(c, o);
  EXPECT_EQ(ch.op, "update");
  EXPECT_EQ(ch.v, row("Given", 3));
  EXPECT_EQ(ch.h, H(2));
  // A value for a deleted source still gets a hash: all zeros, "no source row".
  auto d = conflict("delete_update", std::nullopt, row("T", 2));
  d.settled = Settlement{"value", row("Given", 3), "", std::nullopt};
  EXPECT_EQ(change_for(d, apply_settlement(t, d)).h, Hash128{});
  // A row of the wrong width, or an unknown settlement, is not applied.
  c.settled->v = {T("c1")};
  o = apply_settlement(t, c);
  EXPECT_EQ(o.resolution, Resolution::Unresolved);
  EXPECT_NE(o.note.find("has 1 values, table chat has 5 columns"), std::string::npos) << o.note;
  c.settled->take = "both";
  EXPECT_EQ(apply_settlement(t, c).resolution, Resolution::Unresolved);
}

TEST(ResolveSettle, ASettledConflictRecordGivesASettledDecision) {
  std::vector<std::string> warnings;
  Config cfg = parse_config(R"({"conflict_resolution":{"default_strategy":"manual"}})", "cfg", warnings);
  Row s = row("S", 1), g = row("T", 2);
  auto lines = head_lines();
  std::string line = conflict_line("update_update", "c1", &s, &g);
  line.pop_back();
  lines.push_back(line + R"(,"settled":"target","settled_by":"alice","settled_id":7})");
  FilterRun r = run_filter(lines, cfg);
  ASSERT_EQ(r.out.size(), 6u);
  EXPECT_NE(r.out[3].find(R"("strategy":"settled","resolution":"target","resolved_by":"alice","note":"settled by alice (conflict_log id 7): target taken")"),
            std::string::npos)
      << r.out[3];
  EXPECT_NE(r.out[4].find(R"("op":"record")"), std::string::npos) << r.out[4];
  EXPECT_EQ(r.stats.unresolved, 0u);
}

// sync-diff's three-way rule (tools/diff/classify.hpp), every case of the
// table in sync-diff(1), plus the protocol helpers sync-diff writes with.
#include "../../tools/diff/classify.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol.hpp"
#include "ndjson/protocol_conflict.hpp"

namespace syncpipe::diff {
namespace {

const Hash128 kB{1, 1}, kS{2, 2}, kTB{3, 3}, kTS{4, 4}, kTX{5, 5};

BaseEntry base(BaseStatus st = BaseStatus::Loaded) {
  BaseEntry b;
  b.src = kB;
  if (st == BaseStatus::Loaded) b.set_tgt(kTB);
  b.status = st;
  return b;
}

Verdict run(const BaseEntry* b, std::optional<Hash128> s, std::optional<Hash128> img, std::optional<Hash128> t) {
  return classify({b, s, img, t});
}

TEST(Classify, NewRows) {
  EXPECT_EQ(run(nullptr, kS, kTS, std::nullopt), Verdict::Insert);
  EXPECT_EQ(run(nullptr, kS, kTS, kTS), Verdict::Record);
  EXPECT_EQ(run(nullptr, kS, kTS, kTX), Verdict::InsertInsert);
  // a row that would be quarantined never equals a target row
  EXPECT_EQ(run(nullptr, kS, std::nullopt, kTX), Verdict::InsertInsert);
  EXPECT_EQ(run(nullptr, kS, std::nullopt, std::nullopt), Verdict::Insert);
}

TEST(Classify, UnchangedSourceIsNothingWhateverTheTarget) {
  auto b = base();
  EXPECT_EQ(run(&b, kB, kTB, kTB), Verdict::Nothing);
  EXPECT_EQ(run(&b, kB, kTB, kTX), Verdict::Nothing);
  EXPECT_EQ(run(&b, kB, kTB, std::nullopt), Verdict::Nothing);
}

TEST(Classify, ChangedSource) {
  auto b = base();
  EXPECT_EQ(run(&b, kS, kTS, kTB), Verdict::Update);
  EXPECT_EQ(run(&b, kS, std::nullopt, kTB), Verdict::Update);  // sync-load quarantines it
  EXPECT_EQ(run(&b, kS, kTS, kTS), Verdict::Record);
  EXPECT_EQ(run(&b, kS, kTS, kTX), Verdict::UpdateUpdate);
  EXPECT_EQ(run(&b, kS, kTS, std::nullopt), Verdict::UpdateDelete);
}

TEST(Classify, ChangedSourceOverQuarantinedOrAbsentBase) {
  auto q = base(BaseStatus::Quarantined);
  EXPECT_EQ(run(&q, kS, kTS, std::nullopt), Verdict::Insert);
  EXPECT_EQ(run(&q, kS, kTS, kTS), Verdict::Record);
  EXPECT_EQ(run(&q, kS, kTS, kTX), Verdict::UpdateUpdate);
  auto a = base(BaseStatus::Absent);
  EXPECT_EQ(run(&a, kS, kTS, std::nullopt), Verdict::UpdateDelete);
  EXPECT_EQ(run(&a, kS, kTS, kTS), Verdict::Record);
  EXPECT_EQ(run(&a, kS, kTS, kTX), Verdict::UpdateUpdate);
}

TEST(Classify, DeletedSource) {
  auto b = base();
  EXPECT_EQ(run(&b, std::nullopt, std::nullopt, kTB), Verdict::Delete);
  EXPECT_EQ(run(&b, std::nullopt, std::nullopt, std::nullopt), Verdict::Delete);
  EXPECT_EQ(run(&b, std::nullopt, std::nullopt, kTX), Verdict::DeleteUpdate);
  auto q = base(BaseStatus::Quarantined);
  EXPECT_EQ(run(&q, std::nullopt, std::nullopt, kTX), Verdict::Delete);
  auto a = base(BaseStatus::Absent);
  EXPECT_EQ(run(&a, std::nullopt, std::nullopt, std::nullopt), Verdict::Delete);
  EXPECT_EQ(run(&a, std::nullopt, std::nullopt, kTX), Verdict::DeleteUpdate);
  EXPECT_EQ(run(nullptr, std::nullopt, std::nullopt, kTX), Verdict::Nothing);
}

TEST(Classify, RowKeptByTheTargetAfterADeleteUpdateDecision) {
  BaseEntry kept = base();
  kept.src = Hash128{};  // sync-resolve's record with h = 32 zeros
  EXPECT_TRUE(kept_by_target(kept));
  EXPECT_FALSE(kept_by_target(base()));
  // the source still has no row: leave the target's row alone, whatever it holds
  EXPECT_EQ(run(&kept, std::nullopt, std::nullopt, kTB), Verdict::Nothing);
  EXPECT_EQ(run(&kept, std::nullopt, std::nullopt, kTX), Verdict::Nothing);
  // the source brings the row back: an ordinary change against the kept row
  EXPECT_EQ(run(&kept, kS, kTS, kTB), Verdict::Update);
}

TEST(Classify, Drift) {
  auto b = base();
  EXPECT_FALSE(drifted(b, kTB));
  EXPECT_TRUE(drifted(b, kTX));
  EXPECT_TRUE(drifted(b, std::nullopt));
  auto q = base(BaseStatus::Quarantined);
  EXPECT_FALSE(drifted(q, std::nullopt));
  EXPECT_TRUE(drifted(q, kTX));
}

TEST(Classify, NamesAreProtocolWords) {
  EXPECT_STREQ(verdict_name(Verdict::Record), "record");
  EXPECT_STREQ(verdict_name(Verdict::DeleteUpdate), "delete_update");
  EXPECT_TRUE(is_conflict(Verdict::InsertInsert));
  EXPECT_FALSE(is_conflict(Verdict::Delete));
}

TEST(DiffProtocol, KeyJsonRoundTripsEveryValueClass) {
  Row r{Value::integer(INT64_MIN), Value::real(-0.0), Value::text(std::string("a\0b", 3)), Value::text("\xff"),
        Value::blob(std::string("\0\x01", 2)), Value::null(), Value::real(1e300)};
  ndjson::JsonBuf j;
  j.values(r);
  EXPECT_EQ(ndjson::parse_values_json(j.str()), r);
  EXPECT_THROW(ndjson::parse_values_json("{}"), InputError);
  EXPECT_THROW(ndjson::parse_values_json("[1,"), InputError);
  EXPECT_THROW(ndjson::parse_values_json("[{\"blob\":\"!\"}]"), InputError);
}

TEST(DiffProtocol, ConflictRecordShape) {
  ndjson::Conflict c;
  c.kind = "delete_update";
  c.table = "t";
  c.kh = {0, 1};
  c.k = {Value::text("a")};
  c.target = Row{Value::text("a"), Value::integer(2)};
  c.base_h = Hash128{0, 2};
  ndjson::JsonBuf j;
  ndjson::write_conflict(j, c);
  EXPECT_EQ(j.str(),
            R"({"t":"conflict","kind":"delete_update","table":"t","kh":"00000000000000000000000000000001",)"
            R"("h":null,"k":["a"],"v":null,"target":["a",2],"base_h":"00000000000000000000000000000002",)"
            R"("target_h":null})");
}

}  // namespace
}  // namespace syncpipe::diff

#include "target.hpp"

#include <cmath>
#include <fmt/format.h>

#include "core/encoding.hpp"
#include "core/error.hpp"
#include "ndjson/json_out.hpp"
#include "pg/connection.hpp"
#include "pg/transaction.hpp"

namespace syncpipe::diff {

namespace {

constexpr int kFetchRows = 50000;

// One element of the key array sent to PostgreSQL: JSON whose ->> text casts
// back to the key image (bytea in its hex input form, ±Infinity as words).
void key_element(ndjson::JsonBuf& j, const Value& v) {
  switch (v.kind) {
    case Kind::Integer: j.integer(v.i); break;
    case Kind::Real:
      if (std::isinf(v.r)) j.string(v.r > 0 ? "Infinity" : "-Infinity");
      else j.real(v.r);
      break;
    case Kind::Blob: j.string("\\x" + hex_encode(v.s)); break;
    default: j.string(v.s);
  }
}

// t."k" = (e.k->>i)::type for every key column; json has no = operator, so
// it is compared as text (its text is kept byte-exact).
std::string key_join(pg::Connection& c, const ndjson::TableSchema& t, const std::vector<PgType>& types) {
  std::string on;
  for (std::size_t i = 0; i < t.key_index.size(); ++i) {
    auto col = t.key_index[i];
    std::string lhs = "t." + c.quote_ident(t.columns[col].name);
    if (!on.empty()) on += " AND ";
    if (types[col] == PgType::Json) on += fmt::format("{}::text = (e.k->>{})", lhs, i);
    else on += fmt::format("{} = (e.k->>{})::{}", lhs, i, pg_type_name(types[col]));
  }
  return on;
}

std::string lookup_sql(pg::Connection& c, const std::string& schema, const ndjson::TableSchema& t,
                       const std::vector<PgType>& types) {
  std::string cols;
  for (const auto& col : t.columns) cols += ", t." + c.quote_ident(col.name);
  return fmt::format("SELECT (e.n - 1)::int{} FROM {} t JOIN json_array_elements($1::json) WITH ORDINALITY AS e(k, n) "
                     "ON {}",
                     cols, c.quote_qualified(schema, t.name), key_join(c, t, types));
}

Hash128 hash_field(std::string_view bytes, const char* what) {
  try {
    return Hash128::from_bytes(bytes);
  } catch (const InputError& e) {
    throw RuntimeError(fmt::format("sync_metadata.row_state.{}: {}", what, e.what()));
  }
}

void add_base_rows(const pg::Result& r, BaseState& st) {
  for (int i = 0; i < r.ntuples(); ++i) {
    auto table = st.table_id(r.get(i, 0));
    auto status = parse_base_status(r.get(i, 4));
    if (!status) throw RuntimeError(fmt::format("sync_metadata.row_state: unknown status \"{}\"", r.get(i, 4)));
    std::optional<Hash128> tgt;
    if (!r.is_null(i, 3)) tgt = hash_field(r.get(i, 3), "tgt_hash");
    st.put(hash_field(r.get(i, 1), "key_hash"), table, hash_field(r.get(i, 2), "src_hash"), tgt, *status);
  }
}

}  // namespace

Target::Target(pg::Connection& conn, const ndjson::Header& header) : conn_(conn), header_(header) {
  tx_ = std::make_unique<pg::Transaction>(conn_, pg::Isolation::kRepeatableRead);
  conn_.exec_sql("SET TRANSACTION READ ONLY");
  // Transaction-local settings in one round trip (fixed cost per tenant matters).
  conn_.exec_params("SELECT set_config('syncpipe.host_id', $1, true), set_config('extra_float_digits', '1', true), "
                    "set_config('bytea_output', 'hex', true)",
                    {pg::Param::text(header_.host)});
}

Target::~Target() = default;

void Target::read_types() {
  auto r = conn_.exec_params(
      "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
      "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
      {pg::Param::text(header_.schema)});
  for (int i = 0; i < r.ntuples(); ++i)
    types_[std::string(r.get(i, 0))][std::string(r.get(i, 1))] = std::string(r.get(i, 2));
}

const std::map<std::string, std::string>* Target::columns(const std::string& table) const {
  auto it = types_.find(table);
  return it == types_.end() ? nullptr : &it->second;
}

BaseState Target::read_base() {
  BaseState st;
  conn_.exec_params(
      "DECLARE syncpipe_base NO SCROLL CURSOR FOR SELECT table_name, key_hash, src_hash, tgt_hash, status "
      "FROM sync_metadata.row_state WHERE client_id = $1",
      {pg::Param::text(header_.client)});
  const std::string fetch = fmt::format("FETCH {} FROM syncpipe_base", kFetchRows);
  for (;;) {
    auto r = conn_.exec_params(fetch, {}, pg::Format::kBinary);
    add_base_rows(r, st);
    if (r.ntuples() < kFetchRows) break;
  }
  conn_.exec_sql("CLOSE syncpipe_base");
  return st;
}

namespace {

std::string conflict_id(std::string_view kh, std::string_view h, std::string_view target_h) {
  return fmt::format("{}|{}|{}", kh, h, target_h);
}

}  // namespace

std::optional<ndjson::Settlement> Target::settlement(const Hash128& kh, const std::optional<Hash128>& h,
                                                     const std::optional<Hash128>& target_h) {
  if (!settled_) {
    settled_.emplace();
    auto r = conn_.exec_params(
        "SELECT id, key_hash, source_hash, target_hash, settled_value FROM sync_metadata.conflict_log "
        "WHERE client_id = $1 AND resolved_at IS NULL AND settled_value IS NOT NULL",
        {pg::Param::text(header_.client)});
    for (int i = 0; i < r.ntuples(); ++i) {
      auto s = ndjson::parse_settlement_json(r.get(i, 4), r.get_int64(i, 0));
      if (s) (*settled_)[conflict_id(r.get(i, 1), r.get(i, 2), r.get(i, 3))] = std::move(*s);
    }
  }
  if (settled_->empty()) return std::nullopt;
  auto it = settled_->find(conflict_id(kh.hex(), h ? h->hex() : "", target_h ? target_h->hex() : ""));
  if (it == settled_->end()) return std::nullopt;
  return it->second;
}

bool Target::is_empty(const std::string& table) {
  auto r = conn_.exec("SELECT NOT EXISTS (SELECT 1 FROM {})", conn_.quote_qualified(header_.schema, table));
  return r.get(0, 0) == "t";
}

TargetRows Target::lookup(const ndjson::TableSchema& t, const std::vector<PgType>& types,
                          const std::vector<std::optional<Row>>& keys) {
  TargetRows out;
  out.tuple_.assign(keys.size(), -1);
  out.types_ = types;
  ndjson::JsonBuf arr;
  arr.open_array();
  std::vector<std::size_t> index;  // array position -> keys position
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!keys[i]) continue;
    arr.comma().open_array();
    for (const auto& v : *keys[i]) key_element(arr.comma(), v);
    arr.close_array();
    index.push_back(i);
  }
  arr.close_array();
  if (index.empty()) return out;
  out.res_ = conn_.exec_params(lookup_sql(conn_, header_.schema, t, types), {pg::Param::text(arr.str())});
  for (int row = 0; row < out.res_.ntuples(); ++row) {
    auto pos = static_cast<std::size_t>(out.res_.get_int64(row, 0));
    if (pos >= index.size()) throw RuntimeError("target lookup returned an unknown key position");
    out.tuple_[index[pos]] = row;
  }
  return out;
}

// Column c of the image is result column c + 1 (column 0 is the key position).
std::optional<Hash128> TargetRows::hash(std::size_t i, CanonicalBuffer& cb,
                                        const std::vector<std::string>& names) const {
  int row = tuple_.at(i);
  if (row < 0) return std::nullopt;
  Value scratch;  // a converted value, read by row_hash_at before the next one
  return row_hash_at(cb, names, types_.size(), [&](std::size_t c) -> ValueRef {
    int col = static_cast<int>(c) + 1;
    if (res_.is_null(row, col)) return {};
    if (types_[c] == PgType::Text || types_[c] == PgType::Json) return {Kind::Text, 0, 0, res_.get(row, col)};  // no copy
    scratch = from_pg_text(res_.get(row, col), types_[c]);
    return ref(scratch);
  });
}

std::optional<Row> TargetRows::row(std::size_t i) const {
  int row = tuple_.at(i);
  if (row < 0) return std::nullopt;
  Row img(types_.size());
  for (std::size_t c = 0; c < types_.size(); ++c) {
    int col = static_cast<int>(c) + 1;
    if (!res_.is_null(row, col)) img[c] = from_pg_text(res_.get(row, col), types_[c]);
  }
  return img;
}

std::vector<std::pair<Hash128, Row>> Target::keys_of(const std::vector<Hash128>& khs) {
  ndjson::JsonBuf arr;
  arr.open_array();
  for (const auto& kh : khs) arr.comma().string(kh.hex());
  arr.close_array();
  auto r = conn_.exec_params(
      "SELECT encode(key_hash, 'hex'), key_json FROM sync_metadata.row_state WHERE client_id = $1 "
      "AND key_hash = ANY (ARRAY(SELECT decode(x, 'hex') FROM json_array_elements_text($2::json) AS x))",
      {pg::Param::text(header_.client), pg::Param::text(arr.str())});
  std::vector<std::pair<Hash128, Row>> out;
  out.reserve(static_cast<std::size_t>(r.ntuples()));
  for (int i = 0; i < r.ntuples(); ++i)
    out.emplace_back(Hash128::from_hex(r.get(i, 0)), ndjson::parse_values_json(r.get(i, 1), "row_state.key_json"));
  return out;
}

}  // namespace syncpipe::diff

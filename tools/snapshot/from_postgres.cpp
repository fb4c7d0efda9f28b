#include "from_postgres.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "core/affinity.hpp"
#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "ndjson/json_out.hpp"
#include "ndjson/protocol_rows.hpp"
#include "ndjson/writer.hpp"
#include "pg/connection.hpp"
#include "pg/copy_out.hpp"
#include "pg_source.hpp"
#include "sqlite/create_object.hpp"
#include "sqlite/database.hpp"
#include "sqlite/schema.hpp"
#include "table_plan.hpp"

namespace syncpipe::snapshot {

namespace {

constexpr std::size_t kMaxTries = 4096;  // combinations of ambiguous columns tried per row

struct Counts {
  std::uint64_t tables = 0, rows = 0, quarantined = 0, by_base = 0, unmatched = 0;
};

// The table records of the captured schema, planned exactly as a snapshot
// of the source file plans them (same key choice), from an in-memory copy
// of its tables and indexes.
std::vector<TablePlan> plan_tables(const ndjson::SqliteSchema& s) {
  auto db = sqlite::Database::open_readwrite(":memory:", true);
  for (const auto& o : s.objects)
    if (o.sql && (o.type == "table" || o.type == "index") && !o.name.starts_with("sqlite_"))
      sqlite::create_object(db, o.type, o.name, *o.sql);
  std::vector<TablePlan> plans;
  for (const auto& t : sqlite::list_tables(db)) plans.push_back(plan_table(db, t));
  return plans;
}

class TableReader {
 public:
  TableReader(PgSource& src, const ndjson::TableSchema& t, ndjson::RecordWriter& out, std::size_t max_record,
              Counts& n)
      : src_(src), t_(t), out_(out), max_record_(max_record), n_(n), names_(t.column_names()),
        types_(src.types(t, true)) {
    for (std::size_t i = 0; i < types_.size(); ++i) {
      affinity_.push_back(affinity_of(t.columns[i].decl));
      if (ambiguous(affinity_.back(), types_[i])) ambiguous_.push_back(i);
    }
  }

  void run() {
    if (types_.empty()) {
      log::warn("table \"{}\" is not in schema {} (left out of the sync?): restored empty", t_.name,
                src_.schema_name());
      return;
    }
    ndjson::JsonBuf rec;
    ndjson::write_table(rec, t_);
    out_.record(rec);
    auto quarantined = src_.quarantined(t_.name);
    for (const auto& q : quarantined) skip_.insert({q.kh.hi, q.kh.lo});
    if (!ambiguous_.empty()) base_ = src_.source_hashes(t_.name);
    copy_rows();
    for (const auto& q : quarantined) emit_quarantined(q);
    rec.clear();
    ndjson::write_table_end(rec, {t_.name, rows_});
    out_.record(rec);
    n_.rows += rows_;
    ++n_.tables;
  }

 private:
  void copy_rows() {
    auto& c = src_.conn();
    std::string cols;
    for (const auto& n : names_) cols += (cols.empty() ? "" : ", ") + c.quote_ident(n);
    pg::CopyOut copy(c, "COPY " + c.quote_qualified(src_.schema_name(), t_.name) + " (" + cols + ") TO STDOUT");
    std::string_view line;
    std::vector<std::optional<std::string>> fields;
    Row row, images;
    while (copy.next(line)) {
      pg::copy_text::split_row(line, fields);
      if (fields.size() != names_.size()) throw RuntimeError(fmt::format("table \"{}\": COPY gave {} fields, expected {}", t_.name, fields.size(), names_.size()));
      images.resize(ambiguous_.empty() ? 0 : fields.size());
      row.resize(fields.size());
      for (std::size_t i = 0; i < fields.size(); ++i) {
        Value v = fields[i] ? from_pg_text(*fields[i], types_[i]) : Value::null();
        if (!ambiguous_.empty()) images[i] = v;  // kept to try the other storage classes
        apply_affinity(v, affinity_[i]);
        row[i] = std::move(v);
      }
      Hash128 kh = key_hash(cb_, t_.name, t_.key_of(row));
      if (skip_.count({kh.hi, kh.lo})) continue;  // its quarantined source row is newer
      emit(kh, resolve(kh, row, images), row);
    }
  }

  // The row hash; for an ambiguous column, the storage classes whose row
  // hash is the base state's source hash, when some combination has it.
  Hash128 resolve(const Hash128& kh, Row& row, const Row& images) {
    Hash128 h = row_hash(cb_, names_, row);
    if (ambiguous_.empty()) return h;
    auto it = base_.find(kh);
    if (it == base_.end() || it->second == h) return h;
    std::vector<std::vector<Value>> options;
    std::size_t combos = 1;
    for (auto i : ambiguous_) {
      options.push_back({row[i]});
      for (auto& v : alternatives(images[i], types_[i])) options.back().push_back(std::move(v));
      combos = std::min(kMaxTries, combos * options.back().size());
    }
    Row trial = row;
    for (std::size_t n = 1; n < combos; ++n) {
      std::size_t rest = n;
      for (std::size_t a = 0; a < ambiguous_.size(); ++a) {
        trial[ambiguous_[a]] = options[a][rest % options[a].size()];
        rest /= options[a].size();
      }
      Hash128 th = row_hash(cb_, names_, trial);
      if (th == it->second) {
        row = std::move(trial);
        ++n_.by_base;
        return th;
      }
    }
    ++n_.unmatched;
    return h;
  }

  void emit_quarantined(const Quarantined& q) {
    Row row = ndjson::parse_values_json(q.row_data, fmt::format("quarantine row_data of table \"{}\"", t_.name));
    if (row.size() != names_.size())
      throw RuntimeError(fmt::format("table \"{}\": a quarantined row has {} values, the table {} columns", t_.name,
                                     row.size(), names_.size()));
    emit(key_hash(cb_, t_.name, t_.key_of(row)), row_hash(cb_, names_, row), row);
    ++n_.quarantined;
  }

  void emit(const Hash128& kh, const Hash128& h, const Row& row) {
    ndjson::JsonBuf& v = row_writer_.begin();
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) row_writer_.next_value();
      v.value(row[i]);
    }
    const std::string& line = row_writer_.finish(kh, h);
    if (line.size() > max_record_)
      throw InputError(fmt::format("table \"{}\": row {} is a record of {} bytes, over --max-record-bytes {}",
                                   t_.name, rows_ + 1, line.size(), max_record_));
    out_.line(line);
    ++rows_;
  }

  PgSource& src_;
  const ndjson::TableSchema& t_;
  ndjson::RecordWriter& out_;
  std::size_t max_record_;
  Counts& n_;
  std::vector<std::string> names_;
  std::vector<PgType> types_;
  std::vector<Affinity> affinity_;
  std::vector<std::size_t> ambiguous_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> skip_;
  HashMap base_;
  CanonicalBuffer cb_;
  ndjson::RowWriter row_writer_{t_.name};
  std::uint64_t rows_ = 0;
};

}  // namespace

int run_from_postgres(const FromPgOptions& opt) {
  auto conn = pg::Connection::open(opt.dsn, "sync-snapshot");
  PgSource src(conn, opt.client, opt.host);
  auto plans = plan_tables(src.sqlite_schema());
  src.check_no_other_tables(plans);
  ndjson::Header header;
  header.client = opt.client;
  header.host = opt.host;
  header.schema = src.schema_name();
  header.source = "postgresql:" + src.schema_name();
  header.stream_id = opt.stream_id;
  header.created_at = opt.created_at;
  header.adhoc = true;
  ndjson::RecordWriter out;
  ndjson::JsonBuf rec;
  ndjson::write_header(rec, header);
  out.record(rec);
  rec.clear();
  ndjson::write_sqlite_schema(rec, src.sqlite_schema());
  out.record(rec);
  out.flush();
  Counts n;
  for (const auto& p : plans) {
    TableReader(src, p.schema, out, opt.max_record, n).run();
    out.flush();
  }
  out.finish();
  log::info("{}: {} tables, {} rows from PostgreSQL schema {} ({} from the quarantine{})", opt.client, n.tables,
            n.rows, src.schema_name(), n.quarantined,
            n.by_base ? fmt::format(", {} told apart by their base hash", n.by_base) : std::string());
  if (n.unmatched)
    log::warn("{}: {} rows of columns without affinity match no base hash (changed in PostgreSQL since the last "
              "sync?): written as PostgreSQL holds them",
              opt.client, n.unmatched);
  return exit_code::kOk;
}

}  // namespace syncpipe::snapshot

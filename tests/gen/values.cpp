#include "values.hpp"

#include <algorithm>
#include <cctype>

#include "rng.hpp"
#include "sqlite/database.hpp"
#include "sqlite/statement.hpp"
#include "text.hpp"
#include "world.hpp"

namespace syncpipe::gen {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// VARCHAR(n) -> n, else 0.
std::size_t varchar_limit(const sqlite::Column& c) {
  std::string t = upper(c.declared_type);
  std::size_t open = t.find('(');
  if (!contains(t, "CHAR") || open == std::string::npos) return 0;
  return static_cast<std::size_t>(std::atoi(t.c_str() + open + 1));
}

// Cuts at a UTF-8 character boundary.
void fit(std::string& s, std::size_t limit) {
  if (limit == 0 || s.size() <= limit) return;
  std::size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  s.resize(n);
}

Value by_type(const sqlite::Column& c, Draw& d) {
  std::string t = upper(c.declared_type);
  if (contains(t, "INT")) return static_cast<std::int64_t>(d.below(1000));
  if (contains(t, "REAL") || contains(t, "FLOA") || contains(t, "DOUB")) {
    return static_cast<double>(d.below(1000000)) / 100.0;
  }
  if (contains(t, "BLOB")) return Blob{hex(d.next(), 16)};
  return words(d, 3);
}

Value id_value(const Cell& cell) {
  if (cell.t.integer_pk) return cell.k + 1;
  return cell.w.id(cell.t.name, cell.k);
}

Value choose(const Cell& cell, Draw& d) {
  const std::string& name = cell.c.name;
  if (name == "id" || (cell.c.pk > 0 && cell.t.name == "config")) return id_value(cell);
  if (is_bool_column(cell.c)) {
    bool mostly_on = name.starts_with("is_active") || name == "active" || name == "done";
    return static_cast<std::int64_t>(mostly_on ? !d.chance(10) : d.chance(20));
  }
  if (is_time_column(name)) return time_value(cell, d);
  bool matched = false;
  Value v = reference_value(cell, d, matched);
  if (matched) return v;
  if (is_json_column(cell.c)) return json_value(cell, d);
  v = text_value(cell, d, matched);
  if (matched) return v;
  return by_type(cell.c, d);
}

}  // namespace

int TableInfo::column_index(std::string_view column) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column) return static_cast<int>(i);
  }
  return -1;
}

TableInfo load_table(sqlite::Database& db, const std::string& name) {
  TableInfo t{name, sqlite::table_columns(db, name), {}, false};
  t.unique_alone.assign(t.columns.size(), false);
  for (const sqlite::UniqueIndex& u : sqlite::unique_indexes(db, name)) {
    if (u.columns.size() != 1 || u.has_expression()) continue;
    int i = t.column_index(u.columns[0].name);
    if (i >= 0) t.unique_alone[static_cast<std::size_t>(i)] = true;
  }
  for (const sqlite::Column& c : t.columns) {
    if (c.pk == 1 && upper(c.declared_type) == "INTEGER" &&
        std::count_if(t.columns.begin(), t.columns.end(), [](auto& x) { return x.pk > 0; }) == 1) {
      t.integer_pk = true;
    }
  }
  return t;
}

bool is_json_column(const sqlite::Column& c) {
  static constexpr std::string_view kJsonText[] = {"meta",   "params", "specs",
                                                   "valves", "info",   "settings"};
  if (contains(upper(c.declared_type), "JSON")) return true;
  return std::find(std::begin(kJsonText), std::end(kJsonText), c.name) != std::end(kJsonText);
}

bool is_bool_column(const sqlite::Column& c) {
  if (contains(upper(c.declared_type), "BOOL")) return true;
  const std::string& n = c.name;
  return n == "active" || n == "archived" || n == "pinned" || n == "done" || n == "all_day" ||
         (n.starts_with("is_") && contains(upper(c.declared_type), "INT"));
}

bool is_time_column(std::string_view name) { return name.ends_with("_at") || name == "timestamp"; }

Value column_value(const World& w, const TableInfo& t, const sqlite::Column& c, std::int64_t k) {
  Cell cell{w, t, c, k};
  Draw d(w.row_hash(t.name, k, c.name));
  Value v = choose(cell, d);
  if (std::holds_alternative<std::monostate>(v) && c.notnull) v = by_type(c, d);
  if (auto* s = std::get_if<std::string>(&v)) {
    std::size_t i = static_cast<std::size_t>(&c - t.columns.data());
    if (i < t.unique_alone.size() && t.unique_alone[i] && c.pk == 0 && !c.name.ends_with("id")) {
      *s += "-" + std::to_string(k);
    }
    fit(*s, varchar_limit(c));
  }
  return v;
}

std::vector<Value> build_row(const World& w, const TableInfo& t, std::int64_t k) {
  std::vector<Value> row;
  row.reserve(t.columns.size());
  for (const sqlite::Column& c : t.columns) row.push_back(column_value(w, t, c, k));
  return row;
}

void bind_value(sqlite::Statement& st, int index, const Value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v))
    st.bind(index, *i);
  else if (const auto* r = std::get_if<double>(&v))
    st.bind(index, *r);
  else if (const auto* s = std::get_if<std::string>(&v))
    st.bind(index, std::string_view(*s));
  else if (const auto* b = std::get_if<Blob>(&v)) {
    st.bind(index, std::as_bytes(std::span<const char>(b->bytes.data(), b->bytes.size())));
  } else {
    st.bind(index, nullptr);
  }
}

}  // namespace syncpipe::gen

// JSON text exactly as Python's json.dumps() writes it with its defaults
// (what SQLAlchemy stores in Open WebUI's JSON columns): separators ", " and
// ": ", ensure_ascii=True, i.e. every non-ASCII character and DEL as a
// lowercase \uXXXX escape (surrogate pairs above U+FFFF).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace syncpipe::gen {

// Appends `utf8` JSON-escaped, without the surrounding quotes. Invalid UTF-8
// bytes are escaped as \u00XX (Latin-1), which Python would never produce but
// keeps the output ASCII.
void append_escaped(std::string& out, std::string_view utf8);
// "..." around append_escaped().
std::string json_string(std::string_view utf8);

class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  JsonOut& begin_object();
  JsonOut& end_object();
  JsonOut& begin_array();
  JsonOut& end_array();
  JsonOut& key(std::string_view k);
  JsonOut& string(std::string_view utf8);
  // A string whose body is already escaped (see append_escaped).
  JsonOut& escaped_string(std::string_view body);
  JsonOut& number(std::int64_t v);
  JsonOut& number(double v);
  JsonOut& boolean(bool v);
  JsonOut& null();

 private:
  void value_prefix();

  std::string& out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace syncpipe::gen

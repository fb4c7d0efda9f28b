#include "ndjson/json_tree.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/error.hpp"
#include "ndjson/json_out.hpp"

namespace syncpipe::ndjson {

namespace sj = simdjson;

const JsonNode* JsonNode::find(std::string_view key) const {
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return &items[i];
  return nullptr;
}

JsonNode* JsonNode::find(std::string_view key) {
  return const_cast<JsonNode*>(static_cast<const JsonNode*>(this)->find(key));
}

JsonNode& JsonNode::set(std::string_view key, JsonNode value) {
  if (JsonNode* n = find(key)) return *n = std::move(value);
  keys.emplace_back(key);
  items.push_back(std::move(value));
  return items.back();
}

const char* json_type_name(JsonNode::Type t) {
  switch (t) {
    case JsonNode::Type::Null: return "null";
    case JsonNode::Type::Bool: return "boolean";
    case JsonNode::Type::Number: return "number";
    case JsonNode::Type::String: return "string";
    case JsonNode::Type::Array: return "array";
    case JsonNode::Type::Object: return "object";
  }
  return "?";
}

namespace {

// The number as JSON text: integers exactly, doubles in shortest round-trip form.
std::string number_text(sj::dom::element e) {
  switch (e.type()) {
    case sj::dom::element_type::INT64: return std::to_string(e.get_int64().value_unsafe());
    case sj::dom::element_type::UINT64: return std::to_string(e.get_uint64().value_unsafe());
    default: {
      JsonBuf j;
      j.real(e.get_double().value_unsafe());
      return j.str();
    }
  }
}

JsonNode build(sj::dom::element e) {
  JsonNode n;
  switch (e.type()) {
    case sj::dom::element_type::NULL_VALUE: break;
    case sj::dom::element_type::BOOL:
      n.type = JsonNode::Type::Bool;
      n.b = e.get_bool().value_unsafe();
      break;
    case sj::dom::element_type::INT64:
    case sj::dom::element_type::UINT64:
    case sj::dom::element_type::DOUBLE:
      n.type = JsonNode::Type::Number;
      n.text = number_text(e);
      break;
    case sj::dom::element_type::STRING:
      n.type = JsonNode::Type::String;
      n.text = std::string(e.get_string().value_unsafe());
      break;
    case sj::dom::element_type::ARRAY:
      n.type = JsonNode::Type::Array;
    {
      sj::dom::array arr;
      if (e.get_array().get(arr)) break;
      for (auto child : arr) n.items.push_back(build(child));
      break;
    }
    case sj::dom::element_type::OBJECT:
      n.type = JsonNode::Type::Object;
    {
      sj::dom::object obj;
      if (e.get_object().get(obj)) break;
      for (auto field : obj) {
        n.keys.emplace_back(field.key);
        n.items.push_back(build(field.value));
      }
      break;
    }
  }
  return n;
}

}  // namespace

JsonNode parse_json(std::string_view text) {
  static thread_local sj::dom::parser parser;
  sj::padded_string padded(text);
  sj::dom::element doc;
  if (auto err = parser.parse(padded).get(doc)) throw InputError(sj::error_message(err));
  return build(doc);
}

void append_json(std::string& out, const JsonNode& n) {
  JsonBuf j;
  switch (n.type) {
    case JsonNode::Type::Null: out.append("null"); return;
    case JsonNode::Type::Bool: out.append(n.b ? "true" : "false"); return;
    case JsonNode::Type::Number: out.append(n.text); return;
    case JsonNode::Type::String:
      j.string(n.text);
      out.append(j.str());
      return;
    case JsonNode::Type::Array:
      out.push_back('[');
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        if (i) out.push_back(',');
        append_json(out, n.items[i]);
      }
      out.push_back(']');
      return;
    case JsonNode::Type::Object:
      out.push_back('{');
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        if (i) out.push_back(',');
        j.clear();
        j.string(n.keys[i]);
        out.append(j.str()).push_back(':');
        append_json(out, n.items[i]);
      }
      out.push_back('}');
      return;
  }
}

std::string to_json(const JsonNode& node) {
  std::string out;
  append_json(out, node);
  return out;
}

}  // namespace syncpipe::ndjson

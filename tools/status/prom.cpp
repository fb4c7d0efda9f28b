#include "prom.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "core/text_check.hpp"

namespace syncpipe::status::prom {

namespace {

// Keeps valid UTF-8 sequences, replaces every other byte with U+FFFD.
std::string to_utf8(std::string_view in) {
  if (valid_utf8(in)) return std::string(in);
  std::string out;
  for (std::size_t i = 0; i < in.size();) {
    std::size_t len = 1;
    auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0xC2 && c <= 0xF4) len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (len > 1 && i + len <= in.size() && valid_utf8(in.substr(i, len))) {
      out.append(in.substr(i, len));
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      len = 1;
    } else {
      out.append("\xEF\xBF\xBD");
      len = 1;
    }
    i += len;
  }
  return out;
}

bool valid_name(std::string_view n) {
  if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':'))
      return false;
  return true;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (char c : to_utf8(value)) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : to_utf8(help)) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[40];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  if (!valid_name(name) || !seen_.insert(std::string(name)).second)
    throw std::logic_error("bad or repeated metric name " + std::string(name));
  name_ = name;
  pending_header_ = "# HELP " + name_ + " " + escape_help(help) + "\n# TYPE " + name_ + " " + std::string(type) + "\n";
}

void Exposition::begin_sample(Labels labels) {
  out_ += pending_header_;
  pending_header_.clear();
  out_ += name_;
  if (labels.size() == 0) {
    out_ += ' ';
    return;
  }
  char sep = '{';
  for (const auto& [k, v] : labels) {
    if (!valid_name(k)) throw std::logic_error("bad label name " + std::string(k));
    out_.push_back(sep);
    out_.append(k).append("=\"").append(escape_label_value(v)).append("\"");
    sep = ',';
  }
  out_ += "} ";
}

void Exposition::sample(Labels labels, double value) {
  begin_sample(labels);
  out_ += format_value(value);
  out_ += '\n';
}

void Exposition::sample(Labels labels, std::int64_t value) {
  begin_sample(labels);
  out_ += std::to_string(value);
  out_ += '\n';
}

}  // namespace syncpipe::status::prom

// Writing the Prometheus text exposition format (version 0.0.4), the format
// node_exporter's textfile collector reads:
//
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge
//   <name>{<label>="<value>",...} <value>
//
// All samples of a family follow its HELP and TYPE lines, a family appears
// once, no sample has a timestamp. A histogram family <name> has, per label
// set, the cumulative <name>_bucket{...,le="<bound>"} samples ending with
// le="+Inf", then <name>_sum and <name>_count (= the +Inf bucket). Label values escape \ as \\, " as \" and
// newline as \n; bytes that are not UTF-8 become U+FFFD. A family's header is
// written with its first sample, so a family without samples is left out.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace syncpipe::status::prom {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class Exposition {
 public:
  // Starts a family. REQUIRES: a valid metric name not used before; type
  // "gauge", "counter" (a counter's name ends in _total) or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(Labels labels, double value);
  void sample(Labels labels, std::int64_t value);
  // One histogram of a "histogram" family. REQUIRES: `counts` has one entry
  // per bound (ascending) plus one for +Inf, not cumulative; sum of the observations.
  void histogram(Labels labels, const std::vector<double>& bounds, const std::vector<std::int64_t>& counts,
                 double sum);
  const std::string& text() const { return out_; }

 private:
  // Writes "<name><suffix>{labels[,le="<le>"]} ".
  void begin_sample(Labels labels, std::string_view suffix = {}, std::string_view le = {});
  std::string out_;
  std::string name_, pending_header_;
  std::set<std::string, std::less<>> seen_;
};

std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// Go's ParseFloat syntax: shortest round-trip form, NaN, +Inf, -Inf.
std::string format_value(double v);

}  // namespace syncpipe::status::prom

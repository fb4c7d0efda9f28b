// stream-seal: copies the record lines on stdin to stdout and appends the
// trailer (record count and checksum) that sync-protocol(7) requires. A test
// aid for hand-written streams; not installed.
#include <iostream>
#include <string>

#include "ndjson/writer.hpp"

int main() {
  std::ios::sync_with_stdio(false);
  syncpipe::ndjson::RecordWriter out;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.line(line);
  }
  out.finish();
  return 0;
}

#include "cli/writer_tag.hpp"

#include "core/hash.hpp"

namespace syncpipe::cli {

std::string writer_tag_prefix(std::string_view cluster) {
  StreamChecksum h;  // a cluster id may be 200 bytes of any UTF-8: the tag holds a digest
  h.update(cluster);
  return "sync-load " + h.hex() + ":";
}

std::string writer_tag(std::string_view cluster, std::int64_t epoch) {
  return writer_tag_prefix(cluster) + std::to_string(epoch);
}

}  // namespace syncpipe::cli

// Atomic replacement of a file that another process reads at any moment
// (node_exporter's textfile collector):
//   1. create a temporary file in the same directory ("<name>.tmp.XXXXXX",
//      which the collector ignores as it does not end in .prom);
//   2. write everything, fsync it, make it 0644;
//   3. rename it over <name> (atomic within one file system);
//   4. fsync the directory so the rename survives a crash.
// A failure at any step removes the temporary file and leaves the old <name>
// untouched; readers see the old content or the new one, never a mix.
#pragma once

#include <string>
#include <string_view>

namespace syncpipe::status {

// Throws RuntimeError "cannot write <dir>/<name>: <why>" (one line).
void write_atomically(const std::string& dir, const std::string& name, std::string_view content);

}  // namespace syncpipe::status

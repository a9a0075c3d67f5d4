// The trace viewer's pages (samples/server/viewer), embedded into the binary at build time by
// embed_files.cmake, served exactly as written.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace tachi_sample {

struct EmbeddedFile {
  std::string_view name;  // file name inside the viewer folder, e.g. "index.html"
  const unsigned char* bytes;
  std::size_t size;

  std::string_view content() const noexcept { return {reinterpret_cast<const char*>(bytes), size}; }
};

/// Every embedded viewer file, in the order the build listed them.
std::span<const EmbeddedFile> viewer_files() noexcept;

/// The embedded file called `name`, or nullopt.
std::optional<EmbeddedFile> find_viewer_file(std::string_view name) noexcept;

/// The Content-Type for a file name, from its extension (html, css, js, json, svg, png).
std::string_view content_type_for(std::string_view name) noexcept;

}  // namespace tachi_sample

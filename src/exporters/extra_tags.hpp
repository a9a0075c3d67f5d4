// The tags the "OpenTelemetry to non-OTLP" mappings add to a span, for Zipkin and Jaeger:
// the instrumentation scope, the status, dropped counts (and for Jaeger the kind). Private.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "tachi_trace/span.hpp"

namespace tachi_trace::detail {

struct ExtraTag {
  enum class Type : std::uint8_t { text, boolean, count };
  std::string_view key;
  Type type = Type::text;
  std::string_view text;    // for text
  std::uint64_t count = 0;  // for count; for boolean, 1 is true
};

class ExtraTags {
 public:
  enum class Format : std::uint8_t {
    zipkin,  // error = the status description (a string tag)
    jaeger,  // span.kind, otel.status_description, error = true (a bool tag)
  };

  ExtraTags(const SpanData& span, Format format) noexcept;

  std::span<const ExtraTag> tags() const noexcept { return {tags_.data(), count_}; }
  /// True when a span attribute of this key is replaced by one of the tags (so a tag key never
  /// appears twice).
  bool replaces(std::string_view key) const noexcept;

 private:
  void add(ExtraTag tag) noexcept { tags_[count_++] = tag; }
  void add_scope(const InstrumentationScope* scope) noexcept;
  void add_status(const Status& status, Format format) noexcept;
  void add_count(std::string_view key, std::uint32_t count) noexcept;

  std::array<ExtraTag, 12> tags_{};
  std::size_t count_ = 0;
};

/// Jaeger's span.kind values; empty for INTERNAL (no tag).
std::string_view jaeger_kind(SpanKind kind) noexcept;

}  // namespace tachi_trace::detail

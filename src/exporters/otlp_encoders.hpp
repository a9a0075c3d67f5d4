// The OTLP encoders: ExportTraceServiceRequest as binary protobuf and as OTLP JSON, and the
// reading of ExportTraceServiceResponse and google.rpc.Status. Private.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scope_groups.hpp"
#include "tachi_trace/exporters/http.hpp"

namespace tachi_trace::detail {

class OtlpProtobufEncoder final : public SpanEncoder {
 public:
  std::string_view content_type() const noexcept override { return "application/x-protobuf"; }
  bool encode(const Resource& resource, std::span<const SpanData* const> spans, std::string& out,
              std::size_t limit) override;

 private:
  ScopeGroups groups_;
  std::vector<std::uint32_t> message_sizes_;
};

class OtlpJsonEncoder final : public SpanEncoder {
 public:
  std::string_view content_type() const noexcept override { return "application/json"; }
  bool encode(const Resource& resource, std::span<const SpanData* const> spans, std::string& out,
              std::size_t limit) override;

 private:
  ScopeGroups groups_;
};

/// Span.flags: the W3C trace flags in bits 0-7, then "whether the parent is remote is known"
/// (0x100, always set: we know) and "the parent is remote" (0x200).
std::uint32_t otlp_span_flags(const SpanData& span) noexcept;
/// The same for a link, about the linked context.
std::uint32_t otlp_link_flags(const Link& link) noexcept;

/// What ExportTraceServiceResponse.partial_success says.
struct PartialSuccess {
  std::int64_t rejected_spans = 0;
  std::string error_message;
};

/// Reads an ExportTraceServiceResponse body (protobuf, or JSON when `json`). Nullopt when the body
/// cannot be read; an empty PartialSuccess when it is absent (full success).
std::optional<PartialSuccess> read_export_response(std::string_view body, bool json);

/// The message of a google.rpc.Status body (protobuf, or JSON when `json`); empty when there is
/// none or it cannot be read.
std::string read_status_message(std::string_view body, bool json);

}  // namespace tachi_trace::detail

#include "extra_tags.hpp"

namespace tachi_trace::detail {

ExtraTags::ExtraTags(const SpanData& span, Format format) noexcept {
  if (format == Format::jaeger && span.kind != SpanKind::internal)
    add({"span.kind", ExtraTag::Type::text, jaeger_kind(span.kind)});
  add_scope(span.scope);
  add_status(span.status, format);
  add_count("otel.dropped_attributes_count", span.dropped_attributes_count);
  add_count("otel.dropped_events_count", span.dropped_events_count);
  add_count("otel.dropped_links_count", span.dropped_links_count);
}

void ExtraTags::add_scope(const InstrumentationScope* scope) noexcept {
  if (scope == nullptr) return;
  // otel.library.* are the deprecated aliases the mapping still requires.
  if (!scope->name.empty()) {
    add({"otel.scope.name", ExtraTag::Type::text, scope->name});
    add({"otel.library.name", ExtraTag::Type::text, scope->name});
  }
  if (!scope->version.empty()) {
    add({"otel.scope.version", ExtraTag::Type::text, scope->version});
    add({"otel.library.version", ExtraTag::Type::text, scope->version});
  }
}

void ExtraTags::add_status(const Status& status, Format format) noexcept {
  if (status.code == StatusCode::unset) return;
  const bool error = status.code == StatusCode::error;
  add({"otel.status_code", ExtraTag::Type::text, error ? "ERROR" : "OK"});
  if (!error) return;
  if (format == Format::zipkin) {
    // Zipkin marks a span failed by the presence of `error`; its value is the description.
    add({"error", ExtraTag::Type::text, status.description});
  } else {
    if (!status.description.empty())
      add({"otel.status_description", ExtraTag::Type::text, status.description});
    add({"error", ExtraTag::Type::boolean, {}, 1});
  }
}

void ExtraTags::add_count(std::string_view key, std::uint32_t count) noexcept {
  if (count > 0) add({key, ExtraTag::Type::count, {}, count});
}

bool ExtraTags::replaces(std::string_view key) const noexcept {
  for (const ExtraTag& tag : tags())
    if (tag.key == key) return true;
  return false;
}

std::string_view jaeger_kind(SpanKind kind) noexcept {
  // Jaeger leaves INTERNAL spans without a span.kind tag; the others use the lowercase names.
  return kind == SpanKind::internal ? std::string_view() : to_string(kind);
}

}  // namespace tachi_trace::detail

// Samplers decide, when a span starts, whether it is recorded and exported.
//
// The built-in samplers are those of the OpenTelemetry specification: always_on, always_off,
// traceidratio and parentbased (with its four parent delegates). `traceidratio` decides from the
// trace id alone (its 56 random low-order bits, as W3C Level 2 defines them), so every service
// sampling at the same ratio keeps the same traces. Samplers are immutable and called concurrently.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tachi_trace/attributes.hpp"
#include "tachi_trace/error.hpp"
#include "tachi_trace/ids.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

enum class SamplingDecision : std::uint8_t { drop, record_only, record_and_sample };

struct SamplingResult {
  SamplingDecision decision = SamplingDecision::drop;
  Attributes attributes;                  // added to the span when it is recorded
  std::optional<TraceState> trace_state;  // nullopt keeps the parent's trace state
};

struct SamplingParameters {
  const SpanContext& parent;  // invalid for a root span
  const TraceId& trace_id;
  std::string_view name;
  SpanKind kind;
  const Attributes& attributes;
  const std::vector<Link>& links;
};

/// What a span's parent is, as far as the parent-based samplers look: none (a root span), or
/// remote or local, sampled or not.
enum class ParentShape : std::uint8_t {
  none,
  remote_sampled,
  remote_not_sampled,
  local_sampled,
  local_not_sampled,
};
inline constexpr std::size_t parent_shape_count = 5;

inline ParentShape parent_shape(const SpanContext& parent) noexcept {
  if (!parent.is_valid()) return ParentShape::none;
  if (parent.is_remote)
    return parent.is_sampled() ? ParentShape::remote_sampled : ParentShape::remote_not_sampled;
  return parent.is_sampled() ? ParentShape::local_sampled : ParentShape::local_not_sampled;
}

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual SamplingResult should_sample(const SamplingParameters& parameters) const noexcept = 0;
  /// True only when should_sample drops every span whose parent is valid and not sampled (and
  /// remote or local as `parent_is_remote` says), whatever its name, kind, attributes and links,
  /// adding no attributes and keeping the parent's trace state. Instrumentation uses it to skip
  /// spans that could never record (Tracer::skips_spans_here). false is always a safe answer;
  /// by default, whether decision_by_parent says drop for such parents.
  virtual bool drops_children_of_unsampled(bool parent_is_remote) const noexcept {
    return decision_by_parent(parent_is_remote
                                  ? ParentShape::remote_not_sampled
                                  : ParentShape::local_not_sampled) == SamplingDecision::drop;
  }

  /// True only when should_sample drops every span, whatever its parameters, adding no attributes
  /// and keeping the parent's trace state (always_off). The tracer then skips the call and builds
  /// no sampling result. false is always a safe answer; by default, whether decision_by_parent
  /// says drop for every shape of parent.
  virtual bool drops_every_span() const noexcept;
  /// The decision should_sample makes for every span whose parent has `shape`, when it depends on
  /// nothing else (not the trace id, name, kind, attributes or links) and its result adds no
  /// attributes and keeps the parent's trace state, as always_on, always_off and parentbased over
  /// them do; nullopt otherwise. A TracerProvider asks once per shape and, where there is an
  /// answer, builds no SamplingParameters nor SamplingResult for its spans. nullopt is always a
  /// safe answer.
  virtual std::optional<SamplingDecision> decision_by_parent(ParentShape shape) const noexcept {
    (void)shape;
    return std::nullopt;
  }

  /// False only when should_sample never looks at `parameters.attributes`, so instrumentation may
  /// leave them out of span creation and set them on the span afterwards, which costs less
  /// (Tracer::sampler_reads_attributes). true is always a safe answer.
  virtual bool reads_attributes() const noexcept { return true; }

  /// As the specification names it, e.g. "TraceIdRatioBased{0.25}".
  virtual std::string description() const = 0;
};

std::shared_ptr<const Sampler> make_always_on_sampler();
std::shared_ptr<const Sampler> make_always_off_sampler();
/// `ratio` must be within [0, 1].
Expected<std::shared_ptr<const Sampler>> make_trace_id_ratio_sampler(double ratio);

struct ParentBasedDelegates {
  std::shared_ptr<const Sampler> remote_parent_sampled;      // default always_on
  std::shared_ptr<const Sampler> remote_parent_not_sampled;  // default always_off
  std::shared_ptr<const Sampler> local_parent_sampled;       // default always_on
  std::shared_ptr<const Sampler> local_parent_not_sampled;   // default always_off
};
std::shared_ptr<const Sampler> make_parent_based_sampler(std::shared_ptr<const Sampler> root,
                                                         ParentBasedDelegates delegates = {});

/// The sampler choices of OTEL_TRACES_SAMPLER.
enum class SamplerKind : std::uint8_t {
  always_on,
  always_off,
  traceidratio,
  parentbased_always_on,
  parentbased_always_off,
  parentbased_traceidratio,
};
std::string_view to_string(SamplerKind kind) noexcept;
std::optional<SamplerKind> parse_sampler_kind(std::string_view name) noexcept;

/// Builds a built-in sampler; `ratio` is used by the two ratio kinds and must be within [0, 1].
Expected<std::shared_ptr<const Sampler>> make_sampler(SamplerKind kind, double ratio = 1.0);

}  // namespace tachi_trace

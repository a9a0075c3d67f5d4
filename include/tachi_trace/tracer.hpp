// Tracers make spans; the TracerProvider owns the sampler, limits, resource and export pipeline.
//
//   tachi_trace::TracerProvider provider(settings, std::move(exporters));
//   tachi_trace::Tracer tracer = provider.tracer("shop.checkout", "1.4.0");
//   auto span = tracer.start_span("charge card", {.kind = SpanKind::client});
//   span.set_attribute("payment.amount", 42.5);
//
// `make_tracer_provider` (setup.hpp) builds a provider from the OTEL_* environment.
// Precondition: every span ends before the last TracerProvider handle of its provider is destroyed
// (a span ended later is dropped and counted, never touches freed memory).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "tachi_trace/context.hpp"
#include "tachi_trace/pipeline.hpp"
#include "tachi_trace/resource.hpp"
#include "tachi_trace/sampling.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

struct SpanStartOptions {
  SpanKind kind = SpanKind::internal;
  /// The parent. Without one, the current context's span is the parent; an empty Context makes a
  /// new root.
  std::optional<Context> parent;
  Attributes attributes;  // given to the sampler, then set on the span
  std::vector<Link> links;
  std::optional<SystemTime> start_time;
};

struct ProviderSettings {
  Resource resource = detect_process_resource();
  std::shared_ptr<const Sampler> sampler = make_parent_based_sampler(make_always_on_sampler());
  SpanLimits limits;
  BatchSettings batch;
  /// OTEL_SDK_DISABLED: tracers make no spans; the parent's context passes through unchanged.
  bool disabled = false;
};

namespace detail {
struct ProviderState;
struct ProviderOwner;
}  // namespace detail

class Tracer {
 public:
  /// A tracer of no provider: every span is non-recording and propagates its parent's context.
  Tracer() noexcept = default;

  Span start_span(std::string_view name, const SpanStartOptions& options) const noexcept;
  /// A span with the default options: kind internal, the current span as parent.
  Span start_span(std::string_view name) const noexcept;
  /// A span of `kind` with the current span as parent, no attributes and no links.
  Span start_span(std::string_view name, SpanKind kind) const noexcept;

  /// For instrumentation that would start a span and make it current around some work: true
  /// when such a span, started now under the current context, could not record whatever its name,
  /// kind and attributes (the tracer has no provider or is disabled, or the current span is not
  /// sampled and the sampler drops every child of an unsampled parent). The work may then run
  /// without the span: the current context passes through, as it would through the
  /// non-recording span but for its span id. Counts the span as started and sampled out.
  bool skips_spans_here() const noexcept;
  /// Whether the sampler looks at the attributes given at span creation (Sampler::
  /// reads_attributes). When it does not, instrumentation may set them on the started span
  /// instead, which spares building the list. false for a tracer without a recording provider.
  bool sampler_reads_attributes() const noexcept;

  const InstrumentationScope* scope() const noexcept { return scope_; }

 private:
  friend class TracerProvider;
  Tracer(std::shared_ptr<detail::ProviderState> provider,
         const InstrumentationScope* scope) noexcept
      : provider_(std::move(provider)), scope_(scope) {}

  std::shared_ptr<detail::ProviderState> provider_;
  const InstrumentationScope* scope_ = nullptr;
};

/// A handle to a provider; copies share it. The last handle shuts the pipeline down (flushing
/// within the export timeout) when destroyed.
class TracerProvider {
 public:
  TracerProvider(ProviderSettings settings, std::vector<std::unique_ptr<SpanExporter>> exporters);
  TracerProvider(const TracerProvider&) = default;
  TracerProvider(TracerProvider&&) noexcept = default;
  TracerProvider& operator=(const TracerProvider&) = default;
  TracerProvider& operator=(TracerProvider&&) noexcept = default;
  ~TracerProvider() = default;

  /// The tracer for an instrumentation scope; the same name and version give the same scope.
  Tracer tracer(std::string_view name, std::string_view version = {},
                std::string_view schema_url = {}) const;

  /// Exports every span ended so far and waits for the exporters, up to `timeout` (0: no limit).
  /// False when the time ran out or an exporter failed to flush.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::milliseconds{30000}) const;
  /// Flushes, then shuts every exporter down. Later spans are dropped and counted. Idempotent.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::milliseconds{30000}) const;

  PipelineCounters counters() const;
  const Resource& resource() const noexcept;
  const ProviderSettings& settings() const noexcept;

 private:
  detail::ProviderState& state() const noexcept;
  // Shared by the provider handles only (tracers share the state, not the owner): the owner's
  // destruction shuts the pipeline down.
  std::shared_ptr<detail::ProviderOwner> owner_;
};

/// The process-wide tracer provider used by the traced awaitables and middleware when none is
/// given. Set it once at start-up, before spans are made on other threads.
void set_global_tracer_provider(TracerProvider provider);
/// Drops the global provider (shutting it down if it held the last handle).
void reset_global_tracer_provider();
/// The global provider's tracer for `tachi_trace`'s own instrumentation; a non-recording tracer
/// when no provider was set.
const Tracer& global_tracer() noexcept;

}  // namespace tachi_trace

#include "tachi_trace/tracer.hpp"

#include "clock.hpp"
#include "provider_state.hpp"
#include "same_text.hpp"
#include "span_record.hpp"
#include "tachi_trace/version.hpp"

namespace tachi_trace {

namespace detail {

ProviderOwner::~ProviderOwner() {
  state->pipeline->shutdown(deadline_after(state->settings.batch.export_timeout));
}

void submit_ended_span(SpanRecord* record) noexcept {
  if (Lane* lane = lane_for(record->pipeline_id, nullptr))
    lane->push(record);
  else
    record->release();  // its provider is gone
}

}  // namespace detail

namespace {

// A new trace gets the W3C Level 2 "random" flag (our trace ids are random in every bit); a child
// keeps whatever its parent said. Only the sampled bit is the sampler's.
TraceFlags flags_under(const SpanContext& parent, bool sampled) noexcept {
  const TraceFlags inherited =
      parent.is_valid() ? parent.flags : TraceFlags(TraceFlags::random_bit);
  return inherited.with_sampled(sampled);
}

SpanContext child_context(const SpanContext& parent, const RootSpanIds& ids,
                          const SamplingResult& result) {
  return SpanContext{ids.trace_id, ids.span_id,
                     flags_under(parent, result.decision == SamplingDecision::record_and_sample),
                     result.trace_state ? *result.trace_state : parent.trace_state, false};
}

// What a sampler that drops every span would make: the parent's trace state and flags (a new
// trace's random flag), not sampled.
Span dropped_span(detail::Lane* lane, const SpanContext& parent, const RootSpanIds& ids) noexcept {
  if (lane != nullptr) {
    lane->started.increment();
    lane->sampled_out.increment();
  }
  return Span::non_recording(SpanContext{ids.trace_id, ids.span_id, flags_under(parent, false),
                                         parent.trace_state, false});
}

}  // namespace

Span Tracer::start_span(std::string_view name, const SpanStartOptions& options) const noexcept {
  const Context& parent_context = options.parent ? *options.parent : current_context();
  const SpanContext& parent = parent_context.span_context();
  if (!provider_ || provider_->settings.disabled) return Span::non_recording(parent);

  // A span id is needed whatever the sampler decides: an unsampled span still propagates.
  const RootSpanIds ids = parent.is_valid() ? RootSpanIds{parent.trace_id, generate_span_id()}
                                            : generate_root_span_ids();
  detail::PipelineCore* pipeline = provider_->pipeline.get();
  detail::Lane* lane = detail::lane_for(pipeline->id(), pipeline);
  if (provider_->sampler_drops_every_span) return dropped_span(lane, parent, ids);

  // Most samplers decide by the parent alone (see Sampler::decision_by_parent): no call then.
  const auto known = provider_->decision_by_parent[static_cast<std::size_t>(parent_shape(parent))];
  SamplingResult result =
      known ? SamplingResult{*known, {}, {}}
            : provider_->settings.sampler->should_sample(SamplingParameters{
                  parent, ids.trace_id, name, options.kind, options.attributes, options.links});
  SpanContext context = child_context(parent, ids, result);
  if (lane != nullptr) lane->started.increment();
  if (result.decision == SamplingDecision::drop) {
    if (lane != nullptr) lane->sampled_out.increment();
    return Span(std::move(context), nullptr);
  }

  detail::SpanRecord* record = lane != nullptr ? lane->reuse_record(options.kind) : nullptr;
  if (record == nullptr)
    record = new detail::SpanRecord(pipeline->id(), provider_->settings.limits);
  SpanData& data = record->data;
  data.context = context;
  data.parent_span_id = parent.is_valid() ? parent.span_id : SpanId();
  data.parent_is_remote = parent.is_valid() && parent.is_remote;
  if (!detail::same_text(data.name, name))
    data.name = name;  // spans of one kind reuse a record's name as it is
  data.kind = options.kind;
  data.scope = scope_;
  // A span given its start time is ended by the system clock too, so it needs no reading.
  record->explicit_start_time = options.start_time.has_value();
  if (options.start_time) {
    data.start_time = *options.start_time;
  } else {
    const detail::ClockReading now = detail::read_clock_and_time();
    record->start_ticks = now.ticks;
    data.start_time = now.time;
  }

  Span span(std::move(context), record);
  if (!options.attributes.empty()) span.set_attributes(options.attributes);
  if (!result.attributes.empty()) span.set_attributes(result.attributes);
  for (const auto& link : options.links)
    span.add_link(link.context, link.attributes);
  return span;
}

bool Tracer::skips_spans_here() const noexcept {
  if (!provider_ || provider_->settings.disabled) return true;
  const SpanContext& parent = current_context().span_context();
  if (!parent.is_valid() || parent.is_sampled() ||
      !provider_->settings.sampler->drops_children_of_unsampled(parent.is_remote))
    return false;
  detail::PipelineCore* pipeline = provider_->pipeline.get();
  if (detail::Lane* lane = detail::lane_for(pipeline->id(), pipeline)) {
    lane->started.increment();
    lane->sampled_out.increment();
  }
  return true;
}

bool Tracer::sampler_reads_attributes() const noexcept {
  return provider_ && !provider_->settings.disabled &&
         provider_->settings.sampler->reads_attributes();
}

namespace {
// Constant-initialised: no initialisation guard to check on every span, and nothing built or
// destroyed for spans that need only a kind.
// Every member named: -Wextra warns of designated initialisers that leave some out.
constinit const SpanStartOptions start_options_of_kind[] = {
    {.kind = SpanKind::internal, .parent = {}, .attributes = {}, .links = {}, .start_time = {}},
    {.kind = SpanKind::server, .parent = {}, .attributes = {}, .links = {}, .start_time = {}},
    {.kind = SpanKind::client, .parent = {}, .attributes = {}, .links = {}, .start_time = {}},
    {.kind = SpanKind::producer, .parent = {}, .attributes = {}, .links = {}, .start_time = {}},
    {.kind = SpanKind::consumer, .parent = {}, .attributes = {}, .links = {}, .start_time = {}},
};
}  // namespace

Span Tracer::start_span(std::string_view name) const noexcept {
  return start_span(name, start_options_of_kind[0]);
}

Span Tracer::start_span(std::string_view name, SpanKind kind) const noexcept {
  // A value outside the enumeration gets the default options, like start_span(name).
  const auto index = static_cast<std::size_t>(kind);
  return start_span(name,
                    start_options_of_kind[index < std::size(start_options_of_kind) ? index : 0]);
}

TracerProvider::TracerProvider(ProviderSettings settings,
                               std::vector<std::unique_ptr<SpanExporter>> exporters) {
  detail::prepare_clock();
  auto state = std::make_shared<detail::ProviderState>();
  state->settings = std::move(settings);
  if (!state->settings.sampler)
    state->settings.sampler = make_parent_based_sampler(make_always_on_sampler());
  state->sampler_drops_every_span = state->settings.sampler->drops_every_span();
  for (std::size_t shape = 0; shape < parent_shape_count; ++shape)
    state->decision_by_parent[shape] =
        state->settings.sampler->decision_by_parent(static_cast<ParentShape>(shape));
  state->pipeline = detail::PipelineCore::create(state->settings.batch, state->settings.resource,
                                                 std::move(exporters));
  owner_ = std::make_shared<detail::ProviderOwner>(std::move(state));
}

detail::ProviderState& TracerProvider::state() const noexcept {
  return *owner_->state;
}

Tracer TracerProvider::tracer(std::string_view name, std::string_view version,
                              std::string_view schema_url) const {
  auto& provider = state();
  std::lock_guard guard(provider.scopes_mutex);
  for (const auto& scope : provider.scopes) {
    if (scope.name == name && scope.version == version && scope.schema_url == schema_url)
      return Tracer(owner_->state, &scope);
  }
  provider.scopes.push_back(
      InstrumentationScope{std::string(name), std::string(version), std::string(schema_url)});
  return Tracer(owner_->state, &provider.scopes.back());
}

bool TracerProvider::force_flush(std::chrono::milliseconds timeout) const {
  return state().pipeline->force_flush(deadline_after(timeout));
}

bool TracerProvider::shutdown(std::chrono::milliseconds timeout) const {
  return state().pipeline->shutdown(deadline_after(timeout));
}

PipelineCounters TracerProvider::counters() const {
  return state().pipeline->counters();
}
const Resource& TracerProvider::resource() const noexcept {
  return state().settings.resource;
}
const ProviderSettings& TracerProvider::settings() const noexcept {
  return state().settings;
}

namespace {
std::optional<TracerProvider>& global_provider() {
  static std::optional<TracerProvider> provider;
  return provider;
}
// constinit: no initialisation guard to check on every call from the traced wrappers.
constinit Tracer global_tracer_instance;
Tracer& global_tracer_slot() {
  return global_tracer_instance;
}
}  // namespace

void set_global_tracer_provider(TracerProvider provider) {
  global_tracer_slot() = provider.tracer(library_name, library_version);
  global_provider() = std::move(provider);
}

void reset_global_tracer_provider() {
  global_tracer_slot() = Tracer();
  global_provider().reset();
}

const Tracer& global_tracer() noexcept {
  return global_tracer_slot();
}

}  // namespace tachi_trace

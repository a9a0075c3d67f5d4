// What a TracerProvider shares with its tracers. Private.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "pipeline_core.hpp"
#include "tachi_trace/tracer.hpp"

namespace tachi_trace::detail {

struct ProviderState {
  ProviderSettings settings;
  bool sampler_drops_every_span = false;  // settings.sampler->drops_every_span(), asked once
  // settings.sampler->decision_by_parent(shape) for each shape, asked once.
  std::array<std::optional<SamplingDecision>, parent_shape_count> decision_by_parent{};
  std::shared_ptr<PipelineCore> pipeline;
  std::mutex scopes_mutex;
  std::deque<InstrumentationScope> scopes;  // stable addresses: spans point at them
};

/// Held by TracerProvider handles only; the last one shuts the pipeline down.
struct ProviderOwner {
  explicit ProviderOwner(std::shared_ptr<ProviderState> owned) : state(std::move(owned)) {}
  ProviderOwner(const ProviderOwner&) = delete;
  ProviderOwner& operator=(const ProviderOwner&) = delete;
  ~ProviderOwner();

  const std::shared_ptr<ProviderState> state;
};

}  // namespace tachi_trace::detail

// The composite propagator and the propagators OTEL_PROPAGATORS names.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "tachi_trace/propagation.hpp"

namespace tachi_trace {

namespace {

class CompositePropagator final : public TextMapPropagator {
 public:
  explicit CompositePropagator(std::vector<PropagatorPointer> members)
      : members_(std::move(members)) {
    std::erase(members_, nullptr);
    for (const auto& member : members_)
      for (std::string_view field : member->fields())
        if (std::find(fields_.begin(), fields_.end(), field) == fields_.end())
          fields_.push_back(field);
  }

  std::span<const std::string_view> fields() const noexcept override { return fields_; }

 private:
  Context do_extract(const CarrierReader& carrier, const Context& context) const override {
    Context extracted = context;
    for (const auto& member : members_)
      extracted = member->extract(carrier, extracted);
    return extracted;
  }

  void do_inject(const Context& context, CarrierWriter& carrier) const override {
    for (const auto& member : members_)
      member->inject(context, carrier);
  }

  std::vector<PropagatorPointer> members_;
  std::vector<std::string_view> fields_;  // views of the members' own field names
};

}  // namespace

PropagatorPointer make_composite_propagator(std::vector<PropagatorPointer> members) {
  return std::make_shared<const CompositePropagator>(std::move(members));
}

PropagatorPointer make_propagator(PropagatorKind kind) {
  switch (kind) {
    case PropagatorKind::tracecontext:
      return make_trace_context_propagator();
    case PropagatorKind::baggage:
      return make_baggage_propagator();
    case PropagatorKind::b3:
      return make_b3_propagator(B3Encoding::single_header);
    case PropagatorKind::b3multi:
      return make_b3_propagator(B3Encoding::multiple_headers);
    case PropagatorKind::jaeger:
      return make_jaeger_propagator();
  }
  return make_composite_propagator({});
}

PropagatorPointer make_propagator(std::span<const PropagatorKind> kinds) {
  std::vector<PropagatorPointer> members;
  members.reserve(kinds.size());
  for (PropagatorKind kind : kinds)
    members.push_back(make_propagator(kind));
  return make_composite_propagator(std::move(members));
}

PropagatorPointer make_propagator(const FinalizedTracingConfig& config) {
  return make_propagator(std::span<const PropagatorKind>(config.propagators()));
}

namespace {

// Every propagator ever made global is kept here, so a reference handed out by
// global_propagator() stays valid while another thread replaces it; readers pay one atomic load.
struct GlobalPropagator {
  std::mutex mutex;
  std::vector<PropagatorPointer> kept;
  std::atomic<const TextMapPropagator*> current{nullptr};

  const TextMapPropagator* keep(PropagatorPointer propagator) {
    std::lock_guard guard(mutex);
    kept.push_back(std::move(propagator));
    return kept.back().get();
  }
};

GlobalPropagator& global_state() {
  static GlobalPropagator state;
  return state;
}

const TextMapPropagator* default_global_propagator() {
  static const TextMapPropagator* const propagator = global_state().keep(
      make_propagator(std::vector{PropagatorKind::tracecontext, PropagatorKind::baggage}));
  return propagator;
}

}  // namespace

const TextMapPropagator& global_propagator() noexcept {
  const TextMapPropagator* current = global_state().current.load(std::memory_order_acquire);
  return current != nullptr ? *current : *default_global_propagator();
}

void set_global_propagator(PropagatorPointer propagator) {
  GlobalPropagator& state = global_state();
  const TextMapPropagator* next = propagator ? state.keep(std::move(propagator)) : nullptr;
  state.current.store(next, std::memory_order_release);
}

}  // namespace tachi_trace

#include "tachi_trace/sampling.hpp"

#include <cmath>
#include <cstdio>

namespace tachi_trace {

bool Sampler::drops_every_span() const noexcept {
  for (std::size_t shape = 0; shape < parent_shape_count; ++shape) {
    if (decision_by_parent(static_cast<ParentShape>(shape)) != SamplingDecision::drop) return false;
  }
  return true;
}

namespace {

class ConstantSampler final : public Sampler {
 public:
  explicit ConstantSampler(bool sample) : sample_(sample) {}
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {sample_ ? SamplingDecision::record_and_sample : SamplingDecision::drop, {}, {}};
  }
  bool reads_attributes() const noexcept override { return false; }
  std::optional<SamplingDecision> decision_by_parent(ParentShape) const noexcept override {
    return sample_ ? SamplingDecision::record_and_sample : SamplingDecision::drop;
  }
  std::string description() const override {
    return sample_ ? "AlwaysOnSampler" : "AlwaysOffSampler";
  }

 private:
  bool sample_;
};

// The trace id's 56 low-order bits (W3C Level 2's random part) compared with a threshold: a trace
// is kept when its randomness is at least (1 - ratio) * 2^56, so every service at the same ratio
// keeps exactly the same traces, and a higher ratio keeps a superset.
class TraceIdRatioSampler final : public Sampler {
 public:
  static constexpr std::uint64_t randomness_range = std::uint64_t{1} << 56;

  explicit TraceIdRatioSampler(double ratio)
      : ratio_(ratio),
        threshold_(static_cast<std::uint64_t>(
            std::llround((1.0 - ratio) * static_cast<double>(randomness_range)))) {}

  SamplingResult should_sample(const SamplingParameters& parameters) const noexcept override {
    const bool keep = ratio_ > 0.0 && randomness(parameters.trace_id) >= threshold_;
    return {keep ? SamplingDecision::record_and_sample : SamplingDecision::drop, {}, {}};
  }
  bool reads_attributes() const noexcept override { return false; }

  std::string description() const override {
    char text[64];
    std::snprintf(text, sizeof text, "TraceIdRatioBased{%g}", ratio_);
    return text;
  }

 private:
  static std::uint64_t randomness(const TraceId& trace_id) noexcept {
    std::uint64_t value = 0;
    for (std::size_t index = 9; index < 16; ++index)
      value = value << 8 | trace_id.bytes()[index];
    return value;
  }

  double ratio_;
  std::uint64_t threshold_;
};

class ParentBasedSampler final : public Sampler {
 public:
  ParentBasedSampler(std::shared_ptr<const Sampler> root, ParentBasedDelegates delegates)
      : root_(std::move(root)), delegates_(std::move(delegates)) {
    auto fill = [](std::shared_ptr<const Sampler>& delegate, bool sample) {
      if (!delegate) delegate = sample ? make_always_on_sampler() : make_always_off_sampler();
    };
    fill(delegates_.remote_parent_sampled, true);
    fill(delegates_.remote_parent_not_sampled, false);
    fill(delegates_.local_parent_sampled, true);
    fill(delegates_.local_parent_not_sampled, false);
    reads_attributes_ = root_->reads_attributes() ||
                        delegates_.remote_parent_sampled->reads_attributes() ||
                        delegates_.remote_parent_not_sampled->reads_attributes() ||
                        delegates_.local_parent_sampled->reads_attributes() ||
                        delegates_.local_parent_not_sampled->reads_attributes();
  }

  SamplingResult should_sample(const SamplingParameters& parameters) const noexcept override {
    return sampler_for(parent_shape(parameters.parent)).should_sample(parameters);
  }
  std::optional<SamplingDecision> decision_by_parent(ParentShape shape) const noexcept override {
    return sampler_for(shape).decision_by_parent(shape);
  }
  bool drops_children_of_unsampled(bool parent_is_remote) const noexcept override {
    const Sampler& delegate = parent_is_remote ? *delegates_.remote_parent_not_sampled
                                               : *delegates_.local_parent_not_sampled;
    return delegate.drops_children_of_unsampled(parent_is_remote);
  }
  bool reads_attributes() const noexcept override { return reads_attributes_; }

  std::string description() const override {
    return "ParentBased{root:" + root_->description() +
           ",remoteParentSampled:" + delegates_.remote_parent_sampled->description() +
           ",remoteParentNotSampled:" + delegates_.remote_parent_not_sampled->description() +
           ",localParentSampled:" + delegates_.local_parent_sampled->description() +
           ",localParentNotSampled:" + delegates_.local_parent_not_sampled->description() + "}";
  }

 private:
  const Sampler& sampler_for(ParentShape shape) const noexcept {
    switch (shape) {
      case ParentShape::remote_sampled:
        return *delegates_.remote_parent_sampled;
      case ParentShape::remote_not_sampled:
        return *delegates_.remote_parent_not_sampled;
      case ParentShape::local_sampled:
        return *delegates_.local_parent_sampled;
      case ParentShape::local_not_sampled:
        return *delegates_.local_parent_not_sampled;
      case ParentShape::none:
        break;
    }
    return *root_;
  }

  std::shared_ptr<const Sampler> root_;
  ParentBasedDelegates delegates_;
  bool reads_attributes_ = true;
};

}  // namespace

std::shared_ptr<const Sampler> make_always_on_sampler() {
  static const auto sampler = std::make_shared<const ConstantSampler>(true);
  return sampler;
}

std::shared_ptr<const Sampler> make_always_off_sampler() {
  static const auto sampler = std::make_shared<const ConstantSampler>(false);
  return sampler;
}

Expected<std::shared_ptr<const Sampler>> make_trace_id_ratio_sampler(double ratio) {
  if (!(ratio >= 0.0 && ratio <= 1.0)) {
    return Error{
        Error::Code::invalid_argument,
        "the sampling ratio must be a number between 0 and 1, but got " + std::to_string(ratio)};
  }
  return std::shared_ptr<const Sampler>(std::make_shared<const TraceIdRatioSampler>(ratio));
}

std::shared_ptr<const Sampler> make_parent_based_sampler(std::shared_ptr<const Sampler> root,
                                                         ParentBasedDelegates delegates) {
  if (!root) root = make_always_on_sampler();
  return std::make_shared<const ParentBasedSampler>(std::move(root), std::move(delegates));
}

namespace {
constexpr std::pair<SamplerKind, std::string_view> sampler_names[] = {
    {SamplerKind::always_on, "always_on"},
    {SamplerKind::always_off, "always_off"},
    {SamplerKind::traceidratio, "traceidratio"},
    {SamplerKind::parentbased_always_on, "parentbased_always_on"},
    {SamplerKind::parentbased_always_off, "parentbased_always_off"},
    {SamplerKind::parentbased_traceidratio, "parentbased_traceidratio"},
};
}  // namespace

std::string_view to_string(SamplerKind kind) noexcept {
  for (const auto& [known, name] : sampler_names)
    if (known == kind) return name;
  return "parentbased_always_on";
}

std::optional<SamplerKind> parse_sampler_kind(std::string_view name) noexcept {
  for (const auto& [kind, known] : sampler_names)
    if (known == name) return kind;
  return std::nullopt;
}

Expected<std::shared_ptr<const Sampler>> make_sampler(SamplerKind kind, double ratio) {
  switch (kind) {
    case SamplerKind::always_on:
      return make_always_on_sampler();
    case SamplerKind::always_off:
      return make_always_off_sampler();
    case SamplerKind::traceidratio:
      return make_trace_id_ratio_sampler(ratio);
    case SamplerKind::parentbased_always_on:
      return make_parent_based_sampler(make_always_on_sampler());
    case SamplerKind::parentbased_always_off:
      return make_parent_based_sampler(make_always_off_sampler());
    case SamplerKind::parentbased_traceidratio: {
      auto root = make_trace_id_ratio_sampler(ratio);
      if (!root) return root.error();
      return make_parent_based_sampler(*root);
    }
  }
  return Error{Error::Code::invalid_argument, "unknown sampler kind"};
}

}  // namespace tachi_trace

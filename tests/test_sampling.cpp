#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <optional>
#include <vector>

#include "support/allocation_counter.hpp"
#include "tachi_trace/exporters/memory.hpp"
#include "tachi_trace/sampling.hpp"
#include "tachi_trace/tracer.hpp"

using namespace tachi_trace;

using tachi_trace::testing::allocations_on_this_thread;

namespace {

SamplingDecision decide(const Sampler& sampler, const SpanContext& parent,
                        const TraceId& trace_id) {
  static const Attributes no_attributes;
  static const std::vector<Link> no_links;
  return sampler
      .should_sample({parent, trace_id, "span", SpanKind::internal, no_attributes, no_links})
      .decision;
}

TraceId trace_id_with_randomness(std::uint64_t randomness) {
  TraceId::Bytes bytes{};
  bytes[0] = 0xab;  // high bits do not matter
  for (int index = 15; index >= 9; --index) {
    bytes[index] = static_cast<std::uint8_t>(randomness);
    randomness >>= 8;
  }
  return TraceId(bytes);
}

SpanContext parent_context(bool remote, bool sampled) {
  return SpanContext{
      generate_trace_id(), generate_span_id(), TraceFlags(sampled ? 1 : 0), {}, remote};
}

constexpr auto keep = SamplingDecision::record_and_sample;
constexpr auto drop = SamplingDecision::drop;

}  // namespace

TEST_CASE("always_on and always_off") {
  CHECK(decide(*make_always_on_sampler(), {}, generate_trace_id()) == keep);
  CHECK(decide(*make_always_off_sampler(), {}, generate_trace_id()) == drop);
  CHECK(make_always_on_sampler()->description() == "AlwaysOnSampler");
  CHECK(make_always_off_sampler()->description() == "AlwaysOffSampler");
}

TEST_CASE("traceidratio decides from the 56 low-order bits of the trace id") {
  auto half = *make_trace_id_ratio_sampler(0.5);
  const std::uint64_t middle = std::uint64_t{1} << 55;
  CHECK(decide(*half, {}, trace_id_with_randomness(middle)) == keep);
  CHECK(decide(*half, {}, trace_id_with_randomness(middle - 1)) == drop);
  CHECK(decide(*half, {}, trace_id_with_randomness((std::uint64_t{1} << 56) - 1)) == keep);
  CHECK(decide(*half, {}, trace_id_with_randomness(0)) == drop);
  CHECK(half->description() == "TraceIdRatioBased{0.5}");
}

TEST_CASE(
    "traceidratio is deterministic, so services at one ratio agree, and keeps about the ratio") {
  auto first_service = *make_trace_id_ratio_sampler(0.25);
  auto second_service = *make_trace_id_ratio_sampler(0.25);
  auto higher = *make_trace_id_ratio_sampler(0.5);
  int kept = 0;
  constexpr int traces = 20000;
  for (int index = 0; index < traces; ++index) {
    TraceId trace_id = generate_trace_id();
    auto decision = decide(*first_service, {}, trace_id);
    REQUIRE(decision == decide(*second_service, {}, trace_id));
    if (decision == keep) {
      ++kept;
      REQUIRE(decide(*higher, {}, trace_id) == keep);  // a higher ratio keeps a superset
    }
  }
  CHECK(kept > traces * 0.23);
  CHECK(kept < traces * 0.27);
}

TEST_CASE("traceidratio at 0 keeps nothing and at 1 keeps everything") {
  auto none = *make_trace_id_ratio_sampler(0.0);
  auto all = *make_trace_id_ratio_sampler(1.0);
  for (int index = 0; index < 1000; ++index) {
    TraceId trace_id = generate_trace_id();
    REQUIRE(decide(*none, {}, trace_id) == drop);
    REQUIRE(decide(*all, {}, trace_id) == keep);
  }
  CHECK(decide(*all, {}, trace_id_with_randomness(0)) == keep);
}

TEST_CASE("traceidratio refuses ratios outside [0, 1]") {
  auto bad = make_trace_id_ratio_sampler(1.5);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("between 0 and 1"));
  CHECK_FALSE(make_trace_id_ratio_sampler(-0.1));
  CHECK_FALSE(make_sampler(SamplerKind::parentbased_traceidratio, 2.0));
}

TEST_CASE("parentbased follows the parent and uses the root sampler for roots") {
  auto sampler = make_parent_based_sampler(make_always_off_sampler());
  CHECK(decide(*sampler, {}, generate_trace_id()) == drop);
  CHECK(decide(*sampler, parent_context(true, true), generate_trace_id()) == keep);
  CHECK(decide(*sampler, parent_context(true, false), generate_trace_id()) == drop);
  CHECK(decide(*sampler, parent_context(false, true), generate_trace_id()) == keep);
  CHECK(decide(*sampler, parent_context(false, false), generate_trace_id()) == drop);
}

TEST_CASE("parentbased uses each of its four delegates") {
  auto on = make_always_on_sampler();
  auto off = make_always_off_sampler();
  auto sampler = make_parent_based_sampler(on, {.remote_parent_sampled = off,
                                                .remote_parent_not_sampled = on,
                                                .local_parent_sampled = off,
                                                .local_parent_not_sampled = on});
  CHECK(decide(*sampler, parent_context(true, true), generate_trace_id()) == drop);
  CHECK(decide(*sampler, parent_context(true, false), generate_trace_id()) == keep);
  CHECK(decide(*sampler, parent_context(false, true), generate_trace_id()) == drop);
  CHECK(decide(*sampler, parent_context(false, false), generate_trace_id()) == keep);
  CHECK(sampler->description() ==
        "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOffSampler,"
        "remoteParentNotSampled:AlwaysOnSampler,localParentSampled:AlwaysOffSampler,"
        "localParentNotSampled:AlwaysOnSampler}");
}

TEST_CASE("the built-in samplers say they do not read attributes; others are assumed to") {
  CHECK_FALSE(make_always_on_sampler()->reads_attributes());
  CHECK_FALSE(make_always_off_sampler()->reads_attributes());
  CHECK_FALSE((*make_trace_id_ratio_sampler(0.5))->reads_attributes());
  CHECK_FALSE(make_parent_based_sampler(make_always_on_sampler())->reads_attributes());
  struct Custom final : Sampler {
    SamplingResult should_sample(const SamplingParameters&) const noexcept override { return {}; }
    std::string description() const override { return "Custom"; }
  };
  CHECK(Custom().reads_attributes());
  // parentbased reads them when its root or any delegate does.
  CHECK(make_parent_based_sampler(std::make_shared<Custom>())->reads_attributes());
  CHECK(make_parent_based_sampler(make_always_on_sampler(),
                                  {.local_parent_not_sampled = std::make_shared<Custom>()})
            ->reads_attributes());
  // A tracer without a provider records nothing, so nothing is read.
  CHECK_FALSE(Tracer().sampler_reads_attributes());
}

TEST_CASE("only samplers that drop every child of an unsampled parent say so") {
  CHECK(make_always_off_sampler()->drops_children_of_unsampled(false));
  CHECK(make_always_off_sampler()->drops_children_of_unsampled(true));
  CHECK_FALSE(make_always_on_sampler()->drops_children_of_unsampled(false));
  CHECK_FALSE((*make_trace_id_ratio_sampler(0.5))->drops_children_of_unsampled(false));
  // The defaults of parentbased drop children of unsampled parents, local or remote.
  auto defaults = make_parent_based_sampler(make_always_on_sampler());
  CHECK(defaults->drops_children_of_unsampled(false));
  CHECK(defaults->drops_children_of_unsampled(true));
  // A delegate that samples children of unsampled remote parents answers for remote parents.
  auto remote_on = make_parent_based_sampler(
      make_always_on_sampler(), {.remote_parent_not_sampled = make_always_on_sampler()});
  CHECK_FALSE(remote_on->drops_children_of_unsampled(true));
  CHECK(remote_on->drops_children_of_unsampled(false));
  CHECK(decide(*remote_on, parent_context(true, false), generate_trace_id()) == keep);
  // A sampler that does not implement the hint is never skipped.
  struct Custom final : Sampler {
    SamplingResult should_sample(const SamplingParameters&) const noexcept override { return {}; }
    std::string description() const override { return "Custom"; }
  };
  CHECK_FALSE(Custom().drops_children_of_unsampled(false));
}

TEST_CASE("only samplers that drop every span whatever its parent say so") {
  CHECK(make_always_off_sampler()->drops_every_span());
  CHECK_FALSE(make_always_on_sampler()->drops_every_span());
  CHECK_FALSE((*make_trace_id_ratio_sampler(0.5))->drops_every_span());
  // parentbased_always_off still samples the children of sampled parents.
  CHECK_FALSE(make_parent_based_sampler(make_always_off_sampler())->drops_every_span());
  auto off = make_always_off_sampler();
  CHECK(make_parent_based_sampler(off, {off, off, off, off})->drops_every_span());
  CHECK_FALSE(make_parent_based_sampler(off, {off, off, make_always_on_sampler(), off})
                  ->drops_every_span());
  struct Custom final : Sampler {
    SamplingResult should_sample(const SamplingParameters&) const noexcept override { return {}; }
    std::string description() const override { return "Custom"; }
  };
  CHECK_FALSE(Custom().drops_every_span());
}

TEST_CASE("samplers that decide by the parent alone say so for each shape of parent") {
  using Decisions = std::vector<std::optional<SamplingDecision>>;
  auto answers = [](const Sampler& sampler) {
    Decisions decisions;
    for (auto shape :
         {ParentShape::none, ParentShape::remote_sampled, ParentShape::remote_not_sampled,
          ParentShape::local_sampled, ParentShape::local_not_sampled})
      decisions.push_back(sampler.decision_by_parent(shape));
    return decisions;
  };
  CHECK(answers(*make_always_on_sampler()) == Decisions{keep, keep, keep, keep, keep});
  CHECK(answers(*make_always_off_sampler()) == Decisions{drop, drop, drop, drop, drop});
  CHECK(answers(**make_trace_id_ratio_sampler(0.5)) ==
        Decisions{std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt});
  CHECK(answers(*make_parent_based_sampler(make_always_on_sampler())) ==
        Decisions{keep, keep, drop, keep, drop});
  // The ratio decides roots; children follow their parent.
  CHECK(answers(*make_parent_based_sampler(*make_trace_id_ratio_sampler(0.5))) ==
        Decisions{std::nullopt, keep, drop, keep, drop});
  struct Custom final : Sampler {
    SamplingResult should_sample(const SamplingParameters&) const noexcept override { return {}; }
    std::string description() const override { return "Custom"; }
  };
  CHECK(answers(*make_parent_based_sampler(make_always_off_sampler(),
                                           {.local_parent_sampled = std::make_shared<Custom>()})) ==
        Decisions{drop, keep, drop, std::nullopt, drop});
}

TEST_CASE("a sampler's answer for a shape of parent agrees with what it decides span by span") {
  auto ratio = *make_trace_id_ratio_sampler(0.5);
  std::vector<std::shared_ptr<const Sampler>> samplers = {
      make_always_on_sampler(), make_always_off_sampler(),
      make_parent_based_sampler(make_always_on_sampler()),
      make_parent_based_sampler(make_always_off_sampler()), make_parent_based_sampler(ratio)};
  std::vector<SpanContext> parents = {SpanContext{}, parent_context(true, true),
                                      parent_context(true, false), parent_context(false, true),
                                      parent_context(false, false)};
  for (const auto& sampler : samplers) {
    for (const auto& parent : parents) {
      const auto answer = sampler->decision_by_parent(parent_shape(parent));
      if (!answer) continue;
      for (int round = 0; round < 20; ++round) {
        INFO(sampler->description() << ", parent shape " << static_cast<int>(parent_shape(parent)));
        CHECK(decide(*sampler, parent, generate_trace_id()) == *answer);
      }
    }
  }
}

TEST_CASE("a tracer asks its sampler only for spans whose parent shape it cannot answer for") {
  // A delegate that counts its calls and samples everything, used for children of sampled local
  // parents only; the rest of parentbased_always_on answers by the parent.
  struct Counting final : Sampler {
    SamplingResult should_sample(const SamplingParameters&) const noexcept override {
      calls.fetch_add(1);
      return {SamplingDecision::record_and_sample, {{"asked", true}}, {}};
    }
    std::string description() const override { return "Counting"; }
    mutable std::atomic<int> calls{0};
  };
  auto counting = std::make_shared<Counting>();
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  ProviderSettings settings;
  settings.sampler =
      make_parent_based_sampler(make_always_on_sampler(), {.local_parent_sampled = counting});
  TracerProvider provider(settings, std::move(exporters));
  Tracer tracer = provider.tracer("test");
  {
    auto root = tracer.start_span("root");
    auto scope = root.activate();
    auto child = tracer.start_span("child");
  }
  const Context remote_unsampled(Span::non_recording(parent_context(true, false)));
  tracer.start_span("dropped", {.parent = remote_unsampled}).end();
  REQUIRE(provider.force_flush());

  CHECK(counting->calls.load() == 1);  // the child of the local root, nothing else
  const auto spans = store->spans();
  REQUIRE(spans.size() == 2);
  for (const auto& span : spans) {
    INFO(span.data.name);
    // Only the answer of a sampler that was asked adds attributes.
    CHECK((span.data.find_attribute("asked") != nullptr) == (span.data.name == "child"));
    CHECK(span.data.context.is_sampled());
  }
}

TEST_CASE("sampler kinds parse from their OTEL_TRACES_SAMPLER names") {
  for (auto kind : {SamplerKind::always_on, SamplerKind::always_off, SamplerKind::traceidratio,
                    SamplerKind::parentbased_always_on, SamplerKind::parentbased_always_off,
                    SamplerKind::parentbased_traceidratio}) {
    CHECK(parse_sampler_kind(to_string(kind)) == kind);
  }
  CHECK_FALSE(parse_sampler_kind("AlwaysOn"));
}

TEST_CASE("an unsampled span allocates nothing, records nothing, and still propagates") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  ProviderSettings settings;
  settings.sampler = make_always_off_sampler();
  TracerProvider provider(settings, std::move(exporters));
  Tracer tracer = provider.tracer("test");
  { auto warm_up = tracer.start_span("warm up"); }  // the thread's first span registers its buffer

  const std::size_t before = allocations_on_this_thread();
  SpanContext context;
  {
    auto span = tracer.start_span("unsampled");
    span.set_attribute("key", 1);
    context = span.context();
    CHECK_FALSE(span.is_recording());
  }
  CHECK(allocations_on_this_thread() == before);
  CHECK(context.is_valid());
  CHECK_FALSE(context.is_sampled());
  CHECK(context.flags.bits() == TraceFlags::random_bit);  // a new trace: random, not sampled

  auto child = tracer.start_span("child", {.parent = Context(Span::non_recording(context))});
  CHECK(child.context().trace_id == context.trace_id);
  CHECK(child.context().span_id != context.span_id);
  child.end();

  // Under a sampled remote parent: the parent's trace id, flags (but sampled) and trace state.
  SpanContext remote{generate_trace_id(), generate_span_id(), TraceFlags(0x03),
                     *TraceState::parse("vendor=1"), true};
  auto under_remote =
      tracer.start_span("under remote", {.parent = Context(Span::non_recording(remote))});
  CHECK(under_remote.context().trace_id == remote.trace_id);
  CHECK(under_remote.context().span_id.is_valid());
  CHECK(under_remote.context().span_id != remote.span_id);
  CHECK(under_remote.context().flags.bits() == 0x02);
  CHECK(under_remote.context().trace_state.to_header() == "vendor=1");
  CHECK_FALSE(under_remote.context().is_remote);
  CHECK_FALSE(under_remote.is_recording());
  under_remote.end();

  provider.force_flush();
  CHECK(store->size() == 0);
  auto counters = provider.counters();
  CHECK(counters.spans_started == 4);
  CHECK(counters.spans_sampled_out == 4);
  CHECK(counters.spans_ended == 0);
}

namespace {
class RecordOnlySampler final : public Sampler {
 public:
  SamplingResult should_sample(const SamplingParameters&) const noexcept override {
    return {
        SamplingDecision::record_only, {{"sampler.note", "record only"}}, TraceState::parse("s=1")};
  }
  std::string description() const override { return "RecordOnly"; }
};
}  // namespace

TEST_CASE("a record-only span records and is readable but is not exported") {
  auto store = std::make_shared<InMemorySpanStore>();
  std::vector<std::unique_ptr<SpanExporter>> exporters;
  exporters.push_back(make_in_memory_exporter(store));
  ProviderSettings settings;
  settings.sampler = std::make_shared<RecordOnlySampler>();
  TracerProvider provider(settings, std::move(exporters));
  auto span = provider.tracer("test").start_span("recorded");
  CHECK(span.is_recording());
  CHECK_FALSE(span.context().is_sampled());
  CHECK(span.context().trace_state.get("s") == "1");
  CHECK(*span.data()->find_attribute("sampler.note") == AttributeValue("record only"));
  span.end();
  provider.force_flush();
  CHECK(store->size() == 0);
}

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include "tachi_trace/context.hpp"
#include "tachi_trace/metrics.hpp"

namespace tachi_trace {

// ---- counter and gauge
// ----------------------------------------------------------------------------

void Counter::add(double amount) noexcept {
  // `!(amount > 0)` is also true for NaN: a counter never goes down nor becomes NaN.
  if (!(amount > 0)) return;
  value_.fetch_add(amount, std::memory_order_relaxed);
}

void Gauge::add(double amount) noexcept {
  value_.fetch_add(amount, std::memory_order_relaxed);
}

// ---- histogram
// ------------------------------------------------------------------------------------

namespace {

constexpr double default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace

// A bucket's exemplar, on a cache line of its own. A writer that finds it taken skips its
// exemplar instead of waiting: the hot path never blocks, and a bucket keeps one of its latest
// sampled observations.
struct alignas(64) Histogram::ExemplarSlot {
  std::atomic<bool> busy{false};
  bool has_exemplar = false;
  Exemplar exemplar;

  bool try_lock() noexcept { return !busy.exchange(true, std::memory_order_acquire); }
  void lock() noexcept {
    while (!try_lock()) {
      while (busy.load(std::memory_order_relaxed)) {
      }
    }
  }
  void unlock() noexcept { busy.store(false, std::memory_order_release); }
};

struct alignas(64) Histogram::StripeSum {
  std::atomic<double> value{0};
};

namespace {
constexpr std::size_t counts_per_line = 64 / sizeof(std::atomic<std::uint64_t>);
}  // namespace

struct alignas(64) Histogram::CountLine {
  std::atomic<std::uint64_t> counts[counts_per_line] = {};
};

namespace {

// Enough stripes for the threads of one machine to rarely share one, and at most 8: a histogram
// of the 12 default buckets then takes about 2.3 KB (1.2 KB with 2 stripes).
std::size_t stripe_count() noexcept {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::bit_ceil(std::min(cores, 8u));
}

// The stripe of the calling thread: threads take stripes in turn as they first observe. (The
// number is constant-initialized, so reading it needs no thread_local guard.)
std::size_t thread_stripe(std::size_t stripes) noexcept {
  constexpr std::size_t unnumbered = std::numeric_limits<std::size_t>::max();
  static std::atomic<std::size_t> next_thread{0};
  thread_local std::size_t thread_number = unnumbered;
  if (thread_number == unnumbered) [[unlikely]]
    thread_number = next_thread.fetch_add(1, std::memory_order_relaxed);
  return thread_number & (stripes - 1);
}

}  // namespace

std::span<const double> Histogram::default_duration_bounds() noexcept {
  return default_bounds;
}

Histogram::Histogram(std::span<const double> bounds, ExemplarFilter filter)
    : bounds_(bounds.begin(), bounds.end()),
      filter_(filter),
      stripes_(stripe_count()),
      lines_per_stripe_((bounds.size() + counts_per_line) / counts_per_line),
      counts_(std::make_unique<CountLine[]>(stripes_ * lines_per_stripe_)),
      sums_(std::make_unique<StripeSum[]>(stripes_)),
      exemplars_(std::make_unique<ExemplarSlot[]>(bounds.size() + 1)) {}

Histogram::~Histogram() = default;

void Histogram::observe(double value) noexcept {
  const SpanContext& context = current_context().span_context();
  record(value, &context);
}

void Histogram::observe(double value, const SpanContext& exemplar_context) noexcept {
  record(value, &exemplar_context);
}

[[gnu::always_inline]] inline std::atomic<std::uint64_t>& Histogram::count(
    std::size_t stripe, std::size_t bucket) const noexcept {
  return counts_[stripe * lines_per_stripe_ + bucket / counts_per_line]
      .counts[bucket % counts_per_line];
}

std::size_t Histogram::bucket_index(double value) const noexcept {
  // Bounds are inclusive upper limits: the first bound >= value.
  return static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                  bounds_.begin());
}

void Histogram::record(double value, const SpanContext* exemplar_context) noexcept {
  if (std::isnan(value)) return;
  const std::size_t bucket = bucket_index(value);
  const std::size_t stripe = thread_stripe(stripes_);
  count(stripe, bucket).fetch_add(1, std::memory_order_relaxed);
  sums_[stripe].value.fetch_add(value, std::memory_order_relaxed);
  const bool in_span = exemplar_context != nullptr && exemplar_context->is_valid();
  switch (filter_) {
    case ExemplarFilter::trace_based:
      if (!in_span || !exemplar_context->is_sampled()) return;
      break;
    case ExemplarFilter::always_on:
      break;
    case ExemplarFilter::always_off:
      return;
  }
  ExemplarSlot& slot = exemplars_[bucket];
  if (!slot.try_lock()) return;
  slot.exemplar = Exemplar{value, std::chrono::system_clock::now(),
                           in_span ? exemplar_context->trace_id : TraceId{},
                           in_span ? exemplar_context->span_id : SpanId{}};
  slot.has_exemplar = true;
  slot.unlock();
}

MetricPoint Histogram::snapshot() const {
  MetricPoint point;
  point.buckets.reserve(bounds_.size() + 1);
  std::uint64_t cumulative = 0;
  for (std::size_t index = 0; index <= bounds_.size(); ++index) {
    for (std::size_t stripe = 0; stripe < stripes_; ++stripe)
      cumulative += count(stripe, index).load(std::memory_order_relaxed);
    HistogramBucket out;
    out.upper_bound =
        index < bounds_.size() ? bounds_[index] : std::numeric_limits<double>::infinity();
    out.cumulative_count = cumulative;
    ExemplarSlot& slot = exemplars_[index];
    slot.lock();
    if (slot.has_exemplar) out.exemplar = slot.exemplar;
    slot.unlock();
    point.buckets.push_back(std::move(out));
  }
  // The count is the sum of the buckets read above, so `+Inf == _count` holds in every scrape.
  point.count = cumulative;
  for (std::size_t stripe = 0; stripe < stripes_; ++stripe)
    point.sum += sums_[stripe].value.load(std::memory_order_relaxed);
  return point;
}

// ---- series tables
// --------------------------------------------------------------------------------

namespace detail {

template <typename Series>
SeriesTable<Series>::SeriesTable(std::size_t label_count, std::size_t limit, Factory make_series)
    : label_count_(label_count),
      limit_(limit),
      make_series_(std::move(make_series)),
      overflow_(make_series_()) {}

template <typename Series>
SeriesTable<Series>::~SeriesTable() = default;

template <typename Series>
Series& SeriesTable<Series>::find_or_add(std::span<const std::string_view> values) {
  if (values.size() != label_count_) return overflow();
  {
    std::shared_lock reading(mutex_);
    auto found = series_.find(values);
    if (found != series_.end()) return *found->second;
  }
  std::unique_lock writing(mutex_);
  auto found = series_.find(values);
  if (found != series_.end()) return *found->second;
  if (series_.size() >= limit_) {
    writing.unlock();
    return overflow();
  }
  std::vector<std::string> key(values.begin(), values.end());
  return *series_.emplace(std::move(key), make_series_()).first->second;
}

template <typename Series>
Series& SeriesTable<Series>::overflow() noexcept {
  overflow_used_.store(true, std::memory_order_relaxed);
  return *overflow_;
}

template <typename Series>
void SeriesTable<Series>::for_each(const Visitor& visit) const {
  {
    std::shared_lock reading(mutex_);
    for (const auto& [values, series] : series_)
      visit(values, false, *series);
  }
  if (overflow_used_.load(std::memory_order_relaxed)) visit({}, true, *overflow_);
}

bool LabelValuesLess::operator()(const std::vector<std::string>& left,
                                 const std::vector<std::string>& right) const noexcept {
  return left < right;
}
bool LabelValuesLess::operator()(const std::vector<std::string>& left,
                                 std::span<const std::string_view> right) const noexcept {
  return std::lexicographical_compare(left.begin(), left.end(), right.begin(), right.end());
}
bool LabelValuesLess::operator()(std::span<const std::string_view> left,
                                 const std::vector<std::string>& right) const noexcept {
  return std::lexicographical_compare(left.begin(), left.end(), right.begin(), right.end());
}

template class SeriesTable<Counter>;
template class SeriesTable<Gauge>;
template class SeriesTable<Histogram>;

}  // namespace detail

// ---- families
// -------------------------------------------------------------------------------------

namespace {

void fill_point(MetricPoint& point, const Counter& counter) {
  point.value = counter.value();
}
void fill_point(MetricPoint& point, const Gauge& gauge) {
  point.value = gauge.value();
}
void fill_point(MetricPoint& point, const Histogram& histogram) {
  MetricPoint snapshot = histogram.snapshot();
  point.buckets = std::move(snapshot.buckets);
  point.sum = snapshot.sum;
  point.count = snapshot.count;
}

std::vector<MetricLabel> labels_of(const std::vector<std::string>& names,
                                   std::span<const std::string> values, bool is_overflow) {
  std::vector<MetricLabel> labels;
  if (is_overflow) {
    labels.push_back({"otel_metric_overflow", "true"});
    return labels;
  }
  for (std::size_t index = 0; index < names.size(); ++index)
    labels.push_back({names[index], values[index]});
  return labels;
}

}  // namespace

template <typename Instrument>
MetricFamily MetricFamilyOf<Instrument>::collect() const {
  MetricFamily family{options_.name, options_.help, options_.unit, type_, {}};
  table_.for_each(
      [&](std::span<const std::string> values, bool is_overflow, const Instrument& series) {
        MetricPoint point;
        point.labels = labels_of(options_.label_names, values, is_overflow);
        fill_point(point, series);
        family.points.push_back(std::move(point));
      });
  return family;
}

template class MetricFamilyOf<Counter>;
template class MetricFamilyOf<Gauge>;
template class MetricFamilyOf<Histogram>;

}  // namespace tachi_trace

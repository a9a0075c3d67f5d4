// Metrics for a traced server: counters, gauges and histograms whose buckets keep exemplars
// pointing at traces, exposed as Prometheus text 0.0.4 or OpenMetrics 1.0 text.
//
//   tachi_trace::MetricRegistry registry;
//   auto durations = registry.histogram({.name = "http_server_request_duration_seconds",
//                                        .help = "Time to answer a request",
//                                        .unit = "seconds",
//                                        .label_names = {"http_route"}});  // default bounds
//   tachi_trace::Histogram& route = (*durations)->with_labels({"/api/specs"});  // keep it
//   route.observe(0.0123);  // inside a sampled span: the bucket's exemplar names that span
//
//   auto format = tachi_trace::choose_exposition_format(request["Accept"]);
//   auto families = registry.collect();
//   append_tracer_metric_families(families, provider.counters());
//   response.set(content_type(format)); response.body() = format_metrics(format, families);
//
// Guarantees: `observe`, `add` and `set` take no lock shared with other threads (one atomic per
// bucket, plus a per-bucket flag that a writer only tries to take for the exemplar, never waits
// for) and never throw or allocate. A histogram's exposed `+Inf` bucket always equals its
// `_count`; `_sum` may lag an observation that is still being recorded. Registration errors
// (invalid or duplicate names, unsorted bounds) are values. Series per family are bounded
// (`MetricOptions::series_limit`); what exceeds the bound is recorded in one overflow series
// labelled `otel_metric_overflow="true"`, so nothing is lost silently and memory stays bounded.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/error.hpp"
#include "tachi_trace/exemplar_filter.hpp"
#include "tachi_trace/ids.hpp"
#include "tachi_trace/pipeline.hpp"
#include "tachi_trace/span.hpp"

namespace tachi_trace {

// ---- the exposition model -----------------------------------------------------------------------

enum class MetricType : std::uint8_t { counter, gauge, histogram };

struct MetricLabel {
  std::string name;
  std::string value;

  friend bool operator==(const MetricLabel&, const MetricLabel&) = default;
};

/// The latest observation of a bucket that the histogram's ExemplarFilter admitted. Its ids are
/// those of the span current when it was made, invalid (all zero) when there was none (possible
/// only with ExemplarFilter::always_on); it is then exposed with an empty label set.
struct Exemplar {
  double value = 0;
  SystemTime time;
  TraceId trace_id;
  SpanId span_id;
};

struct HistogramBucket {
  double upper_bound = 0;              // +infinity for the last bucket
  std::uint64_t cumulative_count = 0;  // observations <= upper_bound
  std::optional<Exemplar> exemplar;
};

/// One series of a family: its labels and its value (counter, gauge) or buckets (histogram).
struct MetricPoint {
  std::vector<MetricLabel> labels;
  double value = 0;
  std::vector<HistogramBucket> buckets;  // histograms only; the last one is +Inf
  double sum = 0;                        // histograms only
  std::uint64_t count = 0;               // histograms only; equals the +Inf bucket
};

/// What the formatters read: a family's metadata and its series. Counter names never end in
/// `_total`; the formatters add the suffix where each format wants it.
struct MetricFamily {
  std::string name;
  std::string help;
  std::string unit;  // OpenMetrics UNIT; when set, `name` ends with "_" + unit
  MetricType type = MetricType::gauge;
  std::vector<MetricPoint> points;
};

// ---- exposition
// -----------------------------------------------------------------------------------

enum class ExpositionFormat : std::uint8_t { prometheus_text, openmetrics_text };

/// The format to answer with, from an HTTP Accept header value: OpenMetrics 1.0 when the client
/// names `application/openmetrics-text` (version 1.0.0, 0.0.1 or none) with a quality at least
/// as high as any other acceptable type; Prometheus text 0.0.4 otherwise (also for an empty or
/// malformed header).
ExpositionFormat choose_exposition_format(std::string_view accept_header) noexcept;
/// The Content-Type header value for `format`.
std::string_view content_type(ExpositionFormat format) noexcept;

/// Prometheus text format 0.0.4 (no exemplars: that format has no place for them).
std::string format_prometheus_text(std::span<const MetricFamily> families);
/// OpenMetrics 1.0 text, with exemplars on bucket lines and the closing `# EOF`.
std::string format_openmetrics_text(std::span<const MetricFamily> families);
std::string format_metrics(ExpositionFormat format, std::span<const MetricFamily> families);

/// A number as an OpenMetrics canonical "le" value: "0.005", "1.0", "1e+06", "+Inf".
std::string format_canonical_number(double value);

/// Appends the tracer's own counters as families named `tachi_trace_*`: spans started, sampled
/// out, ended, dropped before export, queued now; and per exporter (label `exporter`) spans
/// exported, dropped and failed exports. Two exporters with the same name are told apart as
/// "name", "name_2", ...
void append_tracer_metric_families(std::vector<MetricFamily>& families,
                                   const PipelineCounters& counters);

// ---- instruments
// ----------------------------------------------------------------------------------

/// A monotonically increasing value. `add` ignores negative and NaN amounts.
class Counter {
 public:
  void add(double amount = 1) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void add(double amount) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Counts observations in buckets with fixed upper bounds and keeps each bucket's latest
/// exemplar, among the observations `filter` admits. Bounds are inclusive (an observation equal to
/// a bound falls in that bound's bucket); a last bucket of +Inf is implied. NaN observations are
/// ignored.
class Histogram {
 public:
  /// Prometheus' default bounds for request durations in seconds: 5 ms to 10 s.
  static std::span<const double> default_duration_bounds() noexcept;

  /// `bounds` must be strictly increasing and finite (MetricRegistry checks this).
  explicit Histogram(std::span<const double> bounds,
                     ExemplarFilter filter = ExemplarFilter::trace_based);
  ~Histogram();
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  /// Records `value`; inside a sampled span (current_context()), that span becomes the
  /// exemplar of the value's bucket (with the default filter).
  void observe(double value) noexcept;
  /// Records `value` with `exemplar_context` standing for the current span (for callers that
  /// observe after their span has ended or outside its scope); the filter decides as above.
  void observe(double value, const SpanContext& exemplar_context) noexcept;

  std::span<const double> bounds() const noexcept { return bounds_; }
  ExemplarFilter exemplar_filter() const noexcept { return filter_; }
  /// Buckets (cumulative, +Inf last), count and sum as of now.
  MetricPoint snapshot() const;

 private:
  struct ExemplarSlot;
  struct StripeSum;
  struct CountLine;
  std::size_t bucket_index(double value) const noexcept;
  void record(double value, const SpanContext* exemplar_context) noexcept;
  std::atomic<std::uint64_t>& count(std::size_t stripe, std::size_t bucket) const noexcept;

  // Counts and sums are kept in stripes, one chosen per thread, each on cache lines of its own:
  // threads observing at once on different cores do not write the same lines. A snapshot adds
  // the stripes up.
  std::vector<double> bounds_;
  ExemplarFilter filter_;
  std::size_t stripes_;           // a power of two
  std::size_t lines_per_stripe_;  // enough for bounds_.size() + 1 counts
  std::unique_ptr<CountLine[]> counts_;
  std::unique_ptr<StripeSum[]> sums_;
  std::unique_ptr<ExemplarSlot[]> exemplars_;  // one per bucket, the last for +Inf
};

// ---- families and the registry
// --------------------------------------------------------------------

struct MetricOptions {
  std::string name;
  std::string help;
  std::string unit;  // optional; then `name` must end with "_" + unit
  std::vector<std::string> label_names;
  /// Most distinct label sets kept; observations for more go to the overflow series.
  std::size_t series_limit = 2000;
};

namespace detail {

/// Orders label-value lists, and finds them by a span of string_views without copying.
struct LabelValuesLess {
  using is_transparent = void;
  bool operator()(const std::vector<std::string>& left,
                  const std::vector<std::string>& right) const noexcept;
  bool operator()(const std::vector<std::string>& left,
                  std::span<const std::string_view> right) const noexcept;
  bool operator()(std::span<const std::string_view> left,
                  const std::vector<std::string>& right) const noexcept;
};

/// The series of one family, found by label values. Lookups share a reader lock; only a new
/// label set takes the writer lock. Series are never removed, so references stay valid for the
/// family's lifetime. Defined in src/metrics for Counter, Gauge and Histogram.
template <typename Series>
class SeriesTable {
 public:
  using Factory = std::function<std::unique_ptr<Series>()>;
  using Visitor = std::function<void(std::span<const std::string> label_values, bool is_overflow,
                                     const Series&)>;

  SeriesTable(std::size_t label_count, std::size_t limit, Factory make_series);
  ~SeriesTable();

  Series& find_or_add(std::span<const std::string_view> values);
  /// Visits every series with its label values, in label order, then the overflow series if
  /// anything went to it.
  void for_each(const Visitor& visit) const;

 private:
  std::size_t label_count_;
  std::size_t limit_;
  Factory make_series_;
  mutable std::shared_mutex mutex_;
  Series& overflow() noexcept;

  std::map<std::vector<std::string>, std::unique_ptr<Series>, LabelValuesLess> series_;
  std::unique_ptr<Series> overflow_;
  std::atomic<bool> overflow_used_{false};
};

}  // namespace detail

/// A family of instruments of one name, one series per label set. Look a series up once and keep
/// the reference: `with_labels` takes a reader lock. Label values given in the wrong number,
/// and label sets past the series limit, go to the overflow series, labelled
/// `otel_metric_overflow="true"`.
template <typename Instrument>
class MetricFamilyOf {
 public:
  MetricFamilyOf(MetricOptions options, MetricType type,
                 typename detail::SeriesTable<Instrument>::Factory make_series)
      : options_(std::move(options)),
        type_(type),
        table_(options_.label_names.size(), options_.series_limit, std::move(make_series)) {}

  Instrument& with_labels(std::initializer_list<std::string_view> values) {
    return table_.find_or_add(std::span(values.begin(), values.size()));
  }
  Instrument& with_labels(std::span<const std::string_view> values) {
    return table_.find_or_add(values);
  }
  /// The series without labels (for families declared without label names).
  Instrument& unlabelled() { return table_.find_or_add({}); }

  const MetricOptions& options() const noexcept { return options_; }
  /// The family's metadata and every series as of now.
  MetricFamily collect() const;

 private:
  MetricOptions options_;
  MetricType type_;
  detail::SeriesTable<Instrument> table_;
};

using CounterFamily = MetricFamilyOf<Counter>;
using GaugeFamily = MetricFamilyOf<Gauge>;
using HistogramFamily = MetricFamilyOf<Histogram>;

extern template class MetricFamilyOf<Counter>;
extern template class MetricFamilyOf<Gauge>;
extern template class MetricFamilyOf<Histogram>;

/// Owns metric families and collects them for exposition. Registration is thread-safe and
/// checked: names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* without a
/// leading "__" (and not "le" for histograms), a name is registered once, histogram bounds are
/// finite and strictly increasing. A counter name given with "_total" is registered without it.
/// Its histograms keep the exemplars that `exemplar_filter` admits (OTEL_METRICS_EXEMPLAR_FILTER,
/// FinalizedTracingConfig::exemplar_filter).
class MetricRegistry {
 public:
  explicit MetricRegistry(ExemplarFilter exemplar_filter = ExemplarFilter::trace_based) noexcept
      : exemplar_filter_(exemplar_filter) {}

  Expected<std::shared_ptr<CounterFamily>> counter(MetricOptions options);
  Expected<std::shared_ptr<GaugeFamily>> gauge(MetricOptions options);
  /// A histogram family; every series has the same `bounds` (empty: the default
  /// `Histogram::default_duration_bounds()`).
  Expected<std::shared_ptr<HistogramFamily>> histogram(MetricOptions options,
                                                       std::vector<double> bounds = {});

  /// Every family in registration order, with its series as of now.
  std::vector<MetricFamily> collect() const;

 private:
  std::optional<Error> claim_name(const MetricOptions& options, MetricType type);

  ExemplarFilter exemplar_filter_;
  mutable std::mutex mutex_;
  std::vector<std::string> names_;
  std::vector<std::function<MetricFamily()>> collectors_;
};

}  // namespace tachi_trace

#include <algorithm>
#include <cmath>

#include "tachi_trace/metrics.hpp"

namespace tachi_trace {

namespace {

bool is_letter_or_underscore(char character) {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
         character == '_';
}
bool is_digit(char character) {
  return character >= '0' && character <= '9';
}

bool is_valid_metric_name(std::string_view name) {
  if (name.empty() || is_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char character) {
    return is_letter_or_underscore(character) || is_digit(character) || character == ':';
  });
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || is_digit(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), [](char character) {
    return is_letter_or_underscore(character) || is_digit(character);
  });
}

Error invalid(std::string message) {
  return Error{Error::Code::invalid_argument, std::move(message)};
}

std::optional<Error> check_names(const MetricOptions& options, MetricType type) {
  if (!is_valid_metric_name(options.name))
    return invalid("metric name \"" + options.name +
                   "\" must match [a-zA-Z_:][a-zA-Z0-9_:]* and not be empty");
  if (!options.unit.empty() && !options.name.ends_with("_" + options.unit))
    return invalid("metric name \"" + options.name + "\" must end with \"_" + options.unit +
                   "\" since its unit is \"" + options.unit + "\"");
  for (const auto& label : options.label_names) {
    if (!is_valid_label_name(label))
      return invalid("label name \"" + label + "\" of metric \"" + options.name +
                     "\" must match [a-zA-Z_][a-zA-Z0-9_]* and not start with \"__\"");
    if (type == MetricType::histogram && label == "le")
      return invalid("label name \"le\" is reserved for the buckets of histogram \"" +
                     options.name + "\"");
    if (std::count(options.label_names.begin(), options.label_names.end(), label) > 1)
      return invalid("label name \"" + label + "\" appears twice in metric \"" + options.name +
                     "\"");
  }
  if (options.series_limit == 0)
    return invalid("series limit of metric \"" + options.name + "\" must be at least 1");
  return std::nullopt;
}

std::optional<Error> check_bounds(const std::string& name, const std::vector<double>& bounds) {
  for (std::size_t index = 0; index < bounds.size(); ++index) {
    if (!std::isfinite(bounds[index]))
      return invalid("bucket bounds of histogram \"" + name +
                     "\" must be finite (+Inf is implied), but bound " + std::to_string(index + 1) +
                     " is not");
    if (index > 0 && !(bounds[index] > bounds[index - 1]))
      return invalid("bucket bounds of histogram \"" + name +
                     "\" must be strictly increasing, but bound " + std::to_string(index + 1) +
                     " (" + format_canonical_number(bounds[index]) + ") follows " +
                     format_canonical_number(bounds[index - 1]));
  }
  return std::nullopt;
}

void strip_total_suffix(MetricOptions& options) {
  constexpr std::string_view suffix = "_total";
  if (options.name.size() > suffix.size() && options.name.ends_with(suffix))
    options.name.resize(options.name.size() - suffix.size());
}

}  // namespace

std::optional<Error> MetricRegistry::claim_name(const MetricOptions& options, MetricType type) {
  if (auto error = check_names(options, type)) return error;
  if (std::find(names_.begin(), names_.end(), options.name) != names_.end())
    return invalid("metric \"" + options.name + "\" is already registered");
  names_.push_back(options.name);
  return std::nullopt;
}

Expected<std::shared_ptr<CounterFamily>> MetricRegistry::counter(MetricOptions options) {
  strip_total_suffix(options);
  std::lock_guard guard(mutex_);
  if (auto error = claim_name(options, MetricType::counter)) return *error;
  auto family = std::make_shared<CounterFamily>(std::move(options), MetricType::counter,
                                                [] { return std::make_unique<Counter>(); });
  collectors_.push_back([family] { return family->collect(); });
  return family;
}

Expected<std::shared_ptr<GaugeFamily>> MetricRegistry::gauge(MetricOptions options) {
  std::lock_guard guard(mutex_);
  if (auto error = claim_name(options, MetricType::gauge)) return *error;
  auto family = std::make_shared<GaugeFamily>(std::move(options), MetricType::gauge,
                                              [] { return std::make_unique<Gauge>(); });
  collectors_.push_back([family] { return family->collect(); });
  return family;
}

Expected<std::shared_ptr<HistogramFamily>> MetricRegistry::histogram(MetricOptions options,
                                                                     std::vector<double> bounds) {
  if (bounds.empty())
    bounds.assign(Histogram::default_duration_bounds().begin(),
                  Histogram::default_duration_bounds().end());
  if (auto error = check_bounds(options.name, bounds)) return *error;
  std::lock_guard guard(mutex_);
  if (auto error = claim_name(options, MetricType::histogram)) return *error;
  auto family =
      std::make_shared<HistogramFamily>(std::move(options), MetricType::histogram,
                                        [bounds = std::move(bounds), filter = exemplar_filter_] {
                                          return std::make_unique<Histogram>(bounds, filter);
                                        });
  collectors_.push_back([family] { return family->collect(); });
  return family;
}

std::vector<MetricFamily> MetricRegistry::collect() const {
  std::vector<std::function<MetricFamily()>> collectors;
  {
    std::lock_guard guard(mutex_);
    collectors = collectors_;
  }
  std::vector<MetricFamily> families;
  families.reserve(collectors.size());
  for (const auto& collect_family : collectors)
    families.push_back(collect_family());
  return families;
}

}  // namespace tachi_trace

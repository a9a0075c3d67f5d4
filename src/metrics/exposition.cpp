#include <charconv>
#include <cmath>
#include <cstdio>

#include "../json_text.hpp"
#include "tachi_trace/metrics.hpp"

namespace tachi_trace {

namespace {

// ---- numbers
// --------------------------------------------------------------------------------------

// Go's strconv.FormatFloat(value, 'g', -1, 64), which Prometheus clients and the OpenMetrics
// canonical numbers follow: the shortest digits that read back, in exponent form when the decimal
// exponent is below -4 or at least 6.
std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto scientific =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<std::size_t>(scientific.ptr - buffer));
  // to_chars writes the exponent as "e+06" or "e-05": a sign, then at least two digits.
  const std::string_view exponent_text = text.substr(text.find('e') + 2);
  int exponent = 0;
  std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  if (text[text.find('e') + 1] == '-') exponent = -exponent;
  if (exponent < -4 || exponent >= 6) return std::string(text);
  auto fixed = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  return std::string(buffer, fixed.ptr);
}

std::string format_seconds(SystemTime time) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  char text[48];
  std::snprintf(text, sizeof text, "%lld.%06lld", static_cast<long long>(micros / 1000000),
                static_cast<long long>(micros % 1000000));
  return text;
}

// ---- escaping
// -------------------------------------------------------------------------------------

// Label values and HELP text must be valid UTF-8: a request path with a stray byte must not make
// the whole exposition unreadable, so invalid bytes become U+FFFD.
void append_escaped(std::string& out, std::string_view text, bool escape_quotes) {
  while (!text.empty()) {
    const char character = text[0];
    if (static_cast<unsigned char>(character) >= 0x80) {
      std::size_t length = detail::utf8_sequence_length(text);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        length = 1;
      } else {
        out.append(text.substr(0, length));
      }
      text.remove_prefix(length);
      continue;
    }
    if (character == '\\')
      out += "\\\\";
    else if (character == '\n')
      out += "\\n";
    else if (character == '"' && escape_quotes)
      out += "\\\"";
    else
      out += character;
    text.remove_prefix(1);
  }
}

void append_labels(std::string& out, const std::vector<MetricLabel>& labels,
                   const MetricLabel* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return;
  out += '{';
  bool first = true;
  auto append_one = [&](const MetricLabel& label) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    append_escaped(out, label.value, true);
    out += '"';
  };
  for (const auto& label : labels)
    append_one(label);
  if (extra != nullptr) append_one(*extra);
  out += '}';
}

// ---- one family
// -----------------------------------------------------------------------------------

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "unknown";
}

struct Dialect {
  bool openmetrics;
};

/// The name on the HELP and TYPE lines, and the base of the sample names.
std::string descriptor_name(const MetricFamily& family, Dialect dialect) {
  // Prometheus 0.0.4 names a counter family by its sample name; OpenMetrics without "_total".
  if (family.type == MetricType::counter && !dialect.openmetrics) return family.name + "_total";
  return family.name;
}

void append_metadata(std::string& out, const MetricFamily& family, Dialect dialect) {
  const std::string name = descriptor_name(family, dialect);
  if (!dialect.openmetrics && !family.help.empty()) {
    out += "# HELP " + name + ' ';
    append_escaped(out, family.help, false);
    out += '\n';
  }
  out += "# TYPE " + name + ' ';
  out += type_name(family.type);
  out += '\n';
  if (dialect.openmetrics && !family.unit.empty())
    out += "# UNIT " + name + ' ' + family.unit + '\n';
  if (dialect.openmetrics && !family.help.empty()) {
    out += "# HELP " + name + ' ';
    append_escaped(out, family.help, true);
    out += '\n';
  }
}

void append_exemplar(std::string& out, const Exemplar& exemplar) {
  if (exemplar.trace_id.is_valid()) {
    char trace_id[TraceId::hex_length];
    char span_id[SpanId::hex_length];
    exemplar.trace_id.write_hex(trace_id);
    exemplar.span_id.write_hex(span_id);
    out += " # {trace_id=\"";
    out.append(trace_id, sizeof trace_id);
    out += "\",span_id=\"";
    out.append(span_id, sizeof span_id);
    out += "\"} ";
  } else {
    out += " # {} ";  // made outside any span (ExemplarFilter::always_on)
  }
  out += format_number(exemplar.value);
  out += ' ';
  out += format_seconds(exemplar.time);
}

void append_histogram_point(std::string& out, const std::string& name, const MetricPoint& point,
                            Dialect dialect) {
  for (const auto& bucket : point.buckets) {
    MetricLabel le{"le", format_canonical_number(bucket.upper_bound)};
    out += name + "_bucket";
    append_labels(out, point.labels, &le);
    out += ' ' + std::to_string(bucket.cumulative_count);
    if (dialect.openmetrics && bucket.exemplar) append_exemplar(out, *bucket.exemplar);
    out += '\n';
  }
  out += name + "_sum";
  append_labels(out, point.labels);
  out += ' ' + format_number(point.sum) + '\n';
  out += name + "_count";
  append_labels(out, point.labels);
  out += ' ' + std::to_string(point.count) + '\n';
}

void append_family(std::string& out, const MetricFamily& family, Dialect dialect) {
  append_metadata(out, family, dialect);
  for (const auto& point : family.points) {
    if (family.type == MetricType::histogram) {
      append_histogram_point(out, family.name, point, dialect);
      continue;
    }
    out += family.type == MetricType::counter ? family.name + "_total" : family.name;
    append_labels(out, point.labels);
    out += ' ' + format_number(point.value) + '\n';
  }
}

// ---- content negotiation
// --------------------------------------------------------------------------

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (auto& character : lower)
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character - 'A' + 'a');
  return lower;
}

struct MediaRange {
  std::string type;     // "type/subtype", lower case
  std::string version;  // the version parameter, if any
  double quality = 1.0;
  bool valid = true;
};

void read_parameter(MediaRange& range, std::string_view parameter) {
  const auto equals = parameter.find('=');
  if (equals == std::string_view::npos) return;
  const std::string name = lowercase(trim(parameter.substr(0, equals)));
  std::string_view value = trim(parameter.substr(equals + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  if (name == "version") range.version = std::string(value);
  if (name != "q") return;
  double quality = 0;
  auto parsed = std::from_chars(value.data(), value.data() + value.size(), quality);
  range.valid = parsed.ec == std::errc() && parsed.ptr == value.data() + value.size() &&
                quality >= 0 && quality <= 1;
  range.quality = quality;
}

MediaRange parse_media_range(std::string_view text) {
  MediaRange range;
  const auto semicolon = text.find(';');
  range.type = lowercase(trim(text.substr(0, semicolon)));
  std::string_view parameters =
      semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon + 1);
  while (!parameters.empty()) {
    const auto next = parameters.find(';');
    read_parameter(range, parameters.substr(0, next));
    parameters = next == std::string_view::npos ? std::string_view() : parameters.substr(next + 1);
  }
  return range;
}

bool names_openmetrics(const MediaRange& range) {
  return range.type == "application/openmetrics-text" &&
         (range.version.empty() || range.version == "1.0.0" || range.version == "0.0.1");
}

bool accepts_prometheus_text(const MediaRange& range) {
  return range.type == "text/plain" || range.type == "text/*" || range.type == "*/*";
}

}  // namespace

std::string format_canonical_number(double value) {
  std::string text = format_number(value);
  if (text.find_first_of(".eIN") == std::string::npos) text += ".0";
  return text;
}

ExpositionFormat choose_exposition_format(std::string_view accept_header) noexcept {
  double best_openmetrics = 0;
  double best_other = 0;
  try {
    while (!accept_header.empty()) {
      const auto comma = accept_header.find(',');
      const MediaRange range = parse_media_range(accept_header.substr(0, comma));
      accept_header =
          comma == std::string_view::npos ? std::string_view() : accept_header.substr(comma + 1);
      if (!range.valid) continue;
      if (names_openmetrics(range)) best_openmetrics = std::max(best_openmetrics, range.quality);
      if (accepts_prometheus_text(range)) best_other = std::max(best_other, range.quality);
    }
  } catch (...) {
    return ExpositionFormat::prometheus_text;  // out of memory: the plain format is always safe
  }
  return best_openmetrics > 0 && best_openmetrics >= best_other ? ExpositionFormat::openmetrics_text
                                                                : ExpositionFormat::prometheus_text;
}

std::string_view content_type(ExpositionFormat format) noexcept {
  return format == ExpositionFormat::openmetrics_text
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

std::string format_prometheus_text(std::span<const MetricFamily> families) {
  std::string out;
  for (const auto& family : families)
    append_family(out, family, Dialect{false});
  return out;
}

std::string format_openmetrics_text(std::span<const MetricFamily> families) {
  std::string out;
  for (const auto& family : families)
    append_family(out, family, Dialect{true});
  out += "# EOF\n";
  return out;
}

std::string format_metrics(ExpositionFormat format, std::span<const MetricFamily> families) {
  return format == ExpositionFormat::openmetrics_text ? format_openmetrics_text(families)
                                                      : format_prometheus_text(families);
}

}  // namespace tachi_trace

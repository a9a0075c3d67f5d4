#include "http_exporter.hpp"

#include <algorithm>
#include <cstdio>

namespace tachi_trace {

DiagnosticSink standard_error_diagnostics() {
  return [](std::string_view message) {
    std::string line = "tachi_trace: ";
    line += message;
    line += '\n';
    std::fputs(line.c_str(), stderr);
  };
}

}  // namespace tachi_trace

namespace tachi_trace::detail {

namespace {
// A body this large is rare (a batch of huge spans); its buffer is not kept for the next batch.
constexpr std::size_t kept_body_capacity = std::size_t{16} << 20;
}  // namespace

ReasonReporter::ReasonReporter(DiagnosticSink sink, LogLevel least_level,
                               std::chrono::seconds quiet_period,
                               std::shared_ptr<TransportClock> clock)
    : sink_(sink ? std::move(sink) : standard_error_diagnostics()),
      least_level_(least_level),
      quiet_period_(quiet_period),
      clock_(std::move(clock)) {}

void ReasonReporter::report(LogLevel level, const std::string& key, std::string_view message) {
  if (!reports(level)) return;  // every level is less severe than off
  std::string text(message);
  {
    std::lock_guard guard(mutex_);
    const auto now = clock_->now();
    auto found = seen_.find(key);
    if (found == seen_.end()) {
      if (seen_.size() >= max_keys) forget_quiet_keys(now);
      if (seen_.size() >= max_keys) {
        if (told_of_overflow_) return;
        told_of_overflow_ = true;
        text = "more distinct export problems follow; they are not reported";
      } else {
        seen_.emplace(key, Seen{now});
      }
    } else if (now - found->second.reported < quiet_period_) {
      ++found->second.since;
      return;
    } else {
      const auto seconds =
          std::chrono::duration_cast<std::chrono::seconds>(now - found->second.reported).count();
      if (found->second.since > 0)
        text += " (" + std::to_string(found->second.since) + " more times since the report " +
                std::to_string(seconds) + " s ago)";
      found->second = Seen{now};
    }
  }
  deliver(text);
}

void ReasonReporter::report_each(LogLevel level, std::string_view message) {
  if (reports(level)) deliver(message);
}

void ReasonReporter::forget_quiet_keys(std::chrono::steady_clock::time_point now) {
  // A key quiet for a whole period has nothing held back worth its place.
  std::erase_if(seen_, [&](const auto& entry) {
    return entry.second.since == 0 && now - entry.second.reported >= quiet_period_;
  });
}

void ReasonReporter::deliver(std::string_view message) noexcept {
  try {
    sink_(message);
  } catch (...) {
    // A diagnostic must never break an export.
  }
}

struct HttpSpanExporter::Tally {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;  // refused in a delivered answer, or too large to send
  std::uint64_t failed = 0;    // carried by requests that were not delivered
  std::string failure;         // why the first undelivered request was not delivered
  std::string rejection;       // why the first spans were rejected
  std::string warning;         // what a server said while accepting everything
  std::uint64_t requests = 0;  // delivered or not
  std::uint64_t bytes = 0;     // of the request bodies sent
  bool stop = false;           // out of time, cancelled or unreachable: send nothing more
};

HttpSpanExporter::HttpSpanExporter(Parts parts)
    : name_(std::move(parts.name)),
      encoder_(std::move(parts.encoder)),
      transport_(std::move(parts.transport)),
      timeout_(parts.timeout),
      // At most 2 GiB: the encoders' length fields (protobuf's recorded sizes, Thrift's i32) and
      // every receiver stop well before that.
      max_request_body_bytes_(
          std::clamp<std::size_t>(parts.options.max_request_body_bytes, 1, std::size_t{1} << 31)),
      clock_(parts.options.clock ? parts.options.clock : make_system_transport_clock()),
      reasons_(std::move(parts.options.diagnostics), parts.options.diagnostics_level,
               parts.options.repeat_diagnostics_after, clock_) {}

ExportResult HttpSpanExporter::export_spans(const ExportBatch& batch) noexcept {
  if (batch.spans.empty()) return ExportResult::success();
  try {
    const auto started = clock_->now();
    Tally tally;
    send(batch.resource, batch.spans, deadline_for(batch.deadline), tally);
    if (body_.capacity() > kept_body_capacity) std::string().swap(body_);
    ExportResult result = conclude(tally, batch.spans.size());
    tell_outcome(tally, batch.spans.size(), result.ok(), started);
    return result;
  } catch (const std::exception& error) {
    std::string().swap(body_);
    const std::string reason = std::string("encoding failed: ") + error.what();
    reasons_.report(LogLevel::error, name_ + reason,
                    name_ + " exporter: dropped a batch: " + reason);
    return ExportResult::failure(reason);
  }
}

std::chrono::steady_clock::time_point HttpSpanExporter::deadline_for(
    Deadline batch_deadline) const {
  // The batch's deadline is on the steady clock; the transport's clock may be a test's.
  const auto now = clock_->now();
  auto deadline = now + (batch_deadline - std::chrono::steady_clock::now());
  if (timeout_.count() > 0) deadline = std::min(deadline, now + timeout_);
  return deadline;
}

void HttpSpanExporter::send(const Resource& resource, std::span<const SpanData* const> spans,
                            std::chrono::steady_clock::time_point deadline, Tally& tally) {
  if (tally.stop) {
    tally.failed += spans.size();
    return;
  }
  if (encoder_->encode(resource, spans, body_, max_request_body_bytes_)) {
    post(spans, deadline, tally);
  } else if (spans.size() > 1) {
    split(resource, spans, deadline, tally);
  } else {
    // The OTLP specification: a request over the limit must not be made.
    tally.rejected += 1;
    if (tally.rejection.empty())
      tally.rejection = "a span does not fit in one request of at most " +
                        std::to_string(max_request_body_bytes_) + " bytes";
  }
}

void HttpSpanExporter::split(const Resource& resource, std::span<const SpanData* const> spans,
                             std::chrono::steady_clock::time_point deadline, Tally& tally) {
  const std::size_t half = spans.size() / 2;
  send(resource, spans.first(half), deadline, tally);
  send(resource, spans.subspan(half), deadline, tally);
}

void HttpSpanExporter::post(std::span<const SpanData* const> spans,
                            std::chrono::steady_clock::time_point deadline, Tally& tally) {
  TransportResult result = transport_->post(encoder_->content_type(), body_, deadline);
  tally.requests += 1;
  tally.bytes += body_.size();
  if (result.delivered()) {
    Delivery delivery = read_delivery(result.response, spans.size());
    const std::uint64_t rejected = std::min<std::uint64_t>(delivery.rejected_spans, spans.size());
    tally.accepted += spans.size() - rejected;
    tally.rejected += rejected;
    std::string& note = rejected > 0 ? tally.rejection : tally.warning;
    if (note.empty()) note = std::move(delivery.message);
    return;
  }
  tally.failed += spans.size();
  if (tally.failure.empty()) {
    tally.failure = std::move(result.reason);
    const std::string detail =
        result.response.status != 0 ? read_failure_detail(result.response) : std::string();
    if (!detail.empty()) tally.failure += ": " + detail;
  }
  if (result.outcome != TransportResult::Outcome::refused) tally.stop = true;
}

ExportResult HttpSpanExporter::conclude(const Tally& tally, std::size_t spans) {
  const std::string prefix = name_ + " exporter: ";
  if (!tally.warning.empty())
    reasons_.report(LogLevel::warn, "warning " + tally.warning,
                    prefix + "the backend says: " + tally.warning);
  if (tally.failed == spans) {
    reasons_.report(LogLevel::error, tally.failure,
                    prefix + "dropped " + std::to_string(spans) + " spans: " + tally.failure);
    return ExportResult::failure(tally.failure);
  }
  ExportResult result = ExportResult::success();
  result.rejected_spans = tally.rejected + tally.failed;
  if (tally.rejected > 0) {
    result.message = "the backend rejected " + std::to_string(tally.rejected) + " of " +
                     std::to_string(spans) + " spans" +
                     (tally.rejection.empty() ? "" : ": " + tally.rejection);
    reasons_.report(LogLevel::error, "rejected " + tally.rejection, prefix + result.message);
  }
  if (tally.failed > 0) {
    result.message += (result.message.empty() ? "" : "; ") + std::to_string(tally.failed) +
                      " spans were not delivered: " + tally.failure;
    reasons_.report(
        LogLevel::error, tally.failure,
        prefix + "dropped " + std::to_string(tally.failed) + " spans: " + tally.failure);
  }
  return result;
}

void HttpSpanExporter::tell_outcome(const Tally& tally, std::size_t spans, bool delivered,
                                    std::chrono::steady_clock::time_point started) {
  if (!delivered) {
    ++failed_exports_in_a_row_;
    spans_lost_in_a_row_ += spans;
  } else if (failed_exports_in_a_row_ > 0) {
    reasons_.report(LogLevel::info, "exporting again",
                    name_ + " exporter: exporting again after " +
                        std::to_string(failed_exports_in_a_row_) + " failed exports (" +
                        std::to_string(spans_lost_in_a_row_) + " spans dropped)");
    failed_exports_in_a_row_ = 0;
    spans_lost_in_a_row_ = 0;
  }
  if (!reasons_.reports(LogLevel::debug)) return;
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_->now() - started).count();
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.1f ms", static_cast<double>(micros) / 1000.0);
  std::string line =
      name_ + " exporter: " + std::to_string(spans) + " spans, " + std::to_string(tally.requests) +
      (tally.requests == 1 ? " request, " : " requests, ") + std::to_string(tally.bytes) +
      " bytes encoded, " + duration + ": " + std::to_string(tally.accepted) + " accepted";
  if (tally.rejected > 0) line += ", " + std::to_string(tally.rejected) + " rejected";
  if (tally.failed > 0) line += ", " + std::to_string(tally.failed) + " not delivered";
  reasons_.report_each(LogLevel::debug, line);
}

Delivery HttpSpanExporter::read_delivery(const HttpResponse&, std::size_t) {
  return {};
}

std::string HttpSpanExporter::read_failure_detail(const HttpResponse& response) {
  if (response.content_type.starts_with("text/")) return printable_excerpt(response.body);
  return {};
}

void HttpSpanExporter::shutdown(Deadline) noexcept {
  transport_->close();
}

void HttpSpanExporter::cancel() noexcept {
  transport_->cancel();
}

std::string printable_excerpt(std::string_view text, std::size_t limit) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  std::string excerpt;
  for (char character : text.substr(0, limit)) {
    const auto byte = static_cast<unsigned char>(character);
    excerpt += byte < 0x20 || byte == 0x7F ? ' ' : character;
  }
  if (text.size() > limit) excerpt += "...";
  return excerpt;
}

Expected<std::unique_ptr<HttpTransport>> make_exporter_transport(std::string_view exporter,
                                                                 ExporterEndpoint endpoint,
                                                                 const HttpExporterOptions& options,
                                                                 HttpHeaders headers, bool gzip) {
  const std::string prefix = "the " + std::string(exporter) + " exporter: ";
  auto url = parse_http_url(endpoint.url);
  if (!url) return url.error().with_prefix(prefix);
  HttpTransportSettings settings;
  settings.url = std::move(*url);
  settings.headers = std::move(headers);
  settings.gzip = gzip;
  settings.tls = std::move(endpoint.tls);
  settings.proxy = std::move(endpoint.proxy);
  settings.retry = options.retry;
  settings.max_response_body_bytes = options.max_response_body_bytes;
  settings.clock = options.clock;
  auto transport = HttpTransport::create(std::move(settings));
  if (!transport) return transport.error().with_prefix(prefix);
  return std::move(*transport);
}

}  // namespace tachi_trace::detail

#include "tachi_trace/exporters/otlp.hpp"

#include "http_exporter.hpp"
#include "otlp_encoders.hpp"

namespace tachi_trace {

namespace {

class OtlpExporter final : public detail::HttpSpanExporter {
 public:
  OtlpExporter(Parts parts, OtlpProtocol protocol)
      : HttpSpanExporter(std::move(parts)), protocol_(protocol) {}

 private:
  // The server answers in the request's encoding; its Content-Type says so when present.
  bool is_json(const HttpResponse& response) const {
    if (response.content_type.empty()) return protocol_ == OtlpProtocol::http_json;
    return response.content_type.find("json") != std::string::npos;
  }

  detail::Delivery read_delivery(const HttpResponse& response, std::size_t) override {
    auto partial = detail::read_export_response(response.body, is_json(response));
    if (!partial) {
      return {0,
              "the success response is not an ExportTraceServiceResponse; the spans are "
              "counted as exported"};
    }
    const auto rejected =
        static_cast<std::uint64_t>(std::max<std::int64_t>(partial->rejected_spans, 0));
    return {rejected, detail::printable_excerpt(partial->error_message)};
  }

  std::string read_failure_detail(const HttpResponse& response) override {
    if (response.content_type.starts_with("text/")) return detail::printable_excerpt(response.body);
    return detail::printable_excerpt(detail::read_status_message(response.body, is_json(response)));
  }

  const OtlpProtocol protocol_;
};

}  // namespace

std::unique_ptr<SpanEncoder> make_otlp_encoder(OtlpProtocol protocol) {
  if (protocol == OtlpProtocol::http_json) return std::make_unique<detail::OtlpJsonEncoder>();
  return std::make_unique<detail::OtlpProtobufEncoder>();
}

Expected<std::unique_ptr<SpanExporter>> make_otlp_exporter(const OtlpExporterSettings& settings,
                                                           HttpExporterOptions options) {
  auto transport =
      detail::make_exporter_transport("otlp", detail::ExporterEndpoint::of(settings), options,
                                      settings.headers, settings.compression == Compression::gzip);
  if (!transport) return transport.error();
  detail::HttpSpanExporter::Parts parts{"otlp", make_otlp_encoder(settings.protocol),
                                        std::move(*transport), settings.timeout,
                                        std::move(options)};
  return std::unique_ptr<SpanExporter>(
      std::make_unique<OtlpExporter>(std::move(parts), settings.protocol));
}

}  // namespace tachi_trace

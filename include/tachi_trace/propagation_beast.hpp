// Carriers over Boost.Beast header containers, for the propagators of propagation.hpp.
//
//   namespace http = boost::beast::http;
//   http::request<http::string_body> request = ...;            // a request is an http::fields
//   auto parent = propagator->extract(tachi_trace::BeastHeaderReader(request));
//   tachi_trace::BeastHeaderCarrier outgoing(client_request);
//   propagator->inject(tachi_trace::current_context(), outgoing);
//
// Lookups ignore case, as HTTP field names do. Repeated fields stay separate: `get_all` returns
// each value in the order received, so two `traceparent` fields are seen (and rejected) and several
// `tracestate` fields combine in order. `set` replaces every field of the name. The container must
// outlive the carrier; views returned stay valid until the container changes.
#pragma once

#include <boost/beast/http/fields.hpp>

#include "tachi_trace/propagation.hpp"

namespace tachi_trace {

/// Reads a Beast header container (a request, a response, or plain `http::fields`).
class BeastHeaderReader : public CarrierReader {
 public:
  explicit BeastHeaderReader(const boost::beast::http::fields& fields) noexcept
      : fields_(&fields) {}

  std::optional<std::string_view> get(std::string_view key) const override;
  std::vector<std::string_view> get_all(std::string_view key) const override;
  std::vector<std::string_view> keys() const override;

 private:
  const boost::beast::http::fields* fields_;
};

/// Reads and writes a Beast header container.
class BeastHeaderCarrier final : public BeastHeaderReader, public CarrierWriter {
 public:
  explicit BeastHeaderCarrier(boost::beast::http::fields& fields) noexcept
      : BeastHeaderReader(fields), fields_(&fields) {}

  void set(std::string_view key, std::string_view value) override;

 private:
  boost::beast::http::fields* fields_;
};

}  // namespace tachi_trace

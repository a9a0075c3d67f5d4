// The SERVER span of a request: what it is named, which attributes it carries, how the response
// and failures mark it.
#include <array>
#include <boost/beast/http/field.hpp>
#include <cstring>
#include <string>

#include "beast/http_semantics.hpp"
#include "propagation/text.hpp"
#include "tachi_trace/beast_server.hpp"
#include "tachi_trace/propagation_beast.hpp"
#include "tachi_trace/semantic_conventions.hpp"
#include "tachi_trace/traced.hpp"

namespace tachi_trace {

namespace {

namespace http = boost::beast::http;
using http_semantics::HostAndPort;

/// What the request says about itself, as views into its header.
struct RequestFacts {
  std::string_view method_original;
  std::string_view method;  // the http.request.method value
  std::string_view path;
  std::optional<std::string_view> query;
  std::string_view scheme;
  std::optional<HostAndPort> server;
  std::string_view client_address;
  std::optional<std::string_view> user_agent;
};

/// The first element's `name=value` of a `Forwarded` header, unquoted.
std::optional<std::string_view> forwarded_parameter(std::string_view header,
                                                    std::string_view name) {
  const std::string_view first = header.substr(0, header.find(','));
  std::optional<std::string_view> found;
  propagation::for_each_list_item(first, ';', [&](std::string_view pair) {
    const auto equals = pair.find('=');
    if (found || equals == std::string_view::npos) return;
    if (!detail::equals_ignoring_case(pair.substr(0, equals), name)) return;
    std::string_view value = pair.substr(equals + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    found = value;
  });
  return found;
}

/// The first item of a comma-separated header, or nullopt when there is none.
std::optional<std::string_view> first_item(const http::request_header<>& request,
                                           std::string_view name) {
  const auto field = request.find(name);
  if (field == request.end()) return std::nullopt;
  const std::string_view value = field->value();
  auto item = propagation::trim_optional_white_space(value.substr(0, value.find(',')));
  if (item.empty()) return std::nullopt;
  return item;
}

/// A `for=` node without its port: "192.0.2.60:4711" and "[2001:db8::17]:4711" give the address.
std::string_view node_address(std::string_view node) {
  if (auto split = http_semantics::split_host_and_port(node)) return split->host;
  return node;
}

struct Forwarded {
  std::optional<std::string_view> client;
  std::optional<std::string_view> scheme;
  std::optional<std::string_view> host;
};

Forwarded read_forwarded(const http::request_header<>& request) {
  Forwarded forwarded;
  if (const auto field = request.find(http::field::forwarded); field != request.end()) {
    const std::string_view value = field->value();
    forwarded.client = forwarded_parameter(value, "for");
    forwarded.scheme = forwarded_parameter(value, "proto");
    forwarded.host = forwarded_parameter(value, "host");
  }
  if (!forwarded.client) forwarded.client = first_item(request, "X-Forwarded-For");
  if (!forwarded.scheme) forwarded.scheme = first_item(request, "X-Forwarded-Proto");
  if (!forwarded.host) forwarded.host = first_item(request, "X-Forwarded-Host");
  if (forwarded.client) {
    forwarded.client = node_address(*forwarded.client);
    if (forwarded.client->empty() || *forwarded.client == "unknown") forwarded.client.reset();
  }
  return forwarded;
}

/// Splits the request target into path and query; an absolute-form target also gives the
/// scheme and authority.
void read_target(std::string_view target, RequestFacts& facts,
                 std::optional<std::string_view>& target_authority) {
  target = target.substr(0, target.find('#'));
  if (const auto scheme_end = target.find("://");
      !target.empty() && target.front() != '/' && scheme_end != std::string_view::npos) {
    facts.scheme = target.substr(0, scheme_end);
    const auto authority_start = scheme_end + 3;
    const auto authority_end = target.find_first_of("/?", authority_start);
    target_authority = target.substr(authority_start, authority_end - authority_start);
    target = authority_end == std::string_view::npos ? std::string_view("/")
                                                     : target.substr(authority_end);
    if (!target.empty() && target.front() == '?') facts.path = "/";
  }
  const auto question = target.find('?');
  if (facts.path.empty()) facts.path = target.substr(0, question);
  if (question != std::string_view::npos) facts.query = target.substr(question + 1);
}

RequestFacts describe_request(const http::request_header<>& request,
                              const HttpConnectionInfo& connection,
                              const HttpServerTracingOptions& options) {
  RequestFacts facts;
  facts.method_original = request.method_string();
  facts.method = http_semantics::known_method(facts.method_original);
  facts.scheme = options.scheme;
  std::optional<std::string_view> target_authority;
  read_target(request.target(), facts, target_authority);
  const Forwarded forwarded = options.use_forwarded_headers ? read_forwarded(request) : Forwarded{};
  if (forwarded.scheme) facts.scheme = *forwarded.scheme;
  std::optional<std::string_view> authority = forwarded.host ? forwarded.host : target_authority;
  if (!authority) {
    if (const auto host = request.find(http::field::host); host != request.end())
      authority = host->value();
  }
  if (authority) facts.server = http_semantics::split_host_and_port(*authority);
  facts.client_address = forwarded.client ? *forwarded.client : connection.peer_address;
  if (const auto agent = request.find(http::field::user_agent); agent != request.end())
    facts.user_agent = agent->value();
  return facts;
}

/// Calls `add(key, value)` (a string_view or an int64_t) for each attribute the conventions ask
/// to give the sampler, at span creation.
template <typename Add>
void for_each_sampling_attribute(const RequestFacts& facts, Add&& add) {
  add(semconv::http_request_method, facts.method);
  add(semconv::url_path, facts.path);
  add(semconv::url_scheme, facts.scheme);
  if (facts.query) {
    if (http_semantics::has_sensitive_query_value(*facts.query))
      add(semconv::url_query, std::string_view(http_semantics::redact_query(*facts.query)));
    else
      add(semconv::url_query, *facts.query);
  }
  if (facts.server) {
    add(semconv::server_address, facts.server->host);
    const auto port = facts.server->port.value_or(http_semantics::default_port(facts.scheme));
    add(semconv::server_port, static_cast<std::int64_t>(port));
  }
  if (!facts.client_address.empty()) add(semconv::client_address, facts.client_address);
  if (facts.user_agent) add(semconv::user_agent_original, *facts.user_agent);
}

/// The sampling attributes as a list, for a sampler that reads them.
Attributes sampling_attributes(const RequestFacts& facts) {
  Attributes attributes;
  attributes.reserve(8);
  for_each_sampling_attribute(facts, [&attributes](auto key, auto value) {
    attributes.push_back(Attribute{key, AttributeValue(value)});
  });
  return attributes;
}

/// What only a recording span needs.
void set_recorded_attributes(const SpanRef& span, const RequestFacts& facts, unsigned version,
                             const HttpConnectionInfo& connection,
                             std::optional<std::uint64_t> body_size) {
  if (facts.method != facts.method_original)
    span.set_attribute(semconv::http_request_method_original, facts.method_original);
  if (!connection.peer_address.empty()) {
    span.set_attribute(semconv::network_peer_address, connection.peer_address);
    span.set_attribute(semconv::network_peer_port, static_cast<std::int64_t>(connection.peer_port));
  }
  const std::string_view protocol = http_semantics::protocol_version(version);
  if (!protocol.empty()) span.set_attribute(semconv::network_protocol_version, protocol);
  if (body_size) span.set_attribute(semconv::http_request_body_size, *body_size);
}

std::string address_text(const boost::asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .to_string();
  return address.to_string();
}

}  // namespace

HttpConnectionInfo HttpConnectionInfo::of(const boost::asio::ip::tcp::socket& socket) {
  HttpConnectionInfo info;
  boost::system::error_code error;
  const auto remote = socket.remote_endpoint(error);
  if (!error) {
    info.peer_address = address_text(remote.address());
    info.peer_port = remote.port();
  }
  const auto local = socket.local_endpoint(error);
  if (!error) {
    info.local_address = address_text(local.address());
    info.local_port = local.port();
  }
  return info;
}

HttpServerTracingOptions http_server_tracing_options(const FinalizedTracingConfig& config) {
  HttpServerTracingOptions options;
  options.propagator = make_propagator(config);
  options.server_timing = config.http_server_timing();
  options.client_errors_are_errors = config.http_server_4xx_is_error();
  return options;
}

HttpServerSpan start_http_server_span(const http::request_header<>& request,
                                      const HttpConnectionInfo& connection,
                                      const HttpServerTracingOptions& options,
                                      std::optional<std::uint64_t> body_size) {
  const TextMapPropagator& propagator =
      options.propagator ? *options.propagator : global_propagator();
  const RequestFacts facts = describe_request(request, connection, options);
  SpanStartOptions start;
  start.kind = SpanKind::server;
  start.parent = propagator.extract(BeastHeaderReader(request));
  const Tracer& tracer = options.tracer ? *options.tracer : global_tracer();
  // A sampler that does not read them gets no list: the attributes go straight into the span.
  const bool sampler_reads_attributes = tracer.sampler_reads_attributes();
  if (sampler_reads_attributes) start.attributes = sampling_attributes(facts);

  HttpServerSpan result;
  result.method_label_ = http_semantics::method_label(facts.method_original);
  result.span_ = tracer.start_span(result.method_label_, start);
  result.context_ = start.parent->with_span(result.span_);
  result.client_errors_are_errors_ = options.client_errors_are_errors;
  result.server_timing_ = options.server_timing;
  if (result.span_.is_recording()) {
    if (!sampler_reads_attributes) {
      for_each_sampling_attribute(
          facts, [&result](auto key, auto value) { result.span_.set_attribute(key, value); });
    }
    set_recorded_attributes(result.span_, facts, request.version(), connection, body_size);
  }
  return result;
}

void HttpServerSpan::set_route(std::string_view route) const noexcept {
  if (!span_.is_recording()) return;
  span_.set_attribute(semconv::http_route, route);
  // "{method} {route}", built on the stack when it fits (it nearly always does): no allocation
  // per request for a name the span's record copies anyway.
  std::array<char, 256> buffer;
  const std::size_t size = method_label_.size() + 1 + route.size();
  if (size <= buffer.size()) {
    std::memcpy(buffer.data(), method_label_.data(), method_label_.size());
    buffer[method_label_.size()] = ' ';
    std::memcpy(buffer.data() + method_label_.size() + 1, route.data(), route.size());
    span_.update_name(std::string_view(buffer.data(), size));
    return;
  }
  try {
    std::string name;
    name.reserve(size);
    name.append(method_label_).append(" ").append(route);
    span_.update_name(name);
  } catch (...) {
    // Out of memory: the span keeps its shorter name.
  }
}

void HttpServerSpan::record_response(http::response_header<>& response,
                                     std::optional<std::uint64_t> body_size) {
  if (server_timing_ && span_.context().is_valid())
    response.set(server_timing_header, format_server_timing(span_.context()));
  if (!span_.is_recording()) return;
  const unsigned code = response.result_int();
  span_.set_attribute(semconv::http_response_status_code, static_cast<std::int64_t>(code));
  if (body_size) span_.set_attribute(semconv::http_response_body_size, *body_size);
  const bool server_error = code >= 500 || code < 100 || code > 599;
  const bool client_error = code >= 400 && code < 500;
  // The reason is in the status code, so the status carries no description.
  if (server_error || (client_error && client_errors_are_errors_))
    mark_error(std::to_string(code), {});
}

void HttpServerSpan::record_exception(const std::exception_ptr& error) noexcept {
  if (!span_.is_recording() || !error || error_recorded_) return;
  detail::mark_exception(span_, error);  // the exception event, status Error with its message
  error_recorded_ = true;
  try {
    span_.set_attribute(semconv::error_type, http_semantics::exception_type(error));
  } catch (...) {
    span_.set_attribute(semconv::error_type, "_OTHER");
  }
}

void HttpServerSpan::record_write_error(const boost::system::error_code& error) noexcept {
  if (!span_.is_recording() || !error) return;
  mark_error(http_semantics::error_type(error), error.message());
}

void HttpServerSpan::mark_error(std::string_view error_type,
                                std::string_view description) noexcept {
  if (error_recorded_) return;  // the first failure explains the span
  error_recorded_ = true;
  span_.set_attribute(semconv::error_type, error_type);
  span_.set_status(StatusCode::error, description);
}

}  // namespace tachi_trace

#include "tachi_trace/traced.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <initializer_list>
#include <string>

#include "tachi_trace/semantic_conventions.hpp"

namespace tachi_trace {

namespace {

/// A span name joined from parts on the stack, so that naming an unsampled span allocates nothing
/// (an absurdly long name falls back to the heap).
class JoinedName {
 public:
  JoinedName(std::initializer_list<std::string_view> parts) {
    std::size_t total = 0;
    for (auto part : parts)
      total += part.size();
    char* out = buffer_;
    if (total > sizeof(buffer_)) {
      overflow_.resize(total);
      out = overflow_.data();
    }
    for (auto part : parts) {
      if (!part.empty()) std::memcpy(out + size_, part.data(), part.size());
      size_ += part.size();
    }
    data_ = out;
  }
  JoinedName(const JoinedName&) = delete;
  JoinedName& operator=(const JoinedName&) = delete;

  std::string_view view() const noexcept { return {data_, size_}; }

 private:
  char buffer_[192];
  std::string overflow_;
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

bool is_cancellation(const boost::system::error_code& error) noexcept {
  return error == boost::asio::error::operation_aborted;
}

constexpr std::string_view cancelled_description = "cancelled";

// The wrappers' own attribute names (the seed's, beside the semantic-convention ones).
constexpr ConstantKey db_system{"db.system"};
constexpr ConstantKey db_operation{"db.operation"};
constexpr ConstantKey db_table{"db.table"};
constexpr ConstantKey backend_name{"backend.name"};
constexpr ConstantKey backend_operation{"backend.operation"};
constexpr ConstantKey spec_id_key{"spec.id"};
constexpr ConstantKey llm_backend{"llm.backend"};
constexpr ConstantKey llm_model{"llm.model"};
constexpr ConstantKey llm_duration_ms{"llm.duration_ms"};

}  // namespace

namespace detail {

Span start_query_span(const Tracer& tracer, std::string_view system, std::string_view operation,
                      std::string_view table) noexcept {
  JoinedName name{"db.", operation};
  Span span = tracer.start_span(name.view(), SpanKind::client);
  if (!span.is_recording()) return span;
  span.set_attribute(db_system, system)
      .set_attribute(db_operation, operation)
      .set_attribute(db_table, table)
      .set_attribute(semconv::db_system_name, system)
      .set_attribute(semconv::db_operation_name, operation)
      .set_attribute(semconv::db_collection_name, table);
  return span;
}

Span start_backend_span(const Tracer& tracer, std::string_view backend,
                        std::string_view operation) noexcept {
  JoinedName name{"backend.", backend, ".", operation};
  Span span = tracer.start_span(name.view(), SpanKind::client);
  if (!span.is_recording()) return span;
  span.set_attribute(backend_name, backend).set_attribute(backend_operation, operation);
  return span;
}

Span start_execution_span(const Tracer& tracer, const SpecIdentifier& spec_id,
                          std::string_view backend, std::string_view model) noexcept {
  Span span = tracer.start_span("llm.execution", SpanKind::client);
  if (!span.is_recording()) return span;
  span.set_attribute(spec_id_key, spec_id.attribute())
      .set_attribute(llm_backend, backend)
      .set_attribute(llm_model, model)
      .set_attribute(semconv::gen_ai_system, backend)
      .set_attribute(semconv::gen_ai_request_model, model);
  return span;
}

void set_execution_duration(const SpanRef& span,
                            std::chrono::steady_clock::duration elapsed) noexcept {
  span.set_attribute(llm_duration_ms, std::chrono::duration<double, std::milli>(elapsed).count());
}

void mark_exception(const SpanRef& span, const std::exception_ptr& error) noexcept {
  if (!span.is_recording() || !error) return;
  span.record_exception(error);
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& caught) {
    span.set_status(StatusCode::error,
                    is_cancellation(caught.code()) ? cancelled_description : caught.what());
  } catch (const std::system_error& caught) {
    bool cancelled = caught.code() == std::errc::operation_canceled;
    span.set_status(StatusCode::error, cancelled ? cancelled_description : caught.what());
  } catch (const std::exception& caught) {
    span.set_status(StatusCode::error, caught.what());
  } catch (...) {
    span.set_status(StatusCode::error, "an exception not derived from std::exception");
  }
}

void mark_error_code(const SpanRef& span, const boost::system::error_code& error) noexcept {
  if (!span.is_recording()) return;
  span.set_status(StatusCode::error,
                  is_cancellation(error) ? std::string(cancelled_description) : error.message());
}

void mark_error_code(const SpanRef& span, const std::error_code& error) noexcept {
  if (!span.is_recording()) return;
  bool cancelled = error == std::errc::operation_canceled;
  span.set_status(StatusCode::error,
                  cancelled ? std::string(cancelled_description) : error.message());
}

void mark_error_message(const SpanRef& span, std::string_view message) noexcept {
  span.set_status(StatusCode::error, message);
}

}  // namespace detail

void span_error(std::string_view message) noexcept {
  detail::mark_error_message(current_context().span(), message);
}

void span_error(const std::exception& error) noexcept {
  const SpanRef& span = current_context().span();
  span.record_exception(error);
  span.set_status(StatusCode::error, error.what());
}

void span_error(const std::exception_ptr& error) noexcept {
  detail::mark_exception(current_context().span(), error);
}

void span_error(const boost::system::error_code& error) noexcept {
  if (!error) return;
  detail::mark_error_code(current_context().span(), error);
}

}  // namespace tachi_trace

// Errors as values at the library's edges.
//
// Everything that parses outside input (environment variables, headers, configuration given in
// code) returns `Expected<T>`: either the value or an `Error` whose message says what was received
// and what was expected. Nothing on the span hot path throws.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tachi_trace {

struct Error {
  enum class Code {
    invalid_configuration,
    invalid_argument,
    unsupported,
    io_failure,
    timed_out,
    shut_down,
  };

  Code code;
  std::string message;

  Error with_prefix(std::string_view prefix) const {
    return Error{code, std::string(prefix) + message};
  }
};

/// A value or the reason there is none. Test with `if (result)`, then read `*result` or
/// `result.error()`.
template <typename Value>
class Expected {
 public:
  Expected(Value value) : storage_(std::move(value)) {}
  Expected(Error error) : storage_(std::move(error)) {}

  explicit operator bool() const noexcept { return storage_.index() == 0; }
  bool has_value() const noexcept { return storage_.index() == 0; }

  Value& value() & {
    assert(has_value());
    return std::get<0>(storage_);
  }
  const Value& value() const& {
    assert(has_value());
    return std::get<0>(storage_);
  }
  Value&& value() && {
    assert(has_value());
    return std::get<0>(std::move(storage_));
  }
  Value& operator*() & { return value(); }
  const Value& operator*() const& { return value(); }
  Value&& operator*() && { return std::move(*this).value(); }
  Value* operator->() { return &value(); }
  const Value* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!has_value());
    return std::get<1>(storage_);
  }

 private:
  std::variant<Value, Error> storage_;
};

}  // namespace tachi_trace

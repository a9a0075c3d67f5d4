// Trace and span identity: the ids, flags and trace state that travel with every span.
//
// `TraceId` (128 bit) and `SpanId` (64 bit) are plain values; the all-zero id is invalid. Hex forms
// are lowercase, as W3C Trace Context requires. New ids come from a per-thread generator: no lock
// and no system call per id. Every id it makes is random in all its bits, so new traces carry the
// W3C Level 2 "random" trace flag.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tachi_trace {

namespace detail {
/// Writes `bytes` as lowercase hex into `out`, which must have room for 2 * size characters.
void write_hex(const std::uint8_t* bytes, std::size_t size, char* out) noexcept;
/// Reads exactly 2 * size lowercase hex characters; false on any other character.
bool read_lowercase_hex(std::string_view hex, std::uint8_t* bytes, std::size_t size) noexcept;
}  // namespace detail

template <std::size_t Size, typename Tag>
class BasicId {
 public:
  static constexpr std::size_t byte_count = Size;
  static constexpr std::size_t hex_length = 2 * Size;
  using Bytes = std::array<std::uint8_t, Size>;

  constexpr BasicId() noexcept = default;
  constexpr explicit BasicId(const Bytes& bytes) noexcept : bytes_(bytes) {}

  /// Parses exactly `hex_length` lowercase hex characters. The all-zero id parses (callers that
  /// need a valid id check `is_valid()`), anything else returns nullopt.
  static std::optional<BasicId> from_hex(std::string_view hex) noexcept {
    BasicId id;
    if (!detail::read_lowercase_hex(hex, id.bytes_.data(), Size)) return std::nullopt;
    return id;
  }

  bool is_valid() const noexcept {
    // Word-wise rather than byte-wise: this runs several times per span start.
    std::uint64_t words[Size / 8];
    std::memcpy(words, bytes_.data(), Size);
    std::uint64_t any = 0;
    for (auto word : words)
      any |= word;
    return any != 0;
  }

  constexpr const Bytes& bytes() const noexcept { return bytes_; }

  void write_hex(char* out) const noexcept { detail::write_hex(bytes_.data(), Size, out); }
  std::string to_hex() const {
    std::string hex(hex_length, '0');
    write_hex(hex.data());
    return hex;
  }

  friend constexpr bool operator==(const BasicId&, const BasicId&) noexcept = default;

 private:
  Bytes bytes_{};
};

struct TraceIdTag;
struct SpanIdTag;
using TraceId = BasicId<16, TraceIdTag>;
using SpanId = BasicId<8, SpanIdTag>;

/// The 8-bit trace-flags field of W3C Trace Context.
class TraceFlags {
 public:
  static constexpr std::uint8_t sampled_bit = 0x01;
  static constexpr std::uint8_t random_bit = 0x02;

  constexpr TraceFlags() noexcept = default;
  constexpr explicit TraceFlags(std::uint8_t bits) noexcept : bits_(bits) {}

  constexpr bool sampled() const noexcept { return (bits_ & sampled_bit) != 0; }
  constexpr bool random() const noexcept { return (bits_ & random_bit) != 0; }
  constexpr std::uint8_t bits() const noexcept { return bits_; }
  constexpr TraceFlags with_sampled(bool on) const noexcept { return with(sampled_bit, on); }
  constexpr TraceFlags with_random(bool on) const noexcept { return with(random_bit, on); }

  friend constexpr bool operator==(TraceFlags, TraceFlags) noexcept = default;

 private:
  constexpr TraceFlags with(std::uint8_t bit, bool on) const noexcept {
    return TraceFlags(static_cast<std::uint8_t>(on ? (bits_ | bit) : (bits_ & ~bit)));
  }
  std::uint8_t bits_ = 0;
};

/// W3C `tracestate`: an immutable, ordered list of vendor entries. Copying is cheap (shared
/// storage); the empty state allocates nothing.
class TraceState {
 public:
  static constexpr std::size_t max_members = 32;
  static constexpr std::size_t max_key_length = 256;
  static constexpr std::size_t max_value_length = 256;

  struct Member {
    std::string key;
    std::string value;
    friend bool operator==(const Member&, const Member&) = default;
  };

  TraceState() noexcept = default;

  /// Longest `tracestate` header the propagators send. The recommendation asks every vendor to
  /// pass on at least 512 characters and to document its own bound; ours is that minimum, which
  /// every hop downstream is required to accept.
  static constexpr std::size_t max_propagated_length = 512;

  /// Parses the combined value of one or more `tracestate` headers (joined with ',', in order), as
  /// W3C Trace Context Level 2 defines it. Empty list members and optional white space (spaces and
  /// tabs) around members are allowed. Returns nullopt when any member is invalid (key or value
  /// grammar, a key over 256 characters) or there are more than 32 members: the recommendation then
  /// drops the whole tracestate. A repeated key keeps its first (left-most) value, the later ones
  /// are dropped, as the recommendation lets a vendor do.
  static std::optional<TraceState> parse(std::string_view header);

  static bool is_valid_key(std::string_view key) noexcept;
  static bool is_valid_value(std::string_view value) noexcept;

  bool empty() const noexcept { return !members_ || members_->empty(); }
  std::size_t size() const noexcept { return members_ ? members_->size() : 0; }
  std::optional<std::string_view> get(std::string_view key) const noexcept;
  const std::vector<Member>& members() const noexcept;

  /// A copy with `key` set to `value` and moved to the front, as the recommendation asks of a
  /// vendor that updates its entry. Returns nullopt for an invalid key or value. When the list is
  /// full, the last member is removed to make room.
  std::optional<TraceState> with(std::string_view key, std::string_view value) const;
  TraceState without(std::string_view key) const;

  /// The header value: members joined with ',' in order.
  std::string to_header() const;
  /// The header value cut to at most `max_length` characters by removing whole members, as the
  /// recommendation says: members longer than 128 characters first (right to left), then members
  /// from the right end. Empty when not even one member fits.
  std::string to_header(std::size_t max_length) const;

  friend bool operator==(const TraceState& left, const TraceState& right) noexcept {
    return left.members() == right.members();
  }

 private:
  explicit TraceState(std::vector<Member> members);
  std::shared_ptr<const std::vector<Member>> members_;
};

/// Everything that identifies a span to other spans and other processes.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  TraceFlags flags;
  TraceState trace_state;
  bool is_remote = false;

  bool is_valid() const noexcept { return trace_id.is_valid() && span_id.is_valid(); }
  bool is_sampled() const noexcept { return flags.sampled(); }
};

/// Fresh random ids from the calling thread's generator (wyrand, seeded once per thread from the
/// operating system). Never returns an all-zero id.
TraceId generate_trace_id() noexcept;
SpanId generate_span_id() noexcept;

/// The ids of a new trace's first span, in one trip to the generator.
struct RootSpanIds {
  TraceId trace_id;
  SpanId span_id;
};
RootSpanIds generate_root_span_ids() noexcept;

}  // namespace tachi_trace

#include "retry.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <string>

namespace tachi_trace::detail {

namespace {

constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// Reads a number of exactly `digits` digits (or 1-2 for a day of month when `digits` is 0).
std::optional<int> read_number(std::string_view& text, std::size_t digits) {
  std::size_t length = 0;
  while (length < text.size() && text[length] >= '0' && text[length] <= '9')
    ++length;
  if (length == 0 || (digits != 0 && length != digits) || (digits == 0 && length > 2))
    return std::nullopt;
  int value = 0;
  std::from_chars(text.data(), text.data() + length, value);
  text.remove_prefix(length);
  return value;
}

bool expect(std::string_view& text, std::string_view literal) {
  if (!text.starts_with(literal)) return false;
  text.remove_prefix(literal.size());
  return true;
}

std::optional<int> read_month(std::string_view& text) {
  for (std::size_t index = 0; index < month_names.size(); ++index) {
    if (expect(text, month_names[index])) return static_cast<int>(index) + 1;
  }
  return std::nullopt;
}

struct DateParts {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool read_time_of_day(std::string_view& text, DateParts& parts) {
  auto hour = read_number(text, 2);
  if (!hour || !expect(text, ":")) return false;
  auto minute = read_number(text, 2);
  if (!minute || !expect(text, ":")) return false;
  auto second = read_number(text, 2);
  if (!second) return false;
  parts.hour = *hour;
  parts.minute = *minute;
  parts.second = *second;
  return true;
}

// "06 Nov 1994 08:49:37 GMT" (after "Sun, ").
std::optional<DateParts> read_imf_fixdate(std::string_view text) {
  DateParts parts;
  auto day = read_number(text, 2);
  if (!day || !expect(text, " ")) return std::nullopt;
  auto month = read_month(text);
  if (!month || !expect(text, " ")) return std::nullopt;
  auto year = read_number(text, 4);
  if (!year || !expect(text, " ") || !read_time_of_day(text, parts)) return std::nullopt;
  if (text != " GMT") return std::nullopt;
  parts.year = *year;
  parts.month = *month;
  parts.day = *day;
  return parts;
}

// "06-Nov-94 08:49:37 GMT" (after "Sunday, "). Two-digit years are read as the most recent year
// with those digits that is not more than 50 years in the future (RFC 9110), simplified to
// 1970-2069, which covers every date a server can mean today.
std::optional<DateParts> read_rfc850_date(std::string_view text) {
  DateParts parts;
  auto day = read_number(text, 2);
  if (!day || !expect(text, "-")) return std::nullopt;
  auto month = read_month(text);
  if (!month || !expect(text, "-")) return std::nullopt;
  auto year = read_number(text, 2);
  if (!year || !expect(text, " ") || !read_time_of_day(text, parts)) return std::nullopt;
  if (text != " GMT") return std::nullopt;
  parts.year = *year < 70 ? 2000 + *year : 1900 + *year;
  parts.month = *month;
  parts.day = *day;
  return parts;
}

// "Nov  6 08:49:37 1994" (after "Sun ").
std::optional<DateParts> read_asctime_date(std::string_view text) {
  DateParts parts;
  auto month = read_month(text);
  if (!month || !expect(text, " ")) return std::nullopt;
  if (text.starts_with(' ')) text.remove_prefix(1);
  auto day = read_number(text, 0);
  if (!day || !expect(text, " ") || !read_time_of_day(text, parts) || !expect(text, " "))
    return std::nullopt;
  auto year = read_number(text, 4);
  if (!year || !text.empty()) return std::nullopt;
  parts.year = *year;
  parts.month = *month;
  parts.day = *day;
  return parts;
}

// In whole seconds, which hold any four-digit year: the system clock's nanoseconds reach only from
// 1678 to 2262.
std::optional<std::chrono::sys_seconds> to_seconds(const DateParts& parts) {
  using namespace std::chrono;
  const year_month_day date{year{parts.year}, month{static_cast<unsigned>(parts.month)},
                            day{static_cast<unsigned>(parts.day)}};
  if (!date.ok() || parts.hour > 23 || parts.minute > 59 || parts.second > 60) return std::nullopt;
  return sys_days{date} + hours{parts.hour} + minutes{parts.minute} + seconds{parts.second};
}

std::optional<std::chrono::sys_seconds> parse_http_date_seconds(std::string_view text) {
  text = trim(text);
  std::optional<DateParts> parts;
  const auto comma = text.find(',');
  if (comma == 3) {
    parts = read_imf_fixdate(text.substr(std::min<std::size_t>(5, text.size())));
  } else if (comma != std::string_view::npos && comma > 3) {
    parts = read_rfc850_date(text.substr(std::min(comma + 2, text.size())));
  } else if (text.size() > 4 && text[3] == ' ') {
    parts = read_asctime_date(text.substr(4));
  }
  if (!parts) return std::nullopt;
  return to_seconds(*parts);
}

// A day is more than any export deadline; capping keeps the arithmetic far from overflow.
constexpr std::chrono::seconds longest_retry_after{86400};

}  // namespace

bool is_retryable_status(unsigned status) noexcept {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  using namespace std::chrono;
  auto date = parse_http_date_seconds(text);
  if (!date) return std::nullopt;
  const auto earliest = ceil<seconds>(system_clock::time_point::min());
  const auto latest = floor<seconds>(system_clock::time_point::max());
  if (*date < earliest || *date > latest) return std::nullopt;
  return time_point_cast<system_clock::duration>(*date);
}

std::optional<std::chrono::nanoseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  value = trim(value);
  if (value.empty()) return std::nullopt;
  std::uint64_t count = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
  if (error == std::errc() && end == value.data() + value.size())
    return seconds(std::min<std::uint64_t>(count, longest_retry_after.count()));
  if (error == std::errc::result_out_of_range) return longest_retry_after;
  auto date = parse_http_date_seconds(value);
  if (!date) return std::nullopt;
  // Whole seconds first, clamped, so that no date (year 1 or 9999) overflows the nanoseconds.
  const sys_seconds now_seconds = floor<seconds>(now);
  const seconds ahead =
      std::clamp(*date - now_seconds, seconds(-1), longest_retry_after + seconds(1));
  const nanoseconds wait = ahead - (now - now_seconds);
  return std::clamp(wait, nanoseconds(0), nanoseconds(longest_retry_after));
}

Backoff::Backoff(const RetryPolicy& policy, std::minstd_rand& random)
    : policy_(policy),
      random_(random),
      current_nanoseconds_(static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(policy.initial_backoff).count())) {}

std::chrono::nanoseconds Backoff::next() {
  const double ceiling = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(policy_.max_backoff).count());
  const double backoff = std::min(current_nanoseconds_, ceiling);
  current_nanoseconds_ = std::min(ceiling, current_nanoseconds_ * policy_.backoff_multiplier);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(backoff * jitter(random_)));
}

std::string describe_wait(std::chrono::nanoseconds wait) {
  char text[32];
  if (wait < std::chrono::seconds(1)) {
    std::snprintf(text, sizeof text, "%lld ms",
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()));
  } else {
    std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(wait).count());
  }
  return text;
}

}  // namespace tachi_trace::detail

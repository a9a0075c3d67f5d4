// The sample's SQLite database: the LLM "specs" it can execute and the runs it recorded.
//
//   auto store = tachi_sample::SpecStore::open("tachi-sample.db");  // creates it when missing
//   if (!store) fail(store.error().message);
//   auto spec = (*store)->get_spec(1);        // Expected<std::optional<Spec>>
//   auto run = (*store)->record_run(1, "text", 12ms, trace_id);  // the new run's id
//
// Opening creates the file, the schema and a few example specs when the database is empty, and
// switches it to write-ahead logging so other processes (the sqlite3 shell) can read while the
// sample writes. Every call is synchronous and meant for a thread pool, off the io threads.
//
// Thread safety: one connection, opened with SQLITE_OPEN_FULLMUTEX, and prepared once; a mutex
// serialises the calls, since a prepared statement is used by one caller at a time. Calls take
// microseconds on this small database, so a pool of connections would buy nothing here.
//
// Errors are values: a failed open or query returns an Error whose message names the file or the
// operation and SQLite's reason. An unknown id is not an error: get_spec returns an empty
// optional, and record_run for an unknown spec is an invalid_argument error naming the id.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tachi_trace/error.hpp"
#include "tachi_trace/ids.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace tachi_sample {

struct Spec {
  std::int64_t id = 0;
  std::string name;
  std::string backend;  // which LLM backend executes it ("mock" is served by the sample itself)
  std::string model;
  std::string prompt;

  friend bool operator==(const Spec&, const Spec&) = default;
};

struct Run {
  std::int64_t id = 0;
  std::int64_t spec_id = 0;
  std::string output;
  std::chrono::nanoseconds duration{0};
  std::string trace_id;    // lowercase hex; empty when the run was not traced
  std::string created_at;  // UTC, ISO 8601 with milliseconds
};

class SpecStore {
 public:
  /// Opens (creating when missing) the database at `path`. The folder must exist.
  static tachi_trace::Expected<std::unique_ptr<SpecStore>> open(const std::filesystem::path& path);
  ~SpecStore();
  SpecStore(const SpecStore&) = delete;
  SpecStore& operator=(const SpecStore&) = delete;

  tachi_trace::Expected<std::optional<Spec>> get_spec(std::int64_t id) const;
  /// Every spec, by id.
  tachi_trace::Expected<std::vector<Spec>> list_specs() const;
  /// Stores a run of spec `spec_id`; returns the new run's id (increasing, never reused).
  tachi_trace::Expected<std::int64_t> record_run(std::int64_t spec_id, std::string_view output,
                                                 std::chrono::nanoseconds duration,
                                                 const tachi_trace::TraceId& trace_id);
  tachi_trace::Expected<std::optional<Run>> get_run(std::int64_t run_id) const;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* statement) const noexcept;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  explicit SpecStore(std::filesystem::path path) : path_(std::move(path)) {}
  std::optional<tachi_trace::Error> initialise();
  std::optional<tachi_trace::Error> create_schema();
  std::optional<tachi_trace::Error> prepare_statements();
  tachi_trace::Error failure(std::string_view doing) const;

  std::filesystem::path path_;
  sqlite3* connection_ = nullptr;
  mutable std::mutex mutex_;
  Statement select_spec_;
  Statement select_specs_;
  Statement insert_run_;
  Statement select_run_;
};

}  // namespace tachi_sample

#include "spec_store.hpp"

#include <sqlite3.h>

namespace tachi_sample {

using tachi_trace::Error;
using tachi_trace::Expected;

namespace {

constexpr int schema_version = 1;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS specs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  backend TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  spec_id INTEGER NOT NULL REFERENCES specs(id),
  output TEXT NOT NULL,
  duration_ns INTEGER NOT NULL,
  trace_id TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX IF NOT EXISTS runs_by_spec ON runs(spec_id);
)sql";

constexpr const char* example_specs = R"sql(
INSERT INTO specs (id, name, backend, model, prompt) VALUES
  (1, 'summarize-ticket', 'mock', 'mock-small',
   'Summarize this support ticket in two sentences: {{ticket}}'),
  (2, 'classify-sentiment', 'mock', 'mock-small',
   'Answer positive, neutral or negative for this review: {{review}}'),
  (3, 'draft-release-notes', 'mock', 'mock-large',
   'Write release notes for these merged changes: {{changes}}');
)sql";

/// Resets a statement after use, whatever path the caller leaves by.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) noexcept : statement_(statement) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

Spec read_spec(sqlite3_stmt* statement) {
  return Spec{sqlite3_column_int64(statement, 0), column_text(statement, 1),
              column_text(statement, 2), column_text(statement, 3), column_text(statement, 4)};
}

Run read_run(sqlite3_stmt* statement) {
  return Run{sqlite3_column_int64(statement, 0),
             sqlite3_column_int64(statement, 1),
             column_text(statement, 2),
             std::chrono::nanoseconds(sqlite3_column_int64(statement, 3)),
             column_text(statement, 4),
             column_text(statement, 5)};
}

}  // namespace

void SpecStore::StatementDeleter::operator()(sqlite3_stmt* statement) const noexcept {
  sqlite3_finalize(statement);
}

Expected<std::unique_ptr<SpecStore>> SpecStore::open(const std::filesystem::path& path) {
  std::unique_ptr<SpecStore> store(new SpecStore(path));
  if (auto error = store->initialise()) return *error;
  return store;
}

SpecStore::~SpecStore() {
  select_spec_.reset();
  select_specs_.reset();
  insert_run_.reset();
  select_run_.reset();
  sqlite3_close(connection_);
}

Error SpecStore::failure(std::string_view doing) const {
  return Error{Error::Code::io_failure, std::string(doing) + " in database \"" + path_.string() +
                                            "\" failed: " + sqlite3_errmsg(connection_)};
}

std::optional<Error> SpecStore::initialise() {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path_.c_str(), &connection_, flags, nullptr) != SQLITE_OK) {
    return Error{Error::Code::io_failure,
                 "cannot open database \"" + path_.string() + "\": " + sqlite3_errmsg(connection_)};
  }
  sqlite3_extended_result_codes(connection_, 1);
  // Writers from other processes (or a second sample) hold the lock briefly: wait for it.
  sqlite3_busy_timeout(connection_, 5000);
  if (sqlite3_exec(connection_, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", nullptr,
                   nullptr, nullptr) != SQLITE_OK)
    return failure("setting up the connection");
  if (auto error = create_schema()) return error;
  return prepare_statements();
}

std::optional<Error> SpecStore::create_schema() {
  // IMMEDIATE: two processes opening a new database at once must not both add the examples.
  if (sqlite3_exec(connection_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
    return failure("starting the schema transaction");
  auto fail = [&](std::string_view doing) {
    Error error = failure(doing);
    sqlite3_exec(connection_, "ROLLBACK", nullptr, nullptr, nullptr);
    return error;
  };
  int version = 0;
  auto read_version = [](void* out, int, char** values, char**) {
    *static_cast<int*>(out) = values[0] != nullptr ? std::atoi(values[0]) : 0;
    return 0;
  };
  if (sqlite3_exec(connection_, "PRAGMA user_version", read_version, &version, nullptr) !=
      SQLITE_OK)
    return fail("reading the schema version");
  if (version > schema_version) {
    sqlite3_exec(connection_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Error{Error::Code::unsupported,
                 "database \"" + path_.string() + "\" has schema version " +
                     std::to_string(version) + ", newer than the " +
                     std::to_string(schema_version) + " this program knows"};
  }
  if (sqlite3_exec(connection_, schema, nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail("creating the schema");
  int spec_count = 0;
  if (sqlite3_exec(connection_, "SELECT count(*) FROM specs", read_version, &spec_count, nullptr) !=
      SQLITE_OK)
    return fail("counting the specs");
  if (spec_count == 0 &&
      sqlite3_exec(connection_, example_specs, nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail("adding the example specs");
  const std::string set_version = "PRAGMA user_version = " + std::to_string(schema_version);
  if (sqlite3_exec(connection_, set_version.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail("setting the schema version");
  if (sqlite3_exec(connection_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    return fail("committing the schema");
  return std::nullopt;
}

std::optional<Error> SpecStore::prepare_statements() {
  auto prepare = [&](Statement& statement, std::string_view sql) -> bool {
    sqlite3_stmt* prepared = nullptr;
    const int result = sqlite3_prepare_v3(connection_, sql.data(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &prepared, nullptr);
    statement.reset(prepared);
    return result == SQLITE_OK;
  };
  if (!prepare(select_spec_, "SELECT id, name, backend, model, prompt FROM specs WHERE id = ?") ||
      !prepare(select_specs_, "SELECT id, name, backend, model, prompt FROM specs ORDER BY id") ||
      !prepare(insert_run_,
               "INSERT INTO runs (spec_id, output, duration_ns, trace_id) VALUES (?, ?, ?, ?)") ||
      !prepare(select_run_,
               "SELECT id, spec_id, output, duration_ns, trace_id, created_at FROM runs "
               "WHERE id = ?"))
    return failure("preparing the statements");
  return std::nullopt;
}

Expected<std::optional<Spec>> SpecStore::get_spec(std::int64_t id) const {
  std::lock_guard guard(mutex_);
  StatementUse use(select_spec_.get());
  sqlite3_bind_int64(select_spec_.get(), 1, id);
  const int result = sqlite3_step(select_spec_.get());
  if (result == SQLITE_ROW) return std::optional<Spec>(read_spec(select_spec_.get()));
  if (result == SQLITE_DONE) return std::optional<Spec>();
  return failure("reading spec " + std::to_string(id));
}

Expected<std::vector<Spec>> SpecStore::list_specs() const {
  std::lock_guard guard(mutex_);
  StatementUse use(select_specs_.get());
  std::vector<Spec> specs;
  int result = SQLITE_ROW;
  while ((result = sqlite3_step(select_specs_.get())) == SQLITE_ROW)
    specs.push_back(read_spec(select_specs_.get()));
  if (result != SQLITE_DONE) return failure("listing the specs");
  return specs;
}

Expected<std::int64_t> SpecStore::record_run(std::int64_t spec_id, std::string_view output,
                                             std::chrono::nanoseconds duration,
                                             const tachi_trace::TraceId& trace_id) {
  const std::string trace_hex = trace_id.is_valid() ? trace_id.to_hex() : std::string();
  std::lock_guard guard(mutex_);
  sqlite3_stmt* statement = insert_run_.get();
  StatementUse use(statement);
  sqlite3_bind_int64(statement, 1, spec_id);
  sqlite3_bind_text64(statement, 2, output.data(), output.size(), SQLITE_STATIC, SQLITE_UTF8);
  sqlite3_bind_int64(statement, 3, duration.count());
  sqlite3_bind_text(statement, 4, trace_hex.data(), static_cast<int>(trace_hex.size()),
                    SQLITE_STATIC);
  const int result = sqlite3_step(statement);
  if (result == SQLITE_DONE) return sqlite3_last_insert_rowid(connection_);
  if (result == SQLITE_CONSTRAINT_FOREIGNKEY)
    return Error{Error::Code::invalid_argument,
                 "cannot record a run of spec " + std::to_string(spec_id) + ": no such spec"};
  return failure("recording a run of spec " + std::to_string(spec_id));
}

Expected<std::optional<Run>> SpecStore::get_run(std::int64_t run_id) const {
  std::lock_guard guard(mutex_);
  StatementUse use(select_run_.get());
  sqlite3_bind_int64(select_run_.get(), 1, run_id);
  const int result = sqlite3_step(select_run_.get());
  if (result == SQLITE_ROW) return std::optional<Run>(read_run(select_run_.get()));
  if (result == SQLITE_DONE) return std::optional<Run>();
  return failure("reading run " + std::to_string(run_id));
}

}  // namespace tachi_sample

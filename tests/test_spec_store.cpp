#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "spec_store.hpp"

using tachi_sample::Spec;
using tachi_sample::SpecStore;
namespace filesystem = std::filesystem;

namespace {

/// A fresh folder under the system's temporary directory, removed with everything in it.
struct TemporaryFolder {
  TemporaryFolder() {
    std::string pattern = (filesystem::temp_directory_path() / "tachi-spec-store-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    filesystem::remove_all(path, ignored);
  }
  filesystem::path path;
};

std::unique_ptr<SpecStore> open_store(const filesystem::path& path) {
  auto store = SpecStore::open(path);
  INFO((store ? std::string() : store.error().message));
  REQUIRE(store);
  return std::move(*store);
}

/// Runs one SQL statement through a separate connection and returns the first column of the
/// first row, as another process would see the file.
std::string query_other_connection(const filesystem::path& path, const char* sql) {
  sqlite3* connection = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &connection, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::string result;
  auto first_column = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) = values[0] != nullptr ? values[0] : "";
    return 0;
  };
  CHECK(sqlite3_exec(connection, sql, first_column, &result, nullptr) == SQLITE_OK);
  sqlite3_close(connection);
  return result;
}

const tachi_trace::TraceId trace_id =
    *tachi_trace::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736");

}  // namespace

TEST_CASE("a new database gets the schema and the example specs, once") {
  TemporaryFolder folder;
  const auto path = folder.path / "sample.db";
  {
    auto store = open_store(path);
    CHECK(filesystem::exists(path));
    auto specs = store->list_specs();
    REQUIRE(specs);
    REQUIRE(specs->size() == 3);
    CHECK(specs->at(0).id == 1);
    CHECK(specs->at(0).name == "summarize-ticket");
    CHECK(specs->at(0).backend == "mock");
    CHECK(specs->at(0).model == "mock-small");
    CHECK_THAT(specs->at(0).prompt, Catch::StartsWith("Summarize this support ticket"));
    CHECK(specs->at(2).id == 3);
  }
  CHECK(query_other_connection(path, "PRAGMA journal_mode") == "wal");
  CHECK(query_other_connection(path, "PRAGMA user_version") == "1");
  auto reopened = open_store(path);
  CHECK(reopened->list_specs()->size() == 3);
}

TEST_CASE("get_spec finds a spec by id, and an unknown id is an empty optional") {
  TemporaryFolder folder;
  auto store = open_store(folder.path / "sample.db");
  auto spec = store->get_spec(2);
  REQUIRE(spec);
  REQUIRE(spec->has_value());
  CHECK((*spec)->name == "classify-sentiment");
  CHECK((*spec)->model == "mock-small");
  CHECK(**spec == store->list_specs()->at(1));

  auto missing = store->get_spec(42);
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("record_run stores the run and returns increasing ids") {
  TemporaryFolder folder;
  const auto path = folder.path / "sample.db";
  auto store = open_store(path);
  auto first = store->record_run(1, "Two sentences.", std::chrono::milliseconds(12), trace_id);
  auto second = store->record_run(3, "Notes \"quoted\" ✓", std::chrono::nanoseconds(5), {});
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*second > *first);

  auto run = store->get_run(*first);
  REQUIRE(run);
  REQUIRE(run->has_value());
  CHECK((*run)->spec_id == 1);
  CHECK((*run)->output == "Two sentences.");
  CHECK((*run)->duration == std::chrono::milliseconds(12));
  CHECK((*run)->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK((*run)->created_at.size() == 24);  // 2026-01-02T03:04:05.678Z
  CHECK((*store->get_run(*second))->output == "Notes \"quoted\" ✓");
  CHECK((*store->get_run(*second))->trace_id.empty());
  CHECK_FALSE(store->get_run(*second + 100)->has_value());
  CHECK(query_other_connection(path, "SELECT count(*) FROM runs WHERE spec_id = 1") == "1");
}

TEST_CASE("a run of an unknown spec is refused with a clear message") {
  TemporaryFolder folder;
  auto store = open_store(folder.path / "sample.db");
  auto run = store->record_run(99, "output", std::chrono::milliseconds(1), trace_id);
  REQUIRE_FALSE(run);
  CHECK(run.error().code == tachi_trace::Error::Code::invalid_argument);
  CHECK(run.error().message == "cannot record a run of spec 99: no such spec");
  // The statement is usable again afterwards.
  CHECK(store->record_run(1, "output", std::chrono::milliseconds(1), trace_id));
}

TEST_CASE("opening fails with the path and SQLite's reason") {
  TemporaryFolder folder;
  SECTION("in a folder that does not exist") {
    const auto path = folder.path / "missing" / "sample.db";
    auto store = SpecStore::open(path);
    REQUIRE_FALSE(store);
    CHECK(store.error().message ==
          "cannot open database \"" + path.string() + "\": unable to open database file");
  }
  SECTION("a file that is not a database") {
    const auto path = folder.path / "notes.txt";
    std::ofstream(path) << "these are not the tables you are looking for, not at all, no\n"
                        << std::string(200, 'x');
    auto store = SpecStore::open(path);
    REQUIRE_FALSE(store);
    CHECK(store.error().message == "setting up the connection in database \"" + path.string() +
                                       "\" failed: file is not a database");
  }
  SECTION("a database from a newer version of the sample") {
    const auto path = folder.path / "newer.db";
    sqlite3* connection = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &connection) == SQLITE_OK);
    REQUIRE(sqlite3_exec(connection, "PRAGMA user_version = 7", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(connection);
    auto store = SpecStore::open(path);
    REQUIRE_FALSE(store);
    CHECK(store.error().message == "database \"" + path.string() +
                                       "\" has schema version 7, newer than the 1 this program "
                                       "knows");
  }
}

TEST_CASE("calls from several threads at once are safe and all recorded") {
  TemporaryFolder folder;
  auto store = open_store(folder.path / "sample.db");
  constexpr int threads = 4;
  constexpr int per_thread = 50;
  std::vector<std::vector<std::int64_t>> ids(threads);
  std::vector<std::thread> workers;
  for (int worker = 0; worker < threads; ++worker) {
    workers.emplace_back([&, worker] {
      for (int index = 0; index < per_thread; ++index) {
        auto run =
            store->record_run(1 + index % 3, "out", std::chrono::microseconds(index), trace_id);
        if (run) ids[worker].push_back(*run);
        auto spec = store->get_spec(1 + index % 3);
        if (!spec || !spec->has_value()) ids[worker].push_back(-1);
        store->list_specs();
      }
    });
  }
  for (auto& worker : workers)
    worker.join();
  std::set<std::int64_t> distinct;
  for (const auto& list : ids)
    distinct.insert(list.begin(), list.end());
  CHECK(distinct.count(-1) == 0);
  CHECK(distinct.size() == threads * per_thread);
}

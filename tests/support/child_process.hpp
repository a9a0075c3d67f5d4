// A program started by a test as a child process: environment variables added to the test's own
// (whose OTEL_* and TACHI_* variables are left out, so the test alone configures the child),
// standard output read through a pipe (so a test can wait for a line such as "listening on
// http://127.0.0.1:PORT"), standard error appended to a log file the test can show on failure.
//
//   tachi_trace::testing::ChildProcess server(path, {}, {{"TACHI_LISTEN", "127.0.0.1:0"}}, log);
//   auto line = server.wait_for_output("listening on ", 10s);   // nullopt: not within 10 s
//   server.send_signal(SIGTERM);
//   auto status = server.wait_for_exit(15s);                    // exit status, nullopt: timeout
//
// The child runs in a process group of its own; the destructor kills the group (SIGKILL) and
// reaps the child if it is still running, so a failing test never leaves a server behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tachi_trace::testing {

/// How a child ended: its exit code, or the signal that killed it.
struct ChildExit {
  bool exited = false;
  int code = -1;   // when exited
  int signal = 0;  // when killed by a signal
};

class ChildProcess {
 public:
  using Variables = std::vector<std::pair<std::string, std::string>>;

  /// Starts `program` with `arguments` (argv[1...]) and the test's environment plus `variables`
  /// (replacing variables of the same name). Standard error is appended to `error_log`.
  ChildProcess(const std::filesystem::path& program, std::vector<std::string> arguments,
               const Variables& variables, const std::filesystem::path& error_log);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const noexcept { return pid_; }
  /// The first whole line of standard output (read so far or until `timeout`) containing `text`.
  std::optional<std::string> wait_for_output(const std::string& text,
                                             std::chrono::milliseconds timeout);
  /// Everything read from standard output so far, plus whatever comes within `timeout`.
  std::string output(std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  void send_signal(int signal_number) const;
  /// Waits for the child to end; nullopt when `timeout` passed first (it keeps running).
  std::optional<ChildExit> wait_for_exit(std::chrono::milliseconds timeout);
  /// The text of the error log (for INFO on failure).
  std::string error_log() const;

 private:
  /// Reads what standard output has until `deadline`; false at end of file.
  bool read_some(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int output_descriptor_ = -1;
  std::string output_;
  std::filesystem::path error_log_;
  std::optional<ChildExit> exit_;
};

/// Runs `program` to completion (at most `timeout`, then it is killed) and returns its exit and
/// standard output; standard error goes to `error_log`.
std::pair<ChildExit, std::string> run_to_completion(const std::filesystem::path& program,
                                                    std::vector<std::string> arguments,
                                                    const ChildProcess::Variables& variables,
                                                    const std::filesystem::path& error_log,
                                                    std::chrono::milliseconds timeout);

}  // namespace tachi_trace::testing

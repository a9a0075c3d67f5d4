#include "support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace tachi_trace::testing {

namespace {

using namespace std::chrono_literals;

/// The test's environment without its OTEL_* and TACHI_* variables, with `variables` set.
std::vector<std::string> merged_environment(const ChildProcess::Variables& variables) {
  std::vector<std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const std::string name = text.substr(0, text.find('='));
    bool replaced = name.starts_with("OTEL_") || name.starts_with("TACHI_");
    for (const auto& variable : variables)
      replaced = replaced || variable.first == name;
    if (!replaced) merged.push_back(text);
  }
  for (const auto& [name, value] : variables)
    merged.push_back(name + "=" + value);
  return merged;
}

std::vector<char*> pointers_to(std::vector<std::string>& texts) {
  std::vector<char*> pointers;
  for (auto& text : texts)
    pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

ChildExit exit_of(int status) {
  ChildExit result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace

ChildProcess::ChildProcess(const std::filesystem::path& program, std::vector<std::string> arguments,
                           const Variables& variables, const std::filesystem::path& error_log)
    : error_log_(error_log) {
  arguments.insert(arguments.begin(), program.string());
  auto environment = merged_environment(variables);
  auto argv = pointers_to(arguments);
  auto envp = pointers_to(environment);
  int pipe_ends[2];
  if (pipe2(pipe_ends, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, error_log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int spawned = posix_spawn(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(pipe_ends[1]);
  output_descriptor_ = pipe_ends[0];
  if (spawned != 0) {
    close(output_descriptor_);
    throw std::runtime_error("cannot start " + program.string() + ": errno " +
                             std::to_string(spawned));
  }
}

ChildProcess::~ChildProcess() {
  if (!exit_) {
    kill(-pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (output_descriptor_ >= 0) close(output_descriptor_);
}

bool ChildProcess::read_some(std::chrono::steady_clock::time_point deadline) {
  char buffer[8192];
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  pollfd ready{output_descriptor_, POLLIN, 0};
  if (poll(&ready, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) <= 0) return true;
  const ssize_t count = read(output_descriptor_, buffer, sizeof buffer);
  if (count < 0 && errno == EINTR) return true;
  if (count <= 0) return false;
  output_.append(buffer, static_cast<std::size_t>(count));
  return true;
}

std::optional<std::string> ChildProcess::wait_for_output(const std::string& text,
                                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto found = output_.find(text);
    if (found != std::string::npos) {
      const auto line_start = output_.rfind('\n', found);
      const auto begin = line_start == std::string::npos ? 0 : line_start + 1;
      const auto end = output_.find('\n', found);
      if (end != std::string::npos) return output_.substr(begin, end - begin);
    }
    if (std::chrono::steady_clock::now() >= deadline || !read_some(deadline)) break;
  }
  return std::nullopt;
}

std::string ChildProcess::output(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline && read_some(deadline)) {
  }
  return output_;
}

void ChildProcess::send_signal(int signal_number) const {
  if (!exit_) kill(pid_, signal_number);
}

std::optional<ChildExit> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_ = exit_of(status);
      kill(-pid_, SIGKILL);  // anything the child left in its group
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(10ms);
  }
  return exit_;
}

std::string ChildProcess::error_log() const {
  std::ifstream file(error_log_);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::pair<ChildExit, std::string> run_to_completion(const std::filesystem::path& program,
                                                    std::vector<std::string> arguments,
                                                    const ChildProcess::Variables& variables,
                                                    const std::filesystem::path& error_log,
                                                    std::chrono::milliseconds timeout) {
  ChildProcess child(program, std::move(arguments), variables, error_log);
  std::string output = child.output(timeout);  // until end of file, at most `timeout`
  auto ended = child.wait_for_exit(1s);
  if (!ended) return {ChildExit{}, output};
  return {*ended, output};
}

}  // namespace tachi_trace::testing

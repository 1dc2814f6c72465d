#pragma once

// The reliability suite's harness: `odmd serve` as a real child process that the suite
// kills with SIGKILL (at a random time, or at a named crash point through the test-only
// ODMD_TEST_CRASH_AT, libs/reconcile/src/crash_point.h), an HTTP client for its API, real
// git repositories, and the checks every restart must pass on the store (events gapless
// and without duplicates, no publish left half-synced).

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "odmd/store/config_store.h"
#include "odmd/testing/shell.h"

namespace odmd::reliability {

namespace fs = std::filesystem;

// Only reached when something is broken.
inline constexpr std::chrono::seconds kWaitLimit{60};

// `full`, or a tenth of it (at least `least`) when ODMD_RELIABILITY_QUICK is set (the
// sanitizer build, where every process is several times slower).
int Rounds(int full, int least);

using ::odmd::testing::Q;  // odmd/testing/shell.h
using ::odmd::testing::Sh;
std::string ReadFile(const fs::path& p);
void WriteFile(const fs::path& p, const std::string& content, bool executable = false);

// A bare repository with a work tree to commit from.
class Repo {
 public:
  Repo(const fs::path& root, const std::string& name);
  const fs::path& bare() const { return bare_; }
  // Commits `files` (and an empty change when there are none) on `branch` (created from
  // `from` when new) with `message`, and pushes it to the bare repo.
  void Commit(const std::string& branch, const std::string& message,
              const std::map<std::string, std::string>& files = {},
              const std::string& from = "main");
  void Tag(const std::string& tag, const std::string& branch);
  // The content of `path` at `ref` of the bare repo; nullopt when absent.
  std::optional<std::string> Show(const std::string& ref, const std::string& path) const;

 private:
  fs::path bare_, work_;
  int commits_ = 0;
};

// How a Server runs besides its state directory and repositories.
struct ServerOptions {
  bool once = false;              // `--once`
  std::string crash_at;           // "" or "<point>:<n>" (ODMD_TEST_CRASH_AT for this process only)
  std::string store;              // "": SQLite in the state directory
  std::vector<std::string> args;  // more arguments of `odmd serve`
  std::string log = "serve.log";  // stderr, in the state directory
};

// `odmd serve` (or `odmd serve --once`) on a SQLite store in `state`, or the store of
// ServerOptions.
class Server {
 public:
  // `crash_at`: "" or "<point>:<n>" (ODMD_TEST_CRASH_AT for this process only).
  Server(const fs::path& state, const std::vector<std::string>& repos, bool once,
         const std::string& crash_at = "");
  Server(const fs::path& state, const std::vector<std::string>& repos,
         const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Waits until the platform has started ("listening on" on stdout); false if it exited.
  bool WaitReady();
  // Reads what stdout has without waiting; true once "listening on" was printed.
  bool Listening();
  // The URL of its "listening on" line ("" before it).
  std::string listen_url() const;
  pid_t pid() const { return pid_; }
  // SIGKILL, then reaps it.
  void Kill();
  // Waits for the exit (at most kWaitLimit, then kills it); its exit code, -1 for a signal
  // (Killed() tells whether it was SIGKILL).
  int Wait();
  // True once it has ended (reaped).
  bool Ended();
  // True if it ended by SIGKILL.
  bool Killed() const { return killed_; }

  std::string url() const;
  std::string admin_token() const;
  std::string store_url() const {
    return store_.empty() ? "sqlite:" + (state_ / "state.db").string() : store_;
  }

 private:
  // Reads stdout until "listening on" or `wait` passes; true once it was printed.
  bool ReadUntilListening(std::chrono::milliseconds wait);

  fs::path state_;
  std::string store_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool killed_ = false;
  std::string out_;
};

// Sends a request to the server as admin; the status (0: no answer) and the body.
struct Reply {
  int status = 0;
  std::string body;
};
Reply Call(const Server& server, const std::string& method, const std::string& path,
           const std::string& body, std::chrono::milliseconds timeout = std::chrono::seconds(30));
// The same to the server at `url` with `token`.
Reply Call(const std::string& url, const std::string& token, const std::string& method,
           const std::string& path, const std::string& body,
           std::chrono::milliseconds timeout = std::chrono::seconds(30));

store::ConfigStorePtr OpenStore(const std::string& url);
// The live entries under `prefix` (a test failure and none when the store cannot list).
std::vector<store::Entry> List(store::ConfigStore& store, std::string_view prefix);

// What the event log holds, checked: seqs 1..N without a gap, no product version published
// twice, no reaction alert recorded twice. Incremental: each Advance reads only the events
// committed since the last one (events are never rewritten).
struct EventFacts {
  std::int64_t count = 0;
  std::map<std::string, int> kinds;
  std::map<std::string, int> contracts_published;  // by version
  std::set<std::string> created_clones, deleted_clones;
  std::vector<std::string> problems;

  // Reads the events after `count`. `stopped`: nothing writes the store, so the counter
  // must equal the last event's seq.
  void Advance(store::ConfigStore& store, bool stopped);

 private:
  std::set<std::string> published_, alerts_;
};
// A fresh EventFacts advanced once.
EventFacts CheckEvents(store::ConfigStore& store, bool stopped = true);

}  // namespace odmd::reliability

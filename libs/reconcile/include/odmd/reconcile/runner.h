#pragma once

// The Runner seam (ninja's CommandRunner): runs a deployment's build script as a process.
// Production: ProcessRunner (a real child process in its own process group). Test double:
// odmd::testing::RecordingRunner (records requests, returns scripted results).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/base/status.h"

namespace odmd::reconcile {

// A cancel token shared between whoever started a run and whoever may stop it (for
// example: a clone is deleted while its build runs). Thread-safe; once cancelled it stays
// cancelled.
class CancelFlag {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> cancelled_{false};
};

// Receives the run's log (stdout and stderr interleaved, in the order written) in chunks,
// on the thread that called Run.
using LogSink = std::function<void(std::string_view chunk)>;

// A host directory or file a sandboxed run sees at `path`. The host one must exist.
struct SandboxBind {
  std::string host;
  std::string path;
  bool writable = false;
};

// What a sandboxed run may see (docs/platform.md, "Threat model"). The process gets a fresh
// mount, pid, ipc, uts and cgroup namespace whose root holds only the system's tools
// (/usr, /etc, /bin, /lib*, /sbin, /opt: read-only), a fresh /proc and /dev, a private /tmp
// and `binds`; the network is shared (it must reach the API).
struct SandboxSpec {
  // In order (a later bind may lie inside an earlier one).
  std::vector<SandboxBind> binds;
  // Covered by an empty read-only directory before the binds (for example the state
  // directory, in case it lies under a system directory that is bound read-only).
  std::vector<std::string> hidden;
  // When the runner runs as root: the unprivileged user and group the process runs as
  // (after the namespaces are set up; no capabilities, no new privileges). Unset, or when
  // the runner is not root: the runner's own user, mapped into a user namespace.
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
};

struct RunRequest {
  // Program and arguments. argv[0] is a path (absolute, or relative to `working_dir`) when
  // it contains a '/'; otherwise it is looked up in the child's PATH.
  std::vector<std::string> argv;
  // The child's working directory; empty means the caller's.
  std::string working_dir;
  // The child's whole environment: it gets ONLY these variables, plus
  // PATH=kDefaultPath when `env` has no PATH.
  std::map<std::string, std::string> env;
  // Wall time allowed before the process group is stopped (SIGTERM, a grace period, then
  // SIGKILL). Zero means no limit.
  std::chrono::milliseconds time_limit{0};
  // Where the log goes: to `log_sink`, to the file `log_path` (created or truncated), or
  // both. Neither set: the log is read and dropped.
  LogSink log_sink;
  std::string log_path;
  // Text written to the child's stdin, which is then closed. Unset: stdin is empty.
  std::optional<std::string> stdin_text;
  // Not owned; when set it must outlive Run. Cancelling it stops the process group as a
  // time limit does (RunResult::cancelled).
  const CancelFlag* cancel = nullptr;
  // Called once in the calling thread right after the child is forked, before Run waits,
  // with the child's process group id (its pid), so the caller can record the group and
  // kill it after a crash. Not called when the process could not be forked.
  std::function<void(int pgid)> on_started;
  // Set: the process runs confined (see SandboxSpec), unless the runner was made with
  // SandboxMode::kNone. Unset: it runs as the runner's user with the runner's view.
  std::optional<SandboxSpec> sandbox;

  static constexpr const char* kDefaultPath =
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
};

// How a process that did start ended.
struct RunResult {
  // The exit code when the process exited, else -1.
  int exit_code = -1;
  // The signal that terminated the process, else 0.
  int term_signal = 0;
  // The time limit passed and the process group was stopped.
  bool timed_out = false;
  // The cancel flag was raised and the process group was stopped.
  bool cancelled = false;
  // From start to reaping, as read from the Clock seam's SteadyNow().
  std::chrono::nanoseconds duration{0};
  // Bytes of log (stdout plus stderr).
  std::uint64_t log_bytes = 0;

  // Exited with code 0, neither timed out nor cancelled.
  bool succeeded() const { return exit_code == 0 && !timed_out && !cancelled; }
};

// Runs processes. Implementations are thread-safe: several Runs may proceed at once.
class Runner {
 public:
  virtual ~Runner() = default;

  // Runs `request` to completion (or until its time limit or cancel flag stops it).
  // A process that started returns a RunResult whatever its exit. Errors mean it could not
  // start: kNotFound (program or working directory missing), kPermissionDenied (not
  // executable, directory not enterable), kInvalidArgument (empty argv), kAborted (the cancel
  // flag was already raised), kInternal (the system refused pipes or fork, or the log file
  // could not be written); messages name the program and the working directory.
  virtual Result<RunResult> Run(const RunRequest& request) = 0;
};

// How a ProcessRunner runs requests that carry a SandboxSpec.
enum class SandboxMode {
  // Under bubblewrap (bwrap): the production default.
  kBwrap,
  // Unconfined, as the runner's user (`odmd serve --sandbox=none`, development only).
  kNone,
};

struct ProcessRunnerOptions {
  // On the time limit or cancel: SIGTERM, then this long before SIGKILL.
  std::chrono::milliseconds grace{std::chrono::seconds(5)};
  SandboxMode sandbox = SandboxMode::kBwrap;
  // bubblewrap's binary, and util-linux's setpriv (drops to SandboxSpec::uid when root).
  std::string bwrap = "/usr/bin/bwrap";
  std::string setpriv = "/usr/bin/setpriv";
};

// kFailedPrecondition naming bubblewrap when `options` sandbox with bwrap and bwrap (or,
// as root, setpriv) is missing or cannot confine a process here (it runs `true` sandboxed);
// OK otherwise, and always for SandboxMode::kNone.
Status CheckSandbox(const ProcessRunnerOptions& options);

// The production Runner: fork/exec, the child in its own process group, log through one
// pipe shared by stdout and stderr. On the time limit or cancel: SIGTERM to the group,
// `grace`, then SIGKILL. When the child exits, whatever is left of its group is killed, so
// no background process outlives a run. The child is always reaped.
// A request with a SandboxSpec runs under bwrap (see ProcessRunnerOptions); its process
// group is the outer bwrap's, so killing the group (also after a crash, by the recorded id)
// ends the sandbox and everything in it. If bwrap is missing such a run fails with
// kFailedPrecondition naming bubblewrap.
// `clock` must outlive the runner; it times runs and deadlines.
std::unique_ptr<Runner> NewProcessRunner(const Clock& clock, ProcessRunnerOptions options);
std::unique_ptr<Runner> NewProcessRunner(const Clock& clock,
                                         std::chrono::milliseconds grace = std::chrono::seconds(5));

}  // namespace odmd::reconcile

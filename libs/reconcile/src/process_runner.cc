// ProcessRunner: the production Runner (fork/exec, one process group per run).
//
// The child is forked from a possibly multithreaded process, so between fork and exec it
// calls only async-signal-safe functions on data prepared before the fork. Every pipe is
// created close-on-exec, so a child forked by a concurrent run never keeps another run's
// pipe open past its exec. An exec or chdir failure travels back through a close-on-exec
// error pipe: zero bytes read means the exec succeeded.

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "odmd/reconcile/runner.h"
#include "sandbox.h"

namespace odmd::reconcile {
namespace {

using Steady = std::chrono::steady_clock;

// How often the wait loop looks at the clock, the cancel flag and the child.
constexpr std::chrono::milliseconds kSlice(10);

// Closes a file descriptor on scope exit.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// What the child reports through the error pipe when it cannot run the program.
struct ChildError {
  int stage;  // kStageChdir or kStageExec
  int err;
};
constexpr int kStageChdir = 1;
constexpr int kStageExec = 2;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Where(const RunRequest& r) {
  return "could not start " + Quote(r.argv[0]) + " in " +
         Quote(r.working_dir.empty() ? "." : r.working_dir);
}

Status ErrnoStatus(int err, std::string message) {
  message += ": ";
  message += std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return NotFoundError(std::move(message));
  if (err == EACCES || err == EPERM) return PermissionDeniedError(std::move(message));
  return InternalError(std::move(message));
}

// The program's path: argv[0] itself when it names a path, else the first PATH entry that
// holds a file of that name (executable ones first, so a non-executable earlier match is
// reported only when nothing else is found).
Result<std::string> ResolveProgram(const RunRequest& r, const std::string& path_var) {
  const std::string& prog = r.argv[0];
  if (prog.find('/') != std::string::npos) return prog;
  std::string first_non_executable;
  size_t begin = 0;
  while (begin <= path_var.size()) {
    size_t end = path_var.find(':', begin);
    if (end == std::string::npos) end = path_var.size();
    std::string dir = path_var.substr(begin, end - begin);
    begin = end + 1;
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + prog;
    struct stat st;
    if (::stat(candidate.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (first_non_executable.empty()) first_non_executable = candidate;
  }
  if (!first_non_executable.empty()) {
    return PermissionDeniedError(Where(r) + ": " + Quote(first_non_executable) +
                                 " is not executable");
  }
  return NotFoundError(Where(r) + ": program not found in PATH " + Quote(path_var));
}

// Writes to a pipe without letting a closed reader raise SIGPIPE in this process: SIGPIPE
// is blocked in this thread for the write, and a SIGPIPE it raised is consumed.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = ::write(fd, data, size);
  int saved = errno;
  if (n < 0 && saved == EPIPE && !sigismember(&old, SIGPIPE)) {
    struct timespec zero = {0, 0};
    ::sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// In the child, between fork and exec: async-signal-safe calls only; never returns.
// `new_session`: a session of its own (no controlling terminal to inject input into), whose
// id is also its process group's.
[[noreturn]] void ExecChild(int in_fd, int out_fd, int err_fd, const char* cwd, const char* path,
                            char* const* argv, char* const* envp, bool new_session) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  if (new_session) {
    setsid();
  } else {
    setpgid(0, 0);
  }
  dup2(in_fd, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  // No descriptor of this process (a store file, a socket opened without close-on-exec)
  // passes to the program: everything above stderr closes at exec.
  if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 65536; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  ChildError e{0, 0};
  if (cwd != nullptr && chdir(cwd) != 0) {
    e = {kStageChdir, errno};
  } else {
    execve(path, argv, envp);
    e = {kStageExec, errno};
  }
  ssize_t ignored = write(err_fd, &e, sizeof e);
  (void)ignored;
  _exit(127);
}

// A sandboxed run's program must exist and be executable at its path (bwrap runs it by
// that path inside the sandbox), and its working directory must be a directory.
Status CheckSandboxedStart(const RunRequest& r, const std::string& program) {
  if (::access(program.c_str(), X_OK) != 0) {
    return ErrnoStatus(errno, Where(r) + ": cannot execute " + Quote(program));
  }
  struct stat st;
  if (!r.working_dir.empty() && (::stat(r.working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
    return NotFoundError(Where(r) + ": cannot enter working directory " + Quote(r.working_dir));
  }
  return OkStatus();
}

class ProcessRunner final : public Runner {
 public:
  ProcessRunner(const Clock& clock, ProcessRunnerOptions options)
      : clock_(clock), options_(std::move(options)), grace_(options_.grace) {}

  Result<RunResult> Run(const RunRequest& request) override;

 private:
  const Clock& clock_;
  const ProcessRunnerOptions options_;
  const std::chrono::milliseconds grace_;
};

Result<RunResult> ProcessRunner::Run(const RunRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) {
    return InvalidArgumentError("could not start a process: empty program name (argv)");
  }
  if (request.cancel != nullptr && request.cancel->cancelled()) {
    return AbortedError(Where(request) + ": cancelled before it started");
  }

  // Everything the child needs, prepared before fork.
  std::vector<std::string> env_strings;
  bool has_path = false;
  std::string path_var = RunRequest::kDefaultPath;
  for (const auto& [name, value] : request.env) {
    env_strings.push_back(name + "=" + value);
    if (name == "PATH") {
      has_path = true;
      path_var = value;
    }
  }
  if (!has_path) env_strings.push_back(std::string("PATH=") + RunRequest::kDefaultPath);
  ODMD_ASSIGN_OR_RETURN(std::string program, ResolveProgram(request, path_var));
  const bool sandboxed = request.sandbox.has_value() && options_.sandbox == SandboxMode::kBwrap;
  std::vector<std::string> args = request.argv;
  const char* cwd = request.working_dir.empty() ? nullptr : request.working_dir.c_str();
  if (sandboxed) {
    const bool as_root = sandbox::DropsToUid(*request.sandbox);
    ODMD_RETURN_IF_ERROR(sandbox::CheckTools(options_, as_root, Where(request)));
    ODMD_RETURN_IF_ERROR(CheckSandboxedStart(request, program));
    args = sandbox::BwrapArgv(options_, *request.sandbox, request.working_dir, program,
                              request.argv, as_root);
    program = options_.bwrap;
    cwd = nullptr;  // bwrap --chdir, inside the sandbox
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  Fd log_file;
  if (!request.log_path.empty()) {
    log_file.Reset(
        ::open(request.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (log_file.get() < 0) {
      return ErrnoStatus(errno,
                         Where(request) + ": cannot open log file " + Quote(request.log_path));
    }
  }

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return ErrnoStatus(errno, Where(request) + ": pipe");
  Fd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return ErrnoStatus(errno, Where(request) + ": pipe");
  Fd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return ErrnoStatus(errno, Where(request) + ": pipe");
  Fd err_r(err[0]), err_w(err[1]);

  const Steady::time_point start = clock_.SteadyNow();
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, Where(request) + ": fork");
  if (pid == 0) {
    ExecChild(in_r.get(), out_w.get(), err_w.get(), cwd, program.c_str(), argv.data(), envp.data(),
              sandboxed);
  }
  ::setpgid(pid, pid);  // Also done by the child; whichever runs first wins the race.
  if (request.on_started) request.on_started(static_cast<int>(pid));
  in_r.Close();
  out_w.Close();
  err_w.Close();

  ChildError child_error{0, 0};
  ssize_t got;
  do {
    got = ::read(err_r.get(), &child_error, sizeof child_error);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof child_error)) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (child_error.stage == kStageChdir) {
      return ErrnoStatus(child_error.err,
                         Where(request) + ": cannot enter working directory " + Quote(cwd));
    }
    return ErrnoStatus(child_error.err, Where(request) + ": cannot execute " + Quote(program));
  }
  err_r.Close();

  std::string_view pending_in;
  if (request.stdin_text.has_value()) {
    pending_in = *request.stdin_text;
    ::fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  }
  if (pending_in.empty()) in_w.Close();

  RunResult result;
  enum class Stop { kNone, kTermSent, kKillSent } stop = Stop::kNone;
  Steady::time_point term_sent;
  const bool limited = request.time_limit.count() > 0;
  const Steady::time_point deadline = start + request.time_limit;
  bool exited = false;
  Steady::time_point exit_time;
  int wstatus = 0;
  int log_errno = 0;
  std::vector<char> buf(64 * 1024);

  while (out_r.get() >= 0 || !exited) {
    const Steady::time_point now = clock_.SteadyNow();
    if (!exited) {
      if (stop == Stop::kNone) {
        if (limited && now >= deadline) result.timed_out = true;
        if (request.cancel != nullptr && request.cancel->cancelled()) result.cancelled = true;
        if (result.timed_out || result.cancelled) {
          // Sandboxed: the leader is the outer bwrap, whose death kills the sandbox at
          // once; the script gets its grace period while bwrap waits for it.
          if (sandboxed) {
            sandbox::SignalGroupExcept(pid, pid, SIGTERM);
          } else {
            ::kill(-pid, SIGTERM);
          }
          stop = Stop::kTermSent;
          term_sent = now;
        }
      } else if (stop == Stop::kTermSent && now >= term_sent + grace_) {
        ::kill(-pid, SIGKILL);
        stop = Stop::kKillSent;
      }
    } else if (now >= exit_time + grace_) {
      // A process that left the group still holds the log pipe: stop reading.
      break;
    }

    pollfd fds[2];
    nfds_t nfds = 0;
    int out_index = -1, in_index = -1;
    if (out_r.get() >= 0) {
      out_index = static_cast<int>(nfds);
      fds[nfds++] = {out_r.get(), POLLIN, 0};
    }
    if (in_w.get() >= 0) {
      in_index = static_cast<int>(nfds);
      fds[nfds++] = {in_w.get(), POLLOUT, 0};
    }
    int ready = ::poll(fds, nfds, static_cast<int>(kSlice.count()));
    if (ready > 0) {
      if (in_index >= 0 && fds[in_index].revents != 0) {
        ssize_t n = WriteNoSigpipe(in_w.get(), pending_in.data(), pending_in.size());
        if (n > 0) pending_in.remove_prefix(static_cast<size_t>(n));
        if (pending_in.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) in_w.Close();
      }
      if (out_index >= 0 && fds[out_index].revents != 0) {
        ssize_t n = ::read(out_r.get(), buf.data(), buf.size());
        if (n > 0) {
          std::string_view chunk(buf.data(), static_cast<size_t>(n));
          result.log_bytes += static_cast<std::uint64_t>(n);
          if (request.log_sink) request.log_sink(chunk);
          if (log_file.get() >= 0 && log_errno == 0 && !WriteAll(log_file.get(), chunk)) {
            log_errno = errno == 0 ? EIO : errno;
          }
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          out_r.Close();
        }
      }
    }

    if (!exited) {
      siginfo_t info;
      info.si_pid = 0;
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid) {
        // The exited leader (not yet reaped) keeps the group id alive: kill what is left of
        // its group, then reap it.
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
        }
        exited = true;
        exit_time = clock_.SteadyNow();
        result.duration = exit_time - start;
        in_w.Close();
      }
    }
  }

  if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
  if (log_errno != 0) {
    return ErrnoStatus(log_errno, "run of " + Quote(request.argv[0]) + ": cannot write log file " +
                                      Quote(request.log_path));
  }
  return result;
}

}  // namespace

std::unique_ptr<Runner> NewProcessRunner(const Clock& clock, ProcessRunnerOptions options) {
  return std::make_unique<ProcessRunner>(clock, std::move(options));
}

std::unique_ptr<Runner> NewProcessRunner(const Clock& clock, std::chrono::milliseconds grace) {
  ProcessRunnerOptions options;
  options.grace = grace;
  return NewProcessRunner(clock, std::move(options));
}

Status CheckSandbox(const ProcessRunnerOptions& options) {
  if (options.sandbox == SandboxMode::kNone) return OkStatus();
  const SystemClock clock;
  std::unique_ptr<Runner> runner = NewProcessRunner(clock, options);
  RunRequest probe;
  probe.argv = {"true"};
  probe.time_limit = std::chrono::seconds(30);
  SandboxSpec spec;
  spec.uid = spec.gid = 65534;  // nobody: the probe needs no files of its own
  probe.sandbox = spec;
  std::string log;
  probe.log_sink = [&log](std::string_view chunk) { log += chunk; };
  ODMD_ASSIGN_OR_RETURN(RunResult r, runner->Run(probe));
  if (!r.succeeded()) {
    while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.pop_back();
    return FailedPreconditionError("bubblewrap (" + options.bwrap +
                                   ") cannot sandbox a build script here (exit " +
                                   std::to_string(r.exit_code) + "): " + log);
  }
  return OkStatus();
}

}  // namespace odmd::reconcile

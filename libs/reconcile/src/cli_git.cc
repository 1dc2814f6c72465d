// CliGit: the production Git seam. Runs the `git` binary (argv, no shell) with an explicit
// environment: no user or system configuration, no prompts, C locale.

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "git_plumbing.h"
#include "odmd/reconcile/git.h"

extern char** environ;

namespace odmd::reconcile {

bool IsFullSha(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

namespace {

namespace fs = std::filesystem;

struct ProcessOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "git --git-dir=... log ..." for error messages.
std::string CommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& a : argv) {
    if (!line.empty()) line += ' ';
    line += a;
  }
  return line;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

class FdCloser {
 public:
  explicit FdCloser(int* fds, int n) : fds_(fds), n_(n) {}
  ~FdCloser() {
    for (int i = 0; i < n_; ++i) {
      if (fds_[i] >= 0) ::close(fds_[i]);
    }
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int* fds_;
  int n_;
};

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// write() that reports EPIPE instead of raising SIGPIPE (the child may exit before reading
// all of its stdin): SIGPIPE is blocked in this thread and a pending one is consumed.
ssize_t WriteNoSigpipe(int fd, std::string_view data) {
  sigset_t pipe_set;
  sigset_t old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  const ssize_t w = ::write(fd, data.data(), data.size());
  const int saved_errno = errno;
  if (w < 0 && saved_errno == EPIPE && !sigismember(&old_set, SIGPIPE)) {
    const timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  errno = saved_errno;
  return w;
}

// Runs argv[0] (looked up in PATH) with `env`, feeding `input` on stdin and collecting
// stdout and stderr. Only a failure to start or wait is an error; the exit code is returned.
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env, std::string_view input) {
  // fds: stdin r/w, stdout r/w, stderr r/w.
  int fds[6] = {-1, -1, -1, -1, -1, -1};
  FdCloser closer(fds, 6);
  for (int i = 0; i < 3; ++i) {
    if (::pipe2(&fds[2 * i], O_CLOEXEC) != 0) {
      return InternalError("cannot create a pipe for " + Quote(CommandLine(argv)) + ": " +
                           std::strerror(errno));
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
  posix_spawn_file_actions_adddup2(&actions, fds[3], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[5], 2);

  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (const std::string& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);

  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawnp(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return UnavailableError("cannot run " + Quote(CommandLine(argv)) + ": " +
                            std::strerror(spawn_error));
  }
  CloseFd(fds[0]);
  CloseFd(fds[3]);
  CloseFd(fds[5]);
  int& in_fd = fds[1];
  int& out_fd = fds[2];
  int& err_fd = fds[4];
  if (input.empty()) CloseFd(in_fd);

  ProcessOutput result;
  size_t written = 0;
  char buffer[65536];
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
    pollfd pfds[3];
    int n = 0;
    if (in_fd >= 0) pfds[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) pfds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) pfds[n++] = {err_fd, POLLIN, 0};
    if (::poll(pfds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (pfds[i].revents == 0) continue;
      if (pfds[i].fd == in_fd) {
        const ssize_t w = WriteNoSigpipe(in_fd, input.substr(written));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          CloseFd(in_fd);  // the child closed its stdin (EPIPE): stop feeding it
          continue;
        }
        written += static_cast<size_t>(w);
        if (written == input.size()) CloseFd(in_fd);
      } else {
        int& fd = pfds[i].fd == out_fd ? out_fd : err_fd;
        std::string& sink = pfds[i].fd == out_fd ? result.out : result.err;
        const ssize_t r = ::read(fd, buffer, sizeof(buffer));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
          CloseFd(fd);
          continue;
        }
        sink.append(buffer, static_cast<size_t>(r));
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return InternalError("cannot wait for " + Quote(CommandLine(argv)) + ": " +
                           std::strerror(errno));
    }
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// A temporary file path (not created) for a private git index.
std::string TempIndexPath() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return (fs::temp_directory_path() / ("odmd-git-index-" + std::to_string(rng()))).string();
}

class CliGit final : public Git {
 public:
  explicit CliGit(CliGitOptions options) : options_(std::move(options)) {
    // An explicit environment: only PATH is inherited (to find git's helpers).
    if (const char* path = std::getenv("PATH")) base_env_.push_back(std::string("PATH=") + path);
    base_env_.push_back("HOME=/nonexistent");
    base_env_.push_back("LC_ALL=C");
    base_env_.push_back("GIT_CONFIG_NOSYSTEM=1");
    base_env_.push_back("GIT_CONFIG_GLOBAL=/dev/null");
    base_env_.push_back("GIT_TERMINAL_PROMPT=0");
    base_env_.push_back("GIT_OPTIONAL_LOCKS=0");
    base_env_.push_back("GIT_COMMITTER_NAME=" + options_.committer.name);
    base_env_.push_back("GIT_COMMITTER_EMAIL=" + options_.committer.email);
  }

  Result<std::vector<GitRef>> ListRefs(std::string_view repo) override {
    ODMD_ASSIGN_OR_RETURN(const std::string git_dir, GitDirOf(repo));
    ODMD_ASSIGN_OR_RETURN(
        const std::string out,
        Run(repo, git_dir,
            {"for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)", "refs/heads",
             "refs/tags"}));
    std::vector<GitRef> refs;
    size_t pos = 0;
    while (pos < out.size()) {
      size_t end = out.find('\n', pos);
      if (end == std::string::npos) end = out.size();
      const std::string line = out.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty()) continue;
      const size_t a = line.find('\0');
      const size_t b = line.find('\0', a + 1);
      if (a == std::string::npos || b == std::string::npos) {
        return InternalError("git repository " + Quote(repo) + ": unexpected for-each-ref output " +
                             Quote(line));
      }
      GitRef ref{line.substr(0, a), line.substr(a + 1, b - a - 1)};
      const std::string peeled = line.substr(b + 1);
      if (!peeled.empty()) ref.sha = peeled;
      refs.push_back(std::move(ref));
    }
    std::sort(refs.begin(), refs.end(),
              [](const GitRef& x, const GitRef& y) { return x.name < y.name; });
    return refs;
  }

  Result<std::vector<GitCommit>> CommitsBetween(std::string_view repo, std::string_view old_sha,
                                                std::string_view new_sha) override {
    ODMD_ASSIGN_OR_RETURN(const std::string git_dir, GitDirOf(repo));
    if (!old_sha.empty()) ODMD_RETURN_IF_ERROR(CheckCommit(repo, git_dir, old_sha));
    ODMD_RETURN_IF_ERROR(CheckCommit(repo, git_dir, new_sha));
    std::vector<std::string> args = {"log", "--topo-order", "-z",
                                     "--format=%H%x00%an%x00%ae%x00%at%x00%B",
                                     std::string(new_sha)};
    if (!old_sha.empty()) args.push_back("^" + std::string(old_sha));
    args.push_back("--");
    ODMD_ASSIGN_OR_RETURN(const std::string out, Run(repo, git_dir, args));
    std::vector<std::string> fields;
    size_t pos = 0;
    while (pos < out.size()) {
      size_t end = out.find('\0', pos);
      if (end == std::string::npos) end = out.size();
      fields.push_back(out.substr(pos, end - pos));
      pos = end + 1;
    }
    if (fields.size() % 5 != 0) {
      return InternalError("git repository " + Quote(repo) + ": unexpected log output");
    }
    std::vector<GitCommit> commits;
    for (size_t i = 0; i < fields.size(); i += 5) {
      GitCommit c;
      c.sha = fields[i];
      c.author = {fields[i + 1], fields[i + 2]};
      c.time = std::strtoll(fields[i + 3].c_str(), nullptr, 10);
      c.message = fields[i + 4];
      commits.push_back(std::move(c));
    }
    return commits;
  }

  Status CheckoutWorktree(std::string_view repo, std::string_view sha,
                          const std::string& dir) override {
    ODMD_ASSIGN_OR_RETURN(const std::string git_dir, GitDirOf(repo));
    ODMD_RETURN_IF_ERROR(CheckCommit(repo, git_dir, sha));
    std::error_code ec;
    const fs::path target = fs::absolute(dir, ec);
    if (ec) return InvalidArgumentError("worktree directory " + Quote(dir) + ": " + ec.message());
    if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec))) {
      return FailedPreconditionError("worktree directory " + Quote(dir) +
                                     " exists and is not an empty directory");
    }
    fs::create_directories(target, ec);
    if (ec) {
      return InternalError("cannot create worktree directory " + Quote(dir) + ": " + ec.message());
    }
    const std::string index = TempIndexPath();
    const std::vector<std::string> env = {"GIT_INDEX_FILE=" + index};
    Status status = Run(repo, git_dir, {"read-tree", std::string(sha) + "^{tree}"}, env).status();
    if (status.ok()) {
      status = Run(repo, git_dir,
                   {"--work-tree=" + target.string(), "checkout-index", "--all", "--force"}, env)
                   .status();
    }
    fs::remove(index, ec);
    return status;
  }

  Status Fetch(std::string_view repo, const FetchRequest& request) override {
    const std::string dir(repo);
    if (!std::filesystem::exists(dir)) {
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      Status init = Run(repo, dir, {"init", "--bare", "-q"}).status();
      if (!init.ok()) return init;
    }
    // The header goes through git's environment configuration, not argv (ps shows argv).
    std::vector<std::string> env;
    if (!request.header.empty()) {
      env = {"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader",
             "GIT_CONFIG_VALUE_0=" + request.header};
    }
    Status fetched = Run(repo, dir,
                         {"fetch", "--quiet", "--prune", "--no-auto-gc", "--", request.url,
                          "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
                         env)
                         .status();
    if (!fetched.ok()) {
      return UnavailableError("could not fetch " + request.url + " into " + dir + ": " +
                              fetched.message());
    }
    return OkStatus();
  }

  Status RemoveWorktree(std::string_view repo, const std::string& dir) override {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
      return InternalError("cannot remove worktree " + Quote(dir) + " of git repository " +
                           Quote(repo) + ": " + ec.message());
    }
    return OkStatus();
  }

  Result<std::optional<std::string>> ReadFile(std::string_view repo, std::string_view sha,
                                              std::string_view path) override {
    ODMD_ASSIGN_OR_RETURN(const std::string git_dir, GitDirOf(repo));
    ODMD_RETURN_IF_ERROR(CheckTreePath(repo, path));
    ODMD_RETURN_IF_ERROR(CheckSha(sha));
    // One process: the type of `sha`, then the object at the path with its content.
    const std::string commit(sha);
    ODMD_ASSIGN_OR_RETURN(
        std::vector<CatFileObject> objects,
        CatFile(repo, git_dir, "--batch-command",
                "info " + commit + "\ncontents " + commit + ":" + std::string(path) + "\n",
                {false, true}));
    if (objects[0].missing || objects[0].type != "commit") return CommitNotFound(repo, sha);
    if (objects[1].missing || objects[1].type != "blob") return std::optional<std::string>();
    return std::optional<std::string>(std::move(objects[1].content));
  }

  Result<std::vector<std::string>> MissingFiles(std::string_view repo, std::string_view sha,
                                                const std::vector<std::string>& paths) override {
    ODMD_ASSIGN_OR_RETURN(const std::string git_dir, GitDirOf(repo));
    for (const std::string& path : paths) ODMD_RETURN_IF_ERROR(CheckTreePath(repo, path));
    ODMD_RETURN_IF_ERROR(CheckSha(sha));
    // One process: the type of `sha`, then of the object at each path ("<sha>:<path>" names
    // it literally; a path is a file when its object is a blob).
    std::string input = std::string(sha) + "\n";
    for (const std::string& path : paths) input += std::string(sha) + ":" + path + "\n";
    ODMD_ASSIGN_OR_RETURN(
        std::vector<CatFileObject> objects,
        CatFile(repo, git_dir, "--batch-check", input, std::vector<bool>(paths.size() + 1)));
    if (objects[0].missing || objects[0].type != "commit") return CommitNotFound(repo, sha);
    std::vector<std::string> missing;
    for (size_t i = 0; i < paths.size(); ++i) {
      if (objects[i + 1].missing || objects[i + 1].type != "blob") missing.push_back(paths[i]);
    }
    return missing;
  }

  Result<CommitFileResult> CommitFile(std::string_view repo,
                                      const CommitFileRequest& request) override {
    ODMD_ASSIGN_OR_RETURN(const std::string git_dir, GitDirOf(repo));
    ODMD_RETURN_IF_ERROR(CheckTreePath(repo, request.path));
    if (!request.expected_head.empty() && !IsFullSha(request.expected_head)) {
      return InvalidArgumentError("expected head " + Quote(request.expected_head) +
                                  " is not a full sha");
    }
    if (request.branch.empty() || request.branch[0] == '-') {
      return InvalidArgumentError("invalid branch name " + Quote(request.branch));
    }
    const std::string ref = "refs/heads/" + request.branch;
    if (!IsValidRefName(ref)) {
      return InvalidArgumentError("invalid branch name " + Quote(request.branch));
    }
    ODMD_ASSIGN_OR_RETURN(const HeadAndTree found, BranchHeadAndTree(git_dir, ref));
    const std::string& head = found.head;
    if (head.empty()) {
      return NotFoundError("branch " + Quote(request.branch) + " not found in git repository " +
                           Quote(repo));
    }
    if (!request.expected_head.empty() && head != request.expected_head) {
      return AbortedError("branch " + Quote(request.branch) + " of git repository " + Quote(repo) +
                          " moved: it is at " + head + ", expected " + request.expected_head);
    }
    ODMD_ASSIGN_OR_RETURN(
        const std::string blob_out,
        Run(repo, git_dir, {"hash-object", "-w", "--stdin"}, {}, request.content));
    const std::string blob = Trim(blob_out);
    const std::string index = TempIndexPath();
    const std::vector<std::string> env = {"GIT_INDEX_FILE=" + index};
    Result<std::string> tree = [&]() -> Result<std::string> {
      ODMD_RETURN_IF_ERROR(Run(repo, git_dir, {"read-tree", head + "^{tree}"}, env));
      ODMD_RETURN_IF_ERROR(Run(
          repo, git_dir,
          {"update-index", "--add", "--cacheinfo", "100644," + blob + "," + request.path}, env));
      ODMD_ASSIGN_OR_RETURN(const std::string out, Run(repo, git_dir, {"write-tree"}, env));
      return Trim(out);
    }();
    std::error_code ec;
    fs::remove(index, ec);
    if (!tree.ok()) return tree.status();
    if (found.tree == *tree) return CommitFileResult{true, head};

    const std::vector<std::string> author_env = {"GIT_AUTHOR_NAME=" + request.author.name,
                                                 "GIT_AUTHOR_EMAIL=" + request.author.email};
    ODMD_ASSIGN_OR_RETURN(const std::string commit_out,
                          Run(repo, git_dir, {"commit-tree", *tree, "-p", head, "-F", "-"},
                              author_env, request.message));
    const std::string commit = Trim(commit_out);
    Status updated = Run(repo, git_dir, {"update-ref", ref, commit, head}).status();
    if (!updated.ok()) {
      ODMD_ASSIGN_OR_RETURN(const std::string now, BranchHead(git_dir, ref));
      if (now != head) {
        return AbortedError("branch " + Quote(request.branch) + " of git repository " +
                            Quote(repo) + " moved during the commit: it is at " + now +
                            ", expected " + head);
      }
      return updated;
    }
    return CommitFileResult{false, commit};
  }

 private:
  Status CheckCommit(std::string_view repo, const std::string& git_dir, std::string_view sha) {
    if (!IsFullSha(sha)) return InvalidArgumentError(Quote(sha) + " is not a full commit sha");
    Result<std::string> out = Run(repo, git_dir, {"cat-file", "-t", std::string(sha)});
    if (!out.ok() || Trim(*out) != "commit") {
      return NotFoundError("commit " + std::string(sha) + " not found in git repository " +
                           Quote(repo));
    }
    return OkStatus();
  }

  // `sha` as a commit name: a full sha, else kInvalidArgument.
  static Status CheckSha(std::string_view sha) {
    if (!IsFullSha(sha)) return InvalidArgumentError(Quote(sha) + " is not a full commit sha");
    return OkStatus();
  }

  static Status CommitNotFound(std::string_view repo, std::string_view sha) {
    return NotFoundError("commit " + std::string(sha) + " not found in git repository " +
                         Quote(repo));
  }

  // One `git cat-file <mode>` run over `input` (a command per line), parsed.
  Result<std::vector<CatFileObject>> CatFile(std::string_view repo, const std::string& git_dir,
                                             const std::string& mode, const std::string& input,
                                             const std::vector<bool>& with_content) {
    ODMD_ASSIGN_OR_RETURN(const std::string out, Run(repo, git_dir, {"cat-file", mode}, {}, input));
    Result<std::vector<CatFileObject>> objects = ParseCatFile(out, with_content);
    if (!objects.ok()) {
      return InternalError("git repository " + Quote(repo) + ": " + objects.status().message());
    }
    return objects;
  }

  // The commit `ref` points at and its tree, in one process; both "" if it does not exist.
  struct HeadAndTree {
    std::string head;
    std::string tree;
  };
  Result<HeadAndTree> BranchHeadAndTree(const std::string& git_dir, const std::string& ref) {
    std::vector<std::string> argv = {options_.git_binary, "--git-dir=" + git_dir, "rev-parse",
                                     ref + "^{commit}",   ref + "^{tree}",        "--"};
    ODMD_ASSIGN_OR_RETURN(ProcessOutput p, RunProcess(argv, base_env_, ""));
    if (p.exit_code != 0) return HeadAndTree{};
    const size_t eol = p.out.find('\n');
    if (eol == std::string::npos) return HeadAndTree{};
    HeadAndTree out{p.out.substr(0, eol),
                    Trim(p.out.substr(eol + 1, p.out.find('\n', eol + 1) - eol - 1))};
    if (!IsFullSha(out.head) || !IsFullSha(out.tree)) return HeadAndTree{};
    return out;
  }

  // The commit `ref` points at, or "" if it does not exist.
  Result<std::string> BranchHead(const std::string& git_dir, const std::string& ref) {
    std::vector<std::string> argv = {options_.git_binary, "--git-dir=" + git_dir,
                                     "rev-parse",         "--verify",
                                     "--quiet",           ref + "^{commit}"};
    ODMD_ASSIGN_OR_RETURN(ProcessOutput p, RunProcess(argv, base_env_, ""));
    if (p.exit_code != 0) return std::string();
    return Trim(p.out);
  }

  // Runs `git --git-dir=<git_dir> <args>`; a non-zero exit is an error naming the repo, the
  // command and git's stderr.
  Result<std::string> Run(std::string_view repo, const std::string& git_dir,
                          const std::vector<std::string>& args,
                          const std::vector<std::string>& extra_env = {},
                          std::string_view input = {}) {
    std::vector<std::string> argv = {options_.git_binary, "--git-dir=" + git_dir};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = base_env_;
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    ODMD_ASSIGN_OR_RETURN(ProcessOutput p, RunProcess(argv, env, input));
    if (p.exit_code != 0) {
      return InternalError("git repository " + Quote(repo) + ": " + Quote(CommandLine(argv)) +
                           " failed with exit code " + std::to_string(p.exit_code) + ": " +
                           Trim(p.err));
    }
    return std::move(p.out);
  }

  CliGitOptions options_;
  std::vector<std::string> base_env_;
};

}  // namespace

std::unique_ptr<Git> NewCliGit(const CliGitOptions& options) {
  return std::make_unique<CliGit>(options);
}

}  // namespace odmd::reconcile

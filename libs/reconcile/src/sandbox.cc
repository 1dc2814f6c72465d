// The bubblewrap command line of a sandboxed run, and the checks around it.

#include "sandbox.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "odmd/base/strings.h"

namespace odmd::reconcile::sandbox {
namespace {

namespace fs = std::filesystem;

// The system's tools: bound read-only (or, when the host has a symlink there, as on
// merged-/usr systems, the same symlink).
constexpr const char* kSystemPaths[] = {"/usr", "/etc",   "/opt",   "/bin",   "/sbin",
                                        "/lib", "/lib32", "/lib64", "/libx32"};

class Args {
 public:
  void Add(std::initializer_list<std::string> args) {
    for (const std::string& a : args) argv_.push_back(a);
  }
  // `--dir` for every ancestor of `path` not created yet, so that each is an ordinary
  // 0755 directory of the sandbox's root (bwrap would make missing parents 0700).
  void Ancestors(const std::string& path) {
    fs::path sofar("/");
    const fs::path p = fs::path(path).lexically_normal();
    for (auto it = std::next(p.begin()); it != p.end() && std::next(it) != p.end(); ++it) {
      sofar /= *it;
      if (made_.insert(sofar.string()).second) Add({"--dir", sofar.string()});
    }
  }
  std::vector<std::string> Take() { return std::move(argv_); }

 private:
  std::vector<std::string> argv_;
  std::set<std::string> made_;
};

void AddSystemPaths(Args& a) {
  for (const char* path : kSystemPaths) {
    struct stat st;
    if (::lstat(path, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(path, ec);
      if (!ec) a.Add({"--symlink", target.string(), path});
    } else if (S_ISDIR(st.st_mode)) {
      a.Add({"--ro-bind", path, path});
    }
  }
}

Status Missing(const std::string& where, const std::string& what, const std::string& path,
               int err) {
  return FailedPreconditionError(
      where + ": build scripts run sandboxed by bubblewrap, but " + what + " " + Quote(path) +
      " cannot be run (" + std::strerror(err) +
      "): install the Debian package bubblewrap (scripts/install-deps.sh), or start odmd serve "
      "with --sandbox=none (development only: scripts then run unconfined)");
}

}  // namespace

bool DropsToUid(const SandboxSpec& spec) { return ::geteuid() == 0 && spec.uid.has_value(); }

std::vector<std::string> BwrapArgv(const ProcessRunnerOptions& options, const SandboxSpec& spec,
                                   const std::string& cwd, const std::string& program,
                                   const std::vector<std::string>& args, bool as_root) {
  Args a;
  a.Add({options.bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
         "--die-with-parent", "--hostname", "odmd-sandbox"});
  // Not root: bwrap needs a user namespace, and the script may not make another one.
  if (!as_root) a.Add({"--unshare-user", "--disable-userns"});
  AddSystemPaths(a);
  a.Add({"--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"});
  for (const std::string& h : spec.hidden) {
    a.Ancestors(h);
    a.Add({"--perms", "0755", "--tmpfs", h});
  }
  for (const SandboxBind& b : spec.binds) {
    a.Ancestors(b.path);
    a.Add({b.writable ? "--bind" : "--ro-bind", b.host, b.path});
  }
  for (const std::string& h : spec.hidden) a.Add({"--remount-ro", h});
  a.Add({"--remount-ro", "/"});
  if (!cwd.empty()) {
    std::string dir = cwd;  // as chdir(2) would leave it: no trailing '/'
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    a.Add({"--chdir", dir});
  }
  if (as_root) {
    const std::string uid = std::to_string(*spec.uid);
    const std::string gid = std::to_string(spec.gid.value_or(*spec.uid));
    // setpriv needs these to drop to the uid and empty the bounding set; after the switch
    // the process holds no capability and can gain none (no_new_privs).
    a.Add({"--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP", "--",
           options.setpriv, "--reuid", uid, "--regid", gid, "--clear-groups", "--no-new-privs",
           "--inh-caps=-all", "--bounding-set=-all"});
  }
  a.Add({"--", program});
  std::vector<std::string> argv = a.Take();
  // bwrap runs the program by path; args[0] is only its name.
  for (size_t i = 1; i < args.size(); ++i) argv.push_back(args[i]);
  return argv;
}

Status CheckTools(const ProcessRunnerOptions& options, bool as_root, const std::string& where) {
  if (::access(options.bwrap.c_str(), X_OK) != 0) {
    return Missing(where, "bwrap", options.bwrap, errno);
  }
  if (as_root && ::access(options.setpriv.c_str(), X_OK) != 0) {
    return Missing(where, "setpriv (util-linux)", options.setpriv, errno);
  }
  return OkStatus();
}

void SignalGroupExcept(int pgid, int except_pid, int sig) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const int pid = std::atoi(name.c_str());
    if (pid == except_pid) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (rest >> state >> ppid >> pgrp && pgrp == pgid) ::kill(pid, sig);
  }
}

}  // namespace odmd::reconcile::sandbox

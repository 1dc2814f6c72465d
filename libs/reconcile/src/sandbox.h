#pragma once

// The bubblewrap sandbox of ProcessRunner (docs/platform.md, "Threat model"): the command
// line that confines one run, and the checks that the tools exist.

#include <string>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/reconcile/runner.h"

namespace odmd::reconcile::sandbox {

// The argv (argv[0] = options.bwrap) that runs `program` with `args` (args[0] is the name
// the program sees) confined by `spec`, in `cwd` (empty: the sandbox's /). `as_root`: the
// caller is root and drops to spec.uid/gid inside the namespaces through setpriv (bwrap
// itself runs as root, so it can bind directories of a 0700 state directory); otherwise
// bwrap runs as the caller inside a new user namespace.
std::vector<std::string> BwrapArgv(const ProcessRunnerOptions& options, const SandboxSpec& spec,
                                   const std::string& cwd, const std::string& program,
                                   const std::vector<std::string>& args, bool as_root);

// True if a sandboxed run by this process drops to spec.uid (root with a uid set).
bool DropsToUid(const SandboxSpec& spec);

// kFailedPrecondition naming bubblewrap when options.bwrap (or, `as_root`, options.setpriv)
// is not an executable file; `where` starts the message.
Status CheckTools(const ProcessRunnerOptions& options, bool as_root, const std::string& where);

// Sends `sig` to every process of group `pgid` except `except_pid` (found through /proc).
void SignalGroupExcept(int pgid, int except_pid, int sig);

}  // namespace odmd::reconcile::sandbox

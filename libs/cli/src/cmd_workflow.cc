// `odmd workflow rotate NAME`: a new token for a generated workflow's group, put into the
// workflow's repository secret when its build runs on GitHub (docs/github-app.md).
#include <memory>
#include <string>

#include "api_client.h"
#include "command.h"
#include "common.h"

namespace odmd::cli {

using nlohmann::json;

namespace {

RunFn SetupWorkflowRotate(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string workflow;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("workflow", o->workflow,
                 "The workflow's name: its file name without .yaml, e.g. "
                 "ODMD_svc-CmdsGHus-east-1-workspace")
      ->required();
  AddClientFlags(sub, o->flags);
  sub.footer(
      "The previous token stays valid until the next rotation, so a run in flight can still\n"
      "publish. The token is never printed: it goes to the repository secret.");
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    Result<json> result = client->Post("/api/workflows/rotate", {{"workflow", o->workflow}});
    const int code = PrintResult(io, o->flags, result, [&io, o](const json& j) {
      if (j.value("accepted", false)) {
        // A follower replica checked it and recorded it; the leader rotates
        // (docs/platform.md, "Replicas").
        const json leader = j.value("leader", json());
        io.out << "accepted: the rotation of " << o->workflow << " recorded as "
               << Field(j, "inbox") << " for the leader"
               << (leader.is_object() ? " at " + Field(leader, "address") : std::string())
               << ", which rotates it and sets the repository secret " << Field(j, "secret")
               << "\n";
        return;
      }
      io.out << "rotated the token of " << o->workflow;
      if (j.value("secret_set", false)) {
        io.out << "; set the repository secret " << Field(j, "secret") << "\n";
      } else {
        io.out << "; the repository secret " << Field(j, "secret")
               << " was not set: " << Field(j, "reason") << "\n";
      }
    });
    return code;
  };
}

constexpr Subcommand kWorkflowCommands[] = {
    {"rotate", "Rotate a workflow group's token and its repository secret (admin)",
     SetupWorkflowRotate},
};

}  // namespace

RunFn SetupWorkflow(CLI::App& sub, Io& io) { return SetupGroup(sub, io, kWorkflowCommands); }

}  // namespace odmd::cli

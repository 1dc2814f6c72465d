// odmd notify (the git hook's call) and odmd repo add|ls: local repositories and their
// intake, through the platform's API.
#include <sys/stat.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>

#include "api_client.h"
#include "command.h"
#include "common.h"
#include "odmd/base/strings.h"

namespace odmd::cli {
namespace {

void PrintIntake(Io& io, const nlohmann::json& r) {
  if (r.value("accepted", false)) {
    // A follower replica recorded it; the leader scans (docs/platform.md, "Replicas").
    const nlohmann::json leader = r.value("leader", nlohmann::json());
    io.out << "accepted: recorded as " << Field(r, "inbox") << " for the leader"
           << (leader.is_object() ? " at " + Field(leader, "address") : std::string()) << "\n";
    return;
  }
  io.out << "refs changed " << Field(r, "refs_changed") << ", deployments queued "
         << Field(r, "deployments_queued") << ", commands accepted "
         << Field(r, "commands_accepted") << ", rejected " << Field(r, "commands_rejected") << "\n";
}

// A shell word: single-quoted, embedded quotes escaped.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Writes <repo>/hooks/post-receive (or <repo>/.git/hooks/ for a non-bare repo), executable,
// running `odmd notify` for `name`. Returns the hook's path.
Result<std::string> WriteHook(const std::string& repo_path, const std::string& name,
                              const std::string& server) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path repo = fs::absolute(repo_path, ec);
  fs::path hooks = fs::exists(repo / ".git", ec) ? repo / ".git" / "hooks" : repo / "hooks";
  fs::create_directories(hooks, ec);
  if (ec) return UnavailableError("cannot create " + Quote(hooks.string()));
  fs::path odmd = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return UnavailableError("cannot find the odmd binary (/proc/self/exe)");
  const fs::path hook = hooks / "post-receive";
  std::ofstream out(hook, std::ios::trunc);
  out << "#!/bin/sh\n"
      << "# Written by odmd repo add --hook: tells the platform this repository's refs moved.\n"
      << "exec " << ShellQuote(odmd.string()) << " notify --server " << ShellQuote(server)
      << " --repo " << ShellQuote(name) << "\n";
  out.close();
  if (!out) return UnavailableError("cannot write " + Quote(hook.string()));
  fs::permissions(hook,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  fs::perm_options::replace, ec);
  if (ec) return UnavailableError("cannot make " + Quote(hook.string()) + " executable");
  return hook.string();
}

RunFn SetupRepoAdd(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string name, path;
    bool hook = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("name", o->name, "owner/name, as the contracts name the build's repo")->required();
  sub.add_option("path", o->path, "The local git repository (bare or not)")->required();
  sub.add_flag("--hook", o->hook,
               "Also write PATH/hooks/post-receive calling odmd notify for this repo");
  AddClientFlags(sub, o->flags);
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    std::error_code ec;
    const std::string path = std::filesystem::absolute(o->path, ec).lexically_normal().string();
    Result<nlohmann::json> added = client->Post("/api/repos", {{"name", o->name}, {"path", path}});
    if (!added.ok()) return ReportFailure(io, o->flags.json, added.status());
    std::string hook;
    if (o->hook) {
      Result<std::string> written = WriteHook(path, o->name, client->server());
      if (!written.ok()) return ReportFailure(io, o->flags.json, written.status());
      hook = *written;
    }
    if (o->flags.json) {
      nlohmann::json j = *added;
      if (!hook.empty()) j["hook"] = hook;
      PrintJson(io, j);
    } else {
      io.out << "registered " << o->name << " at " << path << "\n";
      if (!hook.empty()) io.out << "hook " << hook << "\n";
    }
    return kExitOk;
  };
}

RunFn SetupRepoList(CLI::App& sub, Io& io) {
  auto flags = std::make_shared<ClientFlags>();
  AddClientFlags(sub, *flags);
  return [flags, &io]() {
    auto client = OpenClientOrReport(io, *flags);
    if (!client) return kExitFailure;
    return PrintResult(io, *flags, client->Get("/api/repos"), [&io](const nlohmann::json& j) {
      std::vector<std::vector<std::string>> rows = {{"NAME", "PATH"}};
      for (const auto& r : j.value("repos", nlohmann::json::array())) {
        rows.push_back({Field(r, "name"), Field(r, "path")});
      }
      PrintTable(io, rows);
    });
  };
}

constexpr std::array<Subcommand, 2> kRepoCommands = {{
    {"add", "Register a local git repository with the platform (admin)", SetupRepoAdd},
    {"ls", "List the registered repositories", SetupRepoList},
}};

}  // namespace

RunFn SetupNotify(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string repo;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--repo", o->repo, "The registered repo whose refs moved (default: every one)");
  AddClientFlags(sub, o->flags);
  sub.footer("Admin. The platform compares the repo's refs with what it last handled.");
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    return PrintResult(io, o->flags, client->Post("/api/notify", {{"repo", o->repo}}),
                       [&io](const nlohmann::json& r) { PrintIntake(io, r); });
  };
}

RunFn SetupRepo(CLI::App& sub, Io& io) { return SetupGroup(sub, io, kRepoCommands); }

}  // namespace odmd::cli

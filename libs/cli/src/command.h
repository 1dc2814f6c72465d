#pragma once

// The CLI's command table (ninja's Tool table): one row per subcommand, each implemented in
// its own cmd_<name>.cc.

#include <CLI/CLI.hpp>
#include <functional>
#include <ostream>
#include <span>
#include <string_view>

#include "odmd/base/clock.h"

namespace odmd::cli {

// Where a command writes, and the time source it reads (token issue times). One per
// invocation.
struct Io {
  std::ostream& out;
  std::ostream& err;
  Clock& clock;
};

// Runs a parsed command; returns the exit code.
using RunFn = std::function<int()>;

struct Command {
  std::string_view name;
  std::string_view help;
  // Whether the command opens a config store (--store, --token: store_access.h).
  bool needs_store;
  // Declares the command's options and arguments on `sub` and returns the function that
  // runs it once parsing succeeded. The options live in state captured by the function.
  RunFn (*setup)(CLI::App& sub, Io& io);
};

std::span<const Command> Commands();

// A row of a command group's own table (`odmd store put`, `odmd store get`, ...).
struct Subcommand {
  std::string_view name;
  std::string_view help;
  RunFn (*setup)(CLI::App& sub, Io& io);
};

// Declares every row of `table` as a subcommand of `sub` (one of them required) and returns
// the function that runs the one that was parsed.
RunFn SetupGroup(CLI::App& sub, Io& io, std::span<const Subcommand> table);

// One per cmd_<name>.cc.
RunFn SetupValidate(CLI::App& sub, Io& io);
RunFn SetupFmt(CLI::App& sub, Io& io);
RunFn SetupGraph(CLI::App& sub, Io& io);
RunFn SetupShow(CLI::App& sub, Io& io);
RunFn SetupPlan(CLI::App& sub, Io& io);
RunFn SetupImpact(CLI::App& sub, Io& io);
RunFn SetupDiff(CLI::App& sub, Io& io);
RunFn SetupClonePreview(CLI::App& sub, Io& io);
RunFn SetupParseCommit(CLI::App& sub, Io& io);
RunFn SetupStore(CLI::App& sub, Io& io);
RunFn SetupSecret(CLI::App& sub, Io& io);
RunFn SetupToken(CLI::App& sub, Io& io);
RunFn SetupContracts(CLI::App& sub, Io& io);
RunFn SetupGen(CLI::App& sub, Io& io);
// The platform (odmd serve) and its API's clients.
RunFn SetupServe(CLI::App& sub, Io& io);
RunFn SetupNotify(CLI::App& sub, Io& io);
RunFn SetupStatus(CLI::App& sub, Io& io);
RunFn SetupRepo(CLI::App& sub, Io& io);
RunFn SetupEnvers(CLI::App& sub, Io& io);
RunFn SetupEnver(CLI::App& sub, Io& io);
RunFn SetupDeployments(CLI::App& sub, Io& io);
RunFn SetupLogs(CLI::App& sub, Io& io);
RunFn SetupRedeploy(CLI::App& sub, Io& io);
RunFn SetupTeardown(CLI::App& sub, Io& io);
RunFn SetupWorkflow(CLI::App& sub, Io& io);
RunFn SetupEvents(CLI::App& sub, Io& io);
RunFn SetupProduct(CLI::App& sub, Io& io);
// AWS accounts of the contracts (odmd aws bootstrap).
RunFn SetupAws(CLI::App& sub, Io& io);

// Exit codes (STYLE.md §7.3).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

}  // namespace odmd::cli

#pragma once

// The CLI's command table (ninja's Tool table): one row per subcommand, each implemented in
// its own cmd_<name>.cc.

#include <CLI/CLI.hpp>
#include <functional>
#include <ostream>
#include <span>
#include <string_view>

namespace odmd::cli {

// Where a command writes. One per invocation.
struct Io {
  std::ostream& out;
  std::ostream& err;
};

// Runs a parsed command; returns the exit code.
using RunFn = std::function<int()>;

struct Command {
  std::string_view name;
  std::string_view help;
  // Whether the command needs a config store (none does yet; `serve` and `store` will).
  bool needs_store;
  // Declares the command's options and arguments on `sub` and returns the function that
  // runs it once parsing succeeded. The options live in state captured by the function.
  RunFn (*setup)(CLI::App& sub, Io& io);
};

std::span<const Command> Commands();

// One per cmd_<name>.cc.
RunFn SetupValidate(CLI::App& sub, Io& io);
RunFn SetupGraph(CLI::App& sub, Io& io);
RunFn SetupShow(CLI::App& sub, Io& io);
RunFn SetupPlan(CLI::App& sub, Io& io);
RunFn SetupImpact(CLI::App& sub, Io& io);
RunFn SetupDiff(CLI::App& sub, Io& io);
RunFn SetupClonePreview(CLI::App& sub, Io& io);
RunFn SetupParseCommit(CLI::App& sub, Io& io);
RunFn SetupGen(CLI::App& sub, Io& io);

// Exit codes (STYLE.md §7.3).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

}  // namespace odmd::cli

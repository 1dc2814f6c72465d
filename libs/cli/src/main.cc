#include "odmd/cli/main.h"

#include <CLI/CLI.hpp>

#include "command.h"

namespace odmd::cli {

int Main(int argc, char** argv, std::ostream& out, std::ostream& err, Clock& clock) {
  Io io{out, err, clock};
  CLI::App app("odmd: on-demand environments from architecture-as-code contracts", "odmd");
  app.require_subcommand(1);
  app.set_version_flag("--version", "odmd 0.1.0");
  std::vector<std::pair<CLI::App*, RunFn>> runs;
  for (const Command& c : Commands()) {
    CLI::App* sub = app.add_subcommand(std::string(c.name), std::string(c.help));
    runs.emplace_back(sub, c.setup(*sub, io));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) return run();
  }
  return kExitUsage;
}

}  // namespace odmd::cli

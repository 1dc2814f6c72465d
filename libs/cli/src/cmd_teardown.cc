// `odmd teardown list|retry|forget`: teardowns whose destroy script or stack deletion failed
// (docs/platform.md, Teardown).
#include <memory>
#include <string>
#include <vector>

#include "api_client.h"
#include "command.h"
#include "common.h"

namespace odmd::cli {

using nlohmann::json;

namespace {

RunFn SetupTeardownList(CLI::App& sub, Io& io) {
  auto flags = std::make_shared<ClientFlags>();
  AddClientFlags(sub, *flags);
  return [flags, &io]() {
    auto client = OpenClientOrReport(io, *flags);
    if (!client) return kExitFailure;
    return PrintResult(io, *flags, client->Get("/api/teardowns"), [&io](const json& j) {
      std::vector<std::vector<std::string>> rows = {
          {"ENVER", "SHA", "CONTRACTS", "ATTEMPTS", "FAILED", "REASON"}};
      const json empty = json::array();
      for (const json& t : j.is_object() ? j.value("teardowns", empty) : empty) {
        rows.push_back({Field(t, "enver"), ShortSha(t.value("sha", "")),
                        Field(t, "contracts_version"), Field(t, "attempts"),
                        FormatTimeMs(t.value("failed_at_ms", std::int64_t{0})),
                        Field(t, "reason")});
      }
      PrintTable(io, rows);
    });
  };
}

// retry (true) or forget (false) of one enver's failed teardown.
RunFn SetupTeardownAction(CLI::App& sub, Io& io, bool retry) {
  struct Opts {
    ClientFlags flags;
    std::string enver;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("enver", o->enver, "<build>/<rev> of the torn-down enver or clone")->required();
  AddClientFlags(sub, o->flags);
  return [o, &io, retry]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    const std::string path = retry ? "/api/teardowns/retry" : "/api/teardowns/forget";
    Result<json> result = client->Post(path, {{"enver", o->enver}});
    const bool accepted = result.ok() && result->value("accepted", false);
    const int code = PrintResult(io, o->flags, result, [&io, o, retry](const json& j) {
      if (j.value("accepted", false)) {
        // A follower replica checked it and recorded it; the leader does it
        // (docs/platform.md, "Replicas").
        const json leader = j.value("leader", json());
        io.out << "accepted: " << (retry ? "the retry" : "forgetting the failed teardown") << " of "
               << o->enver << " recorded as " << Field(j, "inbox") << " for the leader"
               << (leader.is_object() ? " at " + Field(leader, "address") : std::string())
               << "; odmd teardown list shows the outcome\n";
      } else if (!retry) {
        io.out << "forgot the failed teardown of " << o->enver << "\n";
      } else if (j.value("succeeded", false)) {
        io.out << "tore " << o->enver << " down (attempt " << Field(j, "attempts") << ")\n";
      } else {
        io.out << "teardown of " << o->enver << " failed again (attempt " << Field(j, "attempts")
               << "): " << Field(j, "reason") << "\n";
      }
    });
    if (code == kExitOk && retry && !accepted && !result->value("succeeded", false)) {
      return kExitFailure;
    }
    return code;
  };
}

RunFn SetupTeardownRetry(CLI::App& sub, Io& io) { return SetupTeardownAction(sub, io, true); }
RunFn SetupTeardownForget(CLI::App& sub, Io& io) { return SetupTeardownAction(sub, io, false); }

constexpr Subcommand kTeardownCommands[] = {
    {"list", "List teardowns that failed and wait for a retry", SetupTeardownList},
    {"retry", "Run an enver's failed teardown again (admin)", SetupTeardownRetry},
    {"forget", "Drop an enver's failed teardown once what it left is removed by hand (admin)",
     SetupTeardownForget},
};

}  // namespace

RunFn SetupTeardown(CLI::App& sub, Io& io) { return SetupGroup(sub, io, kTeardownCommands); }

}  // namespace odmd::cli

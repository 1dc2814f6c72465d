// odmd deployments, odmd logs <deployment> and odmd redeploy <enver>.
#include <memory>

#include "api_client.h"
#include "command.h"
#include "common.h"

namespace odmd::cli {

using nlohmann::json;

RunFn SetupDeployments(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string enver;
    int limit = 20;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--enver", o->enver, "Only this enver's deployments");
  sub.add_option("--limit", o->limit, "At most this many, newest first")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  AddClientFlags(sub, o->flags);
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    std::string path = "/api/deployments?limit=" + std::to_string(o->limit);
    if (!o->enver.empty()) path += "&enver=" + UrlEncode(o->enver);
    return PrintResult(io, o->flags, client->Get(path), [&io](const json& j) {
      std::vector<std::vector<std::string>> rows = {
          {"DEPLOYMENT", "ENVER", "STATE", "SHA", "QUEUED", "CAUSE", "REASON"}};
      const json empty = json::array();
      for (const json& d : j.is_object() ? j.value("deployments", empty) : empty) {
        std::string cause = "-";
        if (d.contains("cause") && d["cause"].is_object()) {
          cause = Field(d["cause"], "kind") + ": " + Field(d["cause"], "detail");
        }
        rows.push_back(
            {Field(d, "id"), Field(d, "enver"), Field(d, "state"), ShortSha(d.value("sha", "")),
             FormatTimeMs(d.value("queued_at_ms", std::int64_t{0})), cause, Field(d, "reason")});
      }
      PrintTable(io, rows);
    });
  };
}

RunFn SetupLogs(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string id;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("deployment", o->id, "Deployment id, e.g. d0000000042")->required();
  AddClientFlags(sub, o->flags);
  sub.footer("Prints the build script's log (its last 1 MiB). --json: {\"deployment\", \"log\"}.");
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    Result<std::string> log = client->GetText("/api/deployments/" + UrlEncode(o->id) + "/log");
    if (!log.ok()) return ReportFailure(io, o->flags.json, log.status());
    if (o->flags.json) {
      PrintJson(io, {{"deployment", o->id}, {"log", *log}});
    } else {
      io.out << *log;
    }
    return kExitOk;
  };
}

RunFn SetupRedeploy(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string enver;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("enver", o->enver, "<build>/<rev>")->required();
  AddClientFlags(sub, o->flags);
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    return PrintResult(io, o->flags, client->Post("/api/redeploy", {{"enver", o->enver}}),
                       [&io, o](const json& j) {
                         io.out << "queued deployment " << Field(j, "deployment") << " of "
                                << o->enver;
                         if (Field(j, "superseded") != "-")
                           io.out << " (superseded " << Field(j, "superseded") << ")";
                         io.out << "\n";
                       });
  };
}

}  // namespace odmd::cli

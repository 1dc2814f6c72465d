// odmd status: which replica of the platform leads, since when and at which epoch, and every
// replica's last heartbeat (docs/platform.md, "Replicas"), from the server's GET /api/health.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api_client.h"
#include "command.h"
#include "common.h"
#include "odmd/base/strings.h"

namespace odmd::cli {
namespace {

using nlohmann::json;

// "1.2 s" / "340 ms" of an age in ms.
std::string FormatAge(std::int64_t ms) {
  if (ms < 1000) return std::to_string(ms < 0 ? 0 : ms) + " ms";
  const std::int64_t tenths = ms / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

std::int64_t Int(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

void PrintLeader(Io& io, const json& health) {
  if (health.contains("lease_error")) {
    io.out << "leader     unknown: " << Field(health, "lease_error") << "\n";
    return;
  }
  const auto leader = health.find("leader");
  if (leader == health.end() || !leader->is_object()) {
    io.out << "leader     none: no replica holds the lease (a standby takes it within one "
              "renewal interval)\n";
    return;
  }
  io.out << "leader     replica " << Quote(Field(*leader, "replica")) << " at "
         << Field(*leader, "address") << ", epoch " << Field(*leader, "epoch") << ", since "
         << FormatTimeMs(Int(*leader, "since_ms"));
  if (leader->value("is_this_replica", false)) io.out << " (this server)";
  io.out << "\n";
}

void PrintReplicas(Io& io, const json& health) {
  const json none = json::array();
  const json& replicas = health.contains("replicas") ? health["replicas"] : none;
  if (!replicas.is_array() || replicas.empty()) return;
  const std::string leader = health.contains("leader") && health["leader"].is_object()
                                 ? Field(health["leader"], "replica")
                                 : "";
  std::vector<std::vector<std::string>> rows = {
      {"REPLICA", "ROLE", "ADDRESS", "STARTED", "LAST HEARTBEAT"}};
  for (const json& r : replicas) {
    const std::string id = Field(r, "id");
    rows.push_back({id, id == leader ? "leader" : "follower", Field(r, "address"),
                    FormatTimeMs(Int(r, "started_at_ms")),
                    FormatAge(Int(r, "heartbeat_age_ms")) + " ago"});
  }
  io.out << "\n";
  PrintTable(io, rows);
}

void PrintStatus(Io& io, const std::string& server, const json& health) {
  io.out << "server     " << server;
  if (health.contains("replica")) io.out << " (replica " << Quote(Field(health, "replica")) << ")";
  io.out << "\n";
  PrintLeader(io, health);
  PrintReplicas(io, health);
}

}  // namespace

RunFn SetupStatus(CLI::App& sub, Io& io) {
  auto flags = std::make_shared<ClientFlags>();
  AddClientFlags(sub, *flags);
  sub.footer(
      "Asks the server (GET /api/health) which replica leads, since when and at which\n"
      "epoch, and lists every replica with its last heartbeat (times by the database's\n"
      "clock). --json: the API's answer as it is.");
  return [flags, &io]() {
    auto client = OpenClientOrReport(io, *flags);
    if (!client) return kExitFailure;
    const std::string server = client->server();
    return PrintResult(io, *flags, client->Get("/api/health"),
                       [&io, &server](const json& health) { PrintStatus(io, server, health); });
  };
}

}  // namespace odmd::cli

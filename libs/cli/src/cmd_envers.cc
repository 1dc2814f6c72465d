// odmd envers and odmd enver <id>: the platform's envers, their state, names, consumed
// versions against the latest and recent deployments.
#include <memory>

#include "api_client.h"
#include "command.h"
#include "common.h"

namespace odmd::cli {
namespace {

using nlohmann::json;

const json& ArrayOr(const json& j, const char* key) {
  static const json kEmpty = json::array();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

void PrintEnvers(Io& io, const json& j) {
  std::vector<std::vector<std::string>> rows = {
      {"ENVER", "KIND", "STATUS", "SHA", "DEPLOYMENT", "ACCOUNT", "REGION"}};
  for (const json& e : ArrayOr(j, "envers")) {
    rows.push_back({Field(e, "id"), Field(e, "kind"), Field(e, "status"),
                    ShortSha(e.value("sha", "")), Field(e, "deployment"), Field(e, "account"),
                    Field(e, "region")});
  }
  PrintTable(io, rows);
}

void PrintEnver(Io& io, const json& e) {
  io.out << "enver " << Field(e, "id") << " (" << Field(e, "kind");
  if (e.contains("origin") && e["origin"].is_string()) io.out << " of " << Field(e, "origin");
  io.out << ", account " << Field(e, "account") << ", region " << Field(e, "region")
         << (e.value("immutable", false) ? ", immutable" : "") << ")\n";
  io.out << "status " << Field(e, "status") << ", sha " << ShortSha(e.value("sha", ""))
         << ", deployment " << Field(e, "deployment") << "\n";
  if (e.contains("names") && e["names"].is_object()) {
    io.out << "names:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, value] : e["names"].items()) {
      rows.push_back({"  " + key, value.is_string() ? value.get<std::string>() : value.dump()});
    }
    PrintTable(io, rows);
  }
  if (!ArrayOr(e, "products").empty()) {
    io.out << "products:\n";
    std::vector<std::vector<std::string>> rows = {{"  NAME", "VERSION", "PATH"}};
    for (const json& p : ArrayOr(e, "products")) {
      rows.push_back({"  " + Field(p, "name"), Field(p, "version"), Field(p, "path")});
    }
    PrintTable(io, rows);
  }
  if (!ArrayOr(e, "consumers").empty()) {
    io.out << "consumers:\n";
    std::vector<std::vector<std::string>> rows = {
        {"  NAME", "PRODUCER", "CONSUMED", "LATEST", "REACTION", ""}};
    for (const json& c : ArrayOr(e, "consumers")) {
      std::string note;
      if (c.value("placeholder", false)) note = "placeholder";
      if (c.value("outdated", false)) note += note.empty() ? "outdated" : ", outdated";
      rows.push_back({"  " + Field(c, "name"), Field(c, "producer"), Field(c, "consumed_version"),
                      Field(c, "latest_version"), Field(c, "reaction"), note});
    }
    PrintTable(io, rows);
  }
  if (!ArrayOr(e, "clones").empty()) {
    io.out << "clones:";
    for (const json& c : ArrayOr(e, "clones")) io.out << " " << c.get<std::string>();
    io.out << "\n";
  }
  if (!ArrayOr(e, "deployments").empty()) {
    io.out << "deployments:\n";
    std::vector<std::vector<std::string>> rows;
    for (const json& d : ArrayOr(e, "deployments")) {
      rows.push_back({"  " + Field(d, "id"), Field(d, "state"), ShortSha(d.value("sha", "")),
                      FormatTimeMs(d.value("queued_at_ms", std::int64_t{0})),
                      d.contains("cause") ? Field(d["cause"], "detail") : "-"});
    }
    PrintTable(io, rows);
  }
}

}  // namespace

RunFn SetupEnvers(CLI::App& sub, Io& io) {
  auto flags = std::make_shared<ClientFlags>();
  AddClientFlags(sub, *flags);
  return [flags, &io]() {
    auto client = OpenClientOrReport(io, *flags);
    if (!client) return kExitFailure;
    return PrintResult(io, *flags, client->Get("/api/envers"),
                       [&io](const json& j) { PrintEnvers(io, j); });
  };
}

RunFn SetupEnver(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string id;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("id", o->id, "<build>/<rev>, e.g. svc/b..main")->required();
  AddClientFlags(sub, o->flags);
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    return PrintResult(io, o->flags, client->Get("/api/envers/" + UrlEncode(o->id, true)),
                       [&io](const json& j) { PrintEnver(io, j); });
  };
}

}  // namespace odmd::cli

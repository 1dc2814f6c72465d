// odmd contracts publish|show: the manifest the platform (and the access rules) read from
// the store, at /odmd/contracts/manifest, plus one copy per published version at
// /odmd/contracts/versions/<version>.
#include <array>
#include <cstdlib>
#include <memory>
#include <optional>

#include "api_client.h"
#include "command.h"
#include "common.h"
#include "odmd/access/policy.h"
#include "odmd/base/strings.h"
#include "odmd/model/manifest.h"
#include "store_access.h"

namespace odmd::cli {
namespace {

constexpr std::string_view kVersionsPrefix = "/odmd/contracts/versions/";

std::string VersionKey(std::string_view version) {
  return std::string(kVersionsPrefix) + std::string(version);
}

// What is stored at a manifest key.
struct Stored {
  // The revision of the stored record; 0 when there is none.
  store::Revision revision = 0;
  // Its digest, if it is a valid manifest.
  std::optional<std::string> digest;
  // Why it is not a valid manifest (kFailedPrecondition naming the key), or OK.
  Status problem;
};

Result<Stored> ReadStored(store::ConfigStore& store, std::string_view key) {
  Result<store::Entry> entry = store.Get(key);
  if (IsNotFound(entry.status())) return Stored{};
  if (!entry.ok()) return entry.status();
  Stored stored;
  stored.revision = entry->revision;
  Result<model::Org> org = model::ReadManifest(entry->value, nullptr);
  if (org.ok()) {
    stored.digest = model::ManifestDigest(*org);
  } else {
    stored.problem = FailedPreconditionError("stored manifest " + Quote(key) +
                                             " is not valid: " + org.status().message());
  }
  return stored;
}

Status SameVersionConflict(const model::Org& org, std::string_view digest,
                           std::string_view stored_digest, std::string_view where) {
  return FailedPreconditionError(
      "manifest version " + Quote(org.version) + " is already published (" + std::string(where) +
      ") with digest " + std::string(stored_digest) + ", but this manifest has digest " +
      std::string(digest) + ": publish changed contracts under a new version");
}

struct PublishResult {
  bool changed = false;
  store::Revision revision = 0;
};

// Writes `org` as the current manifest and as its version's copy; see SetupContractsPublish.
Result<PublishResult> Publish(store::ConfigStore& store, const model::Org& org) {
  const std::string text = model::WriteManifest(org);
  const std::string digest = model::ManifestDigest(org);
  const std::string version_key = VersionKey(org.version);
  // A current manifest that is not valid is replaced: publishing is how it gets repaired.
  ODMD_ASSIGN_OR_RETURN(Stored current, ReadStored(store, access::kManifestKey));
  if (current.digest == digest) return PublishResult{false, current.revision};
  ODMD_ASSIGN_OR_RETURN(Stored same_version, ReadStored(store, version_key));
  ODMD_RETURN_IF_ERROR(same_version.problem);
  if (same_version.digest && *same_version.digest != digest) {
    return SameVersionConflict(org, digest, *same_version.digest, version_key);
  }
  if (same_version.revision == 0) {
    // Only if still absent: a concurrent publish of the same version loses here (kAborted).
    ODMD_RETURN_IF_ERROR(store.Put(version_key, text, store::Revision{0}));
  }
  // Compare-and-set against the manifest read above, so two publishes cannot interleave.
  ODMD_ASSIGN_OR_RETURN(store::WriteResult w,
                        store.Put(access::kManifestKey, text, current.revision));
  return PublishResult{true, w.revision};
}

// Publishes through a running odmd serve, which validates, stores and syncs: as admin
// (POST /api/contracts), or inside a deployment of the contracts enver (ODMD_enver_id set)
// with its token (PUT /api/ci/manifest/<enver>).
int PublishViaApi(Io& io, const StoreFlags& store_flags, const std::string& server,
                  const std::string& manifest) {
  Result<std::string> text = ReadInput(manifest);
  if (!text.ok()) return ReportFailure(io, store_flags.json, text.status());
  ClientFlags flags;
  flags.server = server;
  flags.token = store_flags.token;
  flags.json = store_flags.json;
  auto client = OpenClientOrReport(io, flags);
  if (!client) return kExitFailure;
  const char* enver = std::getenv("ODMD_enver_id");
  Result<nlohmann::json> report =
      enver != nullptr && *enver != '\0'
          ? client->Send("PUT", "/api/ci/manifest/" + UrlEncode(enver, true), *text,
                         "application/json")
          : client->Send("POST", "/api/contracts", *text, "application/json");
  return PrintResult(io, flags, report, [&io](const nlohmann::json& r) {
    if (r.value("accepted", false)) {
      // A follower replica checked it and recorded it; the leader publishes it
      // (docs/platform.md, "Replicas").
      const nlohmann::json leader = r.value("leader", nlohmann::json());
      io.out << "accepted: " << Field(r, "version") << " (" << Field(r, "digest")
             << ") recorded as " << Field(r, "inbox") << " for the leader"
             << (leader.is_object() ? " at " + Field(leader, "address") : std::string())
             << ", which publishes it\n";
    } else if (r.value("changed", false)) {
      io.out << "published " << Field(r, "version") << " (" << Field(r, "digest")
             << "): " << Field(r, "envers_added") << " envers added, " << Field(r, "envers_removed")
             << " removed, " << Field(r, "workflows_written") << " workflows written\n";
      const nlohmann::json kept = r.value("workflows_kept", nlohmann::json::array());
      for (const nlohmann::json& k : kept) {
        io.out << "kept (edited by its users; overwriteWorkflow is false): " << k.get<std::string>()
               << "\n";
      }
    } else {
      io.out << Field(r, "version") << " (" << Field(r, "digest")
             << ") is already the published manifest: nothing written\n";
    }
  });
}

RunFn SetupContractsPublish(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string manifest;
    std::string server;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  AddStoreFlags(sub, o->flags);
  sub.add_option("--server", o->server,
                 "Publish through odmd serve's API at this URL instead of writing the store")
      ->envname("ODMD_API");
  sub.footer(
      "Admin only. Validates the manifest fully, then writes it (canonical JSON) to\n"
      "/odmd/contracts/manifest and /odmd/contracts/versions/<version>. A version is\n"
      "immutable: other content under a published version is refused. Publishing the\n"
      "current manifest again changes nothing.\n"
      "With --server (or ODMD_API) the platform publishes it and syncs every enver; --token\n"
      "then is an API token (default: ODMD_TOKEN, else ./.odmd/admin.token).");
  return [o, &io]() {
    if (!o->server.empty()) return PublishViaApi(io, o->flags, o->server, o->manifest);
    const bool json = o->flags.json;
    auto org = LoadManifestOrReport(io, json, o->manifest);
    if (!org) return kExitFailure;
    auto session = OpenAdminSessionOrReport(io, o->flags, "contracts publish");
    if (!session) return kExitFailure;
    Result<PublishResult> published = Publish(session->view(), *org);
    if (!published.ok()) return ReportFailure(io, json, published.status());
    const std::string digest = model::ManifestDigest(*org);
    if (json) {
      PrintJson(io, {{"ok", true},
                     {"changed", published->changed},
                     {"org", org->name},
                     {"version", org->version},
                     {"digest", digest},
                     {"revision", published->revision}});
    } else if (published->changed) {
      io.out << "published " << org->name << " " << org->version << " (" << digest
             << ") at revision " << published->revision << "\n";
    } else {
      io.out << org->name << " " << org->version << " (" << digest
             << ") is already the published manifest: nothing written\n";
    }
    return kExitOk;
  };
}

RunFn SetupContractsShow(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string version;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--version", o->version, "A published version instead of the current one");
  AddStoreFlags(sub, o->flags);
  sub.footer(
      "Prints the manifest as stored; --json wraps it:\n"
      "{\"key\",\"revision\",\"version\",\"digest\",\"manifest\"}.");
  return [o, &io]() {
    const bool json = o->flags.json;
    auto session = OpenSessionOrReport(io, o->flags);
    if (!session) return kExitFailure;
    const std::string key =
        o->version.empty() ? std::string(access::kManifestKey) : VersionKey(o->version);
    Result<store::Entry> entry = session->view().Get(key);
    if (IsNotFound(entry.status())) {
      return ReportFailure(
          io, json,
          NotFoundError(o->version.empty()
                            ? "no manifest is published (odmd contracts publish MANIFEST)"
                            : "manifest version " + Quote(o->version) + " is not published"));
    }
    if (!entry.ok()) return ReportFailure(io, json, entry.status());
    if (!json) {
      io.out << entry->value << std::flush;
      return kExitOk;
    }
    nlohmann::json manifest = nlohmann::json::parse(entry->value, nullptr, false);
    if (manifest.is_discarded() || !manifest.is_object()) {
      return ReportFailure(
          io, json,
          FailedPreconditionError("stored manifest " + Quote(key) + " is not a JSON object"));
    }
    PrintJson(io, {{"key", key},
                   {"revision", entry->revision},
                   {"version", manifest.value("version", "")},
                   {"digest", manifest.value("digest", "")},
                   {"manifest", manifest}});
    return kExitOk;
  };
}

constexpr std::array<Subcommand, 2> kContractsCommands = {{
    {"publish", "Validate a manifest and publish it to the store (admin)", SetupContractsPublish},
    {"show", "Print the published manifest (or --version V)", SetupContractsShow},
}};

}  // namespace

RunFn SetupContracts(CLI::App& sub, Io& io) {
  sub.footer("--store and --token as for odmd store.");
  return SetupGroup(sub, io, kContractsCommands);
}

}  // namespace odmd::cli

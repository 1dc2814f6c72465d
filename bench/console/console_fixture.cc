// Fixture writer of the console's scale benchmark (bench/console/scale.mjs): a synthetic org
// (bench/synthetic_org.h; 1,000 builds = 5,000 envers and ~50,000 edges by default) written
// into a fresh SQLite store as the platform leaves it after a publish and some deployments,
// so that `odmd serve --state-dir DIR` serves it without bootstrapping anything:
//   - the manifest at /odmd/contracts/versions/<v> and /odmd/contracts/manifest (canonical
//     text, as Platform::PublishManifest writes it; ~11.5 MB at the default size),
//     contractsLibLatest = <v>;
//   - every product of every enver at version 1, and every 7th enver's products again at
//     version 2 (so their consumers that consumed version 1 are outdated);
//   - share..version of every enver with consumers (version 1; the cycle consumers "back" on
//     their placeholder), except every 13th enver's (never deployed: pending edges);
//   - /odmd/envers/<id> deployment states: succeeded, every 29th failed, none for the never
//     deployed ones;
//   - the reactions cursor past every product write (the platform reacted to them all).
// Some consumers are made notify or ignore so every edge style is present.
// Prints one line: "console fixture: <envers> envers, <edges> edges, <keys> keys, revision R".
//
//   odmd_console_fixture --state-dir=DIR [--builds=1000] [--consumers=10]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/access/policy.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"
#include "odmd/store/open_config_store.h"
#include "synthetic_org.h"

namespace odmd::bench {
namespace {

namespace fs = std::filesystem;

struct Flags {
  std::string state_dir;
  int builds = 1000;
  int consumers = 10;
};

constexpr std::size_t kBatch = 5000;

class Writer {
 public:
  explicit Writer(store::ConfigStore& store) : store_(store) {}

  Status Put(std::string key, std::string value) {
    ops_.push_back(store::BatchOp::Put(std::move(key), std::move(value)));
    ++keys_;
    return ops_.size() >= kBatch ? Flush() : OkStatus();
  }

  Status Flush() {
    if (ops_.empty()) return OkStatus();
    Status s = store_.WriteBatch(ops_).status();
    ops_.clear();
    return s;
  }

  std::size_t keys() const { return keys_; }

 private:
  store::ConfigStore& store_;
  std::vector<store::BatchOp> ops_;
  std::size_t keys_ = 0;
};

std::string FakeSha(std::size_t n) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040zx", n * 2654435761u + 1);
  return buf;
}

Status Write(const Flags& flags) {
  SyntheticOrgOptions options;
  options.builds = flags.builds;
  options.consumers_per_enver = flags.consumers;
  model::Org org = MakeSyntheticOrg(options);
  std::size_t n = 0;
  for (model::Build& b : org.builds) {
    for (model::Enver& e : b.envers) {
      for (model::Consumer& c : e.consumers) {
        ++n;
        if (n % 10 == 0) c.reaction = model::Reaction::kNotify;
        if (n % 25 == 0) c.reaction = model::Reaction::kIgnore;
      }
    }
  }

  std::error_code ec;
  fs::create_directories(flags.state_dir, ec);
  if (ec) return UnavailableError("cannot create " + flags.state_dir + ": " + ec.message());
  const std::string db = (fs::path(flags.state_dir) / "state.db").string();
  if (fs::exists(db, ec)) return FailedPreconditionError(db + " exists: give a fresh --state-dir");
  ODMD_ASSIGN_OR_RETURN(store::ConfigStorePtr store,
                        store::OpenConfigStore({.url = "sqlite:" + db, .durable = false}));
  Writer w(*store);

  const std::string manifest = model::WriteManifest(org);
  ODMD_RETURN_IF_ERROR(w.Put("/odmd/contracts/versions/" + org.version, manifest));
  ODMD_RETURN_IF_ERROR(w.Put(std::string(access::kManifestKey), manifest));
  ODMD_RETURN_IF_ERROR(w.Flush());

  std::size_t envers = 0, edges = 0, index = 0;
  std::vector<std::string> second_versions;
  for (const model::Build& b : org.builds) {
    for (const model::Enver& e : b.envers) {
      ++index;
      ++envers;
      const std::string id = model::EnverId(b.id, e.rev);
      for (const model::Product& p : e.products) {
        const std::string path = model::ProductPath(b.id, e.rev, p.name);
        const std::string value =
            p.name == "contractsLibLatest" ? org.version : "https://" + id + "/" + p.name;
        ODMD_RETURN_IF_ERROR(w.Put(path, value));
        if (index % 7 == 0) second_versions.push_back(path);
      }
      const bool never = index % 13 == 0 && b.kind != model::BuildKind::kContracts;
      if (!e.consumers.empty() && !never) {
        nlohmann::json consumed = nlohmann::json::object();
        for (const model::Consumer& c : e.consumers) {
          // The cycle consumers ran on their placeholder, the others on version 1.
          const bool placeholder = c.placeholder.has_value();
          consumed[c.name] = {
              {"version", placeholder ? 0 : 1},
              {"placeholder", placeholder},
              {"path", std::string(access::kSharePrefix) + c.producer + "/" + c.product}};
        }
        ODMD_RETURN_IF_ERROR(w.Put(model::ConsumedVersionsPath(b.id, e.rev), consumed.dump()));
      }
      edges += e.consumers.size();
      if (!never) {
        nlohmann::json state = {{"enver", id},
                                {"status", index % 29 == 0 ? "failed" : "succeeded"},
                                {"sha", FakeSha(index)},
                                {"deployment", ""},
                                {"root", ""},
                                {"updated_at_ms", 1767225600000 + static_cast<long long>(index)}};
        ODMD_RETURN_IF_ERROR(w.Put(reconcile::EnverStateKey(id), state.dump()));
      }
    }
  }
  ODMD_RETURN_IF_ERROR(w.Flush());
  for (const std::string& path : second_versions) {
    ODMD_RETURN_IF_ERROR(w.Put(path, "https://v2" + path));
  }
  ODMD_RETURN_IF_ERROR(w.Flush());
  // The platform has reacted to every product version: its reactions cursor is past them
  // (otherwise serve would queue thousands of reaction deployments on start).
  ODMD_ASSIGN_OR_RETURN(store::Revision written, store->LatestRevision());
  ODMD_RETURN_IF_ERROR(w.Put("/odmd/reactions/cursor", std::to_string(written)));
  ODMD_RETURN_IF_ERROR(w.Flush());
  ODMD_ASSIGN_OR_RETURN(store::Revision revision, store->LatestRevision());
  std::printf("console fixture: %zu envers, %zu edges, %zu keys, revision %lld (%s)\n", envers,
              edges, w.keys(), static_cast<long long>(revision), db.c_str());
  return OkStatus();
}

}  // namespace
}  // namespace odmd::bench

int main(int argc, char** argv) {
  odmd::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      const std::string prefix = std::string("--") + name + "=";
      return a.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("state-dir")) {
      flags.state_dir = v;
    } else if (const char* v2 = value("builds")) {
      flags.builds = std::atoi(v2);
    } else if (const char* v3 = value("consumers")) {
      flags.consumers = std::atoi(v3);
    } else {
      flags.state_dir.clear();
      break;
    }
  }
  if (flags.state_dir.empty() || flags.builds < 1 || flags.consumers < 0) {
    std::fprintf(stderr,
                 "usage: odmd_console_fixture --state-dir=DIR [--builds=N>=1] "
                 "[--consumers=N>=0]\n");
    return 2;
  }
  odmd::Status s = odmd::bench::Write(flags);
  if (!s.ok()) {
    std::fprintf(stderr, "odmd_console_fixture: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

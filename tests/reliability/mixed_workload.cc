#include "mixed_workload.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "odmd/access/policy.h"
#include "odmd/model/manifest.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"

namespace odmd::reliability {
namespace {

// The scripts' run records (mixed_workload.h). Under the bwrap sandbox /tmp is a private
// tmpfs, so the directory is not there and nothing is recorded.
std::string RunRecord(const fs::path& runs_log) {
  const std::string log = Q(runs_log.string());
  const std::string dir = Q(runs_log.parent_path().string());
  return "if [ -d " + dir + " ]; then\n" + "  exec 9>>" + dir +
         "/\"lock.$(printf %s \"$ODMD_enver_id\" | tr /. __)\"\n" +
         "  flock -n 9 || printf 'concurrent %s %s\\n' \"$ODMD_deployment_id\" " +
         "\"$ODMD_enver_id\" >> " + log + "\n" +
         "  printf 'start %s %s\\n' \"$ODMD_deployment_id\" \"$ODMD_enver_id\" >> " + log +
         "\nfi\n";
}

std::string SvcScript(const fs::path& runs_log) {
  return "#!/bin/sh\nset -eu\n" + RunRecord(runs_log) +
         "sleep 0.1 9>&-\nprintf 'https://svc/%s' \"$ODMD_deployment_id\" > "
         "\"$ODMD_PRODUCTS_DIR/url\"\n";
}

std::string QuietScript(const fs::path& runs_log) {
  return "#!/bin/sh\nset -eu\n" + RunRecord(runs_log) + "sleep 0.05 9>&-\n";
}

// The events whose record mentions `needle` (its enver, ref or message), one per line, to
// tell why a check failed.
std::string EventsNaming(store::ConfigStore& store, const std::string& needle) {
  std::string out;
  for (const store::Entry& e : List(store, reconcile::kEventsPrefix)) {
    if (e.value.find(needle) != std::string::npos) out += e.key + " " + e.value + "\n";
  }
  return out.empty() ? "(none)\n" : out;
}

int Count(const std::map<std::string, int>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

Reply Send(const Target& to, const std::string& method, const std::string& path,
           const std::string& body, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  return Call(to.url, to.token, method, path, body, timeout);
}

}  // namespace

model::Org MixedOrg(int minor) {
  model::Org org;
  org.name = "mixed";
  org.version = "1." + std::to_string(minor) + ".0";
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  auto build = [](const std::string& id, model::BuildKind kind) {
    model::Build b;
    b.id = id;
    b.kind = kind;
    b.repo = {"acme", id, 1};
    return b;
  };
  auto enver = [](const std::string& branch, const std::string& account) {
    model::Enver e;
    e.rev = model::RevRef::Branch(branch);
    e.account = account;
    e.region = "us-east-1";
    return e;
  };
  model::Build contracts = build("contracts", model::BuildKind::kContracts);
  contracts.envers = {enver("main", "central")};
  model::Build svc = build("svc", model::BuildKind::kCdk);
  svc.envers = {enver("main", "workspace")};
  svc.envers[0].products = {{"url"}, {"n"}};
  if (minor % 2 == 1) {
    svc.envers.push_back(enver("extra", "workspace"));
    svc.envers.back().products = {{"url"}};
  }
  model::Build app = build("app", model::BuildKind::kCdk);
  app.envers = {enver("main", "workspace")};
  app.envers[0].consumers = {
      {"svcUrl", "svc/b..main", "url", std::nullopt, model::Reaction::kRedeploy}};
  model::Build mon = build("mon", model::BuildKind::kCdk);
  mon.envers = {enver("main", "workspace")};
  mon.envers[0].consumers = {{"svcN", "svc/b..main", "n", std::nullopt, model::Reaction::kNotify}};
  org.builds = {contracts, svc, app, mon};
  model::Canonicalize(org);
  return org;
}

MixedWorkload::MixedWorkload(const fs::path& root) : rng_(std::random_device{}()), root_(root) {
  fs::create_directories(root_);
  for (const char* name : {"svc", "app", "mon"}) {
    repos_.emplace(name, std::make_unique<Repo>(root_, name));
    const bool svc = std::string(name) == "svc";
    repos_.at(name)->Commit(
        "main", "init",
        {{".scripts/build.sh", svc ? SvcScript(runs_log()) : QuietScript(runs_log())}});
    repo_args_.push_back(std::string("acme/") + name + "=" + repos_.at(name)->bare().string());
  }
  repos_.at("svc")->Commit("extra", "extra branch");
}

MixedWorkload::~MixedWorkload() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

void MixedWorkload::Note(const std::string& line) {
  std::lock_guard lock(runs_mu_);
  std::ofstream(runs_log(), std::ios::app) << line << "\n";
}

bool MixedWorkload::Publish(const Target& to) {
  const int minor = ++minor_;
  if (Send(to, "POST", "/api/contracts", model::WriteManifest(MixedOrg(minor))).status != 200) {
    return false;
  }
  std::lock_guard lock(acked_.mu);
  acked_.publishes.insert(MixedOrg(minor).version);
  return true;
}

std::string MixedWorkload::PickAction() {
  const int r = static_cast<int>(rng_() % 10);
  if (r < 3) return "push";
  if (r < 5) return "publish";
  if (r < 7 && live_branches_.size() < 5) return "create";
  if (!live_branches_.empty()) return "delete";
  return "create";
}

void MixedWorkload::Act(const Target& to, const std::string& action) {
  if (action == "push") {
    repos_.at("svc")->Commit("main", "change " + std::to_string(rng_()));
    Send(to, "POST", "/api/notify", R"({"repo":"acme/svc"})");
  } else if (action == "publish") {
    Publish(to);
  } else if (action == "create") {
    const std::string branch = "c" + std::to_string(++next_clone_);
    live_branches_.insert(branch);
    // The branch's name in the message: two clone branches made in the same second from the
    // same main would otherwise get the very same commit, and a new ref's commits exclude
    // those another ref has (one push creating two branches at one commit is issue 16's).
    repos_.at("svc")->Commit(branch, "try " + branch + "\n\nodmd: create@main");
    Send(to, "POST", "/api/notify", R"({"repo":"acme/svc"})");
  } else {
    auto it = live_branches_.begin();
    std::advance(it, rng_() % live_branches_.size());
    const std::string branch = *it;
    live_branches_.erase(it);
    deleted_branches_.insert(branch);
    repos_.at("svc")->Commit(branch, "done " + branch + "\n\nodmd: delete");
    Send(to, "POST", "/api/notify", R"({"repo":"acme/svc"})");
  }
}

void MixedWorkload::PutProduct(const Target& to, const std::string& value) {
  Reply r = Send(to, "PUT", "/api/ci/products/svc/b..main/n", value, std::chrono::seconds(10));
  if (r.status != 200) return;
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  std::lock_guard lock(acked_.mu);
  acked_.products.emplace_back("/odmd-share/svc/b..main/n", j.value("version", store::Version{0}),
                               value);
}

void MixedWorkload::StoreWrite(const std::string& store_url, const std::string& key,
                               const std::string& value) {
  // `odmd store put KEY VALUE --store URL`; acknowledged when it exited 0.
  if (std::system((std::string(ODMD_BINARY) + " store put " + Q(key) + " " + Q(value) +
                   " --store " + Q(store_url) + " >/dev/null 2>&1")
                      .c_str()) != 0) {
    return;
  }
  std::lock_guard lock(acked_.mu);
  acked_.store_writes.emplace_back(key, value);
}

void MixedWorkload::Check(store::ConfigStore& store, bool stopped) {
  std::lock_guard lock(acked_.mu);
  // Each acknowledged write is checked after the restart that follows it (and all of them
  // at the end).
  const size_t from_product = stopped ? 0 : checked_products_;
  const size_t from_write = stopped ? 0 : checked_writes_;
  checked_products_ = acked_.products.size();
  checked_writes_ = acked_.store_writes.size();
  int lost = 0;
  for (size_t i = from_product; i < acked_.products.size(); ++i) {
    const auto& [path, version, value] = acked_.products[i];
    Result<store::Entry> e = store.GetVersion(path, version);
    if (!e.ok() || e->value != value) {
      ++lost;
      ADD_FAILURE() << "acknowledged product put lost: " << path << " v" << version;
    }
  }
  for (size_t i = from_write; i < acked_.store_writes.size(); ++i) {
    const auto& [key, value] = acked_.store_writes[i];
    Result<store::Entry> e = store.Get(key);
    if (!e.ok() || e->value != value) {
      ++lost;
      ADD_FAILURE() << "acknowledged store write lost: " << key;
    }
  }
  EXPECT_EQ(lost, 0);
  events_.Advance(store, stopped);
  EventFacts& facts = events_;
  EXPECT_TRUE(facts.problems.empty()) << ::testing::PrintToString(facts.problems);
  // Publishes: none pending, each version recorded once, the acknowledged ones current or
  // superseded, every enver of the current one with its token.
  EXPECT_TRUE(IsNotFound(store.Get(reconcile::kContractsSyncKey).status()))
      << "a publish is still half-synced after the restart";
  for (const auto& [version, count] : facts.contracts_published) {
    EXPECT_EQ(count, 1) << "contracts.published for " << version;
  }
  for (const std::string& version : acked_.publishes) {
    EXPECT_EQ(Count(facts.contracts_published, version), 1) << "acknowledged publish " << version;
  }
  Result<store::Entry> manifest = store.Get(access::kManifestKey);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  Result<model::Org> org = model::ReadManifest(manifest->value, nullptr);
  ASSERT_TRUE(org.ok()) << org.status();
  EXPECT_EQ(Count(facts.contracts_published, org->version), 1)
      << "the current version " << org->version;
  for (const model::Build& b : org->builds) {
    for (const model::Enver& e : b.envers) {
      const std::string id = model::EnverId(b.id, e.rev);
      EXPECT_TRUE(store.Get(reconcile::EnverTokenKey(id)).ok()) << id << " has no token";
    }
  }
  // Clones: whole (record, token, one clone.created) or gone (no record, no token).
  std::map<std::string, std::string> clone_of_ref;  // git ref -> clone id
  for (const store::Entry& e : List(store, access::kClonesPrefix)) {
    clone_of_ref[nlohmann::json::parse(e.value).value("git_ref", "")] =
        e.key.substr(access::kClonesPrefix.size());
  }
  for (const std::string& branch : live_branches_) {
    auto it = clone_of_ref.find("refs/heads/" + branch);
    if (it == clone_of_ref.end()) {
      ADD_FAILURE() << "the clone of " << branch << " is missing; the events naming it:\n"
                    << EventsNaming(store, "b.." + branch) << "and its ref:\n"
                    << EventsNaming(store, "heads/" + branch + "\"")
                    << EventsNaming(store, "heads/" + branch + " ");
      continue;
    }
    EXPECT_TRUE(store.Get(reconcile::EnverTokenKey(it->second)).ok()) << it->second;
    EXPECT_TRUE(facts.created_clones.count(it->second)) << "no clone.created for " << it->second;
  }
  for (const std::string& branch : deleted_branches_) {
    const std::string id = "svc/b..main-_b.." + branch;
    EXPECT_FALSE(clone_of_ref.count("refs/heads/" + branch)) << branch << " still has a clone";
    EXPECT_FALSE(store.Get(reconcile::EnverTokenKey(id)).ok()) << id << " still has a token";
    EXPECT_TRUE(facts.deleted_clones.count(id)) << "no clone.deleted for " << id;
  }
}

}  // namespace odmd::reliability

// Tearing envers down (deleted clones, envers removed from the contracts), cancelling
// their work, and bootstrapping an empty store from the contracts repository.
#include <utility>

#include "../crash_point.h"
#include "github_runs.h"
#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "records.h"

namespace odmd::reconcile {

namespace {

std::string SharePrefixOf(const model::Build& build, const model::Enver& enver) {
  return std::string(access::kSharePrefix) + build.id + "/" + enver.rev.str() + "/";
}

}  // namespace

void Platform::Impl::CancelAndWait(const std::string& enver_id, const std::string& why) {
  Result<std::optional<std::string>> running = queue_.Cancel(enver_id, why);
  if (!running.ok() || !running->has_value()) return;
  const std::string id = **running;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  std::unique_lock<std::mutex> lock(run_mu_);
  while (options_.shared_queue && !running_.count(enver_id)) {
    // Another replica's worker runs it: this one cannot stop it, so it waits (as long as for
    // its own) until the store says it ended. A run whose replica died is queued again
    // meanwhile (OrphanLoop): that is cancelled too; claimed here, it is stopped below.
    lock.unlock();
    Result<Deployment> d = queue_.Get(id);  // a shared queue reads the store
    if (d.ok() && d->state == DeploymentState::kQueued) (void)queue_.Cancel(enver_id, why);
    lock.lock();
    if (!d.ok() || IsFinal(d->state) || std::chrono::steady_clock::now() >= deadline) return;
    run_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  auto it = running_.find(enver_id);
  if (it != running_.end()) it->second->Cancel();
  if (github_runs_) github_runs_->Wake();
  run_cv_.wait_until(lock, deadline, [&] { return !running_.count(enver_id); });
}

Status Platform::Impl::TearDown(const WorldPtr& world, const std::string& enver_id,
                                const std::string& why) {
  std::optional<EnverRef> ref = world->FindEnver(enver_id);
  ODMD_ASSIGN_OR_RETURN(EnverState state, ReadEnverState(store_, enver_id));
  const std::string token_key = EnverTokenKey(enver_id);
  Result<store::Entry> token = store_.Get(token_key);
  if (!token.ok() && !IsNotFound(token.status())) return token.status();
  // Torn down already (a teardown resumed after a crash): its last commit wrote both.
  if (state.status == "deleted" && !token.ok()) return OkStatus();
  // A failed destroy leaves a record for a retry, written with the teardown's last commit.
  std::optional<PendingTeardown> failed;
  if (ref && !state.sha.empty() && state.status != "deleted") {
    Result<DeployTarget> target = TargetFor(world, enver_id);
    Result<DeployOutcome> outcome =
        target.ok() ? deployer_.Teardown(*target, state.sha, "teardown-" + std::to_string(NowMs()))
                    : Result<DeployOutcome>(target.status());
    if (!outcome.ok() || !outcome->succeeded) {
      failed.emplace();
      failed->enver_id = enver_id;
      failed->sha = state.sha;
      failed->contracts_version = world->version();
      auto clone = world->clones().find(enver_id);
      if (clone != world->clones().end()) failed->clone = clone->second;
      failed->reason = outcome.ok() ? outcome->reason : outcome.status().ToString();
      failed->failed_at_ms = NowMs();
    }
  }
  CrashPoint("teardown.script");
  if (ref) {
    // Products are tombstoned: they read as absent, their history stays.
    ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> products,
                          store_.List(SharePrefixOf(*ref->build, *ref->enver)));
    std::vector<store::BatchOp> ops;
    for (const store::Entry& p : products) ops.push_back(store::BatchOp::Delete(p.key, p.revision));
    if (!ops.empty()) ODMD_RETURN_IF_ERROR(store_.WriteBatch(ops));
  }
  ODMD_RETURN_IF_ERROR(tokens_.Revoke(access::Principal::Enver(enver_id)));
  CrashPoint("teardown.revoked");
  // Its state, its sealed token and the event: one commit, the teardown's last.
  state.status = "deleted";
  state.updated_at_ms = NowMs();
  std::vector<store::BatchOp> ops = {EnverStateOp(state)};
  if (token.ok()) ops.push_back(store::BatchOp::Delete(token_key, token->revision));
  std::vector<Event> told;
  if (failed) {
    ops.push_back(store::BatchOp::Put(PendingTeardownKey(enver_id),
                                      PendingTeardownJson(*failed).dump(), std::nullopt));
    told.push_back(TeardownFailedEvent(*failed));
  }
  Event e;
  e.kind = "enver.deleted";
  e.enver_id = enver_id;
  e.message = enver_id + " was torn down: " + why;
  if (failed) e.message += " (its destroy failed; what it left waits for odmd teardown retry)";
  told.push_back(std::move(e));
  Result<std::vector<store::WriteResult>> committed = events().Commit(std::move(ops), told);
  return committed.status();
}

Status Platform::Impl::RecordClone(const CloneRecord& record, std::vector<Event> told) {
  // An issued token nobody received (a crash before the commit) opens nothing.
  ODMD_ASSIGN_OR_RETURN(std::string token, tokens_.Issue(access::Principal::Enver(record.id)));
  CrashPoint("clone.token_issued");
  std::vector<store::BatchOp> ops = {
      store::BatchOp::Put(std::string(access::kClonesPrefix) + record.id,
                          CloneRecordJson(record).dump(), store::Revision{0}),
      store::BatchOp::Put(EnverTokenKey(record.id), secrets_.Seal(token))};
  Result<std::vector<store::WriteResult>> committed = events().Commit(std::move(ops), told);
  ODMD_RETURN_IF_ERROR(committed.status());
  CrashPoint("clone.recorded");
  return ReloadWorld();
}

Status Platform::Impl::DeleteClone(const std::string& clone_id, const std::string& why) {
  CancelAndWait(clone_id, why);
  ODMD_RETURN_IF_ERROR(TearDown(world(), clone_id, why));
  CrashPoint("clone.torn_down");
  // The record and the event: one commit (a crash before it deletes the clone again).
  const std::string key = std::string(access::kClonesPrefix) + clone_id;
  Result<store::Entry> record = store_.Get(key);
  if (record.ok()) {
    Event e;
    e.kind = "clone.deleted";
    e.enver_id = clone_id;
    e.message = "deleted clone " + clone_id + ": " + why;
    std::vector<Event> told;
    told.push_back(std::move(e));
    Result<std::vector<store::WriteResult>> committed =
        events().Commit({store::BatchOp::Delete(key, record->revision)}, told);
    ODMD_RETURN_IF_ERROR(committed.status());
  } else if (!IsNotFound(record.status())) {
    return record.status();
  }
  return ReloadWorld();
}

Status Platform::Impl::Bootstrap() {
  if (options_.contracts_repo.empty()) return OkStatus();
  Event start;
  start.kind = "bootstrap";
  start.message = "the store has no contracts: bootstrapping from " + options_.contracts_repo;
  ODMD_RETURN_IF_ERROR(Emit(std::move(start)));
  ODMD_ASSIGN_OR_RETURN(std::string path, RepoPath(options_.contracts_repo));
  ODMD_ASSIGN_OR_RETURN(std::vector<GitRef> refs, git_.ListRefs(path));
  std::string sha;
  for (const GitRef& r : refs) {
    if (r.name == "refs/heads/main" || (sha.empty() && r.name == "refs/heads/master")) sha = r.sha;
  }
  std::string deployment;  // the bootstrap's, once it ran: its log is worth reading
  auto fail = [&](std::string why) {
    Event e;
    e.kind = "contracts.refused";
    e.message = "bootstrap from " + options_.contracts_repo + " failed: " + why;
    e.suggestion = "fix the contracts repo and push, or publish with odmd contracts publish";
    if (options_.notice) {
      options_.notice(e.message +
                      (deployment.empty() ? "" : " (its log: odmd logs " + deployment + ")") +
                      "; serving without contracts until you " + e.suggestion);
    }
    return Emit(std::move(e));
  };
  if (sha.empty()) return fail("it has no main or master branch");
  // The contracts build as far as it is known before any manifest: its repo and branch.
  model::Org org;
  org.name = "bootstrap";
  org.version = "0.0.0";
  org.accounts = {{"central", "000000000000"}};
  model::Build build;
  build.id = "contracts";
  build.kind = model::BuildKind::kContracts;
  const size_t slash = options_.contracts_repo.find('/');
  build.repo = {options_.contracts_repo.substr(0, slash), options_.contracts_repo.substr(slash + 1),
                0};
  model::Enver enver;
  enver.rev = model::RevRef::Branch("main");
  enver.account = "central";
  enver.region = "local";
  build.envers.push_back(enver);
  org.builds.push_back(build);
  DeployTarget target{&org, &org.builds.front(), &org.builds.front().envers.front(), path,
                      "",   "refs/heads/main"};
  Deployment d;
  d.id = "bootstrap-" + std::to_string(NowMs());
  d.enver_id = "contracts/b..main";
  d.sha = sha;
  d.cause = {"bootstrap", "first start on an empty store", "bootstrap"};
  deployment = d.id;
  ODMD_ASSIGN_OR_RETURN(DeployOutcome outcome, deployer_.Deploy(d, target, nullptr));
  if (!outcome.succeeded) return fail(outcome.reason);
  if (!outcome.manifest) return fail("its build script wrote no manifest to $ODMD_MANIFEST_FILE");
  Result<PublishReport> published = PublishManifest(access::Principal::Admin(), *outcome.manifest);
  if (!published.ok()) return fail(published.status().message());
  return OkStatus();
}

}  // namespace odmd::reconcile

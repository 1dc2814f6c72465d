// Failed teardowns: the record a failed destroy leaves (records.h, PendingTeardown), and
// the admin's retry that runs the teardown again from the world it left, or forget that
// drops the record once what was left is cleaned up by hand (docs/platform.md, Teardown).
// A follower replica checks a retry or forget as the leader would and records it in the
// inbox (kind "teardown"); the leader does it with the record's deletion in its commit.
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"
#include "records.h"

namespace odmd::reconcile {

namespace {

Status NeedsAdmin(const access::Principal& who, std::string_view what, std::string_view id) {
  if (who.kind == access::Principal::Kind::kAdmin) return OkStatus();
  return PermissionDeniedError(std::string(what) + " of " + Quote(id) + " needs the admin token");
}

nlohmann::json TeardownItem(const PendingTeardown& t) {
  nlohmann::json j = PendingTeardownJson(t);
  j["enver"] = t.enver_id;
  j["clone"] = t.clone.has_value();
  return j;
}

}  // namespace

Event Platform::Impl::TeardownFailedEvent(const PendingTeardown& t) {
  Event e;
  e.kind = "teardown.failed";
  e.enver_id = t.enver_id;
  e.message = "teardown of " + t.enver_id + " failed" +
              (t.attempts > 1 ? " (attempt " + std::to_string(t.attempts) + ")" : "") + ": " +
              t.reason;
  e.suggestion = "fix the cause the reason names, then `odmd teardown retry " + t.enver_id +
                 "`; or remove what is left by hand and `odmd teardown forget " + t.enver_id + "`";
  e.fields["sha"] = t.sha;
  e.fields["contracts_version"] = t.contracts_version;
  e.fields["attempts"] = std::to_string(t.attempts);
  return e;
}

Result<nlohmann::json> Platform::Impl::ListTeardowns() {
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> records, store_.List(kTeardownsPrefix));
  nlohmann::json items = nlohmann::json::array();
  for (const store::Entry& r : records) {
    ODMD_ASSIGN_OR_RETURN(PendingTeardown t, ParsePendingTeardown(r));
    items.push_back(TeardownItem(t));
  }
  return nlohmann::json{{"teardowns", std::move(items)}};
}

Result<DeployOutcome> Platform::Impl::RunPendingTeardown(const PendingTeardown& t) {
  ODMD_ASSIGN_OR_RETURN(ContractsVersionAt at, ResolveContractsVersion(t.contracts_version));
  std::vector<CloneRecord> clones;
  if (t.clone) clones.push_back(*t.clone);
  ODMD_ASSIGN_OR_RETURN(WorldPtr w, World::Build(at.manifest, std::move(clones), nullptr));
  std::optional<EnverRef> ref = w->FindEnver(t.enver_id);
  if (!ref) {
    return FailedPreconditionError("contracts version " + Quote(t.contracts_version) +
                                   " has no enver " + Quote(t.enver_id));
  }
  ODMD_ASSIGN_OR_RETURN(std::string path, RepoPath(ref->build->repo.FullName()));
  // No token: the enver's was revoked by the teardown that failed.
  DeployTarget target{&w->org(),       ref->build, ref->enver,
                      std::move(path), "",         w->GitRefOf(ref->build->id, *ref->enver)};
  return deployer_.Teardown(target, t.sha, "teardown-" + std::to_string(NowMs()));
}

Result<nlohmann::json> Platform::Impl::RecordTeardownAction(const access::Principal& who,
                                                            std::string_view enver_id, bool retry) {
  ODMD_ASSIGN_OR_RETURN(PendingTeardown t, ReadPendingTeardown(store_, enver_id));
  if (retry) ODMD_RETURN_IF_ERROR(CheckNotLive(enver_id));
  ODMD_ASSIGN_OR_RETURN(
      std::string key,
      RecordInbox(
          {"teardown",
           {{"enver", t.enver_id}, {"action", retry ? "retry" : "forget"}, {"who", who.ToString()}},
           ""}));
  return nlohmann::json{{"enver", t.enver_id}, {"accepted", true}, {"inbox", key}};
}

Status Platform::Impl::CheckNotLive(std::string_view enver_id) {
  if (!world()->FindEnver(enver_id)) return OkStatus();
  return FailedPreconditionError(
      Quote(enver_id) + " is live again (in the contracts or as a clone): its deployments " +
      "own its stacks now; drop the failed teardown with `odmd teardown forget " +
      std::string(enver_id) + "`");
}

Result<nlohmann::json> Platform::Impl::RetryTeardown(const access::Principal& who,
                                                     std::string_view enver_id,
                                                     std::vector<store::BatchOp> with) {
  ODMD_RETURN_IF_ERROR(NeedsAdmin(who, "a teardown retry", enver_id));
  if (following()) return RecordTeardownAction(who, enver_id, /*retry=*/true);
  ODMD_RETURN_IF_ERROR(CheckStarted());
  std::lock_guard<std::mutex> lock(intake_mu_);
  ODMD_ASSIGN_OR_RETURN(PendingTeardown t, ReadPendingTeardown(store_, enver_id));
  ODMD_RETURN_IF_ERROR(CheckNotLive(enver_id));
  Result<DeployOutcome> outcome = RunPendingTeardown(t);
  const bool done = outcome.ok() && outcome->succeeded;
  std::vector<store::BatchOp> ops = std::move(with);
  std::vector<Event> told;
  if (done) {
    ops.push_back(store::BatchOp::Delete(PendingTeardownKey(enver_id), t.revision));
    Event e;
    e.kind = "teardown.retried";
    e.enver_id = t.enver_id;
    e.message = "teardown of " + t.enver_id + " finished on retry (attempt " +
                std::to_string(t.attempts + 1) + ")";
    told.push_back(std::move(e));
  } else {
    t.attempts += 1;
    t.reason = outcome.ok() ? outcome->reason : outcome.status().ToString();
    t.failed_at_ms = NowMs();
    ops.push_back(store::BatchOp::Put(PendingTeardownKey(enver_id), PendingTeardownJson(t).dump(),
                                      t.revision));
    told.push_back(TeardownFailedEvent(t));
  }
  Result<std::vector<store::WriteResult>> committed = events().Commit(std::move(ops), told);
  ODMD_RETURN_IF_ERROR(committed.status());
  nlohmann::json out = {{"enver", t.enver_id}, {"succeeded", done}};
  out["attempts"] = done ? t.attempts + 1 : t.attempts;
  if (!done) out["reason"] = t.reason;
  return out;
}

Result<nlohmann::json> Platform::Impl::ForgetTeardown(const access::Principal& who,
                                                      std::string_view enver_id,
                                                      std::vector<store::BatchOp> with) {
  ODMD_RETURN_IF_ERROR(NeedsAdmin(who, "forgetting the failed teardown", enver_id));
  if (following()) return RecordTeardownAction(who, enver_id, /*retry=*/false);
  ODMD_RETURN_IF_ERROR(CheckStarted());
  std::lock_guard<std::mutex> lock(intake_mu_);
  ODMD_ASSIGN_OR_RETURN(PendingTeardown t, ReadPendingTeardown(store_, enver_id));
  Event e;
  e.kind = "teardown.forgotten";
  e.enver_id = t.enver_id;
  e.message = "the failed teardown of " + t.enver_id + " was dropped by " + who.ToString() +
              " after " + std::to_string(t.attempts) +
              " attempt(s); the platform no longer tracks what it left";
  std::vector<Event> told;
  told.push_back(std::move(e));
  std::vector<store::BatchOp> ops = std::move(with);
  ops.push_back(store::BatchOp::Delete(PendingTeardownKey(enver_id), t.revision));
  Result<std::vector<store::WriteResult>> committed = events().Commit(std::move(ops), told);
  ODMD_RETURN_IF_ERROR(committed.status());
  return nlohmann::json{{"enver", t.enver_id}, {"forgotten", true}};
}

}  // namespace odmd::reconcile

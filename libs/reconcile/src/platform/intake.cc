// Git intake: level-triggered scans of registered repositories and GitHub push
// deliveries become ref changes; each ref change yields events, commit commands (clone
// create/delete) and deployments of the envers on that ref.
#include <algorithm>
#include <deque>
#include <optional>
#include <set>
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/clone.h"
#include "odmd/model/commit_command.h"
#include "odmd/model/naming.h"
#include "records.h"

namespace odmd::reconcile {

namespace {

std::string ShortSha(std::string_view sha) { return std::string(sha.substr(0, 7)); }

bool IsBranch(std::string_view ref) { return ref.rfind("refs/heads/", 0) == 0; }

bool IsBranchOrTag(std::string_view ref) {
  return ref.rfind("refs/heads/", 0) == 0 || ref.rfind("refs/tags/", 0) == 0;
}

// The GitHub delivery ids IngestPush handled, oldest first, at most
// PlatformOptions::remembered_deliveries:
// {"ids": ["<id>", ...]} at kDeliveriesKey (read only by the platform: no viewer reads it).
constexpr std::string_view kDeliveriesKey = "/odmd/webhooks/deliveries";

struct Deliveries {
  store::Revision revision = 0;
  std::deque<std::string> ids;
  bool Has(std::string_view id) const { return std::find(ids.begin(), ids.end(), id) != ids.end(); }
  void Add(std::string id, size_t cap) {
    ids.push_back(std::move(id));
    while (ids.size() > cap) ids.pop_front();
  }
};

Result<Deliveries> ReadDeliveries(store::ConfigStore& store) {
  Deliveries out;
  Result<store::Entry> e = store.Get(kDeliveriesKey);
  if (IsNotFound(e.status())) return out;
  if (!e.ok()) return e.status();
  out.revision = e->revision;
  const nlohmann::json j = nlohmann::json::parse(e->value, nullptr, false);
  const auto ids = j.is_object() ? j.find("ids") : j.end();
  if (!j.is_object() || ids == j.end() || !ids->is_array()) {
    return FailedPreconditionError("store record " + std::string(kDeliveriesKey) +
                                   ": /ids is missing or not an array");
  }
  for (const nlohmann::json& id : *ids) {
    if (!id.is_string()) {
      return FailedPreconditionError("store record " + std::string(kDeliveriesKey) +
                                     ": /ids holds a value that is not a string");
    }
    out.ids.push_back(id.get<std::string>());
  }
  return out;
}

Status WriteDeliveries(store::ConfigStore& store, Deliveries& deliveries) {
  const nlohmann::json j = {{"ids", deliveries.ids}};
  ODMD_ASSIGN_OR_RETURN(store::WriteResult w,
                        store.Put(kDeliveriesKey, j.dump(), deliveries.revision));
  deliveries.revision = w.revision;
  return OkStatus();
}

}  // namespace

void Platform::Impl::TakePlatformCommits(const std::string& repo,
                                         std::map<std::string, std::string>& refs) {
  // The platform's own commits (workflows) are not pushes to handle.
  for (auto it = platform_commits_.begin(); it != platform_commits_.end();) {
    const size_t colon = it->first.find(':');
    if (it->first.substr(0, colon) == repo) {
      refs[it->first.substr(colon + 1)] = it->second;
      it = platform_commits_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<IntakeReport> Platform::Impl::Scan(std::string_view repo) {
  ODMD_RETURN_IF_ERROR(CheckStarted());
  std::lock_guard<std::mutex> lock(intake_mu_);
  IntakeReport total;
  ODMD_ASSIGN_OR_RETURN(std::vector<RepoRegistration> repos, ListRepos());
  bool found = repo.empty();
  for (const RepoRegistration& r : repos) {
    if (!repo.empty() && r.name != repo) continue;
    found = true;
    ODMD_ASSIGN_OR_RETURN(IntakeReport one, ScanRepo(r));
    total.refs_changed += one.refs_changed;
    total.deployments_queued += one.deployments_queued;
    total.commands_accepted += one.commands_accepted;
    total.commands_rejected += one.commands_rejected;
  }
  if (!found) {
    return NotFoundError("repository " + Quote(repo) + " is not registered (odmd repo add)");
  }
  return total;
}

Result<IntakeReport> Platform::Impl::ScanRepo(const RepoRegistration& repo) {
  IntakeReport report;
  if (!repo.remote.empty()) {
    Status fetched = FetchMirror(repo);
    if (!fetched.ok()) {
      // The scan goes on with the mirror as it is; the next scan or push fetches again.
      Event e;
      e.kind = "alert";
      e.message = fetched.message();
      e.fields["repo"] = repo.name;
      (void)Emit(std::move(e));
    }
  }
  ODMD_ASSIGN_OR_RETURN(std::vector<GitRef> refs, git_.ListRefs(repo.path));
  ODMD_ASSIGN_OR_RETURN(SeenRefs seen, ReadSeenRefs(store_, repo.name));
  std::map<std::string, std::string> current;
  for (const GitRef& r : refs) {
    if (IsBranchOrTag(r.name)) current[r.name] = r.sha;
  }
  std::vector<RefChange> changes;
  for (const auto& [ref, sha] : current) {
    auto it = seen.refs.find(ref);
    if (it != seen.refs.end() && it->second == sha) continue;
    RefChange c{repo.name, ref, it == seen.refs.end() ? "" : it->second, sha, {}, {}};
    std::vector<GitCommit> commits;
    if (!c.old_sha.empty()) {
      Result<std::vector<GitCommit>> between = git_.CommitsBetween(repo.path, c.old_sha, sha);
      // The old commit may be gone (a forced push and gc): treat the ref as new.
      if (between.ok()) {
        commits = std::move(between).value();
      } else {
        c.old_sha.clear();
      }
    }
    if (c.old_sha.empty()) {
      // A new ref: only the commits no other ref has (else every old command of the
      // history would be read again).
      ODMD_ASSIGN_OR_RETURN(commits, git_.CommitsBetween(repo.path, "", sha));
      std::optional<GitCommit> head;
      if (!commits.empty()) head = commits.front();  // newest first
      for (const auto& [other, other_sha] : current) {
        if (other == ref || commits.empty()) continue;
        ODMD_ASSIGN_OR_RETURN(std::vector<GitCommit> only,
                              git_.CommitsBetween(repo.path, other_sha, sha));
        std::set<std::string> keep;
        for (const GitCommit& g : only) keep.insert(g.sha);
        std::erase_if(commits, [&](const GitCommit& g) { return !keep.count(g.sha); });
      }
      // A new branch with no commit of its own answers its head commit's commands, as a
      // GitHub push delivery of a new branch does (IngestPush): two branches pushed at one
      // commit are both answered.
      if (commits.empty() && head && IsBranch(ref)) commits.push_back(*head);
    }
    for (auto it2 = commits.rbegin(); it2 != commits.rend(); ++it2) {
      c.messages.push_back(it2->message);
      c.shas.push_back(it2->sha);
    }
    changes.push_back(std::move(c));
  }
  for (const auto& [ref, sha] : seen.refs) {
    if (!current.count(ref)) changes.push_back(RefChange{repo.name, ref, sha, "", {}, {}});
  }
  for (const RefChange& c : changes) {
    ODMD_RETURN_IF_ERROR(ApplyRefChange(c, report));
    // Recorded per change: a crash re-handles at most the change in flight.
    if (c.new_sha.empty()) {
      seen.refs.erase(c.ref);
    } else {
      seen.refs[c.ref] = c.new_sha;
    }
    TakePlatformCommits(repo.name, seen.refs);
    ODMD_RETURN_IF_ERROR(WriteSeenRefs(store_, repo.name, seen));
    ++report.refs_changed;
  }
  return report;
}

Result<IntakeReport> Platform::Impl::IngestPush(const PushEvent& push) {
  ODMD_RETURN_IF_ERROR(CheckStarted());
  ODMD_RETURN_IF_ERROR(ValidatePush(push));
  std::lock_guard<std::mutex> lock(intake_mu_);
  IntakeReport report;
  ODMD_ASSIGN_OR_RETURN(Deliveries deliveries, ReadDeliveries(store_));
  if (!push.delivery.empty() && deliveries.Has(push.delivery)) {
    report.ignored = "duplicate delivery";
    return report;
  }
  RefChange c;
  c.repo = push.repository;
  c.ref = push.ref;
  c.old_sha = push.created ? "" : push.before;
  c.new_sha = push.deleted ? "" : push.after;
  for (const PushCommit& commit : push.commits) {
    c.messages.push_back(commit.message);
    c.shas.push_back(commit.id);
  }
  // GitHub lists no commits for a new branch at a commit another branch has (the second of
  // two branches pushed at one commit): its head commit's commands are its own, as in a scan.
  if (push.created && push.commits.empty() && push.head_commit && IsBranch(push.ref)) {
    c.messages.push_back(push.head_commit->message);
    c.shas.push_back(push.head_commit->id);
  }
  // A mirror learns of the push by fetching it (before anything is recorded).
  Result<RepoRegistration> registered = Repo(c.repo);
  if (registered.ok() && !registered->remote.empty()) {
    ODMD_RETURN_IF_ERROR(FetchMirror(*registered));
  } else if (!registered.ok() && !IsNotFound(registered.status())) {
    return registered.status();
  }
  ODMD_ASSIGN_OR_RETURN(SeenRefs seen, ReadSeenRefs(store_, c.repo));
  ODMD_ASSIGN_OR_RETURN(report.ignored, WhyPushChangesNothing(c, seen));
  if (report.ignored.empty()) {
    ODMD_RETURN_IF_ERROR(ApplyRefChange(c, report));
    ODMD_ASSIGN_OR_RETURN(seen, ReadSeenRefs(store_, c.repo));
    if (c.new_sha.empty()) {
      seen.refs.erase(c.ref);
    } else {
      seen.refs[c.ref] = c.new_sha;
    }
    TakePlatformCommits(c.repo, seen.refs);
    ODMD_RETURN_IF_ERROR(WriteSeenRefs(store_, c.repo, seen));
    report.refs_changed = 1;
  }
  if (!push.delivery.empty()) {
    deliveries.Add(push.delivery, options_.remembered_deliveries);
    ODMD_RETURN_IF_ERROR(WriteDeliveries(store_, deliveries));
  }
  return report;
}

// Level-triggered intake: a push is a claim that `change.ref` is now at `change.new_sha`.
// It changes nothing when the platform already handled that state, or when the ref has
// moved on in the registered local repository (a replay of an old delivery).
Result<std::string> Platform::Impl::WhyPushChangesNothing(const RefChange& change,
                                                          const SeenRefs& seen) {
  auto it = seen.refs.find(change.ref);
  const std::string handled = it == seen.refs.end() ? "" : it->second;
  if (handled == change.new_sha) return std::string("already handled");
  Result<std::string> path = RepoPath(change.repo);
  if (IsNotFound(path.status())) return std::string();  // no local copy to compare with
  if (!path.ok()) return path.status();
  ODMD_ASSIGN_OR_RETURN(std::vector<GitRef> refs, git_.ListRefs(*path));
  std::string current;
  for (const GitRef& r : refs) {
    if (r.name == change.ref) current = r.sha;
  }
  if (current != change.new_sha) return std::string("stale");
  return std::string();
}

Status Platform::Impl::ApplyRefChange(const RefChange& change, IntakeReport& report) {
  WorldPtr w = world();
  const bool deleted = change.new_sha.empty();
  {
    Event e;
    e.kind = deleted ? "ref.deleted" : "push";
    e.message = deleted ? change.ref + " of " + change.repo + " was deleted"
                        : "push of " + change.ref + " " + ShortSha(change.new_sha) + " to " +
                              change.repo + " (" + std::to_string(change.messages.size()) +
                              " new commit" + (change.messages.size() == 1 ? "" : "s") + ")";
    e.fields = {{"repo", change.repo}, {"ref", change.ref}};
    if (!deleted) e.fields["sha"] = change.new_sha;
    ODMD_RETURN_IF_ERROR(Emit(std::move(e)));
  }
  std::vector<const model::Build*> builds = w->BuildsOfRepo(change.repo);
  if (builds.empty() || !IsBranchOrTag(change.ref)) return OkStatus();
  if (deleted) {
    for (const model::Build* b : builds) {
      for (const model::Enver* e : w->EnversOnRef(*b, change.ref)) {
        const std::string id = model::EnverId(b->id, e->rev);
        if (w->IsDynamicClone(id)) {
          ODMD_RETURN_IF_ERROR(DeleteClone(id, "its ref " + change.ref + " was deleted"));
        } else {
          Event ev;
          ev.kind = "alert";
          ev.enver_id = id;
          ev.message = "the ref of " +
                       std::string(w->IsClone(id) ? "declared clone " : "static enver ") + id +
                       " (" + change.ref +
                       ") was deleted; it stays deployed until the contracts remove it";
          ev.suggestion = "restore the ref, or remove the enver from the contracts";
          ODMD_RETURN_IF_ERROR(Emit(std::move(ev)));
        }
      }
    }
    return OkStatus();
  }

  // Commit commands, every one answered in the order written.
  ODMD_ASSIGN_OR_RETURN(CommandsOutcome commands, ApplyCommands(change, report));
  if (commands.ends_deleted) return OkStatus();
  const std::string cause_kind = commands.created ? "clone" : "push";
  w = world();

  std::vector<EnqueueRequest> requests;
  for (const model::Build* b : w->BuildsOfRepo(change.repo)) {
    for (const model::Enver* e : w->EnversOnRef(*b, change.ref)) {
      EnqueueRequest r;
      r.enver_id = model::EnverId(b->id, e->rev);
      r.sha = change.new_sha;
      r.cause.kind = w->IsClone(r.enver_id) ? cause_kind : "push";
      r.cause.detail =
          "push of " + change.ref + " " + ShortSha(change.new_sha) + " to " + change.repo;
      r.cause.root = "push:" + change.repo + ":" + change.ref + "@" + change.new_sha;
      requests.push_back(std::move(r));
    }
  }
  report.deployments_queued += static_cast<int>(requests.size());
  const auto queued = EnqueueAll(std::move(requests));
  ODMD_RETURN_IF_ERROR(queued.status());
  // Context documents the pushed commit lacks (doc_paths.cc): warnings only, after the
  // deployments are queued. A repository without a local copy is not checked.
  if (Result<std::string> path = RepoPath(change.repo); path.ok()) {
    for (const model::Build* b : w->BuildsOfRepo(change.repo)) {
      for (const model::Enver* e : w->EnversOnRef(*b, change.ref)) {
        ODMD_RETURN_IF_ERROR(ReportMissingDocs(*b, *e, *path, change.new_sha));
      }
    }
  }
  return OkStatus();
}

}  // namespace odmd::reconcile

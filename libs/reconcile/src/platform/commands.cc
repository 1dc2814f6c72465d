// Commit commands of a ref change (DESIGN.md §5): every `odmd:` line of the pushed commits
// is answered, in the order written (oldest commit first, then line order), each applied to
// the state the earlier ones left. A create without a build clones every build of the repo
// that has the origin, as one command.
#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/clone.h"
#include "odmd/model/commit_command.h"
#include "odmd/model/naming.h"
#include "records.h"

namespace odmd::reconcile {

namespace {

model::CommandContext ContextOf(const World& w, std::string_view repo) {
  model::CommandContext context;
  for (const model::Build* b : w.BuildsOfRepo(repo)) {
    context.known_builds.push_back(b->id);
    for (const model::Enver& e : b->envers) {
      if (!e.rev.is_clone()) context.known_origins.push_back(e.rev.str());
    }
  }
  for (const model::Build& b : w.static_org().builds) {
    if (b.repo.FullName() != repo) context.other_builds.emplace_back(b.id, b.repo.FullName());
  }
  return context;
}

// One line to answer: an accepted command or a rejection, with its place in the push.
struct Step {
  int commit = 0;
  int line = 0;
  const model::CommitCommand* command = nullptr;
  const model::CommandRejection* rejection = nullptr;
};

std::vector<Step> InOrder(const model::PushCommands& commands) {
  std::vector<Step> steps;
  for (const model::CommitCommand& c : commands.accepted) {
    steps.push_back({c.commit, c.line, &c, nullptr});
  }
  for (const model::CommandRejection& r : commands.rejections) {
    steps.push_back({r.commit, r.line, nullptr, &r});
  }
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
    return std::tie(a.commit, a.line) < std::tie(b.commit, b.line);
  });
  return steps;
}

bool HasStaticEnver(const model::Build& build, std::string_view rev) {
  return std::any_of(build.envers.begin(), build.envers.end(), [&](const model::Enver& e) {
    return !e.rev.is_clone() && e.rev.str() == rev;
  });
}

// The builds a create clones: the one it names, else every build of the repo with a static
// enver at the origin (the original's one command for an image and a CDK app of one repo).
std::vector<const model::Build*> CreateTargets(const World& w, const model::CommitCommand& cmd,
                                               std::string_view repo) {
  std::vector<const model::Build*> builds = w.BuildsOfRepo(repo);
  std::vector<const model::Build*> out;
  for (const model::Build* b : builds) {
    if (cmd.build ? b->id == *cmd.build : HasStaticEnver(*b, cmd.origin)) out.push_back(b);
  }
  // No build has the origin: the first build's derivation says why ("origin ... not found").
  if (out.empty() && !cmd.build && !builds.empty()) out.push_back(builds.front());
  return out;
}

// Why one build of a create cannot clone, with the suggestion to show.
struct Problem {
  std::string reason;
  std::string suggestion;
};

}  // namespace

Status Platform::Impl::Reject(const RefChange& change, std::string command, std::string reason,
                              std::string suggestion, IntakeReport& report) {
  Event e;
  e.kind = "command.rejected";
  e.message =
      "rejected " + Quote(command) + " on " + change.ref + " of " + change.repo + ": " + reason;
  e.suggestion = std::move(suggestion);
  e.fields = {{"repo", change.repo}, {"ref", change.ref}, {"command", command}, {"reason", reason}};
  if (!change.new_sha.empty()) e.fields["sha"] = change.new_sha;
  ++report.commands_rejected;
  return Emit(std::move(e));
}

Result<CommandsOutcome> Platform::Impl::ApplyCommands(const RefChange& change,
                                                      IntakeReport& report) {
  const model::PushCommands commands =
      model::ParsePushMessages(change.messages, ContextOf(*world(), change.repo));
  CommandsOutcome outcome;
  std::set<std::string> made;  // clones this change created
  for (const Step& step : InOrder(commands)) {
    if (step.rejection) {
      const model::CommandRejection& r = *step.rejection;
      ODMD_RETURN_IF_ERROR(Reject(change, r.text, r.reason, r.suggestion.value_or(""), report));
      continue;
    }
    const model::CommitCommand& cmd = *step.command;
    if (cmd.verb == model::CommandVerb::kDelete) {
      ODMD_RETURN_IF_ERROR(HandleDelete(&cmd, change, report));
      outcome.ends_deleted = true;
    } else {
      ODMD_RETURN_IF_ERROR(HandleCreate(cmd, change, made, report));
      outcome.ends_deleted = false;
    }
  }
  outcome.created = !made.empty();
  return outcome;
}

Status Platform::Impl::HandleCreate(const model::CommitCommand& cmd, const RefChange& change,
                                    std::set<std::string>& made, IntakeReport& report) {
  WorldPtr w = world();
  const bool is_tag = change.ref.rfind("refs/tags/", 0) == 0;
  const std::string git_name = ShortRefName(change.ref);
  const std::vector<const model::Build*> targets = CreateTargets(*w, cmd, change.repo);
  const bool several = targets.size() > 1;
  std::vector<Problem> problems;
  std::vector<std::pair<model::DerivedClone, std::string>> planned;  // clone, origin id
  std::set<std::string> build_ids;
  for (const model::Build* build : targets) {
    build_ids.insert(build->id);
    const std::string prefix = several ? "build " + build->id + ": " : "";
    std::vector<const model::Enver*> on_ref = w->EnversOnRef(*build, change.ref);
    if (!on_ref.empty()) {
      const std::string id = model::EnverId(build->id, on_ref.front()->rev);
      // This push's own clone, made before a crash stopped the scan from recording the
      // push as handled: done already.
      auto record = w->clones().find(id);
      if (record != w->clones().end() && record->second.sha == change.new_sha && !made.count(id)) {
        continue;
      }
      problems.push_back(
          {prefix + change.ref + " already has enver " + id,
           "push without the command to redeploy it, or create the clone on a new branch"});
      continue;
    }
    const std::string origin_id = build->id + "/" + cmd.origin;
    model::CloneRequest request{origin_id, git_name,
                                is_tag ? model::RevType::kTag : model::RevType::kBranch,
                                w->LiveClones(origin_id)};
    Result<model::DerivedClone> derived = model::DeriveClone(w->static_org(), request);
    if (!derived.ok()) {
      std::string suggestion;
      if (derived.status().code() == StatusCode::kFailedPrecondition) {
        suggestion = "delete a clone of " + origin_id +
                     " first (push \"odmd: delete\" on its branch), or raise its cloneLimit";
      }
      problems.push_back({prefix + derived.status().message(), std::move(suggestion)});
      continue;
    }
    const std::string id = model::EnverId(derived->build_id, derived->enver.rev);
    if (w->FindEnver(id)) {
      problems.push_back({prefix + "clone " + id +
                              " already exists on another ref whose name maps to the same rev",
                          "use a branch name that maps to a distinct rev value"});
      continue;
    }
    planned.emplace_back(std::move(derived).value(), origin_id);
  }
  // All or nothing: a repo's builds are cloned together or not at all.
  if (!problems.empty()) {
    std::vector<std::string> reasons;
    for (const Problem& p : problems) reasons.push_back(p.reason);
    return Reject(change, cmd.text, StrJoin(reasons, "; "), problems.front().suggestion, report);
  }
  std::vector<std::string> ids;
  for (const auto& [clone, origin_id] : planned) {
    ids.push_back(model::EnverId(clone.build_id, clone.enver.rev));
  }
  for (size_t i = 0; i < planned.size(); ++i) {
    const auto& [clone, origin_id] = planned[i];
    const std::string& id = ids[i];
    CloneRecord record{id, origin_id, change.ref, NowMs(), change.new_sha};
    std::vector<Event> told;
    Event created;
    created.kind = "clone.created";
    created.enver_id = id;
    created.message = "created clone " + id + " of " + origin_id + " on " + change.ref +
                      " (stack " + clone.names.stack_name + ")" +
                      (clone.mapping_note.empty() ? "" : "; " + clone.mapping_note);
    created.fields = {
        {"origin", origin_id}, {"ref", change.ref}, {"repo", change.repo}, {"command", cmd.text}};
    told.push_back(std::move(created));
    if (i + 1 == planned.size()) {
      // One answer per command, in the commit with its last clone (a crash before it makes
      // the rest again and answers then).
      Event accepted;
      accepted.kind = "command.accepted";
      accepted.enver_id = id;
      accepted.message = "accepted " + Quote(cmd.text) + " on " + change.ref + ": clone" +
                         (ids.size() > 1 ? "s " : " ") + StrJoin(ids, ", ") +
                         (ids.size() > 1 ? " are" : " is") + " queued for deployment";
      accepted.fields = {{"repo", change.repo},
                         {"ref", change.ref},
                         {"command", cmd.text},
                         {"clones", StrJoin(ids, ",")}};
      told.push_back(std::move(accepted));
    }
    ODMD_RETURN_IF_ERROR(RecordClone(record, std::move(told)));
    made.insert(id);
  }
  if (!planned.empty()) ++report.commands_accepted;
  // Their workflow files on their branch (identical to the origins': usually already there).
  PublishReport ignored;
  return WriteWorkflows(world(), build_ids, ignored, change.ref, true);
}

Status Platform::Impl::HandleDelete(const model::CommitCommand* cmd, const RefChange& change,
                                    IntakeReport& report) {
  WorldPtr w = world();
  std::vector<std::string> victims;
  std::vector<std::string> declared;
  for (const model::Build* b : w->BuildsOfRepo(change.repo)) {
    if (cmd && cmd->build && b->id != *cmd->build) continue;
    for (const model::Enver* e : w->EnversOnRef(*b, change.ref)) {
      const std::string id = model::EnverId(b->id, e->rev);
      if (w->IsDynamicClone(id)) victims.push_back(id);
      if (w->IsDeclaredClone(id)) declared.push_back(id);
    }
  }
  const std::string text = cmd ? cmd->text : "odmd: delete";
  if (victims.empty() && !declared.empty()) {
    return Reject(change, text,
                  "clone " + StrJoin(declared, ", ") +
                      " is declared in the contracts; a commit command deletes only the clones "
                      "commit commands created",
                  "remove it from the contracts", report);
  }
  if (victims.empty()) {
    return Reject(change, text, "no clone lives on " + change.ref,
                  "odmd: delete removes clones only; static envers leave through the contracts",
                  report);
  }
  for (const std::string& id : victims) {
    ODMD_RETURN_IF_ERROR(DeleteClone(id, "deleted by " + Quote(text) + " on " + change.ref));
    Event accepted;
    accepted.kind = "command.accepted";
    accepted.enver_id = id;
    accepted.message =
        "accepted " + Quote(text) + " on " + change.ref + ": clone " + id + " is torn down";
    accepted.fields = {{"repo", change.repo}, {"ref", change.ref}, {"command", text}};
    ODMD_RETURN_IF_ERROR(Emit(std::move(accepted)));
    ++report.commands_accepted;
  }
  return OkStatus();
}

}  // namespace odmd::reconcile

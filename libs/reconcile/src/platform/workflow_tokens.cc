// Workflow tokens (issue 14 point 4; docs/workflows.md, "Repository setup"): every enver and
// clone of a (build, account, region) runs one generated workflow that reads one repository
// secret, so the secret holds one token for the whole group: principal workflow:<name>. The
// platform keeps the group's current token sealed at /odmd/workflow-tokens/<name> (admin
// only, like the enver tokens), issues it when a publish makes the group appear, revokes it
// when the group disappears, and rotates it keeping the previous token valid until the
// rotation after.
#include <algorithm>
#include <set>
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/gen/workflows.h"
#include "token_batch.h"

namespace odmd::reconcile {
namespace {

constexpr std::string_view kWorkflowTokensPrefix = "/odmd/workflow-tokens/";
// Groups per commit when a publish issues or revokes many (as IssueEnverTokens' callers).
constexpr size_t kGroupsPerCommit = 250;

std::string WorkflowTokenKey(std::string_view name) {
  return std::string(kWorkflowTokensPrefix) + std::string(name);
}

Status CheckName(std::string_view name) {
  Status valid = access::ValidateWorkflowName(name);
  if (valid.ok()) return valid;
  return InvalidArgumentError("workflow name " + Quote(name) + ": " + valid.message());
}

Status NoSuchGroup(std::string_view name) {
  return NotFoundError("workflow " + Quote(name) +
                       " is run by no enver of the published contracts (a workflow group is a "
                       "build's envers of one account and region)");
}

}  // namespace

Status Platform::Impl::IssueWorkflowTokensLocked(const std::vector<std::string>& names) {
  CollectingStore collecting(store_);
  access::TokenRegistry registry(collecting, clock_);
  std::vector<store::BatchOp> sealed;
  for (const std::string& name : names) {
    ODMD_ASSIGN_OR_RETURN(std::string token, registry.Issue(access::Principal::Workflow(name)));
    // if_revision 0: a group that got its token meanwhile (another process) keeps it.
    sealed.push_back(
        store::BatchOp::Put(WorkflowTokenKey(name), secrets_.Seal(token), store::Revision{0}));
  }
  if (sealed.empty()) return OkStatus();
  std::vector<store::BatchOp>& ops = collecting.ops();
  for (store::BatchOp& op : sealed) ops.push_back(std::move(op));
  return store_.WriteBatch(ops).status();
}

Status Platform::Impl::SyncWorkflowTokens(const World& world) {
  std::lock_guard<std::mutex> lock(workflow_tokens_mu_);
  std::vector<std::string> groups = world.policy().Workflows();
  // A group whose name no workflow file can have gets no token (gen refuses its file too).
  std::erase_if(groups, [](const std::string& g) { return !access::ValidateWorkflowName(g).ok(); });
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> sealed, store_.List(kWorkflowTokensPrefix));
  std::set<std::string> have;
  std::vector<const store::Entry*> gone;
  for (const store::Entry& e : sealed) {
    std::string name = e.key.substr(kWorkflowTokensPrefix.size());
    if (std::binary_search(groups.begin(), groups.end(), name)) {
      have.insert(std::move(name));
    } else {
      gone.push_back(&e);
    }
  }
  // Gone groups: every token of the principal and the sealed copy, one commit per chunk.
  for (size_t i = 0; i < gone.size(); i += kGroupsPerCommit) {
    CollectingStore collecting(store_);
    access::TokenRegistry registry(collecting, clock_);
    std::vector<store::BatchOp> deletes;
    for (size_t j = i; j < std::min(gone.size(), i + kGroupsPerCommit); ++j) {
      const std::string name = gone[j]->key.substr(kWorkflowTokensPrefix.size());
      ODMD_RETURN_IF_ERROR(registry.Revoke(access::Principal::Workflow(name)));
      deletes.push_back(store::BatchOp::Delete(gone[j]->key, gone[j]->revision));
    }
    std::vector<store::BatchOp>& ops = collecting.ops();
    for (store::BatchOp& op : deletes) ops.push_back(std::move(op));
    ODMD_RETURN_IF_ERROR(store_.WriteBatch(ops));
  }
  std::vector<std::string> missing;
  for (const std::string& g : groups) {
    if (!have.contains(g)) missing.push_back(g);
  }
  for (size_t i = 0; i < missing.size(); i += kGroupsPerCommit) {
    const size_t end = std::min(missing.size(), i + kGroupsPerCommit);
    ODMD_RETURN_IF_ERROR(IssueWorkflowTokensLocked({missing.begin() + i, missing.begin() + end}));
  }
  return OkStatus();
}

Result<std::string> Platform::Impl::WorkflowToken(std::string_view workflow_name) {
  ODMD_RETURN_IF_ERROR(CheckName(workflow_name));
  const std::string key = WorkflowTokenKey(workflow_name);
  std::lock_guard<std::mutex> lock(workflow_tokens_mu_);
  Result<store::Entry> sealed = store_.Get(key);
  if (sealed.ok()) return secrets_.Open(sealed->value);
  if (!IsNotFound(sealed.status())) return sealed.status();
  if (!world()->policy().HasWorkflow(workflow_name)) return NoSuchGroup(workflow_name);
  ODMD_RETURN_IF_ERROR(IssueWorkflowTokensLocked({std::string(workflow_name)}));
  ODMD_ASSIGN_OR_RETURN(store::Entry issued, store_.Get(key));
  return secrets_.Open(issued.value);
}

Result<nlohmann::json> Platform::Impl::RecordRotation(const access::Principal& who,
                                                      std::string_view workflow_name) {
  ODMD_RETURN_IF_ERROR(CheckName(workflow_name));
  if (!world()->policy().HasWorkflow(workflow_name)) return NoSuchGroup(workflow_name);
  const std::string name(workflow_name);
  ODMD_ASSIGN_OR_RETURN(std::string key,
                        RecordInbox({"rotate", {{"workflow", name}, {"who", who.ToString()}}, ""}));
  return nlohmann::json{{"workflow", name},
                        {"secret", gen::WorkflowSecretName(name)},
                        {"accepted", true},
                        {"inbox", key}};
}

Result<std::string> Platform::Impl::RotateWorkflowToken(std::string_view workflow_name,
                                                        std::vector<store::BatchOp> with) {
  ODMD_RETURN_IF_ERROR(CheckName(workflow_name));
  std::lock_guard<std::mutex> lock(workflow_tokens_mu_);
  if (!world()->policy().HasWorkflow(workflow_name)) return NoSuchGroup(workflow_name);
  const access::Principal who = access::Principal::Workflow(std::string(workflow_name));
  const std::string key = WorkflowTokenKey(workflow_name);
  std::string current;
  store::Revision revision = 0;
  Result<store::Entry> sealed = store_.Get(key);
  if (sealed.ok()) {
    ODMD_ASSIGN_OR_RETURN(current, secrets_.Open(sealed->value));
    revision = sealed->revision;
  } else if (!IsNotFound(sealed.status())) {
    return sealed.status();
  }
  CollectingStore collecting(store_);
  access::TokenRegistry registry(collecting, clock_);
  // The current token becomes the previous one; the one before it is revoked.
  ODMD_RETURN_IF_ERROR(registry.RevokeAllBut(who, current));
  ODMD_ASSIGN_OR_RETURN(std::string token, registry.Issue(who));
  std::vector<store::BatchOp> ops = std::move(collecting.ops());
  ops.push_back(store::BatchOp::Put(key, secrets_.Seal(token), revision));
  for (store::BatchOp& op : with) ops.push_back(std::move(op));
  Event e;
  e.kind = "workflow.token.rotated";
  e.message = "the token of workflow " + std::string(workflow_name) + " was rotated (new id " +
              access::TokenId(token) + "); the previous one stays valid until the next rotation";
  e.suggestion = "put the new token into the repository secret the workflow reads";
  e.fields = {{"workflow", std::string(workflow_name)}, {"id", access::TokenId(token)}};
  std::vector<Event> told;
  told.push_back(std::move(e));
  ODMD_RETURN_IF_ERROR(events().Commit(std::move(ops), told));
  return token;
}

Status Platform::Impl::CheckActsFor(const access::Principal& who, std::string_view enver_id) {
  WorldPtr w = world();
  if (w->policy().ActsFor(who, enver_id)) return OkStatus();
  std::optional<std::string> group = w->policy().WorkflowOf(enver_id);
  return PermissionDeniedError(
      "principal " + who.ToString() + " may not act for enver " + std::string(enver_id) +
      (group ? ": that is for its own token or its workflow's (workflow:" + *group + ")"
             : ": it is not in the published contracts nor a live clone"));
}

// --- the public class forwards to Impl ---

Status Platform::CheckActsFor(const access::Principal& who, std::string_view enver_id) {
  return impl_->CheckActsFor(who, enver_id);
}
Result<std::string> Platform::WorkflowToken(std::string_view workflow_name) {
  return impl_->WorkflowToken(workflow_name);
}
Result<std::string> Platform::RotateWorkflowToken(std::string_view workflow_name) {
  return impl_->RotateWorkflowToken(workflow_name);
}

}  // namespace odmd::reconcile

// GitHubApi: workflow_dispatch, workflow runs, the repository public key and secrets.
#include <sodium.h>

#include <cctype>

#include "errors.h"
#include "json_fields.h"
#include "odmd/base/base64.h"
#include "odmd/base/strings.h"
#include "odmd/github/api.h"
#include "repo_path.h"

namespace odmd::github {
namespace {

WorkflowRun RunFromJson(const nlohmann::json& j) {
  WorkflowRun run;
  run.id = IntField(j, "id").value_or(0);
  run.name = StringField(j, "name").value_or("");
  run.path = StringField(j, "path").value_or("");
  run.head_branch = StringField(j, "head_branch").value_or("");
  run.head_sha = StringField(j, "head_sha").value_or("");
  run.event = StringField(j, "event").value_or("");
  run.status = StringField(j, "status").value_or("");
  run.conclusion = StringField(j, "conclusion");
  run.html_url = StringField(j, "html_url").value_or("");
  run.display_title = StringField(j, "display_title").value_or("");
  run.run_number = IntField(j, "run_number").value_or(0);
  run.run_attempt = IntField(j, "run_attempt").value_or(0);
  run.created_at = StringField(j, "created_at").value_or("");
  run.updated_at = StringField(j, "updated_at").value_or("");
  return run;
}

bool ValidSecretName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  if (AsciiToLower(name).starts_with("github_")) return false;
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string Query(const RunFilter& f) {
  std::string q = "?per_page=" + std::to_string(f.per_page);
  const std::pair<const char*, const std::string*> params[] = {
      {"branch", &f.branch}, {"event", &f.event}, {"status", &f.status}, {"head_sha", &f.head_sha}};
  for (const auto& [name, value] : params) {
    if (!value->empty()) q += std::string("&") + name + "=" + EscapePath(*value);
  }
  return q;
}

}  // namespace

Result<std::optional<int64_t>> GitHubApi::DispatchWorkflow(
    const RepoRef& repo, std::string_view workflow, std::string_view ref,
    const std::map<std::string, std::string>& inputs) {
  nlohmann::json body{{"ref", ref}, {"inputs", nlohmann::json::object()}};
  for (const auto& [k, v] : inputs) body["inputs"][k] = v;
  const bool details = !client_.enterprise_server();
  if (details) body["return_run_details"] = true;
  const Call call{"actions/create-workflow-dispatch", "POST",
                  RepoPath(repo) + "/actions/workflows/" + EscapePath(workflow) + "/dispatches",
                  std::move(body), /*idempotent=*/false};
  ODMD_ASSIGN_OR_RETURN(ApiResponse r, Do(repo, call));
  if (!details && r.status == 204) return std::optional<int64_t>();
  const auto id = IntField(r.body, "workflow_run_id");
  if (!id) {
    return InternalError(CallName(call) + ": " + std::to_string(r.status) +
                         " answer has no workflow_run_id");
  }
  return std::optional<int64_t>(*id);
}

Result<WorkflowRun> GitHubApi::GetWorkflowRun(const RepoRef& repo, int64_t run_id) {
  const Call call{"actions/get-workflow-run", "GET",
                  RepoPath(repo) + "/actions/runs/" + std::to_string(run_id), std::nullopt};
  ODMD_ASSIGN_OR_RETURN(ApiResponse r, Do(repo, call));
  WorkflowRun run = RunFromJson(r.body);
  if (run.id != run_id) return InternalError(CallName(call) + ": the answer is another run");
  return run;
}

Result<std::vector<WorkflowRun>> GitHubApi::ListWorkflowRuns(const RepoRef& repo,
                                                             std::string_view workflow,
                                                             const RunFilter& filter) {
  if (filter.per_page < 1 || filter.per_page > 100) {
    return InvalidArgumentError("github list runs: per_page " + std::to_string(filter.per_page) +
                                " is outside 1..100");
  }
  const bool one = !workflow.empty();
  const std::string base =
      RepoPath(repo) + "/actions/" +
      (one ? "workflows/" + EscapePath(workflow) + "/runs" : std::string("runs"));
  const Call call{one ? "actions/list-workflow-runs" : "actions/list-workflow-runs-for-repo", "GET",
                  base + Query(filter), std::nullopt};
  ODMD_ASSIGN_OR_RETURN(ApiResponse r, Do(repo, call));
  const auto& runs = ObjectField(r.body, "workflow_runs");
  if (!runs.is_array()) return InternalError(CallName(call) + ": the answer has no workflow_runs");
  std::vector<WorkflowRun> out;
  for (const auto& j : runs) out.push_back(RunFromJson(j));
  return out;
}

Result<RepoPublicKey> GitHubApi::GetRepoPublicKey(const RepoRef& repo) {
  const Call call{"actions/get-repo-public-key", "GET",
                  RepoPath(repo) + "/actions/secrets/public-key", std::nullopt};
  ODMD_ASSIGN_OR_RETURN(ApiResponse r, Do(repo, call));
  const auto key_id = StringField(r.body, "key_id");
  const auto key = StringField(r.body, "key");
  if (!key_id || !key) return InternalError(CallName(call) + ": the answer has no key_id and key");
  return RepoPublicKey{*key_id, *key};
}

Status GitHubApi::PutRepoSecret(const RepoRef& repo, std::string_view name,
                                std::string_view value) {
  if (!ValidSecretName(name)) {
    return InvalidArgumentError("github secret " + Quote(name) + " of " + repo.owner + "/" +
                                repo.name +
                                ": a name is [A-Za-z_][A-Za-z0-9_]* and not GITHUB_...");
  }
  ODMD_ASSIGN_OR_RETURN(RepoPublicKey key, GetRepoPublicKey(repo));
  ODMD_ASSIGN_OR_RETURN(std::string sealed, SealSecret(key.key, value));
  const Call call{"actions/create-or-update-repo-secret", "PUT",
                  RepoPath(repo) + "/actions/secrets/" + EscapePath(name),
                  nlohmann::json{{"encrypted_value", sealed}, {"key_id", key.key_id}}};
  return Do(repo, call).status();
}

Result<std::string> SealSecret(std::string_view public_key_base64, std::string_view plaintext) {
  const auto key = FromBase64(public_key_base64);
  if (!key || key->size() != crypto_box_PUBLICKEYBYTES) {
    return InvalidArgumentError("github public key is not 32 bytes of base64");
  }
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  std::string sealed(crypto_box_SEALBYTES + plaintext.size(), '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()),
                  reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                  reinterpret_cast<const unsigned char*>(key->data()));
  return Base64(sealed);
}

}  // namespace odmd::github

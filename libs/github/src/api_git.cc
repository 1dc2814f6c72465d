// GitHubApi: refs, contents and the Git data API.
#include "errors.h"
#include "json_fields.h"
#include "odmd/base/base64.h"
#include "odmd/github/api.h"
#include "repo_path.h"

namespace odmd::github {

std::string RepoPath(const RepoRef& repo) {
  return "/repos/" + EscapePath(repo.owner) + "/" + EscapePath(repo.name);
}

Result<ApiResponse> GitHubApi::Do(const RepoRef& repo, Call call) {
  return client_.AsInstallation(repo.installation_id, call);
}

Result<std::optional<ApiResponse>> GitHubApi::DoOptional(const RepoRef& repo, Call call) {
  if (auto token = client_.InstallationToken(repo.installation_id); !token.ok()) {
    return token.status().WithContext(CallName(call));
  }
  auto r = Do(repo, call);
  if (!r.ok() && IsNotFound(r.status())) return std::optional<ApiResponse>();
  if (!r.ok()) return r.status();
  return std::optional<ApiResponse>(std::move(r).value());
}

Result<Repository> GitHubApi::GetRepo(const RepoRef& repo) {
  const Call call{"repos/get", "GET", RepoPath(repo), std::nullopt};
  ODMD_ASSIGN_OR_RETURN(ApiResponse r, Do(repo, call));
  Repository out;
  out.full_name = StringField(r.body, "full_name").value_or("");
  out.default_branch = StringField(r.body, "default_branch").value_or("");
  if (out.default_branch.empty()) {
    return InternalError(CallName(call) + ": the answer has no default_branch");
  }
  return out;
}

Result<std::optional<std::string>> GitHubApi::GetRef(const RepoRef& repo, std::string_view ref) {
  const Call call{"git/get-ref", "GET", RepoPath(repo) + "/git/ref/" + EscapePath(ref, true),
                  std::nullopt};
  ODMD_ASSIGN_OR_RETURN(std::optional<ApiResponse> r, DoOptional(repo, call));
  if (!r) return std::optional<std::string>();
  const auto sha = StringField(ObjectField(r->body, "object"), "sha");
  if (!sha) return InternalError(CallName(call) + ": the answer has no object.sha");
  return std::optional<std::string>(*sha);
}

Status GitHubApi::CreateRef(const RepoRef& repo, std::string_view ref, std::string_view sha) {
  const Call call{"git/create-ref", "POST", RepoPath(repo) + "/git/refs",
                  nlohmann::json{{"ref", ref}, {"sha", sha}}};
  return Do(repo, call).status();
}

Status GitHubApi::UpdateRef(const RepoRef& repo, std::string_view ref, std::string_view sha,
                            bool force) {
  const Call call{"git/update-ref", "PATCH", RepoPath(repo) + "/git/refs/" + EscapePath(ref, true),
                  nlohmann::json{{"sha", sha}, {"force", force}}};
  return Do(repo, call).status();
}

Result<std::optional<FileContent>> GitHubApi::GetFile(const RepoRef& repo, std::string_view path,
                                                      std::string_view ref) {
  const Call call{
      "repos/get-content", "GET",
      RepoPath(repo) + "/contents/" + EscapePath(path, true) + "?ref=" + EscapePath(ref),
      std::nullopt};
  ODMD_ASSIGN_OR_RETURN(std::optional<ApiResponse> r, DoOptional(repo, call));
  if (!r) return std::optional<FileContent>();
  if (StringField(r->body, "type") != "file") {
    return FailedPreconditionError(CallName(call) + ": not a file");
  }
  const auto sha = StringField(r->body, "sha");
  const auto content = StringField(r->body, "content");
  if (!sha || !content || StringField(r->body, "encoding") != "base64") {
    return InternalError(CallName(call) + ": the answer has no base64 content and sha");
  }
  auto bytes = FromBase64(*content);
  if (!bytes) return InternalError(CallName(call) + ": the content is not base64");
  return std::optional<FileContent>(FileContent{*sha, std::move(*bytes)});
}

Result<GitCommit> GitHubApi::GetCommit(const RepoRef& repo, std::string_view sha) {
  const Call call{"git/get-commit", "GET", RepoPath(repo) + "/git/commits/" + EscapePath(sha),
                  std::nullopt};
  ODMD_ASSIGN_OR_RETURN(ApiResponse r, Do(repo, call));
  GitCommit c;
  c.sha = StringField(r.body, "sha").value_or("");
  c.tree_sha = StringField(ObjectField(r.body, "tree"), "sha").value_or("");
  c.message = StringField(r.body, "message").value_or("");
  const auto& parents = ObjectField(r.body, "parents");
  if (parents.is_array()) {
    for (const auto& p : parents) c.parents.push_back(StringField(p, "sha").value_or(""));
  }
  if (c.sha.empty() || c.tree_sha.empty()) {
    return InternalError(CallName(call) + ": the answer has no sha and tree.sha");
  }
  return c;
}

namespace {

Result<std::string> ShaOf(const Call& call, const Result<ApiResponse>& r) {
  if (!r.ok()) return r.status();
  const auto sha = StringField(r->body, "sha");
  if (!sha) return InternalError(CallName(call) + ": the answer has no sha");
  return *sha;
}

}  // namespace

Result<std::string> GitHubApi::CreateBlob(const RepoRef& repo, std::string_view content) {
  const Call call{"git/create-blob", "POST", RepoPath(repo) + "/git/blobs",
                  nlohmann::json{{"content", Base64(content)}, {"encoding", "base64"}}};
  return ShaOf(call, Do(repo, call));
}

Result<std::string> GitHubApi::CreateTree(const RepoRef& repo, std::string_view base_tree,
                                          const std::vector<TreeEntry>& entries) {
  nlohmann::json tree = nlohmann::json::array();
  for (const auto& e : entries) {
    tree.push_back({{"path", e.path},
                    {"mode", e.mode},
                    {"type", "blob"},
                    {"sha", e.sha ? nlohmann::json(*e.sha) : nlohmann::json(nullptr)}});
  }
  nlohmann::json body{{"tree", std::move(tree)}};
  if (!base_tree.empty()) body["base_tree"] = base_tree;
  const Call call{"git/create-tree", "POST", RepoPath(repo) + "/git/trees", std::move(body)};
  return ShaOf(call, Do(repo, call));
}

Result<std::string> GitHubApi::CreateCommit(const RepoRef& repo, std::string_view message,
                                            std::string_view tree_sha,
                                            const std::vector<std::string>& parents) {
  const Call call{"git/create-commit", "POST", RepoPath(repo) + "/git/commits",
                  nlohmann::json{{"message", message}, {"tree", tree_sha}, {"parents", parents}}};
  return ShaOf(call, Do(repo, call));
}

}  // namespace odmd::github

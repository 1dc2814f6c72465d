// Reads GitHub's workflow_run and workflow_job deliveries: the GitHub runner follows its
// dispatched runs by them (docs/github.md, "The GitHub runner").
#include "odmd/base/strings.h"
#include "odmd/reconcile/github_push.h"

namespace odmd::reconcile {
namespace {

using json = nlohmann::json;

class Fields {
 public:
  explicit Fields(std::string_view event) : event_(event) {}

  Result<const json*> Object(const json& parent, const std::string& pointer,
                             std::string_view key) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_object()) return Bad(pointer, "is missing or not an object");
    return &*it;
  }
  Result<std::string> String(const json& parent, const std::string& pointer, std::string_view key,
                             bool nullable = false) const {
    auto it = parent.find(key);
    if (it != parent.end() && nullable && it->is_null()) return std::string();
    if (it == parent.end() || !it->is_string()) return Bad(pointer, "is missing or not a string");
    return it->get<std::string>();
  }
  Result<std::int64_t> Id(const json& parent, const std::string& pointer,
                          std::string_view key) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0) {
      return Bad(pointer, "is missing or not a positive integer");
    }
    return it->get<std::int64_t>();
  }

 private:
  Status Bad(const std::string& pointer, std::string_view problem) const {
    return InvalidArgumentError(Quote(event_) + " payload: field \"" + pointer + "\" " +
                                std::string(problem));
  }
  std::string event_;
};

}  // namespace

Result<WorkflowRunEvent> ParseWorkflowRunEvent(std::string_view event, const json& root) {
  const Fields f(event);
  const bool job = event == "workflow_job";
  const std::string key = job ? "workflow_job" : "workflow_run";
  const std::string at = "/" + key;
  WorkflowRunEvent out;
  ODMD_ASSIGN_OR_RETURN(out.action, f.String(root, "/action", "action"));
  ODMD_ASSIGN_OR_RETURN(const json* repo, f.Object(root, "/repository", "repository"));
  ODMD_ASSIGN_OR_RETURN(out.repository, f.String(*repo, "/repository/full_name", "full_name"));
  const size_t slash = out.repository.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == out.repository.size()) {
    return InvalidArgumentError(Quote(event) + " payload: field \"/repository/full_name\" " +
                                Quote(out.repository) + " is not \"owner/name\"");
  }
  if (auto inst = root.find("installation"); inst != root.end() && inst->is_object()) {
    ODMD_ASSIGN_OR_RETURN(out.installation_id, f.Id(*inst, "/installation/id", "id"));
  }
  ODMD_ASSIGN_OR_RETURN(const json* run, f.Object(root, at, key));
  ODMD_ASSIGN_OR_RETURN(out.run_id,
                        f.Id(*run, at + (job ? "/run_id" : "/id"), job ? "run_id" : "id"));
  ODMD_ASSIGN_OR_RETURN(out.status, f.String(*run, at + "/status", "status"));
  ODMD_ASSIGN_OR_RETURN(out.conclusion,
                        f.String(*run, at + "/conclusion", "conclusion", /*nullable=*/true));
  ODMD_ASSIGN_OR_RETURN(out.html_url, f.String(*run, at + "/html_url", "html_url"));
  if (job) {
    ODMD_ASSIGN_OR_RETURN(out.job_name, f.String(*run, at + "/name", "name"));
  }
  return out;
}

}  // namespace odmd::reconcile

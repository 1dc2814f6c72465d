#include "show_details.h"

#include <string>
#include <vector>

#include "odmd/base/strings.h"
#include "odmd/model/docs.h"
#include "odmd/model/naming.h"
#include "odmd/model/platform_names.h"

namespace odmd::cli {
namespace {

// The original platform's names around one enver.
struct PlatformNames {
  std::string artifact_bucket;
  std::string workflow_status;
  std::string build_stack;
  std::string enver_stack;
};

PlatformNames DerivePlatformNames(const model::Org& org, const model::Build& build,
                                  const model::Enver& enver) {
  const model::Account* target = org.FindAccount(enver.account);
  std::string account_id = target != nullptr ? target->id : "";
  std::string account_name = target != nullptr ? target->name : enver.account;
  PlatformNames n;
  n.artifact_bucket = model::ArtifactBucketPath(build.id, account_id);
  n.workflow_status = model::WorkflowStatusPath(
      build.repo, enver.rev,
      model::WorkflowFilePath(build.id, build.kind, enver.region, account_name));
  n.build_stack = model::PlatformBuildStackName(build.id, account_id);
  n.enver_stack = model::PlatformEnverStackName(build.id, account_id, enver.rev);
  return n;
}

// One setting: its effective value and the model's default for it, as text and JSON.
struct Setting {
  std::string name;  // as printed
  std::string key;   // the manifest member
  nlohmann::json value;
  nlohmann::json default_value;
  std::string note;                       // what the value means, or ""
  std::string default_label = "default";  // "default for kind cdk" when it depends on the kind
};

// The per-enver flags with the model's defaults.
std::vector<Setting> FlagSettings(const model::Build& build, const model::Enver& enver) {
  const model::Enver defaults;  // the model's defaults (ephemeral's depends on the kind)
  bool default_ephemeral = model::DefaultEphemeral(build.kind);
  return {
      {"ephemeral", "ephemeral", enver.ephemeral, default_ephemeral,
       enver.ephemeral ? "its resources may be torn down freely" : "its resources are kept",
       "default for kind " + std::string(model::BuildKindName(build.kind))},
      {"build script", "buildScript", enver.build_script, defaults.build_script, ""},
      {"work dir", "workDir", enver.work_dir, defaults.work_dir,
       enver.work_dir.empty() ? "the repository root" : ""},
      {"clone limit", "cloneLimit", enver.clone_limit, defaults.clone_limit, ""},
      {"overwrite workflow", "overwriteWorkflow", enver.overwrite_workflow,
       defaults.overwrite_workflow,
       enver.overwrite_workflow ? "the platform replaces the workflow file, edits included"
                                : "a workflow file edited by the user is kept"},
  };
}

// Every setting: the flags, then the doc paths (model/docs.h: the Markdown files in the
// repository that describe the build and the enver, with the original's defaults).
std::vector<Setting> Settings(const model::Build& build, const model::Enver& enver) {
  std::vector<Setting> settings = FlagSettings(build, enver);
  constexpr std::string_view kDocLabels[] = {"service overview", "service context",
                                             "enver context"};
  std::vector<model::DocPath> docs = model::DocPaths(build, enver);
  for (size_t i = 0; i < docs.size() && i < std::size(kDocLabels); ++i) {
    settings.push_back({std::string(kDocLabels[i]), std::string(docs[i].member), docs[i].path,
                        std::string(docs[i].default_path), ""});
  }
  return settings;
}

std::string SettingText(const Setting& s) {
  std::string text = s.value.is_string() ? Quote(s.value.get<std::string>()) : s.value.dump();
  text += s.value == s.default_value
              ? " (" + s.default_label + ")"
              : " (set; " + s.default_label + ": " + s.default_value.dump() + ")";
  if (!s.note.empty()) text += ": " + s.note;
  return text;
}

}  // namespace

void PrintEnverDetails(Io& io, const model::Org& org, const model::Build& build,
                       const model::Enver& enver) {
  PlatformNames n = DerivePlatformNames(org, build, enver);
  io.out << "artifact bucket:       " << n.artifact_bucket << "\n"
         << "workflow status:       " << n.workflow_status << "\n"
         << "platform stacks:       " << n.build_stack << " " << n.enver_stack << "\n"
         << "settings:\n";
  for (const Setting& s : Settings(build, enver)) {
    std::string label = s.name;
    label.resize(20, ' ');
    io.out << "  " << label << SettingText(s) << "\n";
  }
}

nlohmann::json EnverDetailsJson(const model::Org& org, const model::Build& build,
                                const model::Enver& enver) {
  PlatformNames n = DerivePlatformNames(org, build, enver);
  nlohmann::json settings = nlohmann::json::object();
  for (const Setting& s : Settings(build, enver)) {
    settings[s.key] = {{"value", s.value},
                       {"default", s.default_value},
                       {"isDefault", s.value == s.default_value}};
  }
  return {{"artifactBucketPath", n.artifact_bucket},
          {"workflowStatusPath", n.workflow_status},
          {"platformStacks",
           {{"build", n.build_stack},
            {"buildPath", model::PlatformStackPath(build.id, n.build_stack)},
            {"enver", n.enver_stack},
            {"enverPath", model::PlatformStackPath(build.id, n.enver_stack)}}},
          {"settings", settings}};
}

}  // namespace odmd::cli

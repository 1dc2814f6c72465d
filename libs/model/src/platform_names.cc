// The original platform's names around an enver (platform_names.h). Plain concatenation, as
// in naming.cc: these are read by the original's tools byte for byte.

#include "odmd/model/platform_names.h"

namespace odmd::model {
namespace {

bool IsStackChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

std::string ArtifactBucketPath(std::string_view build, std::string_view account_id) {
  std::string out = "/odmd-config/";
  out += build;
  out += "/buildArtifactBucketName/";
  out += account_id;
  return out;
}

std::string WorkflowStatusPath(const Repo& repo, const RevRef& rev,
                               std::string_view workflow_file_path) {
  std::string out = "/odmd-github/" + repo.owner + "/" + repo.name + "/" + rev.value() + "/";
  out += workflow_file_path;
  return out;
}

std::string PlatformBuildStackName(std::string_view build, std::string_view account_id) {
  std::string out = "odmd-BUILD-";
  out += build;
  out += '-';
  out += account_id;
  return out;
}

std::string PlatformEnverStackName(std::string_view build, std::string_view account_id,
                                   const RevRef& rev) {
  std::string out = "odmd-ctl-BUILD-";
  out += build;
  out += '-';
  out += account_id;
  out += "-pp-";
  for (char c : rev.value()) {
    if (IsStackChar(c)) out += c;
  }
  return out;
}

std::string PlatformStackPath(std::string_view build, std::string_view stack_name) {
  std::string out = "/odmd-managed-stack/";
  out += build;
  out += '/';
  out += stack_name;
  return out;
}

}  // namespace odmd::model

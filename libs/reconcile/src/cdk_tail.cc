// The CDK tail: stacks of a cloud assembly, their declared parameters, the `cdk deploy`
// command line and the products read from its outputs file.

#include "cdk_tail.h"

#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "nlohmann/json.hpp"
#include "odmd/base/strings.h"
#include "odmd/model/naming.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;

Result<nlohmann::json> ReadJsonFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailedPreconditionError("cannot read " + Quote(path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return FailedPreconditionError(Quote(path.string()) + " is not a JSON object");
  }
  return j;
}

std::string StringOr(const nlohmann::json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

std::vector<std::string> EnverStackNames(const model::Build& build, const model::Enver& enver) {
  return model::StackNames(build, enver);
}

bool RunsCdkTail(model::BuildKind kind) { return model::CiType(kind) == "CdkGithubWF"; }

Result<AssemblyStack> FindAssemblyStack(const fs::path& cdk_out, const std::string& stack) {
  std::error_code ec;
  if (!fs::is_directory(cdk_out, ec)) {
    return FailedPreconditionError(
        "the build script synthesised no cloud assembly: " + Quote(cdk_out.string()) +
        " does not exist (run `cdk synth` or the app with outdir "
        "cdk.out in the build script)");
  }
  const fs::path manifest_file = cdk_out / "manifest.json";
  ODMD_ASSIGN_OR_RETURN(nlohmann::json manifest, ReadJsonFile(manifest_file));
  auto artifacts = manifest.find("artifacts");
  if (artifacts != manifest.end() && artifacts->is_object()) {
    for (const auto& [id, artifact] : artifacts->items()) {
      if (!artifact.is_object() || StringOr(artifact, "type", "") != "aws:cloudformation:stack") {
        continue;
      }
      const nlohmann::json props = artifact.value("properties", nlohmann::json::object());
      if (!props.is_object() || StringOr(props, "stackName", id) != stack) continue;
      const std::string templ = StringOr(props, "templateFile", "");
      if (templ.empty()) {
        return FailedPreconditionError(Quote(manifest_file.string()) + ": stack " + Quote(stack) +
                                       " has no templateFile");
      }
      return AssemblyStack{StringOr(artifact, "displayName", id), cdk_out / templ};
    }
  }
  return NotFoundError("the cloud assembly " + Quote(cdk_out.string()) + " has no stack " +
                       Quote(stack) + " (the enver's stacks, in order, are ODMD_stack_names)");
}

Result<std::set<std::string>> TemplateParameters(const fs::path& template_file) {
  ODMD_ASSIGN_OR_RETURN(nlohmann::json templ, ReadJsonFile(template_file));
  std::set<std::string> out;
  auto params = templ.find("Parameters");
  if (params == templ.end()) return out;
  if (!params->is_object()) {
    return FailedPreconditionError(Quote(template_file.string()) +
                                   ": \"Parameters\" is not an object");
  }
  for (const auto& [name, unused] : params->items()) out.insert(name);
  return out;
}

std::map<std::string, std::string> DeployParameters(const model::Build& build,
                                                    const model::Enver& enver,
                                                    const std::string& sha,
                                                    const std::string& dep_rev) {
  return {{"odmdBuildId", build.id},
          {"buildSrcRev", sha},
          {"buildSrcRef", enver.rev.str()},
          {"buildSrcRepo", build.repo.FullName()},
          {"odmdDepRev", dep_rev}};
}

std::string DependencyRevision(const std::vector<ConsumedValue>& consumed) {
  if (consumed.empty()) return "none";
  std::string text;
  for (const ConsumedValue& v : consumed) {
    text += v.consumer + "=" + v.path + "@" +
            (v.placeholder ? std::string("placeholder") : std::to_string(v.version)) + "\n";
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::vector<std::string> CdkDeployArgv(const std::vector<std::string>& cdk,
                                       const std::string& app_dir, const std::string& selector,
                                       const std::string& outputs_file,
                                       const std::map<std::string, std::string>& parameters) {
  std::vector<std::string> argv = cdk;
  argv.emplace_back("deploy");
  argv.push_back(selector);
  for (const std::string& a :
       {std::string("--app"), app_dir, std::string("--exclusively"),
        std::string("--require-approval"), std::string("never"), std::string("--method=direct"),
        std::string("--no-previous-parameters"), std::string("--no-notices"),
        std::string("--outputs-file"), outputs_file}) {
    argv.push_back(a);
  }
  for (const auto& [name, value] : parameters) {
    argv.push_back("--parameters");
    argv.push_back(name + "=" + value);
  }
  return argv;
}

Result<std::map<std::string, std::string>> StackProducts(const std::string& outputs_json,
                                                         const std::string& stack) {
  nlohmann::json all = nlohmann::json::parse(outputs_json, nullptr, false);
  if (!all.is_object()) {
    return FailedPreconditionError("the outputs file of stack " + Quote(stack) +
                                   " is not a JSON object");
  }
  std::map<std::string, std::string> out;
  auto outputs = all.find(stack);
  if (outputs == all.end() || !outputs->is_object()) return out;
  auto products = outputs->find(kProductsOutput);
  if (products == outputs->end()) return out;
  const std::string where = "output " + std::string(kProductsOutput) + " of stack " + Quote(stack);
  if (!products->is_string()) return FailedPreconditionError(where + " is not a string");
  nlohmann::json values = nlohmann::json::parse(products->get<std::string>(), nullptr, false);
  if (!values.is_object()) {
    return FailedPreconditionError(where + " is not a JSON object {product: value}");
  }
  for (const auto& [name, value] : values.items()) {
    out[name] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

}  // namespace odmd::reconcile

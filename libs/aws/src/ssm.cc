#include "odmd/aws/ssm.h"

namespace odmd::aws {
namespace {

constexpr char kSsmTarget[] = "AmazonSSM";

Parameter FromJson(const nlohmann::json& p) {
  return Parameter{p.value("Name", ""), p.value("Value", ""), p.value("Type", ""),
                   p.value("Version", int64_t{0})};
}

std::string ParameterSubject(const std::string& name) { return "parameter \"" + name + "\""; }

}  // namespace

Result<int64_t> SsmClient::PutParameter(const std::string& name, const std::string& value,
                                        bool overwrite, const std::string& type) {
  nlohmann::json body = {
      {"Name", name}, {"Value", value}, {"Type", type}, {"Overwrite", overwrite}};
  ODMD_ASSIGN_OR_RETURN(nlohmann::json j, client_.Json(kSsm, kSsmTarget, "PutParameter", body,
                                                       ParameterSubject(name)));
  return j.value("Version", int64_t{0});
}

Result<Parameter> SsmClient::GetParameter(const std::string& name) {
  ODMD_ASSIGN_OR_RETURN(nlohmann::json j, client_.Json(kSsm, kSsmTarget, "GetParameter",
                                                       {{"Name", name}}, ParameterSubject(name)));
  if (!j.contains("Parameter") || !j["Parameter"].is_object()) {
    return InternalError("ssm GetParameter " + ParameterSubject(name) +
                         ": no Parameter in the answer");
  }
  return FromJson(j["Parameter"]);
}

Result<std::vector<Parameter>> SsmClient::GetParametersByPath(const std::string& path,
                                                              bool recursive) {
  std::vector<Parameter> out;
  std::string token;
  do {
    nlohmann::json body = {{"Path", path}, {"Recursive", recursive}};
    if (!token.empty()) body["NextToken"] = token;
    ODMD_ASSIGN_OR_RETURN(nlohmann::json j, client_.Json(kSsm, kSsmTarget, "GetParametersByPath",
                                                         body, "path \"" + path + "\""));
    for (const nlohmann::json& p : j.value("Parameters", nlohmann::json::array())) {
      out.push_back(FromJson(p));
    }
    token = j.value("NextToken", "");
  } while (!token.empty());
  return out;
}

Result<std::vector<Parameter>> SsmClient::GetParameterHistory(const std::string& name) {
  std::vector<Parameter> out;
  std::string token;
  do {
    nlohmann::json body = {{"Name", name}};
    if (!token.empty()) body["NextToken"] = token;
    ODMD_ASSIGN_OR_RETURN(nlohmann::json j, client_.Json(kSsm, kSsmTarget, "GetParameterHistory",
                                                         body, ParameterSubject(name)));
    for (const nlohmann::json& p : j.value("Parameters", nlohmann::json::array())) {
      out.push_back(FromJson(p));
    }
    token = j.value("NextToken", "");
  } while (!token.empty());
  return out;
}

}  // namespace odmd::aws

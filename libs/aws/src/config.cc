#include "odmd/aws/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "ini.h"

namespace odmd::aws {
namespace {

std::string Get(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> v = env(name);
  return v ? *v : std::string();
}

// The file's sections, or an empty Ini when the file does not exist.
Result<internal::Ini> ReadIni(const std::string& path) {
  std::ifstream in(path);
  if (!in) return internal::Ini{};
  std::stringstream text;
  text << in.rdbuf();
  return internal::ParseIni(text.str(), path);
}

const std::map<std::string, std::string>* Section(const internal::Ini& ini,
                                                  const std::string& name) {
  auto it = ini.find(name);
  return it == ini.end() ? nullptr : &it->second;
}

std::string Value(const std::map<std::string, std::string>* s, const std::string& key) {
  if (s == nullptr) return "";
  auto it = s->find(key);
  return it == s->end() ? "" : it->second;
}

bool FromSection(const std::map<std::string, std::string>* s, Credentials& out) {
  if (Value(s, "aws_access_key_id").empty() || Value(s, "aws_secret_access_key").empty()) {
    return false;
  }
  out = {Value(s, "aws_access_key_id"), Value(s, "aws_secret_access_key"),
         Value(s, "aws_session_token")};
  return true;
}

}  // namespace

std::string AwsConfig::EndpointFor(const Service& service) const {
  std::string url;
  if (auto it = service_endpoints.find(service.env_id); it != service_endpoints.end()) {
    url = it->second;
  } else if (!endpoint_url.empty()) {
    url = endpoint_url;
  } else {
    url = std::string("https://") + service.host_prefix + "." + region + ".amazonaws.com";
  }
  if (url.empty() || url.back() != '/') url += '/';
  return url;
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

Result<AwsConfig> LoadConfig(const EnvLookup& env) {
  AwsConfig config;
  const std::string home = Get(env, "HOME");
  std::string cred_path = Get(env, "AWS_SHARED_CREDENTIALS_FILE");
  if (cred_path.empty() && !home.empty()) cred_path = home + "/.aws/credentials";
  std::string config_path = Get(env, "AWS_CONFIG_FILE");
  if (config_path.empty() && !home.empty()) config_path = home + "/.aws/config";
  std::string profile = Get(env, "AWS_PROFILE");
  if (profile.empty()) profile = "default";

  ODMD_ASSIGN_OR_RETURN(internal::Ini creds_ini, ReadIni(cred_path));
  ODMD_ASSIGN_OR_RETURN(internal::Ini config_ini, ReadIni(config_path));
  const auto* cred_section = Section(creds_ini, profile);
  const auto* config_section =
      Section(config_ini, profile == "default" ? "default" : "profile " + profile);

  config.region = Get(env, "AWS_REGION");
  if (config.region.empty()) config.region = Get(env, "AWS_DEFAULT_REGION");
  if (config.region.empty()) config.region = Value(config_section, "region");
  if (config.region.empty()) {
    return InvalidArgumentError(
        "no AWS region: set AWS_REGION or AWS_DEFAULT_REGION, or region in profile \"" + profile +
        "\" of " + config_path);
  }

  const std::string akid = Get(env, "AWS_ACCESS_KEY_ID");
  const std::string secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (!akid.empty() && !secret.empty()) {
    config.credentials = {akid, secret, Get(env, "AWS_SESSION_TOKEN")};
  } else if (!FromSection(cred_section, config.credentials) &&
             !FromSection(config_section, config.credentials)) {
    return UnauthenticatedError(
        "no AWS credentials: looked in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and profile \"" +
        profile + "\" of " + cred_path + " and " + config_path);
  }

  config.endpoint_url = Get(env, "AWS_ENDPOINT_URL");
  if (config.endpoint_url.empty()) config.endpoint_url = Value(config_section, "endpoint_url");
  for (const Service* s : {&kSts, &kCloudFormation, &kSsm, &kEventBridge, &kSecretsManager}) {
    std::string url = Get(env, std::string("AWS_ENDPOINT_URL_") + s->env_id);
    if (!url.empty()) config.service_endpoints[s->env_id] = url;
  }
  return config;
}

}  // namespace odmd::aws

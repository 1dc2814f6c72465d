#include "odmd/github/app_settings.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "odmd/base/strings.h"

namespace odmd::github {
namespace {

std::string Pick(const std::string& flag, const EnvLookup& env, std::string_view var) {
  if (!flag.empty()) return flag;
  return env(var).value_or("");
}

Result<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return InvalidArgumentError(std::string(what) + ": cannot read " + Quote(path));
  return text.str();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<AppSettings> LoadAppSettings(const AppFlags& flags, const EnvLookup& env) {
  AppSettings s;
  std::string url = Pick(flags.api_url, env, "ODMD_GITHUB_API_URL");
  if (!url.empty()) s.api_url = url;
  while (s.api_url.ends_with('/')) s.api_url.pop_back();
  if (!s.api_url.starts_with("https://") && !s.api_url.starts_with("http://")) {
    return InvalidArgumentError("--github-api-url / ODMD_GITHUB_API_URL: " + Quote(s.api_url) +
                                " is not an http(s) URL");
  }
  s.app_id = Pick(flags.app_id, env, "ODMD_GITHUB_APP_ID");
  if (s.app_id.empty()) {
    return InvalidArgumentError("github app: no app id (--github-app-id or ODMD_GITHUB_APP_ID)");
  }
  s.private_key_file = Pick(flags.private_key_file, env, "ODMD_GITHUB_APP_KEY_FILE");
  if (s.private_key_file.empty()) {
    return InvalidArgumentError(
        "github app: no private key file (--github-app-key-file or ODMD_GITHUB_APP_KEY_FILE)");
  }
  ODMD_ASSIGN_OR_RETURN(s.private_key_pem,
                        ReadSecretFile(s.private_key_file, "github app private key"));
  const std::string secret_file =
      Pick(flags.webhook_secret_file, env, "ODMD_GITHUB_WEBHOOK_SECRET_FILE");
  if (!secret_file.empty()) {
    ODMD_ASSIGN_OR_RETURN(std::string secret, ReadSecretFile(secret_file, "github webhook secret"));
    s.webhook_secret = std::string(StripAsciiWhitespace(secret));
  } else {
    s.webhook_secret = env("ODMD_GITHUB_WEBHOOK_SECRET").value_or("");
  }
  return s;
}

}  // namespace odmd::github

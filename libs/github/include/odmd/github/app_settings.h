#pragma once

// Where the platform's GitHub App credentials come from: flags first, then the
// environment, never the contracts (a contracts repository is readable by every build).
//
//   --github-api-url URL           ODMD_GITHUB_API_URL      default https://api.github.com;
//                                                           Enterprise Server: https://HOST/api/v3
//   --github-app-id ID             ODMD_GITHUB_APP_ID
//   --github-app-key-file FILE     ODMD_GITHUB_APP_KEY_FILE the app's private key (PEM)
//   --github-webhook-secret-file F ODMD_GITHUB_WEBHOOK_SECRET_FILE, or the value itself in
//                                  ODMD_GITHUB_WEBHOOK_SECRET

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd::github {

inline constexpr std::string_view kDefaultApiUrl = "https://api.github.com";

struct AppSettings {
  std::string api_url = std::string(kDefaultApiUrl);  // no trailing '/'
  std::string app_id;
  std::string private_key_pem;   // never printed
  std::string private_key_file;  // where the key was read, for messages
  std::string webhook_secret;    // never printed; empty: webhooks are refused
};

// What the command line gave; empty means "not given".
struct AppFlags {
  std::string api_url = {};
  std::string app_id = {};
  std::string private_key_file = {};
  std::string webhook_secret_file = {};
};

// Reads one environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup ProcessEnv();

// The settings from `flags`, each missing one from `env`. INVALID_ARGUMENT naming the flag
// and the variable when the app id or key file is missing, the URL is not http(s), or a file
// cannot be read (the message names the file, never its contents).
Result<AppSettings> LoadAppSettings(const AppFlags& flags, const EnvLookup& env);

}  // namespace odmd::github

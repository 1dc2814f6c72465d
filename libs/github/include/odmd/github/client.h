#pragma once

// The core of the GitHub App client: authenticates each call (the app's JWT for /app/...,
// an installation access token for everything else), sends it through the Transport,
// waits out rate limits and retries transient failures through the Sleeper, revalidates
// cached GETs with ETags, and turns GitHub's errors into a Status naming the call, the
// path and GitHub's status and message. Never puts a token or key in a message.
//
// Status codes: 401 -> UNAUTHENTICATED; 403 -> PERMISSION_DENIED; 404 -> NOT_FOUND;
// 409 -> FAILED_PRECONDITION; 422 -> INVALID_ARGUMENT ("already exists": ALREADY_EXISTS);
// a rate limit not over in time -> RESOURCE_EXHAUSTED; 5xx and no answer after the last
// attempt (at once for a Call that is not idempotent) -> UNAVAILABLE; other statuses ->
// FAILED_PRECONDITION.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/github/app_jwt.h"
#include "odmd/github/app_settings.h"
#include "odmd/github/transport.h"

namespace odmd::github {

// Waits between attempts. Production: RealSleeper(); unit tests record the waits.
using Sleeper = std::function<void(std::chrono::milliseconds)>;
Sleeper RealSleeper();

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds first_delay{1000};  // 5xx / no answer; doubles each retry
  std::chrono::milliseconds max_delay{60000};
  // A secondary rate limit without retry-after waits at least this (GitHub: one minute).
  std::chrono::milliseconds secondary_limit_delay{60000};
  // A wait longer than this (a primary limit resetting in 40 minutes) is not slept: the
  // call fails RESOURCE_EXHAUSTED at once, naming when the limit resets.
  std::chrono::milliseconds max_wait{std::chrono::minutes(2)};
};

// An installation token is renewed this long before GitHub's expires_at.
inline constexpr std::chrono::minutes kTokenRenewBefore{5};
inline constexpr std::string_view kApiVersion = "2022-11-28";
inline constexpr std::string_view kUserAgent = "odmd";

// One REST call.
struct Call {
  std::string name;    // GitHub's operationId, "git/get-ref": named in errors
  std::string method;  // GET, POST, PATCH, PUT, DELETE
  std::string path;    // "/repos/o/r/git/ref/heads/main[?query]", already escaped
  std::optional<nlohmann::json> body;
  // false: a 5xx or no answer is not retried, since GitHub may have acted on the call (a
  // workflow_dispatch: retrying could start a second run). The caller finds out what
  // happened (list the runs) before trying again. Rate-limit answers are retried either way:
  // GitHub did not act on those.
  bool idempotent = true;
};

struct ApiResponse {
  long status = 0;
  nlohmann::json body;      // null when GitHub sent none (204)
  bool from_cache = false;  // a 304: body is the cached one
};

// Thread-safe (the token and ETag caches are locked; exchanges run unlocked) when the
// Transport is. Concurrent first calls for one installation may each create a token; the
// last one is cached (GitHub allows many live tokens per installation).
class GitHubClient {
 public:
  // INVALID_ARGUMENT when the private key is unusable (AppJwtSigner::Create). `transport` and
  // `clock` must outlive the client.
  static Result<std::unique_ptr<GitHubClient>> Create(const AppSettings& settings,
                                                      Transport& transport, const Clock& clock,
                                                      Sleeper sleeper, RetryPolicy retry = {});

  // A call authenticated as the app (JWT): /app, /app/installations/...
  Result<ApiResponse> AsApp(const Call& call);

  // A call with an access token of installation `installation_id`, created on first use
  // and cached until kTokenRenewBefore before it expires; a 401 drops it and the call is
  // retried once with a new one.
  Result<ApiResponse> AsInstallation(int64_t installation_id, const Call& call);

  // The cached or a new access token (POST /app/installations/{id}/access_tokens).
  // NOT_FOUND for an unknown installation, UNAUTHENTICATED when GitHub refuses the JWT
  // (a revoked or wrong key, a wrong app id).
  Result<std::string> InstallationToken(int64_t installation_id);

  const std::string& api_url() const { return api_url_; }
  // True when the API lives under /api/v3: GitHub Enterprise Server, whose REST API lacks
  // some newer features of api.github.com (a dispatch's return_run_details).
  bool enterprise_server() const { return api_url_.ends_with("/api/v3"); }

 private:
  struct CachedToken {
    std::string token;
    std::chrono::system_clock::time_point expires_at;
  };
  struct CachedBody {
    std::string etag;
    nlohmann::json body;
  };

  GitHubClient(std::string api_url, std::unique_ptr<AppJwtSigner> signer, Transport& transport,
               const Clock& clock, Sleeper sleeper, RetryPolicy retry);

  Result<ApiResponse> Execute(std::optional<int64_t> installation, const Call& call);
  Result<std::string> Authorization(std::optional<int64_t> installation);
  HttpRequest BuildRequest(const Call& call, const std::string& authorization,
                           const std::string& cache_key);
  // The wait a rate-limited or failed answer asks for, or nullopt when it is final.
  std::optional<std::chrono::milliseconds> RetryDelay(const HttpResponse& response, int attempt);
  Result<ApiResponse> Finish(const Call& call, const std::string& cache_key, HttpResponse r);
  void DropToken(int64_t installation_id);

  std::string api_url_;
  std::unique_ptr<AppJwtSigner> signer_;
  Transport& transport_;
  const Clock& clock_;
  Sleeper sleeper_;
  RetryPolicy retry_;

  std::mutex mu_;
  std::map<int64_t, CachedToken> tokens_;    // GUARDED_BY(mu_)
  std::map<std::string, CachedBody> etags_;  // GUARDED_BY(mu_); key "<who> <path>"
};

// `segment` %-escaped for a URL path: RFC 3986 unreserved characters kept, and '/' too
// when `keep_slash` (a file path or a ref such as heads/feature/x).
std::string EscapePath(std::string_view segment, bool keep_slash = false);

}  // namespace odmd::github

#include "odmd/github/client.h"

#include <algorithm>
#include <thread>

#include "errors.h"
#include "odmd/base/strings.h"

namespace odmd::github {
namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxCachedBodies = 512;

bool IsSuccess(long status) { return status >= 200 && status < 300; }
bool IsTransient(long status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

// A header's non-negative integer value, at most 10^12 (a retry-after or reset of any size
// must neither throw nor overflow when turned into milliseconds).
std::optional<long long> HeaderNumber(const HttpResponse& r, std::string_view name) {
  const auto v = r.Header(name);
  if (!v || v->empty() || v->size() > 12) return std::nullopt;
  for (const char c : *v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoll(*v);
}

bool MentionsSecondaryLimit(const std::string& body) {
  const std::string lower = AsciiToLower(body);
  return lower.find("secondary rate limit") != std::string::npos ||
         lower.find("abuse detection") != std::string::npos;
}

}  // namespace

Sleeper RealSleeper() {
  return [](milliseconds d) { std::this_thread::sleep_for(d); };
}

std::string EscapePath(std::string_view segment, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::unique_ptr<GitHubClient>> GitHubClient::Create(const AppSettings& settings,
                                                           Transport& transport, const Clock& clock,
                                                           Sleeper sleeper, RetryPolicy retry) {
  auto signer = AppJwtSigner::Create(settings.app_id, settings.private_key_pem);
  if (!signer.ok()) {
    return signer.status().WithContext("github app key file " + Quote(settings.private_key_file));
  }
  std::string url = settings.api_url;
  while (url.ends_with('/')) url.pop_back();
  return std::unique_ptr<GitHubClient>(new GitHubClient(
      std::move(url), std::move(signer).value(), transport, clock, std::move(sleeper), retry));
}

GitHubClient::GitHubClient(std::string api_url, std::unique_ptr<AppJwtSigner> signer,
                           Transport& transport, const Clock& clock, Sleeper sleeper,
                           RetryPolicy retry)
    : api_url_(std::move(api_url)),
      signer_(std::move(signer)),
      transport_(transport),
      clock_(clock),
      sleeper_(std::move(sleeper)),
      retry_(retry) {}

Result<ApiResponse> GitHubClient::AsApp(const Call& call) { return Execute(std::nullopt, call); }

Result<ApiResponse> GitHubClient::AsInstallation(int64_t installation_id, const Call& call) {
  return Execute(installation_id, call);
}

Result<std::string> GitHubClient::InstallationToken(int64_t installation_id) {
  {
    std::lock_guard lock(mu_);
    const auto it = tokens_.find(installation_id);
    if (it != tokens_.end() && clock_.WallNow() + kTokenRenewBefore < it->second.expires_at) {
      return it->second.token;
    }
  }
  const std::string id = std::to_string(installation_id);
  const Call call{"apps/create-installation-access-token", "POST",
                  "/app/installations/" + id + "/access_tokens", nlohmann::json::object()};
  ODMD_ASSIGN_OR_RETURN(ApiResponse r, AsApp(call));
  const auto& body = r.body;
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string() ||
      !body.contains("expires_at") || !body["expires_at"].is_string()) {
    return InternalError(CallName(call) + ": the answer has no token and expires_at");
  }
  const auto expires = ParseTimestamp(body["expires_at"].get<std::string>());
  if (!expires) return InternalError(CallName(call) + ": expires_at is not a UTC timestamp");
  std::lock_guard lock(mu_);
  tokens_[installation_id] = {body["token"].get<std::string>(), *expires};
  return tokens_[installation_id].token;
}

void GitHubClient::DropToken(int64_t installation_id) {
  std::lock_guard lock(mu_);
  tokens_.erase(installation_id);
}

Result<std::string> GitHubClient::Authorization(std::optional<int64_t> installation) {
  if (installation) {
    ODMD_ASSIGN_OR_RETURN(std::string token, InstallationToken(*installation));
    return "token " + token;
  }
  ODMD_ASSIGN_OR_RETURN(std::string jwt, signer_->Sign(clock_.WallNow()));
  return "Bearer " + jwt;
}

HttpRequest GitHubClient::BuildRequest(const Call& call, const std::string& authorization,
                                       const std::string& cache_key) {
  HttpRequest request{call.method, api_url_ + call.path, {}, ""};
  request.headers = {{"Accept", "application/vnd.github+json"},
                     {"User-Agent", std::string(kUserAgent)},
                     {"X-GitHub-Api-Version", std::string(kApiVersion)},
                     {"Authorization", authorization}};
  if (call.body) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = call.body->dump();
  }
  if (call.method == "GET") {
    std::lock_guard lock(mu_);
    const auto it = etags_.find(cache_key);
    if (it != etags_.end()) request.headers.emplace_back("If-None-Match", it->second.etag);
  }
  return request;
}

std::optional<milliseconds> GitHubClient::RetryDelay(const HttpResponse& r, int attempt) {
  milliseconds backoff = retry_.first_delay;
  for (int i = 1; i < attempt; ++i) backoff = std::min(backoff * 2, retry_.max_delay);
  if (r.status == 403 || r.status == 429) {
    if (const auto after = HeaderNumber(r, "retry-after")) return milliseconds(*after * 1000);
    if (HeaderNumber(r, "x-ratelimit-remaining") == 0) {
      const auto reset = HeaderNumber(r, "x-ratelimit-reset").value_or(0);
      const auto now = clock_.WallNow().time_since_epoch();
      const auto wait = std::chrono::seconds(reset) - now + std::chrono::seconds(1);
      return std::max(milliseconds(1000), std::chrono::duration_cast<milliseconds>(wait));
    }
    if (r.status == 429 || MentionsSecondaryLimit(r.body)) {
      return std::max(backoff, retry_.secondary_limit_delay);
    }
    return std::nullopt;
  }
  if (IsTransient(r.status)) return backoff;
  return std::nullopt;
}

Result<ApiResponse> GitHubClient::Finish(const Call& call, const std::string& cache_key,
                                         HttpResponse r) {
  std::lock_guard lock(mu_);
  if (r.status == 304) {
    const auto it = etags_.find(cache_key);
    if (it == etags_.end()) return HttpError(call, r);
    return ApiResponse{200, it->second.body, true};
  }
  ApiResponse out{r.status, nullptr, false};
  if (!r.body.empty()) {
    out.body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (out.body.is_discarded()) {
      return InternalError(CallName(call) + ": " + std::to_string(r.status) +
                           " answer is not JSON");
    }
  }
  const auto etag = r.Header("etag");
  if (call.method == "GET" && etag && !etag->empty()) {
    if (etags_.size() >= kMaxCachedBodies) etags_.clear();
    etags_[cache_key] = {*etag, out.body};
  }
  return out;
}

Result<ApiResponse> GitHubClient::Execute(std::optional<int64_t> installation, const Call& call) {
  const std::string cache_key =
      (installation ? std::to_string(*installation) : std::string("app")) + " " + call.path;
  bool renewed_token = false;
  for (int attempt = 1;; ++attempt) {
    auto authorization = Authorization(installation);
    if (!authorization.ok()) return authorization.status().WithContext(CallName(call));
    auto sent = transport_.Send(BuildRequest(call, *authorization, cache_key));
    if (!sent.ok()) {
      if (attempt >= retry_.max_attempts || !call.idempotent) {
        return sent.status().WithContext(CallName(call));
      }
      sleeper_(std::min(retry_.first_delay * (1 << std::min(attempt - 1, 16)), retry_.max_delay));
      continue;
    }
    HttpResponse r = std::move(sent).value();
    if (IsSuccess(r.status) || r.status == 304) return Finish(call, cache_key, std::move(r));
    if (r.status == 401 && installation && !renewed_token) {
      DropToken(*installation);  // revoked or expired early: one retry with a new token
      renewed_token = true;
      continue;
    }
    const bool limited = r.status == 403 || r.status == 429;
    const auto delay = RetryDelay(r, attempt);
    if (!delay || (!limited && !call.idempotent)) return HttpError(call, r);
    if (attempt >= retry_.max_attempts || *delay > retry_.max_wait) {
      const Status last = HttpError(call, r);
      if (!limited) return last;
      return ResourceExhaustedError(last.message() + ": rate limited; retry in " +
                                    std::to_string(delay->count() / 1000) + " s");
    }
    sleeper_(*delay);
  }
}

}  // namespace odmd::github

#include "store_access.h"

#include <filesystem>
#include <utility>

#include "common.h"
#include "odmd/access/tokens.h"
#include "odmd/store/open_config_store.h"

namespace odmd::cli {

void AddStoreFlags(CLI::App& sub, StoreFlags& flags) {
  sub.add_option("--store", flags.url,
                 "Store URL: sqlite:<path>, sqlite::memory: or postgres://user@host/db")
      ->envname("ODMD_STORE")
      ->capture_default_str();
  sub.add_option("--token", flags.token,
                 "Act as this token's principal (default: admin, the local operator who "
                 "already holds the store's files or credentials)")
      ->envname("ODMD_TOKEN");
  AddJsonFlag(sub, flags.json);
}

StoreSession::StoreSession(store::ConfigStorePtr raw, access::AccessPolicy policy,
                           access::Principal principal)
    : raw_(std::move(raw)),
      policy_(std::move(policy)),
      principal_(std::move(principal)),
      view_(std::make_unique<access::GuardedConfigStore>(*raw_, policy_, principal_)) {}

StoreSession::~StoreSession() = default;

Result<std::unique_ptr<StoreSession>> StoreSession::Open(const StoreFlags& flags, Clock& clock) {
  store::StoreOptions options;
  options.url = flags.url;
  ODMD_ASSIGN_OR_RETURN(store::ConfigStorePtr raw, store::OpenConfigStore(options));
  access::Principal principal = access::Principal::Admin();
  if (!flags.token.empty()) {
    access::TokenRegistry tokens(*raw, clock);
    Result<access::Principal> who = tokens.Authenticate(flags.token);
    if (!who.ok()) return who.status().WithContext("--token");
    principal = std::move(who).value();
  }
  Result<access::AccessPolicy> policy = access::AccessPolicy::Load(*raw);
  Status policy_status = policy.status();
  if (!policy.ok()) {
    // Admin needs no rules: the local operator must still be able to repair a malformed
    // manifest or clone record, so admin goes on with a policy that knows no envers.
    if (principal.kind != access::Principal::Kind::kAdmin) return policy.status();
    policy = access::AccessPolicy();
  }
  auto session = std::unique_ptr<StoreSession>(
      new StoreSession(std::move(raw), std::move(policy).value(), std::move(principal)));
  session->policy_status_ = std::move(policy_status);
  return session;
}

Status StoreSession::RequireAdmin(std::string_view what) const {
  if (principal_.kind == access::Principal::Kind::kAdmin) return OkStatus();
  return PermissionDeniedError(std::string(what) + " needs the admin principal, not " +
                               principal_.ToString());
}

std::unique_ptr<StoreSession> OpenSessionOrReport(Io& io, const StoreFlags& flags) {
  Result<std::unique_ptr<StoreSession>> session = StoreSession::Open(flags, io.clock);
  if (!session.ok()) {
    ReportFailure(io, flags.json, session.status());
    return nullptr;
  }
  const Status& policy = (*session)->policy_status();
  if (!policy.ok()) {
    io.err << "odmd: warning: " << policy.message() << " (admin goes on without enver rules)\n";
  }
  return std::move(session).value();
}

std::unique_ptr<StoreSession> OpenAdminSessionOrReport(Io& io, const StoreFlags& flags,
                                                       std::string_view what) {
  auto session = OpenSessionOrReport(io, flags);
  if (!session) return nullptr;
  Status admin = session->RequireAdmin(what);
  if (!admin.ok()) {
    ReportFailure(io, flags.json, admin);
    return nullptr;
  }
  return session;
}

std::string DefaultSecretKeyFile(std::string_view store_url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (store_url.starts_with(kSqlite)) {
    std::string_view path = store_url.substr(kSqlite.size());
    if (!path.empty() && path != ":memory:") {
      return (std::filesystem::path(path).parent_path() / "secret.key").string();
    }
  }
  return "./.odmd/secret.key";
}

Result<std::string> ValueOrFile(bool has_value, const std::string& value, const std::string& file) {
  if (has_value && !file.empty()) {
    return InvalidArgumentError("give the value either as an argument or with --file, not both");
  }
  if (!has_value && file.empty()) {
    return InvalidArgumentError(
        "no value: give it as an argument or with --file PATH (- for stdin)");
  }
  if (has_value) return value;
  return ReadInput(file);
}

}  // namespace odmd::cli

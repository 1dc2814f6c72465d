#pragma once

// The options every store-backed command shares (--store, --token, --json), and the
// session they open: the store, the access policy read from it, the principal the command
// acts as, and that principal's guarded view of the store.

#include <memory>
#include <string>
#include <string_view>

#include "command.h"
#include "odmd/access/guarded_config_store.h"
#include "odmd/access/policy.h"
#include "odmd/access/principal.h"
#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

namespace odmd::cli {

// The store used when neither --store nor ODMD_STORE is given.
inline constexpr std::string_view kDefaultStoreUrl = "sqlite:./.odmd/state.db";

struct StoreFlags {
  // --store URL, else env ODMD_STORE, else kDefaultStoreUrl.
  std::string url = std::string(kDefaultStoreUrl);
  // --token TOKEN, else env ODMD_TOKEN; empty: act as admin (the local operator).
  std::string token;
  // --json: machine-readable output, errors as {"ok": false, "error": {...}}.
  bool json = false;
};

// Declares --store, --token and --json on `sub`.
void AddStoreFlags(CLI::App& sub, StoreFlags& flags);

// One command's view of the store. Not thread-safe (one per invocation).
class StoreSession {
 public:
  // Opens the store named by `flags.url` (errors of store::OpenConfigStore as they are),
  // loads the access policy from it and resolves the principal: with a token,
  // TokenRegistry::Authenticate (kUnauthenticated for an unknown or revoked token, the
  // token never in the message); without one, admin. A policy that cannot be loaded (a
  // malformed manifest or clone record) fails the session, except for admin, which goes
  // on with a policy that knows no envers (see policy_status()).
  static Result<std::unique_ptr<StoreSession>> Open(const StoreFlags& flags, Clock& clock);

  StoreSession(const StoreSession&) = delete;
  StoreSession& operator=(const StoreSession&) = delete;
  ~StoreSession();

  // The principal's view: every read and write checked by the policy, secret values
  // empty. Store commands go through this.
  store::ConfigStore& view() { return *view_; }
  // The store itself, for the token and secret registries, which check the principal
  // themselves.
  store::ConfigStore& raw() { return *raw_; }
  const access::AccessPolicy& policy() const { return policy_; }
  const access::Principal& principal() const { return principal_; }
  // Why the policy could not be loaded (admin sessions only), or OK.
  const Status& policy_status() const { return policy_status_; }

  // OK for admin; kPermissionDenied "<what> needs the admin principal, not <principal>".
  Status RequireAdmin(std::string_view what) const;

 private:
  StoreSession(store::ConfigStorePtr raw, access::AccessPolicy policy, access::Principal principal);

  store::ConfigStorePtr raw_;
  access::AccessPolicy policy_;
  access::Principal principal_;
  Status policy_status_;
  std::unique_ptr<access::GuardedConfigStore> view_;
};

// Opens the session or reports why not (ReportFailure). Returns nullptr after reporting.
std::unique_ptr<StoreSession> OpenSessionOrReport(Io& io, const StoreFlags& flags);

// As OpenSessionOrReport, and also reports (RequireAdmin(what)) a principal that is not
// admin.
std::unique_ptr<StoreSession> OpenAdminSessionOrReport(Io& io, const StoreFlags& flags,
                                                       std::string_view what);

// The secret key file used when --secret-key-file is not given: "secret.key" beside the
// SQLite file for a sqlite:<path> url, "./.odmd/secret.key" otherwise.
std::string DefaultSecretKeyFile(std::string_view store_url);

// Reads a command's value: exactly one of the positional `value` (when `has_value`) and
// `file` (a path, or "-" for standard input) must be given. kInvalidArgument otherwise.
Result<std::string> ValueOrFile(bool has_value, const std::string& value, const std::string& file);

}  // namespace odmd::cli

#include <string>
#include <utility>

#include "denial.h"
#include "odmd/access/secrets.h"
#include "odmd/base/strings.h"

namespace odmd::access {
namespace {

constexpr size_t kMaxSecretNameLength = 128;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// The sealed plaintext is "<key path>\0<value>": a record copied under another secret's key
// still decrypts, but no longer matches its key, so it is refused.
std::string Frame(std::string_view path, std::string_view value) {
  std::string framed;
  framed.reserve(path.size() + 1 + value.size());
  framed.append(path);
  framed.push_back('\0');
  framed.append(value);
  return framed;
}

std::string Describe(std::string_view enver_id, std::string_view name) {
  return "secret " + Quote(name) + " of enver " + Quote(enver_id);
}

}  // namespace

Status ValidateSecretName(std::string_view name) {
  if (name.empty() || name.size() > kMaxSecretNameLength) {
    return InvalidArgumentError("secret name " + Quote(name) + ": must be 1 to " +
                                std::to_string(kMaxSecretNameLength) + " characters");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return InvalidArgumentError("secret name " + Quote(name) +
                                  ": only letters, digits, '.', '_' and '-' are allowed");
    }
  }
  return OkStatus();
}

std::string SecretPath(std::string_view enver_id, std::string_view name) {
  return std::string(kSecretsPrefix) + std::string(enver_id) + "/" + std::string(name);
}

SecretStore::SecretStore(store::ConfigStore& store, const SecretBox& box,
                         const AccessPolicy& policy)
    : store_(store), box_(box), policy_(policy) {}

Status SecretStore::Authorize(const Principal& who, Access access, std::string_view enver_id,
                              std::string_view key, bool admin_allowed) const {
  bool owner = who.kind == Principal::Kind::kEnver && who.enver_id == enver_id;
  bool admin = who.kind == Principal::Kind::kAdmin && admin_allowed;
  if (!owner && !admin) {
    return DenyAccess(who, access, key,
                      admin_allowed ? "only admin and the owning enver manage secrets"
                                    : "secret values are decrypted only for the owning enver");
  }
  if (!policy_.HasEnver(enver_id)) {
    return NotFoundError("enver " + Quote(enver_id) +
                         " not found (neither declared nor a live clone)");
  }
  return OkStatus();
}

Result<store::WriteResult> SecretStore::Put(const Principal& who, std::string_view enver_id,
                                            std::string_view name, std::string_view value) {
  ODMD_RETURN_IF_ERROR(ValidateSecretName(name));
  std::string path = SecretPath(enver_id, name);
  ODMD_RETURN_IF_ERROR(Authorize(who, Access::kWrite, enver_id, path, true));
  return store_.Put(path, box_.Seal(Frame(path, value)), std::nullopt);
}

Result<std::string> SecretStore::Get(const Principal& who, std::string_view enver_id,
                                     std::string_view name) {
  ODMD_RETURN_IF_ERROR(ValidateSecretName(name));
  std::string path = SecretPath(enver_id, name);
  ODMD_RETURN_IF_ERROR(Authorize(who, Access::kRead, enver_id, path, false));
  Result<store::Entry> entry = store_.Get(path);
  if (IsNotFound(entry.status())) return NotFoundError(Describe(enver_id, name) + " not found");
  if (!entry.ok()) return entry.status();
  Result<std::string> opened = box_.Open(entry->value);
  if (!opened.ok()) {
    return FailedPreconditionError(Describe(enver_id, name) +
                                   " cannot be decrypted: " + opened.status().message());
  }
  std::string header = Frame(path, "");
  if (!opened->starts_with(header)) {
    return FailedPreconditionError(Describe(enver_id, name) +
                                   " cannot be decrypted: it was sealed for another key");
  }
  return opened->substr(header.size());
}

Result<std::vector<SecretInfo>> SecretStore::List(const Principal& who, std::string_view enver_id) {
  std::string prefix = SecretPath(enver_id, "");
  ODMD_RETURN_IF_ERROR(Authorize(who, Access::kRead, enver_id, prefix, true));
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> entries, store_.List(prefix));
  std::vector<SecretInfo> out;
  out.reserve(entries.size());
  for (const store::Entry& e : entries) {
    out.push_back(SecretInfo{e.key.substr(prefix.size()), e.version, e.revision});
  }
  return out;
}

Result<store::WriteResult> SecretStore::Delete(const Principal& who, std::string_view enver_id,
                                               std::string_view name) {
  ODMD_RETURN_IF_ERROR(ValidateSecretName(name));
  std::string path = SecretPath(enver_id, name);
  ODMD_RETURN_IF_ERROR(Authorize(who, Access::kWrite, enver_id, path, true));
  Result<store::WriteResult> deleted = store_.Delete(path, std::nullopt);
  if (IsNotFound(deleted.status())) return NotFoundError(Describe(enver_id, name) + " not found");
  return deleted;
}

}  // namespace odmd::access

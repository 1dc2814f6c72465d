#include "odmd/access/guarded_config_store.h"

#include <utility>

#include "denial.h"

namespace odmd::access {
namespace {

bool IsSecretKey(std::string_view key) { return IsUnderDir(key, kSecretsPrefix); }

void BlankSecret(store::Entry& entry) {
  if (IsSecretKey(entry.key)) entry.value.clear();
}

}  // namespace

GuardedConfigStore::GuardedConfigStore(store::ConfigStore& base, const AccessPolicy& policy,
                                       Principal principal)
    : base_(base), policy_(policy), principal_(std::move(principal)) {}

// A malformed key gets the store's own kInvalidArgument, not a denial that would hide the
// real mistake.
Status GuardedConfigStore::CheckKey(Access access, std::string_view key) const {
  ODMD_RETURN_IF_ERROR(store::ValidateKey(key));
  return policy_.Check(principal_, access, key);
}

// ConfigStore

Result<store::Entry> GuardedConfigStore::Get(std::string_view key) {
  ODMD_RETURN_IF_ERROR(CheckKey(Access::kRead, key));
  ODMD_ASSIGN_OR_RETURN(store::Entry entry, base_.Get(key));
  BlankSecret(entry);
  return entry;
}

Result<store::Entry> GuardedConfigStore::GetVersion(std::string_view key, store::Version version) {
  ODMD_RETURN_IF_ERROR(CheckKey(Access::kRead, key));
  ODMD_ASSIGN_OR_RETURN(store::Entry entry, base_.GetVersion(key, version));
  BlankSecret(entry);
  return entry;
}

Result<store::WriteResult> GuardedConfigStore::Put(std::string_view key, std::string_view value,
                                                   std::optional<store::Revision> if_revision) {
  ODMD_RETURN_IF_ERROR(CheckKey(Access::kWrite, key));
  return base_.Put(key, value, if_revision);
}

Result<store::WriteResult> GuardedConfigStore::Delete(std::string_view key,
                                                      std::optional<store::Revision> if_revision) {
  ODMD_RETURN_IF_ERROR(CheckKey(Access::kWrite, key));
  return base_.Delete(key, if_revision);
}

Result<std::vector<store::WriteResult>> GuardedConfigStore::WriteBatch(
    std::span<const store::BatchOp> ops) {
  // Malformed ops get the store's own kInvalidArgument first, as in CheckKey.
  ODMD_RETURN_IF_ERROR(store::ValidateBatch(ops));
  for (std::size_t i = 0; i < ops.size(); ++i) {
    Status allowed = policy_.Check(principal_, Access::kWrite, ops[i].key);
    if (!allowed.ok()) return store::AtBatchOp(i, ops[i].key, allowed);
  }
  return base_.WriteBatch(ops);
}

void GuardedConfigStore::FilterReadable(std::vector<store::Entry>& entries) const {
  std::erase_if(entries, [this](const store::Entry& e) {
    return !policy_.Check(principal_, Access::kRead, e.key).ok();
  });
  for (store::Entry& e : entries) BlankSecret(e);
}

Result<std::vector<store::Entry>> GuardedConfigStore::List(std::string_view prefix) {
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> entries, base_.List(prefix));
  FilterReadable(entries);
  return entries;
}

Result<std::vector<store::Entry>> GuardedConfigStore::ListAt(std::string_view prefix,
                                                             store::Revision at) {
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> entries, base_.ListAt(prefix, at));
  FilterReadable(entries);
  return entries;
}

Result<std::vector<store::Entry>> GuardedConfigStore::History(std::string_view key) {
  ODMD_RETURN_IF_ERROR(CheckKey(Access::kRead, key));
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> entries, base_.History(key));
  for (store::Entry& e : entries) BlankSecret(e);
  return entries;
}

Result<store::Revision> GuardedConfigStore::LatestRevision() { return base_.LatestRevision(); }

Result<store::WatchHandlePtr> GuardedConfigStore::Watch(std::string_view prefix,
                                                        store::Revision after,
                                                        store::ChangeSink sink) {
  // The filter runs on the store's watch thread; it holds copies of what it needs except
  // the policy, which the caller keeps alive (see the header).
  auto filter = [policy = &policy_, principal = principal_,
                 sink = std::move(sink)](const store::ChangeEvent& event) {
    if (!policy->Check(principal, Access::kRead, event.key).ok()) return;
    if (!IsSecretKey(event.key) || event.value.empty()) {
      sink(event);
      return;
    }
    store::ChangeEvent blanked = event;
    blanked.value.clear();
    sink(blanked);
  };
  return base_.Watch(prefix, after, std::move(filter));
}

}  // namespace odmd::access

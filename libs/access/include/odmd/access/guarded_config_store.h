#pragma once

// GuardedConfigStore: one principal's view of a ConfigStore, a decorator in the style of
// testing/faulty_config_store.h. Every call is checked against an AccessPolicy:
//   Get, GetVersion, History  need read access to the key;
//   Put, Delete               need write access to the key;
//   WriteBatch                needs write access to every key of the batch: one denial
//                             refuses the whole batch (naming the op), nothing written;
//   List, ListAt, Watch       silently leave out keys the principal may not read (asking
//                             for a prefix is not a denial);
//   LatestRevision            is open to every principal.
// A denial is kPermissionDenied naming the principal, the access and the key, and reaches
// nothing below (nothing written). A malformed key or prefix is kInvalidArgument, as from
// the store itself.
//
// Secret material never leaves through this view: every record and event for a key under
// /odmd/secrets/ carries an empty value, for every principal (admin included). Secrets are
// read through SecretStore (secrets.h).
//
// Thread-safe. `base` and `policy` must outlive the view and every watch it made.

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "odmd/access/policy.h"
#include "odmd/access/principal.h"
#include "odmd/store/config_store.h"

namespace odmd::access {

class GuardedConfigStore final : public store::ConfigStore {
 public:
  GuardedConfigStore(store::ConfigStore& base, const AccessPolicy& policy, Principal principal);

  const Principal& principal() const { return principal_; }

  // ConfigStore
  Result<store::Entry> Get(std::string_view key) override;
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override;
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override;
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override;
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override;
  Result<std::vector<store::Entry>> List(std::string_view prefix) override;
  Result<std::vector<store::Entry>> ListAt(std::string_view prefix, store::Revision at) override;
  Result<std::vector<store::Entry>> History(std::string_view key) override;
  Result<store::Revision> LatestRevision() override;
  Result<store::WatchHandlePtr> Watch(std::string_view prefix, store::Revision after,
                                      store::ChangeSink sink) override;

 private:
  Status CheckKey(Access access, std::string_view key) const;
  // What List and ListAt return: `entries` without the keys the principal may not read, and
  // secret values blanked.
  void FilterReadable(std::vector<store::Entry>& entries) const;

  store::ConfigStore& base_;
  const AccessPolicy& policy_;
  const Principal principal_;
};

}  // namespace odmd::access

#pragma once

// ForwardingConfigStore: a ConfigStore that passes every call to another. Derive from it to
// change a few calls and override only those: a lease's fenced view (its writes), tests that
// count the Gets of a prefix or the Watches of another. Header-only.

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/store/config_store.h"
#include "odmd/store/leader_lease.h"

namespace odmd::store {

class ForwardingConfigStore : public ConfigStore {
 public:
  // Wraps `base`, which must outlive this object.
  explicit ForwardingConfigStore(ConfigStore& base) : base_(base) {}
  // Wraps and owns `base`.
  explicit ForwardingConfigStore(ConfigStorePtr base) : owned_(std::move(base)), base_(*owned_) {}

  Result<Entry> Get(std::string_view key) override { return base_.Get(key); }
  Result<Entry> GetVersion(std::string_view key, Version version) override {
    return base_.GetVersion(key, version);
  }
  Result<WriteResult> Put(std::string_view key, std::string_view value,
                          std::optional<Revision> if_revision) override {
    return base_.Put(key, value, if_revision);
  }
  Result<WriteResult> Delete(std::string_view key, std::optional<Revision> if_revision) override {
    return base_.Delete(key, if_revision);
  }
  Result<std::vector<WriteResult>> WriteBatch(std::span<const BatchOp> ops) override {
    return base_.WriteBatch(ops);
  }
  Result<std::vector<Entry>> List(std::string_view prefix) override { return base_.List(prefix); }
  Result<std::vector<Entry>> ListAt(std::string_view prefix, Revision at) override {
    return base_.ListAt(prefix, at);
  }
  Result<std::vector<Entry>> History(std::string_view key) override { return base_.History(key); }
  Result<Revision> LatestRevision() override { return base_.LatestRevision(); }
  Result<WatchHandlePtr> Watch(std::string_view prefix, Revision after, ChangeSink sink) override {
    return base_.Watch(prefix, after, std::move(sink));
  }
  Result<LeaderLeasePtr> NewLeaderLease(const LeaseOptions& options) override {
    return base_.NewLeaderLease(options);
  }

 private:
  ConfigStorePtr owned_;
  ConfigStore& base_;
};

}  // namespace odmd::store

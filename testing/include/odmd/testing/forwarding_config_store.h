#pragma once

// ForwardingConfigStore: a ConfigStore that passes every call to another, for tests that
// watch or change a few calls (count the Gets of a prefix, the Watches of another) and
// override only those. Header-only, so odmd_testing does not depend on odmd_store.

#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/store/config_store.h"

namespace odmd::testing {

class ForwardingConfigStore : public store::ConfigStore {
 public:
  // Wraps `base`, which must outlive this object.
  explicit ForwardingConfigStore(store::ConfigStore& base) : base_(base) {}
  // Wraps and owns `base`.
  explicit ForwardingConfigStore(store::ConfigStorePtr base)
      : owned_(std::move(base)), base_(*owned_) {}

  Result<store::Entry> Get(std::string_view key) override { return base_.Get(key); }
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override {
    return base_.GetVersion(key, version);
  }
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    return base_.Put(key, value, if_revision);
  }
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override {
    return base_.Delete(key, if_revision);
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override {
    return base_.WriteBatch(ops);
  }
  Result<std::vector<store::Entry>> List(std::string_view prefix) override {
    return base_.List(prefix);
  }
  Result<std::vector<store::Entry>> ListAt(std::string_view prefix, store::Revision at) override {
    return base_.ListAt(prefix, at);
  }
  Result<std::vector<store::Entry>> History(std::string_view key) override {
    return base_.History(key);
  }
  Result<store::Revision> LatestRevision() override { return base_.LatestRevision(); }
  Result<store::WatchHandlePtr> Watch(std::string_view prefix, store::Revision after,
                                      store::ChangeSink sink) override {
    return base_.Watch(prefix, after, std::move(sink));
  }

 private:
  store::ConfigStorePtr owned_;
  store::ConfigStore& base_;
};

}  // namespace odmd::testing

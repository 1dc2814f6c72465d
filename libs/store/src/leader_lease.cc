// The parts of the leader lease every backend shares, and ConfigStore's default (none).

#include "odmd/store/leader_lease.h"

#include <string>

#include "lease_common.h"
#include "odmd/base/strings.h"

namespace odmd::store {
namespace {

constexpr std::size_t kMaxIdBytes = 200;
constexpr std::size_t kMaxAddressBytes = 1000;

class StoreView final : public ConfigStore {
 public:
  explicit StoreView(ConfigStore& store) : store_(store) {}

  // ConfigStore
  Result<Entry> Get(std::string_view key) override { return store_.Get(key); }
  Result<Entry> GetVersion(std::string_view key, Version version) override {
    return store_.GetVersion(key, version);
  }
  Result<WriteResult> Put(std::string_view key, std::string_view value,
                          std::optional<Revision> if_revision) override {
    return store_.Put(key, value, if_revision);
  }
  Result<WriteResult> Delete(std::string_view key, std::optional<Revision> if_revision) override {
    return store_.Delete(key, if_revision);
  }
  Result<std::vector<WriteResult>> WriteBatch(std::span<const BatchOp> ops) override {
    return store_.WriteBatch(ops);
  }
  Result<std::vector<Entry>> List(std::string_view prefix) override { return store_.List(prefix); }
  Result<std::vector<Entry>> ListAt(std::string_view prefix, Revision at) override {
    return store_.ListAt(prefix, at);
  }
  Result<std::vector<Entry>> History(std::string_view key) override { return store_.History(key); }
  Result<Revision> LatestRevision() override { return store_.LatestRevision(); }
  Result<WatchHandlePtr> Watch(std::string_view prefix, Revision after, ChangeSink sink) override {
    return store_.Watch(prefix, after, std::move(sink));
  }
  Result<LeaderLeasePtr> NewLeaderLease(const LeaseOptions& options) override {
    return store_.NewLeaderLease(options);
  }

 private:
  ConfigStore& store_;
};

}  // namespace

Result<LeaderLeasePtr> ConfigStore::NewLeaderLease(const LeaseOptions& options) {
  return UnimplementedError("lease " + Quote(options.name) + ": this store has no leader lease");
}

Status LeaseLostError(Epoch epoch, Epoch current) {
  std::string now = current == 0 ? "the lease is gone" : "now " + std::to_string(current);
  return AbortedError("lease lost: epoch " + std::to_string(epoch) +
                      " is no longer the leader's (" + now + ")");
}

Status ValidateLeaseOptions(const LeaseOptions& options) {
  if (options.replica_id.empty() || options.replica_id.size() > kMaxIdBytes) {
    return InvalidArgumentError("lease " + Quote(options.name) +
                                ": the replica id must have 1 to 200 bytes");
  }
  if (options.name.empty() || options.name.size() > kMaxIdBytes) {
    return InvalidArgumentError("lease name " + Quote(options.name) + " must have 1 to 200 bytes");
  }
  if (options.address.size() > kMaxAddressBytes) {
    return InvalidArgumentError("lease " + Quote(options.name) + ": replica address of " +
                                std::to_string(options.address.size()) +
                                " bytes is longer than 1000");
  }
  if (options.duration < std::chrono::milliseconds(10)) {
    return InvalidArgumentError("lease " + Quote(options.name) + ": duration " +
                                std::to_string(options.duration.count()) +
                                " ms is shorter than 10 ms");
  }
  return OkStatus();
}

ConfigStorePtr NewStoreView(ConfigStore& store) { return std::make_unique<StoreView>(store); }

}  // namespace odmd::store

#pragma once

// RoleStore: the store a replica's platform reads and writes through (docs/platform.md,
// "Replicas"). While the replica follows, every call goes to its plain store (reads, and
// the writes a follower makes itself: inbox records, product puts, repository records);
// once it leads (Platform::Lead), every call goes to the lease's fenced store, so none of
// the leader's writes commits after another replica took the lease over.

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "odmd/store/config_store.h"
#include "odmd/store/leader_lease.h"

namespace odmd::reconcile {

class RoleStore : public store::ConfigStore {
 public:
  // `plain` must outlive this store.
  explicit RoleStore(store::ConfigStore& plain) : plain_(plain), target_(&plain) {}

  // From now on every call goes to `leader` (kept until this store goes). Called before
  // the leader's work starts, or before a follower's workers start (their worker lease's
  // fenced store) and then again when it leads: a call in flight on the previous store
  // finishes on it (it is kept too).
  void Lead(store::ConfigStorePtr leader) {
    std::lock_guard lock(mu_);
    stores_.push_back(std::move(leader));
    target_.store(stores_.back().get(), std::memory_order_release);
  }
  // The store this one was made with (unfenced).
  store::ConfigStore& plain() { return plain_; }

  Result<store::Entry> Get(std::string_view key) override { return target().Get(key); }
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override {
    return target().GetVersion(key, version);
  }
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    return target().Put(key, value, if_revision);
  }
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override {
    return target().Delete(key, if_revision);
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override {
    return target().WriteBatch(ops);
  }
  Result<std::vector<store::Entry>> List(std::string_view prefix) override {
    return target().List(prefix);
  }
  Result<std::vector<store::Entry>> ListAt(std::string_view prefix, store::Revision at) override {
    return target().ListAt(prefix, at);
  }
  Result<std::vector<store::Entry>> History(std::string_view key) override {
    return target().History(key);
  }
  Result<store::Revision> LatestRevision() override { return target().LatestRevision(); }
  Result<store::WatchHandlePtr> Watch(std::string_view prefix, store::Revision after,
                                      store::ChangeSink sink) override {
    return target().Watch(prefix, after, std::move(sink));
  }
  Result<store::LeaderLeasePtr> NewLeaderLease(const store::LeaseOptions& options) override {
    return target().NewLeaderLease(options);
  }

 private:
  store::ConfigStore& target() { return *target_.load(std::memory_order_acquire); }

  store::ConfigStore& plain_;
  std::atomic<store::ConfigStore*> target_;
  std::mutex mu_;
  std::vector<store::ConfigStorePtr> stores_;  // guarded by mu_
};

}  // namespace odmd::reconcile

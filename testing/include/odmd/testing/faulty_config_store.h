#pragma once

// FaultyConfigStore: a ConfigStore decorator that makes writes fail on demand, in the
// style of LevelDB's ErrorEnv (STYLE.md §7.6). Reads always pass through. An injected
// failure is kUnavailable ("injected fault: ...") and reaches nothing below, so nothing is
// written. Header-only, so odmd_testing does not depend on odmd_store.
//
// Thread-safe.

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/store/config_store.h"

namespace odmd::testing {

class FaultyConfigStore final : public store::ConfigStore {
 public:
  // Wraps `base`, which must outlive this object.
  explicit FaultyConfigStore(store::ConfigStore& base) : base_(base) {}
  // Wraps and owns `base`.
  explicit FaultyConfigStore(store::ConfigStorePtr base)
      : owned_(std::move(base)), base_(*owned_) {}

  // The `n`th write (put, delete or non-empty batch: a batch is one write) from now fails, n >= 1
  // (1 = the next one); the writes before and after it pass. Replaces an earlier FailNthWrite that
  // has not fired yet.
  void FailNthWrite(int n) {
    std::lock_guard lock(mu_);
    countdown_ = n;
  }
  // While `fail` is true, every write fails.
  void SetFailWrites(bool fail) {
    std::lock_guard lock(mu_);
    fail_all_ = fail;
  }
  // How many writes have failed by injection so far.
  int injected_failures() const {
    std::lock_guard lock(mu_);
    return injected_failures_;
  }

  // ConfigStore
  Result<store::Entry> Get(std::string_view key) override { return base_.Get(key); }
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override {
    return base_.GetVersion(key, version);
  }
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    ODMD_RETURN_IF_ERROR(MaybeFail("put of key \"" + std::string(key) + "\""));
    return base_.Put(key, value, if_revision);
  }
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override {
    ODMD_RETURN_IF_ERROR(MaybeFail("delete of key \"" + std::string(key) + "\""));
    return base_.Delete(key, if_revision);
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override {
    if (!ops.empty()) {
      ODMD_RETURN_IF_ERROR(MaybeFail("batch of " + std::to_string(ops.size()) +
                                     " ops, the first of key \"" + ops.front().key + "\""));
    }
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
  // `what`: the refused write, e.g. "put of key \"/a\"".
  Status MaybeFail(const std::string& what) {
    std::lock_guard lock(mu_);
    bool fail = fail_all_;
    if (countdown_ > 0 && --countdown_ == 0) fail = true;
    if (!fail) return OkStatus();
    ++injected_failures_;
    return UnavailableError("injected fault: " + what);
  }

  store::ConfigStorePtr owned_;
  store::ConfigStore& base_;
  mutable std::mutex mu_;
  int countdown_ = 0;          // guarded by mu_; 0 = no pending FailNthWrite
  bool fail_all_ = false;      // guarded by mu_
  int injected_failures_ = 0;  // guarded by mu_
};

}  // namespace odmd::testing

#pragma once

// Enver tokens issued many at once: a contracts publish adds up to thousands of envers, and
// issuing each token (its registry record, then its sealed copy) as two commits made the
// sync of a 1,000-enver publish take seconds of fsyncs. IssueEnverTokens issues the tokens
// with access::TokenRegistry over a store that collects the registry's writes (reads pass
// through) and commits them with the sealed copies in one batch.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/access/secrets.h"
#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

// A ConfigStore whose writes are collected as batch ops instead of committed; reads and
// watches go to the real store. Each collected write answers revision 0, version 1. Token
// writes (access::TokenRegistry) over it land in the caller's batch.
class CollectingStore final : public store::ConfigStore {
 public:
  explicit CollectingStore(store::ConfigStore& base) : base_(base) {}

  std::vector<store::BatchOp>& ops() { return ops_; }

  Result<store::Entry> Get(std::string_view key) override { return base_.Get(key); }
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override {
    return base_.GetVersion(key, version);
  }
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    ops_.push_back(store::BatchOp::Put(std::string(key), std::string(value), if_revision));
    return store::WriteResult{0, 1};
  }
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override {
    ops_.push_back(store::BatchOp::Delete(std::string(key), if_revision));
    return store::WriteResult{0, 1};
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override {
    ops_.insert(ops_.end(), ops.begin(), ops.end());
    return std::vector<store::WriteResult>(ops.size(), store::WriteResult{0, 1});
  }
  Result<std::vector<store::Entry>> List(std::string_view prefix) override {
    return base_.List(prefix);
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
  store::ConfigStore& base_;
  std::vector<store::BatchOp> ops_;
};

// Issues a token to every enver of `enver_ids` that has no sealed token yet and writes the
// token records and the sealed tokens in one commit. Idempotent: an enver that got its
// token (from an earlier call, or meanwhile) keeps it. Store errors as they come; a failed
// commit wrote nothing.
Status IssueEnverTokens(store::ConfigStore& store, Clock& clock, const access::SecretBox& secrets,
                        const std::vector<std::string>& enver_ids);

}  // namespace odmd::reconcile

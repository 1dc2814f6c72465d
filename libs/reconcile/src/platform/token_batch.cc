#include "token_batch.h"

#include <utility>

#include "odmd/access/tokens.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {
namespace {

// A ConfigStore whose writes are collected as batch ops instead of committed; reads and
// watches go to the real store. Each collected write answers revision 0, version 1.
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

}  // namespace

Status IssueEnverTokens(store::ConfigStore& store, Clock& clock, const access::SecretBox& secrets,
                        const std::vector<std::string>& enver_ids) {
  CollectingStore collecting(store);
  access::TokenRegistry registry(collecting, clock);
  std::vector<store::BatchOp> sealed;
  for (const std::string& id : enver_ids) {
    const std::string key = EnverTokenKey(id);
    Result<store::Entry> existing = store.Get(key);
    if (existing.ok()) continue;
    if (!IsNotFound(existing.status())) return existing.status();
    ODMD_ASSIGN_OR_RETURN(std::string token, registry.Issue(access::Principal::Enver(id)));
    // if_revision 0: an enver that got its token meanwhile keeps it (the batch fails).
    sealed.push_back(store::BatchOp::Put(key, secrets.Seal(token), store::Revision{0}));
  }
  if (sealed.empty()) return OkStatus();
  std::vector<store::BatchOp>& ops = collecting.ops();
  for (store::BatchOp& op : sealed) ops.push_back(std::move(op));
  Result<std::vector<store::WriteResult>> written = store.WriteBatch(ops);
  return written.status();
}

}  // namespace odmd::reconcile

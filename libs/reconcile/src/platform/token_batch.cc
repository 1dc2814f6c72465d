#include "token_batch.h"

#include <utility>

#include "odmd/access/tokens.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {

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

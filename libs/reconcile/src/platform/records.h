#pragma once

// The core's own records in the store, read and written in one place each:
// - an enver's deployment state at /odmd/envers/<build>/<rev>: what it last deployed and how
//   that went (written by the dispatcher; read by the views, teardown and reactions);
// - an enver's consumed versions at /odmd-share/<build>/<rev>/share..version (written by
//   the Deployer; read by the views and reactions);
// - what intake handled of a repo at /odmd/intake/<owner>/<name>;
// - a teardown that failed at /odmd/teardowns/<build>/<rev>: what a retry needs to run it
//   again after the enver left the contracts (written by the teardown; read by the retry).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "odmd/base/status.h"
#include "odmd/model/org.h"
#include "odmd/store/config_store.h"
#include "world.h"

namespace odmd::reconcile {

struct EnverState {
  std::string enver_id;
  std::string status = "never";  // "never","running","succeeded","failed","deleted"
  std::string sha;               // the commit of the last deployment that ran
  std::string deployment;        // its id
  std::string root;              // its cause's root
  std::int64_t updated_at_ms = 0;
  store::Revision revision = 0;  // of the record; 0 when absent
};

// An absent record reads as status "never".
Result<EnverState> ReadEnverState(store::ConfigStore& store, std::string_view enver_id);
// The state in `entry` (the record of `enver_id`, from a Get or a List); kFailedPrecondition
// naming its key when it is not a JSON object.
Result<EnverState> ParseEnverState(std::string_view enver_id, const store::Entry& entry);
Status WriteEnverState(store::ConfigStore& store, const EnverState& state);
// The put of WriteEnverState, for a caller's own batch.
store::BatchOp EnverStateOp(const EnverState& state);

// One consumer's entry in share..version.
struct ConsumedVersion {
  store::Version version = 0;
  bool placeholder = false;
  std::string path;  // the product it consumed; "" in records that do not say
};
// By consumer name; empty when the record is absent or unreadable (nothing consumed yet).
std::map<std::string, ConsumedVersion> ReadConsumedVersions(store::ConfigStore& store,
                                                            const model::Build& build,
                                                            const model::Enver& enver);
// The entries of a share..version record's value; empty when it is unreadable.
std::map<std::string, ConsumedVersion> ParseConsumedVersions(std::string_view value);

// The refs intake handled last, with the record's revision (0 when never scanned).
struct SeenRefs {
  store::Revision revision = 0;
  std::map<std::string, std::string> refs;
};
// kFailedPrecondition naming the key for a malformed record.
Result<SeenRefs> ReadSeenRefs(store::ConfigStore& store, std::string_view repo);
// Compare-and-set against `seen.revision`; updates it.
Status WriteSeenRefs(store::ConfigStore& store, std::string_view repo, SeenRefs& seen);

// A teardown whose destroy script or stack deletion failed. The enver is gone from the
// platform (state "deleted", products tombstoned, token revoked); what it left in its
// account waits for a retry, which rebuilds it from the contracts version it was torn down
// from (and, for a clone, its clone record).
struct PendingTeardown {
  std::string enver_id;
  std::string sha;                // the commit the destroy script runs from
  std::string contracts_version;  // the world it was torn down from
  std::optional<CloneRecord> clone;
  std::string reason;  // of the last failure
  int attempts = 1;
  std::int64_t failed_at_ms = 0;
  store::Revision revision = 0;  // of the record; 0 when absent
};

inline constexpr std::string_view kTeardownsPrefix = "/odmd/teardowns/";
std::string PendingTeardownKey(std::string_view enver_id);
nlohmann::json PendingTeardownJson(const PendingTeardown& t);
// kFailedPrecondition naming the key for a malformed record.
Result<PendingTeardown> ParsePendingTeardown(const store::Entry& entry);
// kNotFound naming the enver when none is recorded.
Result<PendingTeardown> ReadPendingTeardown(store::ConfigStore& store, std::string_view enver_id);

}  // namespace odmd::reconcile

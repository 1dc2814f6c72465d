#pragma once

// The platform's record of one enver's deployment state at /odmd/envers/<build>/<rev>:
// what it last deployed and how that went. Written by the dispatcher; read by the views,
// teardown (which commit to run destroy.sh from) and reactions (the root cause of the
// deployment that is publishing).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "odmd/base/status.h"
#include "odmd/store/config_store.h"

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
Status WriteEnverState(store::ConfigStore& store, const EnverState& state);

}  // namespace odmd::reconcile

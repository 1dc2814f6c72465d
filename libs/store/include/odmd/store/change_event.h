#pragma once

// A change record delivered by ConfigStore::Watch (in the spirit of LevelDB's VersionEdit).

#include <functional>
#include <string>

#include "odmd/store/entry.h"

namespace odmd::store {

// Stored and printed: never renumber.
enum class ChangeKind : int {
  kPut = 1,
  kDelete = 2,
};

struct ChangeEvent {
  Revision revision = 0;
  std::string key;
  ChangeKind kind = ChangeKind::kPut;
  // The new value; empty for kDelete.
  std::string value;
  // The key's version after this change.
  Version version = 0;
  // The revision of the key's previous record (0 when this is the key's first write).
  Revision previous_revision = 0;

  friend bool operator==(const ChangeEvent&, const ChangeEvent&) = default;
};

// Receives events one at a time, in revision order, on a thread owned by the store.
// It must not destroy its own WatchHandle.
using ChangeSink = std::function<void(const ChangeEvent&)>;

}  // namespace odmd::store

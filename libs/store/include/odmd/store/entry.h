#pragma once

// Value types of the config store: revisions, per-key versions and one stored entry.

#include <cstdint>
#include <string>

namespace odmd::store {

// The store-wide revision: advances by exactly one on every successful write (put or
// delete), starting at 1. 0 means "before the first write" (and "absent" in a
// compare-and-set, see ConfigStore::Put).
using Revision = std::int64_t;

// The per-key version: 1 for the first write of a key, then 2, 3, ... A delete is a write
// too and takes the next version. This is the product version the platform shows.
using Version = std::int64_t;

// One record of a key's history.
struct Entry {
  std::string key;
  // Empty for a tombstone.
  std::string value;
  // The store-wide revision of the write that produced this record.
  Revision revision = 0;
  Version version = 0;
  // True when this record is a delete: the key reads as absent from here on, but its
  // history stays.
  bool tombstone = false;

  friend bool operator==(const Entry&, const Entry&) = default;
};

// What a successful put or delete produced.
struct WriteResult {
  Revision revision = 0;
  Version version = 0;

  friend bool operator==(const WriteResult&, const WriteResult&) = default;
};

}  // namespace odmd::store

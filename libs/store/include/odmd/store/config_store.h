#pragma once

// ConfigStore: a versioned key-value store with a store-wide revision, full history per
// key, compare-and-set and watch-from-revision (DESIGN.md §6, STYLE.md §7.2). It knows
// nothing about the model: keys are paths, values are bytes.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/store/change_event.h"
#include "odmd/store/entry.h"

namespace odmd::store {

class LeaderLease;    // leader_lease.h
struct LeaseOptions;  // leader_lease.h

// Limits every backend enforces (kInvalidArgument, nothing written).
inline constexpr std::size_t kMaxKeyBytes = 1024;
// Values are small but for one: the contracts manifest is a single value, and an org of
// 5,000 envers and 50,000 consumers writes ~12 MB of it. The platform bounds what it
// stores itself (products and logs: reconcile::kMaxProductBytes, kMaxLogBytes).
inline constexpr std::size_t kMaxValueBytes = std::size_t{32} << 20;  // 32 MiB

// OK, or kInvalidArgument naming the key: a key is non-empty, starts with '/', has no NUL
// byte and at most kMaxKeyBytes bytes, and none of its '/'-separated segments is empty
// ("/a//b", "/a/"), "." or ".." (the message names the segment). So a key names one thing
// and a prefix check on it (access rules) can never be walked out of.
Status ValidateKey(std::string_view key);
// OK, or kInvalidArgument: at most kMaxValueBytes bytes.
Status ValidateValue(std::string_view key, std::string_view value);
// OK, or kInvalidArgument: a prefix is empty or "/" (everything) or a valid key prefix
// (starts with '/', no NUL, at most kMaxKeyBytes bytes, no empty, "." or ".." segment
// except that it may end with '/').
Status ValidatePrefix(std::string_view prefix);
// OK, or kInvalidArgument naming the key: a version is >= 1.
Status ValidateVersion(std::string_view key, Version version);
// OK, or kInvalidArgument naming the key: a compare-and-set revision is >= 0.
Status ValidateIfRevision(std::string_view key, std::optional<Revision> if_revision);
// OK, or kInvalidArgument: what every backend's ListAt checks first (a valid prefix, `at` >= 0,
// the message naming `at`).
Status ValidateListAt(std::string_view prefix, Revision at);
// OK, or kInvalidArgument: what every backend's Watch checks first (a valid prefix, `after`
// >= 0, a sink).
Status ValidateWatch(std::string_view prefix, Revision after, const ChangeSink& sink);

// One operation of ConfigStore::WriteBatch.
struct BatchOp {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string key;
  std::string value;                    // kPut only
  std::optional<Revision> if_revision;  // as Put's and Delete's if_revision

  static BatchOp Put(std::string key, std::string value,
                     std::optional<Revision> if_revision = std::nullopt);
  static BatchOp Delete(std::string key, std::optional<Revision> if_revision = std::nullopt);
};

// `status` as the error of op `index` of a batch: "op 3 (/a/b): <message>". OK stays OK.
Status AtBatchOp(std::size_t index, std::string_view key, const Status& status);
// OK, or kInvalidArgument naming the op: what every backend's WriteBatch checks first (each
// op's key, value and if_revision as Put and Delete check them; no key twice).
Status ValidateBatch(std::span<const BatchOp> ops);

// Keeps a watch running; destroying it stops the watch: when the destructor returns, the
// sink is not running and will not be called again.
// REQUIRES: destroyed before the store that made it, and not from inside its own sink.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
  // OK while the watch runs; the error that stopped it otherwise (for example the backlog
  // could not be read). A stopped watch delivers nothing more.
  virtual Status status() const = 0;
};
using WatchHandlePtr = std::unique_ptr<WatchHandle>;

// Thread-safe: every method may be called from any thread at the same time.
//
// Compare-and-set: a key's current revision is the revision of its latest record if that
// record is a live value, and 0 if the key was never written or its latest record is a
// tombstone. `if_revision = 0` therefore means "only if absent".
class ConfigStore {
 public:
  virtual ~ConfigStore() = default;

  // The latest live record of `key`.
  // kInvalidArgument for a malformed key; kNotFound if the key was never written or is
  // deleted.
  virtual Result<Entry> Get(std::string_view key) = 0;

  // The record of `key` at `version`.
  // kInvalidArgument for a malformed key or a version < 1; kNotFound if that version does
  // not exist or is a tombstone.
  virtual Result<Entry> GetVersion(std::string_view key, Version version) = 0;

  // Writes `value` as the key's next version; returns after the write is committed (on
  // disk, for a durable store).
  // kInvalidArgument for a malformed key or an oversized value; kAborted if `if_revision`
  // is set and differs from the key's current revision; kUnavailable if the backend
  // cannot commit. Nothing is written on any error.
  virtual Result<WriteResult> Put(std::string_view key, std::string_view value,
                                  std::optional<Revision> if_revision) = 0;

  // Writes a tombstone as the key's next version; its history stays readable.
  // kNotFound if the key is absent or already deleted; otherwise as Put.
  virtual Result<WriteResult> Delete(std::string_view key, std::optional<Revision> if_revision) = 0;

  // Applies `ops` in order in one atomic transaction: every op is committed, or none is.
  // Each op gets its own revision, consecutive in op order (and the key's next version);
  // watches see the events in that order. A key may appear at most once in a batch.
  // Returns one WriteResult per op, in op order. Errors as Put and Delete (kInvalidArgument
  // for a malformed key or value or a repeated key, kAborted for a failed if_revision,
  // kNotFound for deleting an absent key, kUnavailable), the message naming the op's index
  // and key ("op 3 (/odmd/queue/a/b..main): ..."). Nothing is written on any error. An empty
  // batch writes nothing and returns an empty vector.
  virtual Result<std::vector<WriteResult>> WriteBatch(std::span<const BatchOp> ops) = 0;

  // The latest live records of all keys starting with `prefix`, sorted by key. Deleted
  // keys are left out. kInvalidArgument for a malformed prefix.
  virtual Result<std::vector<Entry>> List(std::string_view prefix) = 0;

  // The live records of all keys starting with `prefix` as they were at store revision
  // `at`: for each key its latest record with revision <= `at`, left out if that record is
  // a tombstone or there is none; sorted by key. `at` beyond the latest revision is List.
  // kInvalidArgument for a malformed prefix or `at` < 0.
  virtual Result<std::vector<Entry>> ListAt(std::string_view prefix, Revision at) {
    (void)prefix;
    (void)at;
    return UnimplementedError("ListAt is not implemented by this store");
  }

  // Every record of `key`, tombstones included, by ascending version.
  // kInvalidArgument for a malformed key; kNotFound if the key was never written.
  virtual Result<std::vector<Entry>> History(std::string_view key) = 0;

  // The store-wide revision of the latest write (0 for an empty store).
  virtual Result<Revision> LatestRevision() = 0;

  // Calls `sink` with every change under `prefix` whose revision is > `after`, in
  // revision order, exactly once each: first the backlog already in the store, then live
  // changes as they commit, until the handle is destroyed.
  // kInvalidArgument for a malformed prefix or `after` < 0.
  virtual Result<WatchHandlePtr> Watch(std::string_view prefix, Revision after,
                                       ChangeSink sink) = 0;

  // The leader lease of this store, shared by the `odmd serve` replicas on it
  // (leader_lease.h). kInvalidArgument without options.replica_id or with a duration under
  // 10 ms; kUnimplemented for a store without one (a decorator, a test double);
  // kUnavailable when the database cannot be reached.
  virtual Result<std::unique_ptr<LeaderLease>> NewLeaderLease(const LeaseOptions& options);
};
using ConfigStorePtr = std::unique_ptr<ConfigStore>;

}  // namespace odmd::store

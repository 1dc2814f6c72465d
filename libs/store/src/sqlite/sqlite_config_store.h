#pragma once

// SqliteConfigStore: the embedded ConfigStore (schema: kCreateSchema in the .cc file).
//
// - Layout (sqlite_schema.h): an append-only log keyed by the store-wide revision, a unique
//   (version, key) index and a table of each key's latest revision, so that neither a write
//   nor the latest-value lookup costs more as a key's history grows.
// - Writes: group commit without a writer thread (LevelDB's writer queue). Each put, delete
//   or WriteBatch queues itself as one op; the one at the front leads: it commits every op
//   queued at that time in one transaction on the write connection, then wakes the others
//   and the next leader. An op that is refused (a lost compare-and-set, a delete of an
//   absent key: for a batch, any of its changes) writes nothing and the others go on; a
//   database error fails them all. Callers return once their transaction has committed
//   (with synchronous=FULL in WAL mode, once it is on disk). A leader whose previous batch
//   held several writers first waits, at most a quarter of a commit's time, for those that
//   have not queued again: they are usually on their way back, and a commit costs about the
//   same whether it carries 2 ops or 16 (see GatherBatch). The leader remembers each
//   key's latest record, so a write needs no SELECT; it checks PRAGMA data_version inside
//   every write transaction and forgets everything when another connection or process has
//   committed since.
// - Reads: a file store gives each concurrent reader its own connection (WAL lets them run
//   beside the writer); an in-memory store has a single connection, shared under a mutex.
//   Get answers from a latest-value cache while the WAL index says nothing at all has
//   committed since the answer was read, by any process (sqlite_read_cache.h).
// - Watch: each watch delivers on its own thread from a cursor over the log
//   (sqlite_watch.h). Commits made through this object are handed over by their leader
//   right after the commit. Commits by other connections or processes on the same file
//   reach the watches through the notifier thread (sqlite_notifier.h: an inotify wake-up
//   that every SqliteConfigStore sends after its commits by opening the WAL file, and a 1 s poll
//   for writers that do not), after which each watch reads the log from its cursor. Either way
//   every change is delivered once, in revision order.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "odmd/base/wakeup_counter.h"
#include "odmd/store/config_store.h"
#include "odmd/store/open_config_store.h"
#include "sqlite/sqlite_db.h"
#include "sqlite/sqlite_read_cache.h"

namespace odmd::store::sqlite {

class SqliteNotifier;
class SqliteWatch;

class SqliteConfigStore final : public ConfigStore {
 public:
  // `path` is a file path or ":memory:". Errors as OpenConfigStore.
  static Result<std::unique_ptr<SqliteConfigStore>> Open(const std::string& path,
                                                         const StoreOptions& options);
  // REQUIRES: every WatchHandle made by this store is destroyed.
  ~SqliteConfigStore() override;

  // ConfigStore
  Result<Entry> Get(std::string_view key) override;
  Result<Entry> GetVersion(std::string_view key, Version version) override;
  Result<WriteResult> Put(std::string_view key, std::string_view value,
                          std::optional<Revision> if_revision) override;
  Result<WriteResult> Delete(std::string_view key, std::optional<Revision> if_revision) override;
  Result<std::vector<WriteResult>> WriteBatch(std::span<const BatchOp> ops) override;
  Result<std::vector<Entry>> List(std::string_view prefix) override;
  Result<std::vector<Entry>> ListAt(std::string_view prefix, Revision at) override;
  Result<std::vector<Entry>> History(std::string_view key) override;
  Result<Revision> LatestRevision() override;
  Result<WatchHandlePtr> Watch(std::string_view prefix, Revision after, ChangeSink sink) override;
  // A SqliteLeaderLease (sqlite_lease.h) on "<path>.lease".
  Result<std::unique_ptr<LeaderLease>> NewLeaderLease(const LeaseOptions& options) override;

  // Used by SqliteWatch: up to `limit` changes under `prefix` with after < revision <=
  // until, in revision order.
  Result<std::vector<ChangeEvent>> ReadChanges(std::string_view prefix, Revision after,
                                               Revision until, int limit);
  // Used by SqliteWatch's destructor.
  void Unregister(SqliteWatch* watch);

 private:
  // A connection and the mutex that makes one thread at a time use it.
  struct Slot {
    std::mutex mu;
    std::unique_ptr<Connection> conn;
  };
  // A slot locked for one read; returns it to the pool when destroyed.
  class Lease;

  // One put or delete of a WriteOp.
  struct Change {
    std::string_view key;
    std::string_view value;
    bool tombstone = false;
    std::optional<Revision> if_revision;
  };
  // One queued Put, Delete or WriteBatch: committed whole or not at all (a refused change
  // refuses its op, and the leader's other ops go on). Lives on the caller's stack until
  // `done`.
  struct WriteOp {
    enum State : std::uint32_t { kQueued, kLeading, kDone };
    std::span<const Change> changes;
    bool batch = false;  // a WriteBatch: errors name the change's index and key
    std::thread::id writer = std::this_thread::get_id();
    // Set by the leader that committed it or made it the front of the queue, under
    // write_mu_; read by its writer without it.
    std::atomic<std::uint32_t> state{kQueued};
    Status status;                     // set when done: why nothing was written
    std::vector<WriteResult> results;  // set when done and OK: one per change
  };

  // The writer's memory of a key's latest record (see key_states_).
  struct KeyState {
    Revision revision = 0;  // 0: never written
    Version version = 0;
    bool live = false;
  };
  SqliteConfigStore(std::string path, StoreOptions options, std::unique_ptr<Connection> writer);

  Result<Lease> AcquireReader();
  // Get without the cache.
  Result<Entry> ReadLatest(std::string_view key);
  void Release(Slot* slot);
  // Queues `op` and returns once it is done: its status, with its results set when OK.
  Status Write(WriteOp& op);
  // Waits without write_mu_ until `op` is done or leads.
  void AwaitTurn(const WriteOp& op);
  // Called by the leader under write_mu_: waits (bounded) for the writers of the
  // previous batch that have not queued again, then takes the queue as batch_.
  void GatherBatch(std::unique_lock<std::mutex>& lock);
  // Commits `batch_` (the leader's batch) and hands its events to the watches; true if
  // anything was written.
  bool CommitAndPublish();
  // Applies `batch_` in one transaction; on success `after` is the revision before it and
  // `events` what it committed.
  Status CommitBatch(Revision& after, std::vector<ChangeEvent>& events);
  // Makes key_states_ and latest_revision_ valid for the transaction just begun.
  Status RefreshWriterState(Connection& conn);
  Result<KeyState> LatestState(Connection& conn, std::string_view key);
  Result<bool> ApplyOne(Connection& conn, WriteOp& op, Revision revision,
                        std::vector<ChangeEvent>& applied);
  // Why `change` (change `index` of `op`) cannot be written over `previous`, or OK.
  static Status Refusal(const WriteOp& op, std::size_t index, const Change& change,
                        const KeyState& previous);
  void Publish(Revision after, const std::vector<ChangeEvent>& events);
  // SqliteNotifier's callback: pokes the watches if the log has revisions they were not
  // handed.
  void CheckForOtherWriters();

  const std::string path_;
  const StoreOptions options_;
  const bool in_memory_;

  // The write connection (also the only connection of an in-memory store).
  Slot writer_slot_;

  // The latest-value cache of a file store (sqlite_read_cache.h); none in memory.
  std::optional<WalIndexProbe> probe_;
  ReadCache cache_;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Slot>> readers_;  // guarded by pool_mu_
  std::vector<Slot*> free_readers_;             // guarded by pool_mu_

  // Group commit (LevelDB's writer queue): a write queues its op; the op at the front leads,
  // commits every op queued at that time as one transaction, marks them done and wakes the
  // next front. No writer thread: a lone writer commits on its own thread.
  std::mutex write_mu_;
  std::deque<WriteOp*> queue_;  // guarded by write_mu_
  // The distinct writer threads of the last batch of two or more ops (empty after a batch of
  // one: a lone writer never waits).
  std::vector<std::thread::id> last_writers_;  // guarded by write_mu_
  // While the leader waits in GatherBatch: those of last_writers_ not queued yet.
  std::vector<std::thread::id> awaited_;  // guarded by write_mu_
  // A moving average of a commit's duration: GatherBatch waits a quarter of it at most.
  std::chrono::nanoseconds commit_time_{0};  // guarded by write_mu_
  // The leader waits on it in GatherBatch; signalled when the last awaited writer queues.
  std::condition_variable leader_cv_;
  // Bumped once the ops of a batch are done and the next front leads: every queued writer
  // waits on it (one wake-up for the whole batch, none through write_mu_).
  WakeupCounter wakeups_;

  // The leader's batch: used only by the op at the front of queue_.
  std::vector<WriteOp*> batch_;
  // Used only by the leader, under writer_slot_.mu. The latest record of recently written keys and
  // the store's latest revision, so a write needs no SELECT. Valid only while no other connection
  // wrote: the leader checks PRAGMA data_version inside each write transaction and starts over when
  // it changed.
  bool writer_state_valid_ = false;
  std::int64_t data_version_ = 0;
  Revision latest_revision_ = 0;
  std::unordered_map<std::string, KeyState, TransparentStringHash, std::equal_to<>> key_states_;

  // The WAL file, opened and closed after each commit as the signal to other processes'
  // watches (sqlite_notifier.h); empty in memory.
  std::string wal_path_;

  // Orders watch registration against the hand-over of committed events and pokes.
  mutable std::mutex watch_mu_;
  // Every revision up to this one was handed to the watches or poked about.
  Revision announced_revision_ = 0;  // guarded by watch_mu_
  std::set<SqliteWatch*> watches_;   // guarded by watch_mu_
  // Started by the first watch of a file store.
  std::unique_ptr<SqliteNotifier> notifier_;  // guarded by watch_mu_

  friend class SqliteWatch;
};

}  // namespace odmd::store::sqlite

#pragma once

// PostgresConfigStore: the shared ConfigStore on PostgreSQL, through libpq (schema in
// postgres_schema.cc).
//
// - Writes: one writer thread owns the write connection and sends every put waiting at the
//   time as one call of odmd_write: one statement, one transaction, one commit (group
//   commit). Callers block until that transaction has committed (durable: with
//   synchronous_commit on, until it is on disk). Writers in every process serialise on the
//   store's head row, so revisions stay gapless store-wide. A WriteBatch is committed alone:
//   one odmd_write call in a transaction of its own, rolled back if any of its ops is
//   refused.
// - Reads: a pool of at most kMaxReaders connections, each used by one call at a time.
// - Watch: the log table is the only source of events. A watch reads the log after its own
//   last delivered revision, in pages, then waits for a wake-up: this store's writer after
//   each commit, or the listener: one connection per store object that LISTENs to the
//   channel odmd_write NOTIFYs, so writes from other processes and store objects are
//   watched too. When the listener's connection drops it reconnects with backoff, LISTENs
//   again and wakes every watch to catch up from the log: nothing is missed and nothing is
//   delivered twice. A watch whose read fails with kUnavailable retries with backoff. Watch
//   returns once the listener has made its first attempt: if the server is up, writes from
//   elsewhere wake the new watch from then on.
// - Connection loss: the call that meets it fails with kUnavailable and the server's
//   message; the connection is replaced on the next call. A write that fails that way while
//   committing may or may not have committed (as with any client-server database): re-read,
//   or use compare-and-set, before retrying a change that is not idempotent.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "odmd/store/config_store.h"
#include "odmd/store/leader_lease.h"
#include "odmd/store/open_config_store.h"
#include "postgres/pg_connection.h"

namespace odmd::store::postgres {

class PostgresListener;
class PostgresWatch;

class PostgresConfigStore final : public ConfigStore {
 public:
  // The most read connections one store object opens.
  static constexpr int kMaxReaders = 8;

  // `url` is a libpq URI ("postgres://user@host:port/db", "postgresql:///db?host=/dir").
  // Creates the schema in a database without one. kInvalidArgument when libpq cannot parse
  // the URL; kUnavailable naming the host and database when the server cannot be reached;
  // kFailedPrecondition when the database holds a foreign table of the same name or a newer
  // schema.
  static Result<std::unique_ptr<PostgresConfigStore>> Open(const std::string& url,
                                                           const StoreOptions& options);
  // REQUIRES: every WatchHandle made by this store is destroyed.
  ~PostgresConfigStore() override;

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
  // A PostgresLeaderLease (postgres_lease.h) on a connection of its own.
  Result<LeaderLeasePtr> NewLeaderLease(const LeaseOptions& options) override;

  // Fenced writes (LeaderLease::FencedStore): as Put, Delete and WriteBatch, committed only
  // while the lease named `lease` has epoch `epoch`; LeaseLostError, nothing written,
  // otherwise. Fenced writes of one fence share group commits with each other, never with
  // other writes.
  struct Fence {
    std::string lease;
    Epoch epoch = 0;
  };
  Result<WriteResult> FencedPut(const Fence& fence, std::string_view key, std::string_view value,
                                std::optional<Revision> if_revision);
  Result<WriteResult> FencedDelete(const Fence& fence, std::string_view key,
                                   std::optional<Revision> if_revision);
  Result<std::vector<WriteResult>> FencedWriteBatch(const Fence& fence,
                                                    std::span<const BatchOp> ops);

  const std::string& url() const { return url_; }
  const PgTarget& target() const { return target_; }
  const StoreOptions& options() const { return options_; }

  // One page of the log, read in one snapshot (used by PostgresWatch).
  struct ChangePage {
    // Up to `limit` changes under the prefix with revision > `after`, in revision order.
    std::vector<ChangeEvent> events;
    // The latest revision committed in that snapshot. With fewer than `limit` events, every
    // change under the prefix up to `head` is in `events`.
    Revision head = 0;
  };
  Result<ChangePage> ReadChanges(std::string_view prefix, Revision after, int limit);

 private:
  // A pooled read connection, returned to the pool (or dropped, if broken) when destroyed.
  class Lease;

  // One queued put, delete or WriteBatch; lives on the caller's stack until `done`.
  struct WriteOp {
    std::string_view key;
    std::string_view value;
    bool tombstone = false;
    std::optional<Revision> if_revision;
    // A WriteBatch's ops (non-empty; key to if_revision unused): committed in a transaction
    // of its own, all or nothing.
    std::span<const BatchOp> batch;
    const Fence* fence = nullptr;  // a fenced write's fence
    bool done = false;
    std::optional<Result<WriteResult>> result;                     // a put or delete
    std::optional<Result<std::vector<WriteResult>>> batch_result;  // a WriteBatch
  };

  PostgresConfigStore(std::string url, PgTarget target, StoreOptions options,
                      std::unique_ptr<PgConnection> writer);

  Result<WriteResult> PutOrDelete(const Fence* fence, std::string_view key, std::string_view value,
                                  bool tombstone, std::optional<Revision> if_revision);
  Result<std::vector<WriteResult>> Batch(const Fence* fence, std::span<const BatchOp> ops);

  Result<Lease> AcquireReader();
  void Release(std::unique_ptr<PgConnection> conn);

  // Queues `op` and returns once it is done (its result set), or kUnavailable if the store
  // is closing.
  Status Write(WriteOp& op);
  static void Fail(WriteOp& op, const Status& status);
  void WriterLoop();
  std::vector<WriteOp*> TakeBatchLocked();
  // Commits `batch` in one transaction and sets each op's result; returns the latest
  // revision written (0 if none) or the error that failed the whole batch.
  // REQUIRES: no WriteBatch op in `batch`.
  Result<Revision> CommitBatch(const std::vector<WriteOp*>& batch);
  // Commits the WriteBatch `op` in a transaction of its own, all or nothing, and sets its
  // result; returns the latest revision written (0 if none) or the error.
  Result<Revision> CommitAtomic(WriteOp& op);
  // The four array parameters of odmd_write, encoded.
  struct WriteArrays {
    std::string keys, values, tombstones, if_revisions;
  };
  // Runs odmd_write, or odmd_fenced_write for a fenced group, on the write connection;
  // LeaseLostError when the fence refused it; checks that it answered each of `ops` in order.
  Result<PgRows> RunWrite(const Fence* fence, WriteArrays arrays, std::size_t ops);
  // Replaces a missing or lost write connection.
  Status ConnectWriter();

  // Wakes the watches: a revision committed, or (the listener is listening again) anything
  // may have been missed.
  void Committed(Revision revision);
  void Resync();

  const std::string url_;
  const PgTarget target_;
  const StoreOptions options_;

  // Used by the writer thread only (and by Open before it starts).
  std::unique_ptr<PgConnection> writer_conn_;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_readers_;  // guarded by pool_mu_
  int open_readers_ = 0;                                     // guarded by pool_mu_

  std::mutex write_mu_;
  std::condition_variable write_cv_;  // the writer waits for work or shutdown
  std::condition_variable done_cv_;   // callers wait for their op to be done
  std::deque<WriteOp*> queue_;        // guarded by write_mu_
  bool stopping_ = false;             // guarded by write_mu_

  // What watches wait on.
  mutable std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  Revision head_hint_ = 0;        // guarded by watch_mu_: the newest revision known committed
  std::uint64_t generation_ = 0;  // guarded by watch_mu_: bumped by Resync
  int watches_ = 0;               // guarded by watch_mu_: live PostgresWatch objects

  std::mutex listener_mu_;
  std::unique_ptr<PostgresListener> listener_;  // guarded by listener_mu_; made by Watch

  std::thread writer_;
  friend class PostgresWatch;
};

}  // namespace odmd::store::postgres

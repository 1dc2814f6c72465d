#pragma once

// SqliteConfigStore: the embedded ConfigStore (schema: kCreateSchema in the .cc file).
//
// - Layout: an append-only log keyed by the store-wide revision plus a unique (key,
//   version) index.
// - Writes: one writer thread owns the write connection and groups every put waiting at
//   the time into one transaction (group commit); callers block until their batch has
//   committed (with synchronous=FULL in WAL mode, until it is on disk).
// - Reads: a file store gives each concurrent reader its own connection (WAL lets them run
//   beside the writer); an in-memory store has a single connection, shared under a mutex.
// - Watch: the backlog comes from the log, live changes are handed over by the writer
//   after each commit; each watch delivers on its own thread. Live events come from writes
//   made through this object only: another process (or another SqliteConfigStore on the
//   same file) writing at the same time is not watched.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "odmd/store/config_store.h"
#include "odmd/store/open_config_store.h"
#include "sqlite/sqlite_db.h"

namespace odmd::store::sqlite {

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
  Result<std::vector<Entry>> List(std::string_view prefix) override;
  Result<std::vector<Entry>> History(std::string_view key) override;
  Result<Revision> LatestRevision() override;
  Result<WatchHandlePtr> Watch(std::string_view prefix, Revision after, ChangeSink sink) override;

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

  // One queued put or delete; lives on the caller's stack until `done`.
  struct WriteOp {
    std::string_view key;
    std::string_view value;
    bool tombstone = false;
    std::optional<Revision> if_revision;
    bool done = false;
    std::optional<Result<WriteResult>> result;
  };

  SqliteConfigStore(std::string path, StoreOptions options, std::unique_ptr<Connection> writer);

  Result<Lease> AcquireReader();
  void Release(Slot* slot);
  Result<WriteResult> Write(WriteOp& op);
  void WriterLoop();
  // Applies `batch` in one transaction; fills `events` with what committed.
  Status CommitBatch(const std::vector<WriteOp*>& batch, std::vector<ChangeEvent>& events);
  Result<bool> ApplyOne(Connection& conn, WriteOp& op, Revision revision,
                        std::vector<ChangeEvent>& applied);
  void Publish(const std::vector<ChangeEvent>& events);

  const std::string path_;
  const StoreOptions options_;
  const bool in_memory_;

  // The write connection (also the only connection of an in-memory store).
  Slot writer_slot_;

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Slot>> readers_;  // guarded by pool_mu_
  std::vector<Slot*> free_readers_;             // guarded by pool_mu_

  std::mutex write_mu_;
  std::condition_variable write_cv_;  // the writer waits for work or shutdown
  std::condition_variable done_cv_;   // callers wait for their op to be done
  std::deque<WriteOp*> queue_;        // guarded by write_mu_
  bool stopping_ = false;             // guarded by write_mu_

  // Orders watch registration against the writer's hand-over of committed events.
  mutable std::mutex watch_mu_;
  Revision committed_revision_ = 0;  // guarded by watch_mu_
  std::set<SqliteWatch*> watches_;   // guarded by watch_mu_

  std::thread writer_;
  friend class SqliteWatch;
};

}  // namespace odmd::store::sqlite

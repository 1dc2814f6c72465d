#include "postgres/postgres_config_store.h"

#include <algorithm>
#include <utility>

#include "lease_common.h"
#include "odmd/base/strings.h"
#include "postgres/postgres_lease.h"
#include "postgres/postgres_listener.h"
#include "postgres/postgres_schema.h"
#include "postgres/postgres_watch.h"

namespace odmd::store::postgres {
namespace {

// A group commit takes at most this many queued writes, and stops adding values once they
// pass kMaxBatchBytes, so one statement stays a reasonable size.
constexpr std::size_t kMaxBatchOps = 1024;
constexpr std::size_t kMaxBatchBytes = std::size_t{16} << 20;

const PgStatement kSelectLatest{
    "odmd_get",
    "SELECT revision, version, tombstone, value FROM odmd_log WHERE key = $1 "
    "ORDER BY version DESC LIMIT 1",
    {kByteaOid},
    {kInt8Oid, kInt8Oid, kBoolOid, kByteaOid}};
const PgStatement kSelectVersion{
    "odmd_get_version",
    "SELECT revision, tombstone, value FROM odmd_log WHERE key = $1 AND version = $2",
    {kByteaOid, kInt8Oid},
    {kInt8Oid, kBoolOid, kByteaOid}};
const PgStatement kSelectHistory{
    "odmd_history",
    "SELECT revision, version, tombstone, value FROM odmd_log WHERE key = $1 ORDER BY version",
    {kByteaOid},
    {kInt8Oid, kInt8Oid, kBoolOid, kByteaOid}};
// The latest record of each key in [$1, $2), then the live ones by key.
const PgStatement kSelectList{
    "odmd_list",
    "SELECT key, revision, version, value FROM (SELECT DISTINCT ON (key) key, revision, "
    "version, tombstone, value FROM odmd_log WHERE key >= $1 AND key < $2 "
    "ORDER BY key, version DESC) AS latest WHERE NOT tombstone ORDER BY key",
    {kByteaOid, kByteaOid},
    {kByteaOid, kInt8Oid, kInt8Oid, kByteaOid}};
// The latest record with revision <= $3 of each key in [$1, $2) (a key's revisions grow with
// its versions), then the live ones by key.
const PgStatement kSelectListAt{
    "odmd_list_at",
    "SELECT key, revision, version, value FROM (SELECT DISTINCT ON (key) key, revision, "
    "version, tombstone, value FROM odmd_log WHERE key >= $1 AND key < $2 AND revision <= $3 "
    "ORDER BY key, version DESC) AS latest WHERE NOT tombstone ORDER BY key",
    {kByteaOid, kByteaOid, kInt8Oid},
    {kByteaOid, kInt8Oid, kInt8Oid, kByteaOid}};
const PgStatement kSelectHead{"odmd_head", "SELECT head_revision FROM odmd_meta", {}, {kInt8Oid}};
// One snapshot: the head, and up to $4 changes in [$2, $3) after revision $1 (a row of
// NULLs besides the head when there are none).
const PgStatement kSelectChanges{
    "odmd_changes",
    "SELECT m.head_revision, l.revision, l.key, l.version, l.tombstone, l.value, "
    "l.previous_revision FROM odmd_meta AS m LEFT JOIN LATERAL (SELECT * FROM odmd_log "
    "WHERE revision > $1 AND key >= $2 AND key < $3 ORDER BY revision LIMIT $4) AS l ON true "
    "ORDER BY l.revision",
    {kInt8Oid, kByteaOid, kByteaOid, kInt8Oid},
    {kInt8Oid, kInt8Oid, kByteaOid, kInt8Oid, kBoolOid, kByteaOid, kInt8Oid}};
const PgStatement kWrite{
    "odmd_write",
    "SELECT o_index, o_outcome, o_revision, o_version, o_previous FROM odmd_write($1, $2, $3, $4)",
    {kByteaArrayOid, kByteaArrayOid, kBoolArrayOid, kInt8ArrayOid},
    {kInt8Oid, kInt8Oid, kInt8Oid, kInt8Oid, kInt8Oid}};

const PgStatement kFencedWrite{
    "odmd_fenced_write",
    "SELECT o_index, o_outcome, o_revision, o_version, o_previous "
    "FROM odmd_fenced_write($1, $2, $3, $4, $5, $6)",
    {kTextOid, kInt8Oid, kByteaArrayOid, kByteaArrayOid, kBoolArrayOid, kInt8ArrayOid},
    {kInt8Oid, kInt8Oid, kInt8Oid, kInt8Oid, kInt8Oid}};

// odmd_write's and odmd_fenced_write's outcomes (see postgres_schema.cc).
constexpr std::int64_t kWritten = 0;
constexpr std::int64_t kLostCompareAndSet = 1;
constexpr std::int64_t kFenced = 3;

bool SameFence(const PostgresConfigStore::Fence* a, const PostgresConfigStore::Fence* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return a->epoch == b->epoch && a->lease == b->lease;
}

// The smallest string greater than every string starting with `prefix` ("/a" -> "/b").
// Keys are at most kMaxKeyBytes bytes, so kMaxKeyBytes + 1 bytes of 0xff bound them all.
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(kMaxKeyBytes + 1, '\xff');
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

Entry EntryFrom(std::string key, Revision revision, Version version, std::string value,
                bool tombstone) {
  return Entry{std::move(key), std::move(value), revision, version, tombstone};
}

Status ConfigureWriter(PgConnection& conn, const StoreOptions& options) {
  // A durable write is acknowledged only once its commit is on disk; otherwise a crash may
  // lose the latest commits, never corrupt the store.
  ODMD_RETURN_IF_ERROR(
      conn.Exec(options.durable ? "SET synchronous_commit = on" : "SET synchronous_commit = off"));
  // Waiting longer than busy_timeout for another process's writer is kUnavailable.
  const long long timeout_ms = std::max<long long>(1, options.busy_timeout.count());
  const std::string lock_timeout = "SET lock_timeout = " + std::to_string(timeout_ms);
  ODMD_RETURN_IF_ERROR(conn.Exec(lock_timeout.c_str()));
  // A WriteBatch holds the head row (and, fenced, the lease row) from its BEGIN to its COMMIT:
  // if this process stops in between (SIGSTOP, a partition), the server ends the session
  // instead of every other writer, and a takeover of the lease, waiting for it forever.
  const std::string idle_timeout = "SET idle_in_transaction_session_timeout = " +
                                   std::to_string(std::max<long long>(1000, timeout_ms));
  return conn.Exec(idle_timeout.c_str());
}

}  // namespace

class PostgresConfigStore::Lease {
 public:
  Lease(PostgresConfigStore* store, std::unique_ptr<PgConnection> conn)
      : store_(store), conn_(std::move(conn)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (conn_ != nullptr) store_->Release(std::move(conn_));
  }
  PgConnection* operator->() { return conn_.get(); }

 private:
  PostgresConfigStore* store_;
  std::unique_ptr<PgConnection> conn_;
};

Result<std::unique_ptr<PostgresConfigStore>> PostgresConfigStore::Open(
    const std::string& url, const StoreOptions& options) {
  ODMD_ASSIGN_OR_RETURN(PgTarget target, DescribeUrl(url));
  ODMD_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(url, target));
  ODMD_RETURN_IF_ERROR(CheckOrCreateSchema(*conn));
  ODMD_RETURN_IF_ERROR(ConfigureWriter(*conn, options));
  std::unique_ptr<PostgresConfigStore> store(
      new PostgresConfigStore(url, std::move(target), options, std::move(conn)));
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

PostgresConfigStore::PostgresConfigStore(std::string url, PgTarget target, StoreOptions options,
                                         std::unique_ptr<PgConnection> writer)
    : url_(std::move(url)),
      target_(std::move(target)),
      options_(std::move(options)),
      writer_conn_(std::move(writer)) {}

PostgresConfigStore::~PostgresConfigStore() {
  {
    std::lock_guard lock(listener_mu_);
    listener_.reset();
  }
  {
    std::lock_guard lock(write_mu_);
    stopping_ = true;
  }
  write_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::lock_guard lock(watch_mu_);
  ODMD_CHECK(watches_ == 0);
}

// Reads

Result<PostgresConfigStore::Lease> PostgresConfigStore::AcquireReader() {
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [this] { return !idle_readers_.empty() || open_readers_ < kMaxReaders; });
    if (!idle_readers_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_readers_;
  }
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(url_, target_);
  if (!conn.ok()) {
    {
      std::lock_guard lock(pool_mu_);
      --open_readers_;
    }
    pool_cv_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(*conn));
}

void PostgresConfigStore::Release(std::unique_ptr<PgConnection> conn) {
  {
    std::lock_guard lock(pool_mu_);
    if (conn->broken()) {
      --open_readers_;  // a lost connection is replaced on the next acquire
    } else {
      idle_readers_.push_back(std::move(conn));
    }
  }
  pool_cv_.notify_one();
}

Result<Entry> PostgresConfigStore::Get(std::string_view key) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  PgParams params;
  params.Bytes(key);
  ODMD_ASSIGN_OR_RETURN(PgRows rows, lease->Run(kSelectLatest, params));
  if (rows.rows() == 0) return NotFoundError("key " + Quote(key) + " not found");
  if (rows.Bool(0, 2)) {
    return NotFoundError("key " + Quote(key) + " was deleted at revision " +
                         std::to_string(rows.Int64(0, 0)));
  }
  return EntryFrom(std::string(key), rows.Int64(0, 0), rows.Int64(0, 1), rows.Bytes(0, 3), false);
}

Result<Entry> PostgresConfigStore::GetVersion(std::string_view key, Version version) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  ODMD_RETURN_IF_ERROR(ValidateVersion(key, version));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  PgParams params;
  params.Bytes(key).Int64(version);
  ODMD_ASSIGN_OR_RETURN(PgRows rows, lease->Run(kSelectVersion, params));
  const std::string what = "version " + std::to_string(version) + " of key " + Quote(key);
  if (rows.rows() == 0) return NotFoundError(what + " not found");
  if (rows.Bool(0, 1)) return NotFoundError(what + " is a deletion");
  return EntryFrom(std::string(key), rows.Int64(0, 0), version, rows.Bytes(0, 2), false);
}

namespace {

// The rows of a List or ListAt query (key, revision, version, value; live records only).
std::vector<Entry> LiveEntries(const PgRows& rows) {
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    entries.push_back(
        EntryFrom(rows.Bytes(i, 0), rows.Int64(i, 1), rows.Int64(i, 2), rows.Bytes(i, 3), false));
  }
  return entries;
}

}  // namespace

Result<std::vector<Entry>> PostgresConfigStore::List(std::string_view prefix) {
  ODMD_RETURN_IF_ERROR(ValidatePrefix(prefix));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  const std::string end = PrefixEnd(prefix);
  PgParams params;
  params.Bytes(prefix).Bytes(end);
  ODMD_ASSIGN_OR_RETURN(PgRows rows, lease->Run(kSelectList, params));
  return LiveEntries(rows);
}

Result<std::vector<Entry>> PostgresConfigStore::ListAt(std::string_view prefix, Revision at) {
  ODMD_RETURN_IF_ERROR(ValidateListAt(prefix, at));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  const std::string end = PrefixEnd(prefix);
  PgParams params;
  params.Bytes(prefix).Bytes(end).Int64(at);
  ODMD_ASSIGN_OR_RETURN(PgRows rows, lease->Run(kSelectListAt, params));
  return LiveEntries(rows);
}

Result<std::vector<Entry>> PostgresConfigStore::History(std::string_view key) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  PgParams params;
  params.Bytes(key);
  ODMD_ASSIGN_OR_RETURN(PgRows rows, lease->Run(kSelectHistory, params));
  if (rows.rows() == 0) return NotFoundError("key " + Quote(key) + " not found");
  std::vector<Entry> entries;
  entries.reserve(static_cast<std::size_t>(rows.rows()));
  for (int i = 0; i < rows.rows(); ++i) {
    entries.push_back(EntryFrom(std::string(key), rows.Int64(i, 0), rows.Int64(i, 1),
                                rows.Bytes(i, 3), rows.Bool(i, 2)));
  }
  return entries;
}

Result<Revision> PostgresConfigStore::LatestRevision() {
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  ODMD_ASSIGN_OR_RETURN(PgRows rows, lease->Run(kSelectHead, PgParams()));
  if (rows.rows() != 1) {
    return FailedPreconditionError("store " + Quote(target_.label) +
                                   ": table \"odmd_meta\" has lost its row");
  }
  return rows.Int64(0, 0);
}

Result<PostgresConfigStore::ChangePage> PostgresConfigStore::ReadChanges(std::string_view prefix,
                                                                         Revision after,
                                                                         int limit) {
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  const std::string end = PrefixEnd(prefix);
  PgParams params;
  params.Int64(after).Bytes(prefix).Bytes(end).Int64(limit);
  ODMD_ASSIGN_OR_RETURN(PgRows rows, lease->Run(kSelectChanges, params));
  ChangePage page;
  for (int i = 0; i < rows.rows(); ++i) {
    page.head = rows.Int64(i, 0);
    if (rows.IsNull(i, 1)) continue;  // no changes: the head alone
    const bool tombstone = rows.Bool(i, 4);
    page.events.push_back(ChangeEvent{rows.Int64(i, 1), rows.Bytes(i, 2),
                                      tombstone ? ChangeKind::kDelete : ChangeKind::kPut,
                                      rows.Bytes(i, 5), rows.Int64(i, 3), rows.Int64(i, 6)});
  }
  return page;
}

// Writes

Result<WriteResult> PostgresConfigStore::Put(std::string_view key, std::string_view value,
                                             std::optional<Revision> if_revision) {
  return PutOrDelete(nullptr, key, value, false, if_revision);
}

Result<WriteResult> PostgresConfigStore::Delete(std::string_view key,
                                                std::optional<Revision> if_revision) {
  return PutOrDelete(nullptr, key, {}, true, if_revision);
}

Result<std::vector<WriteResult>> PostgresConfigStore::WriteBatch(std::span<const BatchOp> ops) {
  return Batch(nullptr, ops);
}

Result<WriteResult> PostgresConfigStore::FencedPut(const Fence& fence, std::string_view key,
                                                   std::string_view value,
                                                   std::optional<Revision> if_revision) {
  return PutOrDelete(&fence, key, value, false, if_revision);
}

Result<WriteResult> PostgresConfigStore::FencedDelete(const Fence& fence, std::string_view key,
                                                      std::optional<Revision> if_revision) {
  return PutOrDelete(&fence, key, {}, true, if_revision);
}

Result<std::vector<WriteResult>> PostgresConfigStore::FencedWriteBatch(
    const Fence& fence, std::span<const BatchOp> ops) {
  return Batch(&fence, ops);
}

Result<WriteResult> PostgresConfigStore::PutOrDelete(const Fence* fence, std::string_view key,
                                                     std::string_view value, bool tombstone,
                                                     std::optional<Revision> if_revision) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  if (!tombstone) ODMD_RETURN_IF_ERROR(ValidateValue(key, value));
  ODMD_RETURN_IF_ERROR(ValidateIfRevision(key, if_revision));
  WriteOp op;
  op.key = key;
  op.value = value;
  op.tombstone = tombstone;
  op.if_revision = if_revision;
  op.fence = fence;
  ODMD_RETURN_IF_ERROR(Write(op));
  return std::move(*op.result);
}

Result<std::vector<WriteResult>> PostgresConfigStore::Batch(const Fence* fence,
                                                            std::span<const BatchOp> ops) {
  ODMD_RETURN_IF_ERROR(ValidateBatch(ops));
  if (ops.empty()) return std::vector<WriteResult>();
  WriteOp op;
  op.batch = ops;
  op.fence = fence;
  ODMD_RETURN_IF_ERROR(Write(op));
  return std::move(*op.batch_result);
}

Status PostgresConfigStore::Write(WriteOp& op) {
  std::unique_lock lock(write_mu_);
  if (stopping_) return UnavailableError("store " + Quote(target_.label) + " is closing");
  queue_.push_back(&op);
  write_cv_.notify_one();
  done_cv_.wait(lock, [&op] { return op.done; });
  return OkStatus();
}

void PostgresConfigStore::Fail(WriteOp& op, const Status& status) {
  if (op.batch.empty()) {
    op.result = status;
  } else {
    op.batch_result = status;
  }
}

// A WriteBatch goes alone; puts and deletes go together up to the next WriteBatch or the next
// op of another fence (or none).
std::vector<PostgresConfigStore::WriteOp*> PostgresConfigStore::TakeBatchLocked() {
  std::vector<WriteOp*> batch;
  if (!queue_.empty() && !queue_.front()->batch.empty()) {
    batch.push_back(queue_.front());
    queue_.pop_front();
    return batch;
  }
  std::size_t bytes = 0;
  const Fence* fence = queue_.empty() ? nullptr : queue_.front()->fence;
  while (!queue_.empty() && queue_.front()->batch.empty() && batch.size() < kMaxBatchOps &&
         bytes < kMaxBatchBytes && SameFence(queue_.front()->fence, fence)) {
    batch.push_back(queue_.front());
    bytes += queue_.front()->key.size() + queue_.front()->value.size();
    queue_.pop_front();
  }
  return batch;
}

// Group commit: whatever queued while the previous batch was committing goes into the next
// transaction, so N concurrent writers pay for about one commit (one fsync) per batch.
void PostgresConfigStore::WriterLoop() {
  for (;;) {
    std::vector<WriteOp*> batch;
    {
      std::unique_lock lock(write_mu_);
      write_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued write is done
      batch = TakeBatchLocked();
    }
    Result<Revision> latest =
        batch.front()->batch.empty() ? CommitBatch(batch) : CommitAtomic(*batch.front());
    if (!latest.ok()) {
      for (WriteOp* op : batch) Fail(*op, latest.status());
    } else if (*latest > 0) {
      Committed(*latest);
    }
    {
      std::lock_guard lock(write_mu_);
      for (WriteOp* op : batch) op->done = true;
    }
    done_cv_.notify_all();
  }
}

Status PostgresConfigStore::ConnectWriter() {
  if (writer_conn_ != nullptr && !writer_conn_->broken()) return OkStatus();
  writer_conn_.reset();
  ODMD_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(url_, target_));
  ODMD_RETURN_IF_ERROR(ConfigureWriter(*conn, options_));
  writer_conn_ = std::move(conn);
  return OkStatus();
}

Result<PgRows> PostgresConfigStore::RunWrite(const Fence* fence, WriteArrays arrays,
                                             std::size_t ops) {
  PgParams params;
  if (fence != nullptr) params.Text(fence->lease).Int64(fence->epoch);
  params.Encoded(kByteaArrayOid, std::move(arrays.keys))
      .Encoded(kByteaArrayOid, std::move(arrays.values))
      .Encoded(kBoolArrayOid, std::move(arrays.tombstones))
      .Encoded(kInt8ArrayOid, std::move(arrays.if_revisions));
  ODMD_ASSIGN_OR_RETURN(PgRows rows,
                        writer_conn_->Run(fence != nullptr ? kFencedWrite : kWrite, params));
  if (fence != nullptr && rows.rows() == 1 && rows.Int64(0, 1) == kFenced) {
    return LeaseLostError(fence->epoch, rows.Int64(0, 2));
  }
  if (rows.rows() != static_cast<int>(ops)) {
    return InternalError("store " + Quote(target_.label) + ": odmd_write returned " +
                         std::to_string(rows.rows()) + " results for " + std::to_string(ops) +
                         " writes");
  }
  for (int i = 0; i < rows.rows(); ++i) {
    if (rows.Int64(i, 0) != i + 1) {
      return InternalError("store " + Quote(target_.label) + ": odmd_write answered out of order");
    }
  }
  return rows;
}

Result<Revision> PostgresConfigStore::CommitBatch(const std::vector<WriteOp*>& batch) {
  ODMD_RETURN_IF_ERROR(ConnectWriter());
  std::vector<std::string_view> keys, values;
  std::vector<bool> tombstones;
  std::vector<std::int64_t> if_revisions;
  for (const WriteOp* op : batch) {
    keys.push_back(op->key);
    values.push_back(op->tombstone ? std::string_view() : op->value);
    tombstones.push_back(op->tombstone);
    if_revisions.push_back(op->if_revision.value_or(-1));  // -1: no condition
  }
  ODMD_ASSIGN_OR_RETURN(PgRows rows,
                        RunWrite(batch.front()->fence,
                                 {EncodeByteaArray(keys), EncodeByteaArray(values),
                                  EncodeBoolArray(tombstones), EncodeInt64Array(if_revisions)},
                                 batch.size()));
  Revision latest = 0;
  for (int i = 0; i < rows.rows(); ++i) {
    WriteOp& op = *batch[static_cast<std::size_t>(i)];
    const std::int64_t outcome = rows.Int64(i, 1);
    const Revision revision = rows.Int64(i, 2);
    if (outcome == kWritten) {
      op.result = WriteResult{revision, rows.Int64(i, 3)};
      latest = revision;
    } else if (outcome == kLostCompareAndSet) {
      op.result =
          AbortedError("key " + Quote(op.key) + " is at revision " + std::to_string(revision) +
                       ", not " + std::to_string(*op.if_revision));
    } else {
      op.result = NotFoundError("key " + Quote(op.key) + " not found");
    }
  }
  return latest;
}

namespace {

// The results of an atomic batch's odmd_write, or the first op's refusal.
Result<std::vector<WriteResult>> BatchResults(const PgRows& rows, std::span<const BatchOp> ops) {
  std::vector<WriteResult> results;
  results.reserve(ops.size());
  for (int i = 0; i < rows.rows(); ++i) {
    const BatchOp& one = ops[static_cast<std::size_t>(i)];
    const std::int64_t outcome = rows.Int64(i, 1);
    const Revision revision = rows.Int64(i, 2);
    Status refused;
    if (outcome == kLostCompareAndSet) {
      refused =
          AbortedError("key " + Quote(one.key) + " is at revision " + std::to_string(revision) +
                       ", not " + std::to_string(*one.if_revision));
    } else if (outcome != kWritten) {
      refused = NotFoundError("key " + Quote(one.key) + " not found");
    }
    if (!refused.ok()) return AtBatchOp(static_cast<std::size_t>(i), one.key, refused);
    results.push_back(WriteResult{revision, rows.Int64(i, 3)});
  }
  return results;
}

}  // namespace

Result<Revision> PostgresConfigStore::CommitAtomic(WriteOp& op) {
  ODMD_RETURN_IF_ERROR(ConnectWriter());
  const std::span<const BatchOp> ops = op.batch;
  std::vector<std::string_view> keys, values;
  std::vector<bool> tombstones;
  std::vector<std::int64_t> if_revisions;
  for (const BatchOp& one : ops) {
    const bool tombstone = one.kind == BatchOp::Kind::kDelete;
    keys.push_back(one.key);
    values.push_back(tombstone ? std::string_view() : std::string_view(one.value));
    tombstones.push_back(tombstone);
    if_revisions.push_back(one.if_revision.value_or(-1));  // -1: no condition
  }
  WriteArrays arrays{EncodeByteaArray(keys), EncodeByteaArray(values), EncodeBoolArray(tombstones),
                     EncodeInt64Array(if_revisions)};
  // odmd_write runs in this transaction and holds the head row (and odmd_fenced_write the
  // lease row) until its end, so the batch's revisions are consecutive; a refused op rolls
  // back the ones before it.
  ODMD_RETURN_IF_ERROR(writer_conn_->Exec("BEGIN"));
  Result<std::vector<WriteResult>> results = [&]() -> Result<std::vector<WriteResult>> {
    ODMD_ASSIGN_OR_RETURN(PgRows rows, RunWrite(op.fence, std::move(arrays), ops.size()));
    return BatchResults(rows, ops);
  }();
  if (!results.ok()) {
    (void)writer_conn_->Exec("ROLLBACK");  // a lost connection has rolled back already
    if (writer_conn_->broken()) return results.status();
    // A refusal (or a lost lease) is this op's answer, not a failure of the store.
    op.batch_result = std::move(results);
    return Revision{0};
  }
  ODMD_RETURN_IF_ERROR(writer_conn_->Exec("COMMIT"));
  const Revision latest = results->back().revision;
  op.batch_result = std::move(results);
  return latest;
}

// Leader lease

Result<LeaderLeasePtr> PostgresConfigStore::NewLeaderLease(const LeaseOptions& options) {
  ODMD_RETURN_IF_ERROR(ValidateLeaseOptions(options));
  return LeaderLeasePtr(std::make_unique<PostgresLeaderLease>(*this, options));
}

// Watch

Result<WatchHandlePtr> PostgresConfigStore::Watch(std::string_view prefix, Revision after,
                                                  ChangeSink sink) {
  ODMD_RETURN_IF_ERROR(ValidateWatch(prefix, after, sink));
  {
    std::lock_guard lock(listener_mu_);
    if (listener_ == nullptr) {
      listener_ = std::make_unique<PostgresListener>(
          url_, target_,
          PostgresListener::Callbacks{[this](Revision revision) { Committed(revision); },
                                      [this] { Resync(); }});
    }
    listener_->WaitForFirstAttempt();
  }
  auto watch = std::make_unique<PostgresWatch>(*this, std::string(prefix), after, std::move(sink));
  watch->Start();
  return WatchHandlePtr(std::move(watch));
}

void PostgresConfigStore::Committed(Revision revision) {
  {
    std::lock_guard lock(watch_mu_);
    if (revision <= head_hint_) return;
    head_hint_ = revision;
  }
  watch_cv_.notify_all();
}

void PostgresConfigStore::Resync() {
  {
    std::lock_guard lock(watch_mu_);
    ++generation_;
  }
  watch_cv_.notify_all();
}

}  // namespace odmd::store::postgres

#include "sqlite/sqlite_config_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "lease_common.h"
#include "odmd/base/strings.h"
#include "sqlite/sqlite_lease.h"
#include "sqlite/sqlite_notifier.h"
#include "sqlite/sqlite_read_cache.h"
#include "sqlite/sqlite_schema.h"
#include "sqlite/sqlite_wal_vfs.h"
#include "sqlite/sqlite_watch.h"

namespace odmd::store::sqlite {
namespace {

// The queries find a key's latest record through head and its other versions through the
// (version, key) index (sqlite_schema.h).
constexpr const char* kSelectLatest =
    "SELECT l.revision, l.version, l.value, l.tombstone FROM head AS h "
    "JOIN log AS l ON l.revision = h.revision WHERE h.key = ?1";
constexpr const char* kSelectVersion =
    "SELECT revision, value, tombstone FROM log WHERE version = ?2 AND key = ?1";
constexpr const char* kSelectVersionRevision =
    "SELECT revision FROM log WHERE version = ?2 AND key = ?1";
// Versions 1 to the latest, one index search each.
constexpr const char* kSelectHistory =
    "WITH RECURSIVE n(version) AS (SELECT 1 UNION ALL SELECT version + 1 FROM n WHERE version < "
    "(SELECT l.version FROM head AS h JOIN log AS l ON l.revision = h.revision WHERE h.key = ?1)) "
    "SELECT l.revision, l.version, l.value, l.tombstone FROM n JOIN log AS l "
    "ON l.version = n.version AND l.key = ?1 ORDER BY l.version";
constexpr const char* kSelectList =
    "SELECT h.key, l.revision, l.version, l.value FROM head AS h "
    "JOIN log AS l ON l.revision = h.revision "
    "WHERE h.key >= ?1 AND h.key < ?2 AND l.tombstone = 0 ORDER BY h.key";
// Each key's latest record: ListAt goes back from it (see ListAt).
constexpr const char* kSelectHeads =
    "SELECT h.key, l.revision, l.version FROM head AS h JOIN log AS l ON l.revision = h.revision "
    "WHERE h.key >= ?1 AND h.key < ?2 ORDER BY h.key";
// '+key' keeps the planner on the revision order instead of the key index.
constexpr const char* kSelectChanges =
    "SELECT revision, key, version, value, tombstone, "
    "COALESCE((SELECT p.revision FROM log AS p WHERE p.version = l.version - 1 AND p.key = "
    "l.key), 0) FROM log AS l WHERE revision > ?1 AND revision <= ?2 AND +key >= ?3 AND +key < ?4 "
    "ORDER BY revision LIMIT ?5";
constexpr const char* kSelectMaxRevision = "SELECT COALESCE(MAX(revision), 0) FROM log";
constexpr const char* kSelectLatestState =
    "SELECT l.revision, l.version, l.tombstone FROM head AS h "
    "JOIN log AS l ON l.revision = h.revision WHERE h.key = ?1";
constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kDataVersion = "PRAGMA data_version";
constexpr const char* kInsert =
    "INSERT INTO log (revision, key, version, value, tombstone) VALUES (?1, ?2, ?3, ?4, ?5)";

// The writer forgets its key states when it remembers this many (a bound on its memory).
constexpr std::size_t kMaxWriterKeyStates = 100000;

// The smallest string greater than every string starting with `prefix` ("/a" -> "/b").
// Keys are at most kMaxKeyBytes bytes, so kMaxKeyBytes + 1 bytes of 0xff bound them all.
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::string(kMaxKeyBytes + 1, '\xff');
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

Entry EntryFrom(std::string_view key, Revision revision, Version version, std::string value,
                bool tombstone) {
  return Entry{std::string(key), std::move(value), revision, version, tombstone};
}

}  // namespace

class SqliteConfigStore::Lease {
 public:
  Lease(SqliteConfigStore* store, Slot* slot) : store_(store), slot_(slot), lock_(slot->mu) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (!lock_.owns_lock()) return;  // moved from
    lock_.unlock();
    store_->Release(slot_);
  }
  Connection& conn() { return *slot_->conn; }

 private:
  SqliteConfigStore* store_;
  Slot* slot_;
  std::unique_lock<std::mutex> lock_;
};

namespace {

// Creates the store file readable by its owner only (0600) if it does not exist yet: it
// holds every product value. SQLite gives the -wal and -shm files the database file's
// permissions. An empty file is an empty SQLite database.
Status CreatePrivateFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return OkStatus();
  }
  if (errno == EEXIST) return OkStatus();
  return UnavailableError("store " + Quote(path) +
                          ": cannot create the file: " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<SqliteConfigStore>> SqliteConfigStore::Open(const std::string& path,
                                                                   const StoreOptions& options) {
  const bool in_memory = path == ":memory:";
  if (path.empty()) return InvalidArgumentError("store path is empty");
  if (!in_memory) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      return UnavailableError("store " + Quote(path) + ": cannot create directory " +
                              Quote(parent.string()) + ": " + ec.message());
    }
    ODMD_RETURN_IF_ERROR(CreatePrivateFile(path));
  }
  const int timeout_ms = static_cast<int>(options.busy_timeout.count());
  // The writer of a durable store writes a commit's WAL frames at once (sqlite_wal_vfs.h),
  // which needs synchronous = FULL before anything is written, the schema included.
  const bool coalesce = options.durable && !in_memory;
  ODMD_ASSIGN_OR_RETURN(
      std::unique_ptr<Connection> conn,
      Connection::Open(path, /*create=*/true, timeout_ms, coalesce ? CoalescingWalVfs() : nullptr));
  ODMD_RETURN_IF_ERROR(SetSynchronous(*conn, options.durable));
  // The coalescing VFS keeps frames in memory until their commit syncs: a transaction that
  // spilled frames and then rolled back would leave them there, for a later flush to write
  // over another writer's (sqlite_wal_vfs.h). Without spills, every frame is a commit's.
  if (coalesce) ODMD_RETURN_IF_ERROR(conn->Exec("PRAGMA cache_spill = OFF"));
  ODMD_RETURN_IF_ERROR(CheckOrCreateSchema(*conn));
  if (!in_memory) ODMD_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode = WAL"));
  // Also the first read in WAL mode, which maps the WAL index.
  ODMD_ASSIGN_OR_RETURN(Revision latest, conn->QueryInt64(kSelectMaxRevision));
  const volatile void* wal_index = in_memory ? nullptr : conn->WalIndex();
  std::string wal_path = in_memory ? std::string() : conn->WalPath();
  std::unique_ptr<SqliteConfigStore> store(new SqliteConfigStore(path, options, std::move(conn)));
  store->announced_revision_ = latest;
  if (wal_index != nullptr) store->probe_.emplace(wal_index);
  store->wal_path_ = std::move(wal_path);
  return store;
}

SqliteConfigStore::SqliteConfigStore(std::string path, StoreOptions options,
                                     std::unique_ptr<Connection> writer)
    : path_(std::move(path)), options_(std::move(options)), in_memory_(path_ == ":memory:") {
  writer_slot_.conn = std::move(writer);
}

SqliteConfigStore::~SqliteConfigStore() {
  std::unique_ptr<SqliteNotifier> notifier;
  {
    std::lock_guard lock(watch_mu_);
    ODMD_CHECK(watches_.empty());
    notifier = std::move(notifier_);
  }
  notifier.reset();  // outside watch_mu_: its callback takes it
}

// Reads

Result<SqliteConfigStore::Lease> SqliteConfigStore::AcquireReader() {
  if (in_memory_) return Lease(this, &writer_slot_);
  {
    std::lock_guard lock(pool_mu_);
    if (!free_readers_.empty()) {
      Slot* slot = free_readers_.back();
      free_readers_.pop_back();
      return Lease(this, slot);
    }
  }
  const int timeout_ms = static_cast<int>(options_.busy_timeout.count());
  ODMD_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                        Connection::Open(path_, /*create=*/false, timeout_ms));
  ODMD_RETURN_IF_ERROR(conn->Exec("PRAGMA query_only = 1"));
  auto slot = std::make_unique<Slot>();
  slot->conn = std::move(conn);
  Slot* raw = slot.get();
  {
    std::lock_guard lock(pool_mu_);
    readers_.push_back(std::move(slot));
  }
  return Lease(this, raw);
}

void SqliteConfigStore::Release(Slot* slot) {
  if (slot == &writer_slot_) return;
  std::lock_guard lock(pool_mu_);
  free_readers_.push_back(slot);
}

Result<Entry> SqliteConfigStore::Get(std::string_view key) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  if (!probe_.has_value()) return ReadLatest(key);
  // See sqlite_read_cache.h: an answer is reused only while no commit has happened since it
  // was read, and kept only if no commit happened while it was being read.
  const std::optional<WalIndexTag> before = probe_->Read();
  if (before.has_value()) {
    std::optional<Result<Entry>> cached = cache_.Find(key, *before);
    if (cached.has_value()) return *std::move(cached);
  }
  Result<Entry> answer = ReadLatest(key);
  if (before.has_value() && probe_->Read() == before) cache_.Insert(key, *before, answer);
  return answer;
}

Result<Entry> SqliteConfigStore::ReadLatest(std::string_view key) {
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, lease.conn().Cached(kSelectLatest));
  StatementUse use(*stmt);
  use->BindText(1, key);
  ODMD_ASSIGN_OR_RETURN(bool found, use->Step());
  if (!found) return NotFoundError("key " + Quote(key) + " not found");
  if (use->ColumnInt64(3) != 0) {
    return NotFoundError("key " + Quote(key) + " was deleted at revision " +
                         std::to_string(use->ColumnInt64(0)));
  }
  return EntryFrom(key, use->ColumnInt64(0), use->ColumnInt64(1), use->ColumnBytes(2), false);
}

Result<Entry> SqliteConfigStore::GetVersion(std::string_view key, Version version) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  ODMD_RETURN_IF_ERROR(ValidateVersion(key, version));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, lease.conn().Cached(kSelectVersion));
  StatementUse use(*stmt);
  use->BindText(1, key);
  use->BindInt64(2, version);
  ODMD_ASSIGN_OR_RETURN(bool found, use->Step());
  const std::string what = "version " + std::to_string(version) + " of key " + Quote(key);
  if (!found) return NotFoundError(what + " not found");
  if (use->ColumnInt64(2) != 0) return NotFoundError(what + " is a deletion");
  return EntryFrom(key, use->ColumnInt64(0), version, use->ColumnBytes(1), false);
}

namespace {

// The rows of a List or ListAt query (key, revision, version, value; live records only).
Result<std::vector<Entry>> LiveEntries(StatementUse& use) {
  std::vector<Entry> entries;
  for (;;) {
    ODMD_ASSIGN_OR_RETURN(bool row, use->Step());
    if (!row) break;
    entries.push_back(EntryFrom(use->ColumnBytes(0), use->ColumnInt64(1), use->ColumnInt64(2),
                                use->ColumnBytes(3), false));
  }
  return entries;
}

// The revision of version `version` of `key`, or 0 if there is none.
Result<Revision> RevisionOf(Connection& conn, std::string_view key, Version version) {
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, conn.Cached(kSelectVersionRevision));
  StatementUse use(*stmt);
  use->BindText(1, key);
  use->BindInt64(2, version);
  ODMD_ASSIGN_OR_RETURN(bool found, use->Step());
  return found ? use->ColumnInt64(0) : 0;
}

// The version of `key` current at revision `at` (0: none yet), given its latest one
// (`latest`, at revision `latest_revision`). A key's revisions grow with its versions, so a
// binary search over the (version, key) index finds it in O(log versions) searches.
Result<Version> VersionAt(Connection& conn, std::string_view key, Revision latest_revision,
                          Version latest, Revision at) {
  if (latest_revision <= at) return latest;
  Version low = 0;        // invariant: version `low` is at or before `at` (0: before version 1)
  Version high = latest;  // invariant: version `high` is after `at`
  while (high - low > 1) {
    const Version middle = low + (high - low) / 2;
    ODMD_ASSIGN_OR_RETURN(Revision revision, RevisionOf(conn, key, middle));
    if (revision != 0 && revision <= at) {
      low = middle;
    } else {
      high = middle;
    }
  }
  return low;
}

}  // namespace

Result<std::vector<Entry>> SqliteConfigStore::List(std::string_view prefix) {
  ODMD_RETURN_IF_ERROR(ValidatePrefix(prefix));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, lease.conn().Cached(kSelectList));
  StatementUse use(*stmt);
  use->BindText(1, prefix);
  use->BindText(2, PrefixEnd(prefix));
  return LiveEntries(use);
}

Result<std::vector<Entry>> SqliteConfigStore::ListAt(std::string_view prefix, Revision at) {
  ODMD_RETURN_IF_ERROR(ValidateListAt(prefix, at));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  Connection& conn = lease.conn();
  ODMD_ASSIGN_OR_RETURN(Statement * heads, conn.Cached(kSelectHeads));
  // The other statements run while this one is stepping, in its read transaction: one
  // snapshot of the store.
  StatementUse use(*heads);
  use->BindText(1, prefix);
  use->BindText(2, PrefixEnd(prefix));
  std::vector<Entry> entries;
  for (;;) {
    ODMD_ASSIGN_OR_RETURN(bool row, use->Step());
    if (!row) break;
    const std::string key = use->ColumnBytes(0);
    ODMD_ASSIGN_OR_RETURN(Version version,
                          VersionAt(conn, key, use->ColumnInt64(1), use->ColumnInt64(2), at));
    if (version == 0) continue;
    ODMD_ASSIGN_OR_RETURN(Statement * stmt, conn.Cached(kSelectVersion));
    StatementUse record(*stmt);
    record->BindText(1, key);
    record->BindInt64(2, version);
    ODMD_ASSIGN_OR_RETURN(bool found, record->Step());
    if (!found || record->ColumnInt64(2) != 0) continue;
    entries.push_back(
        EntryFrom(key, record->ColumnInt64(0), version, record->ColumnBytes(1), false));
  }
  return entries;
}

Result<std::vector<Entry>> SqliteConfigStore::History(std::string_view key) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, lease.conn().Cached(kSelectHistory));
  StatementUse use(*stmt);
  use->BindText(1, key);
  std::vector<Entry> entries;
  for (;;) {
    ODMD_ASSIGN_OR_RETURN(bool row, use->Step());
    if (!row) break;
    entries.push_back(EntryFrom(key, use->ColumnInt64(0), use->ColumnInt64(1), use->ColumnBytes(2),
                                use->ColumnInt64(3) != 0));
  }
  if (entries.empty()) return NotFoundError("key " + Quote(key) + " not found");
  return entries;
}

Result<Revision> SqliteConfigStore::LatestRevision() {
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  return lease.conn().QueryInt64(kSelectMaxRevision);
}

Result<std::vector<ChangeEvent>> SqliteConfigStore::ReadChanges(std::string_view prefix,
                                                                Revision after, Revision until,
                                                                int limit) {
  ODMD_ASSIGN_OR_RETURN(Lease lease, AcquireReader());
  ODMD_ASSIGN_OR_RETURN(Statement * stmt, lease.conn().Cached(kSelectChanges));
  StatementUse use(*stmt);
  use->BindInt64(1, after);
  use->BindInt64(2, until);
  use->BindText(3, prefix);
  use->BindText(4, PrefixEnd(prefix));
  use->BindInt64(5, limit);
  std::vector<ChangeEvent> events;
  for (;;) {
    ODMD_ASSIGN_OR_RETURN(bool row, use->Step());
    if (!row) break;
    const bool tombstone = use->ColumnInt64(4) != 0;
    events.push_back(ChangeEvent{use->ColumnInt64(0), use->ColumnBytes(1),
                                 tombstone ? ChangeKind::kDelete : ChangeKind::kPut,
                                 use->ColumnBytes(3), use->ColumnInt64(2), use->ColumnInt64(5)});
  }
  return events;
}

// Writes

Result<WriteResult> SqliteConfigStore::Put(std::string_view key, std::string_view value,
                                           std::optional<Revision> if_revision) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  ODMD_RETURN_IF_ERROR(ValidateValue(key, value));
  ODMD_RETURN_IF_ERROR(ValidateIfRevision(key, if_revision));
  const Change change{key, value, false, if_revision};
  WriteOp op;
  op.changes = std::span(&change, 1);
  ODMD_RETURN_IF_ERROR(Write(op));
  return op.results.front();
}

Result<WriteResult> SqliteConfigStore::Delete(std::string_view key,
                                              std::optional<Revision> if_revision) {
  ODMD_RETURN_IF_ERROR(ValidateKey(key));
  ODMD_RETURN_IF_ERROR(ValidateIfRevision(key, if_revision));
  const Change change{key, std::string_view(), true, if_revision};
  WriteOp op;
  op.changes = std::span(&change, 1);
  ODMD_RETURN_IF_ERROR(Write(op));
  return op.results.front();
}

Result<std::vector<WriteResult>> SqliteConfigStore::WriteBatch(std::span<const BatchOp> ops) {
  ODMD_RETURN_IF_ERROR(ValidateBatch(ops));
  if (ops.empty()) return std::vector<WriteResult>();
  std::vector<Change> changes;
  changes.reserve(ops.size());
  for (const BatchOp& op : ops) {
    const bool tombstone = op.kind == BatchOp::Kind::kDelete;
    changes.push_back(
        Change{op.key, tombstone ? std::string_view() : op.value, tombstone, op.if_revision});
  }
  WriteOp op;
  op.changes = changes;
  op.batch = true;
  ODMD_RETURN_IF_ERROR(Write(op));
  return std::move(op.results);
}

Status SqliteConfigStore::Write(WriteOp& op) {
  std::unique_lock lock(write_mu_);
  queue_.push_back(&op);
  if (!awaited_.empty()) {
    auto it = std::find(awaited_.begin(), awaited_.end(), op.writer);
    if (it != awaited_.end()) {
      awaited_.erase(it);
      if (awaited_.empty()) leader_cv_.notify_one();
    }
  }
  if (queue_.front() != &op) {
    lock.unlock();
    AwaitTurn(op);
    if (op.state.load(std::memory_order_acquire) == WriteOp::kDone) return op.status;
    lock.lock();
  }
  // This op leads: whatever queued while the previous batch was committing goes into this
  // transaction, so N concurrent writers pay for about one fsync per batch instead of N.
  GatherBatch(lock);
  lock.unlock();
  const auto start = std::chrono::steady_clock::now();
  const bool committed = CommitAndPublish();
  const auto took = std::chrono::steady_clock::now() - start;
  lock.lock();
  commit_time_ += (std::chrono::duration_cast<std::chrono::nanoseconds>(took) - commit_time_) / 8;
  const std::size_t n = batch_.size();
  for (std::size_t i = 0; i < n; ++i) {
    WriteOp* done = queue_.front();
    queue_.pop_front();
    // Its writer may return (and free it) from here on.
    if (done != &op) done->state.store(WriteOp::kDone, std::memory_order_release);
  }
  if (!queue_.empty()) queue_.front()->state.store(WriteOp::kLeading, std::memory_order_release);
  lock.unlock();
  // One system call wakes the whole batch; each finds its op done without taking write_mu_.
  wakeups_.WakeAll();
  // Off the others' critical path, after Publish (so that our own notifier, woken by it,
  // finds nothing new).
  if (committed && !wal_path_.empty()) SignalCommit(wal_path_);
  return op.status;
}

void SqliteConfigStore::AwaitTurn(const WriteOp& op) {
  for (;;) {
    const std::uint32_t seen = wakeups_.Seen();
    if (op.state.load(std::memory_order_acquire) != WriteOp::kQueued) return;
    wakeups_.Wait(seen);
  }
}

// A commit costs about the same whatever it carries (one fsync), so the batch should hold
// every writer that is about to write. The writers of the previous batch were woken when it
// committed and most are queueing their next op right now: without waiting, the batches of
// N busy writers split into two alternating halves. The wait ends when the last of them
// queues, and after a quarter of a commit's time at most, so a writer that went away costs
// the others little (16 busy writers: ~15 ops per commit, against ~12 without the wait).
void SqliteConfigStore::GatherBatch(std::unique_lock<std::mutex>& lock) {
  awaited_.clear();
  for (std::thread::id writer : last_writers_) {
    const bool queued = std::any_of(queue_.begin(), queue_.end(), [&](const WriteOp* queued_op) {
      return queued_op->writer == writer;
    });
    if (!queued) awaited_.push_back(writer);
  }
  if (!awaited_.empty()) {
    leader_cv_.wait_for(lock, commit_time_ / 4, [&] { return awaited_.empty(); });
    awaited_.clear();
  }
  batch_.assign(queue_.begin(), queue_.end());
  last_writers_.clear();
  if (batch_.size() < 2) return;
  for (const WriteOp* queued_op : batch_) {
    if (std::find(last_writers_.begin(), last_writers_.end(), queued_op->writer) ==
        last_writers_.end()) {
      last_writers_.push_back(queued_op->writer);
    }
  }
  if (last_writers_.size() < 2) last_writers_.clear();
}

bool SqliteConfigStore::CommitAndPublish() {
  Revision after = 0;
  std::vector<ChangeEvent> events;
  Status status;
  {
    std::lock_guard slot(writer_slot_.mu);
    status = CommitBatch(after, events);
  }
  if (!status.ok()) {
    for (WriteOp* op : batch_) {
      op->status = status;
      op->results.clear();
    }
    return false;
  }
  Publish(after, events);
  return !events.empty();
}

Status SqliteConfigStore::CommitBatch(Revision& after, std::vector<ChangeEvent>& events) {
  Connection& conn = *writer_slot_.conn;
  ODMD_RETURN_IF_ERROR(conn.Run(kBegin));
  Status status = RefreshWriterState(conn);
  std::vector<ChangeEvent> applied;
  for (std::size_t i = 0; status.ok() && i < batch_.size(); ++i) {
    Result<bool> ok = ApplyOne(
        conn, *batch_[i], latest_revision_ + 1 + static_cast<Revision>(applied.size()), applied);
    status = ok.status();
  }
  if (status.ok()) status = conn.Run(kCommit);
  if (!status.ok()) {
    writer_state_valid_ = false;  // it may hold what was rolled back
    (void)conn.Run(kRollback);
    return status;
  }
  after = latest_revision_;
  latest_revision_ += static_cast<Revision>(applied.size());
  events = std::move(applied);
  return OkStatus();
}

// Inside the write transaction nobody else can commit, so what the writer remembers stays
// true until COMMIT, unless another connection (or process) committed since our last batch:
// data_version tells (it changes only for commits by other connections).
Status SqliteConfigStore::RefreshWriterState(Connection& conn) {
  ODMD_ASSIGN_OR_RETURN(std::int64_t data_version, conn.QueryInt64(kDataVersion));
  if (writer_state_valid_ && data_version == data_version_ &&
      key_states_.size() < kMaxWriterKeyStates) {
    return OkStatus();
  }
  writer_state_valid_ = false;
  key_states_.clear();
  ODMD_ASSIGN_OR_RETURN(latest_revision_, conn.QueryInt64(kSelectMaxRevision));
  data_version_ = data_version;
  writer_state_valid_ = true;
  return OkStatus();
}

Result<SqliteConfigStore::KeyState> SqliteConfigStore::LatestState(Connection& conn,
                                                                   std::string_view key) {
  auto it = key_states_.find(key);
  if (it != key_states_.end()) return it->second;
  KeyState state;
  {
    ODMD_ASSIGN_OR_RETURN(Statement * stmt, conn.Cached(kSelectLatestState));
    StatementUse use(*stmt);
    use->BindText(1, key);
    ODMD_ASSIGN_OR_RETURN(bool found, use->Step());
    if (found) state = KeyState{use->ColumnInt64(0), use->ColumnInt64(1), use->ColumnInt64(2) == 0};
  }
  key_states_.emplace(std::string(key), state);
  return state;
}

Status SqliteConfigStore::Refusal(const WriteOp& op, std::size_t index, const Change& change,
                                  const KeyState& previous) {
  const Revision current = previous.live ? previous.revision : 0;
  Status status;
  if (change.if_revision.has_value() && *change.if_revision != current) {
    status = AbortedError("key " + Quote(change.key) + " is at revision " +
                          std::to_string(current) + ", not " + std::to_string(*change.if_revision));
  } else if (change.tombstone && !previous.live) {
    status = NotFoundError("key " + Quote(change.key) + " not found");
  }
  return op.batch ? AtBatchOp(index, change.key, status) : status;
}

// Writes every change of `op` from `revision` on. Returns false when the op is refused (a
// lost compare-and-set, a delete of an absent key): its status says why, nothing of it is
// written and the transaction goes on. An error is a database failure that fails the whole
// transaction.
Result<bool> SqliteConfigStore::ApplyOne(Connection& conn, WriteOp& op, Revision revision,
                                         std::vector<ChangeEvent>& applied) {
  // Check every change before writing any: the keys of an op are distinct, so each check
  // sees what the op's own earlier changes leave untouched. LatestState only remembers what
  // is committed or written earlier in this transaction, so a refusal leaves it right.
  std::vector<KeyState> previous;
  previous.reserve(op.changes.size());
  for (std::size_t i = 0; i < op.changes.size(); ++i) {
    ODMD_ASSIGN_OR_RETURN(KeyState state, LatestState(conn, op.changes[i].key));
    Status refusal = Refusal(op, i, op.changes[i], state);
    if (!refusal.ok()) {
      op.status = std::move(refusal);
      return false;
    }
    previous.push_back(state);
  }
  op.results.reserve(op.changes.size());
  for (std::size_t i = 0; i < op.changes.size(); ++i) {
    const Change& change = op.changes[i];
    const Revision at = revision + static_cast<Revision>(i);
    const Version version = previous[i].version + 1;
    ODMD_ASSIGN_OR_RETURN(Statement * insert, conn.Cached(kInsert));
    StatementUse use(*insert);
    use->BindInt64(1, at);
    use->BindText(2, change.key);
    use->BindInt64(3, version);
    use->BindBlob(4, change.value);
    use->BindInt64(5, change.tombstone ? 1 : 0);
    ODMD_RETURN_IF_ERROR(use->Step());
    key_states_.find(change.key)->second = KeyState{at, version, !change.tombstone};
    op.results.push_back(WriteResult{at, version});
    applied.push_back(ChangeEvent{at, std::string(change.key),
                                  change.tombstone ? ChangeKind::kDelete : ChangeKind::kPut,
                                  std::string(change.value), version, previous[i].revision});
  }
  return true;
}

// Watch

Result<LeaderLeasePtr> SqliteConfigStore::NewLeaderLease(const LeaseOptions& options) {
  ODMD_RETURN_IF_ERROR(ValidateLeaseOptions(options));
  return LeaderLeasePtr(
      std::make_unique<SqliteLeaderLease>(*this, in_memory_ ? "" : path_ + ".lease", options));
}

Result<WatchHandlePtr> SqliteConfigStore::Watch(std::string_view prefix, Revision after,
                                                ChangeSink sink) {
  ODMD_RETURN_IF_ERROR(ValidateWatch(prefix, after, sink));
  auto watch = std::make_unique<SqliteWatch>(*this, std::string(prefix), after, std::move(sink));
  {
    std::lock_guard lock(watch_mu_);
    // Another connection or process can write a file: from here on its commits poke the
    // watches; what it committed before, the watch's backlog read finds.
    if (!in_memory_ && notifier_ == nullptr) {
      notifier_ = std::make_unique<SqliteNotifier>(wal_path_, [this] { CheckForOtherWriters(); });
    }
    watches_.insert(watch.get());
  }
  watch->Start();
  return WatchHandlePtr(std::move(watch));
}

void SqliteConfigStore::Publish(Revision after, const std::vector<ChangeEvent>& events) {
  if (events.empty()) return;
  std::lock_guard lock(watch_mu_);
  const Revision until = events.back().revision;
  announced_revision_ = std::max(announced_revision_, until);
  for (SqliteWatch* watch : watches_) {
    std::vector<ChangeEvent> matching;
    for (const ChangeEvent& event : events) {
      if (watch->Matches(event.key)) matching.push_back(event);
    }
    watch->PublishLocked(after, until, std::move(matching));
  }
}

void SqliteConfigStore::CheckForOtherWriters() {
  {
    std::lock_guard lock(watch_mu_);
    if (watches_.empty()) return;
  }
  Result<Revision> latest = LatestRevision();
  if (!latest.ok()) return;  // the next signal or poll tries again
  std::lock_guard lock(watch_mu_);
  if (*latest <= announced_revision_) return;
  announced_revision_ = *latest;
  for (SqliteWatch* watch : watches_) watch->PokeLocked();
}

void SqliteConfigStore::Unregister(SqliteWatch* watch) {
  std::lock_guard lock(watch_mu_);
  watches_.erase(watch);
  watch->StopLocked();
}

}  // namespace odmd::store::sqlite

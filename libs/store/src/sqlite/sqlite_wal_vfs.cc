#include "sqlite/sqlite_wal_vfs.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>

namespace odmd::store::sqlite {
namespace {

// A transaction larger than this is written in pieces of about this size.
constexpr std::size_t kMaxPending = 1 << 20;
// The unix VFS writes at most 128 KiB - 1 bytes per call (seekAndWriteFd masks the length
// with 0x1ffff, so a longer write fails as "disk full"): larger flushes go in pieces.
constexpr std::size_t kMaxWrite = 124 << 10;

// Our VFS: the underlying one's fields and methods but for xOpen, szOsFile and the name.
// The underlying methods get our sqlite3_vfs, which carries the underlying one's
// pAppData and mxPathname: what the unix VFS reads of it.
struct CoalescingVfs {
  sqlite3_vfs vfs;  // first: SQLite hands us &vfs
  sqlite3_vfs* under;
};

// A WAL file: ours, with the underlying VFS's file behind it in the same allocation.
struct WalFile {
  sqlite3_file base;  // first: SQLite hands us &base
  sqlite3_file* real;
  std::string pending;           // bytes SQLite wrote that the real file has not yet got
  sqlite3_int64 pending_at = 0;  // their offset in the file
};

constexpr std::size_t RoundUp8(std::size_t n) { return (n + 7) & ~std::size_t{7}; }
constexpr std::size_t kWalFileBytes = RoundUp8(sizeof(WalFile));

WalFile* Wal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }

int WriteInPieces(sqlite3_file* real, const char* data, std::size_t size, sqlite3_int64 offset) {
  for (std::size_t done = 0; done < size;) {
    const std::size_t piece = std::min(size - done, kMaxWrite);
    const int rc = real->pMethods->xWrite(real, data + done, static_cast<int>(piece),
                                          offset + static_cast<sqlite3_int64>(done));
    if (rc != SQLITE_OK) return rc;
    done += piece;
  }
  return SQLITE_OK;
}

int Flush(WalFile& wal) {
  if (wal.pending.empty()) return SQLITE_OK;
  const int rc = WriteInPieces(wal.real, wal.pending.data(), wal.pending.size(), wal.pending_at);
  // Written or not, these bytes are done with: after a failed write SQLite rolls the
  // transaction back and writes its frames again from its own pages.
  wal.pending.clear();
  return rc;
}

int WalWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  WalFile& wal = *Wal(file);
  const auto bytes = static_cast<std::size_t>(amount);
  const sqlite3_int64 end = wal.pending_at + static_cast<sqlite3_int64>(wal.pending.size());
  if (!wal.pending.empty() && offset >= wal.pending_at &&
      offset + amount <= end) {  // SQLite rewrites a frame of this transaction
    std::memcpy(wal.pending.data() + (offset - wal.pending_at), data, bytes);
    return SQLITE_OK;
  }
  if (wal.pending.empty() || offset != end || wal.pending.size() + bytes > kMaxPending) {
    const int rc = Flush(wal);
    if (rc != SQLITE_OK) return rc;
    if (bytes > kMaxPending) {
      return WriteInPieces(wal.real, static_cast<const char*>(data), bytes, offset);
    }
    wal.pending_at = offset;
  }
  wal.pending.append(static_cast<const char*>(data), bytes);
  return SQLITE_OK;
}

int WalRead(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  WalFile& wal = *Wal(file);
  const int rc = Flush(wal);
  if (rc != SQLITE_OK) return rc;
  return wal.real->pMethods->xRead(wal.real, out, amount, offset);
}

int WalClose(sqlite3_file* file) {
  WalFile* wal = Wal(file);
  const int flushed = Flush(*wal);
  const int closed = wal->real->pMethods->xClose(wal->real);
  wal->~WalFile();
  return flushed != SQLITE_OK ? flushed : closed;
}

// The methods that need the file's bytes in place first.
#define ODMD_FLUSH_THEN(call)                                \
  WalFile& wal = *Wal(file);                                 \
  if (const int rc = Flush(wal); rc != SQLITE_OK) return rc; \
  return wal.real->pMethods->call
#define ODMD_FORWARD(call) return Wal(file)->real->pMethods->call

const sqlite3_io_methods kWalMethods = {
    1,  // no shared memory or memory mapping: SQLite uses those of the database file
    WalClose,
    WalRead,
    WalWrite,
    [](sqlite3_file* file, sqlite3_int64 size) { ODMD_FLUSH_THEN(xTruncate(wal.real, size)); },
    [](sqlite3_file* file, int flags) { ODMD_FLUSH_THEN(xSync(wal.real, flags)); },
    [](sqlite3_file* file, sqlite3_int64* size) { ODMD_FLUSH_THEN(xFileSize(wal.real, size)); },
    [](sqlite3_file* file, int lock) { ODMD_FORWARD(xLock(Wal(file)->real, lock)); },
    [](sqlite3_file* file, int lock) { ODMD_FORWARD(xUnlock(Wal(file)->real, lock)); },
    [](sqlite3_file* file, int* out) { ODMD_FORWARD(xCheckReservedLock(Wal(file)->real, out)); },
    [](sqlite3_file* file, int op, void* arg) { ODMD_FLUSH_THEN(xFileControl(wal.real, op, arg)); },
    [](sqlite3_file* file) { ODMD_FORWARD(xSectorSize(Wal(file)->real)); },
    [](sqlite3_file* file) { ODMD_FORWARD(xDeviceCharacteristics(Wal(file)->real)); },
    nullptr,
    nullptr,
    nullptr,
    nullptr,  // version 2: xShmMap, xShmLock, xShmBarrier, xShmUnmap
    nullptr,
    nullptr,  // version 3: xFetch, xUnfetch
};
#undef ODMD_FLUSH_THEN
#undef ODMD_FORWARD

int CoalescingOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
                   int* out_flags) {
  sqlite3_vfs* under = reinterpret_cast<CoalescingVfs*>(vfs)->under;
  // Any other file is the underlying VFS's own, in place: SQLite calls its methods directly.
  if ((flags & SQLITE_OPEN_WAL) == 0) return under->xOpen(under, name, file, flags, out_flags);
  auto* wal = new (file) WalFile;
  wal->base.pMethods = nullptr;
  wal->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kWalFileBytes);
  wal->real->pMethods = nullptr;
  const int rc = under->xOpen(under, name, wal->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite closes a file after a failed open only if its pMethods is set; ours is not.
    if (wal->real->pMethods != nullptr) wal->real->pMethods->xClose(wal->real);
    wal->~WalFile();
    return rc;
  }
  wal->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

}  // namespace

sqlite3_vfs* RegisterCoalescingWalVfs(const char* name, sqlite3_vfs* under) {
  auto* ours = new CoalescingVfs{*under, under};  // for the process's life, as SQLite needs
  ours->vfs.pNext = nullptr;
  ours->vfs.zName = name;
  ours->vfs.szOsFile = static_cast<int>(kWalFileBytes) + under->szOsFile;
  ours->vfs.xOpen = CoalescingOpen;
  if (sqlite3_vfs_register(&ours->vfs, /*makeDflt=*/0) != SQLITE_OK) {
    delete ours;
    return nullptr;
  }
  return &ours->vfs;
}

const char* CoalescingWalVfs() {
  static const char* const name = [] {
    sqlite3_vfs* under = sqlite3_vfs_find(nullptr);
    if (under == nullptr) return static_cast<const char*>(nullptr);
    sqlite3_vfs* vfs = RegisterCoalescingWalVfs("odmd-coalescing-wal", under);
    return vfs != nullptr ? vfs->zName : nullptr;
  }();
  return name;
}

}  // namespace odmd::store::sqlite

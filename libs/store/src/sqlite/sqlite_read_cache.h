#pragma once

// The latest-value read cache of a file SqliteConfigStore: Get answers from memory while
// nothing has committed to the database since the answer was read, from any connection of
// any process.
//
// How it knows: in WAL mode every commit rewrites the WAL-index header at the start of the
// -shm file, which SQLite maps into every process using the database, and the header's
// change counter (iChange) advances by one on each write (format:
// https://www.sqlite.org/walformat.html, "The WAL-Index Header"). A commit is visible to
// readers exactly when its header is written, before the committing call returns. So an
// answer read from SQLite between two equal header readings is the latest state for as long
// as the header still reads the same; any commit (ours, another connection's, another
// process's, or a checkpoint that restarts the WAL) changes it and empties the cache.
//
// The header is read the way SQLite's readers read it: copy 1, barrier, copy 2; unequal
// copies mean a writer is mid-update, and the read goes to SQLite.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "odmd/base/status.h"
#include "odmd/store/entry.h"

namespace odmd::store::sqlite {

// Lets an unordered_map keyed by std::string be searched with a std::string_view.
struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One reading of the WAL-index header (its 48 bytes as 12 native words).
using WalIndexTag = std::array<std::uint32_t, 12>;

// Reads the WAL-index header of one database.
class WalIndexProbe {
 public:
  // `wal_index`: the first shared-memory region of the database, as Connection::WalIndex
  // returns it. REQUIRES: stays mapped for the probe's life.
  explicit WalIndexProbe(const volatile void* wal_index)
      : words_(static_cast<const volatile std::uint32_t*>(wal_index)) {}

  // The current header; nullopt while a writer is rewriting it (or it is not initialised).
  std::optional<WalIndexTag> Read() const;

 private:
  const volatile std::uint32_t* words_;
};

// Latest-value answers of Get (an entry, or kNotFound), each valid for one WalIndexTag.
// Thread-safe. Bounded: a shard that outgrows its byte budget starts over.
class ReadCache {
 public:
  // The answer for `key` read when the header was `tag`, if there is one.
  std::optional<Result<Entry>> Find(std::string_view key, const WalIndexTag& tag);
  // Remembers `answer` for `key`. REQUIRES: it was read from SQLite while the header read
  // `tag` before and after the read. Answers other than OK or kNotFound are not kept.
  void Insert(std::string_view key, const WalIndexTag& tag, const Result<Entry>& answer);

 private:
  struct alignas(64) Shard {
    std::mutex mu;
    std::optional<WalIndexTag> tag;  // what every answer in `answers` was read under
    std::unordered_map<std::string, Result<Entry>, TransparentStringHash, std::equal_to<>> answers;
    std::size_t bytes = 0;
  };
  static constexpr std::size_t kShards = 16;

  Shard& ShardFor(std::string_view key);

  std::array<Shard, kShards> shards_;
};

}  // namespace odmd::store::sqlite

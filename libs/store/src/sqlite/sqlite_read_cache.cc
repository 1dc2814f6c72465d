#include "sqlite/sqlite_read_cache.h"

#include <atomic>

namespace odmd::store::sqlite {
namespace {

// Byte budget of one shard (keys plus values); 16 shards make 64 MiB at most.
constexpr std::size_t kShardBytes = std::size_t{4} << 20;
// Larger values are read from SQLite every time rather than crowd out the rest.
constexpr std::size_t kMaxCachedValueBytes = std::size_t{64} << 10;
// Per-answer bookkeeping counted against the budget besides the key and value bytes.
constexpr std::size_t kAnswerOverhead = 128;

constexpr std::size_t kHeaderWords = std::tuple_size_v<WalIndexTag>;
// Byte 12 of the header is isInit: 0 until the first connection has built the index.
constexpr std::size_t kIsInitByte = 12;

}  // namespace

std::optional<WalIndexTag> WalIndexProbe::Read() const {
  WalIndexTag first;
  WalIndexTag second;
  for (std::size_t i = 0; i < kHeaderWords; ++i) first[i] = words_[i];
  // SQLite writes copy 2 first, then copy 1, with a barrier in between (walIndexWriteHdr);
  // reading in the opposite order, equal copies are one whole header.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (std::size_t i = 0; i < kHeaderWords; ++i) second[i] = words_[kHeaderWords + i];
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (first != second) return std::nullopt;
  if (reinterpret_cast<const unsigned char*>(first.data())[kIsInitByte] == 0) return std::nullopt;
  return first;
}

ReadCache::Shard& ReadCache::ShardFor(std::string_view key) {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::optional<Result<Entry>> ReadCache::Find(std::string_view key, const WalIndexTag& tag) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  if (shard.tag != tag) return std::nullopt;
  auto it = shard.answers.find(key);
  if (it == shard.answers.end()) return std::nullopt;
  return it->second;
}

void ReadCache::Insert(std::string_view key, const WalIndexTag& tag, const Result<Entry>& answer) {
  if (!answer.ok() && answer.status().code() != StatusCode::kNotFound) return;
  const std::size_t value_bytes =
      answer.ok() ? answer->value.size() : answer.status().message().size();
  if (value_bytes > kMaxCachedValueBytes) return;
  const std::size_t bytes = key.size() + value_bytes + kAnswerOverhead;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  if (shard.tag != tag || shard.bytes + bytes > kShardBytes) {
    shard.answers.clear();
    shard.bytes = 0;
    shard.tag = tag;
  }
  auto [it, inserted] = shard.answers.try_emplace(std::string(key), answer);
  if (inserted) shard.bytes += bytes;
}

}  // namespace odmd::store::sqlite

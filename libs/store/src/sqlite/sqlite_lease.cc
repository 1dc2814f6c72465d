#include "sqlite/sqlite_lease.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "lease_common.h"
#include "odmd/base/strings.h"

namespace odmd::store::sqlite {
namespace {

constexpr Epoch kEpoch = 1;

std::int64_t NowMs() {
  // A displayed time, not a deadline: the embedded lease has no expiry.
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The lock file's text: replica id, address and acquisition time, one a line.
std::string HolderText(const LeaseOptions& options, std::int64_t acquired_ms) {
  return options.replica_id + "\n" + options.address + "\n" + std::to_string(acquired_ms) + "\n";
}

std::string ReadAll(int fd) {
  std::string text;
  char buffer[1024];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
    if (text.size() > 4096) break;  // ours is far shorter
  }
  return text;
}

std::string NextLine(std::string_view& text) {
  const std::size_t end = text.find('\n');
  std::string line(text.substr(0, end));
  text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  return line;
}

}  // namespace

SqliteLeaderLease::SqliteLeaderLease(ConfigStore& store, std::string lock_path,
                                     LeaseOptions options)
    : store_(store), lock_path_(std::move(lock_path)), options_(std::move(options)) {}

SqliteLeaderLease::~SqliteLeaderLease() {
  std::lock_guard lock(mu_);
  UnlockLocked();
}

void SqliteLeaderLease::UnlockLocked() {
  if (fd_ >= 0) {
    if (::ftruncate(fd_, 0) != 0) {
      // Only the holder's name stays behind; the lock itself goes with the descriptor.
    }
    ::close(fd_);  // drops the flock
    fd_ = -1;
  }
  held_ = false;
}

Result<std::optional<Epoch>> SqliteLeaderLease::Acquire() {
  std::lock_guard lock(mu_);
  if (held_) return std::optional<Epoch>();
  if (lock_path_.empty()) {
    held_ = true;
    acquired_ms_ = NowMs();
    return std::optional<Epoch>(kEpoch);
  }
  const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError("lease file " + Quote(lock_path_) + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) return std::optional<Epoch>();
    return UnavailableError("lease file " + Quote(lock_path_) + ": " + std::strerror(error));
  }
  acquired_ms_ = NowMs();
  const std::string text = HolderText(options_, acquired_ms_);
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const int error = errno;
    ::close(fd);
    return UnavailableError("lease file " + Quote(lock_path_) + ": " + std::strerror(error));
  }
  fd_ = fd;
  held_ = true;
  return std::optional<Epoch>(kEpoch);
}

Status SqliteLeaderLease::CheckHeldLocked(Epoch epoch) const {
  if (held_ && epoch == kEpoch) return OkStatus();
  return LeaseLostError(epoch, held_ ? kEpoch : 0);
}

Status SqliteLeaderLease::Renew(Epoch epoch) {
  std::lock_guard lock(mu_);
  return CheckHeldLocked(epoch);
}

Status SqliteLeaderLease::Release(Epoch epoch) {
  std::lock_guard lock(mu_);
  if (CheckHeldLocked(epoch).ok()) UnlockLocked();
  return OkStatus();
}

Result<std::optional<LeaseState>> SqliteLeaderLease::ReadOtherHolderLocked() {
  const int fd = ::open(lock_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<LeaseState>();
    return UnavailableError("lease file " + Quote(lock_path_) + ": " + std::strerror(errno));
  }
  // A shared lock is granted only while nobody holds the exclusive one.
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::close(fd);
    return std::optional<LeaseState>();
  }
  const std::string text = ReadAll(fd);
  ::close(fd);
  std::string_view rest = text;
  LeaseState state;
  state.holder = NextLine(rest);
  if (state.holder.empty()) state.holder = "(a server still starting)";
  state.holder_address = NextLine(rest);
  const std::string acquired = NextLine(rest);
  state.acquired_at_ms = std::atoll(acquired.c_str());
  state.epoch = kEpoch;
  return std::optional<LeaseState>(std::move(state));
}

Result<LeaseState> SqliteLeaderLease::Current() {
  std::lock_guard lock(mu_);
  const std::int64_t now = NowMs();
  std::optional<LeaseState> state;
  if (held_) {
    state.emplace();
    state->holder = options_.replica_id;
    state->holder_address = options_.address;
    state->epoch = kEpoch;
    state->acquired_at_ms = acquired_ms_;
  } else if (!lock_path_.empty()) {
    ODMD_ASSIGN_OR_RETURN(state, ReadOtherHolderLocked());
  }
  if (!state.has_value()) {
    LeaseState none;
    none.now_ms = now;
    return none;
  }
  // Held for as long as its process lives: no expiry.
  state->expires_at_ms = std::numeric_limits<std::int64_t>::max();
  state->now_ms = now;
  state->replicas.push_back(
      ReplicaInfo{state->holder, state->holder_address, state->acquired_at_ms, now});
  return std::move(*state);
}

Result<ConfigStorePtr> SqliteLeaderLease::FencedStore(Epoch epoch) {
  if (epoch != kEpoch) {
    return InvalidArgumentError("lease " + Quote(options_.name) + ": epoch " +
                                std::to_string(epoch) + " was never granted");
  }
  // Nobody else can lead while this process holds the lock: the store needs no fence.
  return NewStoreView(store_);
}

}  // namespace odmd::store::sqlite

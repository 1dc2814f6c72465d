#include "sqlite/sqlite_lease.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
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

// The lock files this process holds, by device and inode, with what a refused lease of this
// process reports. A POSIX record lock belongs to the process, not to a descriptor: a second
// lock by this process would be granted, and closing any descriptor of the file would drop
// it. So a lease of this process looks here first, and opens the file only when this process
// holds no lock on it.
struct HeldFile {
  std::string holder;
  std::string address;
  std::int64_t acquired_ms = 0;
};
using FileKey = std::pair<dev_t, ino_t>;

std::mutex& HeldMutex() {
  static std::mutex* mu = new std::mutex;
  return *mu;
}

// Guarded by HeldMutex(). A child forked from the holder holds none of its locks: the table
// it inherited is emptied at its first look.
std::map<FileKey, HeldFile>& HeldFiles() {
  static auto* held = new std::map<FileKey, HeldFile>;
  static pid_t owner = ::getpid();
  if (owner != ::getpid()) {
    held->clear();
    owner = ::getpid();
  }
  return *held;
}

// The key of the file at `path`, std::nullopt when there is none.
Result<std::optional<FileKey>> KeyOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<FileKey>();
    return UnavailableError("lease file " + Quote(path) + ": " + std::strerror(errno));
  }
  return std::optional<FileKey>(FileKey(st.st_dev, st.st_ino));
}

struct flock WholeFile(short type) {
  struct flock lock;
  std::memset(&lock, 0, sizeof lock);
  lock.l_type = type;
  lock.l_whence = SEEK_SET;  // l_start 0, l_len 0: the whole file
  return lock;
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
    std::lock_guard files(HeldMutex());
    HeldFiles().erase(key_);
    if (::ftruncate(fd_, 0) != 0) {
      // Only the holder's name stays behind; the lock itself goes with the descriptor.
    }
    ::close(fd_);  // drops the lock: this process holds no other descriptor of the file
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
  std::lock_guard files(HeldMutex());
  ODMD_ASSIGN_OR_RETURN(std::optional<FileKey> existing, KeyOf(lock_path_));
  if (existing.has_value() && HeldFiles().contains(*existing)) {
    return std::optional<Epoch>();  // another lease of this process holds it
  }
  const int fd = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError("lease file " + Quote(lock_path_) + ": " + std::strerror(errno));
  }
  struct flock whole = WholeFile(F_WRLCK);
  struct stat st;
  if (::fcntl(fd, F_SETLK, &whole) != 0 || ::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);  // this process holds no lock on the file: closing drops nothing
    if (error == EAGAIN || error == EACCES) return std::optional<Epoch>();
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
  key_ = FileKey(st.st_dev, st.st_ino);
  HeldFiles()[key_] = HeldFile{options_.replica_id, options_.address, acquired_ms_};
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
  std::lock_guard files(HeldMutex());
  ODMD_ASSIGN_OR_RETURN(std::optional<FileKey> key, KeyOf(lock_path_));
  if (!key.has_value()) return std::optional<LeaseState>();
  LeaseState state;
  state.epoch = kEpoch;
  if (auto it = HeldFiles().find(*key); it != HeldFiles().end()) {
    state.holder = it->second.holder;
    state.holder_address = it->second.address;
    state.acquired_at_ms = it->second.acquired_ms;
    return std::optional<LeaseState>(std::move(state));
  }
  const int fd = ::open(lock_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<LeaseState>();
    return UnavailableError("lease file " + Quote(lock_path_) + ": " + std::strerror(errno));
  }
  // Which lock would keep this process from writing: none while no other process holds one.
  struct flock blocker = WholeFile(F_WRLCK);
  if (::fcntl(fd, F_GETLK, &blocker) != 0 || blocker.l_type == F_UNLCK) {
    ::close(fd);
    return std::optional<LeaseState>();
  }
  const std::string text = ReadAll(fd);
  ::close(fd);
  std::string_view rest = text;
  state.holder = NextLine(rest);
  if (state.holder.empty())
    state.holder = "(a server still starting, pid " + std::to_string(blocker.l_pid) + ")";
  state.holder_address = NextLine(rest);
  const std::string acquired = NextLine(rest);
  state.acquired_at_ms = std::atoll(acquired.c_str());
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

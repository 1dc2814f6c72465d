#include "sqlite/sqlite_notifier.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <utility>

namespace odmd::store::sqlite {

SqliteNotifier::SqliteNotifier(const std::string& wal_path, std::function<void()> on_change)
    : on_change_(std::move(on_change)) {
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!wal_path.empty()) {
    const std::filesystem::path path(wal_path);
    wal_name_ = path.filename().string();
    const std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
    inotify_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    // A directory watch, not a file watch, so the file may be replaced (a new WAL after
    // every connection closed) without losing the signal.
    if (inotify_fd_ >= 0 && inotify_add_watch(inotify_fd_, dir.c_str(), IN_OPEN) < 0) {
      close(inotify_fd_);
      inotify_fd_ = -1;
    }
  }
  thread_ = std::thread([this] { Run(); });
}

SqliteNotifier::~SqliteNotifier() {
  stopping_.store(true);
  if (stop_fd_ >= 0) {
    const std::uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof(one));
  }
  thread_.join();  // without the eventfd, within one fallback poll
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

void SqliteNotifier::Run() {
  for (;;) {
    pollfd fds[2];
    nfds_t count = 0;
    if (stop_fd_ >= 0) fds[count++] = pollfd{stop_fd_, POLLIN, 0};
    if (inotify_fd_ >= 0) fds[count++] = pollfd{inotify_fd_, POLLIN, 0};
    const int ready = poll(fds, count, static_cast<int>(kFallbackPoll.count()));
    if (stopping_.load()) return;
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      // Cannot wait on the descriptors (out of memory): poll the database at the fallback
      // pace rather than spin.
      std::this_thread::sleep_for(kFallbackPoll);
      if (stopping_.load()) return;
    }
    const bool signalled = ready > 0 && inotify_fd_ >= 0 && DrainEvents();
    if (ready <= 0 || signalled) on_change_();
  }
}

bool SqliteNotifier::DrainEvents() {
  alignas(inotify_event) char buffer[4096];
  bool signalled = false;
  for (;;) {
    const ssize_t n = read(inotify_fd_, buffer, sizeof(buffer));
    if (n <= 0) return signalled;  // EAGAIN: nothing more queued
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      // An overflow lost events, possibly ours; IN_IGNORED: the directory is gone, and only
      // the fallback poll is left.
      if ((event->mask & (IN_Q_OVERFLOW | IN_IGNORED)) != 0) signalled = true;
      if (event->len > 0 && std::string_view(event->name) == wal_name_) signalled = true;
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
}

void SignalCommit(const std::string& wal_path) {
  const int fd = open(wal_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0) close(fd);
}

}  // namespace odmd::store::sqlite

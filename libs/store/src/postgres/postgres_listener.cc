#include "postgres/postgres_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "odmd/base/strings.h"
#include "postgres/postgres_schema.h"

namespace odmd::store::postgres {
namespace {

// The revision in a notification's payload, or nullopt if it is not one (someone else
// notifying on the channel).
std::optional<Revision> ParseRevision(const char* payload) {
  Revision revision = 0;
  const char* end = payload + std::strlen(payload);
  auto [ptr, ec] = std::from_chars(payload, end, revision);
  if (ec != std::errc() || ptr != end || revision < 0) return std::nullopt;
  return revision;
}

}  // namespace

PostgresListener::PostgresListener(std::string url, PgTarget target, Callbacks callbacks)
    : url_(std::move(url)), target_(std::move(target)), callbacks_(std::move(callbacks)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ODMD_CHECK(wake_fd_ >= 0);  // only fails when the process is out of descriptors or memory
  thread_ = std::thread([this] { Run(); });
}

PostgresListener::~PostgresListener() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  const std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  close(wake_fd_);
}

bool PostgresListener::Stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool PostgresListener::Backoff(int failures) {
  const auto delay = ReconnectDelay(failures);
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void PostgresListener::WaitForFirstAttempt() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return attempted_ || stopping_; });
}

void PostgresListener::Run() {
  for (int failures = 0; !Stopping(); ++failures) {
    if (failures > 0 && !Backoff(failures - 1)) return;
    Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(url_, target_);
    const bool listening = conn.ok() && (*conn)->Exec(kListenSql).ok();
    if (listening) callbacks_.listening();
    {
      std::lock_guard lock(mu_);
      attempted_ = true;
    }
    cv_.notify_all();
    if (!listening) continue;
    failures = -1;       // connected: the next failure waits the shortest backoff
    (void)Pump(**conn);  // returns when the connection is lost or the listener stops
  }
}

Status PostgresListener::Pump(PgConnection& conn) {
  const int socket = PQsocket(conn.raw());
  for (;;) {
    Revision latest = -1;
    bool foreign = false;
    while (PGnotify* note = PQnotifies(conn.raw())) {
      std::optional<Revision> revision = ParseRevision(note->extra);
      PQfreemem(note);
      if (revision.has_value()) {
        latest = std::max(latest, *revision);
      } else {
        foreign = true;
      }
    }
    // A payload that is not a revision says nothing useful: re-read everything to be safe.
    if (foreign) callbacks_.listening();
    if (latest >= 0) callbacks_.notified(latest);
    pollfd fds[2] = {{socket, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return UnavailableError("store " + Quote(target_.label) +
                              ": listener poll: " + std::strerror(errno));
    }
    if (fds[1].revents != 0) return OkStatus();  // stopping
    if (PQconsumeInput(conn.raw()) == 0 || conn.broken()) return conn.Error(nullptr, "listen");
  }
}

}  // namespace odmd::store::postgres

#include "watch_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <deque>
#include <memory>
#include <mutex>

#include "common.h"
#include "odmd/base/strings.h"
#include "store_output.h"

namespace odmd::cli {
namespace {

// How often the loop looks at the watch's status when nothing else wakes it. The watch has
// no failure callback, so this is the bound on how late a failed watch is noticed.
constexpr int kStatusCheckMs = 1000;

// A non-blocking pipe; the read end is polled, the write end wakes the poller.
class Pipe {
 public:
  Pipe() {
    if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) fds_[0] = fds_[1] = -1;
  }
  ~Pipe() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  bool ok() const { return fds_[0] >= 0; }
  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }

  // Reads everything pending; returns the last byte read, or -1 if there was none.
  int Drain() const {
    int last = -1;
    unsigned char buf[64];
    for (;;) {
      const ssize_t n = ::read(fds_[0], buf, sizeof buf);
      if (n > 0) {
        last = buf[n - 1];
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return last;
    }
  }

 private:
  int fds_[2] = {-1, -1};
};

// The write end of the active StopSignals pipe, read by the signal handler.
std::atomic<int> g_signal_fd{-1};

void OnStopSignal(int sig) {
  const int saved_errno = errno;
  const int fd = g_signal_fd.load();
  if (fd >= 0) {
    const auto byte = static_cast<unsigned char>(sig);
    [[maybe_unused]] ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

// Catches SIGINT and SIGTERM while alive (self-pipe): each becomes a byte on fd().
class StopSignals {
 public:
  StopSignals() {
    if (!pipe_.ok()) return;
    int expected = -1;
    if (!g_signal_fd.compare_exchange_strong(expected, pipe_.write_fd())) return;
    struct sigaction sa = {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    installed_ = true;
  }
  ~StopSignals() {
    if (!installed_) return;
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    g_signal_fd.store(-1);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // The read end, or -1 when another stream owns the signals.
  int fd() const { return installed_ ? pipe_.read_fd() : -1; }
  // The last signal received (after fd() polled readable), or -1.
  int Received() const { return pipe_.Drain(); }

 private:
  Pipe pipe_;
  bool installed_ = false;
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

// Events handed from the store's watch thread to the streaming thread.
struct Inbox {
  std::mutex mu;
  std::deque<store::ChangeEvent> events;
  Pipe wake;

  void Push(const store::ChangeEvent& event) {
    {
      std::lock_guard lock(mu);
      events.push_back(event);
    }
    const unsigned char byte = 1;
    // A full pipe already holds a pending wake-up, so a failed write loses nothing.
    [[maybe_unused]] ssize_t n = ::write(wake.write_fd(), &byte, 1);
  }
  std::deque<store::ChangeEvent> Take() {
    std::lock_guard lock(mu);
    std::deque<store::ChangeEvent> taken;
    taken.swap(events);
    return taken;
  }
};

std::string Watching(const WatchStreamOptions& options) {
  return "odmd: watching " + (options.prefix.empty() ? "every key" : Quote(options.prefix)) +
         " after revision " + std::to_string(options.after) + "\n";
}

}  // namespace

int StreamWatch(Io& io, store::ConfigStore& store, const WatchStreamOptions& options) {
  StopSignals signals;
  auto inbox = std::make_shared<Inbox>();
  if (!inbox->wake.ok()) {
    return ReportFailure(io, options.json, InternalError("cannot create a pipe for the watch"));
  }
  Result<store::WatchHandlePtr> handle =
      store.Watch(options.prefix, options.after,
                  [inbox](const store::ChangeEvent& event) { inbox->Push(event); });
  if (!handle.ok()) return ReportFailure(io, options.json, handle.status());
  io.err << Watching(options) << std::flush;

  std::int64_t delivered = 0;
  for (;;) {
    // Drain the pipe before taking the events: a wake-up written after this point is
    // for an event this Take() may miss, and it makes the next poll return at once.
    inbox->wake.Drain();
    for (const store::ChangeEvent& event : inbox->Take()) {
      io.out << JsonLine(EventJson(event)) << '\n' << std::flush;
      if (!io.out) {
        io.err << "odmd: watch: cannot write the output\n";
        return kExitFailure;
      }
      if (++delivered == options.count) return kExitOk;
    }
    // Events delivered before a failure are printed first (above).
    const Status status = (*handle)->status();
    if (!status.ok()) {
      io.err << "odmd: watch stopped: " << status.message() << "\n";
      return kExitFailure;
    }
    pollfd fds[2] = {{inbox->wake.read_fd(), POLLIN, 0}, {signals.fd(), POLLIN, 0}};
    const int ready = ::poll(fds, signals.fd() >= 0 ? 2 : 1, kStatusCheckMs);
    if (ready < 0 && errno != EINTR) {
      io.err << "odmd: watch: poll failed (errno " << errno << ")\n";
      return kExitFailure;
    }
    if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
      // SIGINT is an interrupt (130, as ninja); SIGTERM is the ordinary way to end a
      // stream that has no natural end, so it is a success.
      return signals.Received() == SIGINT ? kExitInterrupted : kExitOk;
    }
  }
}

}  // namespace odmd::cli

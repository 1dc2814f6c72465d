#pragma once

// Server-sent events on libmicrohttpd (docs/api.md "Event stream"): a Reply with
// event_stream_after becomes a chunked text/event-stream response fed by
// Platform::FollowEvents, until the client goes or the server stops. An open stream holds no
// thread: while it has nothing to send its connection is suspended, and resumed when an
// event arrives, a keepalive is due, the client hangs up (watched with epoll, so a closed
// stream is freed at once) or the server stops.

#include <microhttpd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "odmd/base/status.h"
#include "odmd/reconcile/platform.h"

namespace odmd::api {

struct EventStream;

class EventStreams {
 public:
  // `platform` must outlive this. Past `max_streams` open streams, Start fails (503).
  EventStreams(reconcile::Platform& platform, std::chrono::milliseconds keepalive, int max_streams);
  ~EventStreams();
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  struct Started {
    std::shared_ptr<EventStream> stream;
    MHD_Response* response = nullptr;  // the caller queues and destroys it
  };
  // A stream of every event with seq > `after`, then live ones, for `connection` (called
  // from its request handler). kUnavailable once CloseAll ran or at the limit; the
  // platform's error if it cannot follow.
  Result<Started> Start(std::int64_t after, MHD_Connection* connection);

  // The connection of `stream` is done (the server's request-completed callback): stops
  // following and frees the stream.
  void Ended(const std::shared_ptr<EventStream>& stream);

  // Ends every open stream and waits (up to 10 s) until each wrote its last chunk; later
  // Starts fail. Idempotent.
  void CloseAll();

  int open() const { return open_count_.load(); }

 private:
  void Watch();  // the watcher thread: hang-ups and keepalives

  reconcile::Platform& platform_;
  const std::chrono::milliseconds keepalive_;
  const int max_streams_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop the watcher
  std::thread watcher_;
  std::atomic<int> open_count_{0};

  std::mutex mu_;
  bool closed_ = false;
  std::map<EventStream*, std::shared_ptr<EventStream>> open_;
  std::condition_variable ended_;  // signalled when a stream ends
};

}  // namespace odmd::api

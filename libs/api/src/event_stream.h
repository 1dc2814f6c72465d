#pragma once

// Server-sent events on libmicrohttpd (docs/api.md "Event stream"): a Reply with
// event_stream_after becomes a chunked text/event-stream response fed by
// Platform::FollowEvents, until the client goes or the server stops. The streams share one
// follow: each event is read, decoded and framed once for all of them (issue 17: with a
// follow per stream, 1,000 open console tabs made every store commit cost 1,000 reads), and
// its latest frames are kept so that a stream resuming after a recent seq joins it too; a
// stream resuming from further back than those gets a follow of its own. An open stream holds no
// thread: while it has nothing to send its connection is suspended, and resumed when an
// event arrives, a keepalive is due, the client hangs up (watched with epoll, so a closed
// stream is freed at once) or the server stops.

#include <microhttpd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "nlohmann/json.hpp"
#include "odmd/base/status.h"
#include "odmd/reconcile/platform.h"

namespace odmd::api {

struct EventStream;

// One event, framed for a stream: "id: <seq>\ndata: <json>\n\n" (no id line without a seq).
struct EventFrame {
  std::int64_t seq = -1;
  std::string text;
};

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
  // Starts the shared follow (once, from the first stream's `after`; false if the platform
  // cannot follow).
  bool StartShared(std::int64_t after);
  // The shared follow's sink: frames `event` once, keeps it, hands it to the joined streams.
  void Share(const nlohmann::json& event);
  // Joins `stream` to the shared follow if the kept frames hold every event after `after`
  // the follow delivered; false otherwise (the stream needs a follow of its own).
  bool Join(const std::shared_ptr<EventStream>& stream, std::int64_t after);
  // The stream's own follow, from `after`.
  Status FollowAlone(const std::shared_ptr<EventStream>& stream, std::int64_t after);
  // Stops the shared follow (CloseAll).
  void StopShared();

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

  // The shared follow. Lock order: shared_mu_, then a stream's own mutex.
  std::mutex shared_start_mu_;  // held while the follow starts
  bool shared_started_ = false;
  std::mutex shared_mu_;
  store::WatchHandlePtr shared_watch_;
  bool shared_ok_ = false;            // following (Join may use it)
  std::int64_t shared_base_ = 0;      // it delivers the events after this seq
  std::int64_t shared_last_seq_ = 0;  // the last seq it delivered (or its base)
  std::deque<EventFrame> recent_;     // its latest frames, oldest first
  size_t recent_bytes_ = 0;
  bool recent_dropped_ = false;  // a frame left recent_: it no longer holds every event
  std::map<EventStream*, std::shared_ptr<EventStream>> joined_;
};

}  // namespace odmd::api

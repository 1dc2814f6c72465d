#pragma once

// Server-sent events on httplib (docs/api.md "Event stream"): a Reply with
// event_stream_after becomes a chunked text/event-stream response fed by
// Platform::FollowEvents, until the client goes or the server stops.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>

#include "odmd/base/status.h"
#include "odmd/reconcile/platform.h"

namespace odmd::api {

struct StreamInbox;

class EventStreams {
 public:
  // `platform` must outlive this.
  EventStreams(reconcile::Platform& platform, std::chrono::milliseconds keepalive);

  // Streams every event with seq > `after`, then live ones, on `res`. kUnavailable once
  // CloseAll ran; the platform's error if it cannot follow.
  Status Start(std::int64_t after, httplib::Response& res);

  // Ends every open stream and waits (up to 10 s) until each wrote its last chunk; later
  // Starts fail. Idempotent.
  void CloseAll();

 private:
  reconcile::Platform& platform_;
  const std::chrono::milliseconds keepalive_;
  std::mutex mu_;
  bool closed_ = false;
  std::set<std::shared_ptr<StreamInbox>> open_;
  std::condition_variable ended_;  // signalled when a stream ends
};

}  // namespace odmd::api

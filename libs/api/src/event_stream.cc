#include "event_stream.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace odmd::api {

using nlohmann::json;

// One open event stream: events from the Platform's watch thread, read by the HTTP thread.
struct StreamInbox {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<json> events;
  bool closed = false;   // the server stops
  bool started = false;  // the retry line went out (HTTP thread only)

  void Push(const json& event) {
    {
      std::lock_guard lock(mu);
      events.push_back(event);
    }
    cv.notify_all();
  }
  void Close() {
    {
      std::lock_guard lock(mu);
      closed = true;
    }
    cv.notify_all();
  }
};

namespace {

// "id: <seq>\ndata: <json>\n\n"; an event without a seq gets no id line.
void AppendFrame(const json& event, std::string& out) {
  auto seq = event.find("seq");
  if (seq != event.end() && seq->is_number_integer()) {
    out += "id: " + std::to_string(seq->get<std::int64_t>()) + "\n";
  }
  out += "data: " + event.dump() + "\n\n";
}

}  // namespace

EventStreams::EventStreams(reconcile::Platform& platform, std::chrono::milliseconds keepalive)
    : platform_(platform), keepalive_(keepalive) {}

Status EventStreams::Start(std::int64_t after, httplib::Response& res) {
  auto inbox = std::make_shared<StreamInbox>();
  ODMD_ASSIGN_OR_RETURN(
      store::WatchHandlePtr handle,
      platform_.FollowEvents(after, [inbox](const json& event) { inbox->Push(event); }));
  {
    std::lock_guard lock(mu_);
    if (closed_) return UnavailableError("the API server is stopping");
    open_.insert(inbox);
  }
  auto watch = std::make_shared<store::WatchHandlePtr>(std::move(handle));
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, inbox](size_t, httplib::DataSink& sink) {
        std::string out;
        if (!inbox->started) {
          inbox->started = true;
          out = "retry: 1000\n\n";  // how long a client waits before it reconnects
        }
        std::deque<json> batch;
        {
          std::unique_lock lock(inbox->mu);
          if (out.empty()) {
            inbox->cv.wait_for(lock, keepalive_,
                               [&] { return inbox->closed || !inbox->events.empty(); });
          }
          if (inbox->closed) {
            lock.unlock();
            sink.done();
            return true;
          }
          batch.swap(inbox->events);
        }
        for (const json& event : batch) AppendFrame(event, out);
        // Nothing new: a comment line, which tells a vanished client from a quiet one.
        if (out.empty()) out = ": keepalive\n\n";
        return sink.write(out.data(), out.size());
      },
      [this, inbox, watch](bool) {
        watch->reset();  // stop following before the inbox goes
        {
          std::lock_guard lock(mu_);
          open_.erase(inbox);
        }
        ended_.notify_all();
      });
  return OkStatus();
}

void EventStreams::CloseAll() {
  std::vector<std::shared_ptr<StreamInbox>> streams;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    streams.assign(open_.begin(), open_.end());
  }
  for (const auto& s : streams) s->Close();
  // Let each stream write its last chunk: once httplib is stopping it no longer finishes a
  // chunked response, and the client would see a broken one instead of its end.
  std::unique_lock lock(mu_);
  ended_.wait_for(lock, std::chrono::seconds(10), [this] { return open_.empty(); });
}

}  // namespace odmd::api

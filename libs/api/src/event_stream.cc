#include "event_stream.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace odmd::api {

using nlohmann::json;

namespace {

// Events a client has not read yet, beyond which its stream ends (it reconnects and resumes
// with Last-Event-ID): a client that stops reading cannot make the server buffer forever.
constexpr size_t kMaxPendingBytes = size_t{16} << 20;

// The latest frames the shared follow keeps for streams that join it (the oldest leave past
// either bound; at least one stays).
constexpr size_t kRecentFrames = 4096;
constexpr size_t kRecentBytes = size_t{8} << 20;

EventFrame MakeFrame(const json& event) {
  EventFrame frame;
  auto seq = event.find("seq");
  if (seq != event.end() && seq->is_number_integer()) {
    frame.seq = seq->get<std::int64_t>();
    frame.text = "id: " + std::to_string(frame.seq) + "\n";
  }
  frame.text += "data: " + event.dump() + "\n\n";
  return frame;
}

}  // namespace

// One open event stream: events from the Platform's watch thread, written by the
// connection's server thread through Read.
struct EventStream {
  MHD_Connection* connection = nullptr;
  int fd = -1;
  store::WatchHandlePtr watch;

  std::mutex mu;
  std::string out;  // framed, not yet written
  size_t out_pos = 0;
  bool started = false;    // the retry line went out
  bool suspended = false;  // the connection waits for Wake
  bool keepalive_due = false;
  bool closed = false;        // the server stops: end the stream
  bool gone = false;          // the client hung up, or fell too far behind: abort
  std::int64_t last_seq = 0;  // of the last event queued (or the stream's `after`)

  // Under mu: resumes the connection if it waits.
  void WakeLocked() {
    if (!suspended) return;
    suspended = false;
    MHD_resume_connection(connection);
  }
  // Queues `frame` unless the stream has it already (its seq is not past last_seq).
  void Append(const EventFrame& frame) {
    std::lock_guard lock(mu);
    if (frame.seq >= 0) {
      if (frame.seq <= last_seq) return;
      last_seq = frame.seq;
    }
    out += frame.text;
    if (out.size() - out_pos > kMaxPendingBytes) gone = true;
    WakeLocked();
  }
  void Mark(bool EventStream::*flag) {
    std::lock_guard lock(mu);
    this->*flag = true;
    WakeLocked();
  }

  // libmicrohttpd's content reader: the next bytes, or suspend until there are some.
  static ssize_t Read(void* cls, uint64_t, char* buf, size_t max) {
    EventStream* s = static_cast<std::shared_ptr<EventStream>*>(cls)->get();
    std::lock_guard lock(s->mu);
    if (s->gone) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (!s->started) {
      s->started = true;
      s->out.insert(s->out_pos, "retry: 1000\n\n");  // how long a client waits to reconnect
    }
    if (s->out_pos == s->out.size() && s->keepalive_due) {
      // Nothing new: a comment line, which tells a vanished client from a quiet one.
      s->out += ": keepalive\n\n";
    }
    s->keepalive_due = false;
    if (s->out_pos < s->out.size()) {
      const size_t n = std::min(max, s->out.size() - s->out_pos);
      std::memcpy(buf, s->out.data() + s->out_pos, n);
      s->out_pos += n;
      if (s->out_pos == s->out.size()) {
        s->out.clear();
        s->out_pos = 0;
      }
      return static_cast<ssize_t>(n);
    }
    if (s->closed) return MHD_CONTENT_READER_END_OF_STREAM;
    s->suspended = true;
    MHD_suspend_connection(s->connection);
    return 0;
  }
  static void Free(void* cls) { delete static_cast<std::shared_ptr<EventStream>*>(cls); }
};

EventStreams::EventStreams(reconcile::Platform& platform, std::chrono::milliseconds keepalive,
                           int max_streams)
    : platform_(platform),
      keepalive_(std::max(keepalive, std::chrono::milliseconds(1))),
      max_streams_(max_streams) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  watcher_ = std::thread([this] { Watch(); });
}

EventStreams::~EventStreams() {
  CloseAll();
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  if (watcher_.joinable()) watcher_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

Result<EventStreams::Started> EventStreams::Start(std::int64_t after, MHD_Connection* connection) {
  auto stream = std::make_shared<EventStream>();
  stream->connection = connection;
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  stream->fd = info != nullptr ? info->connect_fd : -1;
  {
    std::lock_guard lock(mu_);
    if (closed_) return UnavailableError("the API server is stopping");
    if (static_cast<int>(open_.size()) >= max_streams_) {
      return UnavailableError("the server has " + std::to_string(open_.size()) +
                              " open event streams, its limit; retry later");
    }
    open_.emplace(stream.get(), stream);
    open_count_ = static_cast<int>(open_.size());
  }
  if (!(StartShared(after) && Join(stream, after))) {
    const Status followed = FollowAlone(stream, after);
    if (!followed.ok()) {
      Ended(stream);
      return followed;
    }
  }
  if (stream->fd >= 0) {
    epoll_event ev{};
    ev.events = EPOLLRDHUP | EPOLLONESHOT;
    ev.data.ptr = stream.get();
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stream->fd, &ev);
  }
  auto* owner = new std::shared_ptr<EventStream>(stream);  // the response's; freed by Free
  MHD_Response* response = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 16 << 10, &EventStream::Read, owner, &EventStream::Free);
  if (response == nullptr) {
    delete owner;
    Ended(stream);
    return InternalError("cannot create the event stream's response");
  }
  MHD_add_response_header(response, "Content-Type", "text/event-stream");
  MHD_add_response_header(response, "Cache-Control", "no-cache");
  return Started{.stream = std::move(stream), .response = response};
}

bool EventStreams::StartShared(std::int64_t after) {
  {
    std::lock_guard start(shared_start_mu_);
    if (!shared_started_) {
      shared_started_ = true;
      // From the first stream's resume point: no replay of the log that nobody asked for.
      Result<store::WatchHandlePtr> watch =
          platform_.FollowEvents(after, [this](const json& event) { Share(event); });
      std::lock_guard lock(shared_mu_);
      if (watch.ok()) {
        shared_watch_ = std::move(watch).value();
        shared_ok_ = true;
        shared_base_ = after;
        shared_last_seq_ = std::max(shared_last_seq_, after);
      }
    }
  }
  std::lock_guard lock(shared_mu_);
  return shared_ok_;
}

void EventStreams::Share(const json& event) {
  EventFrame frame = MakeFrame(event);
  std::lock_guard lock(shared_mu_);
  shared_last_seq_ = std::max(shared_last_seq_, frame.seq);
  for (const auto& [ptr, stream] : joined_) stream->Append(frame);
  recent_bytes_ += frame.text.size();
  recent_.push_back(std::move(frame));
  while (recent_.size() > 1 && (recent_.size() > kRecentFrames || recent_bytes_ > kRecentBytes)) {
    recent_bytes_ -= recent_.front().text.size();
    recent_.pop_front();
    recent_dropped_ = true;
  }
}

bool EventStreams::Join(const std::shared_ptr<EventStream>& stream, std::int64_t after) {
  std::lock_guard lock(shared_mu_);
  if (!shared_ok_ || after < shared_base_) return false;
  // Seqs are consecutive and the follow delivers every one past its base in order, so the
  // kept frames hold every event after `after` it delivered when none was dropped or the
  // oldest kept one is the next after `after`; later ones come to every joined stream.
  const bool covered =
      !recent_dropped_ || after >= shared_last_seq_ || recent_.front().seq <= after + 1;
  if (!covered) return false;
  {
    std::lock_guard stream_lock(stream->mu);
    stream->last_seq = after;
  }
  for (const EventFrame& frame : recent_) stream->Append(frame);
  joined_.emplace(stream.get(), stream);
  return true;
}

Status EventStreams::FollowAlone(const std::shared_ptr<EventStream>& stream, std::int64_t after) {
  {
    std::lock_guard lock(stream->mu);
    stream->last_seq = after;
  }
  std::weak_ptr<EventStream> weak = stream;
  ODMD_ASSIGN_OR_RETURN(store::WatchHandlePtr watch,
                        platform_.FollowEvents(after, [weak](const json& event) {
                          if (auto s = weak.lock()) s->Append(MakeFrame(event));
                        }));
  std::lock_guard lock(stream->mu);
  stream->watch = std::move(watch);
  return OkStatus();
}

void EventStreams::StopShared() {
  store::WatchHandlePtr watch;
  {
    std::lock_guard start(shared_start_mu_);
    shared_started_ = true;  // no later start
    std::lock_guard lock(shared_mu_);
    watch = std::move(shared_watch_);
    shared_ok_ = false;
    joined_.clear();
  }
  watch.reset();  // outside shared_mu_: its sink takes it
}

void EventStreams::Ended(const std::shared_ptr<EventStream>& stream) {
  {
    std::lock_guard lock(shared_mu_);
    joined_.erase(stream.get());
  }
  store::WatchHandlePtr watch;
  {
    std::lock_guard lock(stream->mu);
    watch = std::move(stream->watch);
    stream->gone = true;
  }
  watch.reset();  // stop following (outside the stream's lock: the watch pushes under it)
  {
    std::lock_guard lock(mu_);
    // Still open here (the completed callback runs before the socket closes): unwatch it.
    if (stream->fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, stream->fd, nullptr);
    open_.erase(stream.get());
    open_count_ = static_cast<int>(open_.size());
  }
  ended_.notify_all();
}

void EventStreams::Watch() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_keepalive = Clock::now() + keepalive_;
  std::vector<epoll_event> events(64);
  for (;;) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_keepalive - Clock::now());
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::max<std::int64_t>(0, wait.count())));
    std::vector<std::shared_ptr<EventStream>> hung_up;
    {
      std::lock_guard lock(mu_);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) return;  // the destructor's wake-up
        auto it = open_.find(static_cast<EventStream*>(events[i].data.ptr));
        if (it != open_.end()) hung_up.push_back(it->second);
      }
    }
    for (const auto& s : hung_up) s->Mark(&EventStream::gone);
    if (Clock::now() < next_keepalive) continue;
    next_keepalive = Clock::now() + keepalive_;
    std::vector<std::shared_ptr<EventStream>> all;
    {
      std::lock_guard lock(mu_);
      for (const auto& [ptr, s] : open_) all.push_back(s);
    }
    for (const auto& s : all) s->Mark(&EventStream::keepalive_due);
  }
}

void EventStreams::CloseAll() {
  std::vector<std::shared_ptr<EventStream>> streams;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    for (const auto& [ptr, s] : open_) streams.push_back(s);
  }
  for (const auto& s : streams) s->Mark(&EventStream::closed);
  // Let each stream write its last chunk, so its client sees the stream's end rather than
  // a broken connection.
  {
    std::unique_lock lock(mu_);
    ended_.wait_for(lock, std::chrono::seconds(10), [this] { return open_.empty(); });
  }
  StopShared();
}

}  // namespace odmd::api

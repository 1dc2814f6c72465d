// The HTTP API on libmicrohttpd: the adapter between it and the route table (routes.h). A
// request's head is checked (connections, URI and header sizes), routed and authenticated
// before its body is read; the body is read against its route's limit as it arrives; then
// the handler runs and its Reply becomes the response (http_reply.cc) or an event stream
// (event_stream.cc). Connections are served by a few event-loop threads (epoll), so slow,
// idle and streaming clients hold no thread; a handler that waits runs on a worker thread
// (handler_pool.h) while its connection is suspended, so it holds no event loop either.
// docs/platform.md "Limits".
#include "odmd/api/server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "event_stream.h"
#include "handler_pool.h"
#include "http_reply.h"
#include "odmd/api/routes.h"

namespace odmd::api {
namespace {

// Connections accepted past max_connections before libmicrohttpd closes new ones at once:
// within this margin a request gets a 503 saying so.
constexpr int kConnectionMargin = 64;

// A refused request whose Content-Length is at most this is read (and thrown away) before
// it is answered, so that a client that writes its whole body before it reads (as httplib
// does) gets the answer instead of a reset connection; a larger body is never read: the
// answer goes out at once and the connection is closed. Small for a request refused by its
// route's access (unauthenticated or forbidden), larger for an authenticated one over its
// route's limit or refused by the route's `authorize`.
constexpr size_t kDrainRefusedBytes = size_t{64} << 10;
constexpr size_t kDrainTooLargeBytes = size_t{8} << 20;

// One request: its head, then its body as it arrives.
struct Call {
  Request req;
  const Route* route = nullptr;
  size_t limit = 0;
  bool answered = false;         // a reply was queued before the body (refused)
  std::optional<Reply> refusal;  // to queue once the (drained) body is in
  std::optional<Reply> reply;    // the handler's, from a worker thread
  std::shared_ptr<EventStream> stream;
};

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<Headers*>(cls)->emplace(key, value != nullptr ? value : "");
  return MHD_YES;
}

MHD_Result CollectQuery(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<std::multimap<std::string, std::string>*>(cls)->emplace(
      key, value != nullptr ? value : "");
  return MHD_YES;
}

// A listening TCP socket on host:port (SO_REUSEADDR, not SO_REUSEPORT: one address, one
// server; TCP_NODELAY, which accepted sockets inherit), or -1.
int ListenSocket(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

}  // namespace

size_t RaiseOpenFileLimit(size_t want) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < want) {
    limit.rlim_cur = std::min<rlim_t>(want, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

class ApiServer::Impl {
 public:
  Impl(reconcile::Platform& platform, access::TokenRegistry& tokens, ApiOptions options)
      : tokens_(tokens),
        options_(std::move(options)),
        table_(BuildRoutes(platform, options_)),
        streams_(platform, options_.stream_keepalive, options_.max_event_streams),
        workers_(options_.worker_threads) {}

  ~Impl() { Stop(); }

  Result<int> Listen(const std::string& host, int port) {
    std::lock_guard lock(mu_);
    if (listened_) {
      return FailedPreconditionError("the API server already listened (a server listens once)");
    }
    listened_ = true;
    const int fd = ListenSocket(host, port);
    if (fd < 0) {
      return UnavailableError("cannot listen on " + host + ":" + std::to_string(port) +
                              " (in use, or not an address of this machine)");
    }
    const int bound = BoundPort(fd);
    const unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    daemon_ = MHD_start_daemon(
        flags, 0, nullptr, nullptr, &Impl::OnRequest, this, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(std::max(1, options_.threads)),
        MHD_OPTION_CONNECTION_LIMIT,
        static_cast<unsigned>(std::max(1, options_.max_connections) + kConnectionMargin),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        static_cast<unsigned>(std::max(0, options_.max_connections_per_client)),
        MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(options_.idle_timeout.count()),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, size_t{48} << 10, MHD_OPTION_NOTIFY_COMPLETED,
        &Impl::OnCompleted, this, MHD_OPTION_NOTIFY_CONNECTION, &Impl::OnConnection, this,
        MHD_OPTION_END);
    if (daemon_ == nullptr) {
      ::close(fd);
      return UnavailableError("cannot serve on " + host + ":" + std::to_string(port) +
                              " (libmicrohttpd did not start; too few file descriptors?)");
    }
    return bound;
  }

  void Stop() {
    MHD_Daemon* daemon = nullptr;
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
      listened_ = true;
      daemon = daemon_;
    }
    streams_.CloseAll();
    // Handlers running on workers finish and resume their connections (libmicrohttpd must
    // not stop with a connection suspended); later ones run on their event loops.
    workers_.Drain();
    // Closes the listening socket, every connection, and waits for requests in flight.
    if (daemon != nullptr) MHD_stop_daemon(daemon);
  }

  ServerStats stats() const {
    return ServerStats{.open_connections = open_connections_.load(),
                       .open_event_streams = streams_.open(),
                       .body_bytes_read = body_bytes_read_.load(),
                       .requests_refused = requests_refused_.load()};
  }

 private:
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char*, const char* upload_data,
                              size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    auto* call = static_cast<Call*>(*con_cls);
    try {
      if (call == nullptr) {
        call = new Call;
        *con_cls = call;
        return self->Head(connection, url, method, *call);
      }
      if (*upload_data_size > 0) return self->Body(upload_data, upload_data_size, *call);
      if (call->answered) return MHD_YES;
      if (call->refusal) {
        call->answered = true;
        return self->Queue(connection, *call, std::move(*call->refusal));
      }
      return self->Complete(connection, *call);
    } catch (const std::exception& e) {
      // A bug of ours: answered (if it still can be) rather than taking the server down.
      call->answered = true;
      return self->Queue(connection, *call,
                         ErrorReply(InternalError(std::string("request failed: ") + e.what())));
    }
  }

  static void OnCompleted(void* cls, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
    auto* call = static_cast<Call*>(*con_cls);
    if (call == nullptr) return;
    if (call->stream) static_cast<Impl*>(cls)->streams_.Ended(call->stream);
    delete call;
    *con_cls = nullptr;
  }

  static void OnConnection(void* cls, MHD_Connection*, void**, MHD_ConnectionNotificationCode c) {
    auto* self = static_cast<Impl*>(cls);
    if (c == MHD_CONNECTION_NOTIFY_STARTED) ++self->open_connections_;
    if (c == MHD_CONNECTION_NOTIFY_CLOSED) --self->open_connections_;
  }

  // The first call, with the request's head only: every refusal that needs no body.
  MHD_Result Head(MHD_Connection* connection, const char* url, const char* method, Call& call) {
    Request& req = call.req;
    req.method = method;
    req.path = url;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectHeader, &req.headers);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &CollectQuery, &req.query);
    const Status head = CheckHead(req);
    std::uint64_t length = 0;
    const std::string length_header = req.Header("Content-Length");
    const bool sized = !length_header.empty() && !req.HasHeader("Transfer-Encoding");
    if (sized) {
      std::from_chars(length_header.data(), length_header.data() + length_header.size(), length);
    }
    // No body, or a small one: answered after it, and the connection kept.
    const bool small = !req.HasHeader("Transfer-Encoding") && length <= kDrainRefusedBytes;
    if (!head.ok()) {
      Reply reply = ErrorReply(head);
      reply.status = HeadStatus(head);
      // Past the connection limit: shed this one.
      if (reply.status == 503) reply.headers.emplace_back("Connection", "close");
      return Refuse(connection, call, std::move(reply), small);
    }
    Result<const Route*> route = FindAndAuthenticate(table_, tokens_, req);
    if (!route.ok()) return Refuse(connection, call, ErrorReply(route.status()), small);
    // An authenticated principal this route refuses: its body is drained like a 413's.
    const Status authorized = Authorize(**route, req);
    if (!authorized.ok()) {
      return Refuse(connection, call, ErrorReply(authorized),
                    small || (sized && length <= kDrainTooLargeBytes));
    }
    call.route = *route;
    call.limit = BodyLimit(**route, options_.max_body_bytes);
    if (sized) {
      const Status size = CheckBodySize(req, length, call.limit);
      if (!size.ok()) {
        return Refuse(connection, call, ErrorReply(size), length <= kDrainTooLargeBytes);
      }
    }
    return MHD_YES;
  }

  // Connections, URI and header sizes; their refusals carry kResourceExhausted or
  // kUnavailable, told apart by HeadStatus.
  Status CheckHead(const Request& req) const {
    if (open_connections_.load() > options_.max_connections) {
      return UnavailableError("the server has " + std::to_string(open_connections_.load()) +
                              " open connections, over its limit of " +
                              std::to_string(options_.max_connections) + "; retry later");
    }
    size_t uri = req.path.size();
    for (const auto& [k, v] : req.query) uri += k.size() + v.size() + 2;
    if (uri > options_.max_uri_bytes) {
      return ResourceExhaustedError("the request URI is " + std::to_string(uri) +
                                    " bytes, over the limit of " +
                                    std::to_string(options_.max_uri_bytes) + " bytes");
    }
    size_t head = 0;
    for (const auto& [k, v] : req.headers) head += k.size() + v.size() + 4;
    if (head > options_.max_header_bytes) {
      return ResourceExhaustedError("the request's header fields are " + std::to_string(head) +
                                    " bytes, over the limit of " +
                                    std::to_string(options_.max_header_bytes) + " bytes");
    }
    return OkStatus();
  }

  static int HeadStatus(const Status& status) {
    const std::string& m = status.message();
    if (m.find("request URI") != std::string::npos) return 414;
    if (m.find("header fields") != std::string::npos) return 431;
    return HttpStatus(status.code());
  }

  // More of the body: kept while within the route's limit; past it the connection is
  // closed (libmicrohttpd cannot answer in the middle of a body).
  MHD_Result Body(const char* data, size_t* size, Call& call) {
    const size_t n = *size;
    *size = 0;
    body_bytes_read_ += n;
    if (call.answered || call.refusal) return MHD_YES;  // thrown away
    if (call.req.body.size() + n > call.limit) {
      ++requests_refused_;
      return MHD_NO;
    }
    call.req.body.append(data, n);
    return MHD_YES;
  }

  // The body is in: runs the handler (a write's or a slow read's on a worker: the connection
  // waits suspended and comes back here with its reply) and queues the reply.
  MHD_Result Complete(MHD_Connection* connection, Call& call) {
    const bool offload = call.route->mutates || call.route->slow;
    if (!call.reply && offload && workers_.Enter()) {
      MHD_suspend_connection(connection);
      workers_.Post([&call, connection] {
        call.reply = Run(*call.route, call.req);
        MHD_resume_connection(connection);
      });
      return MHD_YES;
    }
    Reply reply = call.reply ? std::move(*call.reply) : Run(*call.route, call.req);
    call.reply.reset();
    if (!reply.event_stream_after) return Queue(connection, call, std::move(reply));
    Result<EventStreams::Started> started = streams_.Start(*reply.event_stream_after, connection);
    if (!started.ok()) return Queue(connection, call, ErrorReply(started.status()));
    call.stream = started->stream;
    const MHD_Result queued = MHD_queue_response(connection, 200, started->response);
    MHD_destroy_response(started->response);
    return queued;
  }

  // Refuses the request: at once, before its body is read (libmicrohttpd then closes a
  // connection with a body pending instead of reading it), or once a small body was
  // drained (`drain`).
  MHD_Result Refuse(MHD_Connection* connection, Call& call, Reply reply, bool drain) {
    ++requests_refused_;
    if (drain) {
      call.refusal = std::move(reply);
      return MHD_YES;
    }
    call.answered = true;
    return Queue(connection, call, std::move(reply));
  }

  MHD_Result Queue(MHD_Connection* connection, const Call& call, Reply reply) {
    const int status = reply.status;
    MHD_Response* response = MakeResponse(std::move(reply), call.req.Header("Accept-Encoding"));
    if (response == nullptr) return MHD_NO;
    const MHD_Result queued = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return queued;
  }

  access::TokenRegistry& tokens_;
  const ApiOptions options_;
  const RouteTable table_;
  EventStreams streams_;
  HandlerPool workers_;
  MHD_Daemon* daemon_ = nullptr;
  std::atomic<int> open_connections_{0};
  std::atomic<std::uint64_t> body_bytes_read_{0};
  std::atomic<std::uint64_t> requests_refused_{0};

  std::mutex mu_;
  bool listened_ = false;
  bool stopped_ = false;
};

ApiServer::ApiServer(reconcile::Platform& platform, access::TokenRegistry& tokens,
                     ApiOptions options)
    : impl_(std::make_unique<Impl>(platform, tokens, std::move(options))) {}
ApiServer::~ApiServer() = default;
Result<int> ApiServer::Listen(const std::string& host, int port) {
  return impl_->Listen(host, port);
}
void ApiServer::Stop() { impl_->Stop(); }
ServerStats ApiServer::stats() const { return impl_->stats(); }

}  // namespace odmd::api

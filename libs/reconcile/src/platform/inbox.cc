// The inbox (docs/platform.md, "Replicas"): a follower records the scans, GitHub deliveries,
// redeploys and contracts publishes it receives under kInboxPrefix; the leader takes every
// record (those waiting when it was elected, then each new one through a watch), acts on it
// and deletes it (teardown retries and forgets, workflow rotations too). At least once: a leader
// that dies between acting and deleting leaves the record to the next, and what it acts on is
// level-triggered (scans), deduplicated (push delivery ids) or deletes the record in its own commit
// (a redeploy's enqueue, a publish's commit; a manifest already current publishes nothing): so it
// happens once.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <utility>

#include "impl.h"
#include "odmd/base/strings.h"

namespace odmd::reconcile {

namespace {

// Member `name` of `o` if it is a string, else "".
std::string StringOf(const nlohmann::json& o, const char* name) {
  if (!o.is_object()) return "";
  auto it = o.find(name);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// "<ms, 13 digits>-<16 hex digits>": records sort by when they came, and two replicas never
// make the same name.
std::string InboxName(std::int64_t now_ms) {
  static thread_local std::mt19937_64 random(std::random_device{}());
  char name[48];
  std::snprintf(name, sizeof name, "%013" PRId64 "-%016" PRIx64, now_ms,
                static_cast<std::uint64_t>(random()));
  return name;
}

bool KnownKind(const std::string& kind) {
  return kind == "scan" || kind == "github" || kind == "redeploy" || kind == "publish" ||
         kind == "teardown" || kind == "rotate";
}

// How long a record whose taking failed on the store or the lease waits before it is taken
// again.
constexpr std::chrono::milliseconds kInboxRetryDelay{1000};

}  // namespace

Result<std::string> Platform::Impl::RecordInbox(const InboxRequest& request) {
  if (!KnownKind(request.kind)) {
    return InvalidArgumentError("inbox kind " + Quote(request.kind) +
                                " is not scan, github, redeploy, publish, teardown or rotate");
  }
  const std::int64_t now = NowMs();
  const std::string name = InboxName(now);
  nlohmann::json record = {
      {"kind", request.kind},
      {"payload", request.payload},
      {"delivery", request.delivery},
      {"received_at_ms", now},
      {"replica", options_.replica_id.empty() ? "odmd-serve" : options_.replica_id}};
  std::vector<store::BatchOp> ops;
  if (!request.data.empty()) {
    const std::string data_key = std::string(kInboxDataPrefix) + name;
    record["data"] = data_key;
    ops.push_back(store::BatchOp::Put(data_key, request.data, store::Revision{0}));
  }
  const std::string key = std::string(kInboxPrefix) + name;
  // The data first: the leader's watch sees the record, whose data is then there.
  ops.push_back(store::BatchOp::Put(key, record.dump(), store::Revision{0}));
  ODMD_RETURN_IF_ERROR(store_.WriteBatch(ops));
  return key;
}

Status Platform::Impl::StartInbox() {
  ODMD_ASSIGN_OR_RETURN(store::Revision at, store_.LatestRevision());
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> waiting, store_.List(kInboxPrefix));
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_stop_ = false;
    for (const store::Entry& e : waiting) inbox_backlog_.push_back(e.key);
  }
  inbox_thread_ = std::thread([this] { InboxLoop(); });
  // From `at`: a record written between it and the List comes twice; TakeInbox finds it
  // gone the second time.
  ODMD_ASSIGN_OR_RETURN(store::WatchHandlePtr watch,
                        store_.Watch(kInboxPrefix, at, [this](const store::ChangeEvent& c) {
                          if (c.kind != store::ChangeKind::kPut) return;
                          std::lock_guard<std::mutex> lock(inbox_mu_);
                          inbox_backlog_.push_back(c.key);
                          inbox_cv_.notify_all();
                        }));
  std::lock_guard<std::mutex> lock(inbox_mu_);
  inbox_watch_ = std::move(watch);
  inbox_cv_.notify_all();
  return OkStatus();
}

void Platform::Impl::StopInbox() {
  store::WatchHandlePtr watch;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_stop_ = true;
    watch = std::move(inbox_watch_);
  }
  watch.reset();
  inbox_cv_.notify_all();
  if (inbox_thread_.joinable()) inbox_thread_.join();
}

bool Platform::Impl::InboxIdle() {
  std::lock_guard<std::mutex> lock(inbox_mu_);
  return inbox_backlog_.empty() && inbox_in_flight_ == 0;
}

void Platform::Impl::InboxLoop() {
  std::unique_lock<std::mutex> lock(inbox_mu_);
  while (true) {
    inbox_cv_.wait(lock, [&] { return inbox_stop_ || !inbox_backlog_.empty(); });
    if (inbox_stop_) return;
    const std::string key = std::move(inbox_backlog_.front());
    inbox_backlog_.pop_front();
    ++inbox_in_flight_;
    lock.unlock();
    Status taken = TakeInbox(key);
    lock.lock();
    if (!taken.ok()) {
      // The store or the lease failed: the record stays; taken again after a pause (a
      // deposed leader stops meanwhile). One alert per record.
      if (inbox_retrying_.insert(key).second) {
        lock.unlock();
        Event e;
        e.kind = "alert";
        e.message = "inbox record " + key + " could not be taken, retrying: " + taken.ToString();
        e.fields["inbox"] = key;
        (void)Emit(std::move(e));
        lock.lock();
      }
      inbox_cv_.wait_for(lock, kInboxRetryDelay, [&] { return inbox_stop_; });
      inbox_backlog_.push_back(key);
    } else {
      inbox_retrying_.erase(key);
    }
    --inbox_in_flight_;
  }
}

Status Platform::Impl::TakeInbox(const std::string& key) {
  Result<store::Entry> record = store_.Get(key);
  if (IsNotFound(record.status())) return OkStatus();  // taken already
  ODMD_RETURN_IF_ERROR(record.status());
  const nlohmann::json j = nlohmann::json::parse(record->value, nullptr, false);
  Result<bool> acted = j.is_object()
                           ? ActOnInbox(*record, j)
                           : Result<bool>(InvalidArgumentError("the record is not a JSON object"));
  const StatusCode code = acted.status().code();
  // The store or the lease failed: the record stays (InboxLoop takes it again).
  if (code == StatusCode::kUnavailable || code == StatusCode::kAborted) return acted.status();
  if (acted.ok() && *acted) return OkStatus();  // deleted in the action's own commit
  std::vector<Event> told;
  if (!acted.ok()) {
    Event e;
    e.kind = "alert";
    e.message = "inbox record " + key + " (" + StringOf(j, "kind") + " from replica " +
                StringOf(j, "replica") + ") failed: " + acted.status().ToString();
    e.fields["inbox"] = key;
    told.push_back(std::move(e));
  }
  ODMD_ASSIGN_OR_RETURN(std::vector<store::BatchOp> deletes, InboxDeletes(*record, j));
  return events().Commit(std::move(deletes), told).status();
}

Result<std::vector<store::BatchOp>> Platform::Impl::InboxDeletes(const store::Entry& record,
                                                                 const nlohmann::json& j) {
  std::vector<store::BatchOp> ops = {store::BatchOp::Delete(record.key, record.revision)};
  const std::string data = StringOf(j, "data");
  if (data.empty()) return ops;
  Result<store::Entry> value = store_.Get(data);
  if (IsNotFound(value.status())) return ops;
  ODMD_RETURN_IF_ERROR(value.status());
  ops.push_back(store::BatchOp::Delete(data, value->revision));
  return ops;
}

Result<bool> Platform::Impl::TeardownFromInbox(const store::Entry& record,
                                               const nlohmann::json& j) {
  const nlohmann::json payload = j.contains("payload") ? j["payload"] : nlohmann::json::object();
  ODMD_ASSIGN_OR_RETURN(access::Principal who, access::Principal::Parse(StringOf(payload, "who")));
  const std::string enver = StringOf(payload, "enver");
  const std::string action = StringOf(payload, "action");
  if (action != "retry" && action != "forget") {
    return InvalidArgumentError("teardown action " + Quote(action) + " is not retry or forget");
  }
  std::vector<store::BatchOp> deleted = {store::BatchOp::Delete(record.key, record.revision)};
  Result<nlohmann::json> done =
      action == "retry" ? RetryTeardown(who, enver, deleted) : ForgetTeardown(who, enver, deleted);
  // Retried to success or forgotten already (by the admin at the leader, or this record
  // taken before a crash): nothing left to do, the record goes alone.
  if (IsNotFound(done.status())) {
    ODMD_RETURN_IF_ERROR(store_.WriteBatch(deleted));
    return true;
  }
  ODMD_RETURN_IF_ERROR(done.status());
  return true;  // deleted in the retry's or the forget's commit
}

Result<bool> Platform::Impl::PublishFromInbox(const store::Entry& record, const nlohmann::json& j) {
  const nlohmann::json payload = j.contains("payload") ? j["payload"] : nlohmann::json::object();
  ODMD_ASSIGN_OR_RETURN(access::Principal who, access::Principal::Parse(StringOf(payload, "who")));
  const std::string data = StringOf(j, "data");
  if (data.empty()) return InvalidArgumentError("the publish record names no manifest (\"data\")");
  Result<store::Entry> manifest = store_.Get(data);
  if (IsNotFound(manifest.status())) {
    return NotFoundError("the publish record's manifest " + Quote(data) + " is not in the store");
  }
  ODMD_RETURN_IF_ERROR(manifest.status());
  std::vector<store::BatchOp> deletes = {store::BatchOp::Delete(record.key, record.revision),
                                         store::BatchOp::Delete(data, manifest->revision)};
  ODMD_ASSIGN_OR_RETURN(PublishReport report, PublishManifest(who, manifest->value, deletes));
  if (report.changed) return true;  // deleted in the publish's commit
  // Current already (published directly, or this record was taken before a crash):
  // nothing to publish, the record goes alone.
  ODMD_RETURN_IF_ERROR(store_.WriteBatch(deletes));
  return true;
}

Result<bool> Platform::Impl::ActOnInbox(const store::Entry& record, const nlohmann::json& j) {
  const std::string kind = StringOf(j, "kind");
  const nlohmann::json payload = j.contains("payload") ? j["payload"] : nlohmann::json::object();
  if (kind == "scan") {
    ODMD_RETURN_IF_ERROR(Scan(StringOf(payload, "repo")));
    return false;
  }
  if (kind == "github") {
    ODMD_ASSIGN_OR_RETURN(WebhookEvent event,
                          ParseGitHubWebhook(StringOf(payload, "event"), StringOf(payload, "body"),
                                             options_.max_webhook_bytes));
    if (event.push) {
      event.push->delivery = StringOf(j, "delivery");
      ODMD_RETURN_IF_ERROR(IngestPush(*event.push));
    } else if (event.run) {
      event.run->delivery = StringOf(j, "delivery");
      ODMD_RETURN_IF_ERROR(IngestWorkflowRun(*event.run));
    }
    return false;
  }
  if (kind == "redeploy") {
    const std::string enver = StringOf(payload, "enver");
    if (!world()->FindEnver(enver)) {
      return NotFoundError("enver " + Quote(enver) + " is not in the published contracts");
    }
    EnqueueRequest r;
    r.enver_id = enver;
    r.cause.kind = "redeploy";
    r.cause.detail = "redeploy requested by " + StringOf(payload, "who") + " at replica " +
                     StringOf(j, "replica");
    r.cause.root = "redeploy:" + enver + "@" + record.key.substr(kInboxPrefix.size());
    // The record goes with the deployment: queued once, whoever leads.
    ODMD_RETURN_IF_ERROR(
        EnqueueAll({r}, {}, {store::BatchOp::Delete(record.key, record.revision)}));
    return true;
  }
  if (kind == "publish") return PublishFromInbox(record, j);
  if (kind == "teardown") return TeardownFromInbox(record, j);
  if (kind == "rotate") {
    ODMD_ASSIGN_OR_RETURN(access::Principal who,
                          access::Principal::Parse(StringOf(payload, "who")));
    // The record goes in the rotation's commit: rotated once, whoever leads.
    ODMD_RETURN_IF_ERROR(RotateWorkflowSecret(
        who, StringOf(payload, "workflow"), {store::BatchOp::Delete(record.key, record.revision)}));
    return true;
  }
  return InvalidArgumentError("inbox kind " + Quote(kind) +
                              " is not scan, github, redeploy, publish, teardown or rotate");
}

}  // namespace odmd::reconcile

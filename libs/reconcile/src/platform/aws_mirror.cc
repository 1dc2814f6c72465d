// The products mirror to SSM and EventBridge (aws_mirror.h).
#include "aws_mirror.h"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "../crash_point.h"
#include "odmd/access/policy.h"
#include "odmd/base/strings.h"
#include "odmd/reconcile/state.h"

namespace odmd::reconcile {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "/odmd-share/<build>/<rev>/<product>": the producer "<build>/<rev>" and the product.
struct ProductKey {
  std::string producer;
  std::string product;
};

std::optional<ProductKey> SplitProductKey(std::string_view key) {
  if (key.substr(0, access::kSharePrefix.size()) != access::kSharePrefix) return std::nullopt;
  std::string_view rest = key.substr(access::kSharePrefix.size());
  const size_t first = rest.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = rest.find('/', first + 1);
  if (second == std::string_view::npos || second + 1 >= rest.size()) return std::nullopt;
  return ProductKey{std::string(rest.substr(0, second)), std::string(rest.substr(second + 1))};
}

// AWS said no for good (a value or name it cannot hold): retrying changes nothing.
bool IsPermanent(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kFailedPrecondition;
}

}  // namespace

AwsMirror::AwsMirror(store::ConfigStore& store, AwsMirrorOptions options, Emit emit)
    : store_(store), options_(std::move(options)), emit_(std::move(emit)) {
  transport_ = aws::NewCurlTransport();
  // Throttling is retried briefly here; the mirror's own backoff does the rest.
  aws::RetryPolicy retry;
  retry.max_attempts = 3;
  retry.max_delay = std::chrono::milliseconds(1000);
  client_ = std::make_unique<aws::AwsClient>(options_.settings.central, *transport_,
                                             aws::RealSleeper(), retry);
  ssm_ = std::make_unique<aws::SsmClient>(*client_);
  events_ = std::make_unique<aws::EventBridgeClient>(*client_);
}

AwsMirror::~AwsMirror() { Stop(); }

Status AwsMirror::Start() {
  store::Revision cursor = 0;
  Result<store::Entry> e = store_.Get(kAwsMirrorCursorKey);
  if (e.ok()) {
    cursor = std::strtoll(e->value.c_str(), nullptr, 10);
  } else if (!IsNotFound(e.status())) {
    return e.status();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
  Result<store::WatchHandlePtr> watch =
      store_.Watch(access::kSharePrefix, cursor, [this](const store::ChangeEvent& c) {
        if (EndsWith(c.key, kConsumedSuffix)) return;
        std::lock_guard<std::mutex> lock(mu_);
        backlog_.push_back({c.revision, c.key, c.kind == store::ChangeKind::kDelete, c.version});
        cv_.notify_all();
      });
  if (!watch.ok()) {
    Stop();
    return watch.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  watch_ = std::move(watch).value();
  return OkStatus();
}

void AwsMirror::Stop() {
  store::WatchHandlePtr watch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    watch = std::move(watch_);
  }
  watch.reset();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  backlog_.clear();
}

bool AwsMirror::WaitBackoff(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, delay, [&] { return stop_; });
}

void AwsMirror::Loop() {
  std::chrono::milliseconds backoff = options_.first_backoff;
  bool failing = false;
  Progress progress;
  while (true) {
    Change change;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !backlog_.empty(); });
      if (stop_) return;
      change = backlog_.front();
    }
    const Progress before = progress;
    Status s = Mirror(change, progress);
    if (!s.ok()) {
      if (!failing) Record("aws.mirror.failed", change, s.message() + "; retrying with backoff");
      failing = true;
      // A step went through: AWS answers again, the next step gets a fresh backoff.
      if (progress.ssm_done != before.ssm_done) backoff = options_.first_backoff;
      if (!WaitBackoff(backoff)) return;
      backoff = std::min(backoff * 2, options_.max_backoff);
      continue;
    }
    if (failing) Record("aws.mirror.recovered", change, "AWS answers again; mirroring goes on");
    failing = false;
    backoff = options_.first_backoff;
    progress = {};
    std::lock_guard<std::mutex> lock(mu_);
    if (!backlog_.empty()) backlog_.pop_front();
  }
}

Status AwsMirror::Mirror(const Change& change, Progress& progress) {
  const AwsSettings& s = options_.settings;
  if (!progress.ssm_done) {
    CrashPoint("aws_mirror.change_seen");
    Status ssm = OkStatus();
    if (s.ssm_products) {
      ssm = change.deleted ? DeleteParameter(change.key) : MirrorPut(change, change.key);
    }
    if (!ssm.ok() && !IsPermanent(ssm)) return ssm;
    if (!ssm.ok()) {
      Record("aws.mirror.failed", change, ssm.message() + "; AWS refuses it: not retried");
    }
    progress.ssm_done = true;
    CrashPoint("aws_mirror.ssm_written");
  }
  if (!progress.event_sent) {
    if (!change.deleted && !s.event_bus.empty()) {
      Status sent = PutEvent(change);
      if (!sent.ok() && !IsPermanent(sent)) return sent;
      if (!sent.ok()) {
        Record("aws.mirror.failed", change, sent.message() + "; AWS refuses it: not retried");
      }
    }
    progress.event_sent = true;
    CrashPoint("aws_mirror.event_sent");
  }
  // Right after the event: a crash before this write sends the event again (the only
  // duplicate the mirror can make; docs/aws-targets.md).
  return store_.Put(kAwsMirrorCursorKey, std::to_string(change.revision), std::nullopt).status();
}

Status AwsMirror::MirrorPut(const Change& change, const std::string& parameter) {
  Result<std::vector<store::Entry>> history = store_.History(change.key);
  if (IsNotFound(history.status())) return OkStatus();  // its history is gone
  ODMD_RETURN_IF_ERROR(history.status());
  // SSM's history restarts at 1 after a deletion: count from the last tombstone before it.
  store::Version base = 0;
  for (const store::Entry& e : *history) {
    if (e.version < change.version && e.tombstone) base = e.version;
  }
  const int64_t wanted = change.version - base;
  int64_t have = 0;
  Result<aws::Parameter> current = ssm_->GetParameter(parameter);
  if (current.ok()) {
    have = current->version;
  } else if (!IsNotFound(current.status())) {
    return current.status();
  }
  // Written before a crash (or by an earlier pass): nothing to do. Versions SSM lacks
  // before this one are written first, so SSM version k stays store version base + k.
  for (int64_t k = have + 1; k <= wanted; ++k) {
    const store::Version v = base + k;
    const store::Entry* entry = nullptr;
    for (const store::Entry& e : *history) {
      if (e.version == v) entry = &e;
    }
    if (entry == nullptr || entry->tombstone) return OkStatus();
    ODMD_RETURN_IF_ERROR(PutParameter(parameter, entry->value));
  }
  return OkStatus();
}

Status AwsMirror::PutParameter(const std::string& name, const std::string& value) {
  // Intelligent-Tiering: values over 4 KB go to the advanced tier (up to 8 KB).
  nlohmann::json body = {{"Name", name},
                         {"Value", value},
                         {"Type", "String"},
                         {"Overwrite", true},
                         {"Tier", "Intelligent-Tiering"}};
  return client_->Json(aws::kSsm, "AmazonSSM", "PutParameter", body, "parameter " + Quote(name))
      .status();
}

Status AwsMirror::DeleteParameter(const std::string& name) {
  Result<nlohmann::json> deleted = client_->Json(aws::kSsm, "AmazonSSM", "DeleteParameter",
                                                 {{"Name", name}}, "parameter " + Quote(name));
  if (!deleted.ok() && !IsNotFound(deleted.status())) return deleted.status();
  return OkStatus();
}

Status AwsMirror::PutEvent(const Change& change) {
  std::optional<ProductKey> pk = SplitProductKey(change.key);
  nlohmann::json detail = {{"producer", pk ? pk->producer : ""},
                           {"product", pk ? pk->product : ""},
                           {"path", change.key},
                           {"version", change.version},
                           {"revision", change.revision}};
  aws::Event e;
  e.source = std::string(kAwsEventSource);
  e.detail_type = std::string(kAwsEventDetailType);
  e.detail = detail.dump();
  e.event_bus_name = options_.settings.event_bus;
  Result<std::vector<std::string>> ids = events_->PutEvents({e});
  return ids.status().WithContext("event bus " + Quote(options_.settings.event_bus));
}

void AwsMirror::Record(const std::string& kind, const Change& change, const std::string& message) {
  std::optional<ProductKey> pk = SplitProductKey(change.key);
  Event e;
  e.kind = kind;
  if (pk) e.enver_id = pk->producer;
  e.message = "mirroring " + change.key + " version " + std::to_string(change.version) +
              (change.deleted ? " (deleted)" : "") + " to AWS: " + message;
  if (kind == "aws.mirror.failed") {
    e.suggestion = "check the central credentials, the endpoint and the bus of --aws-config";
  }
  e.fields = {{"path", change.key},
              {"version", std::to_string(change.version)},
              {"revision", std::to_string(change.revision)}};
  if (options_.settings.ssm_products) e.fields["parameter"] = change.key;
  if (!options_.settings.event_bus.empty()) e.fields["bus"] = options_.settings.event_bus;
  (void)emit_(std::move(e));
}

}  // namespace odmd::reconcile

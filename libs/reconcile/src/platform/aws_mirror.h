#pragma once

// AwsMirror: products where AWS tools expect them (issue 13 point 5; docs/aws-targets.md,
// "Products in SSM and EventBridge"). The store stays the truth: the mirror follows
// /odmd-share/ AFTER the commits, on its own thread, and
//   - writes every product version to SSM Parameter Store under the product's own path,
//     SSM's version history in step with the store's (store version k <-> SSM version k,
//     counted from the product's last deletion): before writing, it reads the parameter's
//     current version and writes only the versions SSM lacks, so a resumed write never
//     duplicates history;
//   - deletes the parameter when the product is tombstoned (a clone's teardown);
//   - puts one event per new product version on the EventBridge bus (source "odmd",
//     detail-type "odmd.product.version", detail {producer, product, path, version,
//     revision}).
// Resumed after a crash from its cursor (kAwsMirrorCursorKey: the store revision of the last
// change fully mirrored), written right after each change's PutEvents. AWS errors are
// retried with doubling backoff and recorded as an "aws.mirror.failed" event naming the
// parameter or bus and the reason ("aws.mirror.recovered" when it goes on); product puts
// never wait for AWS. A change AWS refuses for good (a value SSM cannot hold) is recorded and
// skipped.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "odmd/aws/client.h"
#include "odmd/aws/eventbridge.h"
#include "odmd/aws/ssm.h"
#include "odmd/reconcile/aws_settings.h"
#include "odmd/reconcile/state.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

inline constexpr std::string_view kAwsMirrorCursorKey = "/odmd/aws/mirror/cursor";
inline constexpr std::string_view kAwsEventSource = "odmd";
inline constexpr std::string_view kAwsEventDetailType = "odmd.product.version";

struct AwsMirrorOptions {
  AwsSettings settings;
  // Backoff after a failed AWS call; doubles up to max_backoff.
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
};

class AwsMirror {
 public:
  // Records a platform event (failures and recoveries).
  using Emit = std::function<Status(Event)>;
  // `store` must outlive the mirror.
  AwsMirror(store::ConfigStore& store, AwsMirrorOptions options, Emit emit);
  ~AwsMirror();
  AwsMirror(const AwsMirror&) = delete;
  AwsMirror& operator=(const AwsMirror&) = delete;

  // Reads the cursor and follows /odmd-share/ from it.
  Status Start();
  // Stops following; a change half-mirrored is taken up again by the next Start. Idempotent.
  void Stop();

 private:
  // What the watch delivered (the value is read from the store's history when needed).
  struct Change {
    store::Revision revision = 0;
    std::string key;
    bool deleted = false;
    store::Version version = 0;
  };
  // How far the change at the front got: a retry resumes after the last step done.
  struct Progress {
    bool ssm_done = false;
    bool event_sent = false;
  };

  void Loop();
  // Mirrors `change` step by step; a permanent AWS refusal is recorded and skips the step.
  Status Mirror(const Change& change, Progress& progress);
  Status MirrorPut(const Change& change, const std::string& parameter);
  Status DeleteParameter(const std::string& name);
  Status PutParameter(const std::string& name, const std::string& value);
  Status PutEvent(const Change& change);
  // Waits `delay` unless stopped; false when stopped.
  bool WaitBackoff(std::chrono::milliseconds delay);
  void Record(const std::string& kind, const Change& change, const std::string& message);

  store::ConfigStore& store_;
  const AwsMirrorOptions options_;
  Emit emit_;
  std::unique_ptr<aws::Transport> transport_;
  std::unique_ptr<aws::AwsClient> client_;
  std::unique_ptr<aws::SsmClient> ssm_;
  std::unique_ptr<aws::EventBridgeClient> events_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Change> backlog_;
  bool stop_ = false;
  store::WatchHandlePtr watch_;
  std::thread thread_;
};

}  // namespace odmd::reconcile

#include "serve_lease.h"

#include <unistd.h>

#include <chrono>
#include <utility>

#include "odmd/base/strings.h"

namespace odmd::cli {
namespace {

std::string DefaultReplicaId(Clock& clock) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.WallNow().time_since_epoch())
          .count();
  return std::string(host[0] != '\0' ? host : "localhost") + ":" + std::to_string(::getpid()) +
         ":" + std::to_string(ms);
}

Status CheckTimes(const ServeLeaseOpts& o) {
  if (o.duration_ms < 100) {
    return InvalidArgumentError("--lease-duration-ms " + std::to_string(o.duration_ms) +
                                " is under 100");
  }
  if (o.renew_ms < 10 || o.renew_ms * 2 > o.duration_ms) {
    return InvalidArgumentError("--lease-renew-ms " + std::to_string(o.renew_ms) +
                                " must be at least 10 and at most half of --lease-duration-ms (" +
                                std::to_string(o.duration_ms) + ")");
  }
  return OkStatus();
}

}  // namespace

void AddServeLeaseOptions(CLI::App& sub, ServeLeaseOpts& o) {
  sub.add_option("--replica-id", o.replica_id,
                 "This replica's id among the servers sharing the store (default: "
                 "HOST:PID:START_MS)");
  sub.add_option("--lease-duration-ms", o.duration_ms,
                 "How long the leader's lease lasts without renewal, by the database's clock: "
                 "a dead leader is replaced after about this long")
      ->capture_default_str();
  sub.add_option("--lease-renew-ms", o.renew_ms,
                 "How often the leader renews its lease and a standby tries to take it")
      ->capture_default_str();
  sub.add_option("--follower-workers", o.follower_workers,
                 "Queue workers this replica runs while it follows (PostgreSQL only), under a "
                 "worker lease of its own: no deployment is claimed twice, and one it leaves "
                 "running is run again only after that lease expired (docs/platform.md, "
                 "Replicas)")
      ->capture_default_str();
}

Result<std::unique_ptr<ServeLease>> ServeLease::Open(store::ConfigStore& store,
                                                     const std::string& store_url,
                                                     const ServeLeaseOpts& o,
                                                     const std::string& address, Clock& clock,
                                                     std::function<void(Change)> notify,
                                                     const std::string& name) {
  ODMD_RETURN_IF_ERROR(CheckTimes(o));
  if (o.follower_workers < 0) {
    return InvalidArgumentError("--follower-workers " + std::to_string(o.follower_workers) +
                                " is negative");
  }
  if (o.follower_workers > 0 && store_url.starts_with("sqlite:")) {
    return InvalidArgumentError(
        "--follower-workers " + std::to_string(o.follower_workers) +
        " needs a PostgreSQL store (--store postgresql://...): on SQLite one server runs "
        "every worker (--concurrency)");
  }
  store::LeaseOptions options;
  options.name = name;
  options.replica_id = o.replica_id.empty() ? DefaultReplicaId(clock) : o.replica_id;
  options.address = address;
  options.duration = std::chrono::milliseconds(o.duration_ms);
  ODMD_ASSIGN_OR_RETURN(store::LeaderLeasePtr lease, store.NewLeaderLease(options));
  std::unique_ptr<ServeLease> self(
      new ServeLease(options, store_url.starts_with("sqlite:"), std::move(lease)));
  ServeLease* raw = self.get();
  reconcile::LeaderCallbacks callbacks{[notify](store::Epoch) { notify(Change::kElected); },
                                       [raw, notify](store::Epoch, const Status& why) {
                                         {
                                           std::lock_guard lock(raw->mu_);
                                           raw->deposed_why_ = why;
                                         }
                                         notify(Change::kDeposed);
                                       }};
  self->loop_ = std::make_unique<reconcile::LeaderLoop>(
      *self->lease_, clock,
      reconcile::LeaderLoopOptions{options.duration, std::chrono::milliseconds(o.renew_ms)},
      std::move(callbacks));
  return self;
}

ServeLease::ServeLease(store::LeaseOptions options, bool exclusive, store::LeaderLeasePtr lease)
    : options_(std::move(options)), exclusive_(exclusive), lease_(std::move(lease)) {}

ServeLease::~ServeLease() { Stop(); }

Result<bool> ServeLease::TryLead() {
  ODMD_RETURN_IF_ERROR(loop_->Step());
  if (loop_->epoch().has_value()) return true;
  if (!exclusive_) return false;
  return FailedPreconditionError("the store is served by another odmd serve: " + DescribeHolder() +
                                 " (one server per SQLite store; stop it first, or share a "
                                 "PostgreSQL store between replicas)");
}

std::string ServeLease::DescribeHolder() {
  Result<store::LeaseState> state = lease_->Current();
  if (!state.ok()) return "(cannot read the lease: " + state.status().message() + ")";
  std::string text = "replica " + Quote(state->holder);
  if (!state->holder_address.empty()) text += " at " + state->holder_address;
  if (!exclusive_) text += ", epoch " + std::to_string(state->epoch);
  return text;
}

void ServeLease::Start() { loop_->Start(); }

void ServeLease::Stop() {
  if (loop_ == nullptr) return;
  loop_->Stop();
  (void)loop_->Release();  // a lost lease needs no release; an unreachable database expires it
}

Status ServeLease::deposed_why() const {
  std::lock_guard lock(mu_);
  return deposed_why_;
}

}  // namespace odmd::cli

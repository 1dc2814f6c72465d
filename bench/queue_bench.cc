// Deployment queue benchmark driver (issue 5, "a product change -> 1,000 reactions queued
// < 50 ms"). One run, one temporary directory, figures printed as
// `queue <name>: <figure> (target ...)`; it asserts nothing about time and exits 0 unless
// the queue itself fails.
//   1. enqueue 1,000 reactions for 1,000 idle envers, one Enqueue call (one durable commit:
//      1,000 deployments, 1,000 queue records, 1,000 events and the counters)
//   2. the same 1,000 envers again with a new root: each pending deployment is superseded
//      (2,000 deployment records per commit)
//
//   odmd_queue_bench [--requests=1000] [--rounds=20] [--dir=PATH]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/clock.h"
#include "odmd/reconcile/queue.h"
#include "odmd/store/open_config_store.h"

namespace {

using Steady = std::chrono::steady_clock;
using odmd::reconcile::DeploymentQueue;
using odmd::reconcile::EnqueueRequest;

struct Flags {
  int requests = 1000;
  int rounds = 20;
  std::string dir;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "odmd_queue_bench: %s\n", message.c_str());
  std::exit(1);
}

bool ParseInt(std::string_view arg, std::string_view name, int& out) {
  std::string prefix = "--" + std::string(name) + "=";
  if (!arg.starts_with(prefix)) return false;
  try {
    out = std::stoi(std::string(arg.substr(prefix.size())));
  } catch (...) {
    Die("flag " + std::string(arg) + " needs a number");
  }
  if (out < 1) Die("flag " + std::string(arg) + " must be >= 1");
  return true;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (ParseInt(arg, "requests", flags.requests) || ParseInt(arg, "rounds", flags.rounds)) {
      continue;
    }
    if (arg.starts_with("--dir=")) {
      flags.dir = std::string(arg.substr(6));
      continue;
    }
    Die("unknown flag " + std::string(arg));
  }
  return flags;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(index, v.size() - 1)];
}

// Requests for envers "<prefix><i>/b..main", all caused by one product change `version`.
std::vector<EnqueueRequest> Reactions(const std::string& prefix, int n, int version) {
  std::vector<EnqueueRequest> requests(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    EnqueueRequest& r = requests[static_cast<size_t>(i)];
    r.enver_id = prefix + std::to_string(i) + "/b..main";
    r.cause.kind = "reaction";
    r.cause.detail =
        "consumed product base/b..main/url changed to version " + std::to_string(version);
    r.cause.root = "product:/odmd-share/base/b..main/url@" + std::to_string(version);
  }
  return requests;
}

// Milliseconds of one Enqueue call.
double TimeEnqueue(DeploymentQueue& queue, const std::vector<EnqueueRequest>& requests) {
  Steady::time_point start = Steady::now();
  auto result = queue.Enqueue(requests);
  double ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
  if (!result.ok()) Die("enqueue failed: " + result.status().ToString());
  return ms;
}

void Report(const std::string& name, const std::vector<double>& ms) {
  std::printf(
      "queue %s (durable SQLite): p50 %.2f ms, p99 %.2f ms over %zu rounds (target < 50 ms)\n",
      name.c_str(), Percentile(ms, 0.5), Percentile(ms, 0.99), ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  // A real disk matters: on tmpfs fsync is free and the durable figures mean nothing.
  std::filesystem::path base =
      flags.dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(flags.dir);
  const std::filesystem::path dir = base / ("odmd-queue-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::printf("queue bench dir: %s\n", dir.c_str());

  odmd::store::StoreOptions options;
  options.url = "sqlite:" + (dir / "queue.db").string();
  options.durable = true;
  auto store = odmd::store::OpenConfigStore(options);
  if (!store.ok()) Die("cannot open the store: " + store.status().ToString());
  odmd::SystemClock clock;
  DeploymentQueue queue(**store, clock, {});
  if (auto s = queue.Load(); !s.ok()) Die("load failed: " + s.ToString());

  const std::string n = std::to_string(flags.requests);
  std::vector<double> fresh, superseding;
  for (int round = 0; round < flags.rounds; ++round) {
    const std::string prefix = "svc" + std::to_string(round) + "-";
    fresh.push_back(TimeEnqueue(queue, Reactions(prefix, flags.requests, 1)));
    superseding.push_back(TimeEnqueue(queue, Reactions(prefix, flags.requests, 2)));
  }
  Report("enqueue " + n + " reactions", fresh);
  Report("enqueue " + n + " reactions superseding " + n + " pending", superseding);
  store->reset();
  std::filesystem::remove_all(dir);
  std::printf("queue bench done\n");
  return 0;
}

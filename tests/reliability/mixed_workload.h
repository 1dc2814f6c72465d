#pragma once

// The mixed workload of the reliability suite (issue 12) and the replica chaos test
// (issue 18): a small org (svc publishes url from its deployments and n from the suite's
// API puts; app redeploys on url, mon is notified of n; odd contracts versions add
// svc/b..extra), real git repositories, clients that put products through the API and write
// the store through the CLI, pushes, publishes and clone create/delete commands, and the
// checks after a crash: every acknowledged write present, the event log gapless with no
// product version, alert or publish recorded twice, no publish half-synced, every clone
// whole or gone.
//
// Every build script also appends "start <deployment> <enver>" to runs.log and holds an
// exclusive flock on a file of its enver while it runs: a run that finds another run of the
// same enver alive appends "concurrent <deployment> <enver>" (the kernel drops the lock of
// a killed script, so a dead run never counts).

#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "harness.h"
#include "odmd/model/org.h"

namespace odmd::reliability {

// Where a request goes: a server's URL and a token.
struct Target {
  std::string url;
  std::string token;
};

// Acknowledged writes, from several client threads.
struct Acked {
  std::mutex mu;
  std::vector<std::tuple<std::string, store::Version, std::string>> products;
  std::vector<std::pair<std::string, std::string>> store_writes;
  std::set<std::string> publishes;  // versions
};

// The org of contracts version 1.<minor>.0.
model::Org MixedOrg(int minor);

class MixedWorkload {
 public:
  explicit MixedWorkload(const fs::path& root);
  ~MixedWorkload();

  const fs::path& root() const { return root_; }
  const std::vector<std::string>& repo_args() const { return repo_args_; }
  std::mt19937& rng() { return rng_; }
  Acked& acked() { return acked_; }
  int minor() const { return minor_; }
  int clones_created() const { return next_clone_; }
  size_t clones_deleted() const { return deleted_branches_.size(); }
  // runs.log: the build scripts' lines (see above) and the suite's own Note()s.
  fs::path runs_log() const { return root_ / "runs.log"; }
  void Note(const std::string& line);

  // Publishes the next contracts version; true when it was acknowledged (200).
  bool Publish(const Target& to);
  std::string PickAction();
  // Does one action against `to` (a push, a publish, a clone create or delete: the last
  // three notify the server with POST /api/notify).
  void Act(const Target& to, const std::string& action);
  // One product put of svc/b..main's n; records it when acknowledged.
  void PutProduct(const Target& to, const std::string& value);
  // One `odmd store put` on `store_url`; records it when acknowledged.
  void StoreWrite(const std::string& store_url, const std::string& key, const std::string& value);

  // The invariants above, on `store`. `stopped`: nothing writes the store any more (the
  // event counter must equal the events; all acknowledged writes are checked, not only
  // those since the last check).
  void Check(store::ConfigStore& store, bool stopped);

 private:
  std::mt19937 rng_;
  fs::path root_;
  std::map<std::string, std::unique_ptr<Repo>> repos_;
  std::vector<std::string> repo_args_;
  Acked acked_;
  std::mutex runs_mu_;
  int minor_ = 0;  // the last version published (acknowledged or not)
  int next_clone_ = 0;
  // Clone branches whose last push was "odmd: create@main" (live) or "odmd: delete".
  std::set<std::string> live_branches_, deleted_branches_;
  EventFacts events_;
  size_t checked_products_ = 0, checked_writes_ = 0;
};

}  // namespace odmd::reliability

#pragma once

// Where a platform call's time goes (issue 17, target 5): decorators of the Git and store
// seams that add the time spent in them while a call is measured to a Phases record, from
// any thread: the platform's own threads may do the call's work (its reaction loop reacts to
// a product change as the put does; whichever comes first does it, the other waits). The
// rest of the call's wall time is in-process work (commit commands, the clone's model, its
// token and access rules, event JSON); it is at least 0 (threads may overlap).
//
//   Phases phases;
//   {
//     PhaseScope scope(phases);
//     platform.IngestPush(push);  // through TimedGit / TimedStore
//   }
//   std::printf("%s\n", phases.Describe(wall_ms, 1).c_str());

#include <map>
#include <memory>
#include <string>

#include "odmd/reconcile/git.h"
#include "odmd/store/config_store.h"

namespace odmd::bench {

// Time spent in each seam, in milliseconds, and how many calls.
struct Phases {
  double git_ms = 0;
  int git_calls = 0;
  std::map<std::string, double> git_ms_by_call;  // "CommitFile" -> ms
  std::map<std::string, int> git_calls_by_call;
  double commit_ms = 0;  // store writes: Put, Delete, WriteBatch (each one commit)
  int commits = 0;
  double read_ms = 0;  // store reads: Get, GetVersion, List, ListAt, History, revision
  int reads = 0;

  // Adds `other` to this (the totals of several calls).
  void Add(const Phases& other);
  // Per call, for totals over `runs` calls whose wall times add up to `wall_ms`: "git 12.1 ms
  // (CommitFile 6.0 ms x1.0, ...), store commits 8.0 ms (x5.0), store reads 1.2 ms (x40.0),
  // in process 3.4 ms", where in process is the wall time the seams do not account for.
  std::string Describe(double wall_ms, int runs) const;
};

// While alive, the seams' time (on any thread) goes to `phases`. One at a time.
class PhaseScope {
 public:
  explicit PhaseScope(Phases& phases);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;
};

// `inner`, timed. The decorators forward every call unchanged.
std::unique_ptr<reconcile::Git> TimedGit(std::unique_ptr<reconcile::Git> inner);
store::ConfigStorePtr TimedStore(store::ConfigStorePtr inner);

}  // namespace odmd::bench

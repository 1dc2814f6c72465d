#include "phase_timing.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <utility>

namespace odmd::bench {
namespace {

// The record being filled (by any thread: the platform's own threads work for the call
// measured too, e.g. its reaction loop), and the lock that serialises additions to it.
std::atomic<Phases*> current{nullptr};
std::mutex current_mu;

using Steady = std::chrono::steady_clock;

double MsSince(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

// Runs `call`, adding its time to `ms` and one to `calls` when this thread is measured.
template <typename F>
auto Timed(double Phases::*ms, int Phases::*calls, F&& call) {
  const auto start = Steady::now();
  auto out = call();
  std::lock_guard lock(current_mu);
  if (Phases* p = current.load()) {
    p->*ms += MsSince(start);
    ++(p->*calls);
  }
  return out;
}

template <typename F>
auto TimedGitCall(const char* name, F&& call) {
  const auto start = Steady::now();
  auto out = call();
  std::lock_guard lock(current_mu);
  if (Phases* p = current.load()) {
    const double ms = MsSince(start);
    p->git_ms += ms;
    ++p->git_calls;
    p->git_ms_by_call[name] += ms;
    ++p->git_calls_by_call[name];
  }
  return out;
}

class TimedGitImpl final : public reconcile::Git {
 public:
  explicit TimedGitImpl(std::unique_ptr<reconcile::Git> inner) : inner_(std::move(inner)) {}

  Result<std::vector<reconcile::GitRef>> ListRefs(std::string_view repo) override {
    return TimedGitCall("ListRefs", [&] { return inner_->ListRefs(repo); });
  }
  Result<std::vector<reconcile::GitCommit>> CommitsBetween(std::string_view repo,
                                                           std::string_view old_sha,
                                                           std::string_view new_sha) override {
    return TimedGitCall("CommitsBetween",
                        [&] { return inner_->CommitsBetween(repo, old_sha, new_sha); });
  }
  Status CheckoutWorktree(std::string_view repo, std::string_view sha,
                          const std::string& dir) override {
    return TimedGitCall("CheckoutWorktree",
                        [&] { return inner_->CheckoutWorktree(repo, sha, dir); });
  }
  Status RemoveWorktree(std::string_view repo, const std::string& dir) override {
    return TimedGitCall("RemoveWorktree", [&] { return inner_->RemoveWorktree(repo, dir); });
  }
  Result<std::optional<std::string>> ReadFile(std::string_view repo, std::string_view sha,
                                              std::string_view path) override {
    return TimedGitCall("ReadFile", [&] { return inner_->ReadFile(repo, sha, path); });
  }
  Result<std::vector<std::string>> MissingFiles(std::string_view repo, std::string_view sha,
                                                const std::vector<std::string>& paths) override {
    return TimedGitCall("MissingFiles", [&] { return inner_->MissingFiles(repo, sha, paths); });
  }
  Result<reconcile::CommitFileResult> CommitFile(
      std::string_view repo, const reconcile::CommitFileRequest& request) override {
    return TimedGitCall("CommitFile", [&] { return inner_->CommitFile(repo, request); });
  }
  Status Fetch(std::string_view repo, const reconcile::FetchRequest& request) override {
    return TimedGitCall("Fetch", [&] { return inner_->Fetch(repo, request); });
  }

 private:
  std::unique_ptr<reconcile::Git> inner_;
};

class TimedStoreImpl final : public store::ConfigStore {
 public:
  explicit TimedStoreImpl(store::ConfigStorePtr inner) : inner_(std::move(inner)) {}

  Result<store::Entry> Get(std::string_view key) override {
    return Timed(&Phases::read_ms, &Phases::reads, [&] { return inner_->Get(key); });
  }
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override {
    return Timed(&Phases::read_ms, &Phases::reads,
                 [&] { return inner_->GetVersion(key, version); });
  }
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    return Timed(&Phases::commit_ms, &Phases::commits,
                 [&] { return inner_->Put(key, value, if_revision); });
  }
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override {
    return Timed(&Phases::commit_ms, &Phases::commits,
                 [&] { return inner_->Delete(key, if_revision); });
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override {
    return Timed(&Phases::commit_ms, &Phases::commits, [&] { return inner_->WriteBatch(ops); });
  }
  Result<std::vector<store::Entry>> List(std::string_view prefix) override {
    return Timed(&Phases::read_ms, &Phases::reads, [&] { return inner_->List(prefix); });
  }
  Result<std::vector<store::Entry>> ListAt(std::string_view prefix, store::Revision at) override {
    return Timed(&Phases::read_ms, &Phases::reads, [&] { return inner_->ListAt(prefix, at); });
  }
  Result<std::vector<store::Entry>> History(std::string_view key) override {
    return Timed(&Phases::read_ms, &Phases::reads, [&] { return inner_->History(key); });
  }
  Result<store::Revision> LatestRevision() override {
    return Timed(&Phases::read_ms, &Phases::reads, [&] { return inner_->LatestRevision(); });
  }
  Result<store::WatchHandlePtr> Watch(std::string_view prefix, store::Revision after,
                                      store::ChangeSink sink) override {
    return inner_->Watch(prefix, after, std::move(sink));
  }

 private:
  store::ConfigStorePtr inner_;
};

std::string Format(const char* format, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

}  // namespace

void Phases::Add(const Phases& o) {
  git_ms += o.git_ms;
  git_calls += o.git_calls;
  for (const auto& [name, ms] : o.git_ms_by_call) git_ms_by_call[name] += ms;
  for (const auto& [name, n] : o.git_calls_by_call) git_calls_by_call[name] += n;
  commit_ms += o.commit_ms;
  commits += o.commits;
  read_ms += o.read_ms;
  reads += o.reads;
}

std::string Phases::Describe(double wall_ms, int runs) const {
  const double n = runs > 0 ? runs : 1;
  std::string git;
  for (const auto& [name, ms] : git_ms_by_call) {
    if (!git.empty()) git += ", ";
    git += Format("%s %.1f ms x%.1f", name.c_str(), ms / n, git_calls_by_call.at(name) / n);
  }
  // Threads may overlap: the rest is at least 0.
  const double rest = std::max(0.0, wall_ms - git_ms - commit_ms - read_ms) / n;
  return Format("git %.1f ms (", git_ms / n) + git +
         Format("), store commits %.1f ms (x%.1f), store reads %.1f ms (x%.1f), in process %.1f ms",
                commit_ms / n, commits / n, read_ms / n, reads / n, rest);
}

PhaseScope::PhaseScope(Phases& phases) {
  std::lock_guard lock(current_mu);
  current = &phases;
}
PhaseScope::~PhaseScope() {
  std::lock_guard lock(current_mu);
  current = nullptr;
}

std::unique_ptr<reconcile::Git> TimedGit(std::unique_ptr<reconcile::Git> inner) {
  return std::make_unique<TimedGitImpl>(std::move(inner));
}

store::ConfigStorePtr TimedStore(store::ConfigStorePtr inner) {
  return std::make_unique<TimedStoreImpl>(std::move(inner));
}

}  // namespace odmd::bench

#pragma once

// Timing decorators of odmd_github_dispatch_bench: the Git, ConfigStore and GitHub
// Transport seams of a Platform, each forwarding every call and recording how long it took,
// so the bench can say where the time between IngestPush and the dispatch goes.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/github/transport.h"
#include "odmd/reconcile/git.h"
#include "odmd/store/config_store.h"

namespace odmd::bench {

using Steady = std::chrono::steady_clock;

// Calls into a seam, by kind, from every thread.
class Spans {
 public:
  enum Kind { kGit, kStoreWrite, kStoreRead, kGitHub, kKinds };
  struct Span {
    Kind kind;
    Steady::time_point start, end;
    std::thread::id thread;
    std::string what;  // the git call, the store key(s) written, the GitHub request
  };

  void Add(Kind kind, Steady::time_point start, std::string what = "") {
    const Steady::time_point end = Steady::now();
    std::lock_guard<std::mutex> lock(mu_);
    spans_.push_back({kind, start, end, std::this_thread::get_id(), std::move(what)});
  }
  std::vector<Span> All() {
    std::lock_guard<std::mutex> lock(mu_);
    return spans_;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    spans_.clear();
  }
  // Per kind: the calls that started in [from, to) (on `thread` only, unless it is the
  // default id) and the milliseconds they took within it.
  struct Total {
    int calls = 0;
    double ms = 0;
  };
  std::vector<Total> Within(Steady::time_point from, Steady::time_point to,
                            std::thread::id thread = {}) {
    std::vector<Total> out(kKinds);
    std::lock_guard<std::mutex> lock(mu_);
    for (const Span& s : spans_) {
      if (s.start < from || s.start >= to) continue;
      if (thread != std::thread::id() && s.thread != thread) continue;
      out[s.kind].calls++;
      out[s.kind].ms +=
          std::chrono::duration<double, std::milli>(std::min(s.end, to) - s.start).count();
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<Span> spans_;
};

// `f()`, recorded as a call of `kind`.
template <typename F>
auto Timed(Spans& spans, Spans::Kind kind, std::string what, F f) {
  const auto t = Steady::now();
  auto r = f();
  spans.Add(kind, t, std::move(what));
  return r;
}

class TimedGit : public reconcile::Git {
 public:
  TimedGit(reconcile::Git& inner, Spans& spans) : inner_(inner), spans_(spans) {}
  Result<std::vector<reconcile::GitRef>> ListRefs(std::string_view repo) override {
    return Timed(spans_, Spans::kGit, "git ListRefs", [&] { return inner_.ListRefs(repo); });
  }
  Result<std::vector<reconcile::GitCommit>> CommitsBetween(std::string_view repo,
                                                           std::string_view old_sha,
                                                           std::string_view new_sha) override {
    return Timed(spans_, Spans::kGit, "git CommitsBetween",
                 [&] { return inner_.CommitsBetween(repo, old_sha, new_sha); });
  }
  Status CheckoutWorktree(std::string_view repo, std::string_view sha,
                          const std::string& dir) override {
    return Timed(spans_, Spans::kGit, "git CheckoutWorktree",
                 [&] { return inner_.CheckoutWorktree(repo, sha, dir); });
  }
  Status RemoveWorktree(std::string_view repo, const std::string& dir) override {
    return Timed(spans_, Spans::kGit, "git RemoveWorktree",
                 [&] { return inner_.RemoveWorktree(repo, dir); });
  }
  Result<std::optional<std::string>> ReadFile(std::string_view repo, std::string_view sha,
                                              std::string_view path) override {
    return Timed(spans_, Spans::kGit, "git ReadFile",
                 [&] { return inner_.ReadFile(repo, sha, path); });
  }
  Result<std::vector<std::string>> MissingFiles(std::string_view repo, std::string_view sha,
                                                const std::vector<std::string>& paths) override {
    return Timed(spans_, Spans::kGit, "git MissingFiles",
                 [&] { return inner_.MissingFiles(repo, sha, paths); });
  }
  Result<reconcile::CommitFileResult> CommitFile(
      std::string_view repo, const reconcile::CommitFileRequest& request) override {
    return Timed(spans_, Spans::kGit, "git CommitFile",
                 [&] { return inner_.CommitFile(repo, request); });
  }

 private:
  reconcile::Git& inner_;
  Spans& spans_;
};

// "batch key1 key2 ..." (at most 4 keys named).
inline std::string BatchKeys(std::span<const store::BatchOp> ops) {
  std::string out = "batch of " + std::to_string(ops.size()) + ":";
  for (size_t i = 0; i < ops.size() && i < 4; ++i) out += " " + ops[i].key;
  return out;
}

class TimedStore : public store::ConfigStore {
 public:
  TimedStore(store::ConfigStore& inner, Spans& spans) : inner_(inner), spans_(spans) {}

  Result<store::Entry> Get(std::string_view key) override {
    return Timed(spans_, Spans::kStoreRead, "get " + std::string(key),
                 [&] { return inner_.Get(key); });
  }
  Result<store::Entry> GetVersion(std::string_view key, store::Version version) override {
    return Timed(spans_, Spans::kStoreRead, "get " + std::string(key),
                 [&] { return inner_.GetVersion(key, version); });
  }
  Result<store::WriteResult> Put(std::string_view key, std::string_view value,
                                 std::optional<store::Revision> if_revision) override {
    return Timed(spans_, Spans::kStoreWrite, "put " + std::string(key),
                 [&] { return inner_.Put(key, value, if_revision); });
  }
  Result<store::WriteResult> Delete(std::string_view key,
                                    std::optional<store::Revision> if_revision) override {
    return Timed(spans_, Spans::kStoreWrite, "delete " + std::string(key),
                 [&] { return inner_.Delete(key, if_revision); });
  }
  Result<std::vector<store::WriteResult>> WriteBatch(std::span<const store::BatchOp> ops) override {
    return Timed(spans_, Spans::kStoreWrite, BatchKeys(ops),
                 [&] { return inner_.WriteBatch(ops); });
  }
  Result<std::vector<store::Entry>> List(std::string_view prefix) override {
    return Timed(spans_, Spans::kStoreRead, "list " + std::string(prefix),
                 [&] { return inner_.List(prefix); });
  }
  Result<std::vector<store::Entry>> ListAt(std::string_view prefix, store::Revision at) override {
    return Timed(spans_, Spans::kStoreRead, "list " + std::string(prefix),
                 [&] { return inner_.ListAt(prefix, at); });
  }
  Result<std::vector<store::Entry>> History(std::string_view key) override {
    return Timed(spans_, Spans::kStoreRead, "history " + std::string(key),
                 [&] { return inner_.History(key); });
  }
  Result<store::Revision> LatestRevision() override {
    return Timed(spans_, Spans::kStoreRead, "latest revision",
                 [&] { return inner_.LatestRevision(); });
  }
  Result<store::WatchHandlePtr> Watch(std::string_view prefix, store::Revision after,
                                      store::ChangeSink sink) override {
    return inner_.Watch(prefix, after, std::move(sink));
  }

 private:
  store::ConfigStore& inner_;
  Spans& spans_;
};

// Forwards every exchange (recorded as kGitHub); a POST whose path ends in /dispatches is
// also timestamped when it is sent and when it is answered, with the run id of the answer.
class TimedTransport : public github::Transport {
 public:
  struct Dispatch {
    Steady::time_point sent, answered;
    std::int64_t run_id = 0;
  };

  TimedTransport(github::Transport& inner, Spans& spans) : inner_(inner), spans_(spans) {}

  Result<github::HttpResponse> Send(const github::HttpRequest& request) override {
    const bool dispatch = request.method == "POST" && request.url.ends_with("/dispatches");
    const Steady::time_point sent = Steady::now();
    Result<github::HttpResponse> r = inner_.Send(request);
    spans_.Add(Spans::kGitHub, sent, request.method + " " + request.url);
    if (!dispatch) return r;
    Dispatch d{sent, Steady::now(), 0};
    if (r.ok()) {
      const auto body = nlohmann::json::parse(r->body, nullptr, false);
      if (body.is_object()) d.run_id = body.value("workflow_run_id", std::int64_t{0});
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      dispatches_.push_back(d);
    }
    cv_.notify_all();
    return r;
  }

  size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return dispatches_.size();
  }

  // Dispatch number `i` (0-based) once it was answered; nullopt after `wait`.
  std::optional<Dispatch> Await(size_t i, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return dispatches_.size() > i; })) return std::nullopt;
    return dispatches_[i];
  }

 private:
  github::Transport& inner_;
  Spans& spans_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Dispatch> dispatches_;
};

}  // namespace odmd::bench

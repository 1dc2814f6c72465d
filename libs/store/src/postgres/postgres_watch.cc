#include "postgres/postgres_watch.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>

#include "postgres/postgres_config_store.h"
#include "postgres/postgres_listener.h"

namespace odmd::store::postgres {
namespace {

// Rows read per query: the read connection goes back to the pool between pages, so a slow
// sink never holds one.
constexpr int kPage = 256;

}  // namespace

PostgresWatch::PostgresWatch(PostgresConfigStore& store, std::string prefix, Revision after,
                             ChangeSink sink)
    : store_(store), prefix_(std::move(prefix)), after_(after), sink_(std::move(sink)) {
  std::lock_guard lock(store_.watch_mu_);
  ++store_.watches_;
}

PostgresWatch::~PostgresWatch() {
  {
    std::lock_guard lock(store_.watch_mu_);
    stop_ = true;
  }
  store_.watch_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(store_.watch_mu_);
  --store_.watches_;
}

Status PostgresWatch::status() const {
  std::lock_guard lock(store_.watch_mu_);
  return status_;
}

void PostgresWatch::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool PostgresWatch::Stopped() const {
  std::lock_guard lock(store_.watch_mu_);
  return stop_;
}

bool PostgresWatch::Backoff(int failures, std::uint64_t generation) {
  const auto delay = ReconnectDelay(failures);
  std::unique_lock lock(store_.watch_mu_);
  // The listener connecting again is a good moment to retry early.
  store_.watch_cv_.wait_for(lock, delay, [&] { return stop_ || store_.generation_ != generation; });
  return !stop_;
}

void PostgresWatch::Run() {
  Revision cursor = after_;
  int failures = 0;
  for (;;) {
    std::uint64_t generation = 0;
    Revision hint = 0;
    {
      std::lock_guard lock(store_.watch_mu_);
      if (stop_) return;
      generation = store_.generation_;
      hint = store_.head_hint_;
    }
    Result<PostgresConfigStore::ChangePage> page = store_.ReadChanges(prefix_, cursor, kPage);
    if (!page.ok()) {
      if (page.status().code() == StatusCode::kUnavailable) {
        if (!Backoff(failures++, generation)) return;
        continue;
      }
      std::lock_guard lock(store_.watch_mu_);
      status_ = page.status().WithContext("watch");
      stop_ = true;
      return;
    }
    failures = 0;
    for (const ChangeEvent& event : page->events) {
      if (Stopped()) return;
      sink_(event);
      cursor = event.revision;
    }
    if (static_cast<int>(page->events.size()) == kPage) continue;
    // Nothing more under the prefix up to the snapshot's head: skip to it, so changes
    // elsewhere in the store do not wake this watch again.
    cursor = std::max(cursor, page->head);
    // A hint the snapshot did not reach is not waited on twice (a hint is visible once it is
    // given: the writer gives it after its commit returned, and the server delivers a
    // notification only once its transaction is visible); a bogus one cannot make it spin.
    const Revision seen = std::max(cursor, hint);
    std::unique_lock lock(store_.watch_mu_);
    store_.watch_cv_.wait(lock, [&] {
      return stop_ || store_.head_hint_ > seen || store_.generation_ != generation;
    });
  }
}

}  // namespace odmd::store::postgres

#pragma once

// ChangeCollector: gathers the events a ConfigStore watch delivers, for tests. Waits block
// on a condition variable; their timeout is only a failure guard, never a sleep.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

#include "odmd/store/change_event.h"

namespace odmd::testing {

class ChangeCollector {
 public:
  // The guard after which a wait gives up and returns what has arrived.
  static constexpr std::chrono::seconds kGuard{60};

  store::ChangeSink Sink() {
    return [this](const store::ChangeEvent& event) {
      std::lock_guard lock(mu_);
      events_.push_back(event);
      cv_.notify_all();
    };
  }
  // The events so far, once there are at least `n` (fewer if the guard expired).
  std::vector<store::ChangeEvent> WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kGuard, [&] { return events_.size() >= n; });
    return events_;
  }
  // The events so far, once the last one has revision >= `revision` (or the guard expired).
  std::vector<store::ChangeEvent> WaitForRevision(store::Revision revision) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kGuard,
                 [&] { return !events_.empty() && events_.back().revision >= revision; });
    return events_;
  }
  std::vector<store::ChangeEvent> Snapshot() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<store::ChangeEvent> events_;
};

// The revisions of `events`, in order.
inline std::vector<store::Revision> RevisionsOf(const std::vector<store::ChangeEvent>& events) {
  std::vector<store::Revision> revisions;
  for (const store::ChangeEvent& event : events) revisions.push_back(event.revision);
  return revisions;
}

}  // namespace odmd::testing

#pragma once

// PostgresListener: one connection that LISTENs to the store's channel and reports what it
// hears, on its own thread. When the connection drops it reconnects with backoff (10 ms
// doubling to 1 s) and LISTENs again. A notification is only a wake-up; the log is the
// truth, so after every (re)connect `listening` tells the owner that anything may have been
// missed while no one was listening.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "odmd/store/entry.h"
#include "postgres/pg_connection.h"

namespace odmd::store::postgres {

// How long the listener and the watches wait after `failures` failed attempts in a row
// before the next one: 10 ms, doubling up to 1 s.
inline std::chrono::milliseconds ReconnectDelay(int failures) {
  constexpr std::chrono::milliseconds kFirst{10};
  constexpr std::chrono::milliseconds kMax{1000};
  return std::min(kMax, kFirst * (1 << std::min(failures, 10)));
}

class PostgresListener {
 public:
  struct Callbacks {
    // A transaction committed, up to `revision`.
    std::function<void(Revision revision)> notified;
    // LISTEN is in effect (again): notifications from before now may have been missed.
    std::function<void()> listening;
  };

  // Starts the thread. Callbacks run on it.
  PostgresListener(std::string url, PgTarget target, Callbacks callbacks);
  // Stops and joins the thread (a connection attempt in progress finishes first: at most
  // the URL's connect_timeout, 10 s by default).
  ~PostgresListener();
  PostgresListener(const PostgresListener&) = delete;
  PostgresListener& operator=(const PostgresListener&) = delete;

  // Returns once the first attempt to connect and LISTEN is over, successful or not.
  void WaitForFirstAttempt();

 private:
  void Run();
  // Reports notifications until the connection is lost (an error) or the listener stops.
  Status Pump(PgConnection& conn);
  // Waits before reconnect attempt number `failures`; false when stopping.
  bool Backoff(int failures);
  bool Stopping();

  const std::string url_;
  const PgTarget target_;
  const Callbacks callbacks_;

  int wake_fd_ = -1;  // an eventfd: written once to stop Pump's poll
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;   // guarded by mu_
  bool attempted_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace odmd::store::postgres

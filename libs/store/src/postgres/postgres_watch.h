#pragma once

// PostgresWatch: one running ConfigStore::Watch of a PostgresConfigStore. Its thread reads
// the log after the last revision it delivered (a page at a time), delivers what it read,
// and when the log has nothing more for it waits for the store to say that a newer
// revision committed or that the listener is listening again. The cursor only moves over
// revisions it has read, so every change is delivered exactly once, in order, whatever was
// notified or lost.

#include <string>
#include <string_view>
#include <thread>

#include "odmd/store/config_store.h"

namespace odmd::store::postgres {

class PostgresConfigStore;

class PostgresWatch final : public WatchHandle {
 public:
  PostgresWatch(PostgresConfigStore& store, std::string prefix, Revision after, ChangeSink sink);
  ~PostgresWatch() override;

  Status status() const override;

  void Start();

 private:
  void Run();
  bool Stopped() const;
  // Waits `failures`' backoff after a failed read; false when the watch stopped.
  bool Backoff(int failures, std::uint64_t generation);

  PostgresConfigStore& store_;
  const std::string prefix_;
  const Revision after_;
  ChangeSink sink_;

  // Guarded by the store's watch mutex.
  bool stop_ = false;
  Status status_;

  std::thread thread_;
};

}  // namespace odmd::store::postgres

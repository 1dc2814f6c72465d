#pragma once

// `odmd store watch`: streams a ConfigStore watch as JSON lines until a count, a signal or
// a failure.

#include <cstdint>
#include <string>

#include "command.h"
#include "odmd/store/config_store.h"

namespace odmd::cli {

struct WatchStreamOptions {
  // Keys starting with this ("" for every key).
  std::string prefix;
  // Deliver changes with a revision greater than this.
  store::Revision after = 0;
  // Stop after this many events; 0: no limit.
  std::int64_t count = 0;
  // Errors before the stream starts as JSON on io.out (ReportFailure).
  bool json = false;
};

// Writes one JSON object per event (store_output.h EventJson) on io.out, flushed per event,
// after a "watching ..." note on io.err once the watch is registered. Waits without
// polling the store: the sink wakes the calling thread through a pipe; the watch's status
// is looked at once a second and after every wake-up.
// Returns kExitOk after `count` events or on SIGTERM, kExitInterrupted on SIGINT, and
// kExitFailure when the watch cannot start (reported as ReportFailure does) or stops with an
// error (reported on io.err) or io.out fails. SIGINT and SIGTERM are caught only while
// the stream runs (the previous handlers come back afterwards), and only by the first of
// several streams running at once in one process.
int StreamWatch(Io& io, store::ConfigStore& store, const WatchStreamOptions& options);

}  // namespace odmd::cli

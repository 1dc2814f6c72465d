#pragma once

// ServeReplica: one `odmd serve` process of a set of replicas sharing a store
// (docs/platform.md, "Replicas"), for the tests that start, stop, pause and kill replicas.
// Its stdout and stderr go to one pipe read on a thread of its own, so a replica never
// blocks on a full pipe however long it runs.
//
//   testing::ReplicaOptions o{.binary = ODMD_BINARY, .store_url = db->Url(),
//                             .state_dir = root / "a", .replica_id = "a"};
//   testing::ServeReplica a(o);
//   const std::string url = a.WaitListening();  // "" if it never listened
//   ASSERT_TRUE(a.WaitLeads());
//   o.state_dir = root / "b";
//   o.replica_id = "b";
//   o.secret_key_from = root / "a" / "secret.key";  // replicas share the sealing key
//   testing::ServeReplica b(o);                         // a follower
//   a.Signal(SIGKILL);                                  // b leads after the lease expires

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace odmd::testing {

struct ReplicaOptions {
  std::string binary;               // the odmd binary
  std::string store_url;            // --store (a postgresql:// URL for several replicas)
  std::filesystem::path state_dir;  // --state-dir, created
  std::string replica_id;           // --replica-id; "" for the default HOST:PID:START_MS
  int lease_duration_ms = 1000;     // --lease-duration-ms
  int lease_renew_ms = 100;         // --lease-renew-ms
  // Copied to <state_dir>/secret.key before the start when set: every replica must open the
  // tokens the others sealed, so they share the key.
  std::filesystem::path secret_key_from;
  // More arguments: --repo, --contracts-repo, ... (--listen and --sandbox none are always
  // given).
  std::vector<std::string> extra_args;
  // --listen: a port the test chose beforehand when something outside must know the
  // replica's address before it starts (a fake GitHub's webhook and API variable).
  std::string listen = "127.0.0.1:0";
};

class ServeReplica {
 public:
  // Starts `odmd serve` with `options`; a failure to start is a test failure.
  explicit ServeReplica(ReplicaOptions options);
  // Kills it (SIGKILL) if it still runs and reaps it.
  ~ServeReplica();
  ServeReplica(const ServeReplica&) = delete;
  ServeReplica& operator=(const ServeReplica&) = delete;

  // Blocks until its output (stdout and stderr) holds `text`, or `limit` passes: false.
  bool WaitForOutput(std::string_view text,
                     std::chrono::milliseconds limit = std::chrono::seconds(60));
  // Its API's URL once it listens; "" (and a test failure naming its output) if it did not
  // within `limit`.
  std::string WaitListening(std::chrono::milliseconds limit = std::chrono::seconds(60));
  // True once it said it leads ("replica ... leads (epoch N)").
  bool WaitLeads(std::chrono::milliseconds limit = std::chrono::seconds(60));
  // Sends `sig` (SIGKILL, SIGSTOP, SIGCONT, SIGTERM).
  void Signal(int sig);
  // Waits for its exit: the exit code, or -1 when a signal ended it or `limit` passed.
  int Wait(std::chrono::milliseconds limit = std::chrono::seconds(60));

  pid_t pid() const { return pid_; }
  const ReplicaOptions& options() const { return options_; }
  // Everything it wrote so far.
  std::string output() const;

 private:
  // What the reader thread fills. Shared with it: the thread ends when the pipe does, which
  // a build script the replica started may hold after the replica is gone.
  struct Output {
    std::mutex mu;
    std::condition_variable cv;
    std::string text;  // guarded by mu
  };
  static void ReadLoop(int fd, std::shared_ptr<Output> out);

  const ReplicaOptions options_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::shared_ptr<Output> out_ = std::make_shared<Output>();
};

}  // namespace odmd::testing

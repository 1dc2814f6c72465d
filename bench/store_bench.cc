// Config store benchmark driver (issue 3, "Benchmarks"). One run, one temporary directory,
// figures printed as `store <name>: <figure> (target ...)`; it asserts nothing about time
// and exits 0 unless the store itself fails.
//   1. single-writer durable Put vs a raw SQLite baseline (same pragmas, same rows, one
//      transaction per row into a table shaped like the store's log)
//   2. concurrent durable writers (group commit)
//   3. latest-value Get, single and multi-threaded
//   4. Put -> watch event latency (steady clock)
//   5. WriteBatch of --batch_size durable puts (one commit): time per batch, first tenth
//      vs last tenth of --batches batches of the same keys (issue 17, target 3)
//   6. a durable put to a key with --history versions vs a put to a fresh key (same)
// Issue 17, target 4 measures the disk too: the raw fsync rate of a small file in the bench
// directory, before and after the concurrent writers, and their puts per fsync.
// Target lines end in PASS or MISS and carry the figure recorded before issue 17's changes
// (kBaseline below).
//
//   odmd_store_bench [--puts=2000] [--rounds=5] [--writers=16] [--concurrent_puts=32000]
//                    [--concurrent_rounds=3]
//                    [--reads=500000] [--read_threads=N] [--events=2000] [--batches=100]
//                    [--batch_size=1000] [--history=10000] [--history_puts=200]
//                    [--fsyncs=1000] [--dir=PATH] [--store=URL]
//
// By default each workload gets a fresh SQLite file in the bench directory. --store=URL
// runs the same workloads against that one store instead, e.g. PostgreSQL (its lines then
// read `store postgres ...`, and the raw-SQLite baseline is left out). The workloads write
// into it: use a throwaway database, such as the test cluster's:
//   scripts/pg-test-cluster.sh start /tmp/pg
//   build/bench/odmd_store_bench --store="$(cat /tmp/pg/url)" --reads=100000
//   scripts/pg-test-cluster.sh stop /tmp/pg
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "odmd/store/config_store.h"
#include "odmd/store/open_config_store.h"

namespace {

using Clock = std::chrono::steady_clock;
using odmd::store::ConfigStore;
using odmd::store::ConfigStorePtr;

struct Flags {
  int puts = 2000;
  int rounds = 5;
  int writers = 16;
  int concurrent_puts = 32000;
  int concurrent_rounds = 3;
  int reads = 500000;
  int read_threads = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  int events = 2000;
  int batches = 100;
  int batch_size = 1000;
  int history = 10000;
  int history_puts = 200;
  int fsyncs = 1000;
  std::string dir;
  std::string store;  // empty: a SQLite file per workload in the bench directory
};

// Where the workloads' stores live, and how their figures are labelled.
struct Target {
  std::filesystem::path dir;
  std::string url;  // empty: a SQLite file per workload
  std::string label = "store";

  bool sqlite() const { return url.empty() || url.starts_with("sqlite:"); }
  // The store for workload `name`.
  std::string UrlFor(const std::string& name) const {
    return url.empty() ? "sqlite:" + (dir / (name + ".db")).string() : url;
  }
};

// Keys cycle over this many distinct keys, so rows carry real versions > 1.
constexpr int kKeyCount = 100;
const std::string kValue(128, 'v');

// The figures of today's code before issue 17's store changes: one run of this bench at
// commit 3e2b68f on Sun Dec 6 2026 09:00 UTC, on the 2-core CI VM (load average 0.80 at the
// start, 4.34 at the end: other builds ran beside it), SQLite 3.40.1, default flags. The
// figures this bench did not print then (the tenths' means, the fsync rate and puts per
// fsync, the long history) come from this bench built against that commit's libs/store,
// run at 09:06 UTC (load average 2.22).
struct Baseline {
  double single_writer_ratio = 0.95;
  double concurrent_puts_per_second = 12129;
  double get_1_thread = 9753767;
  double get_n_threads = 7305217;
  double watch_durable_p50_ms = 0.335, watch_durable_p99_ms = 4.003;
  double watch_fast_p50_ms = 0.037, watch_fast_p99_ms = 0.651;
  double batch_p50_ms = 36.41;
  double batch_first_tenth_mean_ms = 8.30;
  double batch_last_tenth_mean_ms = 49.12;
  double fsyncs_per_second = 4767;
  double puts_per_fsync = 2.73;
  double history_put_ms = 0.272, fresh_put_ms = 0.289;
};
constexpr Baseline kBaseline;

const char* Verdict(bool pass) { return pass ? "PASS" : "MISS"; }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// `value` with `digits` decimals.
std::string Fixed(double value, int digits = 2) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", digits, value);
  return text;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string KeyFor(std::string_view group, int i) {
  return "/odmd-share/bench/" + std::string(group) + "/key-" + std::to_string(i % kKeyCount);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "odmd_store_bench: %s\n", what.c_str());
  std::exit(1);
}

ConfigStorePtr OpenStore(const Target& target, const std::string& name, bool durable) {
  auto store = odmd::store::OpenConfigStore({.url = target.UrlFor(name), .durable = durable});
  if (!store.ok()) Die(store.status().ToString());
  return std::move(*store);
}

void MustPut(ConfigStore& store, const std::string& key) {
  auto result = store.Put(key, kValue, std::nullopt);
  if (!result.ok()) Die(result.status().ToString());
}

// --- counting SQLite's fsyncs ---------------------------------------------------------

// A SQLite VFS over the default one that counts xSync calls, so the group-commit figure can
// say how many puts each fsync carried (the batching factor) instead of inferring it. Every
// other call passes through unchanged.
struct SyncCounts {
  std::atomic<long> wal{0};        // syncs of -wal files: one per durable commit
  std::atomic<long> other{0};      // the database files (checkpoints) and anything else
  std::atomic<long> wal_bytes{0};  // written to -wal files
};
SyncCounts g_syncs;
sqlite3_vfs* g_real_vfs = nullptr;

struct CountingFile {
  sqlite3_file base;
  bool wal;
  sqlite3_file* Real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
CountingFile* Counting(sqlite3_file* file) { return reinterpret_cast<CountingFile*>(file); }
sqlite3_file* RealOf(sqlite3_file* file) { return Counting(file)->Real(); }

// Each method forwards to the real file's.
#define ODMD_FORWARD(name, ...) \
  RealOf(file)->pMethods->name(RealOf(file) __VA_OPT__(, ) __VA_ARGS__)
const sqlite3_io_methods kCountingMethods = {
    3,
    [](sqlite3_file* file) { return ODMD_FORWARD(xClose); },
    [](sqlite3_file* file, void* out, int n, sqlite3_int64 at) {
      return ODMD_FORWARD(xRead, out, n, at);
    },
    [](sqlite3_file* file, const void* in, int n, sqlite3_int64 at) {
      if (Counting(file)->wal) g_syncs.wal_bytes.fetch_add(n);
      return ODMD_FORWARD(xWrite, in, n, at);
    },
    [](sqlite3_file* file, sqlite3_int64 size) { return ODMD_FORWARD(xTruncate, size); },
    [](sqlite3_file* file, int flags) {
      (Counting(file)->wal ? g_syncs.wal : g_syncs.other).fetch_add(1);
      return ODMD_FORWARD(xSync, flags);
    },
    [](sqlite3_file* file, sqlite3_int64* size) { return ODMD_FORWARD(xFileSize, size); },
    [](sqlite3_file* file, int lock) { return ODMD_FORWARD(xLock, lock); },
    [](sqlite3_file* file, int lock) { return ODMD_FORWARD(xUnlock, lock); },
    [](sqlite3_file* file, int* out) { return ODMD_FORWARD(xCheckReservedLock, out); },
    [](sqlite3_file* file, int op, void* arg) { return ODMD_FORWARD(xFileControl, op, arg); },
    [](sqlite3_file* file) { return ODMD_FORWARD(xSectorSize); },
    [](sqlite3_file* file) { return ODMD_FORWARD(xDeviceCharacteristics); },
    [](sqlite3_file* file, int region, int size, int extend, void volatile** out) {
      return ODMD_FORWARD(xShmMap, region, size, extend, out);
    },
    [](sqlite3_file* file, int offset, int n, int flags) {
      return ODMD_FORWARD(xShmLock, offset, n, flags);
    },
    [](sqlite3_file* file) { ODMD_FORWARD(xShmBarrier); },
    [](sqlite3_file* file, int drop) { return ODMD_FORWARD(xShmUnmap, drop); },
    [](sqlite3_file* file, sqlite3_int64 at, int n, void** out) {
      return ODMD_FORWARD(xFetch, at, n, out);
    },
    [](sqlite3_file* file, sqlite3_int64 at, void* page) {
      return ODMD_FORWARD(xUnfetch, at, page);
    },
};
#undef ODMD_FORWARD

int CountingOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags,
                 int* out_flags) {
  CountingFile* counting = Counting(file);
  counting->base.pMethods = nullptr;
  counting->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = g_real_vfs->xOpen(g_real_vfs, name, counting->Real(), flags, out_flags);
  if (counting->Real()->pMethods != nullptr) {
    if (counting->Real()->pMethods->iVersion < 3) Die("the default SQLite VFS is too old");
    counting->base.pMethods = &kCountingMethods;
  }
  return rc;
}

// Makes the counting VFS SQLite's default, for the store and the raw baseline alike.
void InstallSyncCounter() {
  static sqlite3_vfs vfs;
  g_real_vfs = sqlite3_vfs_find(nullptr);
  if (g_real_vfs == nullptr) Die("SQLite has no default VFS");
  vfs = *g_real_vfs;
  vfs.zName = "odmd-bench-counting";
  vfs.szOsFile = static_cast<int>(sizeof(CountingFile)) + g_real_vfs->szOsFile;
  vfs.xOpen = CountingOpen;
  vfs.pAppData = g_real_vfs->pAppData;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/1) != SQLITE_OK) Die("cannot register the VFS");
}

// --- 1. raw SQLite baseline --------------------------------------------------------------

void SqlOk(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    Die(std::string("baseline ") + what + ": " + sqlite3_errmsg(db));
  }
}

void SqlExec(sqlite3* db, const char* sql) {
  SqlOk(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql);
}

// The same rows the store writes for `puts` Puts of KeyFor("single", i), each INSERTed in
// its own transaction, with the store's schema and pragmas (libs/store/src/sqlite).
double BaselinePutsPerSecond(const std::filesystem::path& path, int puts) {
  sqlite3* db = nullptr;
  SqlOk(db,
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        "open");
  SqlExec(db,
          "CREATE TABLE log (revision INTEGER PRIMARY KEY, key TEXT NOT NULL, "
          "version INTEGER NOT NULL, value BLOB NOT NULL, "
          "tombstone INTEGER NOT NULL CHECK (tombstone IN (0, 1)));"
          "CREATE TABLE head (key TEXT PRIMARY KEY, revision INTEGER NOT NULL) WITHOUT ROWID;"
          "CREATE TRIGGER log_head AFTER INSERT ON log BEGIN "
          "INSERT INTO head (key, revision) VALUES (NEW.key, NEW.revision) "
          "ON CONFLICT (key) DO UPDATE SET revision = excluded.revision "
          "WHERE excluded.revision > head.revision; END;"
          "CREATE UNIQUE INDEX log_version_key ON log (version, key);");
  SqlExec(db, "PRAGMA journal_mode = WAL");
  SqlExec(db, "PRAGMA synchronous = FULL");
  sqlite3_stmt *begin = nullptr, *insert = nullptr, *commit = nullptr;
  SqlOk(db, sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nullptr), "prepare");
  SqlOk(db,
        sqlite3_prepare_v2(db,
                           "INSERT INTO log (revision, key, version, value, tombstone) "
                           "VALUES (?1, ?2, ?3, ?4, 0)",
                           -1, &insert, nullptr),
        "prepare");
  SqlOk(db, sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr), "prepare");
  std::vector<std::string> keys;
  for (int i = 0; i < puts; ++i) keys.push_back(KeyFor("single", i));
  const auto start = Clock::now();
  for (int i = 0; i < puts; ++i) {
    SqlOk(db, sqlite3_step(begin), "begin");
    sqlite3_reset(begin);
    sqlite3_bind_int64(insert, 1, i + 1);
    sqlite3_bind_text(insert, 2, keys[i].data(), static_cast<int>(keys[i].size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 3, i / kKeyCount + 1);
    sqlite3_bind_blob(insert, 4, kValue.data(), static_cast<int>(kValue.size()), SQLITE_STATIC);
    SqlOk(db, sqlite3_step(insert), "insert");
    sqlite3_reset(insert);
    SqlOk(db, sqlite3_step(commit), "commit");
    sqlite3_reset(commit);
  }
  const double seconds = SecondsSince(start);
  sqlite3_finalize(begin);
  sqlite3_finalize(insert);
  sqlite3_finalize(commit);
  sqlite3_close(db);
  return puts / seconds;
}

double StorePutsPerSecond(const Target& target, const std::string& name, int puts) {
  ConfigStorePtr store = OpenStore(target, name, /*durable=*/true);
  std::vector<std::string> keys;
  for (int i = 0; i < puts; ++i) keys.push_back(KeyFor("single", i));
  const auto start = Clock::now();
  for (int i = 0; i < puts; ++i) MustPut(*store, keys[i]);
  return puts / SecondsSince(start);
}

void RunSingleWriter(const Target& target, const Flags& flags) {
  if (!target.sqlite()) {
    std::vector<double> stores;
    for (int round = 0; round < flags.rounds; ++round) {
      stores.push_back(StorePutsPerSecond(target, "single", flags.puts));
    }
    std::printf("%s single-writer durable put: %.0f puts/s (median; %d puts x %d rounds)\n",
                target.label.c_str(), Median(stores), flags.puts, flags.rounds);
    return;
  }
  // Alternate the two sides over several rounds so disk noise hits both alike; the fsync
  // time of a VM disk varies by +-10% from one second to the next.
  std::vector<double> baselines, stores, ratios;
  for (int round = 0; round < flags.rounds; ++round) {
    const std::string n = std::to_string(round);
    baselines.push_back(BaselinePutsPerSecond(target.dir / ("baseline-" + n + ".db"), flags.puts));
    stores.push_back(StorePutsPerSecond(target, "single-" + n, flags.puts));
    ratios.push_back(stores.back() / baselines.back());
  }
  std::printf(
      "store raw-sqlite baseline put: %.0f puts/s (median; 1 txn per row, WAL, "
      "synchronous=FULL)\n",
      Median(baselines));
  std::printf("store single-writer durable put: %.0f puts/s (median; %d puts x %d rounds)\n",
              Median(stores), flags.puts, flags.rounds);
  const double ratio = Median(ratios);
  std::printf(
      "store single-writer put ratio: %.2f of raw sqlite (median; rounds %.2f..%.2f) (target >= "
      "0.90; baseline %.2f) %s\n",
      ratio, *std::min_element(ratios.begin(), ratios.end()),
      *std::max_element(ratios.begin(), ratios.end()), kBaseline.single_writer_ratio,
      Verdict(ratio >= 0.90));
}

// --- 2. concurrent writers -----------------------------------------------------------

// Writes 4 KiB and fdatasyncs, `count` times (or for about a second), into a small file in `dir`,
// block after block over 1 MiB written beforehand (as SQLite appends frames to a WAL it reuses):
// the rate at which this disk makes a small write durable, the ceiling of one-commit-per-put
// writers.
double FsyncsPerSecond(const std::filesystem::path& dir, int count) {
  constexpr int kBlock = 4096;
  constexpr int kBlocks = 256;
  const std::filesystem::path path = dir / "fsync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) Die("cannot create " + path.string());
  const std::string block(kBlock, 'f');
  auto write_block = [&](int i) {
    const off_t at = static_cast<off_t>(i % kBlocks) * kBlock;
    if (::pwrite(fd, block.data(), block.size(), at) != static_cast<ssize_t>(block.size())) {
      Die("cannot write " + path.string());
    }
  };
  for (int i = 0; i < kBlocks; ++i) write_block(i);
  if (::fsync(fd) != 0) Die("cannot fsync " + path.string());
  const auto start = Clock::now();
  int done = 0;
  // At most a second: a slow disk makes the probe no slower than the workloads.
  while (done < count && (done % 64 != 0 || SecondsSince(start) < 1)) {
    write_block(done++);
    if (::fdatasync(fd) != 0) Die("cannot fdatasync " + path.string());
  }
  const double seconds = SecondsSince(start);
  ::close(fd);
  std::filesystem::remove(path);
  return done / seconds;
}

double ConcurrentPutsPerSecond(const Target& target, const Flags& flags, const std::string& name) {
  ConfigStorePtr store = OpenStore(target, name, /*durable=*/true);
  const int per_writer = std::max(1, flags.concurrent_puts / flags.writers);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < flags.writers; ++w) {
    threads.emplace_back([&store, per_writer, w] {
      const std::string group = "writer-" + std::to_string(w);
      for (int i = 0; i < per_writer; ++i) MustPut(*store, KeyFor(group, i));
    });
  }
  for (std::thread& t : threads) t.join();
  return per_writer * flags.writers / SecondsSince(start);
}

// Group commit: puts/s of --writers concurrent writers (the median of --concurrent_rounds
// runs, each on a fresh file: one run moves with the disk by a third on this VM), next to the
// disk's fsync rate (the mean of one measurement before and one after), whose quotient is the
// number of puts each commit carries: a slow disk shows as a low fsync rate, too little
// batching as a low factor.
void RunConcurrentWriters(const Target& target, const Flags& flags) {
  const int per_writer = std::max(1, flags.concurrent_puts / flags.writers);
  if (!target.sqlite()) {
    std::printf("%s concurrent durable put: %.0f puts/s (%d writers x %d puts)\n",
                target.label.c_str(), ConcurrentPutsPerSecond(target, flags, "concurrent"),
                flags.writers, per_writer);
    return;
  }
  const double fsync_before = FsyncsPerSecond(target.dir, flags.fsyncs);
  const long wal_syncs = g_syncs.wal.load();
  const long other_syncs = g_syncs.other.load();
  const long wal_bytes = g_syncs.wal_bytes.load();
  std::vector<double> rounds;
  std::string each;
  for (int round = 0; round < flags.concurrent_rounds; ++round) {
    rounds.push_back(ConcurrentPutsPerSecond(target, flags, "concurrent-" + std::to_string(round)));
    each += (round == 0 ? "" : ", ") + Fixed(rounds.back(), 0);
  }
  const double puts = Median(rounds);
  const long commits = (g_syncs.wal.load() - wal_syncs) / flags.concurrent_rounds;
  const long checkpoint_syncs = g_syncs.other.load() - other_syncs;
  const double kib_per_commit =
      commits > 0 ? static_cast<double>(g_syncs.wal_bytes.load() - wal_bytes) / 1024 /
                        static_cast<double>(commits * flags.concurrent_rounds)
                  : 0.0;
  const double fsync_after = FsyncsPerSecond(target.dir, flags.fsyncs);
  const double fsyncs = (fsync_before + fsync_after) / 2;
  const double total = static_cast<double>(per_writer) * flags.writers;
  std::printf(
      "store fsync rate: %.0f fsyncs/s (4 KiB pwrite + fdatasync of a small file in the bench "
      "dir, up to %d times before and after the writers: %.0f, %.0f) (baseline %.0f)\n",
      fsyncs, flags.fsyncs, fsync_before, fsync_after, kBaseline.fsyncs_per_second);
  std::printf(
      "store group commit: %.2f puts per commit (%ld WAL fsyncs for %.0f puts per run, %.1f KiB "
      "of WAL each, %ld database fsyncs by checkpoints); %.0f commits/s = %.2fx the raw fsync "
      "rate\n",
      commits > 0 ? total / static_cast<double>(commits) : 0.0, commits, total, kib_per_commit,
      checkpoint_syncs / flags.concurrent_rounds, static_cast<double>(commits) * puts / total,
      static_cast<double>(commits) * puts / total / fsyncs);
  std::printf(
      "store concurrent durable put: %.0f puts/s (%d writers x %d puts; median of %d runs: %s) = "
      "%.2fx the raw fsync rate (target >= 20000; baseline %.0f = %.2fx) %s\n",
      puts, flags.writers, per_writer, flags.concurrent_rounds, each.c_str(), puts / fsyncs,
      kBaseline.concurrent_puts_per_second, kBaseline.puts_per_fsync, Verdict(puts >= 20000));
}

// --- 3. latest-value reads -----------------------------------------------------------

double ReadsPerSecond(ConfigStore& store, int threads, int reads) {
  const int per_thread = std::max(1, reads / threads);
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&store, per_thread, t] {
      std::vector<std::string> keys;
      for (int i = 0; i < kKeyCount; ++i) keys.push_back(KeyFor("reads", i));
      for (int i = 0; i < per_thread; ++i) {
        auto entry = store.Get(keys[(i + t) % kKeyCount]);
        if (!entry.ok()) Die(entry.status().ToString());
      }
    });
  }
  for (std::thread& t : pool) t.join();
  return per_thread * threads / SecondsSince(start);
}

void RunReads(const Target& target, const Flags& flags) {
  ConfigStorePtr store = OpenStore(target, "reads", /*durable=*/true);
  // A few versions per key, so "latest" has something to skip.
  for (int i = 0; i < 3 * kKeyCount; ++i) MustPut(*store, KeyFor("reads", i));
  ReadsPerSecond(*store, flags.read_threads, std::min(flags.reads, 1000));  // warm the pool
  const double one = ReadsPerSecond(*store, 1, flags.reads);
  const double many = ReadsPerSecond(*store, flags.read_threads, flags.reads);
  if (!target.sqlite()) {
    std::printf("%s get latest (1 thread): %.0f reads/s\n", target.label.c_str(), one);
    std::printf("%s get latest (%d threads): %.0f reads/s\n", target.label.c_str(),
                flags.read_threads, many);
    return;
  }
  std::printf("store get latest (1 thread): %.0f reads/s (target >= 500000; baseline %.0f) %s\n",
              one, kBaseline.get_1_thread, Verdict(one >= 500000));
  std::printf("store get latest (%d threads): %.0f reads/s (target >= 500000; baseline %.0f) %s\n",
              flags.read_threads, many, kBaseline.get_n_threads, Verdict(many >= 500000));
}

// --- 4. put -> watch event latency ---------------------------------------------------

struct Latencies {
  std::vector<double> put_to_event_ms;
  std::vector<double> put_ack_ms;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// One put at a time; each waits for its event, so the figure is latency, not queueing.
Latencies MeasureWatch(const Target& target, const std::string& name, bool durable, int events) {
  ConfigStorePtr store = OpenStore(target, name, durable);
  // A shared store may hold earlier runs' writes: watch only what this run writes.
  auto latest = store->LatestRevision();
  if (!latest.ok()) Die(latest.status().ToString());
  std::mutex mu;
  std::condition_variable cv;
  odmd::store::Revision seen = 0;
  Clock::time_point seen_at;
  auto handle =
      store->Watch("/odmd-share/bench/watch/", *latest, [&](const odmd::store::ChangeEvent& e) {
        const auto now = Clock::now();
        std::lock_guard lock(mu);
        seen = e.revision;
        seen_at = now;
        cv.notify_one();
      });
  if (!handle.ok()) Die(handle.status().ToString());
  Latencies out;
  for (int i = 0; i < events; ++i) {
    const auto start = Clock::now();
    auto put = store->Put(KeyFor("watch", i), kValue, std::nullopt);
    const auto acked = Clock::now();
    if (!put.ok()) Die(put.status().ToString());
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return seen >= put->revision; })) {
      Die("watch event for revision " + std::to_string(put->revision) + " never came");
    }
    out.put_to_event_ms.push_back(
        std::chrono::duration<double, std::milli>(seen_at - start).count());
    out.put_ack_ms.push_back(std::chrono::duration<double, std::milli>(acked - start).count());
  }
  handle->reset();
  return out;
}

void RunWatch(const Target& target, const Flags& flags) {
  for (bool durable : {true, false}) {
    const Latencies l =
        MeasureWatch(target, durable ? "watch-durable" : "watch-fast", durable, flags.events);
    const char* mode = durable ? "durable" : "durable=false";
    const double p50 = Percentile(l.put_to_event_ms, 0.5);
    const double p99 = Percentile(l.put_to_event_ms, 0.99);
    std::printf(
        "%s put->watch latency (%s): p50 %.3f ms, p99 %.3f ms (target p50 <= 0.5 ms, p99 <= 2 "
        "ms; baseline p50 %.3f ms, p99 %.3f ms) %s\n",
        target.label.c_str(), mode, p50, p99,
        durable ? kBaseline.watch_durable_p50_ms : kBaseline.watch_fast_p50_ms,
        durable ? kBaseline.watch_durable_p99_ms : kBaseline.watch_fast_p99_ms,
        Verdict(p50 <= 0.5 && p99 <= 2));
    std::printf(
        "%s put ack latency (%s): p50 %.3f ms, p99 %.3f ms (the commit's share of the "
        "above)\n",
        target.label.c_str(), mode, Percentile(l.put_ack_ms, 0.5), Percentile(l.put_ack_ms, 0.99));
  }
}

// --- 5. batches ----------------------------------------------------------------------

// The platform's fan-out: one product change queues a deployment for each of up to 1,000
// consumers in one WriteBatch. Every batch rewrites the same keys, as queue records are.
void RunBatches(const Target& target, const Flags& flags) {
  ConfigStorePtr store = OpenStore(target, "batch", /*durable=*/true);
  std::vector<odmd::store::BatchOp> ops;
  for (int i = 0; i < flags.batch_size; ++i) {
    ops.push_back(odmd::store::BatchOp::Put(
        "/odmd-share/bench/batch/consumer-" + std::to_string(i) + "/queue", kValue));
  }
  std::vector<double> ms;
  for (int b = 0; b < flags.batches; ++b) {
    const auto start = Clock::now();
    auto written = store->WriteBatch(ops);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (!written.ok()) Die(written.status().ToString());
  }
  // Every batch adds a version to each key: a later batch must cost what the first did.
  const std::size_t tenth = std::max<std::size_t>(1, ms.size() / 10);
  const std::vector<double> first(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(tenth));
  const std::vector<double> last(ms.end() - static_cast<std::ptrdiff_t>(tenth), ms.end());
  const double first_mean = Mean(first);
  const double last_mean = Mean(last);
  const bool sqlite = target.sqlite();
  std::printf(
      "%s batch of %d puts, durable: p50 %.2f ms, p99 %.2f ms per batch (%d batches of the "
      "same keys) (target < 50 ms for 1000%s) %s\n",
      target.label.c_str(), flags.batch_size, Percentile(ms, 0.5), Percentile(ms, 0.99),
      flags.batches,
      sqlite ? ("; baseline p50 " + Fixed(kBaseline.batch_p50_ms) + " ms").c_str() : "",
      Verdict(Percentile(ms, 0.5) < 50));
  std::printf(
      "%s batch cost, last tenth vs first tenth: %.2fx (mean %.2f ms vs %.2f ms) (target <= "
      "1.5x%s) %s\n",
      target.label.c_str(), last_mean / first_mean, last_mean, first_mean,
      sqlite ? ("; baseline " +
                Fixed(kBaseline.batch_last_tenth_mean_ms / kBaseline.batch_first_tenth_mean_ms) +
                "x, mean " + Fixed(kBaseline.batch_last_tenth_mean_ms) + " ms vs " +
                Fixed(kBaseline.batch_first_tenth_mean_ms) + " ms")
                   .c_str()
             : "",
      Verdict(last_mean <= 1.5 * first_mean));
}

// --- 6. a put to a long history ------------------------------------------------------

// A key with --history versions (written with durable=false, which syncs less but writes
// the same rows), then --history_puts durable puts to it, each next to a put to a fresh key
// so that disk noise hits both alike.
void RunLongHistory(const Target& target, const Flags& flags) {
  const std::string hot = "/odmd-share/bench/history/hot";
  {
    ConfigStorePtr store = OpenStore(target, "history", /*durable=*/false);
    for (int i = 0; i < flags.history; ++i) MustPut(*store, hot);
  }
  ConfigStorePtr store = OpenStore(target, "history", /*durable=*/true);
  std::vector<double> hot_ms, fresh_ms;
  auto timed_put = [&store](const std::string& key) {
    const auto start = Clock::now();
    MustPut(*store, key);
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  };
  for (int i = 0; i < flags.history_puts; ++i) {
    hot_ms.push_back(timed_put(hot));
    fresh_ms.push_back(timed_put("/odmd-share/bench/history/fresh-" + std::to_string(i)));
  }
  const double hot_mean = Mean(hot_ms);
  const double fresh_mean = Mean(fresh_ms);
  std::printf(
      "%s put to a key with %d versions vs a fresh key: %.2fx (mean %.3f ms vs %.3f ms, %d "
      "each, durable) (target <= 1.5x%s) %s\n",
      target.label.c_str(), flags.history, hot_mean / fresh_mean, hot_mean, fresh_mean,
      flags.history_puts,
      target.sqlite() ? ("; baseline " + Fixed(kBaseline.history_put_ms / kBaseline.fresh_put_ms) +
                         "x, mean " + Fixed(kBaseline.history_put_ms, 3) + " ms vs " +
                         Fixed(kBaseline.fresh_put_ms, 3) + " ms")
                            .c_str()
                      : "",
      Verdict(hot_mean <= 1.5 * fresh_mean));
}

// --- driver --------------------------------------------------------------------------

bool ParseInt(std::string_view arg, std::string_view name, int& out) {
  const std::string prefix = "--" + std::string(name) + "=";
  if (!arg.starts_with(prefix)) return false;
  out = std::atoi(std::string(arg.substr(prefix.size())).c_str());
  if (out < 1) Die("flag " + std::string(arg) + " needs a positive number");
  return true;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (ParseInt(arg, "puts", flags.puts) || ParseInt(arg, "rounds", flags.rounds) ||
        ParseInt(arg, "writers", flags.writers) ||
        ParseInt(arg, "concurrent_puts", flags.concurrent_puts) ||
        ParseInt(arg, "concurrent_rounds", flags.concurrent_rounds) ||
        ParseInt(arg, "reads", flags.reads) || ParseInt(arg, "read_threads", flags.read_threads) ||
        ParseInt(arg, "events", flags.events) || ParseInt(arg, "batches", flags.batches) ||
        ParseInt(arg, "batch_size", flags.batch_size) || ParseInt(arg, "history", flags.history) ||
        ParseInt(arg, "history_puts", flags.history_puts) ||
        ParseInt(arg, "fsyncs", flags.fsyncs)) {
      continue;
    }
    if (arg.starts_with("--dir=")) {
      flags.dir = std::string(arg.substr(6));
      continue;
    }
    if (arg.starts_with("--store=")) {
      flags.store = std::string(arg.substr(8));
      if (flags.store.empty()) Die("flag --store needs a store URL");
      continue;
    }
    Die("unknown flag " + std::string(arg));
  }
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  InstallSyncCounter();
  // A real disk matters: on tmpfs fsync is free and the durable figures mean nothing.
  std::filesystem::path base =
      flags.dir.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(flags.dir);
  const std::filesystem::path dir = base / ("odmd-store-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::printf("store bench dir: %s (sqlite %s)\n", dir.c_str(), sqlite3_libversion());
  Target target{dir, flags.store};
  if (!target.sqlite()) {
    target.label = "store " + flags.store.substr(0, flags.store.find(':'));
    if (target.label == "store postgresql") target.label = "store postgres";
    std::printf("%s: every workload in the database of --store\n", target.label.c_str());
  }
  RunSingleWriter(target, flags);
  RunConcurrentWriters(target, flags);
  RunReads(target, flags);
  RunWatch(target, flags);
  RunBatches(target, flags);
  RunLongHistory(target, flags);
  std::filesystem::remove_all(dir);
  std::printf("%s bench done\n", target.label.c_str());
  return 0;
}

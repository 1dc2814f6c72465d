// Model benchmark driver. For each org size it reports, from a fresh child process (so peak
// RSS belongs to that size alone):
//   pipeline: build the org, graph, validate, plan  -> times, edges, peak RSS
//   manifest: write and read the manifest           -> times, bytes, peak RSS
// then runs the Google Benchmark micro-benchmarks (consumer-reference lookup).
//
//   odmd_model_bench [--sizes=100,1000,3000,10000] [google-benchmark flags]
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "odmd/model/graph.h"
#include "odmd/model/manifest.h"
#include "odmd/model/plan.h"
#include "odmd/model/validate.h"
#include "synthetic_org.h"

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

int RunPipeline(int builds) {
  auto t0 = Clock::now();
  odmd::model::Org org = odmd::bench::MakeSyntheticOrg({.builds = builds});
  double build_ms = MsSince(t0);
  auto t1 = Clock::now();
  odmd::model::Graph graph(org);
  double graph_ms = MsSince(t1);
  auto t2 = Clock::now();
  std::vector<odmd::model::Violation> violations = odmd::model::Validate(org, graph);
  double validate_ms = MsSince(t2);
  auto t3 = Clock::now();
  odmd::model::Plan plan = odmd::model::ComputeBootstrapPlan(graph);
  double plan_ms = MsSince(t3);
  std::printf(
      "pipeline builds=%d envers=%zu edges=%zu build_org=%.0fms graph=%.0fms "
      "validate=%.0fms plan=%.0fms validate+graph+plan=%.0fms waves=%d violations=%zu "
      "peak_rss=%.0fMiB\n",
      builds, graph.enver_count(), graph.edges().size(), build_ms, graph_ms, validate_ms, plan_ms,
      graph_ms + validate_ms + plan_ms, plan.wave_count, violations.size(), PeakRssMiB());
  return violations.empty() && plan.converged ? 0 : 1;
}

int RunManifest(int builds) {
  odmd::model::Org org = odmd::bench::MakeSyntheticOrg({.builds = builds});
  auto t0 = Clock::now();
  std::string text = odmd::model::WriteManifest(org);
  double write_ms = MsSince(t0);
  auto t1 = Clock::now();
  odmd::Result<odmd::model::Org> read = odmd::model::ReadManifest(text, nullptr);
  double read_ms = MsSince(t1);
  std::printf("manifest builds=%d bytes=%zu write=%.0fms read+validate=%.0fms peak_rss=%.0fMiB\n",
              builds, text.size(), write_ms, read_ms, PeakRssMiB());
  return read.ok() ? 0 : 1;
}

// Runs `fn(builds)` in a child process and returns whether it succeeded.
bool InChild(int (*fn)(int), int builds) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int rc = fn(builds);
    std::fflush(stdout);
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::vector<int> ParseSizes(int& argc, char** argv) {
  std::vector<int> sizes = {100, 1000, 3000, 10000};
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--sizes=", 8) != 0) continue;
    sizes.clear();
    for (const char* p = argv[i] + 8; *p != '\0';) {
      sizes.push_back(std::atoi(p));
      while (*p != '\0' && *p != ',') ++p;
      if (*p == ',') ++p;
    }
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    break;
  }
  return sizes;
}

// One consumer-reference lookup: product id -> producer location, as a consumer resolves it.
void BM_ConsumerReferenceLookup(benchmark::State& state) {
  odmd::model::Org org = odmd::bench::MakeSyntheticOrg({.builds = 10000});
  odmd::model::Graph graph(org);
  std::vector<std::string> keys;
  for (odmd::model::EdgeIndex e = 0; e < graph.edges().size(); e += 997) {
    const auto& edge = graph.edge(e);
    keys.push_back(graph.ProductId({edge.producer, edge.product_index}));
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(graph.FindProduct(keys[i]));
    if (++i == keys.size()) i = 0;
  }
}
BENCHMARK(BM_ConsumerReferenceLookup);

void BM_EnverLookup(benchmark::State& state) {
  odmd::model::Org org = odmd::bench::MakeSyntheticOrg({.builds = 10000});
  odmd::model::Graph graph(org);
  std::vector<std::string> ids;
  for (odmd::model::EnverIndex i = 0; i < graph.enver_count(); i += 101)
    ids.push_back(graph.node(i).id);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(graph.FindEnver(ids[i]));
    if (++i == ids.size()) i = 0;
  }
}
BENCHMARK(BM_EnverLookup);

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = ParseSizes(argc, argv);
  bool ok = true;
  for (int n : sizes) {
    ok = InChild(RunPipeline, n) && ok;
    ok = InChild(RunManifest, n) && ok;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return ok ? 0 : 1;
}

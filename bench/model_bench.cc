// Model benchmark driver (issue 17, target 2: the in-process pipeline). For each org size it
// times the pipeline -- build the org, Graph, Validate, ComputeBootstrapPlan -- in fresh child
// processes (this binary executed again, so each run starts cold, as `odmd validate` does, and
// peak RSS belongs to that size alone), prints each phase with its page faults and CPU time, the
// cost per consumer edge, the baseline and the speed-up, then the Google Benchmark
// micro-benchmarks (reference lookups). The baseline is the code before any issue-17 change
// (b086155) measured in the same run when --baseline-bench names its model bench
// (scripts/bench-baseline.sh builds it; `make bench` passes it), else the figures recorded on
// 2026-12-06: the same binary runs 2-3x faster or slower on this VM from one hour to the next,
// so only the same run's ratio is the code's. It runs on odmd's own allocator (jemalloc on 2 MiB
// pages, bench/CMakeLists.txt): on this kind of VM a first touch of a 4 KiB page costs ~10 us.
//
//   odmd_model_bench [--sizes=100,1000,3000,10000] [--runs=3] [--fork-children]
//                    [--baseline-bench=PATH] [google-benchmark flags]
//
// Each size runs --runs times, each in its own child; the fastest run (by pipeline total) is
// reported. With a baseline bench, each run of this code is followed by one of the baseline's
// (alternating, so that a change of the host's speed falls on both), fastest of --runs too. A child
// is exec'd, not merely forked: a forked child shares its parent's heap copy-on-write, and on 2 MiB
// pages its first writes there cost ~500 4 KiB copy faults
// (~8 ms on this VM) that no real command pays. --fork-children measures the forked way. The
// manifest figures live in manifest_bench.cc. Exits 1 when a run fails (violations, an
// unconverged plan); a missed target is a figure (MISS), not a failure: `make bench` goes on.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "odmd/model/graph.h"
#include "odmd/model/plan.h"
#include "odmd/model/validate.h"
#include "synthetic_org.h"

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Page faults and CPU time (user + system) of this process so far.
struct Usage {
  long faults = 0;
  double cpu_ms = 0;
};

Usage Now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return {ru.ru_minflt, ms(ru.ru_utime) + ms(ru.ru_stime)};
}

double PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

// One pipeline run's figures, written by the child into memory shared with the parent.
struct Figures {
  bool ok = false;
  size_t envers = 0;
  size_t edges = 0;
  int waves = 0;
  size_t violations = 0;
  double build_org_ms = 0, graph_ms = 0, validate_ms = 0, plan_ms = 0, peak_rss_mib = 0;
  // Minor page faults per phase: on this kind of VM each costs several microseconds, so a
  // phase's fresh memory is much of its time.
  long build_org_faults = 0, graph_faults = 0, validate_faults = 0, plan_faults = 0;
  // CPU time per phase: next to the wall time it shows how much the machine's load took.
  double build_org_cpu = 0, graph_cpu = 0, validate_cpu = 0, plan_cpu = 0;
  // Outside the pipeline: formatting every step's explanation, which only `odmd plan` does
  // (the baseline's plan formatted them all; the plan now keeps what they need).
  double explain_ms = 0;
  double total_ms() const { return build_org_ms + graph_ms + validate_ms + plan_ms; }
  double us_per_edge() const { return edges == 0 ? 0 : total_ms() * 1000.0 / edges; }
};

// Issue 17's baseline: bench/README.md, "Issue 17 baseline" (2026-12-06, commit b086155, load
// 1.3 / 3.1, one run of this bench before any issue-17 change). Milliseconds.
struct Baseline {
  int builds;
  double build_org_ms, graph_ms, validate_ms, plan_ms;
  double total_ms() const { return build_org_ms + graph_ms + validate_ms + plan_ms; }
};
constexpr Baseline kBaselines[] = {
    {100, 9, 3, 2, 1},
    {1000, 95, 35, 18, 17},
    {3000, 281, 144, 89, 58},
    {10000, 957, 552, 221, 180},
};
constexpr double kTargetSpeedUp = 8.0;   // at 1,000 and 10,000 builds
constexpr double kTargetFlatness = 1.5;  // per-edge cost at 10,000 / at 100
const Baseline* FindBaseline(int builds) {
  for (const Baseline& b : kBaselines) {
    if (b.builds == builds) return &b;
  }
  return nullptr;
}
bool HasSpeedUpTarget(int builds) { return builds == 1000 || builds == 10000; }

void RunPipeline(int builds, Figures* out) {
  Usage f0 = Now();
  auto t0 = Clock::now();
  odmd::model::Org org = odmd::bench::MakeSyntheticOrg({.builds = builds});
  out->build_org_ms = MsSince(t0);
  Usage f1 = Now();
  auto t1 = Clock::now();
  odmd::model::Graph graph(org);
  out->graph_ms = MsSince(t1);
  Usage f2 = Now();
  auto t2 = Clock::now();
  std::vector<odmd::model::Violation> violations = odmd::model::Validate(org, graph);
  out->validate_ms = MsSince(t2);
  Usage f3 = Now();
  auto t3 = Clock::now();
  odmd::model::Plan plan = odmd::model::ComputeBootstrapPlan(graph);
  out->plan_ms = MsSince(t3);
  Usage f4 = Now();
  auto t4 = Clock::now();
  odmd::model::PlanExplainer why(graph, plan);
  size_t explained = 0;
  for (const odmd::model::PlanStep& step : plan.steps) explained += why.Explain(step).size();
  out->explain_ms = explained > 0 ? MsSince(t4) : 0;
  out->build_org_faults = f1.faults - f0.faults;
  out->graph_faults = f2.faults - f1.faults;
  out->validate_faults = f3.faults - f2.faults;
  out->plan_faults = f4.faults - f3.faults;
  out->build_org_cpu = f1.cpu_ms - f0.cpu_ms;
  out->graph_cpu = f2.cpu_ms - f1.cpu_ms;
  out->validate_cpu = f3.cpu_ms - f2.cpu_ms;
  out->plan_cpu = f4.cpu_ms - f3.cpu_ms;
  out->envers = graph.enver_count();
  out->edges = graph.edges().size();
  out->waves = plan.wave_count;
  out->violations = violations.size();
  out->peak_rss_mib = PeakRssMiB();
  out->ok = violations.empty() && plan.converged;
}

// The pipeline run of a child started by InChild: figures written to `fd`.
int RunPipelineChild(int builds, int fd) {
  Figures figures;
  RunPipeline(builds, &figures);
  const char* p = reinterpret_cast<const char*>(&figures);
  for (size_t left = sizeof(figures); left > 0;) {
    ssize_t n = write(fd, p, left);
    if (n <= 0) return 1;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

constexpr const char* kChildFlag = "--pipeline-child=";

// Whether InChild execs this binary again (the default) or only forks (--fork-children).
bool g_fork_children = false;

// In the child: runs the pipeline, or replaces itself by this binary's pipeline child.
[[noreturn]] void BecomeChild(int builds, int fd) {
  if (g_fork_children) _exit(RunPipelineChild(builds, fd));
  std::string flag = kChildFlag + std::to_string(builds) + "," + std::to_string(fd);
  char exe[] = "/proc/self/exe";
  char* args[] = {exe, flag.data(), nullptr};
  execv(exe, args);
  std::perror("odmd_model_bench: exec /proc/self/exe");
  _exit(1);
}

// Runs the pipeline at `builds` in a fresh child process; its figures, ok=false on failure.
Figures InChild(int builds) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    BecomeChild(builds, fds[1]);
  }
  close(fds[1]);
  Figures result;
  char* p = reinterpret_cast<char*>(&result);
  size_t got = 0;
  while (got < sizeof(result)) {
    ssize_t n = read(fds[0], p + got, sizeof(result) - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof(result) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {};
  return result;
}

// The baseline's model bench (--baseline-bench), or empty.
std::string g_baseline_bench;

// One run of the baseline's pipeline at `builds`, parsed from the line its bench prints
// ("pipeline builds=N envers=E edges=D build_org=Xms graph=Yms validate=Zms plan=Wms ...");
// nullopt when it fails or prints no such line.
std::optional<Baseline> RunBaseline(int builds) {
  std::string command = "'" + g_baseline_bench + "' --sizes=" + std::to_string(builds) +
                        " --benchmark_filter='^$' 2>&1";
  std::fflush(stdout);
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return std::nullopt;
  std::optional<Baseline> found;
  char line[1024];
  while (std::fgets(line, sizeof line, out) != nullptr) {
    Baseline b{};
    if (std::sscanf(line,
                    "pipeline builds=%d envers=%*u edges=%*u build_org=%lfms graph=%lfms "
                    "validate=%lfms plan=%lfms",
                    &b.builds, &b.build_org_ms, &b.graph_ms, &b.validate_ms, &b.plan_ms) == 5 &&
        b.builds == builds) {
      found = b;
    }
  }
  return pclose(out) == 0 ? found : std::nullopt;
}

struct Measured {
  Figures figures;
  std::optional<Baseline> same_run;  // the baseline's fastest run, with --baseline-bench
  bool baseline_failed = false;
};

// `runs` runs of this code, each followed by one of the baseline's when there is one; the
// fastest of each.
Measured Fastest(int builds, int runs) {
  Measured m;
  for (int r = 0; r < runs; ++r) {
    Figures f = InChild(builds);
    if (!f.ok) return {f, std::nullopt, false};
    if (r == 0 || f.total_ms() < m.figures.total_ms()) m.figures = f;
    if (g_baseline_bench.empty() || m.baseline_failed) continue;
    std::optional<Baseline> b = RunBaseline(builds);
    if (!b) {
      m.baseline_failed = true;
      m.same_run.reset();
    } else if (!m.same_run || b->total_ms() < m.same_run->total_ms()) {
      m.same_run = b;
    }
  }
  return m;
}

const char* Verdict(bool pass) { return pass ? "PASS" : "MISS"; }

void PrintPhases(int builds, const Figures& f) {
  std::printf(
      "pipeline builds=%d envers=%zu edges=%zu build_org=%.1fms graph=%.1fms validate=%.1fms "
      "plan=%.1fms graph+validate+plan=%.1fms total=%.1fms waves=%d violations=%zu "
      "peak_rss=%.0fMiB\n"
      "  page faults: build_org=%ld graph=%ld validate=%ld plan=%ld; cpu: build_org=%.1fms "
      "graph=%.1fms validate=%.1fms plan=%.1fms\n"
      "  outside the pipeline: explaining every plan step (odmd plan only) %.1fms\n",
      builds, f.envers, f.edges, f.build_org_ms, f.graph_ms, f.validate_ms, f.plan_ms,
      f.graph_ms + f.validate_ms + f.plan_ms, f.total_ms(), f.waves, f.violations, f.peak_rss_mib,
      f.build_org_faults, f.graph_faults, f.validate_faults, f.plan_faults, f.build_org_cpu,
      f.graph_cpu, f.validate_cpu, f.plan_cpu, f.explain_ms);
}

double Ratio(double before, double after) { return after > 0 ? before / after : 0.0; }

void PrintPhaseSpeedUps(const char* which, const Baseline& base, const Figures& f) {
  std::printf(
      "  speed-up per phase vs %s: build_org %.1f->%.1fms (%.1fx), graph %.1f->%.1fms (%.1fx), "
      "validate %.1f->%.1fms (%.1fx), plan %.1f->%.1fms (%.1fx)\n",
      which, base.build_org_ms, f.build_org_ms, Ratio(base.build_org_ms, f.build_org_ms),
      base.graph_ms, f.graph_ms, Ratio(base.graph_ms, f.graph_ms), base.validate_ms, f.validate_ms,
      Ratio(base.validate_ms, f.validate_ms), base.plan_ms, f.plan_ms,
      Ratio(base.plan_ms, f.plan_ms));
}

// Prints one size's phases, its baseline and the speed-up with PASS or MISS: against the
// baseline measured in this run when there is one (the recorded figure's ratio beside it),
// else against the recorded figure.
void Report(int builds, const Measured& m) {
  const Figures& f = m.figures;
  PrintPhases(builds, f);
  const Baseline* recorded = FindBaseline(builds);
  if (m.same_run) PrintPhaseSpeedUps("b086155 in this run", *m.same_run, f);
  if (recorded != nullptr) PrintPhaseSpeedUps("the figures recorded 2026-12-06", *recorded, f);
  if (m.baseline_failed)
    std::printf("  the baseline bench (%s) failed\n", g_baseline_bench.c_str());
  const Baseline* base = m.same_run ? &*m.same_run : recorded;
  if (base == nullptr) {
    std::printf("model pipeline %d: %.3f us/edge (no baseline at this size)\n", builds,
                f.us_per_edge());
    return;
  }
  double speed_up = Ratio(base->total_ms(), f.total_ms());
  char also[128] = "";
  if (m.same_run && recorded != nullptr) {
    std::snprintf(also, sizeof also, "; vs the figure recorded 2026-12-06, %.0f ms: %.1fx",
                  recorded->total_ms(), Ratio(recorded->total_ms(), f.total_ms()));
  }
  std::printf(
      "model pipeline %d: %.3f us/edge, %.1fx faster than %s (%.1f ms%s; target >= %.0fx%s) %s\n",
      builds, f.us_per_edge(), speed_up,
      m.same_run ? "b086155 measured in this run" : "the figure recorded 2026-12-06",
      base->total_ms(), also, kTargetSpeedUp,
      HasSpeedUpTarget(builds) ? "" : " at 1,000 and 10,000 builds only",
      HasSpeedUpTarget(builds) ? Verdict(speed_up >= kTargetSpeedUp) : "(informational)");
}

// Removes the flag `name` from argv; whether it was there.
bool TakeFlag(int& argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) != 0) continue;
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    return true;
  }
  return false;
}

// Removes the flag `prefix`VALUE from argv; VALUE, or empty.
std::string TakeValueFlag(int& argc, char** argv, const char* prefix) {
  size_t n = std::strlen(prefix);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix, n) != 0) continue;
    std::string value = argv[i] + n;
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    return value;
  }
  return "";
}

int ParseIntFlag(int& argc, char** argv, const char* prefix, int fallback) {
  std::string value = TakeValueFlag(argc, argv, prefix);
  return value.empty() ? fallback : std::atoi(value.c_str());
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
  size_t child_flag = std::strlen(kChildFlag);
  if (argc == 2 && std::strncmp(argv[1], kChildFlag, child_flag) == 0) {
    const char* comma = std::strchr(argv[1], ',');
    if (comma == nullptr) return 2;
    return RunPipelineChild(std::atoi(argv[1] + child_flag), std::atoi(comma + 1));
  }
  g_fork_children = TakeFlag(argc, argv, "--fork-children");
  std::vector<int> sizes = ParseSizes(argc, argv);
  int runs = std::max(1, ParseIntFlag(argc, argv, "--runs=", 3));
  g_baseline_bench = TakeValueFlag(argc, argv, "--baseline-bench=");
  std::printf("model pipeline: each run in a %s child, fastest of %d; baseline: %s\n",
              g_fork_children ? "forked" : "fresh (exec'd)", runs,
              g_baseline_bench.empty() ? "the figures recorded 2026-12-06 (no --baseline-bench)"
                                       : ("b086155 in this run, " + g_baseline_bench).c_str());
  bool ok = true;
  double per_edge_small = 0, per_edge_large = 0;
  for (int n : sizes) {
    Measured m = Fastest(n, runs);
    const Figures& f = m.figures;
    if (!f.ok) {
      std::printf("model pipeline %d: FAILED (violations or an unconverged plan)\n", n);
      ok = false;
      continue;
    }
    Report(n, m);
    if (n == 100) per_edge_small = f.us_per_edge();
    if (n == 10000) per_edge_large = f.us_per_edge();
  }
  if (per_edge_small > 0 && per_edge_large > 0) {
    double r = per_edge_large / per_edge_small;
    bool pass = r <= kTargetFlatness;
    std::printf(
        "model pipeline flatness: per-edge cost at 10,000 / at 100 = %.2f (target <= %.1f) %s\n", r,
        kTargetFlatness, Verdict(pass));
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return ok ? 0 : 1;
}

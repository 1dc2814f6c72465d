// Manifest benchmark driver (issue 17, target 1): reading and fully validating a manifest
// next to the time simdjson merely takes to parse the same text, measured in the same run.
// For each org size (synthetic_org.h, N builds x 5 envers), from fresh child processes so
// that each peak RSS belongs to one job alone:
//   parse     simdjson's DOM parse of the text (a padded copy and a fresh parser, median)
//   read      model::ReadManifest: read + every rule, as `odmd validate` runs it (median)
//   memory    the read's peak RSS over the child's start, against 2x the file + the model
//             (the RSS an Org of that size holds on its own); the start is taken after a
//             one-build manifest was read, so that what any read costs once per process
//             whatever the file (the reader's code paged in, the allocator's first pages:
//             ~3 MiB) is printed apart and not charged to the file's budget
//   process   `odmd validate <file>` as a whole process: wall time (median) and peak RSS
//   canonical texts written per read (target: at most one)
//   fast path the same read of a text the canonical path does not take (a space before it):
//             how every manifest was read before it, measured in the same run
// Prints `manifest <name>: <figure> (target ...; baseline ...) PASS|MISS`; the baselines are
// the figures recorded before issue 17 (bench/README.md). Asserts nothing; exits 1 only when
// a read fails.
//
//   odmd_manifest_bench [--sizes=100,1000,3000,10000] [--runs=3] [--odmd=PATH] [--dir=PATH]
//                       [--read-only]  (only the read, in process, for a profiler)
#include <simdjson.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "odmd/model/validate.h"
#include "synthetic_org.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::vector<int> sizes = {100, 1000, 3000, 10000};
  int runs = 3;
  std::string odmd;
  std::string dir;
  // Only the read, in this process, `runs` times (for a profiler): no children, no figures
  // but the read's median.
  bool read_only = false;
};

// Recorded before any issue-17 change (bench/README.md, 2026-12-06, commit b086155):
// in-process read + validate, and its peak RSS; `odmd validate` as a whole process is the
// issue's own figure (1,000 and 10,000 builds only).
struct Baseline {
  double read_ms;
  double peak_mib;
  double process_ms;  // 0: not recorded
};
const std::map<int, Baseline> kBaselines = {{100, {66, 21, 0}},
                                            {1000, {808, 206, 1610}},
                                            {3000, {2407, 574, 0}},
                                            {10000, {7830, 1859, 17500}}};

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double PeakRssMiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
}

double CurrentRssMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}

double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// Runs `fn` in a child; what it writes to its pipe comes back as the result ("" on failure).
std::string InChild(const std::function<std::string()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out = fn();
    if (write(fds[1], out.data(), out.size()) < 0) _exit(2);
    _exit(out.empty() ? 1 : 0);
  }
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "";
}

// The file's text followed by the padding both the parse and the read are given, and its
// size without it: read as `odmd validate` reads a file (one allocation, one read), so that
// the peak memory is the command's.
std::pair<std::string, size_t> ReadPadded(const fs::path& path) {
  const size_t size = fs::file_size(path);
  std::string text;
  text.reserve(size + odmd::model::kManifestReadPadding);
  text.resize(size);
  std::ifstream in(path, std::ios::binary);
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.append(odmd::model::kManifestReadPadding, ' ');
  return {std::move(text), size};
}

// Median simdjson parse of the text, in place, with a fresh parser (as a command has).
double SimdjsonParseMs(const fs::path& file, int runs) {
  auto [text, size] = ReadPadded(file);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(text.data(), size, false).get(doc) != simdjson::SUCCESS) return -1;
    ms.push_back(MsSince(t0));
  }
  return Median(ms);
}

// Reads the manifest of a one-build org the way ReadJob reads the file: pages in the code and
// the allocator's first pages, which every process pays once whatever the file's size.
bool ReadSmallManifest(bool not_canonical) {
  std::string text = odmd::model::WriteManifest(odmd::bench::MakeSyntheticOrg({.builds = 1}));
  if (not_canonical) text.insert(text.begin(), ' ');
  const size_t size = text.size();
  text.append(odmd::model::kManifestReadPadding, ' ');
  std::string digest;
  return odmd::model::ReadManifest(std::string_view(text).substr(0, size), nullptr,
                                   {.digest = &digest, .padded = true})
      .ok();
}

// "<median ms> <peak MiB over start> <canonical texts written by one read> <MiB of the
// one-build read before the start>".
// With `not_canonical`, the text is read with one space before it, which the canonical path
// does not take: the fast path (simdjson) reads it and writes the canonical text to check the
// digest, as every manifest was read before the canonical path (the same run's baseline).
std::string ReadJob(const fs::path& file, int runs, bool not_canonical = false) {
  const double cold_mib = CurrentRssMiB();
  if (!ReadSmallManifest(not_canonical)) return "";
  const double start_mib = CurrentRssMiB();
  auto [padded, size] = ReadPadded(file);
  if (not_canonical) {
    padded.insert(padded.begin(), ' ');
    ++size;
  }
  std::string_view text = std::string_view(padded).substr(0, size);
  std::vector<double> ms;
  std::uint64_t texts = 0;
  for (int i = 0; i < runs; ++i) {
    std::uint64_t before = odmd::model::CanonicalTextsWritten();
    std::string digest;
    auto t0 = Clock::now();
    odmd::Result<odmd::model::Org> org =
        odmd::model::ReadManifest(text, nullptr, {.digest = &digest, .padded = true});
    ms.push_back(MsSince(t0));
    if (!org.ok() || digest.empty()) return "";
    texts = odmd::model::CanonicalTextsWritten() - before;
  }
  char out[128];
  std::snprintf(out, sizeof out, "%f %f %llu %f", Median(ms), PeakRssMiB() - start_mib,
                static_cast<unsigned long long>(texts), start_mib - cold_mib);
  return out;
}

// Where the read's time goes: "<read ms> <digest ms> <rules ms>", medians: the text without
// its digest member read without rules (the Org alone), then with it (the digest checked:
// the canonical path hashes the text on the second core, the others write the canonical text
// and hash it), then Validate on the Org.
std::string PhasesJob(const fs::path& file, int runs) {
  auto [padded, size] = ReadPadded(file);
  std::string_view text = std::string_view(padded).substr(0, size);
  size_t digest_line = text.find("\n  \"digest\": ");
  if (digest_line == std::string_view::npos) return "";
  size_t next = text.find('\n', digest_line + 1);
  // The ',' ending the digest line belongs to the member after it.
  std::string bare =
      std::string(text.substr(0, digest_line - 1)) + std::string(text.substr(next - 1));
  const size_t bare_size = bare.size();
  bare.append(odmd::model::kManifestReadPadding, ' ');
  std::vector<double> walk, digest, rules;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    odmd::Result<odmd::model::Org> a =
        odmd::model::ReadManifest(std::string_view(bare).substr(0, bare_size), nullptr,
                                  {.validate_rules = false, .padded = true});
    walk.push_back(MsSince(t0));
    auto t1 = Clock::now();
    odmd::Result<odmd::model::Org> b =
        odmd::model::ReadManifest(text, nullptr, {.validate_rules = false, .padded = true});
    digest.push_back(MsSince(t1));
    if (!a.ok() || !b.ok()) return "";
    auto t2 = Clock::now();
    std::vector<odmd::model::Violation> violations = odmd::model::Validate(*b);
    rules.push_back(MsSince(t2));
    if (!violations.empty()) return "";
  }
  char out[128];
  double w = Median(walk);
  std::snprintf(out, sizeof out, "%f %f %f", w, Median(digest) - w, Median(rules));
  return out;
}

// The RSS an Org of `builds` holds on its own, over the child's start.
std::string ModelJob(int builds) {
  double start_mib = CurrentRssMiB();
  odmd::model::Org org = odmd::bench::MakeSyntheticOrg({.builds = builds});
  char out[64];
  std::snprintf(out, sizeof out, "%f %zu", CurrentRssMiB() - start_mib, org.builds.size());
  return out;
}

// `odmd validate <file>` as a whole process: "<wall ms> <peak MiB>".
std::string ProcessJob(const std::string& odmd, const fs::path& file) {
  std::fflush(stdout);
  auto t0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    execl(odmd.c_str(), odmd.c_str(), "validate", file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  double ms = MsSince(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "";
  char out[64];
  std::snprintf(out, sizeof out, "%f %f", ms, static_cast<double>(ru.ru_maxrss) / 1024.0);
  return out;
}

const char* Verdict(bool met) { return met ? "PASS" : "MISS"; }

bool RunSize(int builds, const Flags& flags) {
  fs::path file = fs::path(flags.dir) / ("manifest-" + std::to_string(builds) + ".json");
  std::string written = InChild([&] {
    std::string text =
        odmd::model::WriteManifest(odmd::bench::MakeSyntheticOrg({.builds = builds}));
    std::ofstream(file, std::ios::binary) << text;
    return std::to_string(text.size());
  });
  if (written.empty()) return false;
  if (flags.read_only) {
    std::printf("manifest read+validate %d: %s\n", builds, ReadJob(file, flags.runs).c_str());
    return true;
  }
  double mib = std::stod(written) / 1048576.0;
  double parse_ms =
      std::stod(InChild([&] { return std::to_string(SimdjsonParseMs(file, flags.runs)); }));
  std::string read = InChild([&] { return ReadJob(file, flags.runs); });
  std::string fast = InChild([&] { return ReadJob(file, flags.runs, /*not_canonical=*/true); });
  std::string model = InChild([&] { return ModelJob(builds); });
  if (read.empty() || model.empty()) {
    std::printf("manifest %d builds: the read failed\n", builds);
    return false;
  }
  double read_ms = 0, read_mib = 0, model_mib = 0, fixed_mib = 0;
  unsigned long long texts = 0;
  std::sscanf(read.c_str(), "%lf %lf %llu %lf", &read_ms, &read_mib, &texts, &fixed_mib);
  std::sscanf(model.c_str(), "%lf", &model_mib);
  const Baseline& base = kBaselines.count(builds) != 0 ? kBaselines.at(builds) : Baseline{0, 0, 0};
  std::printf("manifest %d builds: %.1f MB, simdjson parse %.1f ms, read+validate %.1f ms\n",
              builds, mib * 1.048576, parse_ms, read_ms);
  std::printf(
      "manifest read+validate %d: %.1f ms = %.2fx simdjson's parse (%.1f ms) (target <= 3x; "
      "baseline %.0f ms) %s\n",
      builds, read_ms, read_ms / parse_ms, parse_ms, base.read_ms,
      Verdict(read_ms <= 3 * parse_ms));
  double budget = 2 * mib + model_mib;
  std::printf(
      "manifest peak memory %d: %.1f MiB over start, and %.1f MiB before it for any read (a "
      "one-build manifest read first) (target <= 2x file %.1f MiB + model %.1f MiB = %.1f MiB; "
      "baseline peak %.0f MiB) %s\n",
      builds, read_mib, fixed_mib, mib, model_mib, budget, base.peak_mib,
      Verdict(read_mib <= budget));
  std::printf("manifest canonical texts per read %d: %llu (target <= 1) %s\n", builds, texts,
              Verdict(texts <= 1));
  double fast_ms = 0, fast_mib = 0;
  if (std::sscanf(fast.c_str(), "%lf %lf", &fast_ms, &fast_mib) == 2) {
    std::printf(
        "manifest read+validate %d through the fast path (text not canonical): %.1f ms = %.2fx "
        "the parse, peak %.0f MiB\n",
        builds, fast_ms, fast_ms / parse_ms, fast_mib);
  }
  std::string phases = InChild([&] { return PhasesJob(file, flags.runs); });
  double walk_ms = 0, digest_ms = 0, rules_ms = 0;
  if (std::sscanf(phases.c_str(), "%lf %lf %lf", &walk_ms, &digest_ms, &rules_ms) == 3) {
    std::printf(
        "manifest phases %d: read into the Org %.1f ms, digest check +%.1f ms, rules %.1f ms\n",
        builds, walk_ms, digest_ms, rules_ms);
  }
  if (flags.odmd.empty()) return true;
  std::vector<double> process_runs;
  double process_mib = 0;
  for (int i = 0; i < flags.runs; ++i) {
    std::string process = ProcessJob(flags.odmd, file);
    double ms = 0;
    if (process.empty() || std::sscanf(process.c_str(), "%lf %lf", &ms, &process_mib) != 2) {
      std::printf("manifest odmd validate %d: the command failed\n", builds);
      return false;
    }
    process_runs.push_back(ms);
  }
  const double process_ms = Median(process_runs);
  std::string baseline = base.process_ms > 0
                             ? std::to_string(static_cast<int>(base.process_ms)) + " ms"
                             : std::string("not recorded");
  // The one absolute figure: well under 0.3 s at 1,000 builds.
  if (builds == 1000) {
    std::printf(
        "manifest odmd validate %d (whole process): %.0f ms, peak %.0f MiB (target < 300 ms; "
        "baseline %s) %s\n",
        builds, process_ms, process_mib, baseline.c_str(), Verdict(process_ms < 300));
  } else {
    std::printf("manifest odmd validate %d (whole process): %.0f ms, peak %.0f MiB (baseline %s)\n",
                builds, process_ms, process_mib, baseline.c_str());
  }
  return true;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--sizes=", 0) == 0) {
      f.sizes.clear();
      std::stringstream ss(arg.substr(8));
      for (std::string n; std::getline(ss, n, ',');) f.sizes.push_back(std::atoi(n.c_str()));
    } else if (arg.rfind("--runs=", 0) == 0) {
      f.runs = std::max(1, std::atoi(arg.c_str() + 7));
    } else if (arg.rfind("--odmd=", 0) == 0) {
      f.odmd = arg.substr(7);
    } else if (arg == "--read-only") {
      f.read_only = true;
    } else if (arg.rfind("--dir=", 0) == 0) {
      f.dir = arg.substr(6);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", arg.c_str());
      std::exit(2);
    }
  }
  if (f.odmd.empty()) {
    // Next to the bench in the build tree: build/bench/.. -> build/apps/odmd/odmd.
    fs::path guess = fs::canonical("/proc/self/exe").parent_path().parent_path() / "apps/odmd/odmd";
    if (fs::exists(guess)) f.odmd = guess.string();
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  bool own_dir = flags.dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/odmd-manifest-bench-XXXXXX";
    flags.dir = mkdtemp(tmpl);
  }
  if (flags.odmd.empty()) std::printf("manifest: no odmd binary found (--odmd=PATH)\n");
  bool ok = true;
  for (int n : flags.sizes) ok = RunSize(n, flags) && ok;
  if (own_dir) fs::remove_all(flags.dir);
  return ok ? 0 : 1;
}

// Contracts in TypeScript (issue 15): synth() of @odmd/contracts next to the C++ writer, on
// the synthetic org (synthetic_org.h) in the same run. The C++ side times WriteManifest; the
// TypeScript side (contracts/synth_bench.ts, run with node and tsx from sdk/contracts)
// re-declares the same org through the builders and times declaring it, writing the manifest
// and synth() (which adds `odmd validate`), and checks its bytes equal the C++ writer's.
//
//   odmd_contracts_bench [--builds=1000] [--runs=5] [--dir=/tmp]
// Prints "cpp ..." and "ts ..." lines, then "contracts bench done" when the bytes agree.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "synthetic_org.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int builds = 1000;
  int runs = 5;
  std::string dir = "/tmp";
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--builds=", 0) == 0) o.builds = std::atoi(arg.c_str() + 9);
    if (arg.rfind("--runs=", 0) == 0) o.runs = std::max(1, std::atoi(arg.c_str() + 7));
    if (arg.rfind("--dir=", 0) == 0) o.dir = arg.substr(6);
  }
  return o;
}

double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

// The C++ writer: median of `runs` WriteManifest calls; `text` gets the manifest.
double TimeCppWriter(const odmd::model::Org& org, int runs, std::string& text) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    text = odmd::model::WriteManifest(org);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return Median(ms);
}

// Runs the TypeScript side on `manifest` and returns its output line ("" on failure).
std::string RunTypeScript(const std::string& manifest, int runs) {
  const std::string src = ODMD_SOURCE_DIR;
  const std::string command = "node --import " + src +
                              "/sdk/contracts/node_modules/tsx/dist/loader.mjs " + src +
                              "/bench/contracts/synth_bench.ts '" + manifest + "' " +
                              std::to_string(runs) + " '" + ODMD_BIN + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  int rc = pclose(pipe);
  return rc == 0 ? out : "";
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  const odmd::model::Org org = odmd::bench::MakeSyntheticOrg({.builds = o.builds});
  std::string text;
  const double cpp_ms = TimeCppWriter(org, o.runs, text);
  size_t envers = 0;
  for (const auto& b : org.builds) envers += b.envers.size();
  std::printf("cpp builds=%d envers=%zu bytes=%zu write=%.0fms (median of %d)\n", o.builds, envers,
              text.size(), cpp_ms, o.runs);
  std::fflush(stdout);

  std::string path = o.dir + "/odmd-contracts-bench-XXXXXX";
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    std::fprintf(stderr, "contracts bench: cannot create a file in %s\n", o.dir.c_str());
    return 1;
  }
  close(fd);
  std::ofstream(path, std::ios::binary) << text;
  const std::string ts = RunTypeScript(path, o.runs);
  std::remove(path.c_str());
  if (ts.empty()) {
    std::fprintf(stderr,
                 "contracts bench: the TypeScript side failed (needs node and sdk/contracts' "
                 "install: scripts/install-deps.sh)\n");
    return 1;
  }
  std::printf("%s", ts.c_str());
  if (ts.find("identical=yes") == std::string::npos) {
    std::fprintf(stderr, "contracts bench: synth() did not give the C++ writer's bytes\n");
    return 1;
  }
  std::printf("contracts bench done\n");
  return 0;
}

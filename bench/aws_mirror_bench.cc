// Products to AWS figures (issue 13), against a throwaway moto_server:
// 1. --puts sequential product puts committed to the store -> the SSM parameter at the new
//    version AND the event accepted by the bus (PutEvents answered; the mirror's cursor then
//    passes the put's revision). p50/p99/max; target: p99 < 100 ms against the emulator.
// 2. --delivered puts with a rule on the bus that feeds an SQS queue -> the event received
//    from the queue, and every event received exactly once. A figure only: moto spends
//    ~200 ms per matching rule on each event (it compiles its target's eight default
//    JSONPath input paths anew every time), which is moto's cost, not the platform's.
//
//   odmd_aws_mirror_bench [--puts=200] [--delivered=20] [--dir=/tmp]
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "odmd/access/secrets.h"
#include "odmd/aws/ssm.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/platform.h"
#include "odmd/reconcile/runner.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/moto_event_queue.h"
#include "odmd/testing/moto_server.h"

namespace {

using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

int Fail(const std::string& why) {
  std::fprintf(stderr, "aws mirror bench: %s\n", why.c_str());
  return 1;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace odmd;
  int puts = 200;
  int delivered = 20;
  std::string dir = fs::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--puts=", 0) == 0) puts = std::atoi(a.c_str() + 7);
    if (a.rfind("--delivered=", 0) == 0) delivered = std::atoi(a.c_str() + 12);
    if (a.rfind("--dir=", 0) == 0) dir = a.substr(6);
  }
  if (puts < 1 || delivered < 1) return Fail("--puts and --delivered must be at least 1");
  testing::MotoServer moto;
  if (!moto.ok()) return Fail(moto.error());
  const fs::path root = fs::path(dir) / ("odmd-aws-mirror-bench-" + std::to_string(::getpid()));
  fs::create_directories(root / "state");

  reconcile::AwsSettings settings;
  settings.central.region = "us-east-1";
  settings.central.credentials = {"bench", "bench", ""};
  settings.central.endpoint_url = moto.url();
  std::unique_ptr<aws::Transport> transport = aws::NewCurlTransport();
  aws::AwsClient client(settings.central, *transport, aws::RealSleeper());
  aws::SsmClient ssm(client);

  auto store = store::OpenConfigStore({"sqlite:" + (root / "state.db").string()});
  if (!store.ok()) return Fail(store.status().ToString());
  SystemClock clock;
  std::array<unsigned char, 32> key{};
  key[0] = 3;
  access::SecretBox box = access::SecretBox::FromKey(key);
  std::unique_ptr<reconcile::Git> git = reconcile::NewCliGit();
  std::unique_ptr<reconcile::Runner> runner =
      reconcile::NewProcessRunner(clock, std::chrono::milliseconds(200));
  reconcile::PlatformOptions o;
  o.state_dir = (root / "state").string();
  o.start_workers = false;
  o.aws = settings;
  auto platform = std::make_unique<reconcile::Platform>(**store, *git, *runner, clock, box, o);
  if (Status s = platform->Start(); !s.ok()) return Fail(s.ToString());

  const std::string path = "/odmd-share/svc/b..main/url";
  store::ConfigStore& st = **store;
  // The mirror's cursor: the store revision of the last change it mirrored (SSM and bus).
  auto mirrored_to = [&st]() -> store::Revision {
    Result<store::Entry> e = st.Get("/odmd/aws/mirror/cursor");
    return e.ok() ? std::strtoll(e->value.c_str(), nullptr, 10) : 0;
  };
  int next_value = 0;
  // One put, timed until `done(version, revision)` holds; the time to its SSM version too.
  auto timed_put = [&](auto&& done, std::vector<double>& out, std::vector<double>& ssm_out,
                       std::string& error) {
    const auto start = Steady::now();
    Result<store::WriteResult> w =
        st.Put(path, "https://svc/" + std::to_string(++next_value), std::nullopt);
    if (!w.ok()) return error = w.status().ToString(), false;
    bool in_ssm = false;
    while (!(in_ssm && done(w->version, w->revision))) {
      if (Steady::now() - start > std::chrono::seconds(30)) {
        return error = "version " + std::to_string(w->version) + " not mirrored within 30 s", false;
      }
      if (!in_ssm) {
        Result<aws::Parameter> p = ssm.GetParameter(path);
        in_ssm = p.ok() && p->version == w->version;
        if (in_ssm) {
          ssm_out.push_back(
              std::chrono::duration<double, std::milli>(Steady::now() - start).count());
        }
      }
      if (!in_ssm) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    out.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
    return true;
  };

  // 1. The bus without rules: the event is on the bus when PutEvents answered.
  std::vector<double> ms, ssm_ms;
  std::string error;
  for (int i = 0; i < puts; ++i) {
    auto on_bus = [&](store::Version, store::Revision revision) {
      if (mirrored_to() >= revision) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return false;
    };
    if (!timed_put(on_bus, ms, ssm_ms, error)) return Fail(error);
  }

  // 2. A rule feeding an SQS queue: each event received once.
  Result<testing::MotoEventQueue> queue =
      testing::MotoEventQueue::Create(client, "bench", "default", "odmd");
  if (!queue.ok()) return Fail(queue.status().ToString());
  std::vector<double> delivered_ms, delivered_ssm_ms;
  std::map<store::Version, int> received;
  for (int i = 0; i < delivered; ++i) {
    auto in_queue = [&](store::Version version, store::Revision) {
      Result<std::vector<nlohmann::json>> got = queue->Receive(0);
      if (!got.ok()) return false;
      for (const nlohmann::json& e : *got) ++received[e["detail"].value("version", int64_t{0})];
      if (received.count(version)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return false;
    };
    if (!timed_put(in_queue, delivered_ms, delivered_ssm_ms, error)) return Fail(error);
  }
  platform->Stop();
  // Anything late (a duplicate would show here).
  if (Result<std::vector<nlohmann::json>> rest = queue->Receive(0); rest.ok()) {
    for (const nlohmann::json& e : *rest) ++received[e["detail"].value("version", int64_t{0})];
  }
  int once = 0;
  for (const auto& [version, n] : received) once += n == 1;
  const bool exactly_once = once == delivered && received.size() == static_cast<size_t>(delivered);

  std::printf(
      "aws mirror bench: %d product puts -> SSM version + event accepted by the bus "
      "(moto)\n",
      puts);
  std::printf("  p50 %.1f ms  p99 %.1f ms  max %.1f ms  (target p99 < 100 ms)\n",
              Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
  std::printf("  of which to the SSM version: p50 %.1f ms  p99 %.1f ms\n", Percentile(ssm_ms, 0.5),
              Percentile(ssm_ms, 0.99));
  std::printf("with a rule feeding an SQS queue: %d puts -> event received from the queue\n",
              delivered);
  std::printf("  p50 %.1f ms  p99 %.1f ms  max %.1f ms  (figure only: moto's rule delivery)\n",
              Percentile(delivered_ms, 0.5), Percentile(delivered_ms, 0.99),
              *std::max_element(delivered_ms.begin(), delivered_ms.end()));
  std::printf("  events received exactly once: %d of %d\n", once, delivered);
  std::error_code ec;
  fs::remove_all(root, ec);
  std::printf("aws mirror bench done\n");
  return exactly_once ? 0 : 1;
}

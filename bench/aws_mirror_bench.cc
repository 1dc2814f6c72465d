// Products to AWS figures (issue 13): a product put committed to the store -> its SSM
// parameter at the new version AND its event received from an SQS queue that an EventBridge
// rule feeds, against a throwaway moto_server. Prints p50/p99/max over --puts sequential puts
// (target: p99 < 100 ms against the emulator).
//
//   odmd_aws_mirror_bench [--puts=200] [--dir=/tmp]
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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
  std::string dir = fs::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--puts=", 0) == 0) puts = std::atoi(a.c_str() + 7);
    if (a.rfind("--dir=", 0) == 0) dir = a.substr(6);
  }
  if (puts < 1) return Fail("--puts must be at least 1");
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
  Result<testing::MotoEventQueue> queue =
      testing::MotoEventQueue::Create(client, "bench", "default", "odmd");
  if (!queue.ok()) return Fail(queue.status().ToString());

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
  std::vector<double> ms, ssm_ms;
  int64_t events = 0;
  for (int i = 1; i <= puts; ++i) {
    const auto start = Steady::now();
    Result<store::WriteResult> w =
        (*store)->Put(path, "https://svc/" + std::to_string(i), std::nullopt);
    if (!w.ok()) return Fail(w.status().ToString());
    bool in_ssm = false, on_bus = false;
    while (!(in_ssm && on_bus)) {
      if (Steady::now() - start > std::chrono::seconds(30)) {
        return Fail("version " + std::to_string(i) + " not mirrored within 30 s");
      }
      if (!in_ssm) {
        Result<aws::Parameter> p = ssm.GetParameter(path);
        in_ssm = p.ok() && p->version == w->version;
        if (in_ssm) {
          ssm_ms.push_back(
              std::chrono::duration<double, std::milli>(Steady::now() - start).count());
        }
      }
      if (in_ssm && !on_bus) {
        Result<std::vector<nlohmann::json>> got = queue->Receive(0);
        if (!got.ok()) return Fail(got.status().ToString());
        for (const nlohmann::json& e : *got) {
          ++events;
          if (e["detail"].value("version", int64_t{0}) == w->version) on_bus = true;
        }
      }
      if (!(in_ssm && on_bus)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
  }
  platform->Stop();
  std::printf("aws mirror bench: %d product puts -> SSM version + event on the bus (moto)\n", puts);
  std::printf("  p50 %.1f ms  p99 %.1f ms  max %.1f ms  (target p99 < 100 ms)\n",
              Percentile(ms, 0.5), Percentile(ms, 0.99), *std::max_element(ms.begin(), ms.end()));
  std::printf("  of which to the SSM version: p50 %.1f ms  p99 %.1f ms\n", Percentile(ssm_ms, 0.5),
              Percentile(ssm_ms, 0.99));
  std::printf("  events received: %lld\n", static_cast<long long>(events));
  std::error_code ec;
  fs::remove_all(root, ec);
  std::printf("aws mirror bench done\n");
  return events == puts ? 0 : 1;
}

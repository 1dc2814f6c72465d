// `odmd serve` killed with SIGKILL in the middle of a deployment, then started again: the
// deployment runs to completion exactly once, the killed run's script does not survive,
// and no event or product is lost. Real binary, real git repositories, real processes.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/processes.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Sh(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while (pipe && (n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int rc = pipe ? ::pclose(pipe) : -1;
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  return out;
}

void WriteFile(const fs::path& p, const std::string& content, bool executable = false) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << content;
  if (executable) fs::permissions(p, fs::perms::owner_all, fs::perm_options::add);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A bare repo at `bare` whose main holds `files`.
void MakeRepo(const fs::path& root, const std::string& name, const fs::path& bare,
              const std::map<std::string, std::pair<std::string, bool>>& files) {
  const fs::path work = root / "work" / name;
  Sh("git -c init.defaultBranch=main init -q --bare '" + bare.string() + "'");
  Sh("git -c init.defaultBranch=main init -q '" + work.string() + "'");
  for (const auto& [path, content] : files) WriteFile(work / path, content.first, content.second);
  Sh("cd '" + work.string() +
     "' && git add -A && git -c user.name=d -c user.email=d@x commit -q "
     "-m init && git push -q '" +
     bare.string() + "' HEAD:refs/heads/main");
}

model::Org CrashOrg() {
  model::Org org;
  org.name = "crash";
  org.version = "1.0.0";
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  model::Build contracts;
  contracts.id = "contracts";
  contracts.kind = model::BuildKind::kContracts;
  contracts.repo = {"acme", "contracts", 1};
  model::Enver ce;
  ce.rev = model::RevRef::Branch("main");
  ce.account = "central";
  ce.region = "us-east-1";
  contracts.envers = {ce};
  model::Build svc;
  svc.id = "svc";
  svc.repo = {"acme", "svc", 1};
  model::Enver se = ce;
  se.account = "workspace";
  se.products = {{"url"}};
  svc.envers = {se};
  org.builds = {contracts, svc};
  model::Canonicalize(org);
  return org;
}

// Waits until something is written to the FIFO at `path` (opened without blocking).
bool WaitForFifo(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  if (fd < 0) return false;
  pollfd p = {fd, POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(kWaitLimit.count() * 1000));
  ::close(fd);
  return ready == 1 && (p.revents & POLLIN);
}

// The process group of the one run recorded under `running` (<id>.pgid), waiting (bounded)
// until it is recorded; 0 if it never is.
int RecordedGroup(const fs::path& running) {
  for (int i = 0; i < 2000; ++i) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(running, ec)) {
      if (e.path().extension() != ".pgid") continue;
      std::istringstream in(ReadFile(e.path()));
      int group = 0;
      if (in >> group) return group;
      ADD_FAILURE() << e.path() << " holds no process group: " << ReadFile(e.path());
      return 0;
    }
    ::usleep(5000);
  }
  return 0;
}

TEST(ServeCrashTest, KilledMidDeploymentRunsToCompletionExactlyOnceAfterRestart) {
  std::random_device rd;
  const fs::path root = fs::temp_directory_path() / ("odmd-serve-crash-" + std::to_string(rd()));
  fs::create_directories(root);
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  // The script is sandboxed: it sees only its own directories, so the FIFO and the marker
  // lie in its stack directory (kept under enver-accounts/, seen at $ODMD_account_dir).
  const fs::path state = root / "state";
  const fs::path own_stack =
      state / "enver-accounts" / "workspace" / "us-east-1" / "svc--main" / "svc--main";
  fs::create_directories(own_stack);
  const fs::path seen_stack = state / "accounts" / "workspace" / "us-east-1" / "svc--main";
  ASSERT_EQ(::mkfifo((own_stack / "started.fifo").c_str(), 0600), 0);
  const fs::path started = seen_stack / "started.fifo";
  const fs::path marker = seen_stack / "first-run";
  // The first run leaves a marker, tells the test it runs, and never ends on its own.
  const std::string build =
      "#!/bin/sh\nset -eu\n"
      "stack=\"$ODMD_account_dir/$ODMD_stack_names\"\nmkdir -p \"$stack\"\n"
      "echo \"$ODMD_deployment_id\" >> \"$stack/runs.log\"\n"
      "if [ ! -e '" +
      marker.string() +
      "' ]; then\n"
      "  echo $$ > '" +
      marker.string() +
      "'\n"
      "  echo started > '" +
      started.string() +
      "'\n"
      "  while true; do sleep 0.05; done\n"
      "fi\n"
      "printf 'https://svc' > \"$ODMD_PRODUCTS_DIR/url\"\n"
      "echo \"$ODMD_deployment_id\" >> \"$stack/done.log\"\n";
  MakeRepo(root, "svc", root / "svc.git", {{".scripts/build.sh", {build, true}}});
  MakeRepo(root, "contracts", root / "contracts.git",
           {{".scripts/build.sh", {"#!/bin/sh\ncp manifest.json \"$ODMD_MANIFEST_FILE\"\n", true}},
            {"manifest.json", {model::WriteManifest(CrashOrg()), false}}});
  const std::vector<std::string> serve = {"serve",
                                          "--store",
                                          "sqlite:" + (root / "state.db").string(),
                                          "--state-dir",
                                          state.string(),
                                          "--listen",
                                          "127.0.0.1:0",
                                          "--repo",
                                          "acme/contracts=" + (root / "contracts.git").string(),
                                          "--repo",
                                          "acme/svc=" + (root / "svc.git").string(),
                                          "--contracts-repo",
                                          "acme/contracts"};

  int group = 0;
  {
    Child first(serve);
    ASSERT_TRUE(WaitForFifo(own_stack / "started.fifo")) << "the deployment never started";
    // The server records the script's group once it has started it (the script may signal
    // first); the record appears whole (written, then renamed into place).
    group = RecordedGroup(state / "running");
    ASSERT_GT(group, 1) << "no process group recorded under running/";
    ASSERT_EQ(::kill(first.pid(), SIGKILL), 0);
  }  // ~Child reaps it
  // The sandbox dies with the server (bwrap --die-with-parent); its record stays for the
  // restart, which kills the group again (harmless) and removes the record.
  for (int i = 0; i < 1000 && testing::ProcessGroupRunning(group); ++i) ::usleep(5000);
  EXPECT_FALSE(testing::ProcessGroupRunning(group))
      << "the killed server's build script still runs";

  std::vector<std::string> once = serve;
  once.push_back("--once");
  Child second(once);
  second.CloseStdin();
  ChildResult result = second.Finish();
  ASSERT_EQ(result.exit_code, 0) << result.err;

  EXPECT_TRUE(fs::exists(marker));
  EXPECT_TRUE(fs::is_empty(state / "running")) << "the crashed run's record was removed";
  const fs::path stack = seen_stack;
  const auto runs = Lines(ReadFile(stack / "runs.log"));
  const auto done = Lines(ReadFile(stack / "done.log"));
  ASSERT_EQ(done.size(), 1u) << ReadFile(stack / "done.log");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0], runs[1]) << "the same deployment ran again";
  EXPECT_EQ(done[0], runs[0]);

  auto store = store::OpenConfigStore({"sqlite:" + (root / "state.db").string()});
  ASSERT_TRUE(store.ok());
  auto product = (*store)->Get("/odmd-share/svc/b..main/url");
  ASSERT_TRUE(product.ok()) << product.status();
  EXPECT_EQ(product->value, "https://svc");
  auto deployment = (*store)->Get("/odmd/deployments/" + runs[0]);
  ASSERT_TRUE(deployment.ok());
  EXPECT_THAT(deployment->value, HasSubstr("\"state\":\"succeeded\""));
  // Events: none lost (seq 1..N without gaps), the ones before the kill still there.
  auto events = (*store)->List("/odmd/events/");
  ASSERT_TRUE(events.ok());
  std::string all;
  for (size_t i = 0; i < events->size(); ++i) {
    const auto j = nlohmann::json::parse((*events)[i].value);
    EXPECT_EQ(j["seq"].get<int>(), static_cast<int>(i) + 1);
    all += j["kind"].get<std::string>() + " ";
  }
  EXPECT_THAT(all, HasSubstr("contracts.published"));
  EXPECT_THAT(all, HasSubstr("deployment.started"));
  EXPECT_THAT(all, HasSubstr("deployment.resumed"));
  EXPECT_THAT(all, HasSubstr("deployment.succeeded"));
  std::error_code ec;
  fs::remove_all(root, ec);
}

}  // namespace
}  // namespace odmd::cli

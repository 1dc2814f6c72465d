// A hostile build script deployed by the real `odmd serve` (real binary, real git
// repositories, real bubblewrap) tries to read the state directory (the original exploit:
// $ODMD_account_dir/../../../admin.token), find the server among the processes, read its
// environment and signal it; every attempt fails, while the script's own work - its stack
// directory, a product file, a product put through the API with its token - succeeds.
// docs/platform.md, "Threat model"; the Deployer-level test is
// libs/reconcile/tests/sandbox_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/reconcile/deployer.h"
#include "odmd/store/open_config_store.h"
#include "store_cli_fixture.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kServerSecret[] = "ODMD_SERVE_SANDBOX_TEST_SECRET=server-only-value";

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
     "' && git add -A && git -c user.name=d -c user.email=d@x commit -q -m init && git push -q '" +
     bare.string() + "' HEAD:refs/heads/main");
}

model::Org SandboxOrg() {
  model::Org org;
  org.name = "sandbox";
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
  se.products = {{"url"}, {"host"}};
  svc.envers = {se};
  org.builds = {contracts, svc};
  model::Canonicalize(org);
  return org;
}

std::string HostileScript(const fs::path& state) {
  return "#!/bin/sh\n"
         "try() { what=$1; shift; if \"$@\" > /dev/null 2>&1; then echo \"LEAK $what\"; "
         "else echo \"DENIED $what\"; fi; }\n"
         "S='" +
         state.string() +
         "'\n"
         "try admin.token cat \"$S/admin.token\"\n"
         "try admin.token-relative cat \"$ODMD_account_dir/../../../admin.token\"\n"
         "try secret.key cat \"$S/secret.key\"\n"
         "try state.db cat \"$S/state.db\"\n"
         "try api.url cat \"$S/api.url\"\n"
         // The server, found as an attacker would: by its command line (a flag only it has;
         // the test's paths hold the word "serve"), and only this test's server (its state
         // directory): unsandboxed, the script must not signal the other tests' servers.
         "found=''\n"
         "for p in /proc/[0-9]*; do\n"
         "  if grep -q -- --contracts-repo \"$p/cmdline\" 2> /dev/null && "
         "grep -q -F -- \"$S\" \"$p/cmdline\" 2> /dev/null; then "
         "found=\"$found ${p#/proc/}\"; fi\n"
         "done\n"
         "if [ -n \"$found\" ]; then echo \"LEAK server-process$found\"; "
         "else echo 'DENIED server-process'; fi\n"
         "for p in $found; do try server-environ cat \"/proc/$p/environ\"; "
         "try signal-server kill -TERM \"$p\"; done\n"
         "if cat /proc/[0-9]*/environ 2> /dev/null | tr '\\0' '\\n' | "
         "grep -q ODMD_SERVE_SANDBOX_TEST_SECRET; then echo 'LEAK server-environ'; "
         "else echo 'DENIED server-environ'; fi\n"
         "try write-state sh -c \"echo x > $S/pwned\"\n"
         // Its own work.
         "set -e\n"
         "stack=\"$ODMD_account_dir/$ODMD_stack_names\"\n"
         "mkdir -p \"$stack\"\n"
         "echo deployed > \"$stack/deployed\"\n"
         "printf 'svc.local' > \"$ODMD_PRODUCTS_DIR/host\"\n"
         "odmd product put svc/b..main/url https://svc.example\n"
         "echo OWN-WORK-DONE\n";
}

// Runs `odmd serve --once [extra]` on an org whose svc build script is HostileScript; the
// deployments' logs, concatenated, and serve's stderr.
struct Served {
  fs::path root, state;
  std::string log, err;
  int exit_code = -1;
};

Served ServeHostile(const std::vector<std::string>& extra) {
  Served s;
  std::random_device rd;
  s.root = fs::temp_directory_path() / ("odmd-serve-sandbox-" + std::to_string(rd()));
  fs::create_directories(s.root);
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  ::putenv(const_cast<char*>(kServerSecret));  // the server inherits it
  s.state = s.root / "state";
  MakeRepo(s.root, "svc", s.root / "svc.git",
           {{".scripts/build.sh", {HostileScript(s.state), true}}});
  MakeRepo(s.root, "contracts", s.root / "contracts.git",
           {{".scripts/build.sh", {"#!/bin/sh\ncp manifest.json \"$ODMD_MANIFEST_FILE\"\n", true}},
            {"manifest.json", {model::WriteManifest(SandboxOrg()), false}}});
  std::vector<std::string> args = {"serve",
                                   "--state-dir",
                                   s.state.string(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--repo",
                                   "acme/contracts=" + (s.root / "contracts.git").string(),
                                   "--repo",
                                   "acme/svc=" + (s.root / "svc.git").string(),
                                   "--contracts-repo",
                                   "acme/contracts",
                                   "--concurrency",
                                   "1",
                                   "--once"};
  args.insert(args.end(), extra.begin(), extra.end());
  Child serve(args);
  ChildResult result = serve.Finish();
  ::unsetenv("ODMD_SERVE_SANDBOX_TEST_SECRET");
  s.exit_code = result.exit_code;
  s.err = result.err;
  auto store = store::OpenConfigStore({"sqlite:" + (s.state / "state.db").string()});
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return s;
  auto logs = (*store)->List("/odmd/logs/");
  EXPECT_TRUE(logs.ok());
  if (logs.ok()) {
    for (const auto& e : *logs) s.log += e.value;
  }
  return s;
}

TEST(ServeSandboxTest, HostileBuildScriptReachesNothingButItsOwnEnver) {
  const Served served = ServeHostile({});
  const fs::path& root = served.root;
  const fs::path& state = served.state;
  const std::string& log = served.log;
  ASSERT_EQ(served.exit_code, 0) << served.err;
  EXPECT_THAT(served.err, HasSubstr("idle, stopped")) << "the server was not stopped by a signal";
  EXPECT_THAT(served.err, Not(HasSubstr("WARNING")));
  auto store = store::OpenConfigStore({"sqlite:" + (state / "state.db").string()});
  ASSERT_TRUE(store.ok()) << store.status();
  // Every attempt failed.
  EXPECT_THAT(log, Not(HasSubstr("LEAK"))) << log;
  for (const char* what : {"admin.token", "admin.token-relative", "secret.key", "state.db",
                           "api.url", "server-process", "server-environ", "write-state"}) {
    EXPECT_THAT(log, HasSubstr(std::string("DENIED ") + what + "\n")) << log;
  }
  std::string admin_token = ReadFile(state / "admin.token");
  while (!admin_token.empty() && admin_token.back() == '\n') admin_token.pop_back();
  ASSERT_FALSE(admin_token.empty());
  EXPECT_THAT(log, Not(HasSubstr(admin_token)));
  EXPECT_FALSE(fs::exists(state / "pwned"));

  // Its own work succeeded: the stack directory, a product file, a put through the API.
  EXPECT_THAT(log, HasSubstr("OWN-WORK-DONE"));
  const fs::path stack = state / "accounts" / "workspace" / "us-east-1" / "svc--main";
  EXPECT_EQ(ReadFile(stack / "deployed"), "deployed\n");
  auto url = (*store)->Get("/odmd-share/svc/b..main/url");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->value, "https://svc.example");
  auto host = (*store)->Get("/odmd-share/svc/b..main/host");
  ASSERT_TRUE(host.ok()) << host.status();
  EXPECT_EQ(host->value, "svc.local");
  if (::geteuid() == 0) {
    // The server runs as root; the script ran as its enver's own unprivileged uid.
    struct stat st;
    ASSERT_EQ(::stat((stack / "deployed").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, reconcile::SandboxUid("svc/b..main"));
  }
  std::error_code ec;
  fs::remove_all(root, ec);
}

TEST(ServeSandboxTest, WithSandboxNoneTheSameScriptReadsTheAdminTokenAndFindsTheServer) {
  // Another server on this machine (another test's, when the suite runs in parallel): the
  // script finds and signals its own server only. It used to SIGTERM every `odmd serve`
  // with --contracts-repo, stopping the GitHub image test's server mid-run.
  const pid_t other = ::fork();
  ASSERT_GE(other, 0);
  if (other == 0) {
    // Its own process group, so the test can stop its sleep too, and the sleep holds none of
    // the test's output pipes (ctest waits for those to close: 120 s).
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", "sleep 120 </dev/null >/dev/null 2>&1; exit 0", "odmd", "serve",
            "--contracts-repo", "other", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // What every build script could do before the sandbox; --sandbox none says so at start.
  const Served served = ServeHostile({"--sandbox", "none"});
  int status = 0;
  const bool other_ended = ::waitpid(other, &status, WNOHANG) == other;
  ::kill(-other, SIGKILL);  // the decoy and its sleep
  if (!other_ended) ::waitpid(other, &status, 0);
  EXPECT_FALSE(other_ended) << "the other server was stopped (signal "
                            << (WIFSIGNALED(status) ? WTERMSIG(status) : 0) << ")";
  EXPECT_EQ(served.exit_code, 0) << served.err;
  EXPECT_THAT(served.err, HasSubstr("WARNING: --sandbox=none"));
  EXPECT_THAT(served.log, HasSubstr("LEAK admin.token-relative\n"));
  EXPECT_THAT(served.log, HasSubstr("LEAK server-process"));
  EXPECT_THAT(served.log, HasSubstr("LEAK server-environ\n"));
  std::error_code ec;
  fs::remove_all(served.root, ec);
}

TEST(ServeSandboxTest, UnknownSandboxModeIsRefusedBeforeAnythingIsCreated) {
  std::random_device rd;
  const fs::path state = fs::temp_directory_path() / ("odmd-serve-sandbox-" + std::to_string(rd()));
  Child serve({"serve", "--state-dir", state.string(), "--sandbox", "chroot", "--once"});
  ChildResult result = serve.Finish();
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("--sandbox"));
  EXPECT_FALSE(fs::exists(state));
}

// Not the sandbox, but the same real server: a contracts build that fails leaves the server
// without contracts, and its operator learns it on serve's stderr at once, with the way to
// the build's log (it used to be only an event, and the server sat idle in silence).
TEST(ServeSandboxTest, AFailedBootstrapIsToldOnServesStderr) {
  std::random_device rd;
  const fs::path root =
      fs::temp_directory_path() / ("odmd-serve-bootstrap-" + std::to_string(rd()));
  fs::create_directories(root);
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  MakeRepo(root, "contracts", root / "contracts.git",
           {{".scripts/build.sh",
             {"#!/bin/sh\necho 'npm ERR! missing script: build' >&2\nexit 3\n", true}}});
  Child serve({"serve", "--state-dir", (root / "state").string(), "--listen", "127.0.0.1:0",
               "--repo", "acme/contracts=" + (root / "contracts.git").string(), "--contracts-repo",
               "acme/contracts", "--once"});
  const ChildResult result = serve.Finish();
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("odmd serve: bootstrap from acme/contracts failed: "));
  EXPECT_THAT(result.err, HasSubstr("exited with 3"));
  EXPECT_THAT(result.err, HasSubstr("(its log: odmd logs bootstrap-"));
  EXPECT_THAT(result.err, HasSubstr("serving without contracts until you fix the contracts repo"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace odmd::cli

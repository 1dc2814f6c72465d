// odmd serve: the platform (reconcile::Platform) behind its HTTP API (api::ApiServer), on
// the store, until SIGINT or SIGTERM (or, with --once, until it is idle).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api_client.h"
#include "command.h"
#include "common.h"
#include "odmd/access/secrets.h"
#include "odmd/access/tokens.h"
#include "odmd/api/server.h"
#include "odmd/base/files.h"
#include "odmd/base/strings.h"
#include "odmd/console/assets.h"
#include "odmd/reconcile/aws_settings.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/platform.h"
#include "odmd/reconcile/runner.h"
#include "odmd/reconcile/worker_lease.h"
#include "odmd/store/open_config_store.h"
#include "serve_github.h"
#include "serve_lease.h"

namespace odmd::cli {
namespace {

// The write end of the self-pipe the stop signals are written to.
std::atomic<int> g_serve_signal_fd{-1};

// One record per signal: which one, and who sent it (a stop nobody asked for can then be
// traced to its sender).
struct StopSignal {
  int sig = 0;
  pid_t sender = 0;
  int pipe_errno = 0;  // the self-pipe failed instead (0: a signal arrived)
};

void OnServeSignal(int sig, siginfo_t* info, void*) {
  const int saved_errno = errno;
  const int fd = g_serve_signal_fd.load();
  if (fd >= 0) {
    const int record[2] = {sig, info != nullptr ? static_cast<int>(info->si_pid) : 0};
    [[maybe_unused]] ssize_t n = ::write(fd, record, sizeof record);  // atomic: < PIPE_BUF
  }
  errno = saved_errno;
}

// The command line of a process, for the stop message ("" once it is gone).
std::string CommandLineOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// How a stop is reported: "terminated by pid 12 (kill 7), stopping".
std::string DescribeStop(const StopSignal& stop) {
  if (stop.pipe_errno != 0) {
    return std::string("the stop-signal pipe failed (") + std::strerror(stop.pipe_errno) +
           "), stopping";
  }
  std::string text = stop.sig == SIGINT ? "interrupted" : "terminated";
  if (stop.sender > 0) {
    const std::string cmdline = CommandLineOf(stop.sender);
    text += " by pid " + std::to_string(stop.sender);
    if (!cmdline.empty()) text += " (" + cmdline + ")";
  }
  return text + ", stopping";
}

// Records that are not signals: the lease loop's news (serve_lease.h), through the same pipe.
constexpr int kLeaseElected = -1;
constexpr int kLeaseDeposed = -2;
constexpr int kWorkerDeposed = -3;  // the follower workers' lease was lost

// Catches SIGINT and SIGTERM while alive; Wait() returns the first one (or a Post).
class ServeSignals {
 public:
  ServeSignals() {
    if (::pipe2(fds_, O_CLOEXEC) != 0) return;
    int expected = -1;
    if (!g_serve_signal_fd.compare_exchange_strong(expected, fds_[1])) return;
    struct sigaction sa = {};
    sa.sa_sigaction = OnServeSignal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
    installed_ = true;
  }
  ~ServeSignals() {
    if (installed_) {
      ::sigaction(SIGINT, &old_int_, nullptr);
      ::sigaction(SIGTERM, &old_term_, nullptr);
      g_serve_signal_fd.store(-1);
    }
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  ServeSignals(const ServeSignals&) = delete;
  ServeSignals& operator=(const ServeSignals&) = delete;

  bool installed() const { return installed_; }

  // Makes Wait return {code, 0, 0}: kLeaseElected or kLeaseDeposed.
  void Post(int code) {
    const int record[2] = {code, 0};
    [[maybe_unused]] ssize_t n = ::write(fds_[1], record, sizeof record);  // atomic: < PIPE_BUF
  }

  // Blocks until a signal arrives; returns it. A pipe that ends or fails (its descriptor
  // closed by mistake elsewhere in the process) is reported as such, never as a signal.
  StopSignal Wait() {
    for (;;) {
      int record[2] = {0, 0};
      const ssize_t n = ::read(fds_[0], record, sizeof record);
      if (n == static_cast<ssize_t>(sizeof record)) return StopSignal{record[0], record[1], 0};
      if (n < 0 && errno == EINTR) continue;
      return StopSignal{SIGTERM, 0, n < 0 ? errno : EPIPE};
    }
  }

 private:
  int fds_[2] = {-1, -1};
  bool installed_ = false;
  struct sigaction old_int_ = {};
  struct sigaction old_term_ = {};
};

struct ServeOpts {
  std::string store;
  std::string listen = "127.0.0.1:7780";
  std::string state_dir = std::string(kDefaultStateDir);
  std::vector<std::string> repos;
  std::vector<std::string> mirrors;
  std::string webhook_secret_file;
  std::string contracts_repo;
  int concurrency = 2;
  bool once = false;
  std::string sandbox = "bwrap";
  std::string aws_config;
  std::string cdk_sdk;
  std::vector<std::string> tool_dirs;
  ServeGitHubOpts github;
  ServeLeaseOpts lease;
};

// --cdk-sdk DIR: a shared CDK install (this repo's sdk/cdk after scripts/install-deps.sh)
// that the CDK tail runs (DIR/node_modules/.bin/cdk) and scripts see read-only, with
// ODMD_CDK_SDK=DIR. --tool-dir: more read-only directories. Checked before anything starts.
Status ApplyToolOptions(const ServeOpts& o, reconcile::PlatformOptions& popts) {
  std::error_code ec;
  for (const std::string& dir : o.tool_dirs) {
    const std::filesystem::path abs = std::filesystem::absolute(dir, ec).lexically_normal();
    if (ec || !std::filesystem::is_directory(abs, ec)) {
      return InvalidArgumentError("--tool-dir " + Quote(dir) + " is not a directory");
    }
    popts.tool_dirs.push_back(abs.string());
  }
  if (o.cdk_sdk.empty()) return OkStatus();
  const std::filesystem::path sdk = std::filesystem::absolute(o.cdk_sdk, ec).lexically_normal();
  const std::filesystem::path cdk = sdk / "node_modules" / ".bin" / "cdk";
  if (ec || ::access(cdk.c_str(), X_OK) != 0) {
    return InvalidArgumentError("--cdk-sdk " + Quote(o.cdk_sdk) + ": " + Quote(cdk.string()) +
                                " is not an executable cdk CLI (run scripts/install-deps.sh, "
                                "which installs sdk/cdk)");
  }
  popts.cdk_binary = cdk.string();
  popts.tool_dirs.push_back(sdk.string());
  popts.script_env.emplace_back("ODMD_CDK_SDK", sdk.string());
  return OkStatus();
}

struct HostPort {
  std::string host;
  int port = 0;
};

Result<HostPort> ParseListen(const std::string& text) {
  const size_t colon = text.rfind(':');
  const Status bad = InvalidArgumentError("--listen " + Quote(text) +
                                          " is not HOST:PORT (e.g. 127.0.0.1:7780, port 0 for "
                                          "any free port)");
  if (colon == std::string::npos || colon == 0) return bad;
  HostPort hp{text.substr(0, colon), 0};
  const std::string port = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), hp.port);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || hp.port < 0 ||
      hp.port > 65535) {
    return bad;
  }
  return hp;
}

// A free port on `host`, for --listen HOST:0: the platform must know its URL (build scripts
// get it as ODMD_API) before the server that serves it exists.
Result<int> PickPort(const std::string& host) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgumentError("--listen host " + Quote(host) +
                                " is not an IPv4 address (port 0 needs one)");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return UnavailableError("cannot create a socket to pick a port");
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  if (port <= 0) return UnavailableError("cannot pick a free port on " + host);
  return port;
}

Result<reconcile::RepoRegistration> ParseRepo(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgumentError("--repo " + Quote(text) +
                                " is not NAME=PATH (e.g. acme/svc=/srv/git/svc.git)");
  }
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(text.substr(eq + 1), ec);
  if (ec) return InvalidArgumentError("--repo " + Quote(text) + ": " + ec.message());
  return reconcile::RepoRegistration{text.substr(0, eq), path.lexically_normal().string()};
}

// --mirror NAME=URL: a mirror under <state-dir>/mirrors/NAME.git fetched from URL.
Result<reconcile::RepoRegistration> ParseMirror(const std::string& text,
                                                const std::filesystem::path& state_dir) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return InvalidArgumentError("--mirror " + Quote(text) +
                                " is not NAME=URL (e.g. acme/svc=https://github.com/acme/svc.git)");
  }
  const std::string name = text.substr(0, eq);
  if (name.find("..") != std::string::npos || name.front() == '/') {
    return InvalidArgumentError("--mirror " + Quote(text) + ": " + Quote(name) +
                                " is not owner/name");
  }
  return reconcile::RepoRegistration{name, (state_dir / "mirrors" / (name + ".git")).string(),
                                     text.substr(eq + 1)};
}

std::string SelfExe() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "" : p.string();
}

// The web console's files (built into the binary from web/console) as the API serves them.
std::vector<api::StaticFile> ConsoleFiles() {
  std::vector<api::StaticFile> files;
  for (const console::Asset& a : console::Assets()) {
    files.push_back({std::string(a.path), std::string(a.content_type), a.body});
  }
  return files;
}

// What --aws-config makes of AWS, for the operator: the AWS accounts, the endpoint and the
// central account's products (never a credential).
std::string DescribeAws(const reconcile::AwsSettings& aws) {
  std::string accounts = aws.aws_accounts.empty() ? "none" : "";
  for (const std::string& a : aws.aws_accounts) {
    accounts += (accounts.empty() ? "" : ", ") + a;
  }
  const std::string endpoint =
      aws.central.endpoint_url.empty()
          ? "AWS (" + aws.central.region + ")"
          : aws.central.endpoint_url + " (region " + aws.central.region + ")";
  return "odmd serve: AWS target accounts: " + accounts + "; every other account is local\n" +
         "odmd serve: AWS endpoint: " + endpoint +
         "; products to SSM: " + (aws.ssm_products ? "yes" : "no") +
         "; product events on bus: " + (aws.event_bus.empty() ? "none" : Quote(aws.event_bus)) +
         "\n";
}

// The platform leads from now on: it writes through the lease's fenced store, so once
// another replica has taken the lease none of its writes commits (docs/platform.md,
// "Replicas").
Status Lead(Io& io, ServeLease& lease, reconcile::Platform& platform) {
  const std::optional<store::Epoch> epoch = lease.epoch();
  if (!epoch) return lease.deposed_why().WithContext("the lease was lost at once");
  ODMD_ASSIGN_OR_RETURN(store::ConfigStorePtr fenced, lease.lease().FencedStore(*epoch));
  io.err << "odmd serve: replica " << Quote(lease.replica_id()) << " leads (epoch " << *epoch
         << ")\n"
         << std::flush;
  return platform.Lead(std::move(fenced));
}

// Serves until a stop signal, or until this replica, having led, loses the lease (exit 1);
// a follower elected meanwhile starts leading. With `once`, returns as soon as it leads and
// its platform is idle. The exit code.
int ServeUntilStopped(Io& io, ServeLease& lease, ServeLease* worker_lease,
                      reconcile::Platform& platform, ServeSignals& signals, bool once) {
  for (;;) {
    if (once && platform.leading()) {
      if (!platform.WaitIdle(std::chrono::hours(1))) {
        return ReportFailure(io, false,
                             UnavailableError("--once: the platform was not idle within an hour"));
      }
      io.err << "odmd serve: idle, stopped\n";
      return kExitOk;
    }
    const StopSignal got = signals.Wait();
    if (got.sig == kLeaseElected) {
      if (platform.leading()) continue;  // old news
      if (Status s = Lead(io, lease, platform); !s.ok()) {
        return ReportFailure(io, false, s.WithContext("starting the platform"));
      }
      continue;
    }
    if (got.sig == kWorkerDeposed && worker_lease != nullptr) {
      // Its running deployments are run again by the leader once it took the lease over:
      // stop them (as a deposed leader does) before another run can start.
      io.err << "odmd serve: " << worker_lease->deposed_why().message()
             << ": this replica's workers lost their lease, stopping\n"
             << std::flush;
      return kExitFailure;
    }
    if (got.sig == kLeaseDeposed) {
      if (!platform.leading()) continue;  // the news of an earlier round
      io.err << "odmd serve: " << lease.deposed_why().message()
             << ": this replica no longer leads, stopping\n"
             << std::flush;
      return kExitFailure;
    }
    io.err << "odmd serve: " << DescribeStop(got) << "\n" << std::flush;
    if (got.pipe_errno != 0) return kExitFailure;
    return got.sig == SIGINT ? kExitInterrupted : kExitOk;
  }
}

// A follower's workers (--follower-workers): the lease "worker:<replica id>" taken and
// renewed (its loss posts kWorkerDeposed), and the platform's workers on its fenced store.
Result<std::unique_ptr<ServeLease>> StartFollowerWorkers(
    Io& io, store::ConfigStore& store, const std::string& store_url, ServeLeaseOpts o,
    const std::string& replica_id, const std::string& url, ServeSignals& signals,
    reconcile::Platform& platform) {
  o.replica_id = replica_id;
  ODMD_ASSIGN_OR_RETURN(std::unique_ptr<ServeLease> lease,
                        ServeLease::Open(
                            store, store_url, o, url, io.clock,
                            [&signals](ServeLease::Change change) {
                              if (change == ServeLease::Change::kDeposed)
                                signals.Post(kWorkerDeposed);
                            },
                            reconcile::WorkerLeaseName(replica_id)));
  ODMD_ASSIGN_OR_RETURN(bool held, lease->TryLead());
  if (!held) {
    return FailedPreconditionError("the worker lease " +
                                   Quote(reconcile::WorkerLeaseName(replica_id)) + " is held by " +
                                   lease->DescribeHolder() + " (replica ids must be unique)");
  }
  lease->Start();
  const std::optional<store::Epoch> epoch = lease->epoch();
  if (!epoch) return lease->deposed_why().WithContext("the worker lease was lost at once");
  ODMD_ASSIGN_OR_RETURN(store::ConfigStorePtr fenced, lease->lease().FencedStore(*epoch));
  ODMD_RETURN_IF_ERROR(platform.Work(std::move(fenced)));
  io.err << "odmd serve: follower replica " << Quote(replica_id) << " runs " << o.follower_workers
         << " queue worker(s) under its worker lease (epoch " << *epoch << ")\n"
         << std::flush;
  return lease;
}

int Serve(Io& io, const ServeOpts& o) {
  auto fail = [&io](const Status& s) { return ReportFailure(io, false, s); };
  Result<HostPort> listen = ParseListen(o.listen);
  if (!listen.ok()) return fail(listen.status());
  if (o.concurrency < 1) {
    return fail(InvalidArgumentError("--concurrency must be at least 1, not " +
                                     std::to_string(o.concurrency)));
  }
  std::vector<reconcile::RepoRegistration> repos;
  for (const std::string& r : o.repos) {
    Result<reconcile::RepoRegistration> repo = ParseRepo(r);
    if (!repo.ok()) return fail(repo.status());
    repos.push_back(*repo);
  }
  std::string webhook_secret;
  if (!o.webhook_secret_file.empty()) {
    Result<std::optional<std::string>> secret = ReadFirstLine(o.webhook_secret_file);
    if (!secret.ok()) return fail(secret.status());
    if (!secret->has_value() || (*secret)->empty()) {
      return fail(InvalidArgumentError("--webhook-secret-file " + Quote(o.webhook_secret_file) +
                                       " is missing or empty"));
    }
    webhook_secret = **secret;
  }
  std::optional<reconcile::AwsSettings> aws_settings;
  if (!o.aws_config.empty()) {
    // Read before anything is created or opened: a bad file changes nothing.
    Result<reconcile::AwsSettings> loaded =
        reconcile::LoadAwsSettings(o.aws_config, aws::ProcessEnvironment());
    if (!loaded.ok()) return fail(loaded.status().WithContext("--aws-config"));
    aws_settings = std::move(loaded).value();
  }
  reconcile::PlatformOptions tools;
  if (Status s = ApplyToolOptions(o, tools); !s.ok()) return fail(s);
  Result<std::unique_ptr<ServeGitHub>> github = ServeGitHub::Create(o.github, io.clock);
  if (!github.ok()) return fail(github.status());
  if (*github && webhook_secret.empty()) webhook_secret = (*github)->webhook_secret();

  const std::filesystem::path dir = std::filesystem::absolute(o.state_dir).lexically_normal();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(UnavailableError("cannot create state directory " + Quote(dir.string())));
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  for (const std::string& m : o.mirrors) {
    Result<reconcile::RepoRegistration> mirror = ParseMirror(m, dir);
    if (!mirror.ok()) return fail(mirror.status());
    repos.push_back(*mirror);
  }

  store::StoreOptions store_options;
  store_options.url = o.store.empty() ? "sqlite:" + (dir / "state.db").string() : o.store;
  Result<store::ConfigStorePtr> store = store::OpenConfigStore(store_options);
  if (!store.ok()) return fail(store.status());
  access::SecretKeyOptions key_options;
  key_options.key_file = (dir / "secret.key").string();
  Result<access::SecretBox> secrets = access::SecretBox::Load(key_options);
  if (!secrets.ok()) return fail(secrets.status());

  int port = listen->port;
  if (port == 0) {
    Result<int> picked = PickPort(listen->host);
    if (!picked.ok()) return fail(picked.status());
    port = *picked;
  }
  const std::string url = "http://" + listen->host + ":" + std::to_string(port);

  // Before the lease loop's thread starts, so neither a signal nor the loop's news is lost.
  ServeSignals signals;
  Result<std::unique_ptr<ServeLease>> lease = ServeLease::Open(
      **store, store_options.url, o.lease, url, io.clock, [&signals](ServeLease::Change change) {
        signals.Post(change == ServeLease::Change::kElected ? kLeaseElected : kLeaseDeposed);
      });
  if (!lease.ok()) return fail(lease.status());
  // SQLite: leads or is refused. PostgreSQL: leads, or serves as a follower until elected.
  Result<bool> leads_now = (*lease)->TryLead();
  if (!leads_now.ok()) return fail(leads_now.status());
  (*lease)->Start();

  std::unique_ptr<reconcile::Git> git = reconcile::NewLibgit2Git();
  reconcile::ProcessRunnerOptions runner_options;
  if (o.sandbox == "none") {
    runner_options.sandbox = reconcile::SandboxMode::kNone;
    io.err << "odmd serve: WARNING: --sandbox=none: build scripts run unconfined as this "
              "process's user and can read "
           << dir.string()
           << " (admin.token, secret.key, the store) and every other enver's files: for "
              "development only\n";
  } else if (Status s = reconcile::CheckSandbox(runner_options); !s.ok()) {
    io.err << "odmd serve: WARNING: deployments will fail: " << s.message() << "\n";
  }
  std::unique_ptr<reconcile::Runner> runner = reconcile::NewProcessRunner(io.clock, runner_options);
  access::TokenRegistry tokens(**store, io.clock);
  reconcile::PlatformOptions popts;
  popts.state_dir = dir.string();
  popts.api_url = url;
  popts.odmd_binary = SelfExe();
  popts.concurrency = o.concurrency;
  popts.webhook_secret = webhook_secret;
  popts.contracts_repo = o.contracts_repo;
  popts.notice = [&io, mu = std::make_shared<std::mutex>()](const std::string& line) {
    std::lock_guard lock(*mu);
    io.err << "odmd serve: " << line << "\n" << std::flush;
  };
  popts.aws = aws_settings;
  popts.cdk_binary = tools.cdk_binary;
  popts.tool_dirs = tools.tool_dirs;
  popts.script_env = tools.script_env;
  if (*github) popts.github = (*github)->runner_options();
  popts.replica_id = (*lease)->replica_id();
  // PostgreSQL: the queue may be shared with followers' workers (Replicas, docs/platform.md).
  popts.shared_queue = !store_options.url.starts_with("sqlite:");
  popts.worker_lease_duration = std::chrono::milliseconds(o.lease.duration_ms);
  popts.worker_check = std::chrono::milliseconds(o.lease.renew_ms);
  popts.follower_workers = o.lease.follower_workers;
  // On the plain store while it follows; Lead moves it onto the fenced store.
  reconcile::Platform platform(**store, *git, *runner, io.clock, *secrets, popts);
  api::ApiOptions api_options{.webhook_secret = webhook_secret};
  api_options.lease = &(*lease)->lease();
  api_options.replica_id = (*lease)->replica_id();
  api_options.static_files = ConsoleFiles();
  // Room for every connection the server accepts (docs/platform.md "Limits").
  api::RaiseOpenFileLimit(static_cast<size_t>(api_options.max_connections) + 1024);
  api::ApiServer server(platform, tokens, std::move(api_options));
  std::unique_ptr<ServeLease> worker_lease;
  auto stop = [&] {
    platform.Stop();
    server.Stop();
    if (worker_lease) worker_lease->Stop();
    (*lease)->Stop();  // after the platform: a successor never overlaps its work
  };

  for (const auto& repo : repos) {
    Status s = platform.RegisterRepo(repo);
    if (!s.ok()) return fail(s.WithContext("--repo " + repo.name));
    io.err << "odmd serve: registered repo " << repo.name << " at " << repo.path
           << (repo.remote.empty() ? "" : " (mirror of " + repo.remote + ")") << "\n";
  }
  const std::filesystem::path token_file = dir / kAdminTokenFile;
  if (!std::filesystem::exists(token_file, ec)) {
    Result<std::string> token = tokens.Issue(access::Principal::Admin());
    if (!token.ok()) return fail(token.status());
    Status written = WriteFileAtomically(token_file, *token + "\n", ".tmp", 0600);
    if (!written.ok()) return fail(written);
    io.err << "odmd serve: wrote an admin token to " << token_file.string() << "\n";
  }
  Status url_written = WriteFileAtomically(dir / kApiUrlFile, url + "\n", ".tmp", 0600);
  if (!url_written.ok()) return fail(url_written);

  if (aws_settings) io.err << DescribeAws(*aws_settings);
  if (*github) {
    io.err << "odmd serve: GitHub runner: app " << (*github)->settings().app_id << " at "
           << (*github)->settings().api_url << ", builds: "
           << (o.github.builds.empty() ? std::string("every build with an installationId")
                                       : StrJoin(o.github.builds, ", "))
           << "\n";
  }

  Result<int> bound = server.Listen(listen->host, port);
  if (!bound.ok()) return fail(bound.status());
  Status started = platform.Serve();
  if (started.ok() && *leads_now) started = Lead(io, **lease, platform);
  if (!started.ok()) {
    stop();
    return fail(started.WithContext("starting the platform"));
  }
  if (started.ok() && !*leads_now && o.lease.follower_workers > 0) {
    Result<std::unique_ptr<ServeLease>> workers = StartFollowerWorkers(
        io, **store, store_options.url, o.lease, (*lease)->replica_id(), url, signals, platform);
    if (workers.ok()) {
      worker_lease = std::move(workers).value();
    } else {
      started = workers.status();
    }
  }
  if (!started.ok()) {
    stop();
    return fail(started.WithContext("starting the follower's workers"));
  }
  if (!*leads_now) {
    io.err << "odmd serve: follower replica " << Quote((*lease)->replica_id())
           << ": the lease is held by " << (*lease)->DescribeHolder()
           << "; serving reads, recording writes for the leader, taking over when the lease "
              "is released or expires\n"
           << std::flush;
  }
  io.out << "odmd serve: listening on " << url << " (state " << dir.string() << ", store "
         << store_options.url << ")\n"
         << "odmd serve: web console at " << url << "/ (give it a token: " << url
         << "/#token=<viewer token>; odmd token issue viewer)\n"
         << std::flush;
  if (!o.once && !signals.installed()) {
    stop();
    return fail(FailedPreconditionError("another command in this process owns SIGINT/SIGTERM"));
  }
  const int code = ServeUntilStopped(io, **lease, worker_lease.get(), platform, signals, o.once);
  stop();
  if (!o.once && (code == kExitOk || code == kExitInterrupted)) io.err << "odmd serve: stopped\n";
  return code;
}

}  // namespace

RunFn SetupServe(CLI::App& sub, Io& io) {
  auto o = std::make_shared<ServeOpts>();
  sub.add_option("--store", o->store,
                 "Store URL (default: env ODMD_STORE, else sqlite:<state-dir>/state.db)")
      ->envname("ODMD_STORE");
  sub.add_option("--listen", o->listen, "HOST:PORT of the HTTP API (port 0: any free port)")
      ->capture_default_str();
  sub.add_option("--state-dir", o->state_dir,
                 "Accounts, worktrees, secret.key, admin.token and api.url")
      ->capture_default_str();
  sub.add_option("--repo", o->repos, "Register a local git repository: NAME=PATH (repeatable)");
  sub.add_option("--mirror", o->mirrors,
                 "Register a repository by its clone URL: NAME=URL; odmd keeps a mirror in "
                 "<state-dir>/mirrors and fetches it at every scan and push webhook "
                 "(repeatable)");
  sub.add_option("--webhook-secret-file", o->webhook_secret_file,
                 "File holding the GitHub webhook secret (without it, webhooks are refused)");
  sub.add_option("--contracts-repo", o->contracts_repo,
                 "The registered repo (owner/name) holding the contracts: an empty store "
                 "bootstraps from it");
  sub.add_option("--concurrency", o->concurrency, "Deployments running at once")
      ->capture_default_str();
  sub.add_flag("--once", o->once, "Start, wait until nothing is queued or running, stop");
  sub.add_option("--sandbox", o->sandbox,
                 "How build scripts are confined: bwrap (bubblewrap; see docs/platform.md, "
                 "Threat model) or none (unconfined: development only)")
      ->check(CLI::IsMember({"bwrap", "none"}))
      ->capture_default_str();
  sub.add_option("--aws-config", o->aws_config,
                 "JSON file naming the AWS target accounts, the endpoint and what goes to the "
                 "central account (docs/aws-targets.md); credentials from the AWS_* chain");
  sub.add_option("--cdk-sdk", o->cdk_sdk,
                 "A shared CDK install (e.g. sdk/cdk of this repo): the CDK tail's cdk CLI, "
                 "read-only in the sandbox, ODMD_CDK_SDK for build scripts");
  sub.add_option("--tool-dir", o->tool_dirs,
                 "A directory build scripts see read-only at the same path (repeatable)");
  AddServeGitHubOptions(sub, o->github);
  AddServeLeaseOptions(sub, o->lease);
  sub.footer(
      "Writes <state-dir>/admin.token (0600, once) and <state-dir>/api.url, which the client\n"
      "commands (odmd envers, events, ...) read. Serves until SIGINT (exit 130) or SIGTERM\n"
      "(exit 0).");
  return [o, &io]() { return Serve(io, *o); };
}

}  // namespace odmd::cli

#include "odmd/reconcile/platform.h"

#include <functional>
#include <utility>

#include "github_runs.h"
#include "impl.h"
#include "odmd/access/secrets.h"
#include "odmd/base/base64.h"
#include "odmd/base/strings.h"
#include "odmd/model/naming.h"

namespace odmd::reconcile {

namespace {

QueueOptions MakeQueueOptions(const PlatformOptions& o,
                              std::function<Result<bool>(const Deployment&)> owner_gone) {
  QueueOptions q;
  q.concurrency = o.concurrency;
  q.max_attempts = o.max_attempts;
  q.backoff = o.retry_backoff;
  q.owner = "odmd-serve";
  if (o.shared_queue) {
    // Replicas: each claim names its replica; what a gone one left runs again (replicas.cc).
    q.shared = true;
    if (!o.replica_id.empty()) q.owner = o.replica_id;
    q.owner_gone = std::move(owner_gone);
  }
  return q;
}

DeployerOptions MakeDeployerOptions(const PlatformOptions& o) {
  DeployerOptions d;
  d.state_dir = o.state_dir;
  d.api_url = o.api_url;
  d.odmd_binary = o.odmd_binary;
  d.time_limit = o.deploy_time_limit;
  d.aws = o.aws;
  d.cdk_binary = o.cdk_binary;
  d.tool_dirs = o.tool_dirs;
  d.script_env = o.script_env;
  return d;
}

// The path of a repository record {"name","path"}.
// A repository's record at RepoKey(name): {"path": ..., "remote": ...}.
Result<RepoRegistration> ParseRepoRecord(const store::Entry& e) {
  nlohmann::json j = nlohmann::json::parse(e.value, nullptr, false);
  if (!j.is_object() || !j.contains("path") || !j["path"].is_string()) {
    return FailedPreconditionError("repository record " + Quote(e.key) + " is malformed");
  }
  const auto remote = j.find("remote");
  return RepoRegistration{
      e.key.substr(kReposPrefix.size()), j["path"].get<std::string>(),
      remote != j.end() && remote->is_string() ? remote->get<std::string>() : std::string()};
}

Status ValidateRepoName(std::string_view name) {
  const size_t slash = name.find('/');
  auto part_ok = [](std::string_view p) {
    if (p.empty() || p == "." || p == "..") return false;
    for (char c : p) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
        return false;
      }
    }
    return true;
  };
  if (slash == std::string_view::npos || !part_ok(name.substr(0, slash)) ||
      !part_ok(name.substr(slash + 1))) {
    return InvalidArgumentError("repository name " + Quote(name) +
                                " is not \"owner/name\" ([A-Za-z0-9_.-] in each part)");
  }
  return OkStatus();
}

}  // namespace

DeployerOptions Platform::Impl::DeployerOptionsFor(const PlatformOptions& o) {
  DeployerOptions d = MakeDeployerOptions(o);
  if (o.aws && o.aws->secrets_manager) {
    // Read as the enver itself: only it may open its secrets (access/secrets.h).
    d.enver_secrets =
        [this](std::string_view enver_id) -> Result<std::map<std::string, std::string>> {
      WorldPtr w = world();
      access::SecretStore secrets(store_, secrets_, w->policy());
      const access::Principal who = access::Principal::Enver(std::string(enver_id));
      ODMD_ASSIGN_OR_RETURN(std::vector<access::SecretInfo> infos, secrets.List(who, enver_id));
      std::map<std::string, std::string> values;
      for (const access::SecretInfo& info : infos) {
        ODMD_ASSIGN_OR_RETURN(values[info.name], secrets.Get(who, enver_id, info.name));
      }
      return values;
    };
  }
  return d;
}

Platform::Impl::Impl(store::ConfigStore& store, Git& git, Runner& runner, Clock& clock,
                     const access::SecretBox& secrets, PlatformOptions options)
    : role_store_(store),
      store_(role_store_),
      git_(git),
      runner_(runner),
      clock_(clock),
      secrets_(secrets),
      options_(std::move(options)),
      // store_ (the role store), never `store`: once leading, every write is fenced.
      tokens_(store_, clock),
      queue_(store_, clock,
             MakeQueueOptions(options_, [this](const Deployment& d) { return OwnerGone(d); })),
      deployer_(store_, git, runner, clock, DeployerOptionsFor(options_)) {
  if (options_.github && options_.github->api != nullptr) {
    github_runs_ = std::make_unique<GitHubRuns>(queue_, store_, clock_, *options_.github);
  }
  // An empty world until Start() loads the published one: nothing is declared yet.
  Result<WorldPtr> empty = World::Build("", {}, nullptr);
  if (empty.ok()) world_ = std::move(empty).value();
}

Platform::Impl::~Impl() { Stop(); }

std::int64_t Platform::Impl::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.WallNow().time_since_epoch())
      .count();
}

WorldPtr Platform::Impl::world() const {
  std::lock_guard<std::mutex> lock(world_mu_);
  return world_;
}

Status Platform::Impl::ReloadWorld() {
  std::string manifest;
  Result<store::Entry> entry = store_.Get(access::kManifestKey);
  if (entry.ok()) {
    manifest = entry->value;
  } else if (!IsNotFound(entry.status())) {
    return entry.status();
  }
  ODMD_ASSIGN_OR_RETURN(std::vector<CloneRecord> clones, ReadCloneRecords());
  std::vector<std::string> dropped;
  ODMD_ASSIGN_OR_RETURN(WorldPtr fresh, World::Build(manifest, std::move(clones), &dropped));
  {
    std::lock_guard<std::mutex> lock(world_mu_);
    world_ = std::move(fresh);
  }
  Wake();
  return OkStatus();
}

Result<std::vector<CloneRecord>> Platform::Impl::ReadCloneRecords() {
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> records, store_.List(access::kClonesPrefix));
  std::vector<CloneRecord> clones;
  for (const store::Entry& r : records) {
    ODMD_ASSIGN_OR_RETURN(CloneRecord c, ParseCloneRecord(r.key, r.value));
    clones.push_back(std::move(c));
  }
  return clones;
}

Status Platform::Impl::Emit(Event event) {
  Result<Event> appended = events().Append(std::move(event));
  return appended.status();
}

Status Platform::Impl::Start() {
  if (options_.state_dir.empty()) {
    return InvalidArgumentError("the platform needs a state directory (PlatformOptions)");
  }
  return StartLeading();
}

Status Platform::Impl::StartLeading() {
  // A follower that ran workers already killed what an earlier process left; what runs now
  // is its own.
  if (!working_) ODMD_RETURN_IF_ERROR(deployer_.KillLeftovers());
  ODMD_RETURN_IF_ERROR(queue_.Load());
  started_ = true;
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stopping_ = false;
  }
  // Before anything that may wait for another replica's run to end (Scan's teardown of a
  // deleted clone does): from now on, what a dead replica left running is run again once its
  // worker lease expires (OrphanLoop), so such a wait ends.
  ODMD_RETURN_IF_ERROR(StartSharedQueue(/*leader=*/true));
  ODMD_RETURN_IF_ERROR(ReloadWorld());
  // The resumed deployments' "deployment.resumed" events are in Load's commit.
  for (Deployment& d : queue_.followed()) {
    Event e;
    e.kind = "deployment.resumed";
    e.enver_id = d.enver_id;
    e.message = "deployment " + d.id + " was running when the platform stopped; its GitHub " +
                "Actions run " + std::to_string(d.run_id) + " goes on and is followed again";
    e.fields["deployment"] = d.id;
    e.fields["run_id"] = std::to_string(d.run_id);
    ODMD_RETURN_IF_ERROR(Emit(std::move(e)));
    std::lock_guard<std::mutex> lock(run_mu_);
    to_follow_.push_back(std::move(d));
  }
  {
    // A publish a crash interrupted: its version is current, its sync runs again.
    std::lock_guard<std::mutex> lock(intake_mu_);
    ODMD_RETURN_IF_ERROR(ResumeSyncLocked());
  }
  if (!world()->has_manifest()) ODMD_RETURN_IF_ERROR(Bootstrap());
  ODMD_RETURN_IF_ERROR(StartReactions());
  ODMD_RETURN_IF_ERROR(StartAwsMirror());
  ODMD_RETURN_IF_ERROR(Scan(""));
  if (options_.start_workers) {
    std::lock_guard<std::mutex> lock(run_mu_);
    for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }
  leading_ = true;
  // Last: what followers recorded while nobody led (or before this start) is acted on now.
  return StartInbox();
}

void Platform::Impl::Stop() {
  std::vector<std::thread> workers;
  // First: a run in flight on GitHub is left running (not cancelled) for the next start.
  if (github_runs_) github_runs_->Stop();
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    stopping_ = true;
    for (auto& [enver, flag] : running_) flag->Cancel();
    workers.swap(workers_);
    orphan_loop_started_ = false;  // joined below with the workers
  }
  run_cv_.notify_all();
  for (std::thread& t : workers) t.join();
  StopInbox();
  queue_watch_.reset();
  world_watches_.clear();
  StopReactions();
  if (aws_mirror_) aws_mirror_->Stop();
}

Status Platform::Impl::StartAwsMirror() {
  if (!options_.aws || (!options_.aws->ssm_products && options_.aws->event_bus.empty())) {
    return OkStatus();
  }
  if (!aws_mirror_) {
    aws_mirror_ = std::make_unique<AwsMirror>(store_, AwsMirrorOptions{.settings = *options_.aws},
                                              [this](Event e) { return Emit(std::move(e)); });
  }
  return aws_mirror_->Start();
}

Status Platform::Impl::CheckStarted() const {
  if (started_) return OkStatus();
  return FailedPreconditionError("the platform is not started yet (Platform::Start)");
}

void Platform::Impl::Wake() { run_cv_.notify_all(); }

// --- repositories ---

Status Platform::Impl::RegisterRepo(const RepoRegistration& repo) {
  ODMD_RETURN_IF_ERROR(ValidateRepoName(repo.name));
  if (repo.path.empty() || repo.path.front() != '/') {
    return InvalidArgumentError("repository " + Quote(repo.name) + ": path " + Quote(repo.path) +
                                " must be absolute");
  }
  if (!repo.remote.empty()) {
    // Before the contracts are loaded a private https remote cannot be fetched yet (its
    // installation comes from the contracts): an empty mirror is registered, and every scan
    // fetches it again.
    Status fetched = FetchMirror(repo);
    if (!fetched.ok() && !git_.ListRefs(repo.path).ok()) return fetched;
  }
  ODMD_RETURN_IF_ERROR(git_.ListRefs(repo.path));
  nlohmann::json j = {{"name", repo.name}, {"path", repo.path}};
  if (!repo.remote.empty()) j["remote"] = repo.remote;
  Result<store::WriteResult> put = store_.Put(RepoKey(repo.name), j.dump(), std::nullopt);
  return put.status();
}

Status Platform::Impl::FetchMirror(const RepoRegistration& repo) {
  FetchRequest request{repo.remote, ""};
  if (repo.remote.starts_with("https://") && options_.github &&
      options_.github->installation_token) {
    WorldPtr w = world();
    for (const model::Build& b : w->org().builds) {
      if (b.repo.FullName() != repo.name || b.repo.installation_id == 0) continue;
      Result<std::string> token = options_.github->installation_token(b.repo.installation_id);
      if (!token.ok()) {
        return UnavailableError("could not fetch " + repo.name + ": " + token.status().message());
      }
      request.header = "Authorization: Basic " + Base64("x-access-token:" + *token);
      break;
    }
  }
  return git_.Fetch(repo.path, request);
}

Result<std::vector<RepoRegistration>> Platform::Impl::ListRepos() {
  ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> entries, store_.List(kReposPrefix));
  std::vector<RepoRegistration> out;
  for (const store::Entry& e : entries) {
    ODMD_ASSIGN_OR_RETURN(RepoRegistration repo, ParseRepoRecord(e));
    out.push_back(std::move(repo));
  }
  return out;
}

Result<RepoRegistration> Platform::Impl::Repo(std::string_view repo) {
  Result<store::Entry> e = store_.Get(RepoKey(repo));
  if (IsNotFound(e.status())) {
    return NotFoundError("repository " + Quote(repo) +
                         " is not registered (odmd repo add NAME PATH)");
  }
  if (!e.ok()) return e.status();
  return ParseRepoRecord(*e);
}

Result<std::string> Platform::Impl::RepoPath(std::string_view repo) {
  ODMD_ASSIGN_OR_RETURN(RepoRegistration found, Repo(repo));
  return std::move(found.path);
}

// --- tokens ---

Result<std::string> Platform::Impl::EnverToken(std::string_view enver_id) {
  const std::string key = EnverTokenKey(enver_id);
  Result<store::Entry> sealed = store_.Get(key);
  if (sealed.ok()) return secrets_.Open(sealed->value);
  if (!IsNotFound(sealed.status())) return sealed.status();
  ODMD_ASSIGN_OR_RETURN(std::string token,
                        tokens_.Issue(access::Principal::Enver(std::string(enver_id))));
  ODMD_RETURN_IF_ERROR(store_.Put(key, secrets_.Seal(token), std::nullopt));
  return token;
}

// --- queue ---

Result<std::vector<EnqueueResult>> Platform::Impl::EnqueueAll(std::vector<EnqueueRequest> requests,
                                                              std::vector<Event> events,
                                                              std::vector<store::BatchOp> ops) {
  if (requests.empty() && events.empty() && ops.empty()) return std::vector<EnqueueResult>{};
  ODMD_ASSIGN_OR_RETURN(std::vector<EnqueueResult> results,
                        queue_.Enqueue(requests, std::move(events), std::move(ops)));
  Wake();
  return results;
}

// --- products ---

namespace {

// Checks that `path` is a product the world declares; returns it normalised.
Status CheckDeclaredProduct(const World& world, std::string_view path) {
  if (path.rfind(access::kSharePrefix, 0) != 0) {
    return InvalidArgumentError("product path " + Quote(path) + " does not start with " +
                                std::string(access::kSharePrefix));
  }
  if (!world.graph().FindProduct(path)) {
    return NotFoundError("product " + Quote(path) +
                         " is not declared by any enver of the published contracts");
  }
  return OkStatus();
}

}  // namespace

Result<store::WriteResult> Platform::Impl::PutProduct(const access::Principal& who,
                                                      std::string_view path,
                                                      std::string_view value) {
  ODMD_RETURN_IF_ERROR(CheckProductWrite(who, path));
  ODMD_RETURN_IF_ERROR(store::ValidateValue(path, value));
  if (value.size() > kMaxProductBytes) {
    return InvalidArgumentError("product " + Quote(path) + " is " + std::to_string(value.size()) +
                                " bytes, over the limit of 1 MiB");
  }
  // A versioned write: puts of one product in this process take turns; a writer in another
  // process sharing the store can still move the product between our read and our
  // compare-and-set, so that (kAborted) is retried with the value it wrote.
  std::lock_guard<std::mutex> lock(
      product_mu_[std::hash<std::string_view>{}(path) % product_mu_.size()]);
  constexpr int kMaxAttempts = 100;
  for (int attempt = 1;; ++attempt) {
    Result<store::Entry> current = store_.Get(path);
    if (current.ok() && current->value == value) {
      return store::WriteResult{current->revision, current->version};
    }
    if (!current.ok() && !IsNotFound(current.status())) return current.status();
    Result<store::WriteResult> written =
        store_.Put(path, value, current.ok() ? current->revision : store::Revision{0});
    if (written.status().code() == StatusCode::kAborted && attempt < kMaxAttempts) continue;
    if (!written.ok()) return written.status();
    // React now (in version order: still under the lock); the product watch would too,
    // later (ReactTo runs once per version). A follower leaves it to the leader's watch.
    if (!following()) ODMD_RETURN_IF_ERROR(ReactTo(std::string(path), written->version));
    return *written;
  }
}

Result<store::Entry> Platform::Impl::GetProduct(const access::Principal& who,
                                                std::string_view path) {
  WorldPtr w = world();
  ODMD_RETURN_IF_ERROR(store::ValidateKey(path));
  ODMD_RETURN_IF_ERROR(w->policy().Check(who, access::Access::kRead, path));
  Result<store::Entry> e = store_.Get(path);
  if (IsNotFound(e.status())) return NotFoundError("product " + Quote(path) + " has no value");
  return e;
}

Status Platform::Impl::CheckProductWrite(const access::Principal& who, std::string_view path) {
  WorldPtr w = world();
  ODMD_RETURN_IF_ERROR(store::ValidateKey(path));
  ODMD_RETURN_IF_ERROR(w->policy().Check(who, access::Access::kWrite, path));
  return CheckDeclaredProduct(*w, path);
}

Status Platform::Impl::CheckPublisher(const access::Principal& who) {
  if (who.kind == access::Principal::Kind::kAdmin) return OkStatus();
  WorldPtr w = world();
  const std::string contracts = w->has_manifest() ? w->ContractsEnverId() : "";
  // Its own token or its workflow group's (AccessPolicy::ActsFor).
  if (contracts.empty() ? who.kind == access::Principal::Kind::kEnver
                        : w->policy().ActsFor(who, contracts)) {
    return OkStatus();
  }
  return PermissionDeniedError("publishing the contracts needs the admin token or the token of " +
                               (contracts.empty() ? "the contracts enver" : contracts) +
                               " or of its workflow, not " + who.ToString());
}

Result<nlohmann::json> Platform::Impl::Redeploy(const access::Principal& who,
                                                std::string_view enver_id) {
  if (who.kind != access::Principal::Kind::kAdmin &&
      !(who.kind == access::Principal::Kind::kEnver && who.enver_id == enver_id)) {
    return PermissionDeniedError("redeploy of " + Quote(enver_id) + " needs the admin token");
  }
  WorldPtr w = world();
  if (!w->FindEnver(enver_id)) {
    return NotFoundError("enver " + Quote(enver_id) + " is not in the published contracts");
  }
  if (following()) {
    ODMD_ASSIGN_OR_RETURN(
        std::string key,
        RecordInbox({"redeploy", {{"enver", std::string(enver_id)}, {"who", who.ToString()}}, ""}));
    return nlohmann::json{{"accepted", true}, {"inbox", key}};
  }
  ODMD_RETURN_IF_ERROR(CheckStarted());
  EnqueueRequest r;
  r.enver_id = std::string(enver_id);
  r.cause.kind = "redeploy";
  r.cause.detail = "redeploy requested by " + who.ToString();
  r.cause.root = "redeploy:" + std::string(enver_id) + "@" + std::to_string(NowMs());
  ODMD_ASSIGN_OR_RETURN(std::vector<EnqueueResult> results, EnqueueAll({r}));
  return nlohmann::json{{"deployment", results.front().deployment_id},
                        {"superseded", results.front().superseded_id}};
}

// --- the public class forwards to Impl ---

Platform::Platform(store::ConfigStore& store, Git& git, Runner& runner, Clock& clock,
                   const access::SecretBox& secrets, PlatformOptions options)
    : impl_(std::make_unique<Impl>(store, git, runner, clock, secrets, std::move(options))) {}
Platform::~Platform() = default;
Status Platform::Start() { return impl_->Start(); }
void Platform::Stop() { impl_->Stop(); }
Status Platform::Serve() { return impl_->Serve(); }
Status Platform::Lead(store::ConfigStorePtr fenced) { return impl_->Lead(std::move(fenced)); }
Status Platform::Work(store::ConfigStorePtr fenced) { return impl_->Work(std::move(fenced)); }
bool Platform::leading() const { return impl_->leading(); }
bool Platform::following() const { return impl_->following(); }
Result<std::string> Platform::RecordInbox(const InboxRequest& r) { return impl_->RecordInbox(r); }
Status Platform::RegisterRepo(const RepoRegistration& r) { return impl_->RegisterRepo(r); }
Result<std::vector<RepoRegistration>> Platform::ListRepos() { return impl_->ListRepos(); }
// The leader's writes: a follower refuses them (the API records scans, deliveries and
// redeploys in the inbox instead).
Result<IntakeReport> Platform::Scan(std::string_view repo) {
  ODMD_RETURN_IF_ERROR(impl_->CheckLeads("a scan"));
  return impl_->Scan(repo);
}
Result<IntakeReport> Platform::IngestPush(const PushEvent& p) {
  ODMD_RETURN_IF_ERROR(impl_->CheckLeads("a push delivery"));
  return impl_->IngestPush(p);
}
Result<nlohmann::json> Platform::RotateWorkflowSecret(const access::Principal& who,
                                                      std::string_view workflow_name) {
  return impl_->RotateWorkflowSecret(who, workflow_name);  // a follower: the inbox
}
Result<nlohmann::json> Platform::IngestWorkflowRun(const WorkflowRunEvent& run) {
  ODMD_RETURN_IF_ERROR(impl_->CheckLeads("a workflow_run delivery"));
  return impl_->IngestWorkflowRun(run);
}
Result<PublishReport> Platform::PublishManifest(const access::Principal& who,
                                                std::string_view text) {
  return impl_->PublishManifest(who, text);  // a follower records it in the inbox
}
Result<store::WriteResult> Platform::PutProduct(const access::Principal& who, std::string_view path,
                                                std::string_view value) {
  return impl_->PutProduct(who, path, value);
}
Status Platform::CheckPublisher(const access::Principal& who) { return impl_->CheckPublisher(who); }
Status Platform::CheckProductWrite(const access::Principal& who, std::string_view path) {
  return impl_->CheckProductWrite(who, path);
}
Result<store::Entry> Platform::GetProduct(const access::Principal& who, std::string_view path) {
  return impl_->GetProduct(who, path);
}
Result<nlohmann::json> Platform::Redeploy(const access::Principal& who, std::string_view id) {
  return impl_->Redeploy(who, id);
}
Result<nlohmann::json> Platform::ListTeardowns() { return impl_->ListTeardowns(); }
// A follower records a retry or forget in the inbox.
Result<nlohmann::json> Platform::RetryTeardown(const access::Principal& who, std::string_view id) {
  return impl_->RetryTeardown(who, id);
}
Result<nlohmann::json> Platform::ForgetTeardown(const access::Principal& who, std::string_view id) {
  return impl_->ForgetTeardown(who, id);
}
Result<nlohmann::json> Platform::ListEnvers() { return impl_->ListEnvers(); }
Result<nlohmann::json> Platform::GetEnver(std::string_view id) { return impl_->GetEnver(id); }
Result<nlohmann::json> Platform::ListDeployments(std::string_view enver_id, int limit) {
  return impl_->ListDeployments(enver_id, limit);
}
Result<nlohmann::json> Platform::GetDeployment(std::string_view id) {
  return impl_->GetDeployment(id);
}
Result<std::string> Platform::GetLog(std::string_view id) { return impl_->GetLog(id); }
Result<nlohmann::json> Platform::ListEvents(std::int64_t after, int limit) {
  return impl_->ListEvents(after, limit);
}
Result<store::WatchHandlePtr> Platform::FollowEvents(
    std::int64_t after, std::function<void(const nlohmann::json&)> sink) {
  return impl_->FollowEvents(after, std::move(sink));
}
Result<std::vector<std::pair<std::string, std::string>>> Platform::CiContext(
    const access::Principal& who, std::string_view build, std::string_view git_ref) {
  return impl_->CiContext(who, build, git_ref);
}
Result<int> Platform::RunOnce() { return impl_->RunOnce(); }
bool Platform::WaitIdle(std::chrono::milliseconds timeout) { return impl_->WaitIdle(timeout); }

}  // namespace odmd::reconcile

#pragma once

// The platform core (DESIGN.md §3, §6): what `odmd serve` runs. It keeps reality in line
// with the contracts: git intake (local repositories, level-triggered from their refs, and
// GitHub push webhooks), commit commands and the clone lifecycle, contracts publish and
// sync, the durable deployment queue and its workers, and reactions to product changes.
// It talks to the world only through its seams: ConfigStore, Git, Runner, Clock.
//
// Every read returns JSON views (the HTTP API serves them as they are, the CLI prints them);
// their shapes are documented in docs/platform.md.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/access/principal.h"
#include "odmd/access/secrets.h"
#include "odmd/base/clock.h"
#include "odmd/base/status.h"
#include "odmd/reconcile/aws_settings.h"
#include "odmd/reconcile/git.h"
#include "odmd/reconcile/github_push.h"
#include "odmd/reconcile/github_runner.h"
#include "odmd/reconcile/runner.h"
#include "odmd/store/config_store.h"

namespace odmd::reconcile {

struct PlatformOptions {
  // Where local accounts, worktrees, logs and the process-group records live. Required.
  std::string state_dir;
  // The platform's HTTP API as build scripts reach it (ODMD_API); set by `odmd serve` once
  // it listens.
  std::string api_url;
  // The `odmd` binary build scripts call (`odmd product put`); its directory goes first in
  // the scripts' PATH. Empty: scripts get the default PATH only.
  std::string odmd_binary;
  // Deployments running at once.
  int concurrency = 2;
  // Runs of one deployment before a transient failure becomes final.
  int max_attempts = 3;
  // Backoff before the second run; doubles for every further run.
  std::chrono::milliseconds retry_backoff{2000};
  // Wall time a build script may take.
  std::chrono::milliseconds deploy_time_limit{std::chrono::minutes(30)};
  // Placeholder redeploy rounds per enver and root cause before convergence is reported
  // as failed.
  int max_rounds = 10;
  // The registered repository ("owner/name") that holds the contracts, used to bootstrap
  // an empty store. Empty: the contracts build's repo of the first published manifest.
  std::string contracts_repo;
  // What the operator must see at once, one line each, besides its event: a failed
  // bootstrap (the platform then serves without contracts). May be called from any thread.
  // Empty: events only.
  std::function<void(const std::string&)> notice;
  // Secret that GitHub signs webhooks with; empty refuses every webhook.
  std::string webhook_secret;
  // Maximum webhook payload.
  size_t max_webhook_bytes = 25u << 20;
  // GitHub delivery ids IngestPush remembers to recognise replays (oldest forgotten first).
  size_t remembered_deliveries = 1000;
  // When false, Start() does not start worker threads: tests drive RunOnce().
  bool start_workers = true;
  // AWS targets and the central account (`odmd serve --aws-config`, docs/aws-targets.md);
  // unset: every account is local and nothing is written to AWS.
  std::optional<AwsSettings> aws;
  // The cdk CLI of the CDK tail when a work dir has no node_modules/.bin/cdk ("": `cdk` on
  // the scripts' PATH), and host directories scripts see read-only at the same path (a
  // shared node_modules): DeployerOptions::cdk_binary and tool_dirs.
  std::string cdk_binary;
  std::vector<std::string> tool_dirs;
  // Extra variables every build and destroy script gets (DeployerOptions::script_env).
  std::vector<std::pair<std::string, std::string>> script_env;
  // Builds that deploy through GitHub Actions (docs/github.md, "The GitHub runner"); unset:
  // every build runs locally.
  std::optional<GitHubRunnerOptions> github;
  // This replica's id among the servers sharing the store (docs/platform.md, "Replicas"),
  // recorded with the inbox records it writes. Empty: "odmd-serve".
  std::string replica_id;
  // Replicas on one PostgreSQL store whose followers may run workers (docs/platform.md,
  // "Replicas: workers on followers"): the queue is shared (QueueOptions::shared, its
  // deployments owned by replica_id) and its mirror re-read whenever the queue records
  // change; the leader re-queues a deployment another replica left running only once that
  // replica's worker lease ("worker:<id>", `worker_lease_duration` long) expired and the
  // leader took it over, checking every `worker_check`. false: one server (SQLite).
  bool shared_queue = false;
  std::chrono::milliseconds worker_lease_duration{5000};
  std::chrono::milliseconds worker_check{1000};
  // Worker threads a follower runs once Work() is called (0: none).
  int follower_workers = 0;
};

// A write a follower received for the leader (docs/platform.md, "Replicas: the inbox"),
// recorded by Platform::RecordInbox and acted on by the leader.
struct InboxRequest {
  // "scan": payload {"repo": "owner/name" or "" for every repo} (odmd notify, POST
  // /api/notify); "github": payload {"event": X-GitHub-Event, "body": the delivery's JSON
  // text} (a push or workflow_run delivery whose signature the follower verified);
  // "redeploy": payload {"enver": "<build>/<rev>", "who": the principal that asked};
  // "publish": payload {"who": the principal that publishes}, `data` the manifest text;
  // "teardown": payload {"enver", "action": "retry" | "forget", "who"}; "rotate": payload
  // {"workflow", "who"}.
  std::string kind;
  nlohmann::json payload;
  std::string delivery;  // X-GitHub-Delivery, "" for the others
  // Stored beside the record in a value of its own (up to store::kMaxValueBytes), not in
  // its JSON: a manifest may be as large as a store value. "" for none.
  std::string data = {};
};

// Which graph Platform::Graph shows: the live one (both empty), the one at a store
// revision, or the one at the revision a contracts version was published.
struct GraphQuery {
  std::optional<store::Revision> revision;
  std::string contracts_version;
};

// A local repository registered with the platform.
struct RepoRegistration {
  std::string name;  // "owner/name", as builds name their repo in the contracts
  std::string path;  // a local git repository (bare or not)
  // Set: `path` is a mirror the platform fetches from here before it reads the repository
  // (at registration, every scan and every push delivery), e.g. the repository's clone URL
  // on GitHub. Empty: `path` is the repository itself.
  std::string remote = {};
};

// What one intake pass did.
struct IntakeReport {
  int refs_changed = 0;
  int deployments_queued = 0;
  int commands_accepted = 0;
  int commands_rejected = 0;
  // Non-empty when a push delivery changed nothing and why: "duplicate delivery" (its
  // X-GitHub-Delivery id was handled before), "already handled" (the ref is where the push
  // took it), "stale" (the ref has moved on: the push's `after` is not its current commit).
  std::string ignored;
};

// What publishing a manifest did.
struct PublishReport {
  bool changed = false;  // false: the same manifest was already current
  std::string version;
  std::string digest;
  int workflows_written = 0;  // commits the platform made into enver branches
  // Workflow files their users edited, left as they are (overwriteWorkflow false, the
  // default): "<repo> <branch> <path>", e.g. "acme/svc main .github/workflows/ODMD_x.yaml".
  std::vector<std::string> workflows_kept;
  int envers_added = 0;
  int envers_removed = 0;
  // Set on a follower replica: the inbox record it wrote for the leader, which publishes
  // the manifest from it (only version and digest are set then).
  std::string inbox;
};

class Platform {
 public:
  // Every reference must outlive the platform.
  Platform(store::ConfigStore& store, Git& git, Runner& runner, Clock& clock,
           const access::SecretBox& secrets, PlatformOptions options);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Loads the state, kills what a previous process left running and re-queues its
  // deployments, bootstraps an empty store from the contracts repo, scans every registered
  // repo, starts watching products and (start_workers) the workers.
  Status Start();
  // Cancels running deployments' waits, joins the workers, stops watching. Idempotent.
  void Stop();

  // --- replicas sharing one store (docs/platform.md, "Replicas") ---
  // Starts as a follower: serves every read from the store (the published world reloaded
  // whenever the manifest or a clone record changes, the queue's records, events), writes
  // product values and repository records directly, takes scans, GitHub deliveries and
  // redeploys into the inbox (RecordInbox), and refuses the leader's other writes
  // (kUnavailable). Runs nothing of the leader's work.
  Status Serve();
  // The follower becomes the leader: from now on it reads and writes through `fenced` (the
  // lease's fenced store) and runs what Start runs (queue, resumed deployments, bootstrap,
  // reactions, AWS mirror, scan, workers) and the inbox: the records waiting and, through a
  // watch, every new one, each acted on and deleted. REQUIRES: Serve() first, called once.
  Status Lead(store::ConfigStorePtr fenced);
  // The follower runs options.follower_workers queue workers beside the leader's, claiming
  // and finishing deployments through `fenced` (its worker lease's fenced store: every
  // write of the follower goes through it from now on). It does not run contracts builds
  // nor builds on the GitHub runner (the leader does). Kept when it is elected: it then runs
  // the leader's workers too. REQUIRES: Serve() first, shared_queue, follower_workers > 0;
  // called once, before Lead.
  Status Work(store::ConfigStorePtr fenced);
  // True once Start() or Lead() ran: this platform runs the leader's work.
  bool leading() const;
  // True after Serve() until Lead(): a follower (never true without Serve()).
  bool following() const;
  // Records `request` in the store for the leader ("/odmd/inbox/<ms>-<nonce>": kind,
  // payload, delivery, received_at_ms, replica); returns the record's key. The caller has
  // validated the request (signature, shape, who). kInvalidArgument for an unknown kind.
  Result<std::string> RecordInbox(const InboxRequest& request);

  // --- intake ---
  Status RegisterRepo(const RepoRegistration& repo);
  Result<std::vector<RepoRegistration>> ListRepos();
  // Level-triggered: compares every ref of `repo` (every registered repo when empty) with
  // what the platform last saw and handles each difference as a push. `odmd notify` and the
  // git hook call this.
  Result<IntakeReport> Scan(std::string_view repo);
  // A verified GitHub push delivery. Level-triggered like Scan: it changes nothing (and
  // says why in IntakeReport::ignored) when its delivery id was handled before (the last
  // PlatformOptions::remembered_deliveries ids are kept in the store), when the ref is already
  // where the push took it, or when the ref's current commit (in the registered local repository)
  // is not the push's `after`. kInvalidArgument (ValidatePush) before anything is recorded.
  Result<IntakeReport> IngestPush(const PushEvent& push);
  // A verified workflow_run / workflow_job delivery: wakes the deployment that follows the
  // run. {"run_id", "followed": bool (a deployment of this platform follows it)
  // [, "reason": why not, for a repository no build of the contracts is built from]}.
  // kNotFound when the delivery's installation is not the one the contracts give its
  // repository (nothing changes).
  Result<nlohmann::json> IngestWorkflowRun(const WorkflowRunEvent& run);

  // --- contracts ---
  // Validates fully, refuses a changed manifest under a published version, stores it,
  // publishes contractsLibLatest and syncs. `who` must be admin or the contracts enver.
  // On a follower: the same checks, then the manifest goes into the inbox (kind "publish";
  // PublishReport::inbox names the record) and the leader publishes it as it would have
  // (the record deleted in the publish's commit; a manifest already current publishes
  // nothing, so a record taken twice publishes once).
  Result<PublishReport> PublishManifest(const access::Principal& who, std::string_view text);
  // Who may publish, decided before a manifest is read (the API calls it before it parses
  // a body): OK for admin and for the token of the current contracts enver (any enver while
  // no contracts are published: PublishManifest then checks the manifest's own contracts
  // enver); kPermissionDenied naming the principal otherwise.
  Status CheckPublisher(const access::Principal& who);

  // --- products (build scripts, `odmd product put|get`) ---
  // `path` is "/odmd-share/<build>/<rev>/<product>". An unchanged value writes nothing and
  // returns the current version.
  Result<store::WriteResult> PutProduct(const access::Principal& who, std::string_view path,
                                        std::string_view value);
  // What PutProduct decides before it looks at the value: the path is a valid key, `who` may
  // write it and it names a declared product (the API asks before it reads a body).
  Status CheckProductWrite(const access::Principal& who, std::string_view path);
  Result<store::Entry> GetProduct(const access::Principal& who, std::string_view path);

  // --- manual ---
  Result<nlohmann::json> Redeploy(const access::Principal& who, std::string_view enver_id);
  // Failed teardowns (docs/platform.md, Teardown): {"teardowns":[{"enver","sha",
  // "contracts_version","clone","reason","attempts","failed_at_ms"}]}.
  Result<nlohmann::json> ListTeardowns();
  // Runs a failed teardown again (admin only): {"enver","succeeded","attempts"[,"reason"]}.
  // kNotFound when none is recorded; kFailedPrecondition when the enver is live again.
  // On a follower: the same checks, then {"enver", "accepted": true, "inbox"}: the leader
  // retries it (the inbox record deleted in the commit of its outcome).
  Result<nlohmann::json> RetryTeardown(const access::Principal& who, std::string_view enver_id);
  // Drops a failed teardown's record (admin only): what it left is the admin's to remove.
  // On a follower as RetryTeardown: {"enver", "accepted": true, "inbox"}.
  Result<nlohmann::json> ForgetTeardown(const access::Principal& who, std::string_view enver_id);

  // --- reads (JSON views, docs/platform.md) ---
  Result<nlohmann::json> ListEnvers();
  Result<nlohmann::json> GetEnver(std::string_view enver_id);
  Result<nlohmann::json> ListDeployments(std::string_view enver_id, int limit);
  Result<nlohmann::json> GetDeployment(std::string_view id);
  Result<std::string> GetLog(std::string_view deployment_id);
  // Events with seq > `after`, oldest first, at most `limit`.
  Result<nlohmann::json> ListEvents(std::int64_t after, int limit);
  // Calls `sink` with every event with seq > `after`, then live ones, until the handle goes.
  Result<store::WatchHandlePtr> FollowEvents(std::int64_t after,
                                             std::function<void(const nlohmann::json&)> sink);
  // --- console reads (JSON views, docs/platform.md) ---
  // Builds, envers (branch/tag/clone) and product -> consumer edges with their state.
  Result<nlohmann::json> Graph(const GraphQuery& query);
  // Graph as JSON text. The live graph's text is kept until the store's revision, the
  // contracts or the queue's active envers change, so every console reading it after one
  // change shares one computation (5,000 envers / 50,000 edges: ~12 MB).
  Result<std::shared_ptr<const std::string>> GraphText(const GraphQuery& query);
  Result<nlohmann::json> ListBuilds();
  Result<nlohmann::json> ListClones();
  // Every version of a product, newest first; `who` must be allowed to read `path`.
  Result<nlohmann::json> ProductHistory(const access::Principal& who, std::string_view path);
  Result<nlohmann::json> ListContractsVersions();
  Result<nlohmann::json> GetContracts(std::string_view version);
  Result<nlohmann::json> DiffContracts(std::string_view from, std::string_view to);
  // Downstream of a product path or of an enver (exactly one non-empty).
  Result<nlohmann::json> Impact(std::string_view product_path, std::string_view enver_id);
  // The CI context variables of docs/workflows.md for an enver ("NAME" -> value).
  Result<std::vector<std::pair<std::string, std::string>>> CiContext(const access::Principal& who,
                                                                     std::string_view build,
                                                                     std::string_view git_ref);

  // --- workflow tokens (docs/workflows.md, "Repository setup") ---
  // OK when `who` may act for enver `enver_id` (the CI context, a publish): admin, the
  // enver's own token, or its workflow group's token (access::AccessPolicy::ActsFor);
  // kPermissionDenied naming the principal, the enver and its workflow otherwise.
  Status CheckActsFor(const access::Principal& who, std::string_view enver_id);
  // The current token of workflow group `workflow_name` (what its repository secret holds),
  // issued now if it has none. kNotFound when no enver of the published contracts runs
  // that workflow; kInvalidArgument for a malformed name.
  Result<std::string> WorkflowToken(std::string_view workflow_name);
  // Issues a new token for the group and returns it; the previous one stays valid until the
  // next rotation, older ones are revoked. Errors as WorkflowToken.
  Result<std::string> RotateWorkflowToken(std::string_view workflow_name);
  // Admin only: RotateWorkflowToken, and for a build that runs on GitHub the new token into
  // the workflow's repository secret at once: {"workflow","secret","secret_set": bool
  // [,"reason": why the secret was not set (the next contracts sync sets it)]}. The token
  // itself is never returned. kPermissionDenied for anyone else; errors as WorkflowToken.
  // On a follower: the same checks, then {"workflow", "secret", "accepted": true, "inbox"}:
  // the leader rotates (the inbox record deleted in the rotation's commit).
  Result<nlohmann::json> RotateWorkflowSecret(const access::Principal& who,
                                              std::string_view workflow_name);

  // --- for tests, the demo and `serve --once` ---
  // Runs due deployments on the calling thread until none is runnable; returns how many ran.
  Result<int> RunOnce();
  // Blocks until nothing is queued or running (or `timeout` passes: false).
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace odmd::reconcile

#pragma once

// Platform::Impl: the state and threads behind odmd::reconcile::Platform. Its methods are
// spread over platform/*.cc by concern: platform.cc (lifecycle, products, reads), intake.cc
// (refs, pushes, commit commands, clones), contracts.cc (publish and sync), reactions.cc
// (product changes), dispatch.cc (workers, one deployment), views.cc (JSON views),
// graph_view.cc and console_views.cc (the console's reads).

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aws_mirror.h"
#include "graph_view.h"
#include "odmd/access/tokens.h"
#include "odmd/gen/generated_file.h"
#include "odmd/model/commit_command.h"
#include "odmd/reconcile/deployer.h"
#include "odmd/reconcile/events.h"
#include "odmd/reconcile/platform.h"
#include "odmd/reconcile/queue.h"
#include "odmd/reconcile/state.h"
#include "odmd/reconcile/worker_lease.h"
#include "role_store.h"
#include "world.h"

namespace odmd::reconcile {

struct SeenRefs;         // records.h
struct PendingTeardown;  // records.h
class GitHubRuns;        // github_runs.h
struct WorkflowFile;     // ../github_workflow_sync.h

// One ref change of one repository, from a local scan or a GitHub push delivery.
struct RefChange {
  std::string repo;     // "owner/name"
  std::string ref;      // "refs/heads/main"
  std::string old_sha;  // "" when created
  std::string new_sha;  // "" when deleted
  // Commit messages of the push, oldest first (with their shas).
  std::vector<std::string> messages;
  std::vector<std::string> shas;
};

// What the commit commands of one ref change did.
struct CommandsOutcome {
  bool created = false;       // a create made at least one clone
  bool ends_deleted = false;  // the last accepted command was a delete: nothing to deploy
};

class Platform::Impl {
 public:
  Impl(store::ConfigStore& store, Git& git, Runner& runner, Clock& clock,
       const access::SecretBox& secrets, PlatformOptions options);
  ~Impl();

  // platform.cc
  // MakeDeployerOptions plus what reads the platform's state (an enver's secrets).
  DeployerOptions DeployerOptionsFor(const PlatformOptions& o);
  Status Start();
  void Stop();
  // replicas.cc: follower and leader (Platform::Serve, Lead).
  Status Serve();
  Status Lead(store::ConfigStorePtr fenced);
  Status Work(store::ConfigStorePtr fenced);
  bool leading() const { return leading_; }
  // Serves as a follower (Serve) and does not lead yet: the leader's writes are refused or
  // go to the inbox, product puts do not react (the leader's reaction watch does).
  bool following() const { return following_ && !leading_; }
  // kUnavailable naming `what` on a follower (the leader does it); OK otherwise.
  Status CheckLeads(std::string_view what) const;
  // inbox.cc
  Result<std::string> RecordInbox(const InboxRequest& request);
  Status RegisterRepo(const RepoRegistration& repo);
  // Fetches a mirror registration's remote into its path (with an installation token for
  // an https remote of a GitHub build).
  Status FetchMirror(const RepoRegistration& repo);
  Result<std::vector<RepoRegistration>> ListRepos();
  Result<store::WriteResult> PutProduct(const access::Principal& who, std::string_view path,
                                        std::string_view value);
  Result<store::Entry> GetProduct(const access::Principal& who, std::string_view path);
  Status CheckPublisher(const access::Principal& who);
  Status CheckProductWrite(const access::Principal& who, std::string_view path);
  Result<nlohmann::json> Redeploy(const access::Principal& who, std::string_view enver_id);

  // intake.cc
  Result<IntakeReport> Scan(std::string_view repo);
  Result<IntakeReport> IngestPush(const PushEvent& push);
  // doc_paths.cc: a "doc.missing" warning (event) for each context document of enver `e` of
  // `b` (model/docs.h) that commit `sha` of the repository at `repo_path` lacks; an "alert"
  // when git cannot tell. Never blocks a deployment: only an event write fails it.
  Status ReportMissingDocs(const model::Build& b, const model::Enver& e,
                           const std::string& repo_path, const std::string& sha);

  // contracts.cc
  // Platform::PublishManifest; `with`: writes committed with the publish (the deletion of
  // the inbox record it comes from). A follower records it in the inbox (RecordPublish).
  Result<PublishReport> PublishManifest(const access::Principal& who, std::string_view text,
                                        std::vector<store::BatchOp> with = {});

  // dispatch.cc
  Result<int> RunOnce();
  bool WaitIdle(std::chrono::milliseconds timeout);

  // views.cc
  Result<nlohmann::json> ListEnvers();
  Result<nlohmann::json> GetEnver(std::string_view enver_id);
  Result<nlohmann::json> ListDeployments(std::string_view enver_id, int limit);
  Result<nlohmann::json> GetDeployment(std::string_view id);
  Result<std::string> GetLog(std::string_view deployment_id);
  Result<nlohmann::json> ListEvents(std::int64_t after, int limit);
  Result<store::WatchHandlePtr> FollowEvents(std::int64_t after,
                                             std::function<void(const nlohmann::json&)> sink);
  Result<std::vector<std::pair<std::string, std::string>>> CiContext(const access::Principal& who,
                                                                     std::string_view build,
                                                                     std::string_view git_ref);

  // graph_view.cc, console_views.cc: the console's reads
  Result<nlohmann::json> Graph(const GraphQuery& query);
  Result<std::shared_ptr<const std::string>> GraphText(const GraphQuery& query);
  Result<nlohmann::json> ListBuilds();
  Result<nlohmann::json> ListClones();
  Result<nlohmann::json> ProductHistory(const access::Principal& who, std::string_view path);
  Result<nlohmann::json> ListContractsVersions();
  Result<nlohmann::json> GetContracts(std::string_view version);
  Result<nlohmann::json> DiffContracts(std::string_view from, std::string_view to);
  Result<nlohmann::json> Impact(std::string_view product_path, std::string_view enver_id);

 private:
  // --- graph_view.cc ---
  // A published contracts version: its manifest and the store revision at which it became
  // the manifest. kNotFound naming `version` when it was never published.
  struct ContractsVersionAt {
    store::Revision revision = 0;
    std::string manifest;
  };
  Result<ContractsVersionAt> ResolveContractsVersion(std::string_view version);
  ViewRecordCache view_records_;
  // The live graph's text and what it was computed from (GraphText).
  struct GraphTextCache {
    std::mutex mu;
    store::Revision revision = -1;
    WorldPtr world;
    std::vector<std::string> active;
    std::shared_ptr<const std::string> text;
  } graph_text_;
  // ListContractsVersions' answer and the store revision it was read at: listing the
  // versions reads every published manifest (~12 MB each for 5,000 envers).
  struct ContractsVersionsCache {
    std::mutex mu;
    store::Revision revision = -1;
    nlohmann::json versions;
  } contracts_versions_;

  // --- views.cc ---
  // One enver as ListEnvers shows it; `active` holds the envers with queued or running work.
  Result<nlohmann::json> EnverItem(const World& w, model::EnverIndex i,
                                   const std::set<std::string>& active);

  // --- replicas.cc ---
  // Start's leader part (everything after the queue is loaded), shared by Start and Lead.
  Status StartLeading();
  // A follower's world follows the store: reloaded when the manifest or a clone record
  // changes at a revision after the one it was last loaded at.
  void FollowWorld(store::Revision changed);
  // The envers with queued or running work: the queue's mirror on the leader, the queue
  // records in the store on a follower.
  Result<std::vector<std::string>> ActiveEnvers();
  std::atomic<bool> following_{false};
  std::atomic<bool> leading_{false};
  std::mutex follow_mu_;
  store::Revision world_seen_ = 0;  // guarded by follow_mu_
  std::vector<store::WatchHandlePtr> world_watches_;

  // --- replicas.cc: the shared queue, workers on followers (issue 18) ---
  // Shared queue only: a watch of kQueuePrefix that marks the mirror stale (RunOne re-reads
  // it); on the leader (`leader`) also the thread that re-queues what gone replicas left
  // running (OrphanLoop). Idempotent.
  Status StartSharedQueue(bool leader);
  void OrphanLoop();
  // QueueOptions::owner_gone: OwnerCheck on the plain store (worker_lease.h).
  Result<bool> OwnerGone(const Deployment& d);
  // The first error OwnerGone met since the last call ("" if none), for OrphanLoop's alert.
  std::string TakeOwnerError();
  // Whether this follower may run `d` (not a contracts build, not a GitHub runner's).
  bool FollowerMayRun(const World& w, const Deployment& d) const;
  std::atomic<bool> working_{false};      // Work() ran: this process runs follower workers
  std::atomic<bool> queue_stale_{false};  // the queue records changed since the last read
  store::WatchHandlePtr queue_watch_;
  bool orphan_loop_started_ = false;  // guarded by run_mu_
  std::mutex owner_check_mu_;
  std::unique_ptr<OwnerCheck> owner_check_;  // made on first use
  std::string owner_error_;                  // guarded by owner_check_mu_

  // --- inbox.cc: the leader takes the inbox ---
  Status StartInbox();
  void StopInbox();
  void InboxLoop();
  // Acts on the record at `key` (if it is still there) and deletes it.
  Status TakeInbox(const std::string& key);
  // True when the action deleted the record in its own commit.
  Result<bool> ActOnInbox(const store::Entry& record, const nlohmann::json& j);
  bool InboxIdle();
  // The deletion of the record (at its revision) and of its data value, if it has one.
  Result<std::vector<store::BatchOp>> InboxDeletes(const store::Entry& record,
                                                   const nlohmann::json& j);
  // A "publish" record: PublishManifest with the record's deletion in the publish's commit.
  Result<bool> PublishFromInbox(const store::Entry& record, const nlohmann::json& j);
  // A "teardown" record: RetryTeardown or ForgetTeardown with the record's deletion in its
  // commit; a failed teardown that is gone already leaves nothing to do.
  Result<bool> TeardownFromInbox(const store::Entry& record, const nlohmann::json& j);
  // contracts.cc, what a follower and the leader check before a publish writes anything:
  // the manifest read fully (kInvalidArgument with its violations) and `who` allowed to
  // publish it (kPermissionDenied).
  Result<model::Org> ReadPublishable(const access::Principal& who, std::string_view text,
                                     const World& before);
  // The revision of org.version's published copy, none when it is not published;
  // kFailedPrecondition when it is published with another digest.
  Result<std::optional<store::Revision>> PublishedVersion(const model::Org& org,
                                                          std::string_view digest);
  // A follower's publish: checked as the leader checks it, then into the inbox.
  Result<PublishReport> RecordPublish(const access::Principal& who, std::string_view text);
  store::WatchHandlePtr inbox_watch_;
  std::mutex inbox_mu_;
  std::condition_variable inbox_cv_;
  std::deque<std::string> inbox_backlog_;
  std::set<std::string> inbox_retrying_;  // records whose taking failed, alerted once
  int inbox_in_flight_ = 0;
  bool inbox_stop_ = false;
  std::thread inbox_thread_;

  // --- platform.cc ---
  WorldPtr world() const;
  // Rebuilds the world from the store (manifest + clone records) and swaps it in.
  Status ReloadWorld();
  std::int64_t NowMs() const;
  Status Emit(Event event);
  Status CheckStarted() const;
  Result<RepoRegistration> Repo(std::string_view repo);  // NotFound: not registered
  Result<std::string> RepoPath(std::string_view repo);
  // The enver's token, issued and sealed on first use.
  Result<std::string> EnverToken(std::string_view enver_id);
  // Queues `requests` with `events` and the caller's `ops` in one commit (queue.h).
  Result<std::vector<EnqueueResult>> EnqueueAll(std::vector<EnqueueRequest> requests,
                                                std::vector<Event> events = {},
                                                std::vector<store::BatchOp> ops = {});
  // Every record under /odmd/clones/.
  Result<std::vector<CloneRecord>> ReadCloneRecords();
  Status Bootstrap();

  // --- intake.cc ---
  Result<IntakeReport> ScanRepo(const RepoRegistration& repo);
  void TakePlatformCommits(const std::string& repo, std::map<std::string, std::string>& refs);
  Status ApplyRefChange(const RefChange& change, IntakeReport& report);
  // Why a pushed `change` changes nothing ("already handled", "stale"); "" when it does.
  Result<std::string> WhyPushChangesNothing(const RefChange& change, const SeenRefs& seen);

  // --- commands.cc ---
  // Answers every commit command of `change` in the order written (an event each).
  Result<CommandsOutcome> ApplyCommands(const RefChange& change, IntakeReport& report);
  // `made`: the clones earlier commands of this change created (a second create of one is
  // refused, not taken for a crash's retry).
  Status HandleCreate(const model::CommitCommand& cmd, const RefChange& change,
                      std::set<std::string>& made, IntakeReport& report);
  Status HandleDelete(const model::CommitCommand* cmd, const RefChange& change,
                      IntakeReport& report);
  Status Reject(const RefChange& change, std::string command, std::string reason,
                std::string suggestion, IntakeReport& report);

 public:  // used by contracts.cc and dispatch.cc too
  // Tears a clone down: cancels its work, runs its teardown, tombstones its products,
  // revokes its token, deletes its record.
  Status DeleteClone(const std::string& clone_id, const std::string& why);
  // Records a new clone: its record, its sealed token and `told` (its events) in one
  // commit (a crash leaves the clone whole or absent), then reloads the world.
  Status RecordClone(const CloneRecord& record, std::vector<Event> told);
  // Tears a static enver that left the contracts down (products tombstoned, token revoked).
  // A destroy that fails leaves a PendingTeardown and `teardown.failed` in its last commit.
  Status TearDown(const WorldPtr& world, const std::string& enver_id, const std::string& why);

  // teardowns.cc
  Result<nlohmann::json> ListTeardowns();
  // Platform::RetryTeardown and ForgetTeardown; `with`: writes committed with the outcome
  // (the deletion of the inbox record it comes from). A follower checks it and records it
  // in the inbox (RecordTeardownAction).
  Result<nlohmann::json> RetryTeardown(const access::Principal& who, std::string_view enver_id,
                                       std::vector<store::BatchOp> with = {});
  Result<nlohmann::json> ForgetTeardown(const access::Principal& who, std::string_view enver_id,
                                        std::vector<store::BatchOp> with = {});
  // A follower's retry or forget: the failed teardown exists (kNotFound), a retried enver is
  // not live again (CheckNotLive), then an inbox record {"enver", "action", "who"}.
  Result<nlohmann::json> RecordTeardownAction(const access::Principal& who,
                                              std::string_view enver_id, bool retry);
  // kFailedPrecondition when `enver_id` is in the contracts or a clone again.
  Status CheckNotLive(std::string_view enver_id);
  Event TeardownFailedEvent(const PendingTeardown& t);
  // The teardown again, in the world of t.contracts_version (plus t.clone).
  Result<DeployOutcome> RunPendingTeardown(const PendingTeardown& t);
  // Stops a running deployment of `enver_id` and waits until it ended.
  void CancelAndWait(const std::string& enver_id, const std::string& why);
  // What the deployer needs to run `enver_id` of `world` (which must outlive the target).
  Result<DeployTarget> TargetFor(const WorldPtr& world, const std::string& enver_id);

 private:
  // --- contracts.cc ---
  // Brings tokens, workflows, roles and teardowns in line with `after` (each step
  // idempotent) and returns the deployments to queue for added and changed envers.
  Result<std::vector<EnqueueRequest>> Sync(const WorldPtr& before, const WorldPtr& after,
                                           PublishReport& report);
  // Sync, then one commit: the deployments, "contracts.published" and the deletion of the
  // sync intent (at `intent_revision`).
  Status FinishSync(const WorldPtr& before, const WorldPtr& after, store::Revision intent_revision,
                    PublishReport& report);
  // Finishes a publish whose sync a crash interrupted (kContractsSyncKey present).
  // REQUIRES: intake_mu_ held.
  Status ResumeSyncLocked();
  // Commits the generated workflows of `builds` into their branches (only `only_ref` when
  // set). Inside a scan (`in_scan`) the new heads are left in platform_commits_ for the scan
  // to record; otherwise the intake record is updated directly.
  Status WriteWorkflows(const WorldPtr& world, const std::set<std::string>& builds,
                        PublishReport& report, std::string_view only_ref = {},
                        bool in_scan = false);
  // A workflow file its users edited, kept (overwriteWorkflow false): in the report and a
  // "workflow.kept" event.
  void NoteKeptWorkflow(const std::string& repo, const std::string& branch, const std::string& path,
                        PublishReport& report);

  // --- platform.cc: products to AWS (aws_mirror.h) ---
  Status StartAwsMirror();

  // --- reactions.cc ---
  Status StartReactions();
  void StopReactions();
  void ReactionLoop();

 public:
  // Applies the reactions to version `version` of product `path`, once per (path, version).
  Status ReactTo(const std::string& path, store::Version version);
  // ReactTo, also committing the reaction loop's `cursor` with the reactions when there are
  // any; true when it did (else the caller writes the cursor alone).
  Result<bool> React(const std::string& path, store::Version version,
                     std::optional<store::Revision> cursor);
  bool ReactionsIdle();

 private:
  // --- dispatch.cc ---
  void WorkerLoop();
  // Claims and runs one deployment; false when none is runnable.
  Result<bool> RunOne();
  void Execute(Deployment d);
  bool Ready(const Deployment& d, std::set<std::string>& blocked, bool& computed);
  void Wake();

 public:
  // Where every read and write goes: the plain store while following, the fenced store once
  // leading (role_store.h). store_ is it.
  RoleStore role_store_;
  store::ConfigStore& store_;
  Git& git_;
  Runner& runner_;
  Clock& clock_;
  const access::SecretBox& secrets_;
  const PlatformOptions options_;
  access::TokenRegistry tokens_;
  DeploymentQueue queue_;
  EventLog& events() { return queue_.events(); }
  Deployer deployer_;

 private:
  mutable std::mutex world_mu_;
  WorldPtr world_;
  // Serialises intake, publish/sync and clone deletion (they change refs, clones, manifest).
  std::mutex intake_mu_;
  // "<repo>:<ref>" -> the head of a commit the platform made during the current scan.
  std::map<std::string, std::string> platform_commits_;

  // PutProduct: puts of one product take turns (a stripe per path hash), so a concurrent
  // writer never fails another's compare-and-set and each version reacts in order.
  std::array<std::mutex, 64> product_mu_;

  // Dispatch.
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<CancelFlag>> running_;  // by enver id
  std::vector<std::thread> workers_;
  // Deployments per (enver, root cause), for bounded convergence.
  std::map<std::pair<std::string, std::string>, int> rounds_;

  store::WatchHandlePtr product_watch_;
  std::mutex reactions_mu_;
  std::condition_variable reactions_cv_;
  std::deque<store::ChangeEvent> reaction_backlog_;
  int reactions_in_flight_ = 0;
  bool reactions_stop_ = false;
  std::thread reactions_thread_;
  // One reaction at a time; what was handled is in the store (kReactionsDonePrefix).
  std::mutex reacted_mu_;
  std::atomic<bool> started_{false};  // the queue is loaded: writes may go on
  // Products to SSM and EventBridge (PlatformOptions::aws); null without AWS.
  std::unique_ptr<AwsMirror> aws_mirror_;

 public:
  // --- github_runs.cc: GitHub Actions as the runner (PlatformOptions::github) ---
  // Null unless PlatformOptions::github has an api.
  std::unique_ptr<GitHubRuns> github_runs_;
  // Deployments whose GitHub run went on while the platform was down (guarded by run_mu_).
  std::deque<Deployment> to_follow_;
  Result<nlohmann::json> IngestWorkflowRun(const WorkflowRunEvent& run);
  // github_sync.cc: WriteWorkflows for a build that runs on GitHub (Git data API, the
  // default branch too), then PutWorkflowSecrets. GitHub's refusals are "alert" events.
  Status WriteWorkflowsToGitHub(const WorldPtr& world, const model::Build& build,
                                const std::vector<gen::GeneratedFile>& generated,
                                PublishReport& report, std::string_view only_ref, bool in_scan);
  // Puts each workflow group's current token into its repository secret unless the secret
  // already holds it; a refusal is an "alert" event.
  Status PutWorkflowSecrets(const model::Build& build, const std::vector<WorkflowFile>& files);
  // One group's: true when it put the secret, false when the secret already held the token.
  Result<bool> PutWorkflowSecret(const model::Build& build, const std::string& workflow_name);
  // `with`: writes committed with the rotation (the deletion of the inbox record it comes
  // from). A follower checks it and records it in the inbox (RecordRotation).
  Result<nlohmann::json> RotateWorkflowSecret(const access::Principal& who,
                                              std::string_view workflow_name,
                                              std::vector<store::BatchOp> with = {});
  // workflow_tokens.cc: a follower's rotation: admin, a valid name of a workflow group of the
  // published contracts, then an inbox record {"workflow", "who"}.
  Result<nlohmann::json> RecordRotation(const access::Principal& who,
                                        std::string_view workflow_name);
  // The platform made `new_head` on `ref` of `repo` on top of `old_head`: not a push to
  // deploy (platform_commits_ inside a scan, else the intake record).
  void RecordPlatformCommit(const std::string& repo, const std::string& ref,
                            const std::string& old_head, const std::string& new_head, bool in_scan);

  // --- workflow_tokens.cc: one token per workflow group, the token a generated workflow's
  // repository secret holds (issue 14 point 4; docs/workflows.md, "Repository setup"). ---
 public:
  // Issues a token to every workflow group of `world` that has none and revokes the tokens
  // of groups it no longer has (registry records and sealed copy in one commit per chunk).
  // Idempotent; Sync calls it after the enver tokens.
  Status SyncWorkflowTokens(const World& world);
  // The current token of group `workflow_name`, issued now if the group has none yet (a
  // store from before workflow tokens). kNotFound when the published contracts have no such
  // group; kInvalidArgument for a malformed name.
  Result<std::string> WorkflowToken(std::string_view workflow_name);
  // A new token for the group, returned once; the previous one stays valid until the next
  // rotation (a run in flight with the old secret can still publish), older ones are
  // revoked, all in one commit with a "workflow.token.rotated" event. Errors as
  // WorkflowToken. `with`: written in the same commit.
  Result<std::string> RotateWorkflowToken(std::string_view workflow_name,
                                          std::vector<store::BatchOp> with = {});
  // OK when `who` may act for `enver_id` (AccessPolicy::ActsFor); kPermissionDenied naming
  // the principal, the enver and the enver's workflow otherwise.
  Status CheckActsFor(const access::Principal& who, std::string_view enver_id);

 private:
  // Issues the missing tokens of `names` (one commit). REQUIRES: workflow_tokens_mu_ held.
  Status IssueWorkflowTokensLocked(const std::vector<std::string>& names);
  // Serialises the issue, revocation and rotation of workflow tokens. Lock order: taken
  // after intake_mu_ (Sync holds it), never held while taking intake_mu_.
  std::mutex workflow_tokens_mu_;
};

}  // namespace odmd::reconcile

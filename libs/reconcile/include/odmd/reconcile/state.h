#pragma once

// The platform's records in the ConfigStore (docs/platform.md, the layout of issue 5):
// deployments, queue records and events, their JSON codecs and the keys they live under.
// Every record is JSON; readers are strict: a malformed record is kFailedPrecondition naming
// its key and the JSON pointer of the bad field (the store must be repaired first).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/base/status.h"
#include "odmd/store/entry.h"

namespace odmd::reconcile {

// --- store layout: key prefixes and fixed keys (all state lives in the ConfigStore) ---

// Contracts manifest and its published versions (access::kManifestKey is the manifest).
inline constexpr std::string_view kContractsPrefix = "/odmd/contracts/";
// A publish's sync in progress: {"version","digest","from"} (from: the version it replaced,
// "" for none). Written in the commit that makes the version current, deleted in the commit
// that records its "contracts.published" event; found at start, the sync runs again.
inline constexpr std::string_view kContractsSyncKey = "/odmd/contracts/sync";
// "/odmd/contracts/versions/<version>": the manifest text of each published version.
inline constexpr std::string_view kContractsVersionsPrefix = "/odmd/contracts/versions/";
// "/odmd/reactions/done/<build>/<rev>/<product>": the store revision of the product's last
// version the reactions handled, written in the commit of those reactions.
inline constexpr std::string_view kReactionsDonePrefix = "/odmd/reactions/done/";
// The revision of the last product change the reaction loop took from its watch.
inline constexpr std::string_view kReactionsCursorKey = "/odmd/reactions/cursor";
// "/odmd/clones/<build>/<cloneRev>": {"origin","git_ref","created_at"}.
inline constexpr std::string_view kClonesPrefix = "/odmd/clones/";
// Token hashes (access::TokenRegistry).
inline constexpr std::string_view kTokensPrefix = "/odmd/tokens/";
// "/odmd/enver-tokens/<build>/<rev>": the enver's platform token, sealed.
inline constexpr std::string_view kEnverTokensPrefix = "/odmd/enver-tokens/";
// "/odmd/repos/<owner>/<name>": {"name","path"}.
inline constexpr std::string_view kReposPrefix = "/odmd/repos/";
// "/odmd/intake/<owner>/<name>": {"refs": {"<ref>": "<sha>"}}, the refs last handled.
inline constexpr std::string_view kIntakePrefix = "/odmd/intake/";
// "/odmd/queue/<build>/<rev>": QueueRecord.
inline constexpr std::string_view kQueuePrefix = "/odmd/queue/";
// "/odmd/inbox/<ms>-<nonce>": a write a follower received for the leader (Platform::RecordInbox).
inline constexpr std::string_view kInboxPrefix = "/odmd/inbox/";
// "/odmd/inbox-data/<ms>-<nonce>": the data of the inbox record of the same name (a "publish"
// record's manifest text), written and deleted with it.
inline constexpr std::string_view kInboxDataPrefix = "/odmd/inbox-data/";
// "/odmd-share/<build>/<rev>/share..version" ends so: an enver's consumed-versions record
// (model::ConsumedVersionsPath), not a product.
inline constexpr std::string_view kConsumedSuffix = "/share..version";
// "/odmd/deployments/<id>": Deployment.
inline constexpr std::string_view kDeploymentsPrefix = "/odmd/deployments/";
// Counters: the last allocated number, as decimal text ("0" when none yet).
inline constexpr std::string_view kDeploymentSeqKey = "/odmd/seq/deployments";
inline constexpr std::string_view kEventSeqKey = "/odmd/seq/events";
// "/odmd/logs/<deployment id>": the build script's log, its last kMaxLogBytes.
inline constexpr std::string_view kLogsPrefix = "/odmd/logs/";
inline constexpr std::size_t kMaxLogBytes = std::size_t{1} << 20;
// "/odmd/events/<seq, 12 digits zero-padded>": Event.
inline constexpr std::string_view kEventsPrefix = "/odmd/events/";
// "/odmd/envers/<build>/<rev>": {"enver","sha","status","deployment","deployed_at_ms"}.
inline constexpr std::string_view kEnversPrefix = "/odmd/envers/";
// "/odmd/roles/<build>/...": generated role templates.
inline constexpr std::string_view kRolesPrefix = "/odmd/roles/";
// "/odmd-share/<build>/<rev>/<product>": product values.
inline constexpr std::string_view kSharePrefix = "/odmd-share/";

// "d" + 10 digits, zero-padded: FormatDeploymentId(42) is "d0000000042". Ids sort by
// number as strings. REQUIRES: 0 <= n < 10^10.
std::string FormatDeploymentId(std::int64_t n);
// The number of a deployment id; nullopt unless `id` is exactly "d" + 10 digits.
std::optional<std::int64_t> ParseDeploymentId(std::string_view id);

// "/odmd/deployments/<id>".
std::string DeploymentKey(std::string_view id);
// "/odmd/queue/<enver id>" ("/odmd/queue/<build>/<rev>").
std::string QueueKey(std::string_view enver_id);
// "/odmd/events/<seq, 12 digits zero-padded>". REQUIRES: 0 <= seq < 10^12.
std::string EventKey(std::int64_t seq);
// The seq of an event key; nullopt unless `key` is kEventsPrefix + 12 digits.
std::optional<std::int64_t> ParseEventKey(std::string_view key);
// "/odmd/logs/<deployment id>".
std::string LogKey(std::string_view deployment_id);
// "/odmd/envers/<enver id>".
std::string EnverStateKey(std::string_view enver_id);
// "/odmd/enver-tokens/<enver id>".
std::string EnverTokenKey(std::string_view enver_id);
// "/odmd/repos/<owner>/<name>".
std::string RepoKey(std::string_view repo);
// "/odmd/intake/<owner>/<name>".
std::string IntakeKey(std::string_view repo);

// The counter text of kDeploymentSeqKey / kEventSeqKey ("42").
std::string FormatCounter(std::int64_t n);
// A counter's value; kFailedPrecondition naming `key` unless `text` is a decimal number >= 0.
Result<std::int64_t> ParseCounter(std::string_view key, std::string_view text);

// --- records ---

// Stored (as its name): never rename.
enum class DeploymentState { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kSuperseded };

// "queued", "running", "succeeded", "failed", "cancelled", "superseded".
std::string_view DeploymentStateName(DeploymentState state);
std::optional<DeploymentState> ParseDeploymentState(std::string_view name);
// True for kSucceeded, kFailed, kCancelled and kSuperseded: the deployment will not run again.
bool IsFinal(DeploymentState state);

// Why a deployment was queued.
struct Cause {
  // "push", "reaction", "placeholder", "clone", "redeploy", "bootstrap", "contracts".
  std::string kind;
  // One sentence, e.g. "push of refs/heads/main 1a2b3c4 to acme/svc".
  std::string detail;
  // The dedup key of the originating change: "push:acme/svc@<sha>",
  // "product:/odmd-share/a/b..main/x@3". A pending deployment with the same root absorbs a
  // new request instead of being superseded by it.
  std::string root;

  friend bool operator==(const Cause&, const Cause&) = default;
};

// A product value a deployment consumed when it ran.
struct ConsumedValue {
  std::string consumer;
  std::string path;
  store::Version version = 0;
  // True when the value given to the script was the consumer's placeholder.
  bool placeholder = false;

  friend bool operator==(const ConsumedValue&, const ConsumedValue&) = default;
};

// One run request of an enver's build script, from queued to a final state.
struct Deployment {
  std::string id;        // FormatDeploymentId
  std::string enver_id;  // "<build>/<rev>"
  std::string sha;       // the commit to deploy; empty: resolve the ref head at start
  DeploymentState state = DeploymentState::kQueued;
  Cause cause;
  int attempt = 0;  // runs started so far
  // Wall times in ms since the epoch; 0 when not yet.
  std::int64_t queued_at_ms = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t not_before_ms = 0;       // a retry waits until then; 0: due at once
  std::string reason;                   // why failed/cancelled/superseded, or ""
  std::string owner;                    // the platform instance that runs/ran it
  int exit_code = -1;                   // of the last run; -1 when none finished
  std::vector<ConsumedValue> consumed;  // set when it ran
  std::vector<std::string> published;   // product paths it changed
  // A deployment run by GitHub Actions (docs/github.md, "The GitHub runner"): the workflow
  // run that carries it (0: none yet, or a local run) and its page. Recorded as soon as the
  // dispatch answers, so a restarted platform follows the run instead of dispatching again.
  std::int64_t run_id = 0;
  std::string run_url;

  friend bool operator==(const Deployment&, const Deployment&) = default;
};

// {"id","enver","sha","state","cause":{"kind","detail","root"},"attempt","queued_at_ms",
//  "started_at_ms","finished_at_ms","not_before_ms","reason","owner","exit_code",
//  "consumed":[{"consumer","path","version","placeholder"}],"published":[paths]
//  [,"run_id","run_url"]}  (run_*: only when run_id is not 0; read as 0 and "" when absent)
// Strings that are not valid UTF-8 have each bad byte replaced by U+FFFD (build output is
// arbitrary bytes; JSON is not).
nlohmann::json ToJson(const Deployment& deployment);
// ToJson(deployment) as compact JSON text (the stored form), written directly: the queue
// writes thousands of records per commit.
std::string ToJsonText(const Deployment& deployment);
// Every field above is required with its type; unknown fields are ignored.
// kFailedPrecondition: "deployment record <where>: field \"/cause/root\" is missing".
Result<Deployment> DeploymentFromJson(const nlohmann::json& json, std::string_view where);
// DeploymentFromJson of `text`; kFailedPrecondition naming `where` if it is not JSON.
Result<Deployment> ParseDeployment(std::string_view text, std::string_view where);

// Something that happened, for `odmd events` and the console. Appended by EventLog.
struct Event {
  std::int64_t seq = 0;      // assigned by EventLog: 1, 2, 3, ... in commit order
  std::int64_t time_ms = 0;  // assigned by EventLog: wall ms since the epoch
  // "push", "ref.deleted", "command.accepted", "command.rejected", "clone.created",
  // "clone.deleted", "deployment.queued", "deployment.started", "deployment.succeeded",
  // "deployment.failed", "deployment.cancelled", "alert", "contracts.published",
  // "contracts.refused", "convergence.failed", "product.published", "teardown.failed",
  // "teardown.retried", "teardown.forgotten", "workflow.kept", "doc.missing".
  std::string kind;
  std::string enver_id;    // may be empty
  std::string message;     // one sentence saying what happened and why
  std::string suggestion;  // what to do instead (rejections), or ""
  // Extra: "sha", "ref", "repo", "deployment", "command", "product", "version", ...
  std::map<std::string, std::string> fields;
  // The store revision of the event's record: set by EventLog when it commits or reads the
  // record back (List, Follow); 0 before. Not part of the stored record.
  store::Revision revision = 0;

  friend bool operator==(const Event&, const Event&) = default;
};

// {"seq","time_ms","kind","enver","message","suggestion","fields":{...},"revision"}
nlohmann::json ToJson(const Event& event);
// The stored record: ToJson without "revision" (a record cannot know its own revision).
std::string ToJsonText(const Event& event);
// Strict as DeploymentFromJson ("event record <where>: ...").
Result<Event> EventFromJson(const nlohmann::json& json, std::string_view where);
Result<Event> ParseEvent(std::string_view text, std::string_view where);

// An enver's queue slot ("/odmd/queue/<build>/<rev>"): at most one pending and one running
// deployment. Ids are "" when none (null in JSON).
struct QueueRecord {
  std::string pending;
  std::string running;

  friend bool operator==(const QueueRecord&, const QueueRecord&) = default;
};

// {"pending": "<id>"|null, "running": "<id>"|null}
nlohmann::json ToJson(const QueueRecord& record);
std::string ToJsonText(const QueueRecord& record);

// `text` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);
// Strict as DeploymentFromJson ("queue record <where>: ...").
Result<QueueRecord> QueueRecordFromJson(const nlohmann::json& json, std::string_view where);
Result<QueueRecord> ParseQueueRecord(std::string_view text, std::string_view where);

}  // namespace odmd::reconcile

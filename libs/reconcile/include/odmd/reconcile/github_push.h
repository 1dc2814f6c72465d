#pragma once

// GitHub webhook intake, pure part: verifying the X-Hub-Signature-256 header and parsing a
// delivery (X-GitHub-Event plus JSON body) into a WebhookEvent. No sockets here: the HTTP
// receiver (apps/odmd-server) reads the request and hands the header values and body over.
//
//   ODMD_RETURN_IF_ERROR(VerifyGitHubSignature(secret, body, signature_header));
//   ODMD_ASSIGN_OR_RETURN(WebhookEvent event,
//                         ParseGitHubWebhook(event_header, body, kMaxGitHubPayloadBytes));
//   if (event.kind == WebhookEventKind::kPush) { ... event.push->after ... }

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "odmd/base/status.h"

namespace odmd::reconcile {

// GitHub caps webhook payloads at 25 MB and drops larger deliveries; the receiver passes
// this (or a smaller limit) as `max_bytes`.
inline constexpr size_t kMaxGitHubPayloadBytes = 25 * 1024 * 1024;

// The 40-hex-digit object id GitHub sends as `before` of a created ref and `after` of a
// deleted one.
inline constexpr std::string_view kGitHubZeroSha = "0000000000000000000000000000000000000000";

// Checks `header` (the value of X-Hub-Signature-256, "sha256=<64 hex digits>") against
// HMAC-SHA256(secret, body), compared in constant time. Errors:
//   kUnauthenticated  the header is missing (empty) or the digest does not match
//   kInvalidArgument  the header is malformed (no "sha256=" prefix, not 64 hex digits), or
//                     `secret` is empty (a configuration error: never accept unsigned hooks)
// Messages never contain the secret, the body or the expected digest.
Status VerifyGitHubSignature(std::string_view secret, std::string_view body,
                             std::string_view header);

// One commit of a push, as GitHub lists it (`commits[]` and `head_commit`).
struct PushCommit {
  std::string id;         // 40 hex digits
  std::string message;    // the full commit message
  std::string timestamp;  // ISO 8601 with offset, as GitHub sends it

  friend bool operator==(const PushCommit&, const PushCommit&) = default;
};

// A `push` delivery: one ref moved (created, updated, force-updated or deleted).
struct PushEvent {
  std::string repository;  // repository.full_name, "owner/name"
  std::string ref;         // "refs/heads/main", "refs/tags/v1"
  std::string before;      // old object id; kGitHubZeroSha when created
  std::string after;       // new object id; kGitHubZeroSha when deleted
  bool created = false;
  bool deleted = false;
  bool forced = false;
  std::vector<PushCommit> commits;        // as GitHub lists them, at most 2048
  std::optional<PushCommit> head_commit;  // absent (JSON null) for a deletion
  // The X-GitHub-Delivery header (set by the receiver, not parsed from the body): the id
  // a redelivery or replay of the same delivery is recognised by. Empty: unknown.
  std::string delivery;
};

// Limits of a push ValidatePush enforces (GitHub's own: owner 39, repository name 100).
inline constexpr size_t kMaxRepoOwnerBytes = 39;
inline constexpr size_t kMaxRepoNameBytes = 100;
inline constexpr size_t kMaxRefBytes = 255;
inline constexpr size_t kMaxPushCommits = 2048;
inline constexpr size_t kMaxDeliveryIdBytes = 100;

// OK, or kInvalidArgument naming the field as a JSON pointer: repository "owner/name"
// (owner 1-39 of [A-Za-z0-9-], name 1-100 of [A-Za-z0-9._-], not "." or ".."); ref
// "refs/..." of at most 255 printable bytes without "..", "//" or a trailing '/'; before,
// after and every commit id 40 or 64 lowercase hex digits; at most 2048 commits; delivery
// empty or 1-100 of [A-Za-z0-9-]. ParseGitHubWebhook checks it, so a refused push has done
// nothing; Platform::IngestPush checks it again for callers that build a PushEvent.
Status ValidatePush(const PushEvent& push);

// A `workflow_run` or `workflow_job` delivery: where a GitHub Actions run stands.
struct WorkflowRunEvent {
  std::string repository;            // repository.full_name, "owner/name"
  std::int64_t installation_id = 0;  // installation.id; 0 when the payload has none
  // workflow_run: "requested", "in_progress", "completed"; workflow_job: "queued",
  // "waiting", "in_progress", "completed".
  std::string action;
  std::int64_t run_id = 0;  // workflow_run.id, or workflow_job.run_id
  std::string status;       // "queued", "in_progress", "completed", ...
  std::string conclusion;   // "" until completed: "success", "failure", "cancelled", ...
  std::string html_url;     // the run's page (a job's for workflow_job)
  std::string job_name;     // workflow_job.name; "" for workflow_run
  std::string delivery;     // X-GitHub-Delivery (set by the receiver)
};

enum class WebhookEventKind {
  kPush,         // `push`: WebhookEvent::push is set
  kPing,         // `ping`: sent once when the hook is created; answer 2xx
  kWorkflowRun,  // `workflow_run` or `workflow_job`: WebhookEvent::run is set
  kIgnored,      // any other event: answer 2xx and do nothing
};

struct WebhookEvent {
  WebhookEventKind kind = WebhookEventKind::kIgnored;
  std::string event;                    // the X-GitHub-Event value, e.g. "push"
  std::optional<PushEvent> push;        // set iff kind == kPush
  std::optional<WorkflowRunEvent> run;  // set iff kind == kWorkflowRun
};

// Reads a workflow_run / workflow_job payload (`event` names which). kInvalidArgument
// naming the field as a JSON pointer ("/workflow_run/id") when a required one is missing
// or of the wrong type, or when the repository is not "owner/name".
Result<WorkflowRunEvent> ParseWorkflowRunEvent(std::string_view event, const nlohmann::json& root);

// Parses one delivery. `event_header` is the X-GitHub-Event value, `body` the JSON payload.
// Errors:
//   kResourceExhausted  body is larger than `max_bytes` (the message names both sizes)
//   kInvalidArgument    empty event header; body is not a JSON object (push and ping) or
//                       repeats a key in an object (json_input.h); a push lacks a required
//                       field, has one of the wrong type or fails ValidatePush (the
//                       message names it as a JSON pointer, e.g. "/commits/2/id")
// Other events are not parsed at all (their body need not be JSON): kIgnored.
Result<WebhookEvent> ParseGitHubWebhook(std::string_view event_header, std::string_view body,
                                        size_t max_bytes);

}  // namespace odmd::reconcile

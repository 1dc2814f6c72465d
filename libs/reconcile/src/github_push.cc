#include "odmd/reconcile/github_push.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "odmd/base/strings.h"
#include "odmd/reconcile/json_input.h"

namespace odmd::reconcile {
namespace {

using nlohmann::json;

constexpr std::string_view kSignaturePrefix = "sha256=";
constexpr size_t kDigestBytes = 32;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 32 bytes of "sha256=<64 hex digits>", or kInvalidArgument naming what is malformed.
Result<std::array<unsigned char, kDigestBytes>> DecodeSignatureHeader(std::string_view header) {
  if (!header.starts_with(kSignaturePrefix)) {
    return InvalidArgumentError("X-Hub-Signature-256 header does not start with \"sha256=\"");
  }
  std::string_view hex = header.substr(kSignaturePrefix.size());
  if (hex.size() != 2 * kDigestBytes) {
    return InvalidArgumentError("X-Hub-Signature-256 header has " + std::to_string(hex.size()) +
                                " hex digits after \"sha256=\"; expected 64");
  }
  std::array<unsigned char, kDigestBytes> digest{};
  for (size_t i = 0; i < kDigestBytes; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgumentError(
          "X-Hub-Signature-256 header has a non-hex digit at offset " +
          std::to_string(kSignaturePrefix.size() + 2 * i + (hi < 0 ? 0 : 1)));
    }
    digest[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return digest;
}

// "<path>/<key>" as a JSON pointer.
std::string Pointer(std::string_view path, std::string_view key) {
  return std::string(path) + "/" + JsonPointerEscape(key);
}

Status MissingField(const std::string& pointer) {
  return InvalidArgumentError("push payload: required field \"" + pointer + "\" is missing");
}

Status WrongType(const std::string& pointer, std::string_view expected) {
  return InvalidArgumentError("push payload: field \"" + pointer + "\" is not " +
                              std::string(expected));
}

Result<std::string> StringField(const json& object, std::string_view path, const char* key) {
  std::string pointer = Pointer(path, key);
  auto it = object.find(key);
  if (it == object.end()) return MissingField(pointer);
  if (!it->is_string()) return WrongType(pointer, "a string");
  return it->get<std::string>();
}

Result<bool> BoolField(const json& object, std::string_view path, const char* key) {
  std::string pointer = Pointer(path, key);
  auto it = object.find(key);
  if (it == object.end()) return MissingField(pointer);
  if (!it->is_boolean()) return WrongType(pointer, "a boolean");
  return it->get<bool>();
}

Result<PushCommit> ParseCommit(const json& commit, const std::string& path) {
  if (!commit.is_object()) return WrongType(path, "an object");
  PushCommit out;
  ODMD_ASSIGN_OR_RETURN(out.id, StringField(commit, path, "id"));
  ODMD_ASSIGN_OR_RETURN(out.message, StringField(commit, path, "message"));
  ODMD_ASSIGN_OR_RETURN(out.timestamp, StringField(commit, path, "timestamp"));
  return out;
}

Result<PushEvent> ParsePush(const json& root) {
  PushEvent push;
  auto repo = root.find("repository");
  if (repo == root.end()) return MissingField("/repository");
  if (!repo->is_object()) return WrongType("/repository", "an object");
  ODMD_ASSIGN_OR_RETURN(push.repository, StringField(*repo, "/repository", "full_name"));
  ODMD_ASSIGN_OR_RETURN(push.ref, StringField(root, "", "ref"));
  ODMD_ASSIGN_OR_RETURN(push.before, StringField(root, "", "before"));
  ODMD_ASSIGN_OR_RETURN(push.after, StringField(root, "", "after"));
  ODMD_ASSIGN_OR_RETURN(push.created, BoolField(root, "", "created"));
  ODMD_ASSIGN_OR_RETURN(push.deleted, BoolField(root, "", "deleted"));
  ODMD_ASSIGN_OR_RETURN(push.forced, BoolField(root, "", "forced"));

  auto commits = root.find("commits");
  if (commits == root.end()) return MissingField("/commits");
  if (!commits->is_array()) return WrongType("/commits", "an array");
  push.commits.reserve(commits->size());
  for (size_t i = 0; i < commits->size(); ++i) {
    ODMD_ASSIGN_OR_RETURN(PushCommit commit,
                          ParseCommit((*commits)[i], "/commits/" + std::to_string(i)));
    push.commits.push_back(std::move(commit));
  }

  auto head = root.find("head_commit");
  if (head == root.end()) return MissingField("/head_commit");
  if (!head->is_null()) {
    ODMD_ASSIGN_OR_RETURN(PushCommit commit, ParseCommit(*head, "/head_commit"));
    push.head_commit = std::move(commit);
  }
  ODMD_RETURN_IF_ERROR(ValidatePush(push));
  return push;
}

// --- ValidatePush ---

// At most 60 bytes of `value`, quoted, for a message about a bad field.
std::string Shown(std::string_view value) {
  if (value.size() <= 60) return Quote(value);
  return Quote(std::string(value.substr(0, 60)) + "...") + " (" + std::to_string(value.size()) +
         " bytes)";
}

Status Bad(std::string_view pointer, std::string_view value, std::string_view rule) {
  return InvalidArgumentError("push payload: field \"" + std::string(pointer) + "\" " +
                              Shown(value) + " " + std::string(rule));
}

bool AllOf(std::string_view s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [extra](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

Status CheckRepository(std::string_view full_name) {
  constexpr std::string_view kPointer = "/repository/full_name";
  const size_t slash = full_name.find('/');
  if (slash == std::string_view::npos) return Bad(kPointer, full_name, "is not \"owner/name\"");
  const std::string_view owner = full_name.substr(0, slash);
  const std::string_view name = full_name.substr(slash + 1);
  if (owner.empty() || owner.size() > kMaxRepoOwnerBytes || !AllOf(owner, "-")) {
    return Bad(kPointer, full_name,
               "has an owner that is not 1-39 letters, digits and '-' (GitHub's rule)");
  }
  if (name.empty() || name.size() > kMaxRepoNameBytes || !AllOf(name, "._-") || name == "." ||
      name == "..") {
    return Bad(kPointer, full_name,
               "has a name that is not 1-100 letters, digits, '.', '_' and '-' (GitHub's rule)");
  }
  return OkStatus();
}

Status CheckRef(std::string_view ref) {
  const bool printable = std::all_of(ref.begin(), ref.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
  if (!ref.starts_with("refs/") || ref.size() > kMaxRefBytes || !printable ||
      ref.find("..") != std::string_view::npos || ref.find("//") != std::string_view::npos ||
      ref.ends_with('/')) {
    return Bad("/ref", ref,
               "is not a git ref (\"refs/...\", at most 255 printable bytes, no \"..\", "
               "\"//\" or trailing '/')");
  }
  return OkStatus();
}

Status CheckSha(std::string_view pointer, std::string_view sha) {
  const bool hex = std::all_of(sha.begin(), sha.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if ((sha.size() != 40 && sha.size() != 64) || !hex) {
    return Bad(pointer, sha, "is not an object id (40 or 64 lowercase hex digits)");
  }
  return OkStatus();
}

}  // namespace

Status ValidatePush(const PushEvent& push) {
  ODMD_RETURN_IF_ERROR(CheckRepository(push.repository));
  ODMD_RETURN_IF_ERROR(CheckRef(push.ref));
  ODMD_RETURN_IF_ERROR(CheckSha("/before", push.before));
  ODMD_RETURN_IF_ERROR(CheckSha("/after", push.after));
  if (push.commits.size() > kMaxPushCommits) {
    return InvalidArgumentError("push payload: field \"/commits\" has " +
                                std::to_string(push.commits.size()) +
                                " commits, more than GitHub's 2048");
  }
  for (size_t i = 0; i < push.commits.size(); ++i) {
    ODMD_RETURN_IF_ERROR(CheckSha("/commits/" + std::to_string(i) + "/id", push.commits[i].id));
  }
  if (push.head_commit) ODMD_RETURN_IF_ERROR(CheckSha("/head_commit/id", push.head_commit->id));
  if (push.delivery.size() > kMaxDeliveryIdBytes || !AllOf(push.delivery, "-")) {
    return InvalidArgumentError("X-GitHub-Delivery header " + Shown(push.delivery) +
                                " is not 1-100 letters, digits and '-'");
  }
  return OkStatus();
}

namespace {

Result<json> ParseObject(std::string_view event, std::string_view body) {
  ODMD_ASSIGN_OR_RETURN(json root, ParseJsonInput(body, "\"" + std::string(event) + "\" payload"));
  if (!root.is_object()) {
    return InvalidArgumentError("\"" + std::string(event) + "\" payload is not a JSON object");
  }
  return root;
}

}  // namespace

Status VerifyGitHubSignature(std::string_view secret, std::string_view body,
                             std::string_view header) {
  if (secret.empty()) {
    return InvalidArgumentError("the webhook secret is empty; refusing to verify against it");
  }
  if (header.empty()) return UnauthenticatedError("X-Hub-Signature-256 header is missing");
  ODMD_ASSIGN_OR_RETURN(auto claimed, DecodeSignatureHeader(header));

  std::array<unsigned char, EVP_MAX_MD_SIZE> expected{};
  unsigned int expected_size = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), expected.data(),
           &expected_size) == nullptr ||
      expected_size != kDigestBytes) {
    return InternalError("HMAC-SHA256 of the webhook body failed");
  }
  if (CRYPTO_memcmp(expected.data(), claimed.data(), kDigestBytes) != 0) {
    return UnauthenticatedError("X-Hub-Signature-256 does not match the body and the secret");
  }
  return OkStatus();
}

Result<WebhookEvent> ParseGitHubWebhook(std::string_view event_header, std::string_view body,
                                        size_t max_bytes) {
  if (body.size() > max_bytes) {
    return ResourceExhaustedError("webhook payload is " + std::to_string(body.size()) +
                                  " bytes; the limit is " + std::to_string(max_bytes) + " bytes");
  }
  if (event_header.empty()) return InvalidArgumentError("X-GitHub-Event header is missing");

  WebhookEvent out;
  out.event = std::string(event_header);
  if (event_header == "push") {
    ODMD_ASSIGN_OR_RETURN(json root, ParseObject(event_header, body));
    ODMD_ASSIGN_OR_RETURN(PushEvent push, ParsePush(root));
    out.kind = WebhookEventKind::kPush;
    out.push = std::move(push);
  } else if (event_header == "workflow_run" || event_header == "workflow_job") {
    ODMD_ASSIGN_OR_RETURN(json root, ParseObject(event_header, body));
    ODMD_ASSIGN_OR_RETURN(WorkflowRunEvent run, ParseWorkflowRunEvent(event_header, root));
    out.kind = WebhookEventKind::kWorkflowRun;
    out.run = std::move(run);
  } else if (event_header == "ping") {
    ODMD_RETURN_IF_ERROR(ParseObject(event_header, body));
    out.kind = WebhookEventKind::kPing;
  } else {
    out.kind = WebhookEventKind::kIgnored;
  }
  return out;
}

}  // namespace odmd::reconcile

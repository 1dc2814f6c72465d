#pragma once

// Commit commands: one line in a commit message that asks the platform to clone or delete
// an enver (DESIGN.md §5). Grammar, one command per line, anywhere in the message:
//
//   odmd: create@<origin>            origin: "<branch>", "b..<branch>" or "t..<tag>"
//   odmd: create <build>@<origin>    names the build when a repo hosts several
//   odmd: delete [<build>]
//   odmd: remove [<build>]           alias of delete
//
// "odmd:" is matched case-insensitively after leading whitespace; anything after it that
// does not parse is rejected with a reason (and a suggestion where one can be made), never
// silently ignored. The platform answers every command of a push in the order written
// (oldest commit first, then line order), each applied to the state the earlier ones left.
//
// Details of the grammar:
// - Lines are split at '\n' and trimmed of ASCII whitespace (so CRLF works). A line that
//   does not start with "odmd:" after trimming is not a command and is ignored.
// - The verb is the word after "odmd:" up to whitespace or '@'; verbs are matched
//   case-insensitively ("Create" works). Build ids and origins are case-sensitive, as git
//   names are. Whitespace between tokens, and around '@', may be any amount.
// - A bare origin ("main") is a branch and becomes "b..main". A bare origin starting with
//   'v' or 'V' ("v2") is rejected, because branch values may not start with 'v'; the
//   suggestion is the tag ("odmd: create@t..v2"). An origin must be a static rev: a clone
//   rev is rejected. An illegal origin is rejected with the RevRef reason.
// - A build id must match [A-Za-z0-9_-]+ (rule R1).
// - A suggestion is a whole corrected command in canonical spelling ("odmd: create@main",
//   "odmd: create orderSvc@main", "odmd: delete orderSvc"), offered only when the corrected
//   command would itself be accepted; up to three corrections combine (verb, origin, build).

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace odmd::model {

enum class CommandVerb { kCreate, kDelete };

struct CommitCommand {
  CommandVerb verb = CommandVerb::kCreate;
  // The build named in the command, if any.
  std::optional<std::string> build;
  // kCreate only: the origin as normalised rev text, "b..main" or "t..v1.0"
  // (a bare "main" becomes "b..main").
  std::string origin;
  // 1-based line in its message, the line's text (trimmed), and the commit index in the push.
  int line = 0;
  std::string text;
  int commit = 0;
};

struct CommandRejection {
  int line = 0;
  std::string text;
  int commit = 0;
  // Why the line was rejected, e.g. `unknown verb "craete"`.
  std::string reason;
  // A corrected command when one is likely, e.g. "odmd: create@main".
  std::optional<std::string> suggestion;
};

// What the parser may use to make suggestions; all optional.
struct CommandContext {
  // Origin branch/tag values of static envers, as rev text ("b..main", "t..v1.0.0").
  std::vector<std::string> known_origins;
  // Build ids hosted in the pushed repo.
  std::vector<std::string> known_builds;
  // Builds of the org hosted in other repos, as (id, "owner/name"): a command naming one
  // is told where that build lives instead of "unknown build".
  std::vector<std::pair<std::string, std::string>> other_builds;
};

struct ParsedMessage {
  std::vector<CommitCommand> commands;       // in line order
  std::vector<CommandRejection> rejections;  // in line order
};

// Parses every line of one commit message. Lines that do not start with "odmd:" are
// ignored. An origin or build not in `context` is rejected only when the context lists
// candidates, with the closest candidate as suggestion (`create@mian` -> `create@main`).
ParsedMessage ParseCommitMessage(std::string_view message, const CommandContext& context = {},
                                 int commit = 0);

struct PushCommands {
  // Every accepted command, oldest commit first, then line order.
  std::vector<CommitCommand> accepted;
  std::vector<CommandRejection> rejections;
};

// Parses the messages of a push, oldest commit first, keeping every command in order.
PushCommands ParsePushMessages(std::span<const std::string> messages_oldest_first,
                               const CommandContext& context = {});

}  // namespace odmd::model

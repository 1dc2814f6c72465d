// Commit-command parser (DESIGN.md §5). Every line that starts with "odmd:" ends up either
// accepted or rejected with a reason: the original platform silently ignored typos, which
// is the bug this parser exists to fix. Input is untrusted (any bytes, any length), so the
// parser is a single linear pass per line plus bounded suggestion work.

#include "odmd/model/commit_command.h"

#include <algorithm>

#include "odmd/base/strings.h"
#include "odmd/model/rev_ref.h"

namespace odmd::model {
namespace {

constexpr std::string_view kPrefix = "odmd:";
constexpr std::string_view kCreate = "create";
constexpr std::string_view kDelete = "delete";
constexpr std::string_view kRemove = "remove";
// How many successive corrections a suggestion may combine (verb, origin, build).
constexpr int kMaxFixDepth = 3;
// ClosestMatch is quadratic; words longer than this are never typos worth correcting.
constexpr size_t kMaxSuggestWordLength = 256;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool HasSpace(std::string_view s) { return std::any_of(s.begin(), s.end(), IsSpace); }

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

bool Contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::optional<std::string> Closest(std::string_view word, std::span<const std::string> list) {
  if (word.size() > kMaxSuggestWordLength) return std::nullopt;
  return ClosestMatch(word, list);
}

bool HasRevPrefix(std::string_view s) { return s.starts_with("b..") || s.starts_with("t.."); }

// A command as written after "odmd:": the verb word and the rest of the line.
struct Draft {
  std::string verb;
  std::string args;
};

// The result of checking one draft: accepted (command set) or rejected with a reason and,
// when a correction is likely, a corrected draft.
struct Outcome {
  std::optional<CommitCommand> command;
  std::string canonical;  // accepted: the command in canonical spelling
  std::string reason;     // rejected: why
  std::optional<Draft> fix;
};

Outcome Reject(std::string reason, std::optional<Draft> fix = std::nullopt) {
  Outcome o;
  o.reason = std::move(reason);
  o.fix = std::move(fix);
  return o;
}

Outcome Accept(CommitCommand command, std::string canonical) {
  Outcome o;
  o.command = std::move(command);
  o.canonical = std::move(canonical);
  return o;
}

// "odmd: <verb>[ <build>]" or "odmd: create[ <build>]@<origin>".
std::string Render(std::string_view verb, const std::optional<std::string>& build,
                   std::optional<std::string_view> origin) {
  std::string out = "odmd: ";
  out += verb;
  if (build) out += " " + *build;
  if (origin) {
    out += '@';
    out += *origin;
  }
  return out;
}

std::string WithBuild(std::string_view build, std::string_view origin) {
  return std::string(build) + "@" + std::string(origin);
}

// Checks a build id named in a command; nullopt when it is fine. `rebuild_args` makes the
// corrected args for a suggested build id.
template <typename RebuildArgs>
std::optional<Outcome> CheckBuild(std::string_view verb, std::string_view build,
                                  const CommandContext& context, RebuildArgs rebuild_args) {
  bool legal = std::all_of(build.begin(), build.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  if (!legal) return Reject("build id " + Quote(build) + " must match [A-Za-z0-9_-]+");
  if (context.known_builds.empty() || Contains(context.known_builds, build)) return std::nullopt;
  for (const auto& [id, repo] : context.other_builds) {
    if (id == build) {
      return Reject("build " + Quote(build) + " is built from repo " + repo +
                    ", not from the pushed repo; push the command to " + repo);
    }
  }
  std::optional<Draft> fix;
  if (auto match = Closest(build, context.known_builds)) {
    fix = Draft{std::string(verb), rebuild_args(*match)};
  }
  return Reject("unknown build " + Quote(build), std::move(fix));
}

// Normalises an origin to rev text ("main" -> "b..main"), or explains why it cannot be one.
Result<std::string> NormaliseOrigin(std::string_view origin) {
  if (HasRevPrefix(origin)) {
    Result<RevRef> rev = RevRef::Parse(origin);
    if (!rev.ok()) return InvalidArgumentError("invalid origin: " + rev.status().message());
    if (rev->is_clone()) {
      return InvalidArgumentError("origin " + Quote(origin) +
                                  " is a clone; clones are made from static envers only");
    }
    return rev->str();
  }
  if (auto reason = CheckRevValue(RevType::kBranch, origin)) {
    return InvalidArgumentError("invalid origin " + Quote(origin) + ": branch value " + *reason);
  }
  return "b.." + std::string(origin);
}

// Checks the origin of a create command and the build in front of it.
Outcome CheckCreateTarget(std::string_view verb, const std::optional<std::string>& build,
                          std::string_view origin, const CommandContext& context) {
  auto args_with_origin = [&build](std::string_view o) {
    return build ? WithBuild(*build, o) : "@" + std::string(o);
  };
  if (!HasRevPrefix(origin) && (origin.starts_with('v') || origin.starts_with('V'))) {
    // A bare origin is a branch, and branch values may not start with 'v'; the author
    // almost certainly meant the tag.
    return Reject("bare origin " + Quote(origin) +
                      " is a branch, and branch values may not start with 'v' (reserved for "
                      "tags); write \"t.." +
                      std::string(origin) + "\" for a tag",
                  Draft{std::string(verb), args_with_origin("t.." + std::string(origin))});
  }
  Result<std::string> rev = NormaliseOrigin(origin);
  if (!rev.ok()) return Reject(rev.status().message());
  if (build) {
    auto rebuild = [origin](const std::string& b) { return WithBuild(b, origin); };
    if (auto bad = CheckBuild(verb, *build, context, rebuild)) return *std::move(bad);
  }
  if (!context.known_origins.empty() && !Contains(context.known_origins, *rev)) {
    std::optional<Draft> fix;
    if (auto match = Closest(*rev, context.known_origins)) {
      // Suggest in the author's spelling: a bare branch stays bare.
      std::string_view spelt = *match;
      if (!HasRevPrefix(origin) && spelt.starts_with("b..")) spelt.remove_prefix(3);
      fix = Draft{std::string(verb), args_with_origin(spelt)};
    }
    return Reject("unknown origin " + Quote(*rev), std::move(fix));
  }
  CommitCommand command;
  command.verb = CommandVerb::kCreate;
  command.build = build;
  command.origin = *rev;
  return Accept(std::move(command), Render(verb, build, origin));
}

Outcome CheckCreate(std::string_view verb, std::string_view args, const CommandContext& context) {
  if (args.empty()) return Reject("\"create\" needs an origin: \"odmd: create@<origin>\"");
  size_t at = args.find('@');
  if (at == std::string_view::npos) {
    std::vector<std::string_view> words = SplitWords(args);
    if (words.size() == 1 && !Contains(context.known_builds, words[0])) {
      return Reject("missing \"@\" before the origin " + Quote(words[0]),
                    Draft{std::string(verb), "@" + std::string(words[0])});
    }
    return Reject("missing \"@<origin>\" after " + Quote(args));
  }
  std::string_view build_part = StripAsciiWhitespace(args.substr(0, at));
  std::string_view origin = StripAsciiWhitespace(args.substr(at + 1));
  if (HasSpace(build_part)) {
    return Reject("expected at most one build id before \"@\", got " + Quote(build_part));
  }
  if (origin.empty()) return Reject("missing origin after \"@\"");
  if (HasSpace(origin)) {
    std::string_view first = SplitWords(origin)[0];
    return Reject("unexpected text after origin " + Quote(first) + ": " +
                      Quote(StripAsciiWhitespace(origin.substr(first.size()))),
                  Draft{std::string(verb), WithBuild(build_part, first)});
  }
  std::optional<std::string> build;
  if (!build_part.empty()) build = std::string(build_part);
  return CheckCreateTarget(verb, build, origin, context);
}

Outcome CheckDelete(std::string_view verb, std::string_view args, const CommandContext& context) {
  if (size_t at = args.find('@'); at != std::string_view::npos) {
    return Reject(Quote(verb) + " takes no origin",
                  Draft{std::string(verb), std::string(StripAsciiWhitespace(args.substr(0, at)))});
  }
  std::vector<std::string_view> words = SplitWords(args);
  if (words.size() > 1) {
    return Reject(Quote(verb) + " takes at most one build id, got " + Quote(args));
  }
  std::optional<std::string> build;
  if (words.size() == 1) {
    build = std::string(words[0]);
    auto rebuild = [](const std::string& b) { return b; };
    if (auto bad = CheckBuild(verb, *build, context, rebuild)) return *std::move(bad);
  }
  CommitCommand command;
  command.verb = CommandVerb::kDelete;
  command.build = build;
  return Accept(std::move(command), Render(verb, build, std::nullopt));
}

Outcome Check(const Draft& draft, const CommandContext& context) {
  std::string verb = AsciiToLower(draft.verb);
  if (verb.empty()) {
    std::optional<Draft> fix;
    if (draft.args.starts_with('@')) fix = Draft{std::string(kCreate), draft.args};
    return Reject("missing verb after \"odmd:\"; expected \"create\", \"delete\" or \"remove\"",
                  std::move(fix));
  }
  if (verb == kCreate) return CheckCreate(verb, draft.args, context);
  if (verb == kDelete || verb == kRemove) return CheckDelete(verb, draft.args, context);
  static const std::vector<std::string> kVerbs = {std::string(kCreate), std::string(kDelete),
                                                  std::string(kRemove)};
  std::optional<Draft> fix;
  if (auto match = Closest(verb, kVerbs)) fix = Draft{*match, draft.args};
  return Reject(
      "unknown verb " + Quote(draft.verb) + "; expected \"create\", \"delete\" or \"remove\"",
      std::move(fix));
}

// The canonical text of the first accepted draft along a chain of fixes, if any.
std::optional<std::string> Suggest(const Draft& fix, const CommandContext& context, int depth) {
  Outcome o = Check(fix, context);
  if (o.command) return o.canonical;
  if (o.fix && depth + 1 < kMaxFixDepth) return Suggest(*o.fix, context, depth + 1);
  return std::nullopt;
}

// Splits the text after "odmd:" into verb and args; the verb ends at whitespace or '@'.
Draft SplitCommand(std::string_view rest) {
  size_t end = 0;
  while (end < rest.size() && !IsSpace(rest[end]) && rest[end] != '@') ++end;
  return Draft{std::string(rest.substr(0, end)),
               std::string(StripAsciiWhitespace(rest.substr(end)))};
}

bool StartsWithPrefix(std::string_view line) {
  return line.size() >= kPrefix.size() && AsciiToLower(line.substr(0, kPrefix.size())) == kPrefix;
}

}  // namespace

ParsedMessage ParseCommitMessage(std::string_view message, const CommandContext& context,
                                 int commit) {
  ParsedMessage parsed;
  int line_number = 0;
  for (std::string_view raw : StrSplit(message, '\n')) {
    ++line_number;
    std::string_view line = StripAsciiWhitespace(raw);  // also drops the '\r' of CRLF
    if (!StartsWithPrefix(line)) continue;
    std::string_view rest = StripAsciiWhitespace(line.substr(kPrefix.size()));
    Outcome o =
        rest.empty() ? Reject("empty command after \"odmd:\"") : Check(SplitCommand(rest), context);
    if (o.command) {
      o.command->line = line_number;
      o.command->text = std::string(line);
      o.command->commit = commit;
      parsed.commands.push_back(*std::move(o.command));
      continue;
    }
    CommandRejection rejection;
    rejection.line = line_number;
    rejection.text = std::string(line);
    rejection.commit = commit;
    rejection.reason = std::move(o.reason);
    if (o.fix) rejection.suggestion = Suggest(*o.fix, context, 0);
    parsed.rejections.push_back(std::move(rejection));
  }
  return parsed;
}

PushCommands ParsePushMessages(std::span<const std::string> messages_oldest_first,
                               const CommandContext& context) {
  PushCommands push;
  for (size_t i = 0; i < messages_oldest_first.size(); ++i) {
    ParsedMessage parsed =
        ParseCommitMessage(messages_oldest_first[i], context, static_cast<int>(i));
    for (CommitCommand& c : parsed.commands) push.accepted.push_back(std::move(c));
    for (CommandRejection& r : parsed.rejections) push.rejections.push_back(std::move(r));
  }
  return push;
}

}  // namespace odmd::model

#pragma once

// Pure helpers of CliGit (cli_git.cc) that spare it git processes (issue 17: each one costs
// milliseconds of scheduling on a busy machine): git's ref-name rules checked in process,
// and the answers of one `git cat-file --batch-check` / `--batch-command` run parsed.

#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::reconcile {

// True when `ref` (a full name: "refs/heads/main") passes `git check-ref-format <ref>`: no
// empty component, none starting with '.' or ending in ".lock"; no "..", "@{", control
// character, space, '~', '^', ':', '?', '*', '[' or '\'; not ending in '.'; not "@".
bool IsValidRefName(std::string_view ref);

// One object of cat-file's answer: its type and, for a "contents" command, its content.
struct CatFileObject {
  bool missing = false;  // "<name> missing" (or "ambiguous")
  std::string type;      // "commit", "tree", "blob", "tag"
  std::string content;
};

// Parses the output of `git cat-file --batch-check` (every `with_content` false) or of
// `--batch-command` ("info" commands false, "contents" true): one object per command, in
// order. kInternal naming what is wrong when the output does not have that shape.
Result<std::vector<CatFileObject>> ParseCatFile(std::string_view out,
                                                const std::vector<bool>& with_content);

}  // namespace odmd::reconcile

#pragma once

// Helpers of the Git implementations (cli_git.cc, libgit2_git.cc) that spare them git
// processes (issue 17: each one costs milliseconds of scheduling on a busy machine): where a
// repository's git directory is, the file paths and ref names they accept, and the answers
// of one `git cat-file --batch-check` / `--batch-command` run parsed.

#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::reconcile {

// True when `ref` (a full name: "refs/heads/main") passes `git check-ref-format <ref>`: no
// empty component, none starting with '.' or ending in ".lock"; no "..", "@{", control
// character, space, '~', '^', ':', '?', '*', '[' or '\'; not ending in '.'; not "@".
bool IsValidRefName(std::string_view ref);

// The git directory of `repo`: the repo itself if bare, else repo/.git. kNotFound naming it
// when it is missing or not a git repository.
Result<std::string> GitDirOf(std::string_view repo);

// OK for a relative path inside a tree ("ci/wf.yml"); kInvalidArgument naming the path and
// `repo` for one that is empty, absolute, ends in '/', has an empty, ".", ".." or ".git"
// component, or a NUL or newline.
Status CheckTreePath(std::string_view repo, std::string_view path);

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

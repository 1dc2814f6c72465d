#pragma once

// What the generators produce: files as (path, content) pairs, and the difference between
// two generations. Generators are pure functions (manifest -> files); writing them to disk
// or into git is the caller's job.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace odmd::gen {

struct GeneratedFile {
  // Relative path, '/'-separated: ".github/workflows/ODMD_x.yaml" for a workflow (inside
  // the build's repo), "roles/<build>/<account>-<region>-build-role.json" (and -central-role.json)
  // for role templates.
  std::string path;
  std::string content;
  // Set when the contracts opt the file out of overwriting (`overwriteWorkflow` false):
  // `content` is what would have been generated, but the file belongs to the user.
  bool user_owned = false;
  // Where the file goes: the build id for workflows (its repo), empty for role templates.
  std::string build_id;

  friend bool operator==(const GeneratedFile&, const GeneratedFile&) = default;
};

enum class FileChange { kAdded, kChanged, kRemoved };
// "added", "changed", "removed".
std::string_view FileChangeName(FileChange change);

struct FileDiffEntry {
  FileChange change = FileChange::kChanged;
  std::string path;
  std::string build_id;

  friend bool operator==(const FileDiffEntry&, const FileDiffEntry&) = default;
};

// Files of `after` missing from `before` (added), present in both with other content or
// ownership (changed), and files of `before` missing from `after` (removed); matched by
// (build_id, path), sorted by path then build id.
std::vector<FileDiffEntry> DiffGeneratedFiles(std::span<const GeneratedFile> before,
                                              std::span<const GeneratedFile> after);

}  // namespace odmd::gen

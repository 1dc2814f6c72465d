#pragma once

// What the generators produce: files as (path, content) pairs, and the difference between
// two generations. Generators are pure functions (manifest -> files); writing them to disk
// or into git is the caller's job.

#include <optional>
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
  // Set when the contracts leave the file's edits to the user (`overwriteWorkflow` false,
  // the default): the platform writes it where it is absent or still exactly what odmd
  // generated (IsPristine), and keeps (and reports) a file the user edited. Unset
  // (`overwriteWorkflow` true): the platform always replaces it with `content`.
  bool user_owned = false;
  // Where the file goes: the build id for workflows (its repo), empty for role templates.
  std::string build_id;

  friend bool operator==(const GeneratedFile&, const GeneratedFile&) = default;
};

// The line a generated workflow carries as its second line, so an unedited file can be told
// from an edited one without any record of what was written: "# odmd-digest: <sha256 of the
// text without this line>".
inline constexpr std::string_view kDigestLinePrefix = "# odmd-digest: ";

// `text` with its digest line inserted after its first line (the generator's header).
std::string Sealed(std::string text);

// True when `text` carries a digest line that matches the rest of it: odmd wrote it and
// nobody changed it since.
bool IsPristine(std::string_view text);

// Whether the platform may write `file` over `current`, the content there now (nullopt: no
// such file): always when absent or when the file is not user_owned, else only a pristine
// one.
bool MayReplace(const GeneratedFile& file, const std::optional<std::string>& current);

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

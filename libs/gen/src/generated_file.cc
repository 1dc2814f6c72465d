#include "odmd/gen/generated_file.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

namespace odmd::gen {

std::string_view FileChangeName(FileChange change) {
  switch (change) {
    case FileChange::kAdded:
      return "added";
    case FileChange::kChanged:
      return "changed";
    case FileChange::kRemoved:
      return "removed";
  }
  return "changed";
}

std::vector<FileDiffEntry> DiffGeneratedFiles(std::span<const GeneratedFile> before,
                                              std::span<const GeneratedFile> after) {
  using Id = std::pair<std::string, std::string>;  // (path, build id)
  std::map<Id, const GeneratedFile*> old_files;
  for (const GeneratedFile& f : before) old_files.emplace(Id{f.path, f.build_id}, &f);

  std::vector<FileDiffEntry> diff;
  for (const GeneratedFile& f : after) {
    auto it = old_files.find(Id{f.path, f.build_id});
    if (it == old_files.end()) {
      diff.push_back({FileChange::kAdded, f.path, f.build_id});
      continue;
    }
    if (it->second->content != f.content || it->second->user_owned != f.user_owned) {
      diff.push_back({FileChange::kChanged, f.path, f.build_id});
    }
    old_files.erase(it);
  }
  for (const auto& [id, file] : old_files) {
    diff.push_back({FileChange::kRemoved, file->path, file->build_id});
  }
  std::sort(diff.begin(), diff.end(), [](const FileDiffEntry& a, const FileDiffEntry& b) {
    return std::tie(a.path, a.build_id) < std::tie(b.path, b.build_id);
  });
  return diff;
}

}  // namespace odmd::gen

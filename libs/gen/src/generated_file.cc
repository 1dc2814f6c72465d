#include "odmd/gen/generated_file.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "odmd/base/sha256.h"

namespace odmd::gen {

std::string Sealed(std::string text) {
  if (text.find('\n') == std::string::npos) text += '\n';
  const std::string line = std::string(kDigestLinePrefix) + Sha256Hex(text) + "\n";
  text.insert(text.find('\n') + 1, line);
  return text;
}

bool IsPristine(std::string_view text) {
  const size_t eol = text.find('\n');
  if (eol == std::string_view::npos) return false;
  const size_t start = eol + 1;
  if (text.substr(start, kDigestLinePrefix.size()) != kDigestLinePrefix) return false;
  const size_t digest_at = start + kDigestLinePrefix.size();
  const size_t end = text.find('\n', digest_at);
  if (end == std::string_view::npos || end - digest_at != 64) return false;
  std::string rest(text.substr(0, start));
  rest.append(text.substr(end + 1));
  return Sha256Hex(rest) == text.substr(digest_at, 64);
}

bool MayReplace(const GeneratedFile& file, const std::optional<std::string>& current) {
  return !current.has_value() || !file.user_owned || IsPristine(*current);
}

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

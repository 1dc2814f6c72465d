// Git ref -> RevRef mapping (DESIGN.md §5): a branch such as "feature/login" must be able to
// host an enver, so git names are mapped to legal rev values deterministically, and names
// that would share a value are reported instead of silently sharing an enver.

#include <algorithm>
#include <map>

#include "odmd/base/strings.h"
#include "odmd/model/naming.h"

namespace odmd::model {
namespace {

constexpr std::string_view kHeadsPrefix = "refs/heads/";
constexpr std::string_view kTagsPrefix = "refs/tags/";

bool IsSeparator(char c) { return c == '.' || c == '_' || c == '-'; }

bool HasReservedPair(std::string_view run) {
  for (std::string_view reserved : {"..", "_-", "-_"}) {
    if (run.find(reserved) != std::string_view::npos) return true;
  }
  return false;
}

// Steps 1 and 2 of BranchToRevValue; `kind` ("branch" or "tag") only words the errors.
Result<std::string> MapGitName(std::string_view name, std::string_view kind) {
  if (name.empty()) return InvalidArgumentError(std::string(kind) + " name is empty");
  std::string value;
  value.reserve(name.size());
  size_t i = 0;
  bool has_alnum = false;
  while (i < name.size()) {
    char c = name[i];
    if (IsAsciiAlnum(c)) {
      has_alnum = true;
      value += c;
      ++i;
      continue;
    }
    // A maximal run of non-alphanumerics; step 1 turns its illegal characters into '-'.
    std::string run;
    for (; i < name.size() && !IsAsciiAlnum(name[i]); ++i) {
      run += IsSeparator(name[i]) ? name[i] : '-';
    }
    // Step 2. Runs are bounded by alphanumerics, so the '-' cannot form a new reserved pair
    // with its neighbours.
    value += HasReservedPair(run) ? std::string("-") : run;
  }
  if (!has_alnum) {
    return InvalidArgumentError(std::string(kind) + " name " + Quote(name) +
                                " has no letter or digit");
  }
  return value;
}

}  // namespace

Result<std::string> BranchToRevValue(std::string_view branch) {
  ODMD_ASSIGN_OR_RETURN(std::string value, MapGitName(branch, "branch"));
  if (value[0] == 'v' || value[0] == 'V') value.insert(0, "b-");  // 'v' is reserved for tags.
  return value;
}

Result<std::string> TagToRevValue(std::string_view tag) { return MapGitName(tag, "tag"); }

Result<RevRef> GitRefToRev(std::string_view git_ref) {
  auto wrap = [git_ref](const Status& s) {
    return InvalidArgumentError("git ref " + Quote(git_ref) + ": " + s.message());
  };
  if (git_ref.starts_with(kHeadsPrefix)) {
    Result<std::string> value = BranchToRevValue(git_ref.substr(kHeadsPrefix.size()));
    if (!value.ok()) return wrap(value.status());
    return RevRef::Branch(std::move(value).value());
  }
  if (git_ref.starts_with(kTagsPrefix)) {
    Result<std::string> value = TagToRevValue(git_ref.substr(kTagsPrefix.size()));
    if (!value.ok()) return wrap(value.status());
    return RevRef::Tag(std::move(value).value());
  }
  return InvalidArgumentError("git ref " + Quote(git_ref) + " is neither \"" +
                              std::string(kHeadsPrefix) + "<branch>\" nor \"" +
                              std::string(kTagsPrefix) + "<tag>\"");
}

std::vector<RevValueCollision> FindRevValueCollisions(std::span<const std::string> branches) {
  // Groups keep first-appearance order; the map only indexes them by value.
  std::vector<RevValueCollision> groups;
  std::map<std::string, size_t, std::less<>> index;
  for (const std::string& branch : branches) {
    Result<std::string> value = BranchToRevValue(branch);
    if (!value.ok()) continue;
    auto [it, inserted] = index.try_emplace(*value, groups.size());
    if (inserted) {
      groups.push_back(RevValueCollision{*value, {branch}});
      continue;
    }
    std::vector<std::string>& names = groups[it->second].branches;
    if (std::find(names.begin(), names.end(), branch) == names.end()) names.push_back(branch);
  }
  std::erase_if(groups, [](const RevValueCollision& g) { return g.branches.size() < 2; });
  return groups;
}

}  // namespace odmd::model

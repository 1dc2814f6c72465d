// Rules about names: R1 build ids, R2 revs, R10 product names and every derived name.

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "rules_common.h"

namespace odmd::model::rules {
namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool IsBuildIdChar(char c) { return IsAsciiAlnum(c) || c == '_' || c == '-'; }

// Why `id` is not a legal build id, or "".
std::string BuildIdProblem(std::string_view id) {
  if (id.empty()) return "build id is empty";
  for (char c : id) {
    if (!IsBuildIdChar(c)) {
      return "build id " + Quote(id) + " has character " + Quote(std::string_view(&c, 1)) +
             " outside [A-Za-z0-9_-]";
    }
  }
  if (id.size() == 6 && AsciiToLower(id) == "config")
    return "build id " + Quote(id) + " is reserved";
  return "";
}

constexpr bool IsProductNameChar(char c) {
  return IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-' || c == '/';
}

// Why `name` is not a legal product name, or "". Legal: [A-Za-z0-9_.-]+ parts joined by
// '/', without "..".
std::string ProductNameProblem(std::string_view name) {
  std::string prefix = "product name " + Quote(name);
  if (name.empty()) return "product name is empty";
  for (char c : name) {
    if (!IsProductNameChar(c)) {
      return prefix + " has character " + Quote(std::string_view(&c, 1)) +
             " outside [A-Za-z0-9_.-/]";
    }
  }
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) {
    return prefix + " has an empty part";
  }
  if (name.find("..") != std::string_view::npos) return prefix + " contains \"..\"";
  return "";
}

// Whether `name` has none of ProductNameProblem's problems, in one pass that also counts its
// '/'s (every product of every enver is checked; ProductNameProblem says why only for others).
bool IsPlainProductName(std::string_view name, size_t* slashes) {
  static constexpr std::array<bool, 256> kAllowed = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
      table[static_cast<size_t>(c)] = IsProductNameChar(static_cast<char>(c));
    return table;
  }();
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  char previous = '\0';
  size_t count = 0;
  for (char c : name) {
    if (!kAllowed[static_cast<unsigned char>(c)]) return false;
    if ((c == '/' || c == '.') && previous == c) return false;  // "//" or ".."
    count += c == '/';
    previous = c;
  }
  *slashes = count;
  return true;
}

// "<what> \"<name>\" is N characters; the limit is L", or "" when it fits.
std::string TooLong(std::string_view what, const std::string& name, size_t limit) {
  if (name.size() <= limit) return "";
  return std::string(what) + " " + Quote(name) + " is " + std::to_string(name.size()) +
         " characters; the limit is " + std::to_string(limit);
}

// Levels of "/odmd-share/<build>/<rev>/" in an enver's product paths: each '/' starts one;
// "/odmd-share/<build>/<rev>/" has 4 + the '/'s of build and rev, less the leading one.
size_t ProductPrefixLevels(const Build& build, const Enver& enver) {
  return 3 + static_cast<size_t>(std::count(build.id.begin(), build.id.end(), '/')) +
         static_cast<size_t>(std::count(enver.rev.str().begin(), enver.rev.str().end(), '/'));
}

void CheckProductNames(size_t b, size_t e, const Build& build, const Enver& enver,
                       size_t prefix_levels, std::vector<Violation>* out) {
  // A name adds one level per part.
  for (size_t p = 0; p < enver.products.size(); ++p) {
    const Product& product = enver.products[p];
    size_t slashes = 0;
    if (!IsPlainProductName(product.name, &slashes)) {
      Report(out, "R10", ProductPathOf(b, e, p) + "/name", ProductSubject(build, enver, product),
             product.name, ProductNameProblem(product.name));
      continue;
    }
    size_t levels = prefix_levels + 1 + slashes;
    if (levels > kMaxParameterPathDepth) {
      std::string path = ProductPath(build.id, enver.rev, product.name);
      Report(out, "R10", ProductPathOf(b, e, p) + "/name", ProductSubject(build, enver, product),
             product.name,
             "product path " + Quote(path) + " has " + std::to_string(levels) +
                 " levels; the limit is " + std::to_string(kMaxParameterPathDepth));
    }
  }
}

// Why `base` is not a legal stack base name of `build`, or "". A base is the build id or
// starts with "<build id>-": every stack of a build then starts with the build id, as the
// original requires, and the build role's stack grants stay within the build's names.
std::string StackBaseProblem(const Build& build, std::string_view base) {
  std::string prefix = "stack base name " + Quote(base);
  if (base.empty()) return "stack base name is empty";
  for (char c : base) {
    if (!IsBuildIdChar(c)) {
      return prefix + " has character " + Quote(std::string_view(&c, 1)) + " outside [A-Za-z0-9_-]";
    }
  }
  if (base != build.id && !(base.starts_with(build.id) && base.size() > build.id.size() &&
                            base[build.id.size()] == '-')) {
    return prefix + " must be the build id " + Quote(build.id) + " or start with " +
           Quote(build.id + "-");
  }
  return "";
}

// Why the derived stack name does not fit CloudFormation, or "".
std::string StackNameProblem(const std::string& stack) {
  std::string problem = TooLong("stack name", stack, kMaxStackNameLength);
  if (problem.empty() && (stack.empty() || !IsLetter(stack.front()))) {
    problem = "stack name " + Quote(stack) + " must start with a letter";
  }
  return problem;
}

// Whether the default stack name of `enver` (StackName: "<build>--<rev part>", sanitized)
// surely fits: the sanitizing keeps its length and a leading letter. Most envers; the name is
// derived only for the others.
bool DefaultStackNameFits(const Build& build, const Enver& enver) {
  size_t length = build.id.size() + 2 + StackNameRev(enver.rev).size();
  return length <= kMaxStackNameLength && !build.id.empty() && IsLetter(build.id.front());
}

void CheckStackNames(size_t b, size_t e, const Build& build, const Enver& enver,
                     std::vector<Violation>* out) {
  if (enver.stacks.empty()) {
    if (DefaultStackNameFits(build, enver)) return;
    std::string stack = StackName(build.id, enver.rev);
    std::string problem = StackNameProblem(stack);
    if (!problem.empty()) {
      Report(out, "R10", EnverPath(b, e), EnverSubject(build, enver), stack, std::move(problem));
    }
    return;
  }
  std::vector<std::string> stacks = StackNames(build, enver);
  std::vector<std::pair<std::string_view, std::uint32_t>> names;
  for (size_t i = 0; i < enver.stacks.size(); ++i) {
    const std::string& base = enver.stacks[i];
    std::string path = EnverPath(b, e) + "/stacks/" + std::to_string(i);
    std::string subject = EnverSubject(build, enver) + ": stack " + Quote(base);
    std::string problem = StackBaseProblem(build, base);
    if (problem.empty()) problem = StackNameProblem(stacks[i]);
    if (!problem.empty()) {
      Report(out, "R10", std::move(path), std::move(subject), base, std::move(problem));
      continue;
    }
    names.emplace_back(stacks[i], static_cast<std::uint32_t>(i));
  }
  for (auto [dup, first] : FindDuplicates(names)) {
    Report(out, "R10", EnverPath(b, e) + "/stacks/" + std::to_string(dup),
           EnverSubject(build, enver) + ": stack " + Quote(enver.stacks[dup]), enver.stacks[dup],
           "duplicate stack " + Quote(stacks[dup]) + " (first at " + EnverPath(b, e) + "/stacks/" +
               std::to_string(first) + ")");
  }
}

// Roles are shared by every enver of a build in one account and region, so each too-long
// role name is reported once, at the first enver that derives it.
class RoleNameChecker {
 public:
  explicit RoleNameChecker(const Org& org) {
    for (const Account& a : org.accounts) account_ids_.emplace(a.name, a.id);
  }

  void Check(size_t b, size_t e, const Build& build, const Enver& enver,
             std::vector<Violation>* out) {
    auto it = account_ids_.find(enver.account);
    if (it == account_ids_.end()) return;  // R11 reports the unknown account
    std::string_view id = it->second;
    // The envers of a build mostly share an account and region, hence their role names:
    // derived once, as each is reported once.
    if (b == last_build_ && enver.region == last_region_ && id == last_account_id_) return;
    last_build_ = b;
    last_region_ = enver.region;
    last_account_id_ = id;
    Check(b, e, build, enver, "build role name", BuildRoleName(build.id, enver.region, id), out);
    Check(b, e, build, enver, "central role name", CentralRoleName(build.id, enver.region, id),
          out);
  }

 private:
  void Check(size_t b, size_t e, const Build& build, const Enver& enver, std::string_view what,
             std::string name, std::vector<Violation>* out) {
    std::string problem = TooLong(what, name, kMaxRoleNameLength);
    if (problem.empty() || !reported_.insert(name).second) return;
    Report(out, "R10", EnverPath(b, e), EnverSubject(build, enver), std::move(name),
           std::move(problem));
  }

  std::unordered_map<std::string_view, std::string_view> account_ids_;
  std::unordered_set<std::string> reported_;
  // The build, region and account id whose role names were checked last.
  size_t last_build_ = static_cast<size_t>(-1);
  std::string_view last_region_, last_account_id_;
};

void CheckRevValues(size_t b, size_t e, const Build& build, const Enver& enver,
                    std::vector<Violation>* out) {
  const RevRef& rev = enver.rev;
  auto check = [&](const RevSegment& seg) {
    std::optional<std::string> reason = CheckRevValue(seg.type, seg.value);
    if (!reason) return;
    Report(out, "R2", EnverPath(b, e) + "/rev", EnverSubject(build, enver), rev.str(),
           "rev value " + Quote(seg.value) + " " + *reason);
  };
  if (rev.origin()) check(*rev.origin());
  check(rev.self());
}

// Whether the envers of `a` and `b` have the same revs, in the same order.
bool SameRevs(const Build& a, const Build& b) {
  if (a.envers.size() != b.envers.size()) return false;
  for (size_t e = 0; e < a.envers.size(); ++e) {
    if (a.envers[e].rev.str() != b.envers[e].rev.str()) return false;
  }
  return true;
}

}  // namespace

void CheckBuildIds(const RuleInput& in, std::vector<Violation>* out) {
  const std::vector<Build>& builds = in.org.builds;
  std::vector<std::pair<std::string_view, std::uint32_t>> ids;
  ids.reserve(builds.size());
  for (size_t b = 0; b < builds.size(); ++b) {
    std::string problem = BuildIdProblem(builds[b].id);
    if (!problem.empty()) {
      Report(out, "R1", BuildPath(b) + "/id", BuildSubject(builds[b]), builds[b].id,
             std::move(problem));
    }
    ids.emplace_back(builds[b].id, static_cast<std::uint32_t>(b));
  }
  for (auto [dup, first] : FindDuplicates(ids)) {
    Report(out, "R1", BuildPath(dup) + "/id", BuildSubject(builds[dup]), builds[dup].id,
           "duplicate build id " + Quote(builds[dup].id) + " (first at " + BuildPath(first) + ")");
  }
}

void CheckRevs(const RuleInput& in, std::vector<Violation>* out) {
  std::vector<std::pair<std::string_view, std::uint32_t>> revs;
  // The last build whose revs passed: builds mostly have the same branches and tags, and
  // the same revs in the same order pass again (their values and their uniqueness).
  const Build* passed = nullptr;
  for (size_t b = 0; b < in.org.builds.size(); ++b) {
    const Build& build = in.org.builds[b];
    if (passed != nullptr && SameRevs(*passed, build)) continue;
    size_t reported = out->size();
    revs.clear();
    for (size_t e = 0; e < build.envers.size(); ++e) {
      CheckRevValues(b, e, build, build.envers[e], out);
      revs.emplace_back(build.envers[e].rev.str(), static_cast<std::uint32_t>(e));
    }
    for (auto [dup, first] : FindDuplicates(revs)) {
      const Enver& enver = build.envers[dup];
      Report(out, "R2", EnverPath(b, dup) + "/rev", EnverSubject(build, enver), enver.rev.str(),
             "duplicate rev " + Quote(enver.rev.str()) + " in build " + Quote(build.id) +
                 " (first at " + EnverPath(b, first) + ")");
    }
    passed = out->size() == reported ? &build : nullptr;
  }
}

void CheckDerivedNames(const RuleInput& in, std::vector<Violation>* out) {
  RoleNameChecker roles(in.org);
  // The product names (as the graph's numbers) and prefix levels of the last node whose
  // product names passed: a node with the same ones passes too (envers publish alike).
  bool any_passed = false;
  std::span<const std::uint32_t> passed_names;
  size_t passed_levels = 0;
  NodeCursor nodes(in.graph);
  for (size_t b = 0; b < in.org.builds.size(); ++b) {
    const Build& build = in.org.builds[b];
    for (size_t e = 0; e < build.envers.size(); ++e) {
      const Enver& enver = build.envers[e];
      std::optional<EnverIndex> node = nodes.Next(b, e);
      size_t levels = ProductPrefixLevels(build, enver);
      std::span<const std::uint32_t> names;
      if (node) names = in.graph.product_name_numbers(*node);
      if (!node || !any_passed || levels != passed_levels ||
          !std::ranges::equal(names, passed_names)) {
        size_t reported = out->size();
        CheckProductNames(b, e, build, enver, levels, out);
        any_passed = node && out->size() == reported;
        passed_names = names;
        passed_levels = levels;
      }
      CheckStackNames(b, e, build, enver, out);
      roles.Check(b, e, build, enver, out);
    }
  }
}

}  // namespace odmd::model::rules

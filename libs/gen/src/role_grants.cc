// What a (build, account, region) group's roles grant. Every string that goes into an ARN
// or a trust condition is checked first: IAM reads '*' and '?' as wildcards (and "${" as a
// policy variable) even inside an ARN, so one stray character in a manifest value would
// silently widen a grant. Validation (R1, R2, R10, R11) rejects such values already; the
// generator checks again because it must never emit a wider grant than it means to.

#include "role_grants.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "odmd/base/strings.h"
#include "odmd/gen/iam_match.h"
#include "odmd/model/naming.h"

namespace odmd::gen {
namespace {

using model::Account;
using model::Build;
using model::Enver;
using model::EnverNames;
using model::RevType;

constexpr std::string_view kOidcHost = "token.actions.githubusercontent.com";

bool IsNameChar(char c) { return IsAsciiAlnum(c) || c == '_' || c == '.' || c == '-'; }
bool IsPathChar(char c) { return IsNameChar(c) || c == '/'; }
bool IsRegionChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// kInvalidArgument when `value` is empty or has a character `ok` rejects; `what` names the
// value and where it comes from, `allowed` describes the legal set.
Status CheckChars(const std::string& what, std::string_view value, bool (*ok)(char),
                  std::string_view allowed) {
  if (value.empty()) return InvalidArgumentError(what + " is empty");
  auto bad = std::find_if_not(value.begin(), value.end(), ok);
  if (bad == value.end()) return OkStatus();
  return InvalidArgumentError(what + " " + Quote(value) + " has character " +
                              Quote(std::string_view(&*bad, 1)) + " outside " +
                              std::string(allowed) + "; it cannot go into an IAM policy");
}

Status CheckAccountId(const Account& account) {
  bool ok = account.id.size() == 12 && std::all_of(account.id.begin(), account.id.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  if (ok) return OkStatus();
  return InvalidArgumentError("account " + Quote(account.name) + ": id " + Quote(account.id) +
                              " is not 12 digits");
}

Status CheckLength(std::string_view what, const std::string& name, size_t limit) {
  if (name.size() <= limit) return OkStatus();
  return InvalidArgumentError("R10: " + std::string(what) + " " + Quote(name) + " is " +
                              std::to_string(name.size()) + " characters; the limit is " +
                              std::to_string(limit));
}

Status CheckGroupInputs(const RoleGroup& group, const Account& central) {
  const Build& build = *group.build;
  std::string subject = "build " + Quote(build.id);
  ODMD_RETURN_IF_ERROR(CheckChars(subject + ": id", build.id, IsNameChar, "[A-Za-z0-9_.-]"));
  ODMD_RETURN_IF_ERROR(
      CheckChars(subject + ": repo owner", build.repo.owner, IsNameChar, "[A-Za-z0-9_.-]"));
  ODMD_RETURN_IF_ERROR(
      CheckChars(subject + ": repo name", build.repo.name, IsNameChar, "[A-Za-z0-9_.-]"));
  ODMD_RETURN_IF_ERROR(CheckChars(subject + ": region", group.region, IsRegionChar, "[a-z0-9-]"));
  ODMD_RETURN_IF_ERROR(CheckAccountId(*group.account));
  return CheckAccountId(central);
}

// The git ref a static enver's workflow runs on. The manifest keeps rev values, and many
// git names map to one value ("feature/login" and "feature-login" both give
// b..feature-login), so the ref cannot be recovered from the value in general. A legal
// value is the one git name that maps to itself, so the trust names exactly that branch
// or tag; docs/roles.md says why other spellings are not trusted.
Result<std::string> GitRefOf(const Build& build, const Enver& enver) {
  const std::string& value = enver.rev.value();
  bool branch = enver.rev.type() == RevType::kBranch;
  Result<std::string> mapped =
      branch ? model::BranchToRevValue(value) : model::TagToRevValue(value);
  if (!mapped.ok() || *mapped != value) {
    return InvalidArgumentError("enver " + Quote(model::EnverId(build.id, enver.rev)) +
                                ": rev value " + Quote(value) + " is not the name of a git " +
                                (branch ? "branch" : "tag") + " (R2)");
  }
  return std::string(branch ? "refs/heads/" : "refs/tags/") + value;
}

// The start every stack name of a stack base shares (the build id for a one-stack enver):
// Sanitize("<base>--<anything>") minus the anything. Sanitize rewrites only the first and
// last character specially, so the prefix of Sanitize(base + "--x") is exactly the
// sanitized base followed by "--".
std::string StackPrefix(std::string_view base) {
  std::string name = model::Sanitize(std::string(base) + "--x");
  name.pop_back();
  return name;
}

std::string StackArn(const RoleGroup& group, std::string_view stack_name_or_pattern) {
  return "arn:aws:cloudformation:" + group.region + ":" + group.account->id + ":stack/" +
         std::string(stack_name_or_pattern) + "/*";
}

// The stack name prefixes of `build`'s envers in the group's account and region.
std::set<std::string> StackPrefixesIn(const Build& build, const RoleGroup& group) {
  std::set<std::string> out;
  for (const Enver& e : build.envers) {
    if (e.account != group.account->name || e.region != group.region) continue;
    for (const std::string& base : model::StackBases(build, e)) out.insert(StackPrefix(base));
  }
  return out;
}

// Other builds whose stacks fall inside one of this build's clone patterns "<prefix>*"
// (build "a" and build "a--x" in one account and region: "a--*" matches "a--x--main") are
// denied, so that a clone of this build cannot touch them. Equal prefixes, or a static
// stack of this build inside another build's prefix, are collisions the contracts must fix.
Status AddDeniedStacks(const model::Org& org, const RoleGroup& group,
                       const std::vector<std::string>& own_stacks,
                       const std::set<std::string>& clone_prefixes, RoleGrants* grants) {
  const Build& build = *group.build;
  std::set<std::string> own_prefixes = StackPrefixesIn(build, group);
  own_prefixes.insert(clone_prefixes.begin(), clone_prefixes.end());
  std::string where =
      " in account " + Quote(group.account->name) + " region " + Quote(group.region);
  for (const Build& other : org.builds) {
    if (other.id == build.id) continue;
    for (const std::string& other_prefix : StackPrefixesIn(other, group)) {
      for (const std::string& prefix : own_prefixes) {
        if (other_prefix == prefix) {
          return InvalidArgumentError("builds " + Quote(build.id) + " and " + Quote(other.id) +
                                      " share the stack name prefix " + Quote(prefix) + where +
                                      "; their stacks would collide");
        }
        if (!other_prefix.starts_with(prefix)) continue;
        for (const std::string& stack : own_stacks) {
          if (stack.starts_with(other_prefix)) {
            return InvalidArgumentError("stack " + Quote(stack) + " of build " + Quote(build.id) +
                                        " lies in the stack name space " +
                                        Quote(other_prefix + "*") + " of build " + Quote(other.id) +
                                        where);
          }
        }
        grants->denied_stack_arns.push_back(StackArn(group, other_prefix + "*"));
      }
    }
  }
  return OkStatus();
}

// Whether clones of `enver` can exist: a positive clone limit, and not a contracts or
// user-auth enver (singletons, never cloned: rule R7, DeriveClone).
bool AllowsClones(const Build& build, const Enver& enver) {
  return enver.clone_limit > 0 && build.kind != model::BuildKind::kContracts &&
         build.kind != model::BuildKind::kUserAuth;
}

// Sorted, without duplicates, and without values another value of the list already
// covers ("refs/heads/main" next to "refs/heads/*", "stack/svc--main/*" next to
// "stack/svc--*/*"): the grant is the same and IAM's size limits are tight (a trust policy
// holds 2048 characters). A '*'-only pattern p covers v when p matches v's text with v's own
// '*' taken literally: each of them then lies inside a '*' of p. (Our values have no '?'.)
std::vector<std::string> Normalized(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::vector<std::string> patterns;
  std::copy_if(v.begin(), v.end(), std::back_inserter(patterns),
               [](const std::string& s) { return s.find('*') != std::string::npos; });
  std::erase_if(v, [&](const std::string& s) {
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
      return p != s && IamMatch(p, s) && !IamMatch(s, p);
    });
  });
  return v;
}

// The registry repositories of a build: "<build id lowercased, keeping [a-z0-9-]>", the
// first part of the repository name the image workflow pushes to (ODMD_image_repo).
std::string RegistryPrefix(std::string_view build_id) {
  std::string prefix;
  for (char c : build_id) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '-') {
      prefix += lower;
    }
  }
  return prefix;
}

}  // namespace

Result<RoleGrants> ComputeRoleGrants(const model::Org& org, const RoleGroup& group) {
  ODMD_CHECK(group.build != nullptr && group.account != nullptr && !group.envers.empty());
  const Build& build = *group.build;
  const Account* central = org.FindAccount(org.central_account);
  if (central == nullptr) {
    return NotFoundError("central account " + Quote(org.central_account) + " is not declared");
  }
  ODMD_RETURN_IF_ERROR(CheckGroupInputs(group, *central));

  RoleGrants g;
  std::string ssm = "arn:aws:ssm:" + group.region + ":" + central->id + ":parameter";
  std::string sub_prefix = "repo:" + build.repo.FullName() + ":ref:";
  std::vector<std::string> own_stacks;
  std::set<std::string> clone_prefixes;  // StackPrefix of each base of a clonable enver
  bool clones = false;
  for (const Enver* enver : group.envers) {
    ODMD_ASSIGN_OR_RETURN(EnverNames names, model::DeriveEnverNames(org, build, *enver));
    g.build_role_name = names.build_role_name;
    g.build_role_arn = names.build_role_arn;
    g.central_role_name = names.central_role_name;
    g.central_role_arn = names.central_role_arn;
    g.role_path = names.build_role_path;
    std::string subject = "enver " + Quote(names.enver_id);

    ODMD_ASSIGN_OR_RETURN(std::string ref, GitRefOf(build, *enver));
    g.trusted_subs.push_back(sub_prefix + ref);

    for (const std::string& stack : names.stack_names) {
      ODMD_RETURN_IF_ERROR(CheckLength("stack name", stack, model::kMaxStackNameLength));
      own_stacks.push_back(stack);
      g.stack_arns.push_back(StackArn(group, stack));
    }
    for (const std::string& base : model::StackBases(build, *enver)) {
      ODMD_RETURN_IF_ERROR(
          CheckChars(subject + ": stack base name", base, IsNameChar, "[A-Za-z0-9_.-]"));
      if (AllowsClones(build, *enver)) clone_prefixes.insert(StackPrefix(base));
    }

    // Own products and the consumed-versions record, exactly; for clones
    // (CloneRev: "<rev>-_<b|t>..<value>") the same names under "<rev>-_*".
    std::vector<std::string> writes = {names.consumed_versions_path};
    for (const auto& product : names.product_paths) writes.push_back(product.second);
    std::string own_prefix = model::ProductPath(build.id, enver->rev, "");
    std::string clone_prefix = own_prefix.substr(0, own_prefix.size() - 1) + "-_*/";
    ODMD_CHECK(model::CloneRev(enver->rev, RevType::kBranch, "x").starts_with(enver->rev.str()));
    for (const std::string& path : writes) {
      ODMD_RETURN_IF_ERROR(
          CheckChars(subject + ": product path", path, IsPathChar, "[A-Za-z0-9_.-/]"));
      g.write_arns.push_back(ssm + path);
      if (AllowsClones(build, *enver)) {
        g.write_arns.push_back(ssm + clone_prefix + path.substr(own_prefix.size()));
      }
    }
    for (const auto& [consumer, path] : names.consumer_paths) {
      ODMD_RETURN_IF_ERROR(CheckChars(subject + ": consumer " + Quote(consumer) + " product path",
                                      path, IsPathChar, "[A-Za-z0-9_.-/]"));
      g.read_arns.push_back(ssm + path);
    }
    clones = clones || AllowsClones(build, *enver);
  }
  ODMD_RETURN_IF_ERROR(
      CheckLength("build role name", g.build_role_name, model::kMaxRoleNameLength));
  ODMD_RETURN_IF_ERROR(
      CheckLength("central role name", g.central_role_name, model::kMaxRoleNameLength));
  if (clones) {
    // Clones live on arbitrary branches (and tags) of the repo: see docs/roles.md.
    g.trusted_subs.push_back(sub_prefix + "refs/heads/*");
    g.trusted_subs.push_back(sub_prefix + "refs/tags/*");
    for (const std::string& prefix : clone_prefixes) {
      g.stack_arns.push_back(StackArn(group, prefix + "*"));
    }
  }
  if (build.kind == model::BuildKind::kImage) {
    g.image_repository_arns.push_back("arn:aws:ecr:" + group.region + ":" + group.account->id +
                                      ":repository/" + RegistryPrefix(build.id) + "/*");
  }
  ODMD_RETURN_IF_ERROR(AddDeniedStacks(org, group, own_stacks, clone_prefixes, &g));
  if (!clones) g.denied_stack_arns.clear();  // exact stack ARNs reach no other build
  g.oidc_provider_arn =
      "arn:aws:iam::" + group.account->id + ":oidc-provider/" + std::string(kOidcHost);
  g.enver_secret_arn = "arn:aws:secretsmanager:" + group.region + ":" + group.account->id +
                       ":secret:" + model::EnverSecretPrefix(build.id) + "${aws:PrincipalTag/" +
                       model::kEnverSessionTag + "}-??????";
  g.central_root_arn = "arn:aws:iam::" + central->id + ":root";
  g.platform_principal_arn = "arn:aws:iam::" + central->id + ":role/" + kPlatformRoleName;
  g.trusted_subs = Normalized(std::move(g.trusted_subs));
  g.stack_arns = Normalized(std::move(g.stack_arns));
  g.denied_stack_arns = Normalized(std::move(g.denied_stack_arns));
  g.write_arns = Normalized(std::move(g.write_arns));
  g.read_arns = Normalized(std::move(g.read_arns));
  return g;
}

}  // namespace odmd::gen

// Derived names (DESIGN.md §5). Each formula is byte-exact with the ondemandenv ecosystem
// (ONDEMANDENV-CONVENTIONS.md), so prefer plain concatenation over cleverness here.

#include "odmd/model/naming.h"

#include "odmd/base/strings.h"

namespace odmd::model {
namespace {

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view TrimChar(std::string_view s, char c) {
  while (!s.empty() && s.front() == c) s.remove_prefix(1);
  while (!s.empty() && s.back() == c) s.remove_suffix(1);
  return s;
}

// Sanitize(), reusing `out`.
std::string SanitizeOwn(std::string out) {
  for (char& c : out) {
    if (!IsAsciiAlnum(c)) c = '-';
  }
  if (!out.empty() && out.front() == '-') out.front() = 'A';
  if (!out.empty() && out.back() == '-') out.back() = 'Z';
  return out;
}

}  // namespace

std::string EnverId(std::string_view build, const RevRef& rev) {
  std::string out(build);
  out += '/';
  out += rev.str();
  return out;
}

std::string CloneRev(const RevRef& origin, RevType type, std::string_view value) {
  return origin.str() + "-_" + RevSegment{type, std::string(value)}.ToString();
}

std::string ProductPath(std::string_view build, const RevRef& rev, std::string_view product) {
  std::string out = "/odmd-share/" + EnverId(build, rev);
  out += '/';
  out += product;
  return out;
}

std::string ConsumedVersionsPath(std::string_view build, const RevRef& rev) {
  return ProductPath(build, rev, "share..version");
}

std::string EnverConfigPath(std::string_view build, const RevRef& rev) {
  return "/odmd-" + EnverId(build, rev) + "/enver_config";
}

std::string Sanitize(std::string_view name) { return SanitizeOwn(std::string(name)); }

std::string EnverSecretPrefix(std::string_view build) { return "odmd/" + std::string(build) + "/"; }

std::string EnverSecretName(std::string_view build, const RevRef& rev) {
  return EnverSecretPrefix(build) + rev.str();
}

std::string_view StackNameRev(const RevRef& rev) {
  // A branch (static or clone) is named by its own value alone: a branch clone must not
  // mention its origin so that its stacks read like any other branch's. Tags keep the
  // full rev so a tag clone cannot collide with a static tag enver of the same value.
  return rev.type() == RevType::kBranch ? rev.value() : rev.str();
}

std::string StackName(std::string_view build, const RevRef& rev) {
  std::string name(build);
  name += "--";
  name += StackNameRev(rev);
  return SanitizeOwn(std::move(name));
}

std::vector<std::string> StackBases(const Build& build, const Enver& enver) {
  if (enver.stacks.empty()) return {build.id};
  return enver.stacks;
}

std::vector<std::string> StackNames(const Build& build, const Enver& enver) {
  std::vector<std::string> out;
  for (const std::string& base : StackBases(build, enver))
    out.push_back(StackName(base, enver.rev));
  return out;
}

std::string BuildRoleName(std::string_view build, std::string_view region,
                          std::string_view account_id) {
  std::string out(build);
  out += '-';
  out += region;
  out += account_id;
  out += "-buildRole";
  return out;
}

std::string CentralRoleName(std::string_view build, std::string_view region,
                            std::string_view account_id) {
  std::string out(build);
  out += '-';
  out += region;
  out += account_id;
  out += "-centerRole";
  return out;
}

std::string RolePath(std::string_view build) {
  std::string out = "/";
  out += build;
  out += '/';
  return out;
}

std::string RoleArn(std::string_view role_account_id, std::string_view build,
                    std::string_view role_name) {
  std::string out = "arn:aws:iam::";
  out += role_account_id;
  out += ":role";
  out += RolePath(build);
  out += role_name;
  return out;
}

std::string_view CiType(BuildKind kind) {
  switch (kind) {
    case BuildKind::kContracts:
    case BuildKind::kCmd:
      return "CmdsGH";
    case BuildKind::kImage:
      return "ContainerImageEcr";
    case BuildKind::kCdk:
    case BuildKind::kNetworking:
    case BuildKind::kEksCluster:
    case BuildKind::kUserAuth:
      return "CdkGithubWF";
  }
  return "CdkGithubWF";  // Unreachable for valid enum values; keeps -Wreturn-type quiet.
}

std::string WorkflowFileName(std::string_view build, BuildKind kind, std::string_view region,
                             std::string_view account_name) {
  std::string out = "ODMD_";
  out += build;
  out += '-';
  out += CiType(kind);  // No separator between ciType and region: the ecosystem's spelling.
  out += region;
  out += '-';
  out += account_name;
  out += ".yaml";
  return out;
}

std::string WorkflowFilePath(std::string_view build, BuildKind kind, std::string_view region,
                             std::string_view account_name) {
  return ".github/workflows/" + WorkflowFileName(build, kind, region, account_name);
}

std::string EnverSubdomain(std::string_view build, const RevRef& rev) {
  std::string kept;
  for (char c : rev.str()) {
    if (IsAsciiAlnum(c) || c == '-') kept += ToLowerAscii(c);
  }
  std::string out(TrimChar(kept, '-'));
  out += '.';
  out += AsciiToLower(build);
  return out;
}

std::string ImageRepoName(std::string_view build, const RevRef& rev, std::string_view part) {
  std::string raw(build);
  raw += '/';
  raw += rev.str();
  raw += '/';
  raw += part;
  std::string out;
  for (char c : raw) {
    c = ToLowerAscii(c);
    if (IsAsciiAlnum(c) || c == '-' || c == '/') out += c;
  }
  return out;
}

std::string EnverImageRepo(std::string_view build, const RevRef& rev) {
  return ImageRepoName(build, rev, build);
}

std::string KubernetesNamespace(std::string_view build, const RevRef& rev) {
  constexpr size_t kMaxNamespaceLength = 63;  // RFC 1123 label
  std::string raw(build);
  raw += '-';
  raw += rev.str();
  std::string collapsed;
  for (char c : raw) {
    c = ToLowerAscii(c);
    if (IsAsciiAlnum(c)) {
      collapsed += c;
    } else if (collapsed.empty() || collapsed.back() != '-') {
      collapsed += '-';
    }
  }
  // Trim, cut, and trim again: the cut may end on a '-'.
  std::string_view out = TrimChar(collapsed, '-');
  out = TrimChar(out.substr(0, kMaxNamespaceLength), '-');
  return std::string(out);
}

Result<EnverNames> DeriveEnverNames(const Org& org, const Build& build, const Enver& enver) {
  const Account* target = org.FindAccount(enver.account);
  if (target == nullptr) {
    return NotFoundError("enver " + Quote(EnverId(build.id, enver.rev)) + ": account " +
                         Quote(enver.account) + " is not declared");
  }
  const Account* central = org.FindAccount(org.central_account);
  if (central == nullptr) {
    return NotFoundError("central account " + Quote(org.central_account) + " is not declared");
  }
  const std::string& b = build.id;
  const RevRef& rev = enver.rev;
  EnverNames n;
  n.enver_id = EnverId(b, rev);
  n.rev = rev.str();
  n.stack_names = StackNames(build, enver);
  n.stack_name = n.stack_names.front();
  // Both roles are named after the TARGET account; only the central role's ARN points at
  // the central account, where it lives.
  n.build_role_name = BuildRoleName(b, enver.region, target->id);
  n.build_role_path = RolePath(b);
  n.build_role_arn = RoleArn(target->id, b, n.build_role_name);
  n.central_role_name = CentralRoleName(b, enver.region, target->id);
  n.central_role_arn = RoleArn(central->id, b, n.central_role_name);
  n.ci_type = std::string(CiType(build.kind));
  n.workflow_file = WorkflowFilePath(b, build.kind, enver.region, target->name);
  n.consumed_versions_path = ConsumedVersionsPath(b, rev);
  n.enver_config_path = EnverConfigPath(b, rev);
  n.subdomain = EnverSubdomain(b, rev);
  n.kubernetes_namespace = KubernetesNamespace(b, rev);
  if (build.kind == BuildKind::kImage) n.image_repo = EnverImageRepo(b, rev);
  for (const Product& p : enver.products) {
    n.product_paths.emplace_back(p.name, ProductPath(b, rev, p.name));
  }
  for (const Consumer& c : enver.consumers) {
    // The producer is an enver id "<build>/<rev>", so this equals ProductPath of the
    // producer without re-parsing (and re-validating) its rev here.
    n.consumer_paths.emplace_back(c.name, "/odmd-share/" + c.producer + "/" + c.product);
  }
  return n;
}

}  // namespace odmd::model

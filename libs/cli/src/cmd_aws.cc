// odmd aws bootstrap <manifest> --aws-config FILE [--admin-role NAME] [--cdk-sdk DIR]
// [--json]: deploys the generated IAM role templates (gen::GenerateRoles) as CloudFormation
// stacks into the contracts' AWS accounts, idempotently (docs/aws-targets.md "Bootstrap"):
//
//   1. the build-role template of every (build, account, region) whose account is an AWS
//      target of the settings, in that account and region;
//   2. then the matching central-role templates in the central account (the central role's
//      trust names the build role, which must exist first);
//   3. with --cdk-sdk: `cdk bootstrap aws://<account>/<region>` (the CDKToolkit stack) of
//      every AWS target account and region that has an enver with the CDK tail.
//
// Credentials per account: STS AssumeRole of arn:aws:iam::<id>:role/<admin role> with the
// central credentials, or the central credentials themselves for the account they are in.
// Every account's credentials are obtained before any stack is deployed, so a refused role
// deploys nothing. Stack name: "odmd-roles-<Sanitize(build)>-<region>-<account id>-build"
// (target account) or "...-central" (central account).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "command.h"
#include "common.h"
#include "odmd/aws/client.h"
#include "odmd/aws/cloudformation.h"
#include "odmd/aws/sts.h"
#include "odmd/base/strings.h"
#include "odmd/gen/roles.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/aws_settings.h"
#include "odmd/reconcile/runner.h"

namespace odmd::cli {
namespace {

constexpr char kDefaultAdminRole[] = "OrganizationAccountAccessRole";
constexpr char kSessionName[] = "odmd-bootstrap";
constexpr std::size_t kMaxStackName = 128;

// One role template to deploy as a stack.
struct RoleStack {
  std::string account;  // account id the stack goes into
  std::string region;
  std::string name;           // stack name
  std::string template_path;  // roles/<build>/<accountName>-<region>-<kind>-role.json
  std::string body;
};

struct Deployed {
  RoleStack stack;
  aws::StackChange change;
};

// Which group a role template belongs to.
struct Group {
  std::string build;
  std::string target_account;  // id
  std::string region;
  bool central = false;
};

std::string StackNameOf(const Group& g) {
  return "odmd-roles-" + model::Sanitize(g.build) + "-" + g.region + "-" + g.target_account +
         (g.central ? "-central" : "-build");
}

// Template path -> group, for every enver of the contracts.
std::map<std::string, Group> GroupsByPath(const model::Org& org) {
  std::map<std::string, Group> groups;
  for (const model::Build& build : org.builds) {
    for (const model::Enver& enver : build.envers) {
      const model::Account* account = org.FindAccount(enver.account);
      if (account == nullptr) continue;  // validation refused it already
      const std::string prefix =
          "roles/" + build.id + "/" + account->name + "-" + enver.region + "-";
      groups[prefix + "build-role.json"] = {build.id, account->id, enver.region, false};
      groups[prefix + "central-role.json"] = {build.id, account->id, enver.region, true};
    }
  }
  return groups;
}

// Every account id of `settings` must be one of the contracts'.
Status CheckSettingsAccounts(const model::Org& org, const reconcile::AwsSettings& settings,
                             const std::string& settings_path) {
  std::set<std::string> known;
  for (const model::Account& a : org.accounts) known.insert(a.id);
  for (const std::string& id : settings.aws_accounts) {
    if (known.count(id) == 0) {
      return InvalidArgumentError("--aws-config " + Quote(settings_path) + ": account " + id +
                                  " is not an account of the contracts");
    }
  }
  return OkStatus();
}

// The stacks to deploy, build roles (by account) first, then central roles.
Result<std::vector<RoleStack>> PlanStacks(const model::Org& org,
                                          const reconcile::AwsSettings& settings,
                                          const std::string& central_id) {
  ODMD_ASSIGN_OR_RETURN(std::vector<gen::GeneratedFile> files, gen::GenerateRoles(org));
  const std::map<std::string, Group> groups = GroupsByPath(org);
  std::vector<RoleStack> build_stacks, central_stacks;
  std::map<std::string, std::string> names;  // account + stack name -> template
  for (gen::GeneratedFile& file : files) {
    auto it = groups.find(file.path);
    if (it == groups.end()) {
      return InternalError("role template " + Quote(file.path) + " matches no enver");
    }
    const Group& g = it->second;
    if (!settings.IsAwsAccount(g.target_account)) continue;
    RoleStack stack{g.central ? central_id : g.target_account, g.region, StackNameOf(g), file.path,
                    std::move(file.content)};
    if (stack.name.size() > kMaxStackName) {
      return InvalidArgumentError("stack name " + Quote(stack.name) + " of " +
                                  Quote(stack.template_path) + " is longer than 128 characters");
    }
    auto [seen, inserted] = names.emplace(stack.account + "/" + stack.name, stack.template_path);
    if (!inserted) {
      return InvalidArgumentError("role templates " + Quote(seen->second) + " and " +
                                  Quote(stack.template_path) + " get the same stack name " +
                                  Quote(stack.name));
    }
    (g.central ? central_stacks : build_stacks).push_back(std::move(stack));
  }
  std::stable_sort(build_stacks.begin(), build_stacks.end(),
                   [](const RoleStack& a, const RoleStack& b) { return a.account < b.account; });
  for (RoleStack& s : central_stacks) build_stacks.push_back(std::move(s));
  return build_stacks;
}

bool IsRoleName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("+=,.@_-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// Credentials in `account`: the central ones when they are of that account, else the admin
// role's, checked with GetCallerIdentity.
Result<aws::Credentials> AccountCredentials(aws::Transport& transport,
                                            const reconcile::AwsSettings& settings,
                                            const std::string& caller_account,
                                            const std::string& account,
                                            const std::string& admin_role) {
  if (account == caller_account) return settings.central.credentials;
  const std::string arn = "arn:aws:iam::" + account + ":role/" + admin_role;
  const std::string where = "account " + account + ", admin role " + arn;
  aws::AwsClient central(settings.central, transport, aws::RealSleeper());
  aws::StsClient sts(central);
  Result<aws::AssumedRole> assumed = sts.AssumeRole(arn, kSessionName);
  if (!assumed.ok()) return assumed.status().WithContext(where);
  aws::AwsConfig config = settings.central;
  config.credentials = assumed->credentials;
  aws::AwsClient as_admin(config, transport, aws::RealSleeper());
  aws::StsClient admin_sts(as_admin);
  Result<aws::CallerIdentity> identity = admin_sts.GetCallerIdentity();
  if (!identity.ok()) return identity.status().WithContext(where);
  if (identity->account != account) {
    return PermissionDeniedError(where + ": the assumed role is in account " + identity->account);
  }
  return assumed->credentials;
}

// Credentials for every account of `stacks`, before anything is deployed.
Result<std::map<std::string, aws::Credentials>> AllCredentials(
    aws::Transport& transport, const reconcile::AwsSettings& settings,
    const std::vector<RoleStack>& stacks, const std::string& admin_role) {
  std::map<std::string, aws::Credentials> creds;
  if (stacks.empty()) return creds;
  aws::AwsClient central(settings.central, transport, aws::RealSleeper());
  aws::StsClient sts(central);
  Result<aws::CallerIdentity> caller = sts.GetCallerIdentity();
  if (!caller.ok()) return caller.status().WithContext("the central credentials");
  for (const RoleStack& s : stacks) {
    if (creds.count(s.account) > 0) continue;
    ODMD_ASSIGN_OR_RETURN(
        aws::Credentials c,
        AccountCredentials(transport, settings, caller->account, s.account, admin_role));
    creds.emplace(s.account, std::move(c));
  }
  return creds;
}

Result<aws::StackChange> DeployOne(aws::Transport& transport,
                                   const reconcile::AwsSettings& settings,
                                   const aws::Credentials& credentials, const RoleStack& stack) {
  aws::AwsConfig config = settings.central;
  config.region = stack.region;
  config.credentials = credentials;
  aws::AwsClient client(config, transport, aws::RealSleeper());
  aws::CloudFormationClient cfn(client);
  aws::StackWait wait;
  wait.poll = std::chrono::milliseconds(2000);
  wait.max_polls = 450;  // 15 minutes
  Result<aws::StackChange> change =
      cfn.DeployStack({stack.name, stack.body, /*named_iam=*/true}, aws::RealSleeper(), wait);
  if (!change.ok()) {
    return change.status().WithContext("account " + stack.account + ", region " + stack.region +
                                       ", stack " + Quote(stack.name) + " (" + stack.template_path +
                                       ")");
  }
  return change;
}

nlohmann::json DeployedJson(const std::vector<Deployed>& done) {
  nlohmann::json stacks = nlohmann::json::array();
  for (const Deployed& d : done) {
    stacks.push_back({{"status", aws::StackChangeName(d.change)},
                      {"account", d.stack.account},
                      {"region", d.stack.region},
                      {"stack", d.stack.name},
                      {"template", d.stack.template_path}});
  }
  return stacks;
}

void PrintLine(Io& io, const Deployed& d) {
  io.out << aws::StackChangeName(d.change) << "  account " << d.stack.account << "  region "
         << d.stack.region << "  stack " << d.stack.name << "\n"
         << std::flush;
}

struct BootstrapOpts {
  std::string manifest, aws_config, admin_role = kDefaultAdminRole, cdk_sdk;
  bool json = false;
};

// An (account, region) the CDK bootstrap goes into.
struct CdkTarget {
  std::string account, region;
  auto operator<=>(const CdkTarget&) const = default;
};

// The AWS target accounts and regions of envers with the CDK tail (CiType CdkGithubWF).
std::set<CdkTarget> CdkTargets(const model::Org& org, const reconcile::AwsSettings& settings) {
  std::set<CdkTarget> out;
  for (const model::Build& b : org.builds) {
    if (model::CiType(b.kind) != "CdkGithubWF") continue;
    for (const model::Enver& e : b.envers) {
      const model::Account* account = org.FindAccount(e.account);
      if (account != nullptr && settings.IsAwsAccount(account->id)) {
        out.insert({account->id, e.region});
      }
    }
  }
  return out;
}

// `cdk bootstrap aws://<account>/<region>` with that account's credentials and the settings'
// endpoint; "unchanged" when the CDK says there was nothing to do.
Result<std::string> CdkBootstrap(Io& io, const std::string& cdk,
                                 const reconcile::AwsSettings& settings,
                                 const aws::Credentials& credentials, const CdkTarget& t) {
  std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", credentials.access_key_id},
      {"AWS_SECRET_ACCESS_KEY", credentials.secret_access_key},
      {"AWS_REGION", t.region},
      {"AWS_DEFAULT_REGION", t.region},
      {"CDK_DISABLE_VERSION_CHECK", "1"},
      {"CDK_DISABLE_CLI_TELEMETRY", "true"}};
  if (!credentials.session_token.empty()) env["AWS_SESSION_TOKEN"] = credentials.session_token;
  if (!settings.central.endpoint_url.empty())
    env["AWS_ENDPOINT_URL"] = settings.central.endpoint_url;
  if (const char* home = std::getenv("HOME")) env["HOME"] = home;
  reconcile::RunRequest request;
  request.argv = {cdk, "bootstrap", "aws://" + t.account + "/" + t.region, "--no-notices"};
  request.env = std::move(env);
  request.time_limit = std::chrono::minutes(15);
  std::string log;
  request.log_sink = [&log](std::string_view chunk) { log.append(chunk); };
  reconcile::ProcessRunnerOptions runner_options;
  runner_options.sandbox = reconcile::SandboxMode::kNone;
  std::unique_ptr<reconcile::Runner> runner = reconcile::NewProcessRunner(io.clock, runner_options);
  const std::string where = "account " + t.account + ", region " + t.region + ", cdk bootstrap";
  Result<reconcile::RunResult> ran = runner->Run(request);
  if (!ran.ok()) return ran.status().WithContext(where);
  if (!ran->succeeded()) {
    // The CDK's own words, without anything it echoed of the environment (it prints none).
    const std::string tail = log.size() > 2000 ? log.substr(log.size() - 2000) : log;
    return FailedPreconditionError(where + " failed (exit " + std::to_string(ran->exit_code) +
                                   "): " + tail);
  }
  return std::string(log.find("no changes") != std::string::npos ? "unchanged" : "bootstrapped");
}

// The CDK bootstrap of every CdkTargets entry; appends to `done` (stack "CDKToolkit").
Status CdkBootstrapAll(Io& io, const BootstrapOpts& o, const reconcile::AwsSettings& settings,
                       const std::set<CdkTarget>& targets,
                       const std::map<std::string, aws::Credentials>& creds, nlohmann::json& done) {
  const std::string cdk =
      (std::filesystem::path(o.cdk_sdk) / "node_modules" / ".bin" / "cdk").string();
  for (const CdkTarget& t : targets) {
    auto c = creds.find(t.account);
    if (c == creds.end()) {
      return InternalError("no credentials for account " + t.account + " (cdk bootstrap)");
    }
    ODMD_ASSIGN_OR_RETURN(std::string status, CdkBootstrap(io, cdk, settings, c->second, t));
    done.push_back({{"status", status},
                    {"account", t.account},
                    {"region", t.region},
                    {"stack", "CDKToolkit"},
                    {"template", "cdk bootstrap"}});
    if (!o.json) {
      io.out << status << "  account " << t.account << "  region " << t.region
             << "  stack CDKToolkit (cdk bootstrap)\n"
             << std::flush;
    }
  }
  return OkStatus();
}

// Deploys `stacks` in order; stops at the first failure.
int DeployAll(Io& io, const BootstrapOpts& o, const reconcile::AwsSettings& settings,
              const std::vector<RoleStack>& stacks, const std::set<CdkTarget>& cdk_targets) {
  std::unique_ptr<aws::Transport> transport = aws::NewCurlTransport();
  Result<std::map<std::string, aws::Credentials>> creds =
      AllCredentials(*transport, settings, stacks, o.admin_role);
  if (!creds.ok()) return ReportFailure(io, o.json, creds.status());
  std::vector<Deployed> done;
  for (const RoleStack& stack : stacks) {
    Result<aws::StackChange> change =
        DeployOne(*transport, settings, creds->at(stack.account), stack);
    if (!change.ok()) {
      if (!o.json) return ReportFailure(io, false, change.status());
      PrintJson(
          io,
          {{"ok", false}, {"error", StatusJson(change.status())}, {"stacks", DeployedJson(done)}});
      return kExitFailure;
    }
    done.push_back({stack, *change});
    if (!o.json) PrintLine(io, done.back());
  }
  nlohmann::json all = DeployedJson(done);
  if (!cdk_targets.empty()) {
    Status cdk = CdkBootstrapAll(io, o, settings, cdk_targets, *creds, all);
    if (!cdk.ok()) {
      if (!o.json) return ReportFailure(io, false, cdk);
      PrintJson(io, {{"ok", false}, {"error", StatusJson(cdk)}, {"stacks", all}});
      return kExitFailure;
    }
  }
  if (o.json) {
    PrintJson(io, all);
  } else {
    io.out << all.size() << " stack(s) deployed\n";
  }
  return kExitOk;
}

int RunBootstrap(Io& io, const BootstrapOpts& o) {
  if (!IsRoleName(o.admin_role)) {
    return ReportFailure(
        io, o.json,
        InvalidArgumentError("--admin-role " + Quote(o.admin_role) + " is not an IAM role name"));
  }
  auto org = LoadManifestOrReport(io, o.json, o.manifest);
  if (!org) return kExitFailure;
  Result<reconcile::AwsSettings> settings =
      reconcile::LoadAwsSettings(o.aws_config, aws::ProcessEnvironment());
  if (!settings.ok())
    return ReportFailure(io, o.json, settings.status().WithContext("--aws-config"));
  Status accounts = CheckSettingsAccounts(*org, *settings, o.aws_config);
  if (!accounts.ok()) return ReportFailure(io, o.json, accounts);
  const model::Account* central = org->FindAccount(org->central_account);
  if (central == nullptr) {
    return ReportFailure(io, o.json,
                         NotFoundError("central account " + Quote(org->central_account) +
                                       " is not declared in " + Quote(o.manifest)));
  }
  Result<std::vector<RoleStack>> stacks = PlanStacks(*org, *settings, central->id);
  if (!stacks.ok()) return ReportFailure(io, o.json, stacks.status());
  std::set<CdkTarget> cdk_targets;
  if (!o.cdk_sdk.empty()) {
    const std::string cdk =
        (std::filesystem::path(o.cdk_sdk) / "node_modules" / ".bin" / "cdk").string();
    if (::access(cdk.c_str(), X_OK) != 0) {
      return ReportFailure(
          io, o.json,
          InvalidArgumentError("--cdk-sdk " + Quote(o.cdk_sdk) + ": " + Quote(cdk) +
                               " is not an executable cdk CLI (run "
                               "scripts/install-deps.sh, which installs sdk/cdk)"));
    }
    cdk_targets = CdkTargets(*org, *settings);
  } else if (!CdkTargets(*org, *settings).empty() && !o.json) {
    io.err << "odmd aws bootstrap: no --cdk-sdk: the CDK bootstrap (CDKToolkit) of the "
              "accounts with CDK envers is not done\n";
  }
  return DeployAll(io, o, *settings, *stacks, cdk_targets);
}

RunFn SetupAwsBootstrap(CLI::App& sub, Io& io) {
  auto o = std::make_shared<BootstrapOpts>();
  AddManifestArgument(sub, o->manifest);
  sub.add_option("--aws-config", o->aws_config,
                 "The AWS settings file of odmd serve (accounts, endpoint, region; "
                 "docs/aws-targets.md); central credentials from the AWS_* chain")
      ->required();
  sub.add_option("--admin-role", o->admin_role,
                 "Role assumed in each target account to deploy the role stacks")
      ->default_str(kDefaultAdminRole);
  sub.add_option("--cdk-sdk", o->cdk_sdk,
                 "A CDK install (e.g. sdk/cdk of this repo): also `cdk bootstrap` every AWS "
                 "target account and region with CDK envers");
  AddJsonFlag(sub, o->json);
  return [o, &io]() { return RunBootstrap(io, *o); };
}

constexpr Subcommand kAwsCommands[] = {
    {"bootstrap",
     "Deploy the generated IAM role stacks into every AWS account of the contracts "
     "(idempotent)",
     SetupAwsBootstrap},
};

}  // namespace

RunFn SetupAws(CLI::App& sub, Io& io) { return SetupGroup(sub, io, kAwsCommands); }

}  // namespace odmd::cli

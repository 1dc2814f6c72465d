// Deployer: one deployment of one enver on the local runner, teardown, and the startup
// cleanup of what a crashed process left running.

#include "odmd/reconcile/deployer.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "aws_secret.h"
#include "aws_target.h"
#include "cdk_tail.h"
#include "nlohmann/json.hpp"
#include "odmd/base/files.h"
#include "odmd/base/strings.h"
#include "odmd/model/config.h"
#include "odmd/model/naming.h"
#include "odmd/model/rev_ref.h"

namespace odmd::reconcile {
namespace {

namespace fs = std::filesystem;

// The suffix of a run's process-group record (running/<id>.pgid) while it is written.
constexpr const char* kPartialRecord = ".partial";

std::string ShortSha(std::string_view sha) { return std::string(sha.substr(0, 7)); }

// "30m", "90s", "250ms": the largest unit that divides the limit.
std::string FormatDuration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms > 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms > 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read " + Quote(path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return InternalError("cannot read " + Quote(path.string()));
  return ss.str();
}

// The last `max` bytes of a file ("" when it does not exist).
std::string ReadTail(const fs::path& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(max)
                                   ? size - static_cast<std::streamoff>(max)
                                   : std::streamoff{0};
  in.seekg(start);
  std::string out(static_cast<std::size_t>(size - start), '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

// True if `path` (made lexically normal) lies inside `root`.
bool Inside(const fs::path& root, const fs::path& path) {
  const fs::path rel = path.lexically_normal().lexically_relative(root.lexically_normal());
  return !rel.empty() && *rel.begin() != ".." && !rel.is_absolute();
}

DeployOutcome Failed(std::string reason, bool transient) {
  DeployOutcome o;
  o.reason = std::move(reason);
  o.transient = transient;
  return o;
}

Status CheckTarget(const DeployTarget& t, std::string_view id, std::string_view what) {
  if (t.org == nullptr || t.build == nullptr || t.enver == nullptr) {
    return InvalidArgumentError(std::string(what) + " " + Quote(id) +
                                ": the target's org, build and enver must be set");
  }
  const bool safe =
      !id.empty() && id != "." && id != ".." && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (!safe) {
    return InvalidArgumentError(std::string(what) + ": deployment id " + Quote(id) +
                                " is empty or not a plain name ([A-Za-z0-9._-])");
  }
  return OkStatus();
}

// True if a process group (not counting zombies, which only wait to be reaped) exists.
bool GroupAlive(int pgid) {
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != "Z" && state != "X") return true;
  }
  return false;
}

// <state_dir>/enver-accounts/<account>/<region>/<stack>: one enver's account directory.
fs::path EnverAccountDir(const std::string& state_dir, const model::Enver& enver,
                         const std::string& stack) {
  return fs::path(state_dir) / "enver-accounts" / enver.account / enver.region / stack;
}

// Gives `path` (not following symlinks) and, `recursive`, everything under it to uid/gid.
Status ChownTree(const fs::path& path, std::uint32_t uid, bool recursive) {
  auto one = [uid](const fs::path& p) -> Status {
    if (::lchown(p.c_str(), uid, uid) != 0) {
      return InternalError("cannot give " + Quote(p.string()) + " to the sandbox's uid " +
                           std::to_string(uid) + ": " + std::strerror(errno));
    }
    return OkStatus();
  };
  ODMD_RETURN_IF_ERROR(one(path));
  if (!recursive) return OkStatus();
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    ODMD_RETURN_IF_ERROR(one(it->path()));
  }
  if (ec) return InternalError("cannot list " + Quote(path.string()) + ": " + ec.message());
  return OkStatus();
}

}  // namespace

std::uint32_t SandboxUid(std::string_view enver_id) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (char c : enver_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return kSandboxUidBase + h % kSandboxUidCount;
}

Result<std::string> ConsumedProductPath(const model::Consumer& consumer) {
  const auto parts = model::SplitEnverId(consumer.producer);
  Result<model::RevRef> rev =
      parts.has_value()
          ? model::RevRef::Parse(parts->second)
          : Result<model::RevRef>(InvalidArgumentError("producer " + Quote(consumer.producer) +
                                                       " is not \"<build>/<rev>\""));
  if (!rev.ok()) return rev.status();
  return model::ProductPath(parts->first, *rev, consumer.product);
}

std::vector<std::pair<std::string, std::string>> EnverVariables(const model::Build& build,
                                                                const model::Enver& enver,
                                                                const model::Account& account) {
  std::string products;
  for (const model::Product& p : enver.products) {
    if (!products.empty()) products += ' ';
    products += p.name;
  }
  std::vector<std::pair<std::string, std::string>> vars = {
      {"ODMD_build_id", build.id},
      {"ODMD_rev_ref", enver.rev.str()},
      {"ODMD_awsRegion", enver.region},
      {"ODMD_awsAccount", account.id},
      {"ODMD_work_dir", enver.work_dir},
      {"ODMD_build_script", enver.build_script},
      {"ODMD_products", products},
      {"ODMD_stack_names", StrJoin(EnverStackNames(build, enver), " ")},
      {"ODMD_config", model::EffectiveConfig(build, enver)}};
  if (build.kind == model::BuildKind::kImage) {
    vars.emplace_back("ODMD_image_repo", model::EnverImageRepo(build.id, enver.rev));
  }
  return vars;
}

std::vector<std::pair<std::string, std::string>> CiContextVariables(const model::Build& build,
                                                                    const model::Enver& enver,
                                                                    const model::Account& account) {
  std::vector<std::pair<std::string, std::string>> vars = EnverVariables(build, enver, account);
  if (!RunsCdkTail(build.kind)) {
    std::erase_if(vars, [](const auto& v) { return v.first == "ODMD_stack_names"; });
  }
  return vars;
}

// Everything one run (a deployment or a teardown) shares.
class DeployRun {
 public:
  DeployRun(store::ConfigStore& store, Git& git, Runner& runner, const DeployerOptions& options,
            const DeployTarget& target, std::string id, std::string sha)
      : store_(store),
        git_(git),
        runner_(runner),
        options_(options),
        target_(target),
        id_(std::move(id)),
        sha_(std::move(sha)) {
    const fs::path state(options_.state_dir);
    worktree_ = state / "work" / id_;
    products_dir_ = state / "work" / (id_ + ".products");
    manifest_file_ = state / "work" / (id_ + ".manifest.json");
    log_file_ = state / "logs" / (id_ + ".log");
    pgid_file_ = state / "running" / (id_ + ".pgid");
  }
  ~DeployRun() { Cleanup(); }
  DeployRun(const DeployRun&) = delete;
  DeployRun& operator=(const DeployRun&) = delete;

  const model::Enver& enver() const { return *target_.enver; }
  const model::Build& build() const { return *target_.build; }
  bool is_contracts() const { return build().kind == model::BuildKind::kContracts; }
  const fs::path& worktree() const { return worktree_; }
  const fs::path& products_dir() const { return products_dir_; }
  const fs::path& manifest_file() const { return manifest_file_; }

  // Resolves every consumer into `out.consumed` and the environment. `strict`: a consumer
  // without value and placeholder fails the outcome; otherwise its variable is empty.
  std::optional<DeployOutcome> ResolveConsumers(bool strict, DeployOutcome& out) {
    for (const model::Consumer& c : enver().consumers) {
      Result<std::string> path = ConsumedProductPath(c);
      if (!path.ok()) {
        return Failed(
            "consumer " + Quote(c.name) + ": producer " + Quote(c.producer) + " is not an enver id",
            false);
      }
      ConsumedValue v;
      v.consumer = c.name;
      v.path = std::move(path).value();
      std::string value;
      Result<store::Entry> entry = store_.Get(v.path);
      if (entry.ok()) {
        value = entry->value;
        v.version = entry->version;
      } else if (IsNotFound(entry.status())) {
        if (c.placeholder.has_value()) {
          value = *c.placeholder;
          v.placeholder = true;
        } else if (strict) {
          return Failed("consumer " + Quote(c.name) + ": product " + v.path +
                            " has no value and no placeholder",
                        false);
        }
      } else {
        return Failed("consumer " + Quote(c.name) + ": cannot read product " + v.path + ": " +
                          entry.status().message(),
                      true);
      }
      env_[ConsumerVariable(c.name)] = value;
      out.consumed.push_back(std::move(v));
    }
    return std::nullopt;
  }

  // The enver's own account directory (EnverAccountDir) with its stack directory in it, and
  // <account_dir>/<stack> pointing there by a relative symlink (a directory an older odmd
  // left there moves in). In the sandbox the script sees only this directory at
  // <account_dir>: no other enver's stacks.
  std::optional<DeployOutcome> PrepareAccount(const std::string& account_dir) {
    const std::string stack = model::StackName(build().id, enver().rev);
    private_account_ = EnverAccountDir(options_.state_dir, enver(), stack);
    const fs::path own_stack = private_account_ / stack;
    const fs::path link = fs::path(account_dir) / stack;
    const fs::path target =
        fs::path("../../..") / "enver-accounts" / enver().account / enver().region / stack / stack;
    std::error_code ec;
    fs::create_directories(account_dir, ec);
    if (!ec) fs::create_directories(private_account_, ec);
    if (ec) {
      return Failed("cannot create account directory " + Quote(account_dir) + ": " + ec.message(),
                    true);
    }
    const fs::file_status st = fs::symlink_status(link, ec);
    ec.clear();  // not_found is no error here
    if (fs::is_directory(st) && !fs::exists(own_stack, ec)) {
      fs::rename(link, own_stack, ec);
    } else if (fs::is_symlink(st) && fs::read_symlink(link, ec) != target) {
      fs::remove(link, ec);
    }
    if (ec) return Failed("cannot move " + Quote(link.string()) + ": " + ec.message(), true);
    fs::create_directories(own_stack, ec);
    std::error_code ignored;
    if (!ec && !fs::exists(fs::symlink_status(link, ignored))) {
      fs::create_directory_symlink(target, link, ec);
    }
    if (ec || !fs::is_symlink(fs::symlink_status(link, ignored))) {
      return Failed("cannot link stack directory " + Quote(link.string()) + " to " +
                        Quote(own_stack.string()) + (ec ? ": " + ec.message() : ""),
                    true);
    }
    if (root_) {
      Status owned = ChownTree(private_account_, SandboxUid(EnverId()), /*recursive=*/true);
      if (!owned.ok()) return Failed(owned.message(), true);
    }
    return std::nullopt;
  }

  // The rest of the environment; creates the account directory and a fresh products dir.
  std::optional<DeployOutcome> PrepareEnvironment(const std::string& account_dir) {
    const model::Account* account = target_.org->FindAccount(enver().account);
    if (account == nullptr) {
      return Failed("account " + Quote(enver().account) + " of enver " + EnverId() +
                        " is not declared in the contracts",
                    false);
    }
    if (auto failed = PrepareAccount(account_dir)) return failed;
    std::error_code ec;
    fs::remove_all(products_dir_, ec);
    fs::remove(manifest_file_, ec);
    ec.clear();
    fs::create_directories(products_dir_, ec);
    if (!ec) fs::create_directories(log_file_.parent_path(), ec);
    if (!ec) fs::create_directories(pgid_file_.parent_path(), ec);
    if (ec) return Failed("cannot create the run's directories: " + ec.message(), true);
    sandbox_.binds.push_back({products_dir_.string(), products_dir_.string(), true});
    sandbox_.binds.push_back({private_account_.string(), account_dir, true});
    if (is_contracts()) {
      // The script writes the manifest into a file made here: in the sandbox only that
      // file of work/ is bound.
      std::ofstream(manifest_file_, std::ios::trunc).flush();
      if (!fs::is_regular_file(manifest_file_, ec)) {
        return Failed("cannot create " + Quote(manifest_file_.string()), true);
      }
      fs::permissions(manifest_file_, fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::replace, ec);
      sandbox_.binds.push_back({manifest_file_.string(), manifest_file_.string(), true});
    }
    sandbox_.hidden = {options_.state_dir};
    sandbox_.uid = sandbox_.gid = SandboxUid(EnverId());
    if (root_) {
      for (const fs::path& p : {products_dir_, manifest_file_}) {
        if (p == manifest_file_ && !is_contracts()) continue;
        Status s = ChownTree(p, *sandbox_.uid, /*recursive=*/false);
        if (!s.ok()) return Failed(s.message(), true);
      }
    }

    for (auto& [name, value] : EnverVariables(build(), enver(), *account)) {
      env_[name] = std::move(value);
    }
    env_["ODMD_enver_id"] = EnverId();
    env_["ODMD_deployment_id"] = id_;
    env_["ODMD_account_name"] = enver().account;
    env_["ODMD_account_dir"] = account_dir;
    env_["ODMD_PRODUCTS_DIR"] = products_dir_.string();
    if (is_contracts()) env_["ODMD_MANIFEST_FILE"] = manifest_file_.string();
    env_["ODMD_API"] = options_.api_url;
    env_["ODMD_STORE"] = options_.api_url;
    env_["ODMD_TOKEN"] = target_.token;
    env_["HOME"] = worktree_.string();
    std::string path = RunRequest::kDefaultPath;
    if (!options_.odmd_binary.empty()) {
      const fs::path binary = fs::absolute(options_.odmd_binary, ec);
      const fs::path dir = binary.parent_path();
      if (!ec && !dir.empty()) path = dir.string() + ":" + path;
      if (!ec && fs::exists(binary, ec)) {
        sandbox_.binds.push_back({binary.string(), binary.string(), false});
      }
    }
    env_["PATH"] = path;
    for (const auto& [name, value] : options_.script_env) env_.try_emplace(name, value);
    for (const std::string& dir : options_.tool_dirs) {
      if (!fs::is_directory(dir, ec)) {
        return Failed("tool directory " + Quote(dir) + " does not exist", false);
      }
      sandbox_.binds.push_back({dir, dir, false});
    }
    return std::nullopt;
  }

  // On an AWS target: assumes the enver's build role in its account and gives the scripts
  // its temporary credentials (AwsScriptVariables), nothing else of AWS.
  std::optional<DeployOutcome> PrepareAws() {
    const model::Account* account = target_.org->FindAccount(enver().account);
    if (!options_.aws.has_value() || account == nullptr ||
        !options_.aws->IsAwsAccount(account->id)) {
      return std::nullopt;
    }
    const std::string role = BuildRoleArnOf(build(), enver(), account->id);
    // At least an hour (the roles' default maximum), longer only for longer time limits.
    const auto duration = std::max<std::chrono::seconds>(
        std::chrono::hours(1), std::chrono::duration_cast<std::chrono::seconds>(
                                   options_.time_limit * (stacks_.size() + 1)));
    Result<AwsTargetSession> session = AssumeBuildRole(
        *options_.aws, account->id, role, enver().region, RoleSessionName(id_), stacks_.front(),
        std::min<std::chrono::seconds>(duration, std::chrono::hours(12)), enver().rev.str());
    if (!session.ok()) return FailedOn(session.status());
    for (auto& [name, value] : AwsScriptVariables(*session)) env_[name] = std::move(value);
    aws_ = std::move(session).value();
    if (options_.aws->secrets_manager) {
      env_["ODMD_secret_id"] = SecretName();
    }
    return std::nullopt;
  }

  // The enver's Secrets Manager secret (aws_secret.h), before its scripts run.
  std::optional<DeployOutcome> SyncSecret() {
    if (!aws_ || !options_.aws->secrets_manager || !options_.enver_secrets) return std::nullopt;
    Result<std::map<std::string, std::string>> values = options_.enver_secrets(EnverId());
    if (!values.ok()) return FailedOn(values.status());
    Status synced = SyncEnverSecret(*aws_, SecretName(), *values);
    if (!synced.ok()) return FailedOn(synced);
    return std::nullopt;
  }

  std::optional<DeployOutcome> DeleteSecret() {
    if (!aws_ || !options_.aws->secrets_manager) return std::nullopt;
    Status deleted = DeleteEnverSecret(*aws_, SecretName());
    if (!deleted.ok()) return FailedOn(deleted);
    return std::nullopt;
  }

  std::string SecretName() const { return model::EnverSecretName(build().id, enver().rev); }

  // A failed outcome for `s`; transient when AWS was unreachable or throttled.
  DeployOutcome FailedOn(const Status& s) const {
    const StatusCode code = s.code();
    return Failed(s.message(),
                  code == StatusCode::kUnavailable || code == StatusCode::kResourceExhausted);
  }

  bool on_aws() const { return aws_.has_value(); }

  // What `npx --no -- cdk` runs in the work dir (node_modules/.bin/cdk), else
  // DeployerOptions::cdk_binary, else `cdk` on the scripts' PATH.
  std::vector<std::string> CdkCommand(const fs::path& work) const {
    std::error_code ec;
    const fs::path local = work / "node_modules" / ".bin" / "cdk";
    if (fs::exists(local, ec)) return {local.string()};
    if (!options_.cdk_binary.empty()) return {options_.cdk_binary};
    return {"cdk"};
  }

  // The CDK tail (cdk_tail.h): `cdk deploy` of every stack in order from <work>/cdk.out with
  // the parameters its template declares; each stack's OdmdProducts become product files
  // (then published as the script's are). Fills the failure of `out`.
  void CdkTail(const CancelFlag* cancel, std::chrono::milliseconds limit, DeployOutcome& out) {
    const fs::path work = (worktree_ / enver().work_dir).lexically_normal();
    const fs::path outputs = worktree_ / ".odmd-cdk-outputs.json";
    const std::string dep_rev = DependencyRevision(out.consumed);
    std::set<std::string> declared;
    for (const model::Product& p : enver().products) declared.insert(p.name);
    // Every stack must be in the assembly before any is deployed.
    std::vector<AssemblyStack> assembly;
    for (const std::string& stack : stacks_) {
      const std::string where = "stack " + Quote(stack) + " (account " + aws_->account_id + ")";
      Result<AssemblyStack> found = FindAssemblyStack(work / "cdk.out", stack);
      if (!found.ok()) return Fail(out, where + ": " + found.status().message(), false);
      assembly.push_back(*std::move(found));
    }
    for (std::size_t i = 0; i < stacks_.size(); ++i) {
      const std::string& stack = stacks_[i];
      const AssemblyStack* found = &assembly[i];
      const std::string where = "stack " + Quote(stack) + " (account " + aws_->account_id + ")";
      Result<std::set<std::string>> declared_params = TemplateParameters(found->template_file);
      if (!declared_params.ok()) {
        return Fail(out, where + ": " + declared_params.status().message(), false);
      }
      std::map<std::string, std::string> params;
      for (const auto& [name, value] : DeployParameters(build(), enver(), sha_, dep_rev)) {
        if (declared_params->contains(name)) params[name] = value;
      }
      std::error_code ec;
      fs::remove(outputs, ec);
      const std::vector<std::string> argv = CdkDeployArgv(
          CdkCommand(work), (work / "cdk.out").string(), found->selector, outputs.string(), params);
      std::map<std::string, std::string> extra = {{"CDK_DISABLE_CLI_TELEMETRY", "true"}};
      RunCommand("cdk deploy of " + where, argv, cancel, limit, out, /*append=*/true, extra);
      if (!out.succeeded) {
        const std::string state = DescribeStackForFailure(*aws_, stack);
        if (!state.empty() && !out.cancelled) out.reason += " (" + state + ")";
        return;
      }
      Result<std::string> text = fs::is_symlink(fs::symlink_status(outputs, ec))
                                     ? Result<std::string>(NotFoundError("a symlink"))
                                     : ReadFile(outputs);
      if (!text.ok()) return Fail(out, "cdk deploy of " + where + " wrote no outputs file", false);
      Result<std::map<std::string, std::string>> products = StackProducts(*text, stack);
      if (!products.ok()) return Fail(out, products.status().message(), false);
      for (const auto& [name, value] : *products) {
        if (!declared.contains(name)) {
          return Fail(out, where + " outputs undeclared product " + Quote(name), false);
        }
        const fs::path file = products_dir_ / name;
        // The build script's own file wins, as in the generated workflows.
        if (fs::exists(fs::symlink_status(file, ec))) continue;
        fs::create_directories(file.parent_path(), ec);
        std::ofstream f(file, std::ios::binary | std::ios::trunc);
        f << value;
        if (!f.flush()) return Fail(out, "cannot write product file " + Quote(name), true);
      }
    }
  }

  // Deletes the enver's stacks in reverse order, waiting for each (DeleteStackAndWait).
  std::optional<DeployOutcome> DeleteStacks(const Clock& clock) {
    for (auto it = stacks_.rbegin(); it != stacks_.rend(); ++it) {
      const auto deadline = clock.SteadyNow() + options_.time_limit;
      Status s =
          DeleteStackAndWait(*aws_, *it, clock, deadline, options_.stack_poll,
                             [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
      if (!s.ok()) {
        return Failed(s.message(), s.code() == StatusCode::kUnavailable ||
                                       s.code() == StatusCode::kResourceExhausted);
      }
    }
    return std::nullopt;
  }

  std::optional<DeployOutcome> Checkout() {
    std::error_code ec;
    fs::create_directories(worktree_.parent_path(), ec);
    Status removed = git_.RemoveWorktree(target_.repo_path, worktree_.string());
    if (!removed.ok()) {
      return Failed("cannot remove a leftover worktree: " + removed.message(), true);
    }
    checked_out_ = true;
    Status s = git_.CheckoutWorktree(target_.repo_path, sha_, worktree_.string());
    if (!s.ok()) {
      return Failed("cannot check out " + ShortSha(sha_) + " of " + Quote(target_.repo_path) +
                        ": " + s.message(),
                    true);
    }
    if (root_ && fs::exists(worktree_, ec)) {
      Status owned = ChownTree(worktree_, *sandbox_.uid, /*recursive=*/true);
      if (!owned.ok()) return Failed(owned.message(), true);
    }
    if (fs::exists(worktree_, ec)) {
      sandbox_.binds.insert(sandbox_.binds.begin(), {worktree_.string(), worktree_.string(), true});
    }
    return std::nullopt;
  }

  // The script `relative` to the work dir inside the worktree, or a failed outcome.
  // `optional`: a missing script returns "" instead of failing.
  Result<std::string> ScriptPath(std::string_view what, std::string_view relative, bool optional,
                                 DeployOutcome& failed) {
    const fs::path work = worktree_ / enver().work_dir;
    const fs::path script = (work / relative).lexically_normal();
    if (!Inside(worktree_, work) || !Inside(worktree_, script)) {
      failed = Failed(std::string(what) + " " + Quote(relative) + " (work dir " +
                          Quote(enver().work_dir) + ") lies outside the repository",
                      false);
      return AbortedError("");
    }
    std::error_code ec;
    if (!fs::is_regular_file(script, ec)) {
      if (optional) return std::string();
      failed = Failed(std::string(what) + " " + Quote(relative) + " not found in commit " +
                          ShortSha(sha_) + " (work dir " + Quote(enver().work_dir) + ")",
                      false);
      return AbortedError("");
    }
    fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
    if (ec) {
      failed = Failed("cannot make " + std::string(what) + " " + Quote(relative) +
                          " executable: " + ec.message(),
                      true);
      return AbortedError("");
    }
    return script.string();
  }

  // Runs `script`; fills exit code and the failure of `out`, stores the log.
  void RunScript(std::string_view what, const std::string& script, const CancelFlag* cancel,
                 std::chrono::milliseconds limit, DeployOutcome& out) {
    RunCommand(what, {script}, cancel, limit, out, /*append=*/false, {});
  }

  // Runs `argv` in the work dir with the run's environment plus `extra`; `append`: its log
  // follows what is in the log file already, after a line naming the command.
  void RunCommand(std::string_view what, const std::vector<std::string>& argv,
                  const CancelFlag* cancel, std::chrono::milliseconds limit, DeployOutcome& out,
                  bool append, const std::map<std::string, std::string>& extra) {
    RunRequest req;
    req.argv = argv;
    req.working_dir = (worktree_ / enver().work_dir).lexically_normal().string();
    req.env = env_;
    for (const auto& [name, value] : extra) req.env[name] = value;
    req.time_limit = limit;
    std::ofstream appended;
    if (append) {
      appended.open(log_file_, std::ios::binary | std::ios::app);
      appended << "\n== odmd: " << what << ":";
      for (const std::string& a : argv) appended << ' ' << a;
      appended << "\n";
      appended.flush();
      req.log_sink = [&appended](std::string_view chunk) {
        appended.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        appended.flush();
      };
    } else {
      req.log_path = log_file_.string();
    }
    req.cancel = cancel;
    req.sandbox = sandbox_;
    const fs::path pgid_file = pgid_file_;
    req.on_started = [&pgid_file](int pgid) {
      // Best effort: a record that cannot be written only weakens crash cleanup. Written
      // whole: a server killed mid-write, or anyone reading running/, never finds a record
      // without its group id (at most a temporary, which KillLeftovers removes).
      (void)WriteFileAtomically(pgid_file, std::to_string(pgid) + "\n", kPartialRecord);
    };
    Result<RunResult> r = runner_.Run(req);
    std::error_code ec;
    fs::remove(pgid_file_, ec);
    if (!r.ok()) {
      if (IsAborted(r.status()) && cancel != nullptr && cancel->cancelled()) {
        out = Failed("cancelled", false);
        out.cancelled = true;
      } else {
        // A missing sandbox (bubblewrap) or program does not heal by retrying.
        out = Failed("could not start " + std::string(what) + ": " + r.status().message(),
                     !IsFailedPrecondition(r.status()) && !(append && IsNotFound(r.status())));
      }
      return;
    }
    // A stopped run did not exit on its own (in the sandbox bwrap reports 128 + signal).
    out.exit_code = r->timed_out || r->cancelled ? -1 : r->exit_code;
    if (r->cancelled) {
      out.reason = "cancelled";
      out.cancelled = true;
    } else if (r->timed_out) {
      out.reason = std::string(what) + " timed out after " + FormatDuration(limit);
    } else if (r->term_signal != 0) {
      out.reason = std::string(what) + " was killed by signal " + std::to_string(r->term_signal);
    } else if (r->exit_code != 0) {
      out.reason = std::string(what) + " exited with " + std::to_string(r->exit_code);
    }
    out.succeeded = r->succeeded();
    if (out.succeeded) out.reason.clear();
    appended.close();
    Result<store::WriteResult> put =
        store_.Put(LogKey(id_), ReadTail(log_file_, kMaxLogBytes), std::nullopt);
    if (!put.ok()) {
      const std::string reason = "cannot store the log: " + put.status().message();
      out.reason = out.succeeded ? reason : out.reason + "; " + reason;
      out.succeeded = false;
      out.transient = true;
    }
  }

  // After a successful build: products from files, then the consumed versions record.
  void Publish(DeployOutcome& out) {
    std::set<std::string> declared;
    for (const model::Product& p : enver().products) declared.insert(p.name);
    std::map<std::string, std::string> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(products_dir_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory()) continue;
      const std::string name = it->path().lexically_relative(products_dir_).generic_string();
      if (!declared.contains(name)) {
        return Fail(out, "build script wrote undeclared product " + Quote(name), false);
      }
      if (!it->is_regular_file() || it->is_symlink()) {
        return Fail(out, "product file " + Quote(name) + " is not a regular file", false);
      }
      Result<std::string> value = ReadFile(it->path());
      if (!value.ok()) return Fail(out, value.status().message(), true);
      if (value->size() > kMaxProductBytes) {
        return Fail(out, "product " + Quote(name) + " is larger than 1 MiB", false);
      }
      files[name] = *std::move(value);
    }
    if (ec) return Fail(out, "cannot read the products directory: " + ec.message(), true);

    // Every changed product and the consumed-versions record: one atomic write.
    std::vector<store::BatchOp> ops;
    for (const auto& [name, value] : files) {
      const std::string path = model::ProductPath(build().id, enver().rev, name);
      Result<bool> changed = Differs(path, value);
      if (!changed.ok()) {
        return Fail(out, "cannot read product " + path + ": " + changed.status().message(), true);
      }
      if (!*changed) continue;
      ops.push_back(store::BatchOp::Put(path, value));
      out.published.push_back(path);
    }
    nlohmann::json record = nlohmann::json::object();
    for (const ConsumedValue& v : out.consumed) {
      record[v.consumer] = {
          {"path", v.path}, {"version", v.version}, {"placeholder", v.placeholder}};
    }
    const std::string record_path = model::ConsumedVersionsPath(build().id, enver().rev);
    Result<bool> changed = Differs(record_path, record.dump());
    if (!changed.ok()) {
      return Fail(out, "cannot read " + record_path + ": " + changed.status().message(), true);
    }
    if (*changed) ops.push_back(store::BatchOp::Put(record_path, record.dump()));
    Result<std::vector<store::WriteResult>> written = store_.WriteBatch(ops);
    if (!written.ok()) {
      out.published.clear();
      return Fail(
          out,
          "cannot write the products of enver " + EnverId() + ": " + written.status().message(),
          true);
    }
  }

  std::string EnverId() const { return model::EnverId(build().id, enver().rev); }

  void Cleanup() {
    std::error_code ec;
    if (checked_out_) (void)git_.RemoveWorktree(target_.repo_path, worktree_.string());
    fs::remove_all(products_dir_, ec);
    fs::remove(manifest_file_, ec);
    fs::remove(pgid_file_, ec);
  }

 private:
  static void Fail(DeployOutcome& out, std::string reason, bool transient) {
    out.succeeded = false;
    out.reason = std::move(reason);
    out.transient = transient;
  }

  // True unless `key` holds `value` already.
  Result<bool> Differs(const std::string& key, const std::string& value) {
    Result<store::Entry> current = store_.Get(key);
    if (current.ok()) return current->value != value;
    if (IsNotFound(current.status())) return true;
    return current.status();
  }

  store::ConfigStore& store_;
  Git& git_;
  Runner& runner_;
  const DeployerOptions& options_;
  const DeployTarget& target_;
  const std::string id_;
  const std::string sha_;
  fs::path worktree_, products_dir_, manifest_file_, log_file_, pgid_file_;
  // The enver's own account directory (EnverAccountDir), bound at its account directory.
  fs::path private_account_;
  const bool root_ = ::geteuid() == 0;
  SandboxSpec sandbox_;
  std::map<std::string, std::string> env_;
  bool checked_out_ = false;
  // The enver's stacks in deployment order.
  const std::vector<std::string> stacks_ = EnverStackNames(build(), enver());
  // Set on an AWS target (PrepareAws).
  std::optional<AwsTargetSession> aws_;
};

Deployer::Deployer(store::ConfigStore& store, Git& git, Runner& runner, Clock& clock,
                   DeployerOptions options)
    : store_(store), git_(git), runner_(runner), clock_(clock), options_(std::move(options)) {
  // Scripts run in their worktree: every path they get must be absolute.
  std::error_code ec;
  const fs::path absolute = fs::absolute(options_.state_dir, ec);
  if (!ec) options_.state_dir = absolute.lexically_normal().string();
}

std::string Deployer::AccountDir(const model::Enver& enver) const {
  return (fs::path(options_.state_dir) / "accounts" / enver.account / enver.region).string();
}

Result<DeployOutcome> Deployer::Deploy(const Deployment& d, const DeployTarget& target,
                                       const CancelFlag* cancel) {
  ODMD_RETURN_IF_ERROR(CheckTarget(target, d.id, "deployment"));
  if (d.sha.empty()) return InvalidArgumentError("deployment " + Quote(d.id) + ": no sha");
  DeployRun run(store_, git_, runner_, options_, target, d.id, d.sha);
  DeployOutcome out;
  if (auto failed = run.ResolveConsumers(/*strict=*/true, out)) {
    failed->consumed = std::move(out.consumed);
    return *failed;
  }
  std::vector<ConsumedValue> consumed = out.consumed;
  auto keep_consumed = [&consumed](DeployOutcome o) {
    o.consumed = consumed;
    return o;
  };
  if (auto failed = run.PrepareEnvironment(AccountDir(*target.enver))) {
    return keep_consumed(*failed);
  }
  if (auto failed = run.PrepareAws()) return keep_consumed(*failed);
  if (auto failed = run.SyncSecret()) return keep_consumed(*failed);
  if (auto failed = run.Checkout()) return keep_consumed(*failed);
  Result<std::string> script =
      run.ScriptPath("build script", target.enver->build_script, /*optional=*/false, out);
  if (!script.ok()) return keep_consumed(out);
  run.RunScript("build script", *script, cancel, options_.time_limit, out);
  out.consumed = consumed;
  if (!out.succeeded) return out;
  if (run.on_aws() && RunsCdkTail(target.build->kind)) {
    run.CdkTail(cancel, options_.time_limit, out);
    if (!out.succeeded) return out;
  }
  run.Publish(out);
  if (out.succeeded && run.is_contracts()) {
    Result<std::string> manifest = ReadFile(run.manifest_file());
    if (manifest.ok() && !manifest->empty()) out.manifest = *std::move(manifest);
  }
  return out;
}

Result<DeployOutcome> Deployer::Teardown(const DeployTarget& target, std::string_view sha,
                                         std::string_view deployment_id) {
  ODMD_RETURN_IF_ERROR(CheckTarget(target, deployment_id, "teardown"));
  const std::string account_dir = AccountDir(*target.enver);
  DeployRun run(store_, git_, runner_, options_, target, std::string(deployment_id),
                std::string(sha));
  DeployOutcome out;
  if (!sha.empty()) {
    if (auto failed = run.ResolveConsumers(/*strict=*/false, out)) return *failed;
    if (auto failed = run.PrepareEnvironment(account_dir)) return *failed;
    if (auto failed = run.PrepareAws()) return *failed;
    if (auto failed = run.Checkout()) return *failed;
    Result<std::string> script =
        run.ScriptPath("destroy script", ".scripts/destroy.sh", /*optional=*/true, out);
    if (!script.ok()) return out;
    if (!script->empty()) {
      run.RunScript("destroy script", *script, nullptr, options_.time_limit, out);
      if (!out.succeeded) return out;
    }
    if (run.on_aws()) {
      if (auto failed = run.DeleteStacks(clock_)) return *failed;
      if (auto failed = run.DeleteSecret()) return *failed;
    }
  }
  const std::string stack = model::StackName(target.build->id, target.enver->rev);
  const fs::path stack_dir = fs::path(account_dir) / stack;
  const fs::path own = EnverAccountDir(options_.state_dir, *target.enver, stack);
  std::error_code ec;
  fs::remove_all(own, ec);
  if (!ec) fs::remove_all(stack_dir, ec);  // the symlink, or an older odmd's directory
  if (ec) {
    return Failed(
        "cannot remove stack directory " + Quote(stack_dir.string()) + ": " + ec.message(), true);
  }
  out.succeeded = true;
  out.reason.clear();
  return out;
}

Status Deployer::KillLeftovers() {
  const fs::path state(options_.state_dir);
  const fs::path running = state / "running";
  std::error_code ec;
  std::vector<std::pair<int, fs::path>> groups;
  if (fs::is_directory(running, ec)) {
    for (const auto& entry : fs::directory_iterator(running, ec)) {
      // A record a killed server left half written names no group to kill.
      if (entry.path().extension() == kPartialRecord) groups.emplace_back(0, entry.path());
      if (entry.path().extension() != ".pgid") continue;
      std::ifstream in(entry.path());
      long pgid = 0;
      // Only a plausible group id: never 0 (our own group), 1 (init) or negative.
      if (in >> pgid && pgid > 1 && pgid <= std::numeric_limits<int>::max()) {
        ::kill(-static_cast<pid_t>(pgid), SIGKILL);
        groups.emplace_back(static_cast<int>(pgid), entry.path());
      } else {
        groups.emplace_back(0, entry.path());
      }
    }
    if (ec) {
      return InternalError("cannot list " + Quote(running.string()) + ": " + ec.message());
    }
  }
  // Wait, bounded, until every group is gone (its members killed and reaped).
  const auto deadline = clock_.SteadyNow() + std::chrono::seconds(10);
  for (const auto& [pgid, record] : groups) {
    for (int i = 0; pgid > 0 && GroupAlive(pgid); ++i) {
      if (i >= 1000 || clock_.SteadyNow() > deadline) {
        return InternalError("process group " + std::to_string(pgid) + " recorded in " +
                             Quote(record.string()) + " is still alive after SIGKILL");
      }
      ::kill(-pgid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    fs::remove(record, ec);
    if (ec) {
      return InternalError("cannot remove " + Quote(record.string()) + ": " + ec.message());
    }
  }
  const fs::path work = state / "work";
  if (fs::is_directory(work, ec)) {
    for (const auto& entry : fs::directory_iterator(work, ec)) {
      std::error_code remove_ec;
      fs::remove_all(entry.path(), remove_ec);
      if (remove_ec) {
        return InternalError("cannot remove leftover " + Quote(entry.path().string()) + ": " +
                             remove_ec.message());
      }
    }
    if (ec) return InternalError("cannot list " + Quote(work.string()) + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace odmd::reconcile

// The edge test: for every consumer edge the consumer's roles grant read on the
// product path, and on no product path the group does not consume; every write stays in
// the group's own family; the trust names only the build's repo. The checker re-derives
// groups and paths from the org on its own and evaluates IAM wildcards against the ARNs,
// and it is shown to catch tampered templates, so it cannot pass vacuously.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "odmd/gen/roles.h"
#include "odmd/model/naming.h"
#include "odmd/testing/status_matchers.h"
#include "role_test_util.h"

namespace odmd::gen {
namespace {

using model::Build;
using model::Enver;
using model::Org;
using model::RevRef;
using model::RevType;
using nlohmann::json;
using ::odmd::testing::StatusIs;
using role_test::IamMatch;
using role_test::ReadGrants;
using role_test::SampleOrg;
using role_test::SmallOrg;
using role_test::TemplateGrants;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A parameter path and the enver family it belongs to: (build, static origin rev).
struct OwnedPath {
  std::string path;
  std::string build;
  std::string origin_rev;
};

// Every product path and consumed-versions record of the org, and the same for a branch
// and a tag clone of every static enver.
std::vector<OwnedPath> AllParameterPaths(const Org& org) {
  std::vector<OwnedPath> out;
  for (const Build& build : org.builds) {
    for (const Enver& enver : build.envers) {
      if (enver.rev.is_clone()) continue;
      for (const RevRef& rev : {enver.rev, RevRef::CloneOf(enver.rev, RevType::kBranch, "feat1"),
                                RevRef::CloneOf(enver.rev, RevType::kTag, "v9")}) {
        std::string origin = enver.rev.str();
        out.push_back({model::ConsumedVersionsPath(build.id, rev), build.id, origin});
        for (const model::Product& p : enver.products) {
          out.push_back({model::ProductPath(build.id, rev, p.name), build.id, origin});
        }
      }
    }
  }
  return out;
}

bool AnyMatches(const std::vector<std::string>& patterns, const std::string& value) {
  for (const std::string& p : patterns) {
    if (IamMatch(p, value)) return true;
  }
  return false;
}

struct Group {
  const Build* build = nullptr;
  const model::Account* account = nullptr;
  std::string region;
  std::vector<const Enver*> envers;
};

// Problems found in `files` for `org`, one line each; empty when every property holds.
std::vector<std::string> CheckRoleTemplates(const Org& org,
                                            const std::vector<GeneratedFile>& files) {
  std::vector<std::string> problems;
  std::map<std::string, const GeneratedFile*> by_path;
  for (const GeneratedFile& f : files) by_path[f.path] = &f;
  const model::Account* central = org.FindAccount(org.central_account);
  if (central == nullptr) return {"no central account"};
  std::vector<OwnedPath> all_paths = AllParameterPaths(org);

  std::map<std::tuple<std::string, std::string, std::string>, Group> groups;
  for (const Build& build : org.builds) {
    for (const Enver& enver : build.envers) {
      if (enver.rev.is_clone()) continue;
      Group& g = groups[{build.id, enver.account, enver.region}];
      g.build = &build;
      g.account = org.FindAccount(enver.account);
      g.region = enver.region;
      g.envers.push_back(&enver);
    }
  }
  for (const auto& entry : groups) {
    const Group& group = entry.second;
    const Build& build = *group.build;
    std::string stem = "roles/" + build.id + "/" + group.account->name + "-" + group.region + "-";
    auto build_file = by_path.find(stem + "build-role.json");
    auto central_file = by_path.find(stem + "central-role.json");
    if (build_file == by_path.end() || central_file == by_path.end()) {
      problems.push_back("missing template " + stem + "*");
      continue;
    }
    TemplateGrants br = ReadGrants(json::parse(build_file->second->content));
    TemplateGrants cr = ReadGrants(json::parse(central_file->second->content));
    std::string where = build.id + " " + group.account->name + " " + group.region + ": ";
    auto ssm = [&](const std::string& path) {
      return "arn:aws:ssm:" + group.region + ":" + central->id + ":parameter" + path;
    };

    // Reads: every consumed path, and nothing else.
    std::vector<std::string> reads = br.ssm_read;
    reads.insert(reads.end(), cr.ssm_read.begin(), cr.ssm_read.end());
    std::set<std::string> consumed;
    std::set<std::string> family;  // static revs of the group
    for (const Enver* e : group.envers) {
      family.insert(e->rev.str());
      for (const model::Consumer& c : e->consumers) {
        std::string path = "/odmd-share/" + c.producer + "/" + c.product;
        consumed.insert(path);
        if (!AnyMatches(cr.ssm_read, ssm(path))) {
          problems.push_back(where + "no read grant on consumed " + path);
        }
      }
    }
    for (const OwnedPath& p : all_paths) {
      if (!consumed.contains(p.path) && AnyMatches(reads, ssm(p.path))) {
        problems.push_back(where + "read grant on unconsumed " + p.path);
      }
    }

    // Writes: within "<build>/<rev>/" or "<build>/<rev>-_" of the group's own revs, and
    // matching no parameter of another family.
    std::vector<std::string> writes = br.ssm_write;
    writes.insert(writes.end(), cr.ssm_write.begin(), cr.ssm_write.end());
    for (const std::string& w : writes) {
      bool inside = false;
      for (const std::string& rev : family) {
        std::string base = ssm("/odmd-share/" + build.id + "/" + rev);
        inside = inside || w.starts_with(base + "/") || w.starts_with(base + "-_");
      }
      if (!inside) problems.push_back(where + "write grant outside the family: " + w);
    }
    for (const OwnedPath& p : all_paths) {
      bool own = p.build == build.id && family.contains(p.origin_rev);
      if (!own && AnyMatches(writes, ssm(p.path))) {
        problems.push_back(where + "write grant on another family's " + p.path);
      }
    }

    // Trust: only this repo; every static enver's ref; the central role only by the build
    // role.
    std::string repo = "repo:" + build.repo.FullName() + ":ref:refs/";
    for (const std::string& sub : br.trusted_subs) {
      if (!sub.starts_with(repo)) problems.push_back(where + "trust names " + sub);
    }
    for (const Enver* e : group.envers) {
      std::string ref = (e->rev.type() == RevType::kBranch ? "heads/" : "tags/") + e->rev.value();
      if (!AnyMatches(br.trusted_subs, repo + ref)) {
        problems.push_back(where + "trust misses refs/" + ref);
      }
    }
    std::string build_role_arn =
        model::RoleArn(group.account->id, build.id,
                       model::BuildRoleName(build.id, group.region, group.account->id));
    if (cr.trusted_aws != std::vector<std::string>{build_role_arn}) {
      problems.push_back(where + "central role trusts more than the build role");
    }
    // The build role: the central account, and in it only the platform's role.
    const model::Account* hub = org.FindAccount(org.central_account);
    if (hub == nullptr ||
        br.trusted_aws != std::vector<std::string>{"arn:aws:iam::" + hub->id + ":root"} ||
        br.trusted_principal_arns !=
            std::vector<std::string>{"arn:aws:iam::" + hub->id + ":role/odmd-platform"}) {
      problems.push_back(where + "build role does not trust exactly the central platform");
    }
    if (!cr.trusted_subs.empty()) {
      problems.push_back(where + "unexpected trust");
    }

    // Stacks: each own stack is allowed; another build's stack in the account and region is
    // not (allowed and not denied).
    auto stack_arn = [&](const std::string& name) {
      return "arn:aws:cloudformation:" + group.region + ":" + group.account->id + ":stack/" + name +
             "/id";
    };
    for (const Enver* e : group.envers) {
      Enver clone = *e;
      clone.rev = RevRef::CloneOf(e->rev, RevType::kBranch, "feat1");
      std::vector<std::string> stacks = model::StackNames(build, *e);
      if (e->clone_limit > 0 && build.kind != model::BuildKind::kContracts &&
          build.kind != model::BuildKind::kUserAuth) {
        for (const std::string& s : model::StackNames(build, clone)) stacks.push_back(s);
      }
      for (const std::string& stack : stacks) {
        if (!AnyMatches(br.stack_allowed, stack_arn(stack))) {
          problems.push_back(where + "cannot deploy " + stack);
        }
      }
    }
    for (const Build& other : org.builds) {
      if (other.id == build.id) continue;
      for (const Enver& e : other.envers) {
        Enver clone = e;
        clone.rev = RevRef::CloneOf(e.rev, RevType::kBranch, "feat1");
        for (const Enver* x : std::initializer_list<const Enver*>{&e, &clone}) {
          for (const std::string& stack : model::StackNames(other, *x)) {
            std::string arn = stack_arn(stack);
            if (AnyMatches(br.stack_allowed, arn) && !AnyMatches(br.stack_denied, arn)) {
              problems.push_back(where + "may deploy " + other.id + "'s stack " + arn);
            }
          }
        }
      }
    }

    // Nothing broad anywhere.
    for (const TemplateGrants* g : {&br, &cr}) {
      for (const std::string& a : g->actions) {
        if (a.find('*') != std::string::npos) problems.push_back(where + "wildcard action " + a);
      }
      for (const std::string& r : g->all_resources) {
        if (r == "*") problems.push_back(where + "resource \"*\"");
      }
    }
  }
  return problems;
}

std::vector<GeneratedFile> GenerateOrFail(const Org& org) {
  Result<std::vector<GeneratedFile>> files = GenerateRoles(org);
  EXPECT_TRUE(files.ok()) << files.status();
  return files.ok() ? *std::move(files) : std::vector<GeneratedFile>{};
}

// --- the checker itself ---------------------------------------------------------------------

TEST(IamMatchTest, StarMatchesAnyRunAndQuestionMarkOneCharacter) {
  EXPECT_TRUE(IamMatch("a*", "a"));
  EXPECT_TRUE(IamMatch("a*", "a/b/c"));
  EXPECT_TRUE(IamMatch("/x/b..main-_*/p", "/x/b..main-_b..f/q/p"));
  EXPECT_FALSE(IamMatch("/x/b..main-_*/p", "/x/b..main-east/p"));
  EXPECT_TRUE(IamMatch("a?c", "abc"));
  EXPECT_FALSE(IamMatch("a?c", "ac"));
  EXPECT_FALSE(IamMatch("abc", "abcd"));
  EXPECT_FALSE(IamMatch("abc", "ABC"));
  EXPECT_TRUE(IamMatch("*b*", "abc"));
  EXPECT_FALSE(IamMatch("*b*d", "abc"));
  EXPECT_TRUE(IamMatch("a*b", "a*xb"));  // a '*' in the value is an ordinary character
  EXPECT_TRUE(IamMatch("stack/s--*/*", "stack/s--main/*"));
  EXPECT_TRUE(IamMatch("", ""));
  EXPECT_FALSE(IamMatch("", "a"));
}

// Runs the checker on the SmallOrg templates after `tamper` edits one of them.
std::vector<std::string> ProblemsAfter(const std::string& file, void (*tamper)(json& props)) {
  Org org = SmallOrg();
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  for (GeneratedFile& f : files) {
    if (f.path != file) continue;
    json doc = json::parse(f.content);
    tamper(doc.at("Resources").begin()->at("Properties"));
    f.content = doc.dump(2);
  }
  return CheckRoleTemplates(org, files);
}

json& Statements(json& props) {
  return props.at("Policies").at(0).at("PolicyDocument").at("Statement");
}

// The permission statement with `sid`; a test failure and a throwaway object if none.
json& StatementWithSid(json& props, std::string_view sid) {
  for (json& st : Statements(props)) {
    if (st.at("Sid") == sid) return st;
  }
  ADD_FAILURE() << "no statement " << sid;
  static json none;
  none = json{{"Resource", json::array()}};
  return none;
}

constexpr char kSvcCentral[] = "roles/svc/workspace-us-west-1-central-role.json";
constexpr char kSvcBuild[] = "roles/svc/workspace-us-west-1-build-role.json";

TEST(RoleCheckerTest, UntouchedTemplatesPass) {
  Org org = SmallOrg();
  EXPECT_THAT(CheckRoleTemplates(org, GenerateOrFail(org)), IsEmpty());
}

TEST(RoleCheckerTest, CatchesAWildcardRead) {
  EXPECT_THAT(ProblemsAfter(
                  kSvcCentral,
                  [](json& props) {
                    StatementWithSid(props, "ReadConsumedProducts")
                        .at("Resource")
                        .push_back("arn:aws:ssm:us-west-1:111111111111:parameter/odmd-share/db/*");
                  }),
              ::testing::Contains(HasSubstr("read grant on unconsumed /odmd-share/db/")));
}

TEST(RoleCheckerTest, CatchesAMissingRead) {
  EXPECT_THAT(
      ProblemsAfter(kSvcCentral,
                    [](json& props) {
                      json& st = Statements(props);
                      st.erase(st.size() - 1);  // ReadConsumedProducts is last
                    }),
      ::testing::Contains(HasSubstr("no read grant on consumed /odmd-share/db/b..main/dsn")));
}

TEST(RoleCheckerTest, CatchesAWriteIntoAnotherFamily) {
  EXPECT_THAT(ProblemsAfter(kSvcCentral,
                            [](json& props) {
                              StatementWithSid(props, "WriteOwnProducts")
                                  .at("Resource")
                                  .push_back(
                                      "arn:aws:ssm:us-west-1:111111111111:parameter/odmd-share/"
                                      "svc/b..mai*");
                            }),
              ::testing::Contains(HasSubstr("write grant outside the family")));
}

TEST(RoleCheckerTest, CatchesAForeignRepoInTheTrust) {
  EXPECT_THAT(ProblemsAfter(kSvcBuild,
                            [](json& props) {
                              props.at("AssumeRolePolicyDocument")
                                  .at("Statement")
                                  .at(0)
                                  .at("Condition")
                                  .at("StringLike")
                                  .at("token.actions.githubusercontent.com:sub")
                                  .push_back("repo:acme/*");
                            }),
              ::testing::Contains(HasSubstr("trust names repo:acme/*")));
}

TEST(RoleCheckerTest, CatchesAnotherBuildsStack) {
  EXPECT_THAT(
      ProblemsAfter(kSvcBuild,
                    [](json& props) {
                      Statements(props)
                          .at(0)
                          .at("Resource")
                          .push_back("arn:aws:cloudformation:us-west-1:222222222222:stack/db--*/*");
                    }),
      ::testing::Contains(HasSubstr("may deploy db's stack")));
}

TEST(RoleCheckerTest, CatchesAWildcardAction) {
  EXPECT_THAT(ProblemsAfter(kSvcBuild,
                            [](json& props) {
                              StatementWithSid(props, "DeployEnverStacks").at("Action") = "*";
                            }),
              ::testing::Contains(HasSubstr("wildcard action *")));
}

// --- the properties ---------------------------------------------------------------------------

TEST(RoleEdgeTest, SampleOrgGrantsExactlyItsConsumerEdges) {
  Org org = SampleOrg();
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  ASSERT_FALSE(files.empty());
  EXPECT_THAT(CheckRoleTemplates(org, files), IsEmpty());
}

// The sample org's edges are all checked above; count them so that a manifest that lost
// its consumers would not pass unnoticed.
TEST(RoleEdgeTest, SampleOrgHasConsumerEdgesToCheck) {
  size_t edges = 0;
  for (const Build& b : SampleOrg().builds) {
    for (const Enver& e : b.envers) edges += e.consumers.size();
  }
  EXPECT_GE(edges, 20u);
}

// Revs that share a prefix ("b..main" and "b..main-east") in two accounts of one region:
// the same central parameter space, so the clone pattern of one must not reach the other.
TEST(RoleEdgeTest, ClonePatternsDoNotReachASiblingRevWithTheSamePrefix) {
  Org org = SmallOrg();
  org.accounts.push_back({"other", "333333333333"});
  Enver east = org.builds[0].envers[0];
  east.rev = RevRef::Branch("main-east");
  east.account = "other";
  east.products.push_back({"eastOnly"});
  org.builds[0].envers.push_back(east);
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  EXPECT_THAT(CheckRoleTemplates(org, files), IsEmpty());
  for (const GeneratedFile& f : files) {
    if (f.path == kSvcCentral) {
      EXPECT_THAT(f.content, Not(HasSubstr("main-east")));
    }
  }
}

TEST(RoleEdgeTest, OverlappingBuildIdsStayApart) {
  Org org = SmallOrg();
  org.builds[1].id = "svc--x";
  org.builds[0].envers[0].consumers[0].producer = "svc--x/b..main";
  EXPECT_THAT(CheckRoleTemplates(org, GenerateOrFail(org)), IsEmpty());
}

TEST(RoleEdgeTest, EveryStackOfAMultiStackEnverAndItsClonesIsDeployableAndNoOtherBuilds) {
  Org org = role_test::SmallOrg();
  org.FindBuild("svc")->envers[0].stacks = {"svc", "svc-share-nat"};
  std::vector<GeneratedFile> files = GenerateOrFail(org);
  EXPECT_THAT(CheckRoleTemplates(org, files), IsEmpty());
  std::string joined;
  for (const GeneratedFile& f : files) joined += f.content;
  EXPECT_THAT(joined, HasSubstr(":stack/svc-share-nat--*/*"));
}

TEST(RoleEdgeTest, AStackBaseThatIsAnotherBuildsPrefixIsACollision) {
  Org org = role_test::SmallOrg();
  org.FindBuild("svc")->envers[0].stacks = {"svc", "svc-x"};
  model::Build other = *org.FindBuild("db");
  other.id = "svc-x";
  org.builds.push_back(other);
  EXPECT_THAT(GenerateRoles(org), StatusIs(StatusCode::kInvalidArgument,
                                           HasSubstr("share the stack name prefix \"svc-x--\"")));
}

}  // namespace
}  // namespace odmd::gen

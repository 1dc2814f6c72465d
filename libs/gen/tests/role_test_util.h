#pragma once

// Helpers for the role template tests: the sample org, a small hand-built org, IAM-style
// wildcard matching, and a reader that pulls the grants back out of a template's JSON.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/gen/generated_file.h"
#include "odmd/gen/iam_match.h"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/testing/testdata.h"

namespace odmd::gen::role_test {

// IAM's ARN and StringLike matching (the library's, tested in roles_edge_test.cc).
using ::odmd::gen::IamMatch;

// The sample org of examples/sandbox (its golden manifest); fails the test if unreadable.
inline model::Org SampleOrg() {
  std::string text = odmd::testing::ReadFileOrFail(
      odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
  Result<model::Org> org = model::ReadManifest(text, nullptr);
  EXPECT_TRUE(org.ok()) << org.status();
  return org.ok() ? *std::move(org) : model::Org{};
}

// Two accounts (central 111111111111, workspace 222222222222) and one cdk build "svc"
// (repo acme/svc-repo) with envers b..main and t..v1.0 in workspace/us-west-1; b..main
// produces "apiUrl" and consumes "dsn" of "db/b..main"; build "db" (b..main, produces
// "dsn") in the same account and region.
inline model::Org SmallOrg() {
  using model::Consumer;
  using model::Enver;
  using model::RevRef;
  model::Org org;
  org.name = "small";
  org.version = "1.0.0";
  org.central_account = "central";
  org.accounts = {{"central", "111111111111"}, {"workspace", "222222222222"}};
  Enver main;
  main.rev = RevRef::Branch("main");
  main.account = "workspace";
  main.region = "us-west-1";
  main.products = {{"apiUrl"}};
  main.consumers = {Consumer{"dsn", "db/b..main", "dsn", std::nullopt, {}}};
  Enver tag = main;
  tag.rev = RevRef::Tag("v1.0");
  tag.consumers.clear();
  model::Build svc{"svc", model::BuildKind::kCdk, {"acme", "svc-repo", 0}, {main, tag}};
  Enver db_main = main;
  db_main.products = {{"dsn"}};
  db_main.consumers.clear();
  model::Build db{"db", model::BuildKind::kCdk, {"acme", "db-repo", 0}, {db_main}};
  org.builds = {svc, db};
  return org;
}

// The grants of one template, read back from its JSON.
struct TemplateGrants {
  std::string role_name;
  std::vector<std::string> trusted_subs;  // OIDC sub values (build role)
  std::vector<std::string> trusted_aws;   // AWS principals (both roles)
  // aws:PrincipalArn values (ArnEquals) of the statements with an AWS principal; a statement
  // with an AWS principal and no such condition adds "" (unconditioned).
  std::vector<std::string> trusted_principal_arns;
  std::vector<std::string> stack_allowed;  // Allow resources with cloudformation actions
  std::vector<std::string> stack_denied;   // Deny resources
  std::vector<std::string> assumable;      // Allow resources of sts:AssumeRole
  std::vector<std::string> ssm_read;       // Allow resources of ssm:GetParameter(s)
  std::vector<std::string> ssm_write;      // Allow resources of ssm:PutParameter
  std::vector<std::string> actions;        // every action of the permission policy
  std::vector<std::string> all_resources;  // every resource of the permission policy
  // The one statement IAM allows only on "*": ecr:GetAuthorizationToken alone (image
  // builds). Kept out of `actions` and `all_resources`, counted here.
  int registry_logins = 0;
  std::vector<std::string> image_push;  // resources of ecr: push actions
};
inline TemplateGrants ReadGrants(const nlohmann::json& doc) {
  // A string or an array of strings, as IAM allows for Action and Resource.
  auto strings = [](const nlohmann::json& j) {
    std::vector<std::string> out;
    if (j.is_string()) out.push_back(j.get<std::string>());
    if (j.is_array()) {
      for (const auto& item : j) out.push_back(item.get<std::string>());
    }
    return out;
  };
  auto append = [](std::vector<std::string>* to, const std::vector<std::string>& from) {
    to->insert(to->end(), from.begin(), from.end());
  };
  TemplateGrants g;
  const nlohmann::json& resources = doc.at("Resources");
  EXPECT_EQ(resources.size(), 1u);
  const nlohmann::json& props = resources.begin()->at("Properties");
  g.role_name = props.at("RoleName").get<std::string>();
  for (const auto& st : props.at("AssumeRolePolicyDocument").at("Statement")) {
    const nlohmann::json& principal = st.at("Principal");
    if (principal.contains("AWS")) {
      append(&g.trusted_aws, strings(principal.at("AWS")));
      const nlohmann::json* arn = nullptr;
      if (st.contains("Condition") && st.at("Condition").contains("ArnEquals") &&
          st.at("Condition").at("ArnEquals").contains("aws:PrincipalArn")) {
        arn = &st.at("Condition").at("ArnEquals").at("aws:PrincipalArn");
      }
      if (arn == nullptr) {
        g.trusted_principal_arns.push_back("");
      } else {
        append(&g.trusted_principal_arns, strings(*arn));
      }
    }
    if (st.contains("Condition") && st.at("Condition").contains("StringLike")) {
      append(
          &g.trusted_subs,
          strings(
              st.at("Condition").at("StringLike").at("token.actions.githubusercontent.com:sub")));
    }
  }
  for (const auto& policy : props.at("Policies")) {
    for (const auto& st : policy.at("PolicyDocument").at("Statement")) {
      std::vector<std::string> actions = strings(st.at("Action"));
      std::vector<std::string> res = strings(st.at("Resource"));
      if (actions == std::vector<std::string>{"ecr:GetAuthorizationToken"} &&
          res == std::vector<std::string>{"*"} && st.at("Effect") == "Allow") {
        ++g.registry_logins;
        continue;
      }
      append(&g.actions, actions);
      append(&g.all_resources, res);
      bool allow = st.at("Effect") == "Allow";
      auto has = [&](std::string_view prefix) {
        return std::any_of(actions.begin(), actions.end(),
                           [&](const std::string& a) { return a.starts_with(prefix); });
      };
      if (has("cloudformation:")) append(allow ? &g.stack_allowed : &g.stack_denied, res);
      if (!allow) continue;
      if (has("sts:AssumeRole")) append(&g.assumable, res);
      if (has("ssm:GetParameter")) append(&g.ssm_read, res);
      if (has("ssm:PutParameter")) append(&g.ssm_write, res);
      if (has("ecr:")) append(&g.image_push, res);
    }
  }
  return g;
}

// The file at `path`, or a test failure and nullptr.
inline const GeneratedFile* FindFile(const std::vector<GeneratedFile>& files,
                                     std::string_view path) {
  for (const GeneratedFile& f : files) {
    if (f.path == path) return &f;
  }
  ADD_FAILURE() << "no generated file " << path;
  return nullptr;
}

}  // namespace odmd::gen::role_test

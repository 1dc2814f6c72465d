#pragma once

// Builds an Org from a few lines of text, one enver per line, so a graph test shows its
// whole situation on one screen (STYLE.md §7.6):
//
//   OrgFromText(R"(
//     networking/b..main  +hostedZoneId  logBucket=logging/b..main/logBucketArn?none
//     logging/b..main     +logBucketArn  zone=networking/b..main/hostedZoneId
//   )")
//
// Tokens after the enver id: `+name` declares a product; `name=<build>/<rev>/<product>`
// declares a consumer, optionally followed by `?<placeholder>` and/or `!<reaction>`;
// `kind=<build kind>` sets the build's kind (default cdk). Builds are created in order of
// first appearance. Every enver lives in account "ws" (333333333333), region us-west-1;
// the central account "central" is 111111111111. '#' starts a comment.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/model/graph.h"
#include "odmd/model/org.h"

namespace odmd::model::graph_test {

inline Consumer ParseConsumerToken(const std::string& token) {
  Consumer c;
  std::string rest = token;
  if (size_t bang = rest.find('!'); bang != std::string::npos) {
    std::optional<Reaction> r = ParseReaction(rest.substr(bang + 1));
    EXPECT_TRUE(r.has_value()) << "bad reaction in " << token;
    c.reaction = r.value_or(Reaction::kRedeploy);
    rest.resize(bang);
  }
  if (size_t q = rest.find('?'); q != std::string::npos) {
    c.placeholder = rest.substr(q + 1);
    rest.resize(q);
  }
  size_t eq = rest.find('=');
  c.name = rest.substr(0, eq);
  std::string target = rest.substr(eq + 1);
  size_t first = target.find('/');
  size_t second = first == std::string::npos ? first : target.find('/', first + 1);
  if (second == std::string::npos) {
    c.producer = target;  // deliberately malformed targets stay as written
  } else {
    c.producer = target.substr(0, second);
    c.product = target.substr(second + 1);
  }
  return c;
}

inline Build& BuildFor(Org& org, const std::string& id) {
  for (Build& b : org.builds) {
    if (b.id == id) return b;
  }
  Build& b = org.builds.emplace_back();
  b.id = id;
  b.kind = BuildKind::kCdk;
  b.repo = {"acme", id, 1};
  return b;
}

inline Enver ParseEnverLine(Org& org, std::istringstream& tokens, const std::string& id) {
  Enver e;
  size_t slash = id.find('/');
  Result<RevRef> rev = RevRef::Parse(id.substr(slash + 1));
  EXPECT_TRUE(rev.ok()) << rev.status();
  if (rev.ok()) e.rev = *rev;
  e.account = "ws";
  e.region = "us-west-1";
  std::string token;
  while (tokens >> token) {
    if (token.starts_with("#")) break;
    if (token.starts_with("+")) {
      e.products.push_back({token.substr(1)});
    } else if (token.starts_with("kind=")) {
      std::optional<BuildKind> kind = ParseBuildKind(token.substr(5));
      EXPECT_TRUE(kind.has_value()) << token;
      BuildFor(org, id.substr(0, slash)).kind = kind.value_or(BuildKind::kCdk);
    } else {
      EXPECT_NE(token.find('='), std::string::npos) << "bad token " << token;
      e.consumers.push_back(ParseConsumerToken(token));
    }
  }
  return e;
}

inline Org OrgFromText(std::string_view text) {
  Org org;
  org.name = "test";
  org.version = "1.0.0";
  org.accounts = {{"central", "111111111111"}, {"ws", "333333333333"}};
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream tokens(line);
    std::string id;
    if (!(tokens >> id) || id.starts_with("#")) continue;
    size_t slash = id.find('/');
    EXPECT_NE(slash, std::string::npos) << "bad enver id " << id;
    if (slash == std::string::npos) continue;
    Enver e = ParseEnverLine(org, tokens, id);
    BuildFor(org, id.substr(0, slash)).envers.push_back(std::move(e));
  }
  return org;
}

// Enver ids of `envers`, in the given order.
inline std::vector<std::string> Ids(const Graph& graph, std::span<const EnverIndex> envers) {
  std::vector<std::string> ids;
  for (EnverIndex v : envers) ids.push_back(graph.node(v).id);
  return ids;
}

// An org whose envers form a chain: c0 <- c1 <- ... <- c<n-1> (each consumes the previous).
inline Org ChainOrg(int n) {
  Org org;
  org.accounts = {{"central", "111111111111"}, {"ws", "333333333333"}};
  org.builds.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    Build& b = org.builds.emplace_back();
    b.id = "c" + std::to_string(i);
    Enver& e = b.envers.emplace_back();
    e.rev = RevRef::Branch("main");
    e.account = "ws";
    e.region = "us-west-1";
    e.products.push_back({"out"});
    if (i > 0) {
      e.consumers.push_back({"in", "c" + std::to_string(i - 1) + "/b..main", "out", std::nullopt,
                             Reaction::kRedeploy});
    }
  }
  return org;
}

}  // namespace odmd::model::graph_test

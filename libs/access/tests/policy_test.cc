#include "odmd/access/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "access_test_util.h"
#include "odmd/model/naming.h"
#include "odmd/testing/status_matchers.h"

namespace odmd::access {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Share(std::string_view enver_id, std::string_view rest) {
  return "/odmd-share/" + std::string(enver_id) + "/" + std::string(rest);
}

void ExpectAllowed(const AccessPolicy& policy, const Principal& p, Access access,
                   const std::string& key) {
  EXPECT_THAT(policy.Check(p, access, key), IsOk())
      << p.ToString() << " " << AccessName(access) << " " << key;
}

// Denied, with a message that names the principal, the access and the key.
void ExpectDenied(const AccessPolicy& policy, const Principal& p, Access access,
                  const std::string& key) {
  EXPECT_THAT(policy.Check(p, access, key),
              StatusIs(StatusCode::kPermissionDenied,
                       StartsWith("principal " + p.ToString() + " may not " +
                                  std::string(AccessName(access)) + " " + key)))
      << p.ToString() << " " << AccessName(access) << " " << key;
}

class SamplePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(org_.builds.empty()); }

  // Every (enver id, enver) of the sample org.
  std::vector<std::pair<std::string, const model::Enver*>> Envers() const {
    std::vector<std::pair<std::string, const model::Enver*>> out;
    for (const model::Build& b : org_.builds) {
      for (const model::Enver& e : b.envers) out.emplace_back(model::EnverId(b.id, e.rev), &e);
    }
    return out;
  }

  model::Org org_ = test::SampleOrg();
  AccessPolicy policy_ = AccessPolicy::FromOrg(org_, {});
};

TEST_F(SamplePolicyTest, EveryConsumerReadsWhatItConsumesAndMayNotWriteIt) {
  int edges = 0;
  for (const auto& [id, enver] : Envers()) {
    Principal p = Principal::Enver(id);
    for (const model::Consumer& c : enver->consumers) {
      std::string path = Share(c.producer, c.product);
      ExpectAllowed(policy_, p, Access::kRead, path);
      ExpectAllowed(policy_, p, Access::kRead, path + "/child");
      ExpectDenied(policy_, p, Access::kWrite, path);
      ExpectDenied(policy_, p, Access::kWrite, path + "/child");
      ++edges;
    }
  }
  EXPECT_GE(edges, 20);
}

TEST_F(SamplePolicyTest, EachEnverWritesOnlyItsOwnProductsAndConsumedVersions) {
  for (const auto& [id, enver] : Envers()) {
    Principal p = Principal::Enver(id);
    ExpectAllowed(policy_, p, Access::kWrite, Share(id, "share..version"));
    ExpectAllowed(policy_, p, Access::kRead, Share(id, "share..version"));
    for (const model::Product& product : enver->products) {
      ExpectAllowed(policy_, p, Access::kWrite, Share(id, product.name));
      ExpectAllowed(policy_, p, Access::kWrite, Share(id, product.name + "/part"));
      ExpectAllowed(policy_, p, Access::kRead, Share(id, product.name));
      // A longer name that merely starts with the product's is another product.
      ExpectDenied(policy_, p, Access::kWrite, Share(id, product.name + "X"));
    }
    ExpectDenied(policy_, p, Access::kWrite, Share(id, "undeclared"));
    ExpectDenied(policy_, p, Access::kWrite, Share(id, ""));
    for (const auto& [other_id, other] : Envers()) {
      if (other_id == id) continue;
      ExpectDenied(policy_, p, Access::kWrite, Share(other_id, "share..version"));
      for (const model::Product& product : other->products) {
        ExpectDenied(policy_, p, Access::kWrite, Share(other_id, product.name));
      }
    }
  }
}

TEST_F(SamplePolicyTest, AnEnverReadsNoProductItDoesNotConsume) {
  int denied = 0;
  for (const auto& [id, enver] : Envers()) {
    std::set<std::string> consumed;
    for (const model::Consumer& c : enver->consumers) consumed.insert(Share(c.producer, c.product));
    for (const auto& [other_id, other] : Envers()) {
      if (other_id == id) continue;
      ExpectDenied(policy_, Principal::Enver(id), Access::kRead, Share(other_id, "share..version"));
      for (const model::Product& product : other->products) {
        std::string path = Share(other_id, product.name);
        if (consumed.contains(path)) continue;
        ExpectDenied(policy_, Principal::Enver(id), Access::kRead, path);
        ++denied;
      }
    }
  }
  EXPECT_GT(denied, 100);
}

TEST_F(SamplePolicyTest, SiblingEnversAndPrefixLookalikesAreDenied) {
  // The same product name on a sibling enver of the producer.
  Principal manager = Principal::Enver("coffeeShopOrderManager/b..main");
  ExpectAllowed(policy_, manager, Access::kRead,
                "/odmd-share/coffeeShopFoundation/b..main/configTableName");
  ExpectDenied(policy_, manager, Access::kRead,
               "/odmd-share/coffeeShopFoundation/b..dev/configTableName");
  ExpectDenied(policy_, manager, Access::kRead,
               "/odmd-share/coffeeShopFoundation/t..v1.0.0/configTableName");
  // Consumed from the producer, but not this product.
  ExpectDenied(policy_, manager, Access::kRead,
               "/odmd-share/coffeeShopFoundation/b..main/countTableName");
  // The sibling enver of the consumer itself.
  ExpectDenied(policy_, manager, Access::kRead,
               "/odmd-share/coffeeShopOrderManager/b..dev/orderApiUrl");
  // b..main is a prefix of b..main-east: neither reads the other's values.
  Principal eks = Principal::Enver("eksCluster/b..main");
  ExpectAllowed(policy_, eks, Access::kRead, "/odmd-share/networking/b..main/ipamPoolId");
  ExpectDenied(policy_, eks, Access::kRead, "/odmd-share/networking/b..main-east/ipamPoolId");
  ExpectDenied(policy_, eks, Access::kRead, "/odmd-share/eksCluster/b..main-east/clusterName");
  ExpectDenied(policy_, eks, Access::kWrite, "/odmd-share/eksCluster/b..main-east/clusterName");
  ExpectDenied(policy_, Principal::Enver("networking/b..main"), Access::kRead,
               "/odmd-share/networking/b..main-east/vpcCidrs");
}

TEST_F(SamplePolicyTest, EnversReadNothingOfThePlatform) {
  Principal p = Principal::Enver("networking/b..main");
  for (const char* key :
       {"/odmd/contracts/manifest", "/odmd/tokens/abc", "/odmd/secrets/networking/b..main/x",
        "/odmd/clones/a/b", "/other", "/odmd-share/networking/b..main", "/odmd-share/"}) {
    ExpectDenied(policy_, p, Access::kRead, key);
    ExpectDenied(policy_, p, Access::kWrite, key);
  }
}

TEST_F(SamplePolicyTest, AdminReadsAndWritesEverything) {
  for (const char* key :
       {"/odmd/contracts/manifest", "/odmd/tokens/abc", "/odmd/secrets/networking/b..main/x",
        "/odmd-share/networking/b..main/x", "/anything"}) {
    ExpectAllowed(policy_, Principal::Admin(), Access::kRead, key);
    ExpectAllowed(policy_, Principal::Admin(), Access::kWrite, key);
  }
}

TEST_F(SamplePolicyTest, ViewerReadsNoTokenOrSecretMaterialAndWritesNothing) {
  Principal viewer = Principal::Viewer();
  for (const auto& [id, enver] : Envers()) {
    for (const model::Product& product : enver->products) {
      ExpectAllowed(policy_, viewer, Access::kRead, Share(id, product.name));
      ExpectDenied(policy_, viewer, Access::kWrite, Share(id, product.name));
    }
  }
  ExpectAllowed(policy_, viewer, Access::kRead, "/odmd/contracts/manifest");
  ExpectAllowed(policy_, viewer, Access::kRead, "/odmd/clones/svcA/b..main-_b..x");
  ExpectDenied(policy_, viewer, Access::kWrite, "/odmd/contracts/manifest");
  for (const char* key :
       {"/odmd/secrets/networking/b..main/x", "/odmd/secrets", "/odmd/tokens/abc", "/odmd/tokens",
        "/odmd/enver-tokens/networking/b..main", "/odmd/enver-tokens", "/odmd/secrets-index",
        "/odmd/new-kind/x", "/odmd", "/odmd/contracts"}) {
    ExpectDenied(policy_, viewer, Access::kRead, key);
    ExpectDenied(policy_, viewer, Access::kWrite, key);
  }
  // The platform's records without token or secret material, and everything outside /odmd/.
  for (const char* key :
       {"/odmd/contracts/versions/1.0.0", "/odmd/repos/o/n", "/odmd/intake/o/n",
        "/odmd/queue/networking/b..main", "/odmd/deployments/d0000000001", "/odmd/seq/events",
        "/odmd/logs/d0000000001", "/odmd/events/000000000001", "/odmd/envers/networking/b..main",
        "/odmd/roles/networking/x", "/odmd/reactions/cursor", "/odmd/teardowns/a/b..main",
        "/odmd-other/x", "/app/x"}) {
    ExpectAllowed(policy_, viewer, Access::kRead, key);
    ExpectDenied(policy_, viewer, Access::kWrite, key);
  }
}

TEST_F(SamplePolicyTest, UnknownEnverIsDeniedEverythingSayingSo) {
  for (const char* id : {"ghost/b..main", "networking/b..dev", "networking/b..main-_b..x"}) {
    Principal p = Principal::Enver(id);
    for (Access access : {Access::kRead, Access::kWrite}) {
      ExpectDenied(policy_, p, access, Share(id, "share..version"));
      EXPECT_THAT(policy_.Check(p, access, Share(id, "x")),
                  StatusIs(StatusCode::kPermissionDenied, HasSubstr("unknown enver")));
    }
    EXPECT_FALSE(policy_.HasEnver(id));
  }
  EXPECT_TRUE(policy_.HasEnver("networking/b..main"));
}

TEST_F(SamplePolicyTest, DenialMessageNamesPrincipalAccessAndKey) {
  EXPECT_THAT(policy_.Check(Principal::Enver("networking/b..main"), Access::kWrite,
                            "/odmd-share/userAuth/b..main/consoleUrl"),
              StatusIs(StatusCode::kPermissionDenied,
                       "principal enver:networking/b..main may not write "
                       "/odmd-share/userAuth/b..main/consoleUrl"));
}

TEST(AccessPolicyTest, EmptyPolicyDeniesEveryEnverAndKeepsAdminAndViewerRules) {
  AccessPolicy empty;
  EXPECT_EQ(empty.enver_count(), 0u);
  ExpectDenied(empty, Principal::Enver("svcA/b..main"), Access::kRead,
               "/odmd-share/svcA/b..main/url");
  ExpectAllowed(empty, Principal::Admin(), Access::kWrite, "/odmd-share/svcA/b..main/url");
  ExpectAllowed(empty, Principal::Viewer(), Access::kRead, "/odmd-share/svcA/b..main/url");
}

class ClonePolicyTest : public ::testing::Test {
 protected:
  model::Org org_ = test::SmallOrg();
  AccessPolicy policy_ = AccessPolicy::FromOrg(org_, test::SmallOrgClones());
  const std::string origin_ = "svcA/b..main";
  const std::string feat1_ = "svcA/b..main-_b..feat1";
  const std::string feat2_ = "svcA/b..main-_b..feat2";
};

TEST_F(ClonePolicyTest, ClonesReadUpstreamAndWriteTheirOwnProducts) {
  EXPECT_EQ(policy_.enver_count(), 6u);  // 4 declared + 2 clones
  for (const std::string& id : {origin_, feat1_, feat2_}) {
    Principal p = Principal::Enver(id);
    ExpectAllowed(policy_, p, Access::kRead, "/odmd-share/svcB/b..main/db");
    ExpectDenied(policy_, p, Access::kWrite, "/odmd-share/svcB/b..main/db");
    for (const char* product : {"url", "api/v1", "api/v1/child", "share..version"}) {
      ExpectAllowed(policy_, p, Access::kWrite, Share(id, product));
      ExpectAllowed(policy_, p, Access::kRead, Share(id, product));
    }
    ExpectDenied(policy_, p, Access::kWrite, Share(id, "api"));
    EXPECT_TRUE(policy_.HasEnver(id));
  }
}

TEST_F(ClonePolicyTest, ClonesOfOneOriginCannotReadEachOtherOrTheOrigin) {
  for (const std::string& reader : {origin_, feat1_, feat2_}) {
    for (const std::string& owner : {origin_, feat1_, feat2_}) {
      if (reader == owner) continue;
      for (const char* product : {"url", "api/v1", "share..version"}) {
        ExpectDenied(policy_, Principal::Enver(reader), Access::kRead, Share(owner, product));
        ExpectDenied(policy_, Principal::Enver(reader), Access::kWrite, Share(owner, product));
      }
    }
  }
  // The producer does not consume from any clone either.
  ExpectDenied(policy_, Principal::Enver("svcB/b..main"), Access::kRead, Share(feat1_, "url"));
}

TEST_F(ClonePolicyTest, InconsistentCloneRecordsAreLeftOut) {
  AccessPolicy policy = AccessPolicy::FromOrg(
      org_, {{"svcA/b..main-_b..x", "svcA/b..dev"},   // not a clone of that origin
             {"svcB/b..main-_b..y", "svcA/b..main"},  // another build
             {"svcA/b..gone-_b..z", "svcA/b..gone"},  // origin not in the org
             {"svcA/b..dev", "svcA/b..main"}});       // a declared enver stays declared
  EXPECT_EQ(policy.enver_count(), 4u);                // the declared ones only
  ExpectDenied(policy, Principal::Enver("svcA/b..main-_b..x"), Access::kRead,
               "/odmd-share/svcB/b..main/db");
  ExpectDenied(policy, Principal::Enver("svcB/b..main-_b..y"), Access::kRead,
               "/odmd-share/svcB/b..main/db");
  ExpectDenied(policy, Principal::Enver("svcA/b..dev"), Access::kWrite,
               "/odmd-share/svcA/b..dev/api/v1");
}

class PolicyLoadTest : public ::testing::Test {
 protected:
  void PutClone(const std::string& id, const std::string& origin) {
    ODMD_ASSERT_OK(store_->Put(
        "/odmd/clones/" + id,
        R"({"origin": ")" + origin + R"(", "git_name": "x", "type": "branch"})", std::nullopt));
  }

  store::ConfigStorePtr store_ = test::OpenStore();
};

TEST_F(PolicyLoadTest, NoManifestDeniesEnversAndKeepsAdmin) {
  Result<AccessPolicy> policy = AccessPolicy::Load(*store_);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->enver_count(), 0u);
  EXPECT_THAT(policy->Check(Principal::Enver("networking/b..main"), Access::kRead,
                            "/odmd-share/networking/b..main/vpcCidrs"),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("unknown enver")));
  ExpectAllowed(*policy, Principal::Admin(), Access::kWrite, "/odmd/contracts/manifest");
}

TEST_F(PolicyLoadTest, ReadsTheManifestAndCloneRecords) {
  ODMD_ASSERT_OK(store_->Put(kManifestKey, model::WriteManifest(test::SmallOrg()), std::nullopt));
  PutClone("svcA/b..main-_b..feat1", "svcA/b..main");
  PutClone("svcA/b..main-_b..feat2", "svcA/b..main");
  Result<AccessPolicy> policy = AccessPolicy::Load(*store_);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->enver_count(), 6u);
  Principal feat1 = Principal::Enver("svcA/b..main-_b..feat1");
  ExpectAllowed(*policy, feat1, Access::kRead, "/odmd-share/svcB/b..main/db");
  ExpectAllowed(*policy, feat1, Access::kWrite, "/odmd-share/svcA/b..main-_b..feat1/url");
  ExpectDenied(*policy, feat1, Access::kRead, "/odmd-share/svcA/b..main-_b..feat2/url");
  ExpectDenied(*policy, feat1, Access::kRead, "/odmd-share/svcA/b..main/url");
}

TEST_F(PolicyLoadTest, SampleManifestFromTheStoreMatchesFromOrg) {
  ODMD_ASSERT_OK(store_->Put(kManifestKey, test::SampleManifestText(), std::nullopt));
  Result<AccessPolicy> policy = AccessPolicy::Load(*store_);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->enver_count(), 21u);
  ExpectAllowed(*policy, Principal::Enver("eksCluster/b..main"), Access::kRead,
                "/odmd-share/networking/b..main/ipamPoolId");
  ExpectDenied(*policy, Principal::Enver("eksCluster/b..main"), Access::kRead,
               "/odmd-share/networking/b..main-east/ipamPoolId");
}

TEST_F(PolicyLoadTest, DeletedManifestIsLikeNone) {
  ODMD_ASSERT_OK(store_->Put(kManifestKey, model::WriteManifest(test::SmallOrg()), std::nullopt));
  ODMD_ASSERT_OK(store_->Delete(kManifestKey, std::nullopt));
  Result<AccessPolicy> policy = AccessPolicy::Load(*store_);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->enver_count(), 0u);
}

TEST_F(PolicyLoadTest, MalformedManifestIsAnErrorNamingTheKey) {
  for (const char* text : {"{not json", R"({"schema": "odmd.manifest/v1"})", ""}) {
    ODMD_ASSERT_OK(store_->Put(kManifestKey, text, std::nullopt));
    EXPECT_THAT(AccessPolicy::Load(*store_),
                StatusIs(StatusCode::kFailedPrecondition,
                         HasSubstr("store key \"/odmd/contracts/manifest\"")))
        << text;
  }
}

TEST_F(PolicyLoadTest, MalformedCloneRecordIsAnErrorNamingTheKey) {
  struct Case {
    std::string key;
    std::string value;
  };
  for (const Case& c : {Case{"/odmd/clones/svcA/b..main-_b..f", "not json"},
                        Case{"/odmd/clones/svcA/b..main-_b..f", R"({"git_name": "f"})"},
                        Case{"/odmd/clones/svcA/b..main-_b..f", R"({"origin": 7})"},
                        Case{"/odmd/clones/svcA/b..main-_b..f", R"({"origin": "svcA/b..dev"})"},
                        Case{"/odmd/clones/svcA/b..f", R"({"origin": "svcA/b..main"})"},
                        Case{"/odmd/clones/svcA", R"({"origin": "svcA/b..main"})"}}) {
    store::ConfigStorePtr store = test::OpenStore();
    ODMD_ASSERT_OK(store->Put(kManifestKey, model::WriteManifest(test::SmallOrg()), std::nullopt));
    ODMD_ASSERT_OK(store->Put(c.key, c.value, std::nullopt));
    EXPECT_THAT(AccessPolicy::Load(*store),
                StatusIs(StatusCode::kFailedPrecondition, HasSubstr("\"" + c.key + "\"")))
        << c.key << " " << c.value;
  }
}

TEST_F(PolicyLoadTest, CloneOfAnOriginNoLongerInTheManifestIsLeftOut) {
  ODMD_ASSERT_OK(store_->Put(kManifestKey, model::WriteManifest(test::SmallOrg()), std::nullopt));
  PutClone("svcA/b..old-_b..f", "svcA/b..old");
  Result<AccessPolicy> policy = AccessPolicy::Load(*store_);
  ASSERT_THAT(policy, IsOk());
  EXPECT_FALSE(policy->HasEnver("svcA/b..old-_b..f"));
}

}  // namespace
}  // namespace odmd::access

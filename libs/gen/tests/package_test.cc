// GeneratePackage: golden files for the sample org, the version, the names (identifiers,
// enver keys, collisions) and errors. The package's types are compiled by tsc in
// sdk/contracts/test/package.test.ts (CTest sdk_contracts).

#include "odmd/gen/package.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "odmd/testing/status_matchers.h"
#include "odmd/testing/testdata.h"

namespace odmd::gen {
namespace {

using ::odmd::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSampleManifest[] = "examples/sandbox/manifest.golden.json";
constexpr char kGoldenDir[] = "libs/gen/testdata/package";

model::Org SampleOrg() {
  std::string text = odmd::testing::ReadFileOrFail(odmd::testing::SourcePath(kSampleManifest));
  Result<model::Org> org = model::ReadManifest(text, nullptr);
  EXPECT_TRUE(org.ok()) << org.status().ToString();
  return org.ok() ? *std::move(org) : model::Org{};
}

std::vector<GeneratedFile> Generate(const model::Org& org, const PackageOptions& options = {}) {
  Result<std::vector<GeneratedFile>> files = GeneratePackage(org, options);
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  return files.ok() ? *std::move(files) : std::vector<GeneratedFile>{};
}

std::string Content(const std::vector<GeneratedFile>& files, const std::string& path) {
  for (const GeneratedFile& f : files) {
    if (f.path == path) return f.content;
  }
  ADD_FAILURE() << "no file " << path;
  return "";
}

// A small org: one contracts build and whatever the test adds.
model::Enver EnverOn(model::RevRef rev) {
  model::Enver e;
  e.rev = std::move(rev);
  e.account = "central";
  e.region = "us-east-1";
  return e;
}

model::Org SmallOrg() {
  model::Org org;
  org.name = "Acme Corp";
  org.version = "2.3.4";
  org.accounts = {{"central", "111111111111"}};
  model::Build contracts{"contracts", model::BuildKind::kContracts, {"o", "c", 0}, {}};
  contracts.envers.push_back(EnverOn(model::RevRef::Branch("main")));
  org.builds.push_back(contracts);
  return org;
}

model::Build BuildWith(std::string id, std::vector<model::RevRef> revs) {
  model::Build b{std::move(id), model::BuildKind::kCdk, {"o", "r", 0}, {}};
  for (model::RevRef& rev : revs) {
    b.envers.push_back(EnverOn(std::move(rev)));
  }
  return b;
}

TEST(PackageGoldenTest, EveryFileOfTheSampleOrgsPackageMatchesItsGoldenFile) {
  std::vector<GeneratedFile> files = Generate(SampleOrg());
  std::vector<std::string> paths;
  for (const GeneratedFile& file : files) {
    paths.push_back(file.path);
    EXPECT_EQ(file.build_id, "");
    EXPECT_FALSE(file.user_owned);
    if (odmd::testing::UpdateGoldenRequested()) {
      std::filesystem::create_directories(odmd::testing::SourcePath(kGoldenDir));
    }
    odmd::testing::ExpectMatchesGolden(file.content, std::string(kGoldenDir) + "/" + file.path);
  }
  EXPECT_THAT(paths, ElementsAre("index.d.ts", "index.js", "manifest.json", "package.json"));
}

TEST(PackageTest, ManifestJsonIsTheManifestItWasGeneratedFrom) {
  std::string golden = odmd::testing::ReadFileOrFail(odmd::testing::SourcePath(kSampleManifest));
  EXPECT_EQ(Content(Generate(SampleOrg()), "manifest.json"), golden);
}

TEST(PackageTest, PackageVersionIsTheManifestsVersionAndTheNameDefaultsToTheOrgs) {
  model::Org org = SampleOrg();
  org.version = "3.1.0-rc.2";
  nlohmann::json pkg = nlohmann::json::parse(Content(Generate(org), "package.json"));
  EXPECT_EQ(pkg["version"], "3.1.0-rc.2");
  EXPECT_EQ(pkg["name"], "sandbox-contracts");
  EXPECT_EQ(pkg["types"], "index.d.ts");
  pkg = nlohmann::json::parse(Content(Generate(org, {"@acme/contracts"}), "package.json"));
  EXPECT_EQ(pkg["name"], "@acme/contracts");
  EXPECT_EQ(DefaultPackageName(SmallOrg()), "acme-corp-contracts");
}

TEST(PackageTest, SameBytesWhateverTheDeclarationOrder) {
  model::Org org = SampleOrg();
  model::Org shuffled = org;
  std::reverse(shuffled.builds.begin(), shuffled.builds.end());
  for (model::Build& b : shuffled.builds) std::reverse(b.envers.begin(), b.envers.end());
  EXPECT_EQ(Generate(shuffled), Generate(org));
}

TEST(PackageTest, IdentifiersAreCamelCaseAndNeverReserved) {
  EXPECT_EQ(PackageIdentifier("odmd-contracts-sandbox"), "odmdContractsSandbox");
  EXPECT_EQ(PackageIdentifier("coffeeShopFoundation"), "coffeeShopFoundation");
  EXPECT_EQ(PackageIdentifier("a_b-c.d"), "a_bCD");
  EXPECT_EQ(PackageIdentifier("1st"), "_1st");
  EXPECT_EQ(PackageIdentifier("class"), "class_");
  EXPECT_EQ(PackageIdentifier("org"), "org_");
  EXPECT_EQ(PackageIdentifier("builds"), "builds_");
  EXPECT_EQ(PackageIdentifier("__proto__"), "__proto___");
}

TEST(PackageTest, BuildsWhoseIdentifiersCollideAreOnlyInBuilds) {
  model::Org org = SmallOrg();
  org.builds.push_back(BuildWith("svc-a", {model::RevRef::Branch("main")}));
  org.builds.push_back(BuildWith("svcA", {model::RevRef::Branch("main")}));
  std::vector<GeneratedFile> files = Generate(org);
  std::string dts = Content(files, "index.d.ts");
  std::string js = Content(files, "index.js");
  EXPECT_THAT(dts, Not(HasSubstr("export declare const svcA")));
  EXPECT_THAT(js, Not(HasSubstr("exports.svcA")));
  EXPECT_THAT(dts, HasSubstr("  readonly \"svc-a\": BuildNo1;\n  readonly svcA: BuildNo2;\n"));
  EXPECT_THAT(js, HasSubstr("exports.contracts = b0;"));
}

// `{__proto__: x}` in an object literal sets the prototype: such a key must be computed.
TEST(PackageTest, AProtoNameIsAComputedKeyInTheJavaScript) {
  model::Org org = SmallOrg();
  org.builds.push_back(BuildWith("__proto__", {model::RevRef::Branch("main")}));
  org.builds.back().envers[0].products.push_back({"__proto__"});
  std::string js = Content(Generate(org), "index.js");
  EXPECT_THAT(js, HasSubstr("  [\"__proto__\"]: b0,\n"));
  EXPECT_THAT(js,
              HasSubstr("      [\"__proto__\"]: product(\"__proto__/b..main\", \"__proto__\"),\n"));
  EXPECT_THAT(js, HasSubstr("exports.__proto___ = b0;"));
  EXPECT_THAT(js, Not(HasSubstr(" __proto__:")));
}

TEST(PackageTest, AnEnverIsAMemberByItsValueOnlyWhenThatIsUnambiguous) {
  model::Org org = SmallOrg();
  org.builds.push_back(
      BuildWith("svc", {model::RevRef::Branch("main"), model::RevRef::Branch("release"),
                        model::RevRef::Tag("release"), model::RevRef::Branch("kind"),
                        model::RevRef::Tag("v1.0.0")}));
  std::string dts = Content(Generate(org), "index.d.ts");
  EXPECT_THAT(dts, HasSubstr("  readonly main: Build_svc_envers[\"b..main\"];\n"));
  EXPECT_THAT(dts, HasSubstr("  readonly \"v1.0.0\": Build_svc_envers[\"t..v1.0.0\"];\n"));
  EXPECT_THAT(dts, Not(HasSubstr("readonly release:")));
  EXPECT_THAT(dts, Not(HasSubstr("Build_svc_envers[\"b..kind\"];")));
  EXPECT_THAT(dts, HasSubstr("  readonly kind: \"cdk\";\n"));
}

TEST(PackageTest, ABadPackageNameIsNamedAndNothingIsGenerated) {
  for (const char* bad : {"Upper", "a b", "@scope", "@/x", ".hidden", "_x", ""}) {
    if (std::string(bad).empty()) continue;  // empty means the default name
    EXPECT_THAT(GeneratePackage(SampleOrg(), {bad}),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(std::string("\"") + bad + "\"")))
        << bad;
  }
  EXPECT_THAT(GeneratePackage(SampleOrg(), {std::string(215, 'a')}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at most 214")));
  EXPECT_TRUE(GeneratePackage(SampleOrg(), {"@my-org/contracts.x~1"}).ok());
}

TEST(PackageTest, AnEnverWithAnUndeclaredAccountIsNamed) {
  model::Org org = SmallOrg();
  org.builds.push_back(BuildWith("svc", {model::RevRef::Branch("main")}));
  org.builds.back().envers[0].account = "nowhere";
  EXPECT_THAT(GeneratePackage(org),
              StatusIs(StatusCode::kNotFound,
                       HasSubstr("enver \"svc/b..main\": account \"nowhere\" is not declared")));
}

}  // namespace
}  // namespace odmd::gen

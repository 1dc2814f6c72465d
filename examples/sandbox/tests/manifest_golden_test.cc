// The checked-in manifest is what sandbox_synth prints: reviewers read architecture changes
// as a diff of manifest.golden.json. Rewrite it with tools/update-golden.sh (or
// ODMD_UPDATE_GOLDEN=1) after an intended change, bump kContractsVersion, and review the diff.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/model/violation.h"
#include "odmd/testing/status_matchers.h"
#include "odmd/testing/testdata.h"
#include "sandbox/contracts.h"

namespace sandbox {
namespace {

using ::odmd::model::Org;
using ::odmd::model::ReadManifest;
using ::odmd::model::Violation;
using ::odmd::model::WriteManifest;
using ::testing::IsEmpty;

constexpr char kGolden[] = "examples/sandbox/manifest.golden.json";

TEST(SandboxManifestGoldenTest, WrittenManifestMatchesTheGoldenFileByteForByte) {
  odmd::testing::ExpectMatchesGolden(WriteManifest(BuildSandboxContracts().Finish()), kGolden);
}

TEST(SandboxManifestGoldenTest, GoldenManifestReadsBackWithoutViolations) {
  std::string golden = odmd::testing::ReadFileOrFail(odmd::testing::SourcePath(kGolden));
  ASSERT_FALSE(golden.empty());
  std::vector<Violation> violations;
  odmd::Result<Org> org = ReadManifest(golden, &violations);
  std::vector<std::string> lines;
  for (const Violation& v : violations) lines.push_back(v.ToString());
  EXPECT_THAT(lines, IsEmpty());
  ODMD_EXPECT_OK(org);
}

// The platform sees exactly what the C++ declares: nothing is lost or defaulted on the
// way through the manifest (flags, placeholders, reactions, the version).
TEST(SandboxManifestGoldenTest, GoldenManifestHoldsTheDeclaredOrg) {
  std::string golden = odmd::testing::ReadFileOrFail(odmd::testing::SourcePath(kGolden));
  odmd::Result<Org> org = ReadManifest(golden, nullptr);
  ODMD_ASSERT_OK(org);
  EXPECT_EQ(org->name, kOrgName);
  EXPECT_EQ(org->version, kContractsVersion);
  EXPECT_TRUE(*org == BuildSandboxContracts().Finish());
}

}  // namespace
}  // namespace sandbox

#include "odmd/gen/generated_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace odmd::gen {
namespace {

using ::testing::ElementsAre;

TEST(DiffGeneratedFilesTest, ReportsAddedChangedRemovedSortedByPath) {
  const std::vector<GeneratedFile> before = {
      {"b.yaml", "old", false, "svcB"},
      {"a.yaml", "same", false, "svcA"},
      {"c.yaml", "gone", false, "svcC"},
      {"d.yaml", "x", false, "svcD"},
  };
  const std::vector<GeneratedFile> after = {
      {"a.yaml", "same", false, "svcA"},
      {"b.yaml", "new", false, "svcB"},
      {"e.yaml", "fresh", false, "svcE"},
      {"d.yaml", "x", true, "svcD"},  // ownership flipped: changed
  };
  EXPECT_THAT(DiffGeneratedFiles(before, after),
              ElementsAre(FileDiffEntry{FileChange::kChanged, "b.yaml", "svcB"},
                          FileDiffEntry{FileChange::kRemoved, "c.yaml", "svcC"},
                          FileDiffEntry{FileChange::kChanged, "d.yaml", "svcD"},
                          FileDiffEntry{FileChange::kAdded, "e.yaml", "svcE"}));
}

TEST(DiffGeneratedFilesTest, SamePathInTwoReposIsTwoFiles) {
  const std::vector<GeneratedFile> before = {{"w.yaml", "1", false, "svcA"}};
  const std::vector<GeneratedFile> after = {{"w.yaml", "1", false, "svcA"},
                                            {"w.yaml", "1", false, "svcB"}};
  EXPECT_THAT(DiffGeneratedFiles(before, after),
              ElementsAre(FileDiffEntry{FileChange::kAdded, "w.yaml", "svcB"}));
}

TEST(DiffGeneratedFilesTest, IdenticalGenerationsHaveNoDiff) {
  const std::vector<GeneratedFile> files = {{"w.yaml", "1", false, "svcA"}};
  EXPECT_TRUE(DiffGeneratedFiles(files, files).empty());
  EXPECT_EQ(FileChangeName(FileChange::kAdded), "added");
  EXPECT_EQ(FileChangeName(FileChange::kRemoved), "removed");
}

}  // namespace
}  // namespace odmd::gen

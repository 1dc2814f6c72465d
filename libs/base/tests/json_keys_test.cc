#include "odmd/base/json_keys.h"

#include <gtest/gtest.h>

namespace odmd {
namespace {

// {"a": [1, {"b": 2, "c/~": {"b": 3, "b": 4}}]}, event by event.
TEST(JsonKeyTrackerTest, NamesTheFirstRepeatedKeyByItsPointer) {
  JsonKeyTracker t;
  t.Value();
  t.StartObject();
  EXPECT_TRUE(t.Key("a"));
  t.Value();
  t.StartArray();
  t.Value();  // 1
  EXPECT_EQ(t.Pointer(), "/a/0");
  t.Value();
  t.StartObject();
  EXPECT_TRUE(t.Key("b"));
  t.Value();
  EXPECT_TRUE(t.Key("c/~"));
  t.Value();
  t.StartObject();
  EXPECT_TRUE(t.Key("b"));  // the same key in another object is fine
  t.Value();
  EXPECT_EQ(t.Pointer(), "/a/1/c~1~0/b");
  EXPECT_FALSE(t.Key("b"));
  EXPECT_EQ(t.duplicate(), "/a/1/c~1~0/b");
}

TEST(JsonKeyTrackerTest, SiblingObjectsAndArraysStartAfresh) {
  JsonKeyTracker t;
  t.Value();
  t.StartArray();
  for (int i = 0; i < 2; ++i) {
    t.Value();
    t.StartObject();
    EXPECT_TRUE(t.Key("id"));
    t.Value();
    EXPECT_EQ(t.Pointer(), "/" + std::to_string(i) + "/id");
    t.EndContainer();
  }
  t.EndContainer();
  EXPECT_EQ(t.Pointer(), "");
  EXPECT_EQ(t.duplicate(), "");
}

}  // namespace
}  // namespace odmd

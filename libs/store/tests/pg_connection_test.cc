// The PostgreSQL backend's helpers that need no server: URL redaction and parsing, and the
// binary array encoding sent to odmd_write. (Everything else runs against a real server in
// odmd_store_postgres_test.)

#include "postgres/pg_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "odmd/testing/status_matchers.h"

namespace odmd::store::postgres {
namespace {

using ::odmd::testing::IsOk;
using ::odmd::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(PgUrlTest, RedactUrlDropsThePasswordOnly) {
  EXPECT_EQ(RedactUrl("postgres://alice:pw@db.example:5433/odmd"),
            "postgres://alice@db.example:5433/odmd");
  EXPECT_EQ(RedactUrl("postgres://alice:p%40ss@host/odmd?sslmode=require"),
            "postgres://alice@host/odmd?sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql:///odmd?host=/run/pg&password=pw&user=bob"),
            "postgresql:///odmd?host=/run/pg&user=bob");
  EXPECT_EQ(RedactUrl("postgresql:///odmd?password=pw"), "postgresql:///odmd");
  EXPECT_EQ(RedactUrl("postgres://alice@host/odmd"), "postgres://alice@host/odmd");
  EXPECT_EQ(RedactUrl("postgres://host:5432/odmd"), "postgres://host:5432/odmd");
}

TEST(PgUrlTest, DescribeUrlKeepsThePasswordOutOfTheLabel) {
  Result<PgTarget> target = DescribeUrl("postgres://alice:s3cret@host/odmd");
  ASSERT_THAT(target, IsOk());
  EXPECT_EQ(target->label, "postgres://alice@host/odmd");
  EXPECT_EQ(target->password, "s3cret");
  Result<PgTarget> in_query = DescribeUrl("postgresql:///odmd?password=p%41ss");
  ASSERT_THAT(in_query, IsOk());
  EXPECT_EQ(in_query->password, "pAss");
}

TEST(PgUrlTest, UnparsableUrlIsInvalidArgumentWithoutThePassword) {
  EXPECT_THAT(DescribeUrl("postgres://alice:s3cret@host/odmd?bogus=1"),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("\"postgres://alice@host/odmd?bogus=1\""),
                             HasSubstr("bogus"), Not(HasSubstr("s3cret")))));
}

TEST(PgArrayTest, Int64ArrayHasTheBinaryArrayLayout) {
  const std::string encoded = EncodeInt64Array({1, -1});
  const std::string expected(
      "\0\0\0\1"                                     // one dimension
      "\0\0\0\0"                                     // no NULLs
      "\0\0\0\x14"                                   // element type int8 (20)
      "\0\0\0\2"                                     // two elements
      "\0\0\0\1"                                     // lower bound 1
      "\0\0\0\x08\0\0\0\0\0\0\0\1"                   // 8 bytes: 1
      "\0\0\0\x08\xff\xff\xff\xff\xff\xff\xff\xff",  // 8 bytes: -1
      20 + 12 + 12);
  EXPECT_EQ(encoded, expected);
}

TEST(PgArrayTest, ByteaArrayKeepsNulBytesAndEmptyItems) {
  const std::string item("a\0b", 3);
  const std::string encoded = EncodeByteaArray({item, ""});
  const std::string expected(
      "\0\0\0\1\0\0\0\0\0\0\0\x11\0\0\0\2\0\0\0\1"  // header, element type bytea (17)
      "\0\0\0\3a\0b"                                // 3 bytes
      "\0\0\0\0",                                   // 0 bytes
      20 + 7 + 4);
  EXPECT_EQ(encoded, expected);
}

TEST(PgArrayTest, EmptyArrayHasNoDimensions) {
  EXPECT_EQ(EncodeBoolArray({}), std::string("\0\0\0\0\0\0\0\0\0\0\0\x10", 12));
}

}  // namespace
}  // namespace odmd::store::postgres

// docs/manifest.schema.json must describe what WriteManifest writes and what ReadManifest
// accepts. A small validator for the subset of JSON Schema the file uses (type, const,
// enum, pattern, not, required, properties, additionalProperties, propertyNames, items,
// minItems, minimum, maximum, $ref into $defs) checks real manifests against it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>

#include "odmd/model/manifest.h"
#include "odmd/testing/testdata.h"
#include "validate_test_util.h"

namespace odmd::model {
namespace {

using fixtures::MakeConsumer;
using fixtures::MakeEnver;
using fixtures::ValidOrg;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using Json = nlohmann::json;

Json LoadSchema() {
  std::string text =
      odmd::testing::ReadFileOrFail(odmd::testing::SourcePath("docs/manifest.schema.json"));
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

bool HasType(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "integer") return value.is_number_integer();
  return false;
}

// Appends "<path>: <problem>" for every way `value` fails `schema`.
class MiniValidator {
 public:
  explicit MiniValidator(const Json& root) : root_(root) {}

  std::vector<std::string> Check(const Json& value) {
    problems_.clear();
    Validate(root_, value, "");
    return problems_;
  }

 private:
  void Validate(const Json& schema, const Json& value, const std::string& path) {
    if (schema.contains("$ref")) {
      std::string ref = schema["$ref"];  // "#/$defs/<name>"
      return Validate(root_.at(Json::json_pointer(ref.substr(1))), value, path);
    }
    if (schema.contains("type") && !HasType(value, schema["type"])) {
      return Fail(path, "is not " + schema["type"].get<std::string>());
    }
    if (schema.contains("const") && value != schema["const"]) Fail(path, "differs from const");
    if (schema.contains("enum") &&
        std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
      Fail(path, "is not in enum");
    }
    if (value.is_string()) CheckString(schema, value.get<std::string>(), path);
    if (value.is_number_integer()) CheckRange(schema, value.get<std::int64_t>(), path);
    if (value.is_object()) CheckObject(schema, value, path);
    if (value.is_array()) CheckArray(schema, value, path);
  }

  void CheckString(const Json& schema, const std::string& s, const std::string& path) {
    if (schema.contains("pattern") && !Matches(schema["pattern"], s)) {
      Fail(path, "does not match pattern");
    }
    if (schema.contains("not") && schema["not"].contains("pattern") &&
        Matches(schema["not"]["pattern"], s)) {
      Fail(path, "matches a forbidden pattern");
    }
  }

  void CheckRange(const Json& schema, std::int64_t v, const std::string& path) {
    if (schema.contains("minimum") && v < schema["minimum"].get<std::int64_t>()) {
      Fail(path, "is below minimum");
    }
    if (schema.contains("maximum") && v > schema["maximum"].get<std::int64_t>()) {
      Fail(path, "is above maximum");
    }
  }

  void CheckObject(const Json& schema, const Json& value, const std::string& path) {
    for (const std::string& key : schema.value("required", std::vector<std::string>{})) {
      if (!value.contains(key)) Fail(path, "misses " + key);
    }
    const Json properties = schema.value("properties", Json::object());
    for (const auto& [key, child] : value.items()) {
      if (schema.contains("propertyNames")) {
        CheckString(schema["propertyNames"], key, path + "/" + key + " (name)");
      }
      if (properties.contains(key)) {
        Validate(properties[key], child, path + "/" + key);
      } else if (schema.value("additionalProperties", true) == false) {
        Fail(path, "has unknown " + key);
      }
    }
  }

  void CheckArray(const Json& schema, const Json& value, const std::string& path) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) {
      Fail(path, "has too few items");
    }
    if (!schema.contains("items")) return;
    for (size_t i = 0; i < value.size(); ++i) {
      Validate(schema["items"], value[i], path + "/" + std::to_string(i));
    }
  }

  static bool Matches(const Json& pattern, const std::string& s) {
    return std::regex_search(s, std::regex(pattern.get<std::string>(), std::regex::ECMAScript));
  }

  void Fail(const std::string& path, const std::string& problem) {
    problems_.push_back(path + ": " + problem);
  }

  const Json& root_;
  std::vector<std::string> problems_;
};

// Visits every object schema in the file.
void ForEachObjectSchema(const Json& node, const std::function<void(const Json&)>& fn) {
  if (node.is_object()) {
    if (node.value("type", "") == "object") fn(node);
    for (const auto& [key, child] : node.items()) ForEachObjectSchema(child, fn);
  } else if (node.is_array()) {
    for (const Json& child : node) ForEachObjectSchema(child, fn);
  }
}

TEST(ManifestSchemaTest, IsJsonSchema202012) {
  Json schema = LoadSchema();
  ASSERT_FALSE(schema.is_discarded()) << "docs/manifest.schema.json is not JSON";
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(schema["properties"]["schema"]["const"], kManifestSchema);
}

TEST(ManifestSchemaTest, EveryObjectForbidsAdditionalProperties) {
  Json schema = LoadSchema();
  int objects = 0;
  ForEachObjectSchema(schema, [&](const Json& object) {
    if (&object == &schema["$defs"]["config"]) return;  // free-form settings; keys checked
    ++objects;
    EXPECT_EQ(object.value("additionalProperties", true), false) << object.dump();
  });
  EXPECT_EQ(objects, 7);  // root, account, build, repo, enver, product, consumer
}

TEST(ManifestSchemaTest, EnumsMatchTheModel) {
  Json schema = LoadSchema();
  std::vector<std::string> kinds, reactions;
  for (BuildKind k : {BuildKind::kContracts, BuildKind::kCdk, BuildKind::kImage, BuildKind::kCmd,
                      BuildKind::kNetworking, BuildKind::kEksCluster, BuildKind::kUserAuth}) {
    kinds.emplace_back(BuildKindName(k));
  }
  for (Reaction r : {Reaction::kRedeploy, Reaction::kNotify, Reaction::kIgnore}) {
    reactions.emplace_back(ReactionName(r));
  }
  EXPECT_THAT(
      schema["$defs"]["build"]["properties"]["kind"]["enum"].get<std::vector<std::string>>(),
      ElementsAreArray(kinds));
  EXPECT_THAT(
      schema["$defs"]["consumer"]["properties"]["reaction"]["enum"].get<std::vector<std::string>>(),
      ElementsAreArray(reactions));
}

TEST(ManifestSchemaTest, WrittenManifestsConform) {
  Json schema = LoadSchema();
  MiniValidator validator(schema);
  Org org = ValidOrg();
  org.builds[2].envers.push_back(MakeEnver(
      RevRef::CloneOf(RevRef::Branch("main"), RevType::kBranch, "feat_1.x"), "workspace1"));
  org.builds[2].envers[0].consumers[0].placeholder = "arn:placeholder";
  org.builds[1].envers[0].products.push_back({"vpc/subnets"});
  org.builds[1].envers[0].stacks = {"foundation", "foundation-share-nat"};
  org.builds[1].config = R"({"cluster": "blue", "net": {"cidrs": ["10.0.0.0/16"]}})";
  org.builds[2].envers[0].config = R"({"domain.name": "a.example.com", "x_y-1": null})";
  org.builds[2].service_overview_md = "docs/OVERVIEW.md";
  org.builds[2].service_context_md = ".odmd/CONTEXT.md";
  org.builds[2].envers[0].enver_context_md = "docs/envers/MAIN.md";
  EXPECT_THAT(validator.Check(Json::parse(WriteManifest(org))), IsEmpty());
}

struct FieldCase {
  std::string pointer;
  Json value;
  bool valid;
};

class SchemaFieldTest : public ::testing::TestWithParam<FieldCase> {};

// The schema's patterns agree with the rules on single fields.
TEST_P(SchemaFieldTest, PatternAgreesWithTheRules) {
  Json schema = LoadSchema();
  MiniValidator validator(schema);
  Json doc = Json::parse(WriteManifest(ValidOrg()));
  doc[Json::json_pointer(GetParam().pointer)] = GetParam().value;
  EXPECT_EQ(validator.Check(doc).empty(), GetParam().valid)
      << GetParam().pointer << " = " << GetParam().value.dump();
}

INSTANTIATE_TEST_SUITE_P(
    ManifestSchema, SchemaFieldTest,
    ::testing::Values(
        FieldCase{"/builds/2/id", "order_Svc-2", true}, FieldCase{"/builds/2/id", "a b", false},
        FieldCase{"/builds/2/id", "", false}, FieldCase{"/builds/2/id", "Config", false},
        FieldCase{"/builds/2/envers/0/rev", "t..v1.0.0", true},
        FieldCase{"/builds/2/envers/0/rev", "b..master-_t..v9", true},
        FieldCase{"/builds/2/envers/0/rev", "b..a_-_b..x", true},
        FieldCase{"/builds/2/envers/0/rev", "b..vnext", false},
        FieldCase{"/builds/2/envers/0/rev", "b..a..b", false},
        FieldCase{"/builds/2/envers/0/rev", "b..a-_b", false},
        FieldCase{"/builds/2/envers/0/rev", "b..", false},
        FieldCase{"/builds/2/envers/0/rev", "main", false},
        FieldCase{"/builds/2/envers/0/rev", "b..a-_b..c-_b..d", false},
        FieldCase{"/builds/2/envers/0/products/0/name", "api/schema-url", true},
        FieldCase{"/builds/2/envers/0/products/0/name", "api//x", false},
        FieldCase{"/builds/2/envers/0/products/0/name", "share..version", false},
        FieldCase{"/builds/2/envers/0/cloneLimit", 0, true},
        FieldCase{"/builds/2/envers/0/stacks", Json::array({"orderSvc", "orderSvc-nat"}), true},
        FieldCase{"/builds/2/envers/0/stacks", Json::array({"orderSvc nat"}), false},
        FieldCase{"/builds/2/envers/0/stacks", Json::array({7}), false},
        FieldCase{"/builds/2/envers/0/stacks", "orderSvc", false},
        FieldCase{"/builds/2/envers/0/cloneLimit", -1, false},
        FieldCase{"/builds/2/envers/0/consumers/0/producer", "foundation/t..v1", true},
        FieldCase{"/builds/2/envers/0/consumers/0/producer", "foundation", false},
        FieldCase{"/builds/2/envers/0/consumers/0/reaction", "notify", true},
        FieldCase{"/builds/2/envers/0/consumers/0/reaction", "later", false},
        FieldCase{"/builds/2/serviceOverviewMd", "docs/v1..2/OVERVIEW.md", true},
        FieldCase{"/builds/2/serviceOverviewMd", "/abs.md", false},
        FieldCase{"/builds/2/serviceContextMd", "docs/../x.md", false},
        FieldCase{"/builds/2/serviceContextMd", "./x.md", false},
        FieldCase{"/builds/2/serviceContextMd", "a/.git/x.md", false},
        FieldCase{"/builds/2/serviceContextMd", ".github/x.md", true},
        FieldCase{"/builds/2/serviceContextMd", "", false},
        FieldCase{"/builds/2/envers/0/enverContextMd", "docs/..hidden.md", true},
        FieldCase{"/builds/2/envers/0/enverContextMd", "docs//x.md", false},
        FieldCase{"/builds/2/envers/0/enverContextMd", "docs/", false},
        FieldCase{"/builds/2/envers/0/enverContextMd", "docs/..", false},
        FieldCase{"/builds/2/envers/0/enverContextMd", "a\tb.md", false},
        FieldCase{"/builds/2/envers/0/enverContextMd", 3, false},
        FieldCase{"/builds/2/kind", "eks-cluster", true}, FieldCase{"/builds/2/kind", "k8s", false},
        FieldCase{"/accounts/0/id", "123456789012", true},
        FieldCase{"/accounts/0/id", "12345678901", false},
        FieldCase{"/version", "1.0.0-rc.1+b.7", true}, FieldCase{"/version", "1.0", false},
        FieldCase{"/digest", "sha256:xyz", false}, FieldCase{"/schema", "odmd.manifest/v2", false},
        FieldCase{"/builds/2/colour", "red", false},
        FieldCase{"/builds/2/config", Json::object({{"cluster", "blue"}}), true},
        FieldCase{"/builds/2/envers/0/config", Json::object({{"a.b_c-1", {1, 2}}}), true},
        FieldCase{"/builds/2/envers/0/config", Json::object({{"a b", 1}}), false},
        FieldCase{"/builds/2/envers/0/config", Json::object({{std::string(65, 'k'), 1}}), false},
        FieldCase{"/builds/2/envers/0/config", Json::array({1}), false},
        FieldCase{"/builds/2/envers/0/config", "x", false}));

}  // namespace
}  // namespace odmd::model

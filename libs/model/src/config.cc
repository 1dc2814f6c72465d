#include "odmd/model/config.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "config_internal.h"
#include "odmd/base/strings.h"
#include "odmd/model/strict_json.h"

namespace odmd::model {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxProblems = 20;

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool IsSafeKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxConfigKeyLength) return false;
  for (char c : key) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

bool DeeperThan(const Json& j, int levels) {
  if (!j.is_structured()) return false;
  if (levels == 0) return true;
  if (j.is_array()) {
    for (const Json& item : j) {
      if (DeeperThan(item, levels - 1)) return true;
    }
    return false;
  }
  for (const auto& [key, value] : j.items()) {
    if (DeeperThan(value, levels - 1)) return true;
  }
  return false;
}

// Walks a parsed config without recursion into anything deeper than the limit, so a
// hostile nesting costs no stack.
class ShapeCheck {
 public:
  std::vector<ConfigProblem> Run(const Json& root) {
    if (!root.is_object()) {
      Add("", "", "config must be an object, got " + std::string(root.type_name()));
      return std::move(problems_);
    }
    Walk(root, "", 1);
    // Too deep to serialize safely; the depth problem is reported already.
    std::string text = too_deep_ ? "" : Dump(root);
    if (text.size() > kMaxConfigBytes) {
      Add("", "",
          "config is " + std::to_string(text.size()) + " bytes serialized; the limit is " +
              std::to_string(kMaxConfigBytes));
    }
    if (dropped_ > 0) {
      problems_.push_back({"", "", "and " + std::to_string(dropped_) + " more problems"});
    }
    return std::move(problems_);
  }

 private:
  void Add(std::string pointer, std::string value, std::string message) {
    if (problems_.size() >= kMaxProblems) {
      ++dropped_;
      return;
    }
    problems_.push_back({std::move(pointer), std::move(value), std::move(message)});
  }

  void Walk(const Json& j, const std::string& pointer, int depth) {
    if (!j.is_structured()) return;
    if (depth > kMaxConfigDepth) {
      too_deep_ = true;
      Add(pointer, "",
          "config nests deeper than " + std::to_string(kMaxConfigDepth) + " levels here");
      return;
    }
    if (j.is_array()) {
      for (std::size_t i = 0; i < j.size(); ++i) {
        Walk(j[i], pointer + "/" + std::to_string(i), depth + 1);
      }
      return;
    }
    for (const auto& [key, value] : j.items()) {
      std::string child = pointer + "/" + JsonPointerEscape(key);
      if (!IsSafeKey(key)) {
        Add(child, key,
            "config key " + Quote(key) + " must be 1 to " + std::to_string(kMaxConfigKeyLength) +
                " characters of [A-Za-z0-9_.-]");
      }
      Walk(value, child, depth + 1);
    }
  }

  std::vector<ConfigProblem> problems_;
  std::size_t dropped_ = 0;
  bool too_deep_ = false;
};

// The object `text` holds, or nullopt ("" and anything that is not a JSON object).
std::optional<Json> ParseObject(std::string_view text) {
  if (text.empty()) return std::nullopt;
  StrictJson parsed = ParseStrictJson(text);
  if (!parsed.value || !parsed.value->is_object()) return std::nullopt;
  if (internal::NestsTooDeep(*parsed.value)) return std::nullopt;
  return std::move(parsed.value);
}

}  // namespace

namespace internal {

std::vector<ConfigProblem> CheckConfigJson(const Json& config) { return ShapeCheck().Run(config); }

bool NestsTooDeep(const Json& j) { return DeeperThan(j, kMaxConfigDepth); }

}  // namespace internal

std::vector<ConfigProblem> CheckConfigShape(std::string_view text) {
  if (text.empty()) return {};
  StrictJson parsed = ParseStrictJson(text);
  if (!parsed.value) {
    std::string why = parsed.duplicate.empty()
                          ? parsed.error
                          : "the key at " + parsed.duplicate + " appears twice";
    return {{"", "", "config is not valid JSON: " + why}};
  }
  return internal::CheckConfigJson(*parsed.value);
}

std::string CanonicalConfig(std::string_view text) {
  if (text.empty()) return "";
  StrictJson parsed = ParseStrictJson(text);
  if (!parsed.value || internal::NestsTooDeep(*parsed.value)) return std::string(text);
  if (parsed.value->is_object() && parsed.value->empty()) return "";
  return Dump(*parsed.value);
}

std::string EffectiveConfig(const Build& build, const Enver& enver) {
  Json merged = ParseObject(build.config).value_or(Json::object());
  if (std::optional<Json> own = ParseObject(enver.config)) {
    for (const auto& [key, value] : own->items()) merged[key] = value;
  }
  return Dump(merged);
}

}  // namespace odmd::model

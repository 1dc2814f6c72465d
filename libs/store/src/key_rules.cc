#include <string>
#include <string_view>

#include "odmd/base/strings.h"
#include "odmd/store/config_store.h"

namespace odmd::store {
namespace {

// Keys end up in error messages; a long one is shortened so the message stays readable.
std::string Shown(std::string_view key) {
  constexpr std::size_t kShown = 80;
  if (key.size() <= kShown) return Quote(key);
  return Quote(std::string(key.substr(0, kShown)) + "...");
}

Status ValidatePath(std::string_view what, std::string_view path) {
  if (path.front() != '/') {
    return InvalidArgumentError(std::string(what) + " " + Shown(path) + " must start with '/'");
  }
  if (path.find('\0') != std::string_view::npos) {
    return InvalidArgumentError(std::string(what) + " " + Shown(path) + " contains a NUL byte");
  }
  if (path.size() > kMaxKeyBytes) {
    return InvalidArgumentError(std::string(what) + " " + Shown(path) + " is " +
                                std::to_string(path.size()) + " bytes, more than the limit of " +
                                std::to_string(kMaxKeyBytes));
  }
  return OkStatus();
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("key is empty");
  return ValidatePath("key", key);
}

Status ValidateValue(std::string_view key, std::string_view value) {
  if (value.size() > kMaxValueBytes) {
    return InvalidArgumentError("value of key " + Shown(key) + " is " +
                                std::to_string(value.size()) + " bytes, more than the limit of " +
                                std::to_string(kMaxValueBytes));
  }
  return OkStatus();
}

Status ValidatePrefix(std::string_view prefix) {
  if (prefix.empty()) return OkStatus();
  return ValidatePath("prefix", prefix);
}

}  // namespace odmd::store

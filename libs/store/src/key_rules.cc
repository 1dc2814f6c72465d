#include <algorithm>
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

// A path names one thing: no segment is empty ("//", a trailing '/' of a key), "." or "..".
// A prefix may end with '/' (its last, empty segment is where the names start).
Status ValidateSegments(std::string_view what, std::string_view path, bool trailing_slash_ok) {
  std::size_t start = 1;
  for (int index = 1;; ++index) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if ((segment.empty() && !(last && trailing_slash_ok)) || segment == "." || segment == "..") {
      return InvalidArgumentError(std::string(what) + " " + Shown(path) + ": segment " +
                                  std::to_string(index) + " is " +
                                  (segment.empty() ? "empty" : Quote(segment)) +
                                  " (a segment may not be empty, \".\" or \"..\")");
    }
    if (last) return OkStatus();
    start = end + 1;
  }
}

}  // namespace

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgumentError("key is empty");
  ODMD_RETURN_IF_ERROR(ValidatePath("key", key));
  return ValidateSegments("key", key, /*trailing_slash_ok=*/false);
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
  if (prefix.empty() || prefix == "/") return OkStatus();
  ODMD_RETURN_IF_ERROR(ValidatePath("prefix", prefix));
  return ValidateSegments("prefix", prefix, /*trailing_slash_ok=*/true);
}

Status ValidateVersion(std::string_view key, Version version) {
  if (version >= 1) return OkStatus();
  return InvalidArgumentError("version " + std::to_string(version) + " of key " + Quote(key) +
                              " is not positive");
}

Status ValidateIfRevision(std::string_view key, std::optional<Revision> if_revision) {
  if (!if_revision.has_value() || *if_revision >= 0) return OkStatus();
  return InvalidArgumentError("if_revision " + std::to_string(*if_revision) + " of key " +
                              Quote(key) + " is negative");
}

Status ValidateListAt(std::string_view prefix, Revision at) {
  ODMD_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (at < 0) {
    return InvalidArgumentError("list revision at=" + std::to_string(at) + " is negative");
  }
  return OkStatus();
}

Status ValidateWatch(std::string_view prefix, Revision after, const ChangeSink& sink) {
  ODMD_RETURN_IF_ERROR(ValidatePrefix(prefix));
  if (after < 0) {
    return InvalidArgumentError("watch revision " + std::to_string(after) + " is negative");
  }
  if (!sink) return InvalidArgumentError("watch has no sink");
  return OkStatus();
}

}  // namespace odmd::store

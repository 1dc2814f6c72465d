#include "odmd/base/json_keys.h"

#include "odmd/base/strings.h"

namespace odmd {

void JsonKeyTracker::Value() {
  if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
}

void JsonKeyTracker::StartObject() {
  frames_.emplace_back();
  frames_.back().object = true;
}

void JsonKeyTracker::StartArray() { frames_.emplace_back(); }

void JsonKeyTracker::EndContainer() {
  if (!frames_.empty()) frames_.pop_back();
}

bool JsonKeyTracker::Key(std::string_view key) {
  if (frames_.empty() || !frames_.back().object) return true;
  Frame& f = frames_.back();
  f.key = std::string(key);
  if (f.keys.insert(f.key).second) return true;
  if (duplicate_.empty()) duplicate_ = Pointer();
  return false;
}

std::string JsonKeyTracker::Pointer() const {
  std::string out;
  for (const Frame& f : frames_) {
    out += '/';
    out += f.object ? JsonPointerEscape(f.key) : std::to_string(f.index);
  }
  return out;
}

}  // namespace odmd

#include "store_output.h"

#include <cstdint>

#include "odmd/access/policy.h"
#include "odmd/base/base64.h"
#include "odmd/base/strings.h"

namespace odmd::cli {

bool IsSecretKey(std::string_view key) { return key.starts_with(access::kSecretsPrefix); }

bool IsUtf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    }
    if ((b & 0xE0) == 0xC0) {
      len = 2;
      cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3;
      cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (bytes.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(bytes[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

void SetValue(nlohmann::json& j, std::string_view value) {
  if (IsUtf8(value)) {
    j["value"] = std::string(value);
  } else {
    j["value_base64"] = Base64(value);
  }
}

nlohmann::json EntryJson(const store::Entry& entry, bool with_value) {
  nlohmann::json j = {{"key", entry.key}, {"version", entry.version}, {"revision", entry.revision}};
  if (with_value && !IsSecretKey(entry.key)) SetValue(j, entry.value);
  return j;
}

nlohmann::json HistoryJson(const store::Entry& entry) {
  nlohmann::json j = EntryJson(entry, false);
  j["kind"] = entry.tombstone ? "delete" : "put";
  if (!entry.tombstone && !IsSecretKey(entry.key)) SetValue(j, entry.value);
  return j;
}

nlohmann::json EventJson(const store::ChangeEvent& event) {
  const bool put = event.kind == store::ChangeKind::kPut;
  nlohmann::json j = {{"revision", event.revision},
                      {"key", event.key},
                      {"kind", put ? "put" : "delete"},
                      {"version", event.version},
                      {"previous_revision", event.previous_revision}};
  if (put && !IsSecretKey(event.key)) SetValue(j, event.value);
  return j;
}

std::string ListedValue(std::string_view key, std::string_view value) {
  if (IsSecretKey(key)) return "<secret>";
  return Quote(value);
}

std::string ListedKey(std::string_view key) {
  for (char c : key) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) return Quote(key);
  }
  return std::string(key);
}

std::string JsonLine(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace odmd::cli

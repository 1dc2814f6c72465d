#pragma once

// How store entries, history records and change events are printed: JSON objects for
// --json and watch, one line per record for text.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "odmd/store/change_event.h"
#include "odmd/store/entry.h"

namespace odmd::cli {

// True for keys under /odmd/secrets/: their values (sealed secrets) are never printed.
bool IsSecretKey(std::string_view key);

// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF).
bool IsUtf8(std::string_view bytes);

// Sets j["value"] to `value` when it is UTF-8, else j["value_base64"] to its base64.
void SetValue(nlohmann::json& j, std::string_view value);

// {"key", "version", "revision"} plus the value when `with_value` and the key is not a
// secret.
nlohmann::json EntryJson(const store::Entry& entry, bool with_value);

// {"key", "version", "revision", "kind": "put"|"delete"} plus the value of a put that is not
// a secret.
nlohmann::json HistoryJson(const store::Entry& entry);

// {"revision", "key", "kind", "version", "previous_revision"} plus the value of a put that is
// not a secret.
nlohmann::json EventJson(const store::ChangeEvent& event);

// A value for a text listing: quoted (Quote: control bytes escaped, so a value cannot
// break the line or drive the terminal), "<secret>" for secret keys.
std::string ListedValue(std::string_view key, std::string_view value);

// A key for a text listing: as it is, or quoted (Quote) when it holds control bytes.
std::string ListedKey(std::string_view key);

// One JSON object on one line (no indent); invalid UTF-8 in keys is replaced by U+FFFD.
std::string JsonLine(const nlohmann::json& j);

}  // namespace odmd::cli

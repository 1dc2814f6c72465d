#pragma once

// Parsing JSON that comes from outside (manifests, API bodies, webhook payloads) strictly:
// nlohmann keeps the last of two equal keys, so {"a": 1, "a": 2} would be read as
// {"a": 2} with no word; a repeated key stops the parse here instead. The parser never
// throws: every failure, a number overflow included, comes back as data with its byte
// offset. Objects are nlohmann::json (std::map) rather than ordered_json, whose linear-time
// inserts make an object with many keys parse in quadratic time.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace odmd::model {

struct StrictJson {
  std::optional<nlohmann::json> value;  // set when the parse succeeded
  // On failure: the byte nlohmann stopped at (bytes read) and its what() text, or the JSON
  // Pointer of the first repeated key (then `error` is empty).
  std::size_t error_byte = 0;
  std::string error;
  std::string duplicate;
};

StrictJson ParseStrictJson(std::string_view text);

}  // namespace odmd::model

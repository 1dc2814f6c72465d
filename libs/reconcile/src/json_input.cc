#include "odmd/reconcile/json_input.h"

#include <string>
#include <utility>

#include "odmd/model/strict_json.h"

namespace odmd::reconcile {
namespace {

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." ->
// "syntax error ...", printable ASCII only (the input may not be UTF-8).
std::string Reason(std::string_view what) {
  const std::size_t colon = what.find(": ");
  if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  std::string out;
  for (char c : what.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  return out;
}

}  // namespace

Result<nlohmann::json> ParseJsonInput(std::string_view text, std::string_view what) {
  model::StrictJson parsed = model::ParseStrictJson(text);
  if (parsed.value) return std::move(*parsed.value);
  if (!parsed.duplicate.empty()) {
    return InvalidArgumentError(std::string(what) + " repeats the key at " + parsed.duplicate +
                                " (JSON keys must be unique in an object)");
  }
  return InvalidArgumentError(std::string(what) + " is not valid JSON at byte " +
                              std::to_string(parsed.error_byte) + ": " + Reason(parsed.error));
}

}  // namespace odmd::reconcile

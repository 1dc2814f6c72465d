#pragma once

// Reading JSON that comes from outside the platform (API request bodies, GitHub webhook
// payloads). Stricter than nlohmann::json::parse: a key repeated in one object is refused
// instead of silently keeping its last value, so what the platform acts on is exactly what
// every other reader of the same text sees. (Manifests get the same rule as M1:
// model/manifest.h.)

#include <string_view>

#include "nlohmann/json.hpp"
#include "odmd/base/status.h"

namespace odmd::reconcile {

// The JSON document `text`. kInvalidArgument naming `what` (e.g. "POST /api/repos: the
// body") otherwise:
//   "<what> is not valid JSON at byte 12: <reason>"
//   "<what> repeats the key at /builds/0/id (JSON keys must be unique in an object)"
Result<nlohmann::json> ParseJsonInput(std::string_view text, std::string_view what);

}  // namespace odmd::reconcile

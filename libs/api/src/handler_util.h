#pragma once

// Request parsing shared by the route handlers: JSON bodies, their string members and
// integer query parameters, each failure a kInvalidArgument naming the field.

#include <cstdint>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "odmd/api/routes.h"
#include "odmd/base/status.h"

namespace odmd::api {

// The body as a JSON object; kInvalidArgument naming `what` otherwise (not JSON, not an
// object, or a key repeated in an object: reconcile/json_input.h). An empty body is an
// empty object when `empty_ok`.
Result<nlohmann::json> BodyObject(const Request& req, std::string_view what, bool empty_ok);

// The string member `name` of `obj`; "" if absent and not `required`. kInvalidArgument
// naming the member as a JSON pointer otherwise.
Result<std::string> StringMember(const nlohmann::json& obj, const std::string& name,
                                 std::string_view what, bool required);

// `text` as a decimal integer within [min, max]; kInvalidArgument naming `what` otherwise.
Result<std::int64_t> ParseInt(std::string_view what, const std::string& text, std::int64_t min,
                              std::int64_t max);

// The integer query parameter `name`, `fallback` when absent.
Result<std::int64_t> IntParam(const Request& req, const std::string& name, std::int64_t fallback,
                              std::int64_t min, std::int64_t max);

// The string query parameter `name`; kInvalidArgument naming it when absent or empty.
Result<std::string> RequiredParam(const Request& req, const std::string& name);

// "/odmd-share/<b>/<r>/<product...>" of a route whose three captures are build, rev and
// product.
std::string ProductPath(const Request& req);

}  // namespace odmd::api

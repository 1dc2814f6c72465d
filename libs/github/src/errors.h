#pragma once

// GitHub's answers as odmd Statuses and GitHub's timestamps as time points.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "odmd/base/status.h"
#include "odmd/github/client.h"
#include "odmd/github/transport.h"

namespace odmd::github {

// `github <call> <METHOD> <path>: <status> <reason>: "<GitHub's message>"[ (<errors>)]`,
// with the code of client.h's table.
Status HttpError(const Call& call, const HttpResponse& response);

// "github <call> <METHOD> <path>" for other errors.
std::string CallName(const Call& call);

// "2026-12-05T21:09:19Z" (GitHub's timestamps are UTC); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseTimestamp(std::string_view text);

}  // namespace odmd::github

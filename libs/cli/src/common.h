#pragma once

// Helpers shared by the commands: loading manifests, printing errors and JSON.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "odmd/base/status.h"
#include "odmd/model/org.h"
#include "odmd/model/violation.h"

namespace odmd::cli {

// The positional <manifest> argument of every command that reads one ("-" for stdin).
void AddManifestArgument(CLI::App& sub, std::string& path);
// The --json flag of every read command.
void AddJsonFlag(CLI::App& sub, bool& json);

// Reads the file at `path` ("-" for standard input). kNotFound / kUnavailable naming the path.
Result<std::string> ReadInput(const std::string& path);

// Reads and fully validates the manifest at `path`. On failure `violations` (if given)
// receives every problem and the Status summarises them.
// `digest`, when not null, gets the manifest's content digest (model::ManifestReadOptions).
Result<model::Org> LoadManifest(const std::string& path, std::vector<model::Violation>* violations,
                                std::string* digest = nullptr);

nlohmann::json ViolationJson(const model::Violation& v);
nlohmann::json StatusJson(const Status& s);

// Prints `j` indented by two spaces, with a trailing newline.
void PrintJson(Io& io, const nlohmann::json& j);

// Reports a failed Status (and violations, if any) on `err`, or as JSON on `out` when
// `json` is set: {"ok": false, "error": {...}, "violations": [...]}. Returns kExitFailure.
int ReportFailure(Io& io, bool json, const Status& status,
                  const std::vector<model::Violation>& violations = {});

// Loads the manifest or reports why not. Returns nullopt after reporting.
std::optional<model::Org> LoadManifestOrReport(Io& io, bool json, const std::string& path,
                                               std::string* digest = nullptr);

}  // namespace odmd::cli

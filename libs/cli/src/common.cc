#include "common.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "odmd/base/strings.h"
#include "odmd/model/manifest.h"

namespace odmd::cli {

void AddManifestArgument(CLI::App& sub, std::string& path) {
  sub.add_option("manifest", path, "Manifest file (- for stdin)")->required();
}

void AddJsonFlag(CLI::App& sub, bool& json) {
  sub.add_flag("--json", json, "Machine-readable output");
}

Result<std::string> ReadInput(const std::string& path) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open \"" + path + "\"");
  ss << in.rdbuf();
  if (in.bad()) return UnavailableError("cannot read \"" + path + "\"");
  return ss.str();
}

Result<model::Org> LoadManifest(const std::string& path,
                                std::vector<model::Violation>* violations) {
  ODMD_ASSIGN_OR_RETURN(std::string text, ReadInput(path));
  Result<model::Org> org = model::ReadManifest(text, violations);
  if (!org.ok()) return org.status().WithContext("manifest \"" + path + "\"");
  return org;
}

nlohmann::json ViolationJson(const model::Violation& v) {
  return {{"rule", v.rule},   {"path", v.path},       {"subject", v.subject},
          {"value", v.value}, {"message", v.message}, {"text", v.ToString()}};
}

nlohmann::json StatusJson(const Status& s) {
  return {{"code", std::string(StatusCodeName(s.code()))}, {"message", s.message()}};
}

void PrintJson(Io& io, const nlohmann::json& j) {
  // Messages may quote bytes from user input (commit messages, manifests) that are not
  // UTF-8; dump() would throw on them, so they are replaced with U+FFFD instead.
  io.out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int ReportFailure(Io& io, bool json, const Status& status,
                  const std::vector<model::Violation>& violations) {
  if (json) {
    nlohmann::json j = {{"ok", false}, {"error", StatusJson(status)}};
    if (!violations.empty()) {
      j["violations"] = nlohmann::json::array();
      for (const auto& v : violations) j["violations"].push_back(ViolationJson(v));
    }
    PrintJson(io, j);
    return kExitFailure;
  }
  if (violations.empty()) {
    io.err << "odmd: " << status.message() << "\n";
  } else {
    io.err << "odmd: " << violations.size()
           << (violations.size() == 1 ? " violation" : " violations") << ":\n";
    for (const auto& v : violations) io.err << "  " << v.ToString() << "\n";
  }
  return kExitFailure;
}

std::optional<model::Org> LoadManifestOrReport(Io& io, bool json, const std::string& path) {
  std::vector<model::Violation> violations;
  Result<model::Org> org = LoadManifest(path, &violations);
  if (!org.ok()) {
    ReportFailure(io, json, org.status(), violations);
    return std::nullopt;
  }
  return std::move(org).value();
}

// Writes through a temporary file and a rename, so a reader never sees half a file.
Status WriteFileAtomically(const std::filesystem::path& path, const std::string& content) {
  std::error_code ec;
  // A bare file name has no directory to create (create_directories("") fails).
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return UnavailableError("cannot create directory " + Quote(path.parent_path().string()) + ": " +
                            ec.message());
  }
  std::filesystem::path tmp = path;
  tmp += ".odmd-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return UnavailableError("cannot write " + Quote(tmp.string()));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return UnavailableError("cannot write " + Quote(path.string()) + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace odmd::cli

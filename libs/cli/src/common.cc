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
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  // One allocation of the file's size and one read: a manifest can be hundreds of MB, and a
  // stream doubling its buffer copies it several times over.
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open \"" + path + "\"");
  std::error_code ec;
  std::uintmax_t size = std::filesystem::is_regular_file(path, ec)
                            ? std::filesystem::file_size(path, ec)
                            : static_cast<std::uintmax_t>(-1);
  std::string text;
  if (!ec && size != static_cast<std::uintmax_t>(-1)) {
    // Room for the manifest reader's padding (LoadManifest), so that it costs no copy.
    text.reserve(size + model::kManifestReadPadding);
    text.resize(size);
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size) {
      return UnavailableError("cannot read \"" + path + "\"");
    }
  } else {
    // Not a regular file (a pipe, /dev/stdin): read it as a stream.
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  if (in.bad()) return UnavailableError("cannot read \"" + path + "\"");
  return text;
}

Result<model::Org> LoadManifest(const std::string& path, std::vector<model::Violation>* violations,
                                std::string* digest) {
  ODMD_ASSIGN_OR_RETURN(std::string text, ReadInput(path));
  // Spaces after the text let the reader parse it in place (ManifestReadOptions::padded).
  const size_t size = text.size();
  text.append(model::kManifestReadPadding, ' ');
  Result<model::Org> org = model::ReadManifest(std::string_view(text).substr(0, size), violations,
                                               {.digest = digest, .padded = true});
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

std::optional<model::Org> LoadManifestOrReport(Io& io, bool json, const std::string& path,
                                               std::string* digest) {
  std::vector<model::Violation> violations;
  Result<model::Org> org = LoadManifest(path, &violations, digest);
  if (!org.ok()) {
    ReportFailure(io, json, org.status(), violations);
    return std::nullopt;
  }
  return std::move(org).value();
}

}  // namespace odmd::cli

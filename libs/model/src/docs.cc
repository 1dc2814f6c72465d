#include "odmd/model/docs.h"

#include <algorithm>

namespace odmd::model {
namespace {

DocPath Doc(std::string_view member, const std::optional<std::string>& declared,
            std::string_view default_path) {
  return DocPath{member, declared ? *declared : std::string(default_path), default_path,
                 declared.has_value()};
}

bool IsControl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// What is wrong with one segment of a path, or "".
std::string SegmentProblem(std::string_view segment) {
  if (segment.empty()) return "must not have an empty segment (\"//\" or a trailing '/')";
  if (segment == "." || segment == "..") {
    return "must not have a \"" + std::string(segment) + "\" segment";
  }
  if (segment == ".git") return "must not have a \".git\" segment (it is never in a commit)";
  return "";
}

}  // namespace

std::vector<DocPath> DocPaths(const Build& build, const Enver& enver) {
  return {Doc("serviceOverviewMd", build.service_overview_md, kDefaultServiceOverviewMd),
          Doc("serviceContextMd", build.service_context_md, kDefaultServiceContextMd),
          Doc("enverContextMd", enver.enver_context_md, kDefaultEnverContextMd)};
}

std::string DocPathProblem(std::string_view path) {
  if (path.empty()) return "must not be empty";
  if (path.size() > kMaxDocPathBytes) {
    return "is " + std::to_string(path.size()) + " bytes long; at most " +
           std::to_string(kMaxDocPathBytes) + " are allowed";
  }
  if (path.front() == '/') return "must be relative to the repository root, not start with '/'";
  if (std::any_of(path.begin(), path.end(), IsControl)) {
    return "must not contain control characters";
  }
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    std::string problem = SegmentProblem(path.substr(start, slash - start));
    if (!problem.empty()) return problem;
    if (slash == std::string_view::npos) return "";
    start = slash + 1;
  }
}

}  // namespace odmd::model

#include "odmd/access/principal.h"

#include <utility>

#include "odmd/base/strings.h"
#include "odmd/model/org.h"
#include "odmd/model/rev_ref.h"

namespace odmd::access {
namespace {

constexpr std::string_view kEnverPrefix = "enver:";

}  // namespace

Principal Principal::Admin() { return Principal{Kind::kAdmin, ""}; }
Principal Principal::Viewer() { return Principal{Kind::kViewer, ""}; }
Principal Principal::Enver(std::string enver_id) {
  return Principal{Kind::kEnver, std::move(enver_id)};
}

std::string Principal::ToString() const {
  switch (kind) {
    case Kind::kAdmin:
      return "admin";
    case Kind::kViewer:
      return "viewer";
    case Kind::kEnver:
      return std::string(kEnverPrefix) + enver_id;
  }
  return "unknown";
}

Result<Principal> Principal::Parse(std::string_view text) {
  if (text == "admin") return Admin();
  if (text == "viewer") return Viewer();
  auto invalid = [&](std::string_view why) {
    return InvalidArgumentError("principal " + Quote(text) + ": " + std::string(why));
  };
  if (!text.starts_with(kEnverPrefix)) {
    return invalid("expected \"admin\", \"viewer\" or \"enver:<build>/<rev>\"");
  }
  std::string_view id = text.substr(kEnverPrefix.size());
  auto parts = model::SplitEnverId(id);
  if (!parts || parts->first.empty()) return invalid("enver id is not \"<build>/<rev>\"");
  Result<model::RevRef> rev = model::RevRef::Parse(parts->second);
  if (!rev.ok()) return invalid(rev.status().message());
  return Enver(std::string(id));
}

}  // namespace odmd::access

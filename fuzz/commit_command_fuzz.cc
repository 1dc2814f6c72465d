// Fuzzes the commit-command parser: never crash; every accepted create has a parseable origin.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "odmd/model/commit_command.h"
#include "odmd/model/rev_ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  odmd::model::CommandContext ctx;
  ctx.known_origins = {"b..main", "b..dev", "t..v1.0.0"};
  ctx.known_builds = {"orderSvc"};
  odmd::model::ParsedMessage parsed = odmd::model::ParseCommitMessage(text, ctx);
  for (const auto& c : parsed.commands) {
    if (c.verb == odmd::model::CommandVerb::kCreate && !odmd::model::RevRef::Parse(c.origin).ok()) {
      std::abort();
    }
  }
  for (const auto& r : parsed.rejections) {
    if (r.reason.empty()) std::abort();
  }
  return 0;
}

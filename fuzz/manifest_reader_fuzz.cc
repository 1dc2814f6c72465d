// Fuzzes ReadManifest: any bytes must yield an Org or violations, never a crash; an accepted
// manifest must round-trip; and the fast path (simdjson) must give exactly the exact reader's
// answer, so a difference between the two readers is a crash here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "odmd/model/manifest.h"

namespace {

using odmd::model::ManifestReadOptions;

std::vector<std::string> Texts(const std::vector<odmd::model::Violation>& violations) {
  std::vector<std::string> out;
  for (const auto& v : violations) out.push_back(v.ToString());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<odmd::model::Violation> violations, exact_violations;
  odmd::Result<odmd::model::Org> org = odmd::model::ReadManifest(text, &violations);
  odmd::Result<odmd::model::Org> exact = odmd::model::ReadManifest(
      text, &exact_violations, {.reader = ManifestReadOptions::Reader::kExact});
  if (org.ok() != exact.ok() || Texts(violations) != Texts(exact_violations)) std::abort();
  if (org.ok() && !(*org == *exact)) std::abort();
  if (org.ok()) {
    std::string once = odmd::model::WriteManifest(*org);
    odmd::Result<odmd::model::Org> again = odmd::model::ReadManifest(once, nullptr);
    if (!again.ok() || odmd::model::WriteManifest(*again) != once) std::abort();
  } else if (violations.empty()) {
    std::abort();  // a rejection must say why
  }
  return 0;
}

// Fuzzes ReadManifest: any bytes must yield an Org or violations, never a crash, and an
// accepted manifest must round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "odmd/model/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<odmd::model::Violation> violations;
  odmd::Result<odmd::model::Org> org = odmd::model::ReadManifest(text, &violations);
  if (org.ok()) {
    std::string once = odmd::model::WriteManifest(*org);
    odmd::Result<odmd::model::Org> again = odmd::model::ReadManifest(once, nullptr);
    if (!again.ok() || odmd::model::WriteManifest(*again) != once) std::abort();
  } else if (violations.empty()) {
    std::abort();  // a rejection must say why
  }
  return 0;
}

// Fuzzes ReadManifest: any bytes must yield an Org or violations, never a crash; an accepted
// manifest must round-trip; and the canonical path (canonical text read without a JSON parse)
// and the fast path (simdjson) must give exactly the exact reader's answer, so a difference
// between the readers is a crash here. The canonical seed (corpus/manifest_reader/
// canonical.json) starts the fuzzer on text the canonical path reads.
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
    // The canonical text is the canonical path's: the same Org as the exact reader's.
    odmd::Result<odmd::model::Org> exact_again =
        odmd::model::ReadManifest(once, nullptr, {.reader = ManifestReadOptions::Reader::kExact});
    if (!exact_again.ok() || !(*again == *exact_again)) std::abort();
  } else if (violations.empty()) {
    std::abort();  // a rejection must say why
  }
  return 0;
}

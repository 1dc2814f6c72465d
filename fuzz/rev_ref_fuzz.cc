// Fuzzes RevRef::Parse and the git-name mapping: never crash; parsed refs print back to the
// same text; a mapped branch name is always a legal branch value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "odmd/model/naming.h"
#include "odmd/model/rev_ref.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  odmd::Result<odmd::model::RevRef> rev = odmd::model::RevRef::Parse(text);
  if (rev.ok() && rev->str() != text) std::abort();
  odmd::Result<std::string> value = odmd::model::BranchToRevValue(text);
  if (value.ok() && odmd::model::CheckRevValue(odmd::model::RevType::kBranch, *value)) {
    std::abort();
  }
  (void)odmd::model::GitRefToRev(text);
  return 0;
}

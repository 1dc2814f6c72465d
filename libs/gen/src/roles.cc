#include "odmd/gen/roles.h"

namespace odmd::gen {

Result<std::vector<GeneratedFile>> GenerateRoles(const model::Org& org) {
  (void)org;
  return std::vector<GeneratedFile>{};
}

}  // namespace odmd::gen

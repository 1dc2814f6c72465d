#pragma once

// Printing EnverNames, shared by `show` and `clone-preview`.

#include <nlohmann/json.hpp>

#include "command.h"
#include "odmd/model/naming.h"

namespace odmd::cli {

void PrintEnverNames(Io& io, const model::EnverNames& n);
nlohmann::json EnverNamesJson(const model::EnverNames& n);

}  // namespace odmd::cli

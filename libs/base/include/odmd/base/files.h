#pragma once

// Files written whole.

#include <filesystem>
#include <string_view>

#include "odmd/base/status.h"

namespace odmd {

// Writes `content` to `path` through a temporary beside it (`path` + `temporary_suffix`)
// renamed into place, so a reader (or a process started after a crash) never finds half a
// file: it finds the old file, the new one, or at most the temporary. The file gets `mode`
// (less the umask) whatever a temporary left by a crash had. Creates the parent
// directories. On failure the temporary is removed and `path` is unchanged.
// kUnavailable naming the path when a directory cannot be created or the file written.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           std::string_view temporary_suffix = ".odmd-tmp", int mode = 0666);

}  // namespace odmd

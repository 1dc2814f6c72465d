#include "odmd/base/files.h"

#include <fstream>
#include <string>
#include <system_error>

#include "odmd/base/strings.h"

namespace odmd {

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           std::string_view temporary_suffix) {
  std::error_code ec;
  // A bare file name has no directory to create (create_directories("") fails).
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return UnavailableError("cannot create directory " + Quote(path.parent_path().string()) + ": " +
                            ec.message());
  }
  std::filesystem::path tmp = path;
  tmp += std::string(temporary_suffix);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return UnavailableError("cannot write " + Quote(tmp.string()));
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return UnavailableError("cannot write " + Quote(path.string()) + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace odmd

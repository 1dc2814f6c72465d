#include "odmd/base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "odmd/base/strings.h"

namespace odmd {

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           std::string_view temporary_suffix, int mode) {
  std::error_code ec;
  // A bare file name has no directory to create (create_directories("") fails).
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return UnavailableError("cannot create directory " + Quote(path.parent_path().string()) + ": " +
                            ec.message());
  }
  std::filesystem::path tmp = path;
  tmp += std::string(temporary_suffix);
  // Created afresh, so that it has `mode` (O_CREAT keeps an existing file's).
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return UnavailableError("cannot write " + Quote(tmp.string()) + ": " + std::strerror(errno));
  }
  int err = 0;  // the first failure's errno
  for (size_t done = 0; err == 0 && done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) err = n < 0 ? errno : EIO;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    std::filesystem::remove(tmp, ec);
    return UnavailableError("cannot write " + Quote(tmp.string()) + ": " + std::strerror(err));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return UnavailableError("cannot write " + Quote(path.string()) + ": " + ec.message());
  }
  return OkStatus();
}

}  // namespace odmd

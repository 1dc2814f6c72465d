#include "git_plumbing.h"

#include <charconv>
#include <filesystem>
#include <string>

#include "odmd/base/strings.h"

namespace odmd::reconcile {
namespace {

bool BadRefChar(unsigned char c) {
  if (c < 0x20 || c == 0x7f) return true;
  switch (c) {
    case ' ':
    case '~':
    case '^':
    case ':':
    case '?':
    case '*':
    case '[':
    case '\\':
      return true;
    default:
      return false;
  }
}

bool ValidComponent(std::string_view c) {
  if (c.empty() || c.front() == '.') return false;
  if (c.size() >= 5 && c.substr(c.size() - 5) == ".lock") return false;
  return true;
}

Status Malformed(std::string_view what) {
  return InternalError("git cat-file answered in an unexpected shape: " + std::string(what));
}

}  // namespace

bool IsValidRefName(std::string_view ref) {
  if (ref.empty() || ref == "@" || ref.back() == '.') return false;
  for (size_t i = 0; i < ref.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(ref[i]);
    if (BadRefChar(c)) return false;
    if (c == '.' && i > 0 && ref[i - 1] == '.') return false;
    if (c == '{' && i > 0 && ref[i - 1] == '@') return false;
  }
  size_t start = 0;
  while (true) {
    const size_t slash = ref.find('/', start);
    const std::string_view component =
        ref.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!ValidComponent(component)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

Result<std::vector<CatFileObject>> ParseCatFile(std::string_view out,
                                                const std::vector<bool>& with_content) {
  std::vector<CatFileObject> objects;
  size_t pos = 0;
  for (const bool content : with_content) {
    const size_t eol = out.find('\n', pos);
    if (eol == std::string_view::npos) return Malformed("fewer answers than commands");
    const std::string_view line = out.substr(pos, eol - pos);
    pos = eol + 1;
    CatFileObject object;
    if (line.ends_with(" missing") || line.ends_with(" ambiguous")) {
      object.missing = true;
      objects.push_back(std::move(object));
      continue;
    }
    // "<oid> <type> <size>"
    const size_t first = line.find(' ');
    const size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    size_t size = 0;
    if (second == std::string_view::npos ||
        std::from_chars(line.data() + second + 1, line.data() + line.size(), size).ec !=
            std::errc()) {
      return Malformed("line \"" + std::string(line) + "\"");
    }
    object.type = std::string(line.substr(first + 1, second - first - 1));
    if (content) {
      if (out.size() - pos < size + 1 || out[pos + size] != '\n') {
        return Malformed("the content of " + std::string(line) + " is cut short");
      }
      object.content = std::string(out.substr(pos, size));
      pos += size + 1;
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

Result<std::string> GitDirOf(std::string_view repo) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path path(repo);
  if (repo.empty() || !fs::is_directory(path, ec)) {
    return NotFoundError("git repository " + Quote(repo) + " not found");
  }
  for (const fs::path& candidate : {path, path / ".git"}) {
    if (fs::is_regular_file(candidate / "HEAD", ec) &&
        fs::is_directory(candidate / "objects", ec) && fs::is_directory(candidate / "refs", ec)) {
      return candidate.string();
    }
  }
  return NotFoundError(Quote(repo) + " is not a git repository");
}

Status CheckTreePath(std::string_view repo, std::string_view path) {
  bool bad = path.empty() || path.front() == '/' || path.back() == '/';
  size_t pos = 0;
  while (!bad && pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(pos, end - pos);
    bad = part.empty() || part == "." || part == ".." || part == ".git";
    pos = end + 1;
  }
  if (bad || path.find('\0') != std::string_view::npos ||
      path.find('\n') != std::string_view::npos) {
    return InvalidArgumentError("invalid file path " + Quote(path) + " for git repository " +
                                Quote(repo));
  }
  return OkStatus();
}

}  // namespace odmd::reconcile

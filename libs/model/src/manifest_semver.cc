// Semantic Versioning 2.0.0 (semver.org), the grammar of a manifest's "version".

#include "odmd/model/manifest.h"

namespace odmd::model {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsIdentifierChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// "0" or a digit string without a leading zero.
bool IsNumericIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return s.size() == 1 || s[0] != '0';
}

// Dot-separated non-empty identifiers of [0-9A-Za-z-]; with `strict_numbers` an all-digit
// identifier may not have a leading zero (pre-release yes, build metadata no).
bool IsIdentifierList(std::string_view s, bool strict_numbers) {
  while (true) {
    size_t dot = s.find('.');
    std::string_view id = s.substr(0, dot);
    if (id.empty()) return false;
    bool all_digits = true;
    for (char c : id) {
      if (!IsIdentifierChar(c)) return false;
      all_digits = all_digits && IsDigit(c);
    }
    if (strict_numbers && all_digits && !IsNumericIdentifier(id)) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

}  // namespace

bool IsSemVer(std::string_view version) {
  size_t plus = version.find('+');
  if (plus != std::string_view::npos) {
    if (!IsIdentifierList(version.substr(plus + 1), /*strict_numbers=*/false)) return false;
    version = version.substr(0, plus);
  }
  size_t dash = version.find('-');
  if (dash != std::string_view::npos) {
    if (!IsIdentifierList(version.substr(dash + 1), /*strict_numbers=*/true)) return false;
    version = version.substr(0, dash);
  }
  for (int part = 0; part < 3; ++part) {
    size_t dot = version.find('.');
    if ((part < 2) == (dot == std::string_view::npos)) return false;  // exactly two dots
    if (!IsNumericIdentifier(version.substr(0, dot))) return false;
    version = dot == std::string_view::npos ? std::string_view() : version.substr(dot + 1);
  }
  return true;
}

}  // namespace odmd::model

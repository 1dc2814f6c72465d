// Names in the per-org package: the npm package name and the identifiers builds are
// exported under.

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>

#include "odmd/gen/package.h"

namespace odmd::gen {
namespace {

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

// JavaScript reserved words (and strict-mode and TypeScript-declaration ones), plus the
// package's own exports: none may be an exported build's name.
constexpr std::string_view kReserved[] = {
    "arguments",  "await",    "break",   "builds",     "case",      "catch",  "class",    "const",
    "continue",   "debugger", "declare", "default",    "delete",    "do",     "else",     "enum",
    "eval",       "export",   "extends", "false",      "finally",   "for",    "function", "if",
    "implements", "import",   "in",      "instanceof", "interface", "let",    "new",      "null",
    "org",        "package",  "private", "protected",  "public",    "return", "static",   "super",
    "switch",     "this",     "throw",   "true",       "try",       "type",   "typeof",   "var",
    "void",       "while",    "with",    "yield",      "__proto__"};

bool IsReserved(std::string_view word) {
  return std::find(std::begin(kReserved), std::end(kReserved), word) != std::end(kReserved);
}

}  // namespace

std::string DefaultPackageName(const model::Org& org) {
  std::string name;
  for (char c : org.name + "-contracts") {
    auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '.' ||
              lower == '_' || lower == '-';
    name += ok ? lower : '-';
  }
  while (!name.empty() && (name.front() == '.' || name.front() == '_')) name.erase(0, 1);
  return name;
}

std::string PackageIdentifier(std::string_view build_id) {
  std::string out;
  bool upper_next = false;
  for (char c : build_id) {
    if (!IsIdentifierChar(c)) {
      upper_next = !out.empty();
      continue;
    }
    out += upper_next ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper_next = false;
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front())) != 0) out = "_" + out;
  if (IsReserved(out)) out += '_';
  return out;
}

}  // namespace odmd::gen

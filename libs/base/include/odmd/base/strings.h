#pragma once

// Small string utilities with no odmd-specific knowledge.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace odmd {

// Joins `parts` with `sep` between them.
std::string StrJoin(std::span<const std::string> parts, std::string_view sep);

// Splits at every `sep`; "a,,b" gives {"a", "", "b"}; "" gives {""}.
std::vector<std::string_view> StrSplit(std::string_view s, char sep);

// Removes leading and trailing ASCII whitespace.
std::string_view StripAsciiWhitespace(std::string_view s);

std::string AsciiToLower(std::string_view s);

// [A-Za-z0-9], whatever the locale.
constexpr bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Levenshtein distance (insert, delete, substitute each cost 1).
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` by EditDistance, if that distance is at most
// `max_distance` and not zero; ties go to the earliest candidate.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates,
                                        int max_distance = 2);

// Quotes `s` for messages: "abc" with '"' and '\\' escaped and control bytes as \xNN.
std::string Quote(std::string_view s);

// `token` as one reference token of a JSON Pointer (RFC 6901): '~' -> "~0", '/' -> "~1".
std::string JsonPointerEscape(std::string_view token);

}  // namespace odmd

#pragma once

#include <string>

namespace odmd::testing {

// Absolute path of `relative` inside the source tree (ODMD_TESTDATA is set by CTest to the
// source root), e.g. SourcePath("examples/sandbox/manifest.golden.json").
std::string SourcePath(const std::string& relative);

// Reads a whole file; fails the current test (and returns "") if it cannot.
std::string ReadFileOrFail(const std::string& path);

// True when ODMD_UPDATE_GOLDEN=1: golden-file tests then rewrite their expected files.
bool UpdateGoldenRequested();

// Compares `actual` with the golden file at source-relative `relative`, or rewrites it
// when UpdateGoldenRequested().
void ExpectMatchesGolden(const std::string& actual, const std::string& relative);

}  // namespace odmd::testing

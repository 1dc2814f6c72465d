#pragma once

// The manifest: the canonical JSON a contracts library synthesises and the platform reads.
// Format: docs/manifest.md; schema: docs/manifest.schema.json.
//
// Writing is deterministic: the same contracts give byte-identical output (canonical
// order, fixed key order, two-space indent, trailing newline). The manifest carries the
// contracts' semantic version and a content digest over everything else.
//
// Reading validates fully and reports every problem as a Violation whose path is a JSON
// Pointer into the document:
//   M1  syntax error (the message gives line and column), or a key repeated in one object
//       (the violation's path is the repeated key's JSON Pointer)
//   M2  unknown field
//   M3  wrong type, missing required field, or unknown enum value (kind, reaction, rev)
//   M4  version is not semantic versioning (MAJOR.MINOR.PATCH[-pre][+build])
//   M5  digest present but does not match the content
//   M6  unsupported "schema" value
//   R1-R14  contract rules (validate.h), reported after the document is well-formed

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/model/org.h"
#include "odmd/model/violation.h"

namespace odmd::model {

// The value of the manifest's "schema" field.
inline constexpr std::string_view kManifestSchema = "odmd.manifest/v1";

// Canonical manifest text of `org` (canonicalized first; see Canonicalize).
std::string WriteManifest(const Org& org);

// "sha256:<hex>" over the canonical manifest of `org` without its digest field.
std::string ManifestDigest(const Org& org);

// How many canonical manifest texts this process has written (WriteManifest, ManifestDigest
// and reading a manifest with a digest each write one): for tests and benches that check a
// command writes it at most once.
std::uint64_t CanonicalTextsWritten();

// True for MAJOR.MINOR.PATCH with optional -prerelease and +build parts (semver.org 2.0).
bool IsSemVer(std::string_view version);

struct ManifestReadOptions {
  // Run rules R1-R14 after the document is well-formed. When false only M1-M6 are checked.
  bool validate_rules = true;
  // When not null and the read succeeds (rules aside): set to the content's digest, as
  // ManifestDigest gives it. The canonical text is written at most once per read: the
  // digest field, when there is one, is checked against that same text.
  std::string* digest = nullptr;
  // kAuto: the canonical path reads a manifest that is exactly the canonical text of its Org
  // (as WriteManifest writes it) without parsing it as JSON, and hashes the text itself for
  // the digest; a fast path (simdjson, no document tree) reads any other manifest that has no
  // problem of form; the exact reader, which reports every problem with its JSON Pointer,
  // reads the rest. All three give the same answer. A large text is read on two threads.
  // kExact: the exact reader only, for tests and fuzzers that compare them.
  enum class Reader { kAuto, kExact } reader = Reader::kAuto;
  // When not null: set to whether the canonical or the fast path read the document.
  bool* read_fast = nullptr;
  // Which reader read the document.
  enum class Path { kCanonical, kFast, kExact };
  // When not null: set to the reader that read the document.
  Path* path = nullptr;
  // True when at least kManifestReadPadding readable bytes follow the text (a caller that
  // reads a file can allocate them): the fast path then parses the text where it is rather
  // than in a padded copy.
  bool padded = false;
  // The canonical path reads a text of at least this many bytes on two threads (the second,
  // a spare thread kept for the process, reads the last 44% of the builds, then hashes the
  // text while the first runs the rules). Below it a second thread saves little on a quiet
  // machine (100 builds, 1.7 MB: 1.8 vs 2.5 ms), costs time on a busy one (3.1-4.3 vs
  // 2.8-3.1 ms) and 4 MiB of peak memory (its allocator arena).
  std::size_t two_threads_from = 4 << 20;
};

// The padding ManifestReadOptions::padded promises (simdjson's SIMDJSON_PADDING).
inline constexpr std::size_t kManifestReadPadding = 64;

// Parses and validates `text`. On success returns the Org in document order (violations
// untouched). Otherwise returns kInvalidArgument summarising the problems and, when
// `violations` is not null, appends every problem to it.
Result<Org> ReadManifest(std::string_view text, std::vector<Violation>* violations,
                         const ManifestReadOptions& options = {});

}  // namespace odmd::model

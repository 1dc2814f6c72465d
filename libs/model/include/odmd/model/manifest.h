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

// True for MAJOR.MINOR.PATCH with optional -prerelease and +build parts (semver.org 2.0).
bool IsSemVer(std::string_view version);

struct ManifestReadOptions {
  // Run rules R1-R14 after the document is well-formed. When false only M1-M6 are checked.
  bool validate_rules = true;
};

// Parses and validates `text`. On success returns the Org in document order (violations
// untouched). Otherwise returns kInvalidArgument summarising the problems and, when
// `violations` is not null, appends every problem to it.
Result<Org> ReadManifest(std::string_view text, std::vector<Violation>* violations,
                         const ManifestReadOptions& options = {});

}  // namespace odmd::model

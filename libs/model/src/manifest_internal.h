#pragma once

// Private to the manifest files: the pieces reading and writing share.

#include <string>
#include <string_view>

#include "odmd/model/org.h"

namespace odmd::model::internal {

// The manifest text of an already canonicalized org without its "digest" field: what the
// digest is computed over.
std::string CanonicalTextWithoutDigest(const Org& canonical);

// DigestOf(CanonicalTextWithoutDigest(canonical)), without holding the text whole.
std::string CanonicalDigest(const Org& canonical);

// "sha256:<hex>" of `text_without_digest`.
std::string DigestOf(std::string_view text_without_digest);

}  // namespace odmd::model::internal

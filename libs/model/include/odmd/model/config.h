#pragma once

// Per-enver configuration (docs/manifest.md, "config"): a build and an enver may carry a
// JSON object of their own settings (domains, CIDRs, a cluster name). The model keeps it as
// canonical JSON text, nlohmann's compact dump() of the object (keys sorted, no spaces), so
// that equal settings compare and serialise identically and the manifest digest covers
// them; "" means none (an empty object is the same as none). Rule R14 checks its shape
// (CheckConfigShape); the build's script sees EffectiveConfig() as ODMD_config.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/model/org.h"

namespace odmd::model {

// The serialized (canonical) config of one build or enver is at most this many bytes.
inline constexpr std::size_t kMaxConfigBytes = 16 * 1024;
// Levels of nesting, the config object itself being level 1: {"a": {"b": [1]}} has 3.
inline constexpr int kMaxConfigDepth = 8;
// Every object key, at any level, is 1 to this many characters of [A-Za-z0-9_.-].
inline constexpr std::size_t kMaxConfigKeyLength = 64;

// One problem of a config: `pointer` is the JSON Pointer of the offending node relative to
// the config ("" for the config itself, "/domains/0" inside it).
struct ConfigProblem {
  std::string pointer;
  std::string value;    // the offending key, or ""
  std::string message;  // lowercase, no full stop
};

// Every problem of `text` (a config as the model holds it): not JSON, not an object, a key
// outside the alphabet, nesting deeper than kMaxConfigDepth, more than kMaxConfigBytes once
// serialized. "" has none. At most 20 problems are listed, the last saying how many more.
std::vector<ConfigProblem> CheckConfigShape(std::string_view text);

// The canonical form of config text: compact, keys sorted, "" for an empty object; `text`
// unchanged when it is not JSON (the shape rule reports it).
std::string CanonicalConfig(std::string_view text);

// What the build's script sees as ODMD_config: the build's config with the enver's
// top-level keys laid over it (an enver key replaces the build's value for that key whole,
// objects are not merged deeper), as compact JSON; "{}" when neither has one. Parts that
// are not a JSON object are left out.
std::string EffectiveConfig(const Build& build, const Enver& enver);

}  // namespace odmd::model

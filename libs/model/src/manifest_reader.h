#pragma once

// Private to manifest reading: walks a parsed manifest document into an Org, reporting
// every unknown field (M2), wrong type, missing required field or unknown enum value (M3),
// bad version (M4), unsupported schema (M6) and unparseable rev (R2) with its JSON Pointer.
// It keeps walking after a problem so that all of them are reported at once.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "odmd/model/org.h"
#include "odmd/model/violation.h"

namespace odmd::model::internal {

// What the fast path read: the Org in document order and the "digest" field, if any.
struct FastManifest {
  Org org;
  std::optional<std::string> digest;
};

// The fast path (manifest_fast_read.cc): the Org of a manifest that has no problem of form
// (M1-M6, R2's rev, R14's config), without a document tree; nullopt at the first doubt,
// when the exact ManifestReader must read the text. When it returns an Org, it is the one
// ManifestReader builds.
// `padded`: ManifestReadOptions::padded.
std::optional<FastManifest> ReadManifestFast(std::string_view text, bool padded);

// One per document; not thread-safe.
class ManifestReader {
 public:
  using Json = nlohmann::json;

  explicit ManifestReader(std::vector<Violation>* out) : out_(out) {}

  // The org in document order; complete only when complete() is true.
  Org Read(const Json& root);

  // True when nothing the Org is built from was missing, mistyped or unparseable, i.e. the
  // Org holds exactly what the document declares (unknown fields aside).
  bool complete() const { return complete_; }
  // The document's "digest" field, if present and a string.
  const std::optional<std::string>& digest() const { return digest_; }

 private:
  using Fields = std::span<const std::string_view>;

  // Appends "/<token>" to the current path for its lifetime. The path is one buffer, so
  // walking a million consumers does not build a million path strings.
  class Scope {
   public:
    Scope(ManifestReader* r, std::string_view key);
    Scope(ManifestReader* r, size_t index);
    ~Scope() { r_->path_.resize(size_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ManifestReader* r_;
    size_t size_;
  };

  // Reports at the current path, or at its child `key` when not empty.
  void Add(std::string_view rule, std::string_view key, std::string value, std::string message);
  // `build "x"`, `enver "x/b..main"` or `enver "x/b..main": consumer "c"` for what is being
  // read; built only when a violation needs it.
  std::string Subject() const;
  // M3 unless `j` (at the current path) is an object (then false); M2 for each key not in
  // `fields`.
  bool ExpectObject(const Json& j, Fields fields);
  // The member `key` of object `obj`, or nullptr; a missing required member is M3.
  const Json* Member(const Json& obj, std::string_view key, bool required);
  // Each sets `*value` from member `key` when it is present and well-typed.
  void ReadString(const Json& obj, std::string_view key, bool required, std::string* value);
  void ReadString(const Json& obj, std::string_view key, bool required, SharedText* value);
  // An optional member: absent leaves `*value` nullopt.
  void ReadOptionalString(const Json& obj, std::string_view key, std::optional<std::string>* value);
  void ReadBool(const Json& obj, std::string_view key, bool* value);
  void ReadInteger(const Json& obj, std::string_view key, std::int64_t min, std::int64_t max,
                   std::int64_t* value);
  // The member `key` if it is an array (M3 if not); nullptr when absent or mistyped.
  const Json* ReadArray(const Json& obj, std::string_view key, bool required);
  void WrongType(const Json& j, std::string_view key, std::string_view expected);

  void ReadHeader(const Json& root, Org* org);
  Account ReadAccount(const Json& j);
  Build ReadBuild(const Json& j);
  void ReadKind(const Json& j, Build* build);
  void ReadRepo(const Json& j, Repo* repo);
  Enver ReadEnver(const Json& j, BuildKind kind);
  void ReadRev(const Json& j, Enver* enver);
  void ReadEnverFlags(const Json& j, Enver* enver);
  void ReadStacks(const Json& j, Enver* enver);
  // The member "config" of a build or enver: an object, kept as canonical text.
  void ReadConfig(const Json& j, std::string* config);
  Product ReadProduct(const Json& j);
  Consumer ReadConsumer(const Json& j);

  std::vector<Violation>* out_;
  bool complete_ = true;
  std::optional<std::string> digest_;
  std::string path_;  // JSON Pointer of the node being read
  // What is being read, for Subject(): set while inside a build, enver, consumer.
  std::optional<std::string> build_id_, rev_, consumer_;
};

}  // namespace odmd::model::internal

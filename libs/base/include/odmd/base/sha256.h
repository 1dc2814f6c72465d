#pragma once

#include <string>
#include <string_view>

namespace odmd {

// Lowercase hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// SHA-256 of data given in pieces, for text too large to hold whole (a manifest's canonical
// text is hashed as it is written). Not copyable; one digest per object.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // Lowercase hex of everything given to Update; the object is spent afterwards.
  std::string HexDigest();

 private:
  struct State;
  State* state_;
};

}  // namespace odmd

#pragma once

// JsonKeyTracker: where a streaming (SAX) JSON parse is, as a JSON Pointer (RFC 6901), and
// whether an object repeats a key. JSON parsers keep the last of two equal keys, so
// {"a": 1, "a": 2} would be read as {"a": 2} with no word; every reader of outside input
// (manifests, API bodies, webhook payloads) refuses such a document instead. The tracker
// knows no parser: the caller forwards the parser's events in document order.
//
//   JsonKeyTracker t;
//   t.Value(); t.StartObject();          // {
//   t.Key("a"); t.Value();               //   "a": 1,
//   if (!t.Key("a")) t.duplicate();      //   "a"   -> "/a"
//
// Not thread-safe; one per document.

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace odmd {

class JsonKeyTracker {
 public:
  // Before every value, a container's start included.
  void Value();
  // After Value(), for '{' and '['.
  void StartObject();
  void StartArray();
  // For '}' and ']'.
  void EndContainer();
  // An object's key; false when the innermost object already has it (then duplicate() is
  // its pointer).
  bool Key(std::string_view key);

  // The JSON Pointer of the value being read ("" for the root).
  std::string Pointer() const;
  // The pointer of the first repeated key, e.g. "/builds/0/id"; empty when none.
  const std::string& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool object = false;
    std::set<std::string, std::less<>> keys;  // objects: the keys so far
    std::string key;                          // objects: the current key
    long long index = -1;                     // arrays: the current element
  };
  std::vector<Frame> frames_;
  std::string duplicate_;
};

}  // namespace odmd

#include "odmd/model/strict_json.h"

#include <utility>

#include "odmd/base/json_keys.h"

namespace odmd::model {
namespace {

using Json = nlohmann::json;

// nlohmann's own DOM builder behind a JsonKeyTracker that stops the parse at a repeated key;
// the first parse error is kept instead of thrown.
class StrictSax {
 public:
  explicit StrictSax(Json& root) : dom_(root, /*allow_exceptions=*/false) {}

  bool null() { return Value() && dom_.null(); }
  bool boolean(bool v) { return Value() && dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return Value() && dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return Value() && dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& s) {
    return Value() && dom_.number_float(v, s);
  }
  bool string(Json::string_t& v) { return Value() && dom_.string(v); }
  bool binary(Json::binary_t& v) { return Value() && dom_.binary(v); }
  bool start_object(std::size_t n) {
    keys_.Value();
    keys_.StartObject();
    return dom_.start_object(n);
  }
  bool key(Json::string_t& v) { return keys_.Key(v) && dom_.key(v); }
  bool end_object() {
    keys_.EndContainer();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    keys_.Value();
    keys_.StartArray();
    return dom_.start_array(n);
  }
  bool end_array() {
    keys_.EndContainer();
    return dom_.end_array();
  }
  bool parse_error(std::size_t byte, const std::string& /*last_token*/, const Json::exception& e) {
    error_byte_ = byte;
    error_ = e.what();
    return false;
  }

  size_t error_byte() const { return error_byte_; }
  const std::string& error() const { return error_; }
  // The JSON Pointer of the first repeated key; empty when none.
  const std::string& duplicate() const { return keys_.duplicate(); }

 private:
  bool Value() {
    keys_.Value();
    return true;
  }

  // nlohmann's DOM builder lives in its detail namespace but is what Json::parse uses.
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  JsonKeyTracker keys_;
  size_t error_byte_ = 0;
  std::string error_;
};

}  // namespace

StrictJson ParseStrictJson(std::string_view text) {
  StrictJson out;
  Json root;
  StrictSax sax(root);
  if (Json::sax_parse(text, &sax, Json::input_format_t::json, /*strict=*/true,
                      /*ignore_comments=*/false)) {
    // Moved, never copied: copying a JSON value recurses once per nesting level.
    out.value.emplace(std::move(root));
    return out;
  }
  out.duplicate = sax.duplicate();
  if (out.duplicate.empty()) {
    out.error_byte = sax.error_byte();
    out.error = sax.error();
  }
  return out;
}

}  // namespace odmd::model

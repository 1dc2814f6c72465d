#include "odmd/reconcile/json_input.h"

#include <string>

#include "odmd/base/json_keys.h"

namespace odmd::reconcile {
namespace {

using Json = nlohmann::json;

// nlohmann's DOM builder (what Json::parse uses) behind a JsonKeyTracker that stops the
// parse at a repeated key; parse errors are kept instead of thrown.
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

  std::size_t error_byte() const { return error_byte_; }
  const std::string& error() const { return error_; }
  const std::string& duplicate() const { return keys_.duplicate(); }

 private:
  bool Value() {
    keys_.Value();
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  JsonKeyTracker keys_;
  std::size_t error_byte_ = 0;
  std::string error_;
};

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." ->
// "syntax error ...", printable ASCII only (the input may not be UTF-8).
std::string Reason(std::string_view what) {
  const std::size_t colon = what.find(": ");
  if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  std::string out;
  for (char c : what.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    out += u >= 0x20 && u < 0x7f ? c : '?';
  }
  return out;
}

}  // namespace

Result<nlohmann::json> ParseJsonInput(std::string_view text, std::string_view what) {
  Json root;
  StrictSax sax(root);
  if (Json::sax_parse(text, &sax, nlohmann::json::input_format_t::json, /*strict=*/true,
                      /*ignore_comments=*/false)) {
    return root;
  }
  if (!sax.duplicate().empty()) {
    return InvalidArgumentError(std::string(what) + " repeats the key at " + sax.duplicate() +
                                " (JSON keys must be unique in an object)");
  }
  return InvalidArgumentError(std::string(what) + " is not valid JSON at byte " +
                              std::to_string(sax.error_byte()) + ": " + Reason(sax.error()));
}

}  // namespace odmd::reconcile

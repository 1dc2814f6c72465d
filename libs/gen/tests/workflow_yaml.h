#pragma once

// Test helper: parses YAML with libyaml into nlohmann::json (mappings -> objects, sequences
// -> arrays, every scalar -> string) so workflow tests assert on structure, not on text.
// Anchors, aliases and tags are not supported (generated workflows use none).

#include <yaml.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace odmd::gen::testing {

class YamlToJson {
 public:
  // The first document of `text`, or nullopt with `error()` set.
  std::optional<nlohmann::json> Parse(std::string_view text) {
    yaml_parser_t parser;
    if (yaml_parser_initialize(&parser) == 0) {
      error_ = "cannot initialise libyaml";
      return std::nullopt;
    }
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    std::optional<nlohmann::json> root;
    for (bool done = false; !done;) {
      yaml_event_t event;
      if (yaml_parser_parse(&parser, &event) == 0) {
        error_ = std::string(parser.problem != nullptr ? parser.problem : "parse error") +
                 " at line " + std::to_string(parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        return std::nullopt;
      }
      done = event.type == YAML_STREAM_END_EVENT || event.type == YAML_DOCUMENT_END_EVENT;
      if (auto value = OnEvent(event)) root = std::move(*value);
      yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    if (!root && error_.empty()) error_ = "no document";
    if (!error_.empty()) return std::nullopt;
    return root;
  }

  const std::string& error() const { return error_; }

 private:
  struct Frame {
    nlohmann::json value;
    std::optional<std::string> key;  // a mapping's pending key
  };

  // Returns the root once its last event arrived.
  std::optional<nlohmann::json> OnEvent(const yaml_event_t& event) {
    switch (event.type) {
      case YAML_MAPPING_START_EVENT:
        stack_.push_back({nlohmann::json::object(), std::nullopt});
        return std::nullopt;
      case YAML_SEQUENCE_START_EVENT:
        stack_.push_back({nlohmann::json::array(), std::nullopt});
        return std::nullopt;
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT: {
        nlohmann::json done = std::move(stack_.back().value);
        stack_.pop_back();
        return Add(std::move(done));
      }
      case YAML_SCALAR_EVENT:
        return Add(std::string(reinterpret_cast<const char*>(event.data.scalar.value),
                               event.data.scalar.length));
      default:
        return std::nullopt;
    }
  }

  std::optional<nlohmann::json> Add(nlohmann::json value) {
    if (stack_.empty()) return value;
    Frame& top = stack_.back();
    if (top.value.is_array()) {
      top.value.push_back(std::move(value));
    } else if (!top.key) {
      top.key = value.is_string() ? value.get<std::string>() : value.dump();
    } else {
      if (top.value.contains(*top.key)) error_ = "duplicate key " + *top.key;
      top.value[*top.key] = std::move(value);
      top.key.reset();
    }
    return std::nullopt;
  }

  std::vector<Frame> stack_;
  std::string error_;
};

}  // namespace odmd::gen::testing

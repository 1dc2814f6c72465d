#pragma once

// The XML answers of the query-protocol services, read with libxml2 into a small tree.

#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"

namespace odmd::aws::internal {

struct XmlElement {
  std::string name;  // local name, no namespace
  std::string text;  // concatenated text children
  std::vector<XmlElement> children;

  // The first child named `name`, or nullptr.
  const XmlElement* Child(std::string_view name) const;
  // Its text, or "" when absent.
  std::string ChildText(std::string_view name) const;
  // The first element named `name` at any depth (this one included), or nullptr.
  const XmlElement* Find(std::string_view name) const;
};

// INVALID_ARGUMENT (naming `origin`) when `xml` is not well-formed.
Result<XmlElement> ParseXml(std::string_view xml, std::string_view origin);

}  // namespace odmd::aws::internal

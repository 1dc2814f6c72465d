#include "xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

namespace odmd::aws::internal {
namespace {

XmlElement Convert(const xmlNode* node) {
  XmlElement e;
  e.name = reinterpret_cast<const char*>(node->name);
  for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      e.children.push_back(Convert(c));
    } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
               c->content != nullptr) {
      e.text += reinterpret_cast<const char*>(c->content);
    }
  }
  return e;
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view n) const {
  for (const XmlElement& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

std::string XmlElement::ChildText(std::string_view n) const {
  const XmlElement* c = Child(n);
  return c == nullptr ? "" : c->text;
}

const XmlElement* XmlElement::Find(std::string_view n) const {
  if (name == n) return this;
  for (const XmlElement& c : children) {
    if (const XmlElement* f = c.Find(n)) return f;
  }
  return nullptr;
}

Result<XmlElement> ParseXml(std::string_view xml, std::string_view origin) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) {
    return InvalidArgumentError(std::string(origin) + ": answer is not well-formed XML");
  }
  const xmlNode* root = xmlDocGetRootElement(doc);
  Result<XmlElement> out =
      root == nullptr
          ? Result<XmlElement>(InvalidArgumentError(std::string(origin) + ": empty XML answer"))
          : Result<XmlElement>(Convert(root));
  xmlFreeDoc(doc);
  return out;
}

}  // namespace odmd::aws::internal

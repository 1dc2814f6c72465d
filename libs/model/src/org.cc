#include "odmd/model/org.h"

#include <algorithm>

#include "odmd/model/config.h"

namespace odmd::model {

const Account* Org::FindAccount(std::string_view account_name) const {
  for (const Account& a : accounts) {
    if (a.name == account_name) return &a;
  }
  return nullptr;
}

const Build* Org::FindBuild(std::string_view id) const {
  for (const Build& b : builds) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

Build* Org::FindBuild(std::string_view id) {
  return const_cast<Build*>(static_cast<const Org*>(this)->FindBuild(id));
}

void InheritCloneConsumers(Org& org) {
  for (Build& build : org.builds) {
    for (Enver& clone : build.envers) {
      if (!clone.inherits_consumers) continue;
      const RevRef origin = clone.rev.OriginRef();
      for (const Enver& e : build.envers) {
        if (e.rev == origin) {
          clone.consumers = e.consumers;
          break;
        }
      }
    }
  }
}

void Canonicalize(Org& org) {
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::stable_sort(org.accounts.begin(), org.accounts.end(), by_name);
  std::stable_sort(org.builds.begin(), org.builds.end(),
                   [](const Build& a, const Build& b) { return a.id < b.id; });
  for (Build& b : org.builds) {
    if (!b.config.empty()) b.config = CanonicalConfig(b.config);
    std::stable_sort(b.envers.begin(), b.envers.end(),
                     [](const Enver& x, const Enver& y) { return x.rev < y.rev; });
    for (Enver& e : b.envers) {
      if (e.stacks.size() == 1 && e.stacks.front() == b.id) e.stacks.clear();
      if (!e.config.empty()) e.config = CanonicalConfig(e.config);
      std::stable_sort(e.products.begin(), e.products.end(), by_name);
      std::stable_sort(e.consumers.begin(), e.consumers.end(), by_name);
    }
  }
}

std::optional<std::pair<std::string_view, std::string_view>> SplitEnverId(std::string_view id) {
  size_t slash = id.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return std::make_pair(id.substr(0, slash), id.substr(slash + 1));
}

}  // namespace odmd::model

// odmd validate <manifest>: reads and fully validates a manifest.
#include <memory>

#include "command.h"
#include "common.h"
#include "odmd/model/manifest.h"

namespace odmd::cli {

namespace {

struct Counts {
  size_t builds = 0, envers = 0, products = 0, consumers = 0;
};

Counts Count(const model::Org& org) {
  Counts c;
  c.builds = org.builds.size();
  for (const auto& b : org.builds) {
    c.envers += b.envers.size();
    for (const auto& e : b.envers) {
      c.products += e.products.size();
      c.consumers += e.consumers.size();
    }
  }
  return c;
}

}  // namespace

RunFn SetupValidate(CLI::App& sub, Io& io) {
  struct Opts {
    std::string manifest;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    // The digest comes from reading: the canonical text is written once per command.
    std::string digest;
    auto org = LoadManifestOrReport(io, o->json, o->manifest, &digest);
    if (!org) return kExitFailure;
    Counts c = Count(*org);
    if (o->json) {
      PrintJson(io, {{"ok", true},
                     {"org", org->name},
                     {"version", org->version},
                     {"digest", digest},
                     {"builds", c.builds},
                     {"envers", c.envers},
                     {"products", c.products},
                     {"consumers", c.consumers}});
    } else {
      io.out << "ok: " << org->name << " " << org->version << " (" << c.builds << " builds, "
             << c.envers << " envers, " << c.products << " products, " << c.consumers
             << " consumers)\ndigest: " << digest << "\n";
    }
    return kExitOk;
  };
}

}  // namespace odmd::cli

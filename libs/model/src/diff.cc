// DiffOrgs: objects are matched by id, so a rename shows as a removal plus an addition.
// Every object is indexed flat by its full id, so the envers, products and consumers of an
// added build are listed as added too.

#include "odmd/model/diff.h"

#include <algorithm>
#include <deque>
#include <map>

#include "odmd/base/strings.h"
#include "odmd/model/config.h"
#include "odmd/model/naming.h"

namespace odmd::model {
namespace {

// Collects `field "old" -> "new"` parts for the fields that differ.
class FieldChanges {
 public:
  void Text(std::string_view field, const std::string& a, const std::string& b) {
    if (a != b) Add(field, Quote(a), Quote(b));
  }
  void Flag(std::string_view field, bool a, bool b) {
    if (a != b) Add(field, a ? "true" : "false", b ? "true" : "false");
  }
  void Number(std::string_view field, std::int64_t a, std::int64_t b) {
    if (a != b) Add(field, std::to_string(a), std::to_string(b));
  }
  // Config texts are compact JSON of up to 16 KiB: each side is shown up to 60 bytes.
  void Config(std::string_view field, const std::string& a, const std::string& b) {
    if (a != b) Add(field, Abbreviated(a), Abbreviated(b));
  }
  void Optional(std::string_view field, const std::optional<std::string>& a,
                const std::optional<std::string>& b) {
    if (a != b) Add(field, a ? Quote(*a) : "none", b ? Quote(*b) : "none");
  }
  std::string str() const { return StrJoin(parts_, ", "); }

 private:
  static std::string Abbreviated(const std::string& config) {
    constexpr size_t kShown = 60;
    if (config.empty()) return "none";
    if (config.size() <= kShown) return config;
    size_t cut = kShown;  // not inside a UTF-8 sequence
    while (cut > 0 && (static_cast<unsigned char>(config[cut]) & 0xc0) == 0x80) --cut;
    return config.substr(0, cut) + "...";
  }
  void Add(std::string_view field, const std::string& a, const std::string& b) {
    parts_.push_back(std::string(field) + " " + a + " -> " + b);
  }
  std::vector<std::string> parts_;
};

std::string Describe(const Org& a, const Org& b) {
  FieldChanges f;
  f.Text("name", a.name, b.name);
  f.Text("version", a.version, b.version);
  f.Text("centralAccount", a.central_account, b.central_account);
  return f.str();
}

std::string Describe(const Account& a, const Account& b) {
  FieldChanges f;
  f.Text("id", a.id, b.id);
  return f.str();
}

std::string Describe(const Build& a, const Build& b) {
  FieldChanges f;
  f.Text("kind", std::string(BuildKindName(a.kind)), std::string(BuildKindName(b.kind)));
  f.Text("repo", a.repo.FullName(), b.repo.FullName());
  f.Number("installationId", a.repo.installation_id, b.repo.installation_id);
  f.Config("config", a.config, b.config);
  f.Optional("serviceOverviewMd", a.service_overview_md, b.service_overview_md);
  f.Optional("serviceContextMd", a.service_context_md, b.service_context_md);
  return f.str();
}

std::string Describe(const Enver& a, const Enver& b) {
  FieldChanges f;
  f.Text("account", a.account, b.account);
  f.Text("region", a.region, b.region);
  f.Text("buildScript", a.build_script, b.build_script);
  f.Text("workDir", a.work_dir, b.work_dir);
  f.Flag("ephemeral", a.ephemeral, b.ephemeral);
  f.Number("cloneLimit", a.clone_limit, b.clone_limit);
  f.Flag("overwriteWorkflow", a.overwrite_workflow, b.overwrite_workflow);
  f.Optional("enverContextMd", a.enver_context_md, b.enver_context_md);
  return f.str();
}

// An enver with the build it belongs to: a change of the build's config that changes what
// the enver's script sees (ODMD_config) is a change of the enver too.
struct EnverEntry {
  const Build* build;
  const Enver* enver;
};

std::string Describe(const EnverEntry& a, const EnverEntry& b) {
  FieldChanges f;
  f.Config("config", a.enver->config, b.enver->config);
  if (a.enver->config == b.enver->config && a.build->config != b.build->config) {
    f.Config("ODMD_config", EffectiveConfig(*a.build, *a.enver),
             EffectiveConfig(*b.build, *b.enver));
  }
  std::string fields = Describe(*a.enver, *b.enver);
  std::string config = f.str();
  if (fields.empty() || config.empty()) return fields + config;
  return fields + ", " + config;
}

std::string Describe(const Product&, const Product&) { return ""; }  // the name is the id

std::string Describe(const Consumer& a, const Consumer& b) {
  FieldChanges f;
  f.Text("producer", a.producer, b.producer);
  f.Text("product", a.product, b.product);
  f.Optional("placeholder", a.placeholder.ToOptional(), b.placeholder.ToOptional());
  f.Text("reaction", std::string(ReactionName(a.reaction)), std::string(ReactionName(b.reaction)));
  return f.str();
}

// Every object of one org by id; the first of duplicate ids wins (R1/R2/R4 report them).
struct OrgIndex {
  std::map<std::string, const Account*> accounts;
  std::map<std::string, const Build*> builds;
  std::map<std::string, const EnverEntry*> envers;
  std::map<std::string, const Product*> products;
  std::map<std::string, const Consumer*> consumers;

  explicit OrgIndex(const Org& org) {
    for (const Account& a : org.accounts) accounts.try_emplace(a.name, &a);
    for (const Build& b : org.builds) {
      builds.try_emplace(b.id, &b);
      for (const Enver& e : b.envers) AddEnver(b, e);
    }
  }

 private:
  void AddEnver(const Build& b, const Enver& e) {
    std::string id = EnverId(b.id, e.rev);
    if (envers.contains(id)) return;
    envers.emplace(id, &entries_.emplace_back(EnverEntry{&b, &e}));
    for (const Product& p : e.products) products.try_emplace(id + "/" + p.name, &p);
    for (const Consumer& c : e.consumers) consumers.try_emplace(id + "/" + c.name, &c);
  }

  std::deque<EnverEntry> entries_;  // what `envers` points to; a deque keeps them in place
};

// Walks two id-sorted maps together.
template <typename T>
void Merge(std::string_view object, const std::map<std::string, const T*>& before,
           const std::map<std::string, const T*>& after, std::vector<Change>* out) {
  auto a = before.begin();
  auto b = after.begin();
  while (a != before.end() || b != after.end()) {
    if (b == after.end() || (a != before.end() && a->first < b->first)) {
      out->push_back(Change{ChangeKind::kRemoved, std::string(object), a->first, ""});
      ++a;
    } else if (a == before.end() || b->first < a->first) {
      out->push_back(Change{ChangeKind::kAdded, std::string(object), b->first, ""});
      ++b;
    } else {
      std::string detail = Describe(*a->second, *b->second);
      if (!detail.empty()) {
        out->push_back(Change{ChangeKind::kChanged, std::string(object), a->first, detail});
      }
      ++a;
      ++b;
    }
  }
}

}  // namespace

std::string_view ChangeKindName(ChangeKind k) {
  switch (k) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kChanged:
      return "changed";
  }
  return "unknown";
}

ManifestDiff DiffOrgs(const Org& before, const Org& after) {
  ManifestDiff diff;
  std::string org_detail = Describe(before, after);
  if (!org_detail.empty()) {
    diff.changes.push_back(Change{ChangeKind::kChanged, "org", after.name, org_detail});
  }
  OrgIndex a(before), b(after);
  // Merged in the documented object order; each map is already sorted by id.
  Merge("account", a.accounts, b.accounts, &diff.changes);
  Merge("build", a.builds, b.builds, &diff.changes);
  Merge("enver", a.envers, b.envers, &diff.changes);
  Merge("product", a.products, b.products, &diff.changes);
  Merge("consumer", a.consumers, b.consumers, &diff.changes);
  return diff;
}

}  // namespace odmd::model

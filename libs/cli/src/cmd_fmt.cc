// odmd fmt <manifest>: rewrites a manifest in canonical form with its digest, so a
// hand-edited manifest needs no validation error to learn its digest (docs/cli.md).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "common.h"
#include "odmd/base/files.h"
#include "odmd/base/strings.h"
#include "odmd/model/manifest.h"

namespace odmd::cli {

namespace {

// The Org of a well-formed manifest (M1-M4, M6), whatever its digest says: a digest that
// does not match (M5) is what fmt is for. The rules are not checked here.
Result<model::Org> ReadForFormat(const std::string& text, std::vector<model::Violation>* out) {
  const model::ManifestReadOptions form_only{.validate_rules = false};
  std::vector<model::Violation> violations;
  Result<model::Org> org = model::ReadManifest(text, &violations, form_only);
  const bool only_digest =
      !violations.empty() && std::all_of(violations.begin(), violations.end(),
                                         [](const model::Violation& v) { return v.rule == "M5"; });
  if (org.ok() || !only_digest) {
    out->insert(out->end(), violations.begin(), violations.end());
    return org;
  }
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_object()) doc.erase("digest");
  return model::ReadManifest(doc.dump(), out, form_only);
}

}  // namespace

RunFn SetupFmt(CLI::App& sub, Io& io) {
  struct Opts {
    std::string manifest;
    bool check = false;
    bool to_stdout = false;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("manifest", o->manifest,
                 "Manifest file (- for stdin: the canonical text goes to stdout)")
      ->required();
  sub.add_flag("--check", o->check, "Change nothing; exit 1 when the manifest is not canonical");
  sub.add_flag("--stdout", o->to_stdout, "Print the canonical text instead of rewriting the file");
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    Result<std::string> text = ReadInput(o->manifest);
    if (!text.ok()) return ReportFailure(io, o->json, text.status());
    std::vector<model::Violation> violations;
    Result<model::Org> org = ReadForFormat(*text, &violations);
    if (!org.ok()) {
      return ReportFailure(io, o->json, org.status().WithContext("manifest " + Quote(o->manifest)),
                           violations);
    }
    const std::string canonical = model::WriteManifest(*org);
    const std::string digest = model::ManifestDigest(*org);
    const bool changed = canonical != *text;
    // Formatting never waits for the rules; saying that some are broken saves a surprise.
    std::vector<model::Violation> broken;
    if (!model::ReadManifest(canonical, &broken).ok() && !broken.empty()) {
      io.err << "odmd fmt: note: the manifest breaks " << broken.size()
             << " rule(s); odmd validate lists them\n";
    }
    if (o->to_stdout || o->manifest == "-") {
      io.out << canonical;
      return kExitOk;
    }
    bool written = false;
    if (changed && !o->check) {
      Status s = WriteFileAtomically(o->manifest, canonical);
      if (!s.ok()) return ReportFailure(io, o->json, s);
      written = true;
    }
    if (o->json) {
      PrintJson(io, {{"manifest", o->manifest},
                     {"canonical", !changed},
                     {"written", written},
                     {"digest", digest}});
    } else if (!changed) {
      io.out << o->manifest << ": canonical, digest " << digest << "\n";
    } else if (written) {
      io.out << o->manifest << ": rewritten in canonical form, digest " << digest << "\n";
    } else {
      io.out << o->manifest << ": not canonical (odmd fmt rewrites it with digest " << digest
             << ")\n";
    }
    return (o->check && changed) ? kExitFailure : kExitOk;
  };
}

}  // namespace odmd::cli

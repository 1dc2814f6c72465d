// odmd parse-commit <message>: the odmd: commands of a commit message, accepted or
// rejected with a reason.
#include <memory>

#include "command.h"
#include "common.h"
#include "odmd/model/commit_command.h"

namespace odmd::cli {

namespace {

std::string_view VerbName(model::CommandVerb v) {
  return v == model::CommandVerb::kCreate ? "create" : "delete";
}

nlohmann::json CommandJson(const model::CommitCommand& c) {
  nlohmann::json j = {{"verb", VerbName(c.verb)}, {"line", c.line}, {"text", c.text}};
  if (c.build) j["build"] = *c.build;
  if (c.verb == model::CommandVerb::kCreate) j["origin"] = c.origin;
  return j;
}

nlohmann::json RejectionJson(const model::CommandRejection& r) {
  nlohmann::json j = {{"line", r.line}, {"text", r.text}, {"reason", r.reason}};
  if (r.suggestion) j["suggestion"] = *r.suggestion;
  return j;
}

// Known origins and builds from a manifest, for suggestions.
model::CommandContext ContextFrom(const model::Org& org) {
  model::CommandContext ctx;
  for (const model::Build& b : org.builds) {
    ctx.known_builds.push_back(b.id);
    for (const model::Enver& e : b.envers) {
      if (!e.rev.is_clone()) ctx.known_origins.push_back(e.rev.str());
    }
  }
  return ctx;
}

void PrintParsed(Io& io, const model::ParsedMessage& p) {
  if (p.commands.empty() && p.rejections.empty()) io.out << "no odmd: command\n";
  for (const auto& c : p.commands) {
    io.out << "line " << c.line << ": accepted " << VerbName(c.verb);
    if (c.build) io.out << " build=" << *c.build;
    if (c.verb == model::CommandVerb::kCreate) io.out << " origin=" << c.origin;
    io.out << "\n";
  }
  for (const auto& r : p.rejections) {
    io.out << "line " << r.line << ": rejected \"" << r.text << "\": " << r.reason;
    if (r.suggestion) io.out << " (did you mean \"" << *r.suggestion << "\"?)";
    io.out << "\n";
  }
}

}  // namespace

RunFn SetupParseCommit(CLI::App& sub, Io& io) {
  struct Opts {
    std::string message;
    std::string manifest;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("message", o->message, "Commit message (- to read it from stdin)")->required();
  sub.add_option("--manifest", o->manifest,
                 "Manifest whose envers and builds are used for suggestions");
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    model::CommandContext ctx;
    if (!o->manifest.empty()) {
      auto org = LoadManifestOrReport(io, o->json, o->manifest);
      if (!org) return kExitFailure;
      ctx = ContextFrom(*org);
    }
    std::string message = o->message;
    if (message == "-") {
      auto in = ReadInput("-");
      if (!in.ok()) return ReportFailure(io, o->json, in.status());
      message = *in;
    }
    model::ParsedMessage parsed = model::ParseCommitMessage(message, ctx);
    if (o->json) {
      nlohmann::json j = {{"commands", nlohmann::json::array()},
                          {"rejections", nlohmann::json::array()}};
      for (const auto& c : parsed.commands) j["commands"].push_back(CommandJson(c));
      for (const auto& r : parsed.rejections) j["rejections"].push_back(RejectionJson(r));
      PrintJson(io, j);
    } else {
      PrintParsed(io, parsed);
    }
    return parsed.rejections.empty() ? kExitOk : kExitFailure;
  };
}

}  // namespace odmd::cli

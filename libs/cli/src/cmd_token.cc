// odmd token issue|ls|revoke: bearer tokens for principals (admin only). A token is printed
// once, when issued; listings show its short id, never the token.
#include <array>
#include <memory>

#include "command.h"
#include "common.h"
#include "odmd/access/tokens.h"
#include "odmd/base/strings.h"
#include "store_access.h"

namespace odmd::cli {
namespace {

void AddPrincipalArgument(CLI::App& sub, std::string& principal) {
  sub.add_option("principal", principal,
                 "admin | viewer | enver:<build>/<rev> | workflow:<workflow name>")
      ->required();
}

// OK for admin and viewer; an enver must be declared in the published manifest or be a live
// clone, and a workflow must be the group of a declared enver, so a token is never issued to
// a principal that can do nothing.
Status CheckPrincipalExists(const StoreSession& session, const access::Principal& principal) {
  if (principal.kind == access::Principal::Kind::kWorkflow) {
    if (session.policy().HasWorkflow(principal.workflow)) return OkStatus();
    return NotFoundError("workflow " + Quote(principal.workflow) +
                         " is run by no enver of the published manifest (a workflow group is a "
                         "build's envers of one account and region; publish the contracts "
                         "first: odmd contracts publish)");
  }
  if (principal.kind != access::Principal::Kind::kEnver) return OkStatus();
  if (session.policy().HasEnver(principal.enver_id)) return OkStatus();
  return NotFoundError("enver " + Quote(principal.enver_id) +
                       " is neither in the published manifest nor a live clone (publish the "
                       "contracts first: odmd contracts publish)");
}

RunFn SetupTokenIssue(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string principal;
  };
  auto o = std::make_shared<Opts>();
  AddPrincipalArgument(sub, o->principal);
  AddStoreFlags(sub, o->flags);
  sub.footer(
      "Prints the new token on stdout, once: it is stored only as a hash and cannot be shown\n"
      "again. Revoke it with odmd token revoke. A workflow group's token is normally the\n"
      "platform's (issued at publish, rotated by the platform); one issued here is revoked\n"
      "by the group's next rotation.");
  return [o, &io]() {
    Result<access::Principal> principal = access::Principal::Parse(o->principal);
    if (!principal.ok()) return ReportFailure(io, o->flags.json, principal.status());
    auto session = OpenAdminSessionOrReport(io, o->flags, "token issue");
    if (!session) return kExitFailure;
    Status exists = CheckPrincipalExists(*session, *principal);
    if (!exists.ok()) return ReportFailure(io, o->flags.json, exists);
    access::TokenRegistry tokens(session->raw(), io.clock);
    Result<std::string> token = tokens.Issue(*principal);
    if (!token.ok()) return ReportFailure(io, o->flags.json, token.status());
    const std::string id = access::TokenId(*token);
    if (o->flags.json) {
      PrintJson(io, {{"principal", principal->ToString()}, {"token", *token}, {"id", id}});
    } else {
      io.out << *token << "\n";
      io.err << "odmd: issued token " << id << " for " << principal->ToString()
             << "; it is shown only this once\n";
    }
    return kExitOk;
  };
}

RunFn SetupTokenList(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
  };
  auto o = std::make_shared<Opts>();
  AddStoreFlags(sub, o->flags);
  sub.footer("Text: one line per live token: id, principal, issue time (UTC).");
  return [o, &io]() {
    auto session = OpenAdminSessionOrReport(io, o->flags, "token ls");
    if (!session) return kExitFailure;
    access::TokenRegistry tokens(session->raw(), io.clock);
    Result<std::vector<access::TokenInfo>> list = tokens.List();
    if (!list.ok()) return ReportFailure(io, o->flags.json, list.status());
    if (o->flags.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const access::TokenInfo& t : *list) {
        j.push_back(
            {{"id", t.id}, {"principal", t.principal.ToString()}, {"issued_at", t.issued_at}});
      }
      PrintJson(io, j);
      return kExitOk;
    }
    for (const access::TokenInfo& t : *list) {
      io.out << t.id << "\t" << t.principal.ToString() << "\t" << t.issued_at << "\n";
    }
    return kExitOk;
  };
}

RunFn SetupTokenRevoke(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string principal;
  };
  auto o = std::make_shared<Opts>();
  AddPrincipalArgument(sub, o->principal);
  AddStoreFlags(sub, o->flags);
  sub.footer(
      "Revokes every token of the principal. The principal need not exist any more (tokens\n"
      "of a deleted clone can still be revoked).");
  return [o, &io]() {
    Result<access::Principal> principal = access::Principal::Parse(o->principal);
    if (!principal.ok()) return ReportFailure(io, o->flags.json, principal.status());
    auto session = OpenAdminSessionOrReport(io, o->flags, "token revoke");
    if (!session) return kExitFailure;
    access::TokenRegistry tokens(session->raw(), io.clock);
    Result<int> revoked = tokens.Revoke(*principal);
    if (!revoked.ok()) return ReportFailure(io, o->flags.json, revoked.status());
    if (o->flags.json) {
      PrintJson(io, {{"principal", principal->ToString()}, {"revoked", *revoked}});
    } else {
      io.out << "revoked " << *revoked << (*revoked == 1 ? " token" : " tokens") << " of "
             << principal->ToString() << "\n";
    }
    return kExitOk;
  };
}

constexpr std::array<Subcommand, 3> kTokenCommands = {{
    {"issue", "Issue a token for a principal and print it once", SetupTokenIssue},
    {"ls", "List live tokens: id, principal, issue time (never the token)", SetupTokenList},
    {"revoke", "Revoke every token of a principal", SetupTokenRevoke},
}};

}  // namespace

RunFn SetupToken(CLI::App& sub, Io& io) {
  sub.footer(
      "Admin only: without --token (the local operator) or with an admin token.\n"
      "--store as for odmd store.");
  return SetupGroup(sub, io, kTokenCommands);
}

}  // namespace odmd::cli

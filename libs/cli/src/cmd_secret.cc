// odmd secret put|get|ls|rm: an enver's secrets, sealed with the store's secret key and
// opened only for the enver itself (access/secrets.h).
#include <array>
#include <memory>
#include <optional>

#include "command.h"
#include "common.h"
#include "odmd/access/secrets.h"
#include "store_access.h"
#include "store_output.h"

namespace odmd::cli {
namespace {

struct SecretFlags {
  StoreFlags store;
  // --secret-key-file; empty: DefaultSecretKeyFile(store.url). ODMD_SECRET_KEY wins.
  std::string key_file;
};

void AddSecretFlags(CLI::App& sub, SecretFlags& flags) {
  AddStoreFlags(sub, flags.store);
  sub.add_option("--secret-key-file", flags.key_file,
                 "The 32-byte secret key (created, mode 0600, when missing; default: secret.key "
                 "beside a sqlite: store, else ./.odmd/secret.key; env ODMD_SECRET_KEY, 64 hex "
                 "characters, wins)");
}

void AddEnverArgument(CLI::App& sub, std::string& enver) {
  sub.add_option("enver", enver, "Enver id, e.g. orderSvc/b..main")->required();
}

void AddNameArgument(CLI::App& sub, std::string& name) {
  sub.add_option("name", name, "Secret name: 1-128 of A-Z a-z 0-9 . _ -")->required();
}

// The session, the key and the secret store over them (declared in that order so the
// secret store goes first).
class SecretSession {
 public:
  // Opens the store and the key, or reports why not (nullptr after reporting).
  static std::unique_ptr<SecretSession> OpenOrReport(Io& io, const SecretFlags& flags) {
    auto session = OpenSessionOrReport(io, flags.store);
    if (!session) return nullptr;
    access::SecretKeyOptions options;
    options.key_file =
        flags.key_file.empty() ? DefaultSecretKeyFile(flags.store.url) : flags.key_file;
    Result<access::SecretBox> box = access::SecretBox::Load(options);
    if (!box.ok()) {
      ReportFailure(io, flags.store.json, box.status());
      return nullptr;
    }
    return std::unique_ptr<SecretSession>(
        new SecretSession(std::move(session), std::move(box).value()));
  }

  access::SecretStore& secrets() { return secrets_; }
  const access::Principal& principal() const { return session_->principal(); }

 private:
  SecretSession(std::unique_ptr<StoreSession> session, access::SecretBox box)
      : session_(std::move(session)),
        box_(std::move(box)),
        secrets_(session_->raw(), box_, session_->policy()) {}

  std::unique_ptr<StoreSession> session_;
  access::SecretBox box_;
  access::SecretStore secrets_;
};

void PrintSecretWrite(Io& io, bool json, const std::string& enver, const std::string& name,
                      const store::WriteResult& w, std::string_view verb) {
  if (json) {
    PrintJson(io,
              {{"enver", enver}, {"name", name}, {"version", w.version}, {"revision", w.revision}});
    return;
  }
  io.out << verb << " secret " << name << " of " << enver << ": version " << w.version
         << " at revision " << w.revision << "\n";
}

RunFn SetupSecretPut(CLI::App& sub, Io& io) {
  struct Opts {
    SecretFlags flags;
    std::string enver, name, value, file;
  };
  auto o = std::make_shared<Opts>();
  AddEnverArgument(sub, o->enver);
  AddNameArgument(sub, o->name);
  CLI::Option* value = sub.add_option("value", o->value, "The value (or --file)");
  sub.add_option("--file", o->file, "Read the value from this file (- for standard input)");
  AddSecretFlags(sub, o->flags);
  return [o, value, &io]() {
    const bool json = o->flags.store.json;
    Result<std::string> bytes = ValueOrFile(value->count() > 0, o->value, o->file);
    if (!bytes.ok()) {
      const int code = ReportFailure(io, json, bytes.status());
      return IsInvalidArgument(bytes.status()) ? kExitUsage : code;
    }
    auto s = SecretSession::OpenOrReport(io, o->flags);
    if (!s) return kExitFailure;
    Result<store::WriteResult> w = s->secrets().Put(s->principal(), o->enver, o->name, *bytes);
    if (!w.ok()) return ReportFailure(io, json, w.status());
    PrintSecretWrite(io, json, o->enver, o->name, *w, "stored");
    return kExitOk;
  };
}

RunFn SetupSecretGet(CLI::App& sub, Io& io) {
  struct Opts {
    SecretFlags flags;
    std::string enver, name;
  };
  auto o = std::make_shared<Opts>();
  AddEnverArgument(sub, o->enver);
  AddNameArgument(sub, o->name);
  AddSecretFlags(sub, o->flags);
  sub.footer(
      "Only the owning enver (its token) can read a secret. Without --json the value is\n"
      "written exactly as stored, with no newline added.");
  return [o, &io]() {
    const bool json = o->flags.store.json;
    auto s = SecretSession::OpenOrReport(io, o->flags);
    if (!s) return kExitFailure;
    Result<std::string> value = s->secrets().Get(s->principal(), o->enver, o->name);
    if (!value.ok()) return ReportFailure(io, json, value.status());
    if (json) {
      nlohmann::json j = {{"enver", o->enver}, {"name", o->name}};
      SetValue(j, *value);
      PrintJson(io, j);
    } else {
      io.out << *value << std::flush;
    }
    return kExitOk;
  };
}

RunFn SetupSecretList(CLI::App& sub, Io& io) {
  struct Opts {
    SecretFlags flags;
    std::string enver;
  };
  auto o = std::make_shared<Opts>();
  AddEnverArgument(sub, o->enver);
  AddSecretFlags(sub, o->flags);
  sub.footer("Text: one line per secret: name, version, revision. Never the values.");
  return [o, &io]() {
    const bool json = o->flags.store.json;
    auto s = SecretSession::OpenOrReport(io, o->flags);
    if (!s) return kExitFailure;
    Result<std::vector<access::SecretInfo>> list = s->secrets().List(s->principal(), o->enver);
    if (!list.ok()) return ReportFailure(io, json, list.status());
    if (json) {
      nlohmann::json j = nlohmann::json::array();
      for (const access::SecretInfo& info : *list) {
        j.push_back({{"name", info.name}, {"version", info.version}, {"revision", info.revision}});
      }
      PrintJson(io, j);
      return kExitOk;
    }
    for (const access::SecretInfo& info : *list) {
      io.out << info.name << "\t" << info.version << "\t" << info.revision << "\n";
    }
    return kExitOk;
  };
}

RunFn SetupSecretRemove(CLI::App& sub, Io& io) {
  struct Opts {
    SecretFlags flags;
    std::string enver, name;
  };
  auto o = std::make_shared<Opts>();
  AddEnverArgument(sub, o->enver);
  AddNameArgument(sub, o->name);
  AddSecretFlags(sub, o->flags);
  return [o, &io]() {
    const bool json = o->flags.store.json;
    auto s = SecretSession::OpenOrReport(io, o->flags);
    if (!s) return kExitFailure;
    Result<store::WriteResult> w = s->secrets().Delete(s->principal(), o->enver, o->name);
    if (!w.ok()) return ReportFailure(io, json, w.status());
    PrintSecretWrite(io, json, o->enver, o->name, *w, "deleted");
    return kExitOk;
  };
}

constexpr std::array<Subcommand, 4> kSecretCommands = {{
    {"put", "Seal and store a secret of an enver (admin or the enver itself)", SetupSecretPut},
    {"get", "Print a secret's value (only the owning enver)", SetupSecretGet},
    {"ls", "List an enver's secret names and versions, never values", SetupSecretList},
    {"rm", "Delete a secret (admin or the enver itself)", SetupSecretRemove},
}};

}  // namespace

RunFn SetupSecret(CLI::App& sub, Io& io) {
  sub.footer(
      "--store and --token as for odmd store (no token: admin, who may put, list and remove\n"
      "secrets but never read one).");
  return SetupGroup(sub, io, kSecretCommands);
}

}  // namespace odmd::cli

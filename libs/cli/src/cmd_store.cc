// odmd store put|get|history|ls|rm|watch: the config store's keys, as the principal of
// --token (admin without one) sees them.
#include <array>
#include <memory>

#include "command.h"
#include "common.h"
#include "odmd/base/strings.h"
#include "store_access.h"
#include "store_output.h"
#include "watch_stream.h"

namespace odmd::cli {
namespace {

// Secrets are written by `odmd secret put`, which seals them; a raw put would store the
// plaintext where every secret is expected to be ciphertext.
Status RefuseSecretKey(std::string_view key) {
  if (!IsSecretKey(key)) return OkStatus();
  return InvalidArgumentError("key " + Quote(key) +
                              " is a secret: use odmd secret put|get|rm, which seal it");
}

void AddKeyArgument(CLI::App& sub, std::string& key) {
  sub.add_option("key", key, "Key, e.g. /odmd-share/svcA/b..main/apiUrl")->required();
}

CLI::Option* AddIfRevision(CLI::App& sub, store::Revision& if_revision) {
  return sub
      .add_option("--if-revision", if_revision,
                  "Only if the key's current revision is N (0: only if the key is absent)")
      ->check(CLI::NonNegativeNumber);
}

std::optional<store::Revision> IfRevision(const CLI::Option* option, store::Revision value) {
  if (option->count() == 0) return std::nullopt;
  return value;
}

void PrintWrite(Io& io, bool json, std::string_view key, const store::WriteResult& w,
                std::string_view verb) {
  if (json) {
    PrintJson(io, {{"key", key}, {"revision", w.revision}, {"version", w.version}});
    return;
  }
  io.out << verb << " " << ListedKey(key) << ": version " << w.version << " at revision "
         << w.revision << "\n";
}

RunFn SetupStorePut(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string key, value, file;
    store::Revision if_revision = 0;
  };
  auto o = std::make_shared<Opts>();
  AddKeyArgument(sub, o->key);
  CLI::Option* value = sub.add_option("value", o->value, "The value (or --file)");
  sub.add_option("--file", o->file, "Read the value from this file (- for standard input)");
  CLI::Option* if_revision = AddIfRevision(sub, o->if_revision);
  AddStoreFlags(sub, o->flags);
  return [o, value, if_revision, &io]() {
    Result<std::string> bytes = ValueOrFile(value->count() > 0, o->value, o->file);
    if (!bytes.ok()) {
      const int code = ReportFailure(io, o->flags.json, bytes.status());
      return IsInvalidArgument(bytes.status()) ? kExitUsage : code;
    }
    Status secret = RefuseSecretKey(o->key);
    if (!secret.ok()) return ReportFailure(io, o->flags.json, secret);
    auto session = OpenSessionOrReport(io, o->flags);
    if (!session) return kExitFailure;
    Result<store::WriteResult> w =
        session->view().Put(o->key, *bytes, IfRevision(if_revision, o->if_revision));
    if (!w.ok()) return ReportFailure(io, o->flags.json, w.status());
    PrintWrite(io, o->flags.json, o->key, *w, "put");
    return kExitOk;
  };
}

RunFn SetupStoreGet(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string key;
    store::Version version = 0;
  };
  auto o = std::make_shared<Opts>();
  AddKeyArgument(sub, o->key);
  CLI::Option* version = sub.add_option("--version", o->version, "Read this version (1, 2, ...)")
                             ->check(CLI::PositiveNumber);
  AddStoreFlags(sub, o->flags);
  sub.footer(
      "Without --json the value is written exactly as stored: no newline is added, so\n"
      "`odmd store get K > f` and `odmd store put K --file f` round-trip byte for byte.");
  return [o, version, &io]() {
    auto session = OpenSessionOrReport(io, o->flags);
    if (!session) return kExitFailure;
    Result<store::Entry> entry = version->count() > 0
                                     ? session->view().GetVersion(o->key, o->version)
                                     : session->view().Get(o->key);
    if (!entry.ok()) return ReportFailure(io, o->flags.json, entry.status());
    if (IsSecretKey(o->key)) {
      return ReportFailure(io, o->flags.json,
                           FailedPreconditionError("key " + Quote(o->key) +
                                                   " holds a sealed secret: read it with odmd "
                                                   "secret get, as its owner"));
    }
    if (o->flags.json) {
      PrintJson(io, EntryJson(*entry, true));
    } else {
      io.out << entry->value << std::flush;
    }
    return kExitOk;
  };
}

RunFn SetupStoreHistory(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string key;
  };
  auto o = std::make_shared<Opts>();
  AddKeyArgument(sub, o->key);
  AddStoreFlags(sub, o->flags);
  sub.footer("Text: one line per version: version, revision, put|delete, value (quoted).");
  return [o, &io]() {
    auto session = OpenSessionOrReport(io, o->flags);
    if (!session) return kExitFailure;
    Result<std::vector<store::Entry>> history = session->view().History(o->key);
    if (!history.ok()) return ReportFailure(io, o->flags.json, history.status());
    if (o->flags.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const store::Entry& e : *history) list.push_back(HistoryJson(e));
      PrintJson(io, list);
      return kExitOk;
    }
    for (const store::Entry& e : *history) {
      io.out << e.version << "\t" << e.revision << "\t" << (e.tombstone ? "delete" : "put") << "\t"
             << (e.tombstone ? "<deleted>" : ListedValue(e.key, e.value)) << "\n";
    }
    return kExitOk;
  };
}

RunFn SetupStoreList(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string prefix;
    bool values = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("prefix", o->prefix, "Only keys starting with this (default: every key)");
  sub.add_flag("--values", o->values, "Show the values too");
  AddStoreFlags(sub, o->flags);
  sub.footer("Text: one line per key: key, version, revision (and the quoted value).");
  return [o, &io]() {
    auto session = OpenSessionOrReport(io, o->flags);
    if (!session) return kExitFailure;
    Result<std::vector<store::Entry>> entries = session->view().List(o->prefix);
    if (!entries.ok()) return ReportFailure(io, o->flags.json, entries.status());
    if (o->flags.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const store::Entry& e : *entries) list.push_back(EntryJson(e, o->values));
      PrintJson(io, list);
      return kExitOk;
    }
    for (const store::Entry& e : *entries) {
      io.out << ListedKey(e.key) << "\t" << e.version << "\t" << e.revision;
      if (o->values) io.out << "\t" << ListedValue(e.key, e.value);
      io.out << "\n";
    }
    return kExitOk;
  };
}

RunFn SetupStoreRemove(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string key;
    store::Revision if_revision = 0;
  };
  auto o = std::make_shared<Opts>();
  AddKeyArgument(sub, o->key);
  CLI::Option* if_revision = AddIfRevision(sub, o->if_revision);
  AddStoreFlags(sub, o->flags);
  return [o, if_revision, &io]() {
    auto session = OpenSessionOrReport(io, o->flags);
    if (!session) return kExitFailure;
    Result<store::WriteResult> w =
        session->view().Delete(o->key, IfRevision(if_revision, o->if_revision));
    if (!w.ok()) return ReportFailure(io, o->flags.json, w.status());
    PrintWrite(io, o->flags.json, o->key, *w, "deleted");
    return kExitOk;
  };
}

RunFn SetupStoreWatch(CLI::App& sub, Io& io) {
  struct Opts {
    StoreFlags flags;
    std::string prefix;
    store::Revision from = 0;
    std::int64_t count = 0;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("prefix", o->prefix, "Only keys starting with this (default: every key)");
  CLI::Option* from =
      sub.add_option("--from", o->from,
                     "Every change after this revision (default: the latest, so only new "
                     "changes; 0: everything)")
          ->check(CLI::NonNegativeNumber);
  sub.add_option("--count", o->count, "Stop after N events")->check(CLI::PositiveNumber);
  AddStoreFlags(sub, o->flags);
  sub.footer(
      "Prints one JSON object per change and line, flushed per change:\n"
      "  {\"revision\",\"key\",\"kind\":\"put\"|\"delete\",\"version\",\"previous_revision\","
      "\"value\"}\n"
      "(no value for deletes and secret keys; \"value_base64\" for values that are not UTF-8).\n"
      "Ends after --count changes (exit 0), on SIGTERM (0), on SIGINT (130), or when the\n"
      "watch fails (1, the error on stderr).");
  return [o, from, &io]() {
    auto session = OpenSessionOrReport(io, o->flags);
    if (!session) return kExitFailure;
    WatchStreamOptions options;
    options.prefix = o->prefix;
    options.count = o->count;
    options.json = o->flags.json;
    options.after = o->from;
    if (from->count() == 0) {
      Result<store::Revision> latest = session->view().LatestRevision();
      if (!latest.ok()) return ReportFailure(io, o->flags.json, latest.status());
      options.after = *latest;
    }
    return StreamWatch(io, session->view(), options);
  };
}

constexpr std::array<Subcommand, 6> kStoreCommands = {{
    {"put", "Write a key's next version (value or --file; --if-revision for compare-and-set)",
     SetupStorePut},
    {"get", "Print a key's value (latest, or --version N)", SetupStoreGet},
    {"history", "List every version of a key, deletes included", SetupStoreHistory},
    {"ls", "List the keys under a prefix with their versions and revisions", SetupStoreList},
    {"rm", "Delete a key (its history stays)", SetupStoreRemove},
    {"watch", "Stream every change under a prefix as JSON lines", SetupStoreWatch},
}};

}  // namespace

RunFn SetupStore(CLI::App& sub, Io& io) {
  sub.footer(
      "Every store command takes --store URL (default: env ODMD_STORE, else\n"
      "sqlite:./.odmd/state.db) and --token TOKEN (default: env ODMD_TOKEN). With a token the\n"
      "command acts as that token's principal and the access rules of the published contracts\n"
      "apply; without one it acts as admin, the local operator who already holds the store's\n"
      "files or credentials.");
  return SetupGroup(sub, io, kStoreCommands);
}

}  // namespace odmd::cli

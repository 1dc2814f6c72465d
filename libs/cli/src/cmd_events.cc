// odmd events [--after N] [--follow]: what the platform did and why (pushes, commands
// accepted or rejected, deployments, alerts), oldest first.
#include <memory>

#include "api_client.h"
#include "command.h"
#include "common.h"

namespace odmd::cli {
namespace {

using nlohmann::json;

// "<seq>  <time>  <kind>  <enver>  <message>", then "  suggestion: ..." when there is one.
void PrintEvent(Io& io, const json& e) {
  io.out << Field(e, "seq") << "  " << FormatTimeMs(e.value("time_ms", std::int64_t{0})) << "  "
         << Field(e, "kind") << "  " << Field(e, "enver") << "  " << Field(e, "message") << "\n";
  if (Field(e, "suggestion") != "-") io.out << "  suggestion: " << Field(e, "suggestion") << "\n";
}

}  // namespace

RunFn SetupEvents(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::int64_t after = 0;
    int limit = 100;
    bool follow = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--after", o->after, "Only events after this sequence number")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub.add_option("--limit", o->limit, "At most this many (without --follow)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  sub.add_flag("--follow", o->follow,
               "Then keep printing new events as they happen (until interrupted)");
  AddClientFlags(sub, o->flags);
  sub.footer(
      "Text: one line per event (seq, time, kind, enver, message), a suggestion line for a\n"
      "rejected command. --json: the API's {\"events\": [...]}; with --follow one event object\n"
      "per line.");
  return [o, &io]() {
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    if (!o->follow) {
      return PrintResult(io, o->flags,
                         client->Get("/api/events?after=" + std::to_string(o->after) +
                                     "&limit=" + std::to_string(o->limit)),
                         [&io](const json& j) {
                           const json empty = json::array();
                           for (const json& e : j.is_object() ? j.value("events", empty) : empty) {
                             PrintEvent(io, e);
                           }
                         });
    }
    Status s = client->Stream("/api/events/stream?after=" + std::to_string(o->after),
                              [&io, o](const std::string& data) {
                                json e = json::parse(data, nullptr, false);
                                if (o->flags.json || e.is_discarded()) {
                                  io.out << data << "\n";
                                } else {
                                  PrintEvent(io, e);
                                }
                                io.out.flush();
                                return static_cast<bool>(io.out);
                              });
    if (!s.ok()) return ReportFailure(io, o->flags.json, s);
    return kExitOk;
  };
}

}  // namespace odmd::cli

// odmd product put|get: products of an enver, for build scripts (token from ODMD_TOKEN,
// server from ODMD_API, both set in a deployment's environment).
#include <array>
#include <chrono>
#include <memory>
#include <thread>

#include "api_client.h"
#include "command.h"
#include "common.h"
#include "odmd/base/strings.h"

namespace odmd::cli {
namespace {

using nlohmann::json;

// "<build>/<rev>/<product...>" percent-encoded per segment; kInvalidArgument otherwise.
Result<std::string> ProductRoute(const std::string& text) {
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  constexpr std::string_view kShare = "odmd-share/";
  if (rest.substr(0, kShare.size()) == kShare) rest.remove_prefix(kShare.size());
  std::vector<std::string_view> parts = StrSplit(rest, '/');
  bool ok = parts.size() >= 3;
  for (std::string_view p : parts) ok = ok && !p.empty();
  if (!ok) {
    return InvalidArgumentError("product " + Quote(text) +
                                " is not <build>/<rev>/<product>, e.g. svc/b..main/apiUrl");
  }
  for (std::string_view p : parts) {
    if (p == "." || p == "..") {
      return InvalidArgumentError("product " + Quote(text) + " has a " + Quote(p) +
                                  " segment: a product path names one product");
    }
  }
  std::string route;
  for (std::string_view p : parts) route += "/" + UrlEncode(p);
  return route;
}

RunFn SetupProductPut(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
    std::string product, value;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("product", o->product, "<build>/<rev>/<product>")->required();
  sub.add_option("value", o->value, "The new value, or - to read it from standard input")
      ->required();
  AddClientFlags(sub, o->flags);
  sub.footer(
      "Prints the product's version (unchanged value: the current one). A concurrent "
      "writer (ABORTED) or an unreachable or restarting server (UNAVAILABLE) is retried up "
      "to 5 times with backoff.");
  return [o, &io]() {
    Result<std::string> route = ProductRoute(o->product);
    if (!route.ok()) return ReportFailure(io, o->flags.json, route.status());
    Result<std::string> value = o->value == "-" ? ReadInput("-") : Result<std::string>(o->value);
    if (!value.ok()) return ReportFailure(io, o->flags.json, value.status());
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    // A put of one value is safe to repeat: a concurrent writer (ABORTED) or a restarting
    // server (UNAVAILABLE) is waited out.
    Result<json> put = WithRetries(
        [&] {
          return client->Send("PUT", "/api/ci/products" + *route, *value,
                              "application/octet-stream");
        },
        RetryPolicy{}, [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
    return PrintResult(io, o->flags, put,
                       [&io](const json& j) { io.out << Field(j, "version") << "\n"; });
  };
}

RunFn SetupProductGet(CLI::App& sub, Io& io) {
  struct Opts {
    ClientFlags flags;
  };
  auto o = std::make_shared<Opts>();
  auto product = std::make_shared<std::string>();
  sub.add_option("product", *product, "<build>/<rev>/<product>")->required();
  AddClientFlags(sub, o->flags);
  sub.footer("Prints the value as it is (no newline added). --json: path, value, version.");
  return [o, product, &io]() {
    Result<std::string> route = ProductRoute(*product);
    if (!route.ok()) return ReportFailure(io, o->flags.json, route.status());
    auto client = OpenClientOrReport(io, o->flags);
    if (!client) return kExitFailure;
    return PrintResult(io, o->flags, client->Get("/api/products" + *route),
                       [&io](const json& j) { io.out << j.value("value", ""); });
  };
}

constexpr std::array<Subcommand, 2> kProductCommands = {{
    {"put", "Publish a product value of your enver (build scripts)", SetupProductPut},
    {"get", "Print a product value", SetupProductGet},
}};

}  // namespace

RunFn SetupProduct(CLI::App& sub, Io& io) { return SetupGroup(sub, io, kProductCommands); }

}  // namespace odmd::cli

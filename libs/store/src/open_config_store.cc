#include "odmd/store/open_config_store.h"

#include <string>
#include <string_view>

#include "odmd/base/strings.h"
#include "postgres/postgres_config_store.h"
#include "sqlite/sqlite_config_store.h"

namespace odmd::store {
namespace {

// One row per URL scheme (ccache's storage backends table). `rest` is the URL after
// "<scheme>:".
struct Scheme {
  std::string_view name;
  std::string_view help;
  Result<ConfigStorePtr> (*open)(std::string_view rest, const StoreOptions& options);
};

Result<ConfigStorePtr> OpenSqlite(std::string_view rest, const StoreOptions& options) {
  if (rest.empty()) {
    return InvalidArgumentError("store url " + Quote(options.url) +
                                " has no path (use sqlite:<path> or sqlite::memory:)");
  }
  ODMD_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteConfigStore> store,
                        sqlite::SqliteConfigStore::Open(std::string(rest), options));
  return ConfigStorePtr(std::move(store));
}

// libpq reads the whole URL itself ("postgres://user@host:port/db",
// "postgresql:///db?host=/socket/dir"), so it is passed on as given.
Result<ConfigStorePtr> OpenPostgres(std::string_view, const StoreOptions& options) {
  ODMD_ASSIGN_OR_RETURN(std::unique_ptr<postgres::PostgresConfigStore> store,
                        postgres::PostgresConfigStore::Open(options.url, options));
  return ConfigStorePtr(std::move(store));
}

constexpr Scheme kSchemes[] = {
    {"sqlite", "sqlite:<path> or sqlite::memory:", OpenSqlite},
    {"postgres", "postgres://[user@]host[:port]/db", OpenPostgres},
    {"postgresql", "postgresql:///db?host=/socket/dir", OpenPostgres},
};

std::string KnownSchemes() {
  std::string known;
  for (const Scheme& scheme : kSchemes) {
    if (!known.empty()) known += ", ";
    known += scheme.help;
  }
  return known;
}

}  // namespace

Result<ConfigStorePtr> OpenConfigStore(const StoreOptions& options) {
  const std::string_view url = options.url;
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError("store url " + Quote(url) +
                                " has no scheme (known: " + KnownSchemes() + ")");
  }
  const std::string_view name = url.substr(0, colon);
  for (const Scheme& scheme : kSchemes) {
    if (scheme.name == name) return scheme.open(url.substr(colon + 1), options);
  }
  return InvalidArgumentError("store url " + Quote(url) + " has unknown scheme " + Quote(name) +
                              " (known: " + KnownSchemes() + ")");
}

}  // namespace odmd::store

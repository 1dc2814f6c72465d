#pragma once

// The per-org TypeScript package (issue 15): what a contracts build publishes and service
// repos import. One typed object per build and per enver, listing products and consumers by
// name, so a service writes `coffeeShopOrderManager.main.consumers.eventBus` and a consumer
// that does not exist is a compile error. docs/contracts-typescript.md describes it.
//
// Files (build_id empty, user_owned false), sorted by path:
//   package.json   name (PackageOptions::name), version = the manifest's version
//   index.d.ts     the types: literal ids, revs, accounts, regions, product and consumer names
//   index.js       the same objects as frozen CommonJS values
//   manifest.json  the canonical manifest (model::WriteManifest) the package was made from
//
// In index.d.ts / index.js:
//   org                    {name, version, digest, centralAccount}
//   builds                 every build by its exact id
//   <identifier>           each build, under its id made an identifier: characters outside
//                          [A-Za-z0-9_$] split words joined in camelCase ("odmd-contracts-x"
//                          -> odmdContractsX), '_' before a leading digit, '_' after a
//                          reserved word or "org"/"builds"; ids that give the same
//                          identifier get none (they stay in `builds`)
//   build.envers["b..main"]  each enver by rev; also build.main (build["v1.0.0"]) by the
//                          rev's value when no other enver of the build has that value and
//                          it is not "id", "kind", "repo" or "envers"
//   enver                  {id, buildId, rev, account, accountId, region, products, consumers}
//   enver.products.<name>  {enverId, name, path: "/odmd-share/<enver id>/<name>"}
//   enver.consumers.<name> {enverId, name, producer, product, reaction, placeholder | null}

#include <string>
#include <string_view>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/gen/generated_file.h"
#include "odmd/model/org.h"

namespace odmd::gen {

struct PackageOptions {
  // The npm package name; empty: DefaultPackageName(org).
  std::string name;
};

// "<org>-contracts", lowercased, every character outside [a-z0-9._-] replaced by '-'.
std::string DefaultPackageName(const model::Org& org);

// The package's files. Same org, same bytes, whatever the declaration order.
// Errors (nothing generated): kInvalidArgument for a package name npm refuses (empty, over
// 214 characters, not lowercase [a-z0-9._~-] with an optional "@scope/", or starting with
// '.' or '_'); kNotFound, naming the enver, for an enver whose account is not declared.
Result<std::vector<GeneratedFile>> GeneratePackage(const model::Org& org,
                                                   const PackageOptions& options = {});

// The identifier a build id is exported under (see above), before collisions are removed.
std::string PackageIdentifier(std::string_view build_id);

}  // namespace odmd::gen

#pragma once

// Shared helpers of the access tests: stores, the sample org, a small org with clones,
// temp directories and a whole-store scan.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "odmd/access/policy.h"
#include "odmd/model/manifest.h"
#include "odmd/model/org.h"
#include "odmd/model/validate.h"
#include "odmd/store/open_config_store.h"
#include "odmd/testing/change_collector.h"
#include "odmd/testing/status_matchers.h"
#include "odmd/testing/testdata.h"

namespace odmd::access::test {

inline store::ConfigStorePtr OpenStore(const std::string& url = "sqlite::memory:") {
  store::StoreOptions options;
  options.url = url;
  Result<store::ConfigStorePtr> opened = store::OpenConfigStore(options);
  EXPECT_THAT(opened, ::odmd::testing::IsOk());
  return opened.ok() ? std::move(opened).value() : nullptr;
}

inline std::string SampleManifestText() {
  return ::odmd::testing::ReadFileOrFail(
      ::odmd::testing::SourcePath("examples/sandbox/manifest.golden.json"));
}

inline model::Org SampleOrg() {
  Result<model::Org> org = model::ReadManifest(SampleManifestText(), nullptr);
  EXPECT_THAT(org, ::odmd::testing::IsOk());
  return org.ok() ? std::move(org).value() : model::Org{};
}

// A small valid org:
//   svcB/b..main  +db                       (the producer)
//   svcA/b..main  +url +api/v1  db=svcB/b..main/db
//   svcA/b..dev   +url          db=svcB/b..main/db
//   contracts/b..main            (the contracts build every org has)
inline model::Org SmallOrg() {
  model::Org org;
  org.name = "small";
  org.version = "1.0.0";
  org.accounts = {{"central", "111111111111"}, {"ws", "333333333333"}};
  auto enver = [](std::string rev, std::vector<std::string> products,
                  std::vector<model::Consumer> consumers) {
    model::Enver e;
    e.rev = model::RevRef::Branch(std::move(rev));
    e.account = "ws";
    e.region = "us-west-1";
    for (std::string& p : products) e.products.push_back({std::move(p)});
    e.consumers = std::move(consumers);
    return e;
  };
  model::Consumer db{"db", "svcB/b..main", "db", std::nullopt, model::Reaction::kRedeploy};
  model::Build a{"svcA", model::BuildKind::kCdk, {"acme", "svc-a", 0}, {}};
  a.envers.push_back(enver("main", {"url", "api/v1"}, {db}));
  a.envers.push_back(enver("dev", {"url"}, {db}));
  model::Build b{"svcB", model::BuildKind::kCdk, {"acme", "svc-b", 0}, {}};
  b.envers.push_back(enver("main", {"db"}, {}));
  model::Build contracts{"contracts", model::BuildKind::kContracts, {"acme", "contracts", 0}, {}};
  contracts.envers.push_back(enver("main", {}, {}));
  contracts.envers.back().ephemeral = false;
  org.builds = {a, b, contracts};
  model::Canonicalize(org);
  for (const model::Violation& v : model::Validate(org)) ADD_FAILURE() << v.ToString();
  return org;
}

// Two clones of svcA/b..main on branches feat1 and feat2.
inline const std::map<std::string, std::string>& SmallOrgClones() {
  static const std::map<std::string, std::string> clones = {
      {"svcA/b..main-_b..feat1", "svcA/b..main"}, {"svcA/b..main-_b..feat2", "svcA/b..main"}};
  return clones;
}

// A fresh directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "odmd-access-test-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every change ever written to `store` (the whole log, replayed by a watch from revision 0):
// every key and every value of every version, deleted keys included.
inline std::vector<store::ChangeEvent> WholeLog(store::ConfigStore& store) {
  Result<store::Revision> latest = store.LatestRevision();
  EXPECT_THAT(latest, ::odmd::testing::IsOk());
  if (!latest.ok() || *latest == 0) return {};
  ::odmd::testing::ChangeCollector collector;
  Result<store::WatchHandlePtr> watch = store.Watch("", 0, collector.Sink());
  EXPECT_THAT(watch, ::odmd::testing::IsOk());
  if (!watch.ok()) return {};
  std::vector<store::ChangeEvent> events = collector.WaitForRevision(*latest);
  EXPECT_EQ(events.size(), static_cast<size_t>(*latest));
  return events;
}

// WholeLog as one text, plus every live entry's List and History records: what any reader
// of the raw store could ever see.
inline std::string ScanEverything(store::ConfigStore& store) {
  std::string all;
  for (const store::ChangeEvent& e : WholeLog(store)) all += e.key + "\n" + e.value + "\n";
  Result<std::vector<store::Entry>> latest = store.List("");
  EXPECT_THAT(latest, ::odmd::testing::IsOk());
  if (!latest.ok()) return all;
  for (const store::Entry& e : *latest) {
    all += e.key + "\n" + e.value + "\n";
    Result<std::vector<store::Entry>> history = store.History(e.key);
    EXPECT_THAT(history, ::odmd::testing::IsOk());
    if (!history.ok()) continue;
    for (const store::Entry& h : *history) all += h.key + "\n" + h.value + "\n";
  }
  return all;
}

}  // namespace odmd::access::test

// Control: a branch enver may consume branch and tag products.
#include "odmd/model/contracts.h"

namespace odmd::model {
void DeclareBranchConsumesAny();
void DeclareBranchConsumesAny() {
  Contracts c("org", "1.0.0");
  auto ws = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("o", "r", 1);
  auto producer = c.AddBuild("producer", BuildKind::kCdk, repo);
  auto branch = producer.Branch("main", ws, "us-west-1");
  auto tag = producer.Tag("v1.0.0", ws, "us-west-1");
  auto consumer = c.AddBuild("consumer", BuildKind::kCdk, repo).Branch("main", ws, "us-west-1");
  consumer.Consumes("a", branch.Produces("a"));
  consumer.Consumes("b", tag.Produces("b"));
}
}  // namespace odmd::model

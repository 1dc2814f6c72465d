// Control for tag_consumes_branch_fails.cc: the same code with a tag producer compiles.
#include "odmd/model/contracts.h"

namespace odmd::model {
void DeclareTagConsumesTag();
void DeclareTagConsumesTag() {
  Contracts c("org", "1.0.0");
  auto ws = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("o", "r", 1);
  auto producer = c.AddBuild("producer", BuildKind::kCdk, repo).Tag("v1.0.0", ws, "us-west-1");
  auto consumer = c.AddBuild("consumer", BuildKind::kCdk, repo).Tag("v1.0.0", ws, "us-west-1");
  consumer.Consumes("p", producer.Produces("p"));
}
}  // namespace odmd::model

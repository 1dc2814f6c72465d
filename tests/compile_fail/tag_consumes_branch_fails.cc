// Must NOT compile: a tag (immutable) enver consuming a branch (mutable) enver's product
// violates rule R3, and the contracts base rejects it at compile time.
#include "odmd/model/contracts.h"

namespace odmd::model {
void DeclareTagConsumesBranch();
void DeclareTagConsumesBranch() {
  Contracts c("org", "1.0.0");
  auto ws = c.AddAccount("workspace1", "333333333333");
  auto repo = c.AddRepo("o", "r", 1);
  auto producer = c.AddBuild("producer", BuildKind::kCdk, repo).Branch("main", ws, "us-west-1");
  auto consumer = c.AddBuild("consumer", BuildKind::kCdk, repo).Tag("v1.0.0", ws, "us-west-1");
  consumer.Consumes("p", producer.Produces("p"));
}
}  // namespace odmd::model

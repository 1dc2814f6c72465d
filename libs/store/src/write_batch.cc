// BatchOp and the argument checks every backend's WriteBatch shares.

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "odmd/base/strings.h"
#include "odmd/store/config_store.h"

namespace odmd::store {
namespace {

// The key as an op's label shows it: bare while it is short and printable (the common
// case: "op 3 (/odmd/queue/a/b..main)"), quoted and shortened otherwise.
std::string Label(std::string_view key) {
  constexpr std::size_t kShown = 80;
  bool printable = !key.empty();
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) printable = false;
  }
  if (key.size() > kShown) return Quote(std::string(key.substr(0, kShown)) + "...");
  return printable ? std::string(key) : Quote(key);
}

}  // namespace

BatchOp BatchOp::Put(std::string key, std::string value, std::optional<Revision> if_revision) {
  return BatchOp{Kind::kPut, std::move(key), std::move(value), if_revision};
}

BatchOp BatchOp::Delete(std::string key, std::optional<Revision> if_revision) {
  return BatchOp{Kind::kDelete, std::move(key), std::string(), if_revision};
}

Status AtBatchOp(std::size_t index, std::string_view key, const Status& status) {
  return status.WithContext("op " + std::to_string(index) + " (" + Label(key) + ")");
}

Status ValidateBatch(std::span<const BatchOp> ops) {
  std::unordered_map<std::string_view, std::size_t> first_op;  // key -> index
  first_op.reserve(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const BatchOp& op = ops[i];
    Status status = ValidateKey(op.key);
    if (status.ok() && op.kind == BatchOp::Kind::kPut) status = ValidateValue(op.key, op.value);
    if (status.ok()) status = ValidateIfRevision(op.key, op.if_revision);
    if (status.ok() && op.kind != BatchOp::Kind::kPut && op.kind != BatchOp::Kind::kDelete) {
      status = InvalidArgumentError("unknown op kind " + std::to_string(static_cast<int>(op.kind)));
    }
    if (status.ok()) {
      auto [it, inserted] = first_op.emplace(op.key, i);
      if (!inserted) {
        status = InvalidArgumentError("key " + Quote(op.key) + " is already written by op " +
                                      std::to_string(it->second) + " of this batch");
      }
    }
    if (!status.ok()) return AtBatchOp(i, op.key, status);
  }
  return OkStatus();
}

}  // namespace odmd::store

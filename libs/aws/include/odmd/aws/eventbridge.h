#pragma once

// EventBridge: PutEvents (JSON protocol, target AWSEvents.*).

#include <string>
#include <vector>

#include "odmd/aws/client.h"

namespace odmd::aws {

struct Event {
  std::string source;          // "odmd.platform"
  std::string detail_type;     // "product.published"
  std::string detail;          // a JSON object, as text
  std::string event_bus_name;  // empty: the default bus
};

class EventBridgeClient {
 public:
  explicit EventBridgeClient(AwsClient& client) : client_(client) {}
  // The event ids, in order. An entry refused by EventBridge fails the call with its code.
  Result<std::vector<std::string>> PutEvents(const std::vector<Event>& events);

 private:
  AwsClient& client_;
};

}  // namespace odmd::aws

#pragma once

// What the platform put on an EventBridge bus, as tests see it: an SQS queue that an
// EventBridge rule (events of one source) feeds, in a moto_server, through the signed AWS
// client of libs/aws. Header-only: the including target links odmd::aws.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "odmd/aws/client.h"
#include "odmd/base/status.h"

namespace odmd::testing {

inline constexpr aws::Service kSqsService{"SQS", "sqs", "sqs"};

class MotoEventQueue {
 public:
  // Creates queue `name`, the bus `bus` unless it is "default", and a rule on the bus that
  // sends every event of `source` to the queue. `client` must outlive the queue.
  static Result<MotoEventQueue> Create(aws::AwsClient& client, const std::string& name,
                                       const std::string& bus, const std::string& source) {
    ODMD_ASSIGN_OR_RETURN(nlohmann::json q, client.Json(kSqsService, "AmazonSQS", "CreateQueue",
                                                        {{"QueueName", name}}, name));
    MotoEventQueue queue(client, q.value("QueueUrl", ""));
    ODMD_ASSIGN_OR_RETURN(
        nlohmann::json attrs,
        client.Json(kSqsService, "AmazonSQS", "GetQueueAttributes",
                    {{"QueueUrl", queue.url_}, {"AttributeNames", {"QueueArn"}}}, name));
    const std::string arn = attrs["Attributes"].value("QueueArn", "");
    if (bus != "default") {
      Result<nlohmann::json> created =
          client.Json(aws::kEventBridge, "AWSEvents", "CreateEventBus", {{"Name", bus}}, bus);
      if (!created.ok()) return created.status();
    }
    const std::string rule = name + "-rule";
    const nlohmann::json pattern = {{"source", {source}}};
    const nlohmann::json rule_body = {{"Name", rule},
                                      {"EventBusName", bus},
                                      {"EventPattern", pattern.dump()},
                                      {"State", "ENABLED"}};
    Result<nlohmann::json> put_rule =
        client.Json(aws::kEventBridge, "AWSEvents", "PutRule", rule_body, rule);
    if (!put_rule.ok()) return put_rule.status();
    nlohmann::json target = nlohmann::json::object();
    target["Id"] = "queue";
    target["Arn"] = arn;
    nlohmann::json targets_body = nlohmann::json::object();
    targets_body["Rule"] = rule;
    targets_body["EventBusName"] = bus;
    targets_body["Targets"] = nlohmann::json::array({target});
    Result<nlohmann::json> put_targets =
        client.Json(aws::kEventBridge, "AWSEvents", "PutTargets", targets_body, rule);
    if (!put_targets.ok()) return put_targets.status();
    return queue;
  }

  // The events that arrived (each the EventBridge envelope with its "detail"), deleting them
  // from the queue; waits up to `wait_seconds` for the first.
  Result<std::vector<nlohmann::json>> Receive(int wait_seconds) {
    nlohmann::json body = nlohmann::json::object();
    body["QueueUrl"] = url_;
    body["MaxNumberOfMessages"] = 10;
    body["WaitTimeSeconds"] = wait_seconds;
    Result<nlohmann::json> r =
        client_->Json(kSqsService, "AmazonSQS", "ReceiveMessage", body, url_);
    if (!r.ok()) return r.status();
    std::vector<nlohmann::json> out;
    for (const nlohmann::json& m : r->value("Messages", nlohmann::json::array())) {
      out.push_back(nlohmann::json::parse(m.value("Body", "{}"), nullptr, false));
      nlohmann::json del = nlohmann::json::object();
      del["QueueUrl"] = url_;
      del["ReceiptHandle"] = m.value("ReceiptHandle", "");
      Result<nlohmann::json> deleted =
          client_->Json(kSqsService, "AmazonSQS", "DeleteMessage", del, url_);
      if (!deleted.ok()) return deleted.status();
    }
    return out;
  }

 private:
  MotoEventQueue(aws::AwsClient& client, std::string url)
      : client_(&client), url_(std::move(url)) {}

  aws::AwsClient* client_;
  std::string url_;
};

}  // namespace odmd::testing

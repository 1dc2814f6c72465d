#pragma once

// CloudFormation (query protocol): describe a stack (status, outputs), delete it, and
// deploy a template idempotently (create, update, or leave an unchanged stack alone).

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "odmd/aws/client.h"

namespace odmd::aws {

struct Stack {
  std::string name;
  std::string id;
  std::string status;  // CREATE_COMPLETE, DELETE_IN_PROGRESS, ...
  std::string status_reason;
  std::map<std::string, std::string> outputs;  // OutputKey -> OutputValue
};

// A template to deploy as the stack `name`.
struct StackTemplate {
  std::string name;
  std::string body;  // the template's JSON (or YAML) text
  // Passes CAPABILITY_NAMED_IAM (templates that create named IAM roles need it).
  bool named_iam = false;
};

// What DeployStack did.
enum class StackChange { kCreated, kUpdated, kUnchanged };
// "created", "updated", "unchanged".
std::string_view StackChangeName(StackChange change);

// How long DeployStack and WaitForStack poll: `poll` between DescribeStacks, at most
// `max_polls` of them.
struct StackWait {
  std::chrono::milliseconds poll{1000};
  int max_polls = 600;
};

class CloudFormationClient {
 public:
  explicit CloudFormationClient(AwsClient& client) : client_(client) {}
  // NOT_FOUND when the stack does not exist.
  Result<Stack> DescribeStack(const std::string& name);
  // Starts the deletion (asynchronous at AWS; poll DescribeStack).
  Status DeleteStack(const std::string& name);
  // Starts creating the stack; returns its id. ALREADY_EXISTS when it exists.
  Result<std::string> CreateStack(const StackTemplate& stack);
  // Starts updating the stack; false when CloudFormation answers that there is nothing to
  // update ("No updates are to be performed").
  Result<bool> UpdateStack(const StackTemplate& stack);
  // The template body the stack was last deployed with.
  Result<std::string> GetTemplate(const std::string& name);
  // Polls DescribeStack, sleeping `wait.poll` between, until the status no longer ends in
  // _IN_PROGRESS. UNAVAILABLE naming the stack and its last status after
  // `wait.max_polls`.
  Result<Stack> WaitForStack(const std::string& name, const Sleeper& sleeper,
                             const StackWait& wait = {});
  // Idempotent deploy: creates the stack when it does not exist, leaves it alone when its
  // template is the same, updates it otherwise, and waits for the result. A stack that ends
  // in any state but CREATE_COMPLETE / UPDATE_COMPLETE is FAILED_PRECONDITION naming the
  // stack, the status and its reason.
  Result<StackChange> DeployStack(const StackTemplate& stack, const Sleeper& sleeper,
                                  const StackWait& wait = {});

 private:
  AwsClient& client_;
};

}  // namespace odmd::aws

#include "odmd/aws/cloudformation.h"

#include "xml.h"

namespace odmd::aws {
namespace {

constexpr char kVersion[] = "2010-05-15";

std::string StackSubject(const std::string& name) { return "stack \"" + name + "\""; }

FormParams TemplateParams(const StackTemplate& stack) {
  FormParams params = {{"StackName", stack.name}, {"TemplateBody", stack.body}};
  if (stack.named_iam) params.emplace_back("Capabilities.member.1", "CAPABILITY_NAMED_IAM");
  return params;
}

}  // namespace

std::string_view StackChangeName(StackChange change) {
  switch (change) {
    case StackChange::kCreated:
      return "created";
    case StackChange::kUpdated:
      return "updated";
    case StackChange::kUnchanged:
      return "unchanged";
  }
  return "unchanged";  // Unreachable for valid enum values.
}

Result<Stack> CloudFormationClient::DescribeStack(const std::string& name) {
  const std::string subject = StackSubject(name);
  ODMD_ASSIGN_OR_RETURN(std::string body, client_.Query(kCloudFormation, "DescribeStacks", kVersion,
                                                        {{"StackName", name}}, subject));
  ODMD_ASSIGN_OR_RETURN(internal::XmlElement xml,
                        internal::ParseXml(body, "cloudformation DescribeStacks"));
  const internal::XmlElement* stacks = xml.Find("Stacks");
  const internal::XmlElement* s = stacks == nullptr ? nullptr : stacks->Child("member");
  if (s == nullptr) return NotFoundError("cloudformation DescribeStacks " + subject + ": no stack");
  Stack out{s->ChildText("StackName"),
            s->ChildText("StackId"),
            s->ChildText("StackStatus"),
            s->ChildText("StackStatusReason"),
            {}};
  if (const internal::XmlElement* outputs = s->Child("Outputs")) {
    for (const internal::XmlElement& o : outputs->children) {
      out.outputs[o.ChildText("OutputKey")] = o.ChildText("OutputValue");
    }
  }
  return out;
}

Status CloudFormationClient::DeleteStack(const std::string& name) {
  return client_
      .Query(kCloudFormation, "DeleteStack", kVersion, {{"StackName", name}},
             "stack \"" + name + "\"")
      .status();
}

Result<std::string> CloudFormationClient::CreateStack(const StackTemplate& stack) {
  ODMD_ASSIGN_OR_RETURN(std::string body,
                        client_.Query(kCloudFormation, "CreateStack", kVersion,
                                      TemplateParams(stack), StackSubject(stack.name)));
  ODMD_ASSIGN_OR_RETURN(internal::XmlElement xml,
                        internal::ParseXml(body, "cloudformation CreateStack"));
  const internal::XmlElement* id = xml.Find("StackId");
  return id == nullptr ? std::string() : id->text;
}

Result<bool> CloudFormationClient::UpdateStack(const StackTemplate& stack) {
  Result<std::string> body = client_.Query(kCloudFormation, "UpdateStack", kVersion,
                                           TemplateParams(stack), StackSubject(stack.name));
  if (!body.ok() &&
      body.status().message().find("No updates are to be performed") != std::string::npos) {
    return false;
  }
  ODMD_RETURN_IF_ERROR(body.status());
  return true;
}

Result<std::string> CloudFormationClient::GetTemplate(const std::string& name) {
  ODMD_ASSIGN_OR_RETURN(std::string body, client_.Query(kCloudFormation, "GetTemplate", kVersion,
                                                        {{"StackName", name}}, StackSubject(name)));
  ODMD_ASSIGN_OR_RETURN(internal::XmlElement xml,
                        internal::ParseXml(body, "cloudformation GetTemplate"));
  const internal::XmlElement* t = xml.Find("TemplateBody");
  return t == nullptr ? std::string() : t->text;
}

Result<Stack> CloudFormationClient::WaitForStack(const std::string& name, const Sleeper& sleeper,
                                                 const StackWait& wait) {
  std::string last;
  for (int i = 0; i < wait.max_polls; ++i) {
    if (i > 0) sleeper(wait.poll);
    ODMD_ASSIGN_OR_RETURN(Stack stack, DescribeStack(name));
    if (!stack.status.ends_with("_IN_PROGRESS")) return stack;
    last = stack.status;
  }
  return UnavailableError("cloudformation " + StackSubject(name) + " is still " + last + " after " +
                          std::to_string(wait.max_polls) + " polls");
}

Result<StackChange> CloudFormationClient::DeployStack(const StackTemplate& stack,
                                                      const Sleeper& sleeper,
                                                      const StackWait& wait) {
  Result<Stack> existing = DescribeStack(stack.name);
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  StackChange change = StackChange::kCreated;
  std::string expected = "CREATE_COMPLETE";
  if (existing.ok()) {
    if (existing->status.ends_with("_IN_PROGRESS")) {
      ODMD_ASSIGN_OR_RETURN(*existing, WaitForStack(stack.name, sleeper, wait));
    }
    ODMD_ASSIGN_OR_RETURN(std::string deployed, GetTemplate(stack.name));
    if (deployed == stack.body) return StackChange::kUnchanged;
    ODMD_ASSIGN_OR_RETURN(bool updating, UpdateStack(stack));
    if (!updating) return StackChange::kUnchanged;
    change = StackChange::kUpdated;
    expected = "UPDATE_COMPLETE";
  } else {
    Result<std::string> created = CreateStack(stack);
    if (!created.ok()) return created.status();
  }
  ODMD_ASSIGN_OR_RETURN(Stack done, WaitForStack(stack.name, sleeper, wait));
  if (done.status != expected) {
    return FailedPreconditionError("cloudformation " + StackSubject(stack.name) + " ended " +
                                   done.status +
                                   (done.status_reason.empty() ? "" : ": " + done.status_reason));
  }
  return change;
}

}  // namespace odmd::aws

#include "odmd/aws/cloudformation.h"

#include "xml.h"

namespace odmd::aws {
namespace {
constexpr char kVersion[] = "2010-05-15";
}  // namespace

Result<Stack> CloudFormationClient::DescribeStack(const std::string& name) {
  const std::string subject = "stack \"" + name + "\"";
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

}  // namespace odmd::aws

#include "odmd/aws/sts.h"

#include "xml.h"

namespace odmd::aws {
namespace {
constexpr char kVersion[] = "2011-06-15";
}  // namespace

Result<CallerIdentity> StsClient::GetCallerIdentity() {
  ODMD_ASSIGN_OR_RETURN(std::string body, client_.Query(kSts, "GetCallerIdentity", kVersion, {}));
  ODMD_ASSIGN_OR_RETURN(internal::XmlElement xml,
                        internal::ParseXml(body, "sts GetCallerIdentity"));
  const internal::XmlElement* r = xml.Find("GetCallerIdentityResult");
  if (r == nullptr) return InternalError("sts GetCallerIdentity: no GetCallerIdentityResult");
  return CallerIdentity{r->ChildText("Account"), r->ChildText("Arn"), r->ChildText("UserId")};
}

Result<AssumedRole> StsClient::AssumeRole(
    const std::string& role_arn, const std::string& session_name, int duration_seconds,
    const std::vector<std::pair<std::string, std::string>>& session_tags) {
  FormParams params = {{"RoleArn", role_arn},
                       {"RoleSessionName", session_name},
                       {"DurationSeconds", std::to_string(duration_seconds)}};
  for (size_t i = 0; i < session_tags.size(); ++i) {
    const std::string member = "Tags.member." + std::to_string(i + 1);
    params.emplace_back(member + ".Key", session_tags[i].first);
    params.emplace_back(member + ".Value", session_tags[i].second);
  }
  ODMD_ASSIGN_OR_RETURN(std::string body, client_.Query(kSts, "AssumeRole", kVersion, params,
                                                        "role \"" + role_arn + "\""));
  ODMD_ASSIGN_OR_RETURN(internal::XmlElement xml, internal::ParseXml(body, "sts AssumeRole"));
  const internal::XmlElement* c = xml.Find("Credentials");
  if (c == nullptr) return InternalError("sts AssumeRole: no Credentials in the answer");
  AssumedRole out;
  out.credentials = {c->ChildText("AccessKeyId"), c->ChildText("SecretAccessKey"),
                     c->ChildText("SessionToken")};
  out.expiration = c->ChildText("Expiration");
  if (const internal::XmlElement* u = xml.Find("AssumedRoleUser")) {
    out.assumed_role_arn = u->ChildText("Arn");
  }
  return out;
}

}  // namespace odmd::aws

// The settings file of `odmd serve --aws-config FILE` (aws_settings.h, docs/aws-targets.md):
// strict JSON (a repeated key, an unknown key or a value of the wrong type is an error
// naming the file and the key's JSON Pointer), then the central credentials from the
// standard AWS chain with the file's region and endpoint winning over the environment's.
#include "odmd/reconcile/aws_settings.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <utility>

#include "odmd/base/strings.h"
#include "odmd/model/strict_json.h"

namespace odmd::reconcile {
namespace {

using nlohmann::json;

// Builds the errors of one file: "<file>: <pointer>: <what>".
class Errors {
 public:
  explicit Errors(std::string file) : file_(std::move(file)) {}
  Status At(std::string_view pointer, std::string_view what) const {
    return InvalidArgumentError(
        "AWS settings " + Quote(file_) + ": " +
        (pointer.empty() ? std::string("the document") : "key " + Quote(pointer)) + ": " +
        std::string(what));
  }

 private:
  std::string file_;
};

bool IsAccountId(std::string_view id) {
  if (id.size() != 12) return false;
  for (char c : id) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsRegion(std::string_view r) {
  if (r.empty()) return false;
  for (char c : r) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

// An EventBridge bus name or ARN: 1-256 of [A-Za-z0-9._-/:].
bool IsBusName(std::string_view b) {
  if (b.size() > 256) return false;
  for (char c : b) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
          c == '/' || c == ':')) {
      return false;
    }
  }
  return true;
}

bool IsEndpointUrl(std::string_view u) {
  auto starts = [&](std::string_view p) { return u.substr(0, p.size()) == p; };
  const size_t scheme = starts("http://") ? 7 : starts("https://") ? 8 : 0;
  if (scheme == 0 || u.size() == scheme) return false;
  for (char c : u) {
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// What the file says, before the credential chain is consulted.
struct FileSettings {
  std::string endpoint_url;
  std::string region;
  std::set<std::string> accounts;
  bool ssm = true;
  std::string event_bus = "default";
  bool secrets_manager = false;
};

Result<std::string> StringAt(const json& v, std::string_view pointer, const Errors& err) {
  if (!v.is_string()) return err.At(pointer, "must be a string");
  return v.get<std::string>();
}

Result<bool> BoolAt(const json& v, std::string_view pointer, const Errors& err) {
  if (!v.is_boolean()) return err.At(pointer, "must be true or false");
  return v.get<bool>();
}

Status ReadAccounts(const json& v, const Errors& err, std::set<std::string>& out) {
  if (!v.is_array()) return err.At("/accounts", "must be an array of 12-digit account ids");
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string pointer = "/accounts/" + std::to_string(i);
    ODMD_ASSIGN_OR_RETURN(std::string id, StringAt(v[i], pointer, err));
    if (!IsAccountId(id)) return err.At(pointer, "account id " + Quote(id) + " is not 12 digits");
    if (!out.insert(id).second) return err.At(pointer, "account id " + Quote(id) + " is repeated");
  }
  return OkStatus();
}

Status ReadProducts(const json& v, const Errors& err, FileSettings& out) {
  if (!v.is_object()) return err.At("/products", "must be an object {\"ssm\", \"event_bus\"}");
  for (const auto& [key, value] : v.items()) {
    const std::string pointer = "/products/" + key;
    if (key == "ssm") {
      ODMD_ASSIGN_OR_RETURN(out.ssm, BoolAt(value, pointer, err));
    } else if (key == "event_bus") {
      ODMD_ASSIGN_OR_RETURN(out.event_bus, StringAt(value, pointer, err));
      if (!IsBusName(out.event_bus)) {
        return err.At(pointer, "bus " + Quote(out.event_bus) +
                                   " is not an EventBridge bus name or ARN ([A-Za-z0-9._-/:], "
                                   "at most 256; \"\" for no events)");
      }
    } else {
      return err.At(pointer, "unknown key (known: ssm, event_bus)");
    }
  }
  return OkStatus();
}

Result<FileSettings> ReadFile(const json& doc, const Errors& err) {
  if (!doc.is_object()) return err.At("", "must be a JSON object");
  FileSettings s;
  bool has_accounts = false;
  for (const auto& [key, value] : doc.items()) {
    const std::string pointer = "/" + key;
    if (key == "endpoint_url") {
      ODMD_ASSIGN_OR_RETURN(s.endpoint_url, StringAt(value, pointer, err));
      if (!IsEndpointUrl(s.endpoint_url)) {
        return err.At(pointer, Quote(s.endpoint_url) + " is not an http:// or https:// URL");
      }
    } else if (key == "region") {
      ODMD_ASSIGN_OR_RETURN(s.region, StringAt(value, pointer, err));
      if (!IsRegion(s.region)) {
        return err.At(pointer, Quote(s.region) + " is not a region name ([a-z0-9-])");
      }
    } else if (key == "accounts") {
      has_accounts = true;
      ODMD_RETURN_IF_ERROR(ReadAccounts(value, err, s.accounts));
    } else if (key == "products") {
      ODMD_RETURN_IF_ERROR(ReadProducts(value, err, s));
    } else if (key == "secrets_manager") {
      ODMD_ASSIGN_OR_RETURN(s.secrets_manager, BoolAt(value, pointer, err));
    } else {
      return err.At(pointer,
                    "unknown key (known: endpoint_url, region, accounts, products, "
                    "secrets_manager)");
    }
  }
  if (!has_accounts) {
    return err.At("/accounts", "is missing (the AWS account ids deployed to AWS; [] for none)");
  }
  return s;
}

}  // namespace

Result<AwsSettings> ParseAwsSettings(const std::string& text, const std::string& file_name,
                                     const aws::EnvLookup& env) {
  const Errors err(file_name);
  model::StrictJson parsed = model::ParseStrictJson(text);
  if (!parsed.value) {
    if (!parsed.duplicate.empty()) return err.At(parsed.duplicate, "is repeated");
    return InvalidArgumentError("AWS settings " + Quote(file_name) + ": not JSON at byte " +
                                std::to_string(parsed.error_byte) + ": " + parsed.error);
  }
  ODMD_ASSIGN_OR_RETURN(FileSettings file, ReadFile(*parsed.value, err));
  // The file's region wins over the environment's (LoadConfig needs one to succeed).
  aws::EnvLookup chain =
      [&env, region = file.region](const std::string& name) -> std::optional<std::string> {
    if (!region.empty() && (name == "AWS_REGION" || name == "AWS_DEFAULT_REGION")) return region;
    return env(name);
  };
  Result<aws::AwsConfig> central = aws::LoadConfig(chain);
  if (!central.ok()) {
    return central.status().WithContext("AWS settings " + Quote(file_name) +
                                        ": the central credentials");
  }
  AwsSettings s;
  s.central = std::move(central).value();
  if (!file.endpoint_url.empty()) {
    // The file's endpoint is every service's: a stray AWS_ENDPOINT_URL_<SERVICE> in the
    // environment must not send one service elsewhere.
    s.central.endpoint_url = file.endpoint_url;
    s.central.service_endpoints.clear();
  }
  s.aws_accounts = std::move(file.accounts);
  s.ssm_products = file.ssm;
  s.event_bus = std::move(file.event_bus);
  s.secrets_manager = file.secrets_manager;
  return s;
}

Result<AwsSettings> LoadAwsSettings(const std::string& path, const aws::EnvLookup& env) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("AWS settings " + Quote(path) + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return UnavailableError("AWS settings " + Quote(path) + ": cannot read the file");
  return ParseAwsSettings(text.str(), path, env);
}

}  // namespace odmd::reconcile

#include "odmd/reconcile/state.h"

#include <array>
#include <charconv>
#include <utility>

#include "odmd/base/check.h"
#include "odmd/base/strings.h"

namespace odmd::reconcile {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 6> kStateNames = {"queued", "running",   "succeeded",
                                                         "failed", "cancelled", "superseded"};

// "d" + 10 digits; events: 12 digits.
constexpr int kDeploymentIdDigits = 10;
constexpr int kEventSeqDigits = 12;

std::string ZeroPadded(std::int64_t n, int digits) {
  std::string text = std::to_string(n);
  ODMD_CHECK(n >= 0 && text.size() <= static_cast<size_t>(digits));
  return std::string(static_cast<size_t>(digits) - text.size(), '0') + text;
}

std::optional<std::int64_t> ParseDigits(std::string_view text, size_t digits) {
  if (text.size() != digits) return std::nullopt;
  std::int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// The length of the valid UTF-8 sequence starting at text[i], or 0 if there is none.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return 1;
  size_t n = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// `text` as a JSON string literal, as nlohmann's dump writes it (bad UTF-8 replaced).
void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(text, i);
      if (n == 0) {
        out += kReplacement;
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

// Writes one JSON object's members in call order.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ObjectWriter& Str(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(out_, value);
    return *this;
  }
  // A string, or null when empty.
  ObjectWriter& IdOrNull(std::string_view key, std::string_view value) {
    if (!value.empty()) return Str(key, value);
    Key(key);
    out_ += "null";
    return *this;
  }
  ObjectWriter& Int(std::string_view key, std::int64_t value) {
    Key(key);
    out_ += std::to_string(value);
    return *this;
  }
  ObjectWriter& Bool(std::string_view key, bool value) {
    Key(key);
    out_ += value ? "true" : "false";
    return *this;
  }
  // Starts a member whose value the caller writes next.
  std::string& Member(std::string_view key) {
    Key(key);
    return out_;
  }
  void End() { out_ += '}'; }

 private:
  void Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonString(out_, key);
    out_ += ':';
  }
  std::string& out_;
  bool first_ = true;
};

// Reads the fields of one JSON object of a record, turning every problem into
// kFailedPrecondition "<record> record <where>: field \"<pointer>\" ...".
class Reader {
 public:
  Reader(std::string_view record, std::string_view where) : record_(record), where_(where) {}

  Status Error(const std::string& pointer, std::string_view problem) const {
    std::string subject = pointer.empty() ? "the record" : "field \"" + pointer + "\"";
    return FailedPreconditionError(std::string(record_) + " record " + std::string(where_) + ": " +
                                   subject + " " + std::string(problem));
  }
  Status NotJson() const {
    return FailedPreconditionError(std::string(record_) + " record " + std::string(where_) +
                                   " is not valid JSON");
  }

  // The member `key` of `object` (at pointer `path`), or an error if it is missing.
  Result<const json*> Member(const json& object, const std::string& path,
                             std::string_view key) const {
    std::string pointer = path + "/" + JsonPointerEscape(key);
    if (!object.is_object()) return Error(path, "is not an object");
    auto it = object.find(key);
    if (it == object.end()) return Error(pointer, "is missing");
    return &*it;
  }

  Result<std::string> String(const json& object, const std::string& path,
                             std::string_view key) const {
    ODMD_ASSIGN_OR_RETURN(const json* value, Member(object, path, key));
    if (!value->is_string()) return Error(Pointer(path, key), "is not a string");
    return value->get<std::string>();
  }
  // A string, or "" for null.
  Result<std::string> OptionalId(const json& object, const std::string& path,
                                 std::string_view key) const {
    ODMD_ASSIGN_OR_RETURN(const json* value, Member(object, path, key));
    if (value->is_null()) return std::string();
    if (!value->is_string() || value->get_ref<const std::string&>().empty()) {
      return Error(Pointer(path, key), "is not a non-empty string or null");
    }
    return value->get<std::string>();
  }
  Result<std::int64_t> Int(const json& object, const std::string& path,
                           std::string_view key) const {
    ODMD_ASSIGN_OR_RETURN(const json* value, Member(object, path, key));
    if (!value->is_number_integer()) return Error(Pointer(path, key), "is not an integer");
    return value->get<std::int64_t>();
  }
  Result<int> SmallInt(const json& object, const std::string& path, std::string_view key) const {
    ODMD_ASSIGN_OR_RETURN(std::int64_t value, Int(object, path, key));
    if (value < INT32_MIN || value > INT32_MAX) {
      return Error(Pointer(path, key), "is out of range");
    }
    return static_cast<int>(value);
  }
  Result<bool> Bool(const json& object, const std::string& path, std::string_view key) const {
    ODMD_ASSIGN_OR_RETURN(const json* value, Member(object, path, key));
    if (!value->is_boolean()) return Error(Pointer(path, key), "is not a boolean");
    return value->get<bool>();
  }
  Result<const json*> Typed(const json& object, const std::string& path, std::string_view key,
                            json::value_t type, std::string_view type_name) const {
    ODMD_ASSIGN_OR_RETURN(const json* value, Member(object, path, key));
    if (value->type() != type) return Error(Pointer(path, key), "is not " + std::string(type_name));
    return value;
  }

  static std::string Pointer(const std::string& path, std::string_view key) {
    return path + "/" + JsonPointerEscape(key);
  }

 private:
  std::string_view record_;
  std::string_view where_;
};

Result<Cause> ReadCause(const Reader& r, const json& object) {
  ODMD_ASSIGN_OR_RETURN(const json* cause,
                        r.Typed(object, "", "cause", json::value_t::object, "an object"));
  Cause out;
  ODMD_ASSIGN_OR_RETURN(out.kind, r.String(*cause, "/cause", "kind"));
  ODMD_ASSIGN_OR_RETURN(out.detail, r.String(*cause, "/cause", "detail"));
  ODMD_ASSIGN_OR_RETURN(out.root, r.String(*cause, "/cause", "root"));
  return out;
}

Result<std::vector<ConsumedValue>> ReadConsumed(const Reader& r, const json& object) {
  ODMD_ASSIGN_OR_RETURN(const json* consumed,
                        r.Typed(object, "", "consumed", json::value_t::array, "an array"));
  std::vector<ConsumedValue> out;
  out.reserve(consumed->size());
  for (size_t i = 0; i < consumed->size(); ++i) {
    const json& item = (*consumed)[i];
    std::string path = "/consumed/" + std::to_string(i);
    if (!item.is_object()) return r.Error(path, "is not an object");
    ConsumedValue value;
    ODMD_ASSIGN_OR_RETURN(value.consumer, r.String(item, path, "consumer"));
    ODMD_ASSIGN_OR_RETURN(value.path, r.String(item, path, "path"));
    ODMD_ASSIGN_OR_RETURN(value.version, r.Int(item, path, "version"));
    ODMD_ASSIGN_OR_RETURN(value.placeholder, r.Bool(item, path, "placeholder"));
    out.push_back(std::move(value));
  }
  return out;
}

Result<std::vector<std::string>> ReadStrings(const Reader& r, const json& object,
                                             std::string_view key) {
  ODMD_ASSIGN_OR_RETURN(const json* array,
                        r.Typed(object, "", key, json::value_t::array, "an array"));
  std::vector<std::string> out;
  out.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    if (!(*array)[i].is_string()) {
      return r.Error(Reader::Pointer("", key) + "/" + std::to_string(i), "is not a string");
    }
    out.push_back((*array)[i].get<std::string>());
  }
  return out;
}

Result<json> ParseText(const Reader& r, std::string_view text) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return r.NotJson();
  if (!root.is_object()) return r.Error("", "is not an object");
  return root;
}

}  // namespace

std::string FormatDeploymentId(std::int64_t n) { return "d" + ZeroPadded(n, kDeploymentIdDigits); }

std::optional<std::int64_t> ParseDeploymentId(std::string_view id) {
  if (!id.starts_with('d')) return std::nullopt;
  return ParseDigits(id.substr(1), kDeploymentIdDigits);
}

std::string DeploymentKey(std::string_view id) {
  return std::string(kDeploymentsPrefix) + std::string(id);
}
std::string QueueKey(std::string_view enver_id) {
  return std::string(kQueuePrefix) + std::string(enver_id);
}
std::string EventKey(std::int64_t seq) {
  return std::string(kEventsPrefix) + ZeroPadded(seq, kEventSeqDigits);
}
std::optional<std::int64_t> ParseEventKey(std::string_view key) {
  if (!key.starts_with(kEventsPrefix)) return std::nullopt;
  return ParseDigits(key.substr(kEventsPrefix.size()), kEventSeqDigits);
}
std::string LogKey(std::string_view deployment_id) {
  return std::string(kLogsPrefix) + std::string(deployment_id);
}
std::string EnverStateKey(std::string_view enver_id) {
  return std::string(kEnversPrefix) + std::string(enver_id);
}
std::string EnverTokenKey(std::string_view enver_id) {
  return std::string(kEnverTokensPrefix) + std::string(enver_id);
}
std::string RepoKey(std::string_view repo) { return std::string(kReposPrefix) + std::string(repo); }
std::string IntakeKey(std::string_view repo) {
  return std::string(kIntakePrefix) + std::string(repo);
}

std::string FormatCounter(std::int64_t n) { return std::to_string(n); }

Result<std::int64_t> ParseCounter(std::string_view key, std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || n < 0) {
    return FailedPreconditionError("counter " + std::string(key) + " holds " + Quote(text) +
                                   "; expected a decimal number >= 0");
  }
  return n;
}

std::string_view DeploymentStateName(DeploymentState state) {
  return kStateNames[static_cast<size_t>(state)];
}

std::optional<DeploymentState> ParseDeploymentState(std::string_view name) {
  for (size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<DeploymentState>(i);
  }
  return std::nullopt;
}

bool IsFinal(DeploymentState state) {
  return state != DeploymentState::kQueued && state != DeploymentState::kRunning;
}

json ToJson(const Deployment& d) {
  json consumed = json::array();
  for (const ConsumedValue& c : d.consumed) {
    consumed.push_back({{"consumer", ValidUtf8(c.consumer)},
                        {"path", ValidUtf8(c.path)},
                        {"version", c.version},
                        {"placeholder", c.placeholder}});
  }
  json published = json::array();
  for (const std::string& path : d.published) published.push_back(ValidUtf8(path));
  json out = {{"id", ValidUtf8(d.id)},
              {"enver", ValidUtf8(d.enver_id)},
              {"sha", ValidUtf8(d.sha)},
              {"state", DeploymentStateName(d.state)},
              {"cause",
               {{"kind", ValidUtf8(d.cause.kind)},
                {"detail", ValidUtf8(d.cause.detail)},
                {"root", ValidUtf8(d.cause.root)}}},
              {"attempt", d.attempt},
              {"queued_at_ms", d.queued_at_ms},
              {"started_at_ms", d.started_at_ms},
              {"finished_at_ms", d.finished_at_ms},
              {"not_before_ms", d.not_before_ms},
              {"reason", ValidUtf8(d.reason)},
              {"owner", ValidUtf8(d.owner)},
              {"exit_code", d.exit_code},
              {"consumed", std::move(consumed)},
              {"published", std::move(published)}};
  if (d.run_id != 0) {
    out["run_id"] = d.run_id;
    out["run_url"] = ValidUtf8(d.run_url);
  }
  return out;
}

std::string ToJsonText(const Deployment& d) {
  std::string out;
  out.reserve(512);
  ObjectWriter w(out);
  w.Str("id", d.id).Str("enver", d.enver_id).Str("sha", d.sha);
  w.Str("state", DeploymentStateName(d.state));
  ObjectWriter cause(w.Member("cause"));
  cause.Str("kind", d.cause.kind).Str("detail", d.cause.detail).Str("root", d.cause.root);
  cause.End();
  w.Int("attempt", d.attempt)
      .Int("queued_at_ms", d.queued_at_ms)
      .Int("started_at_ms", d.started_at_ms)
      .Int("finished_at_ms", d.finished_at_ms)
      .Int("not_before_ms", d.not_before_ms)
      .Str("reason", d.reason)
      .Str("owner", d.owner)
      .Int("exit_code", d.exit_code);
  w.Member("consumed") += '[';
  for (size_t i = 0; i < d.consumed.size(); ++i) {
    if (i > 0) out += ',';
    const ConsumedValue& c = d.consumed[i];
    ObjectWriter item(out);
    item.Str("consumer", c.consumer)
        .Str("path", c.path)
        .Int("version", c.version)
        .Bool("placeholder", c.placeholder);
    item.End();
  }
  out += ']';
  w.Member("published") += '[';
  for (size_t i = 0; i < d.published.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, d.published[i]);
  }
  out += ']';
  if (d.run_id != 0) w.Int("run_id", d.run_id).Str("run_url", d.run_url);
  w.End();
  return out;
}

Result<Deployment> DeploymentFromJson(const json& object, std::string_view where) {
  Reader r("deployment", where);
  if (!object.is_object()) return r.Error("", "is not an object");
  Deployment d;
  ODMD_ASSIGN_OR_RETURN(d.id, r.String(object, "", "id"));
  ODMD_ASSIGN_OR_RETURN(d.enver_id, r.String(object, "", "enver"));
  ODMD_ASSIGN_OR_RETURN(d.sha, r.String(object, "", "sha"));
  ODMD_ASSIGN_OR_RETURN(std::string state, r.String(object, "", "state"));
  std::optional<DeploymentState> parsed = ParseDeploymentState(state);
  if (!parsed) return r.Error("/state", "is " + Quote(state) + ", not a deployment state");
  d.state = *parsed;
  ODMD_ASSIGN_OR_RETURN(d.cause, ReadCause(r, object));
  ODMD_ASSIGN_OR_RETURN(d.attempt, r.SmallInt(object, "", "attempt"));
  ODMD_ASSIGN_OR_RETURN(d.queued_at_ms, r.Int(object, "", "queued_at_ms"));
  ODMD_ASSIGN_OR_RETURN(d.started_at_ms, r.Int(object, "", "started_at_ms"));
  ODMD_ASSIGN_OR_RETURN(d.finished_at_ms, r.Int(object, "", "finished_at_ms"));
  ODMD_ASSIGN_OR_RETURN(d.not_before_ms, r.Int(object, "", "not_before_ms"));
  ODMD_ASSIGN_OR_RETURN(d.reason, r.String(object, "", "reason"));
  ODMD_ASSIGN_OR_RETURN(d.owner, r.String(object, "", "owner"));
  ODMD_ASSIGN_OR_RETURN(d.exit_code, r.SmallInt(object, "", "exit_code"));
  ODMD_ASSIGN_OR_RETURN(d.consumed, ReadConsumed(r, object));
  ODMD_ASSIGN_OR_RETURN(d.published, ReadStrings(r, object, "published"));
  if (object.contains("run_id")) {
    ODMD_ASSIGN_OR_RETURN(d.run_id, r.Int(object, "", "run_id"));
    ODMD_ASSIGN_OR_RETURN(d.run_url, r.String(object, "", "run_url"));
  }
  return d;
}

Result<Deployment> ParseDeployment(std::string_view text, std::string_view where) {
  ODMD_ASSIGN_OR_RETURN(json root, ParseText(Reader("deployment", where), text));
  return DeploymentFromJson(root, where);
}

json ToJson(const Event& e) {
  json fields = json::object();
  for (const auto& [name, value] : e.fields) fields[ValidUtf8(name)] = ValidUtf8(value);
  return {{"seq", e.seq},
          {"time_ms", e.time_ms},
          {"kind", ValidUtf8(e.kind)},
          {"enver", ValidUtf8(e.enver_id)},
          {"message", ValidUtf8(e.message)},
          {"suggestion", ValidUtf8(e.suggestion)},
          {"fields", std::move(fields)},
          {"revision", e.revision}};
}

std::string ToJsonText(const Event& e) {
  std::string out;
  out.reserve(256);
  ObjectWriter w(out);
  w.Int("seq", e.seq)
      .Int("time_ms", e.time_ms)
      .Str("kind", e.kind)
      .Str("enver", e.enver_id)
      .Str("message", e.message)
      .Str("suggestion", e.suggestion);
  ObjectWriter fields(w.Member("fields"));
  for (const auto& [name, value] : e.fields) fields.Str(name, value);
  fields.End();
  w.End();
  return out;
}

Result<Event> EventFromJson(const json& object, std::string_view where) {
  Reader r("event", where);
  if (!object.is_object()) return r.Error("", "is not an object");
  Event e;
  ODMD_ASSIGN_OR_RETURN(e.seq, r.Int(object, "", "seq"));
  ODMD_ASSIGN_OR_RETURN(e.time_ms, r.Int(object, "", "time_ms"));
  ODMD_ASSIGN_OR_RETURN(e.kind, r.String(object, "", "kind"));
  ODMD_ASSIGN_OR_RETURN(e.enver_id, r.String(object, "", "enver"));
  ODMD_ASSIGN_OR_RETURN(e.message, r.String(object, "", "message"));
  ODMD_ASSIGN_OR_RETURN(e.suggestion, r.String(object, "", "suggestion"));
  ODMD_ASSIGN_OR_RETURN(const json* fields,
                        r.Typed(object, "", "fields", json::value_t::object, "an object"));
  for (const auto& [name, value] : fields->items()) {
    if (!value.is_string()) return r.Error("/fields/" + JsonPointerEscape(name), "is not a string");
    e.fields.emplace(name, value.get<std::string>());
  }
  // Optional: only the JSON a reader produced has it, never the stored record.
  if (object.contains("revision")) {
    ODMD_ASSIGN_OR_RETURN(e.revision, r.Int(object, "", "revision"));
  }
  return e;
}

Result<Event> ParseEvent(std::string_view text, std::string_view where) {
  ODMD_ASSIGN_OR_RETURN(json root, ParseText(Reader("event", where), text));
  return EventFromJson(root, where);
}

json ToJson(const QueueRecord& record) {
  auto id = [](const std::string& s) { return s.empty() ? json(nullptr) : json(ValidUtf8(s)); };
  return {{"pending", id(record.pending)}, {"running", id(record.running)}};
}

std::string ToJsonText(const QueueRecord& record) {
  std::string out;
  ObjectWriter w(out);
  w.IdOrNull("pending", record.pending).IdOrNull("running", record.running);
  w.End();
  return out;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

Result<QueueRecord> QueueRecordFromJson(const json& object, std::string_view where) {
  Reader r("queue", where);
  if (!object.is_object()) return r.Error("", "is not an object");
  QueueRecord record;
  ODMD_ASSIGN_OR_RETURN(record.pending, r.OptionalId(object, "", "pending"));
  ODMD_ASSIGN_OR_RETURN(record.running, r.OptionalId(object, "", "running"));
  return record;
}

Result<QueueRecord> ParseQueueRecord(std::string_view text, std::string_view where) {
  ODMD_ASSIGN_OR_RETURN(json root, ParseText(Reader("queue", where), text));
  return QueueRecordFromJson(root, where);
}

}  // namespace odmd::reconcile

// Placeholder implementation while the platform core is being written: every operation
// reports kUnimplemented. Replaced by the real core in this same file.
#include "odmd/reconcile/platform.h"

namespace odmd::reconcile {

class Platform::Impl {};

namespace {
Status NotYet() { return UnimplementedError("the platform core is not built yet"); }
}  // namespace

Platform::Platform(store::ConfigStore&, Git&, Runner&, Clock&, const access::SecretBox&,
                   PlatformOptions)
    : impl_(std::make_unique<Impl>()) {}
Platform::~Platform() = default;
Status Platform::Start() { return NotYet(); }
void Platform::Stop() {}
Status Platform::RegisterRepo(const RepoRegistration&) { return NotYet(); }
Result<std::vector<RepoRegistration>> Platform::ListRepos() { return NotYet(); }
Result<IntakeReport> Platform::Scan(std::string_view) { return NotYet(); }
Result<IntakeReport> Platform::IngestPush(const PushEvent&) { return NotYet(); }
Result<PublishReport> Platform::PublishManifest(const access::Principal&, std::string_view) {
  return NotYet();
}
Result<store::WriteResult> Platform::PutProduct(const access::Principal&, std::string_view,
                                                std::string_view) {
  return NotYet();
}
Result<store::Entry> Platform::GetProduct(const access::Principal&, std::string_view) {
  return NotYet();
}
Result<nlohmann::json> Platform::Redeploy(const access::Principal&, std::string_view) {
  return NotYet();
}
Result<nlohmann::json> Platform::ListEnvers() { return NotYet(); }
Result<nlohmann::json> Platform::GetEnver(std::string_view) { return NotYet(); }
Result<nlohmann::json> Platform::ListDeployments(std::string_view, int) { return NotYet(); }
Result<nlohmann::json> Platform::GetDeployment(std::string_view) { return NotYet(); }
Result<std::string> Platform::GetLog(std::string_view) { return NotYet(); }
Result<nlohmann::json> Platform::ListEvents(std::int64_t, int) { return NotYet(); }
Result<store::WatchHandlePtr> Platform::FollowEvents(std::int64_t,
                                                     std::function<void(const nlohmann::json&)>) {
  return NotYet();
}
Result<std::vector<std::pair<std::string, std::string>>> Platform::CiContext(
    const access::Principal&, std::string_view, std::string_view) {
  return NotYet();
}
Result<int> Platform::RunOnce() { return NotYet(); }
bool Platform::WaitIdle(std::chrono::milliseconds) { return false; }

}  // namespace odmd::reconcile

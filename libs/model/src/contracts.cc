#include "odmd/model/contracts.h"

#include "odmd/model/naming.h"
#include "odmd/model/validate.h"

namespace odmd::model {

Consumer& ConsumerRef::consumer() {
  return c_->org_.builds[build_].envers[enver_].consumers[consumer_];
}

ConsumerRef& ConsumerRef::Placeholder(std::string value) {
  consumer().placeholder = std::move(value);
  return *this;
}

ConsumerRef& ConsumerRef::OnChange(Reaction reaction) {
  consumer().reaction = reaction;
  return *this;
}

template <RevType kType>
Enver& EnverRef<kType>::enver() {
  return c_->org_.builds[build_].envers[enver_];
}

template <RevType kType>
ProductRef<kType> EnverRef<kType>::Produces(std::string name) {
  enver().products.push_back(Product{name});
  return ProductRef<kType>(id(), std::move(name));
}

template <RevType kType>
ConsumerRef EnverRef<kType>::AddConsumer(std::string name, std::string producer,
                                         std::string product) {
  Consumer consumer;
  consumer.name = std::move(name);
  consumer.producer = std::move(producer);
  consumer.product = std::move(product);
  enver().consumers.push_back(std::move(consumer));
  enver().inherits_consumers = false;  // a declared clone with a consumer has its own
  return ConsumerRef(c_, build_, enver_, enver().consumers.size() - 1);
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::BuildScript(std::string path) {
  enver().build_script = std::move(path);
  return *this;
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::WorkDir(std::string dir) {
  enver().work_dir = std::move(dir);
  return *this;
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::Ephemeral(bool ephemeral) {
  enver().ephemeral = ephemeral;
  return *this;
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::CloneLimit(int limit) {
  enver().clone_limit = limit;
  return *this;
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::OverwriteWorkflow(bool overwrite) {
  enver().overwrite_workflow = overwrite;
  return *this;
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::Stacks(std::vector<std::string> bases) {
  enver().stacks = std::move(bases);
  return *this;
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::Config(std::string json) {
  enver().config = std::move(json);
  return *this;
}

template <RevType kType>
EnverRef<kType>& EnverRef<kType>::EnverContextMd(std::string path) {
  enver().enver_context_md = std::move(path);
  return *this;
}

template <RevType kType>
std::string EnverRef<kType>::id() const {
  const Build& b = c_->org_.builds[build_];
  return EnverId(b.id, b.envers[enver_].rev);
}

template class EnverRef<RevType::kBranch>;
template class EnverRef<RevType::kTag>;

namespace {

Enver NewEnver(RevRef rev, const AccountRef& account, std::string region, BuildKind kind) {
  Enver e;
  e.rev = std::move(rev);
  e.account = account.name;
  e.region = std::move(region);
  e.ephemeral = DefaultEphemeral(kind);
  return e;
}

}  // namespace

BranchEnverRef BuildRef::Branch(std::string branch, const AccountRef& account, std::string region) {
  Build& b = c_->org_.builds[build_];
  b.envers.push_back(
      NewEnver(RevRef::Branch(std::move(branch)), account, std::move(region), b.kind));
  return BranchEnverRef(c_, build_, b.envers.size() - 1);
}

TagEnverRef BuildRef::Tag(std::string tag, const AccountRef& account, std::string region) {
  Build& b = c_->org_.builds[build_];
  b.envers.push_back(NewEnver(RevRef::Tag(std::move(tag)), account, std::move(region), b.kind));
  return TagEnverRef(c_, build_, b.envers.size() - 1);
}

size_t BuildRef::AddClone(size_t origin_build, size_t origin_enver, std::string branch) {
  const Enver origin = c_->org_.builds[origin_build].envers[origin_enver];
  Build& b = c_->org_.builds[build_];
  Enver clone = origin;  // flags, products and settings as the origin's
  clone.rev = origin.rev.is_clone()
                  ? RevRef::Branch(std::move(branch))  // R9 reports the clone of a clone
                  : RevRef::CloneOf(origin.rev, RevType::kBranch, std::move(branch));
  clone.consumers.clear();
  clone.inherits_consumers = true;
  b.envers.push_back(std::move(clone));
  return b.envers.size() - 1;
}

BuildRef& BuildRef::Config(std::string json) {
  c_->org_.builds[build_].config = std::move(json);
  return *this;
}

BuildRef& BuildRef::ServiceOverviewMd(std::string path) {
  c_->org_.builds[build_].service_overview_md = std::move(path);
  return *this;
}

BuildRef& BuildRef::ServiceContextMd(std::string path) {
  c_->org_.builds[build_].service_context_md = std::move(path);
  return *this;
}

const std::string& BuildRef::id() const { return c_->org_.builds[build_].id; }

Contracts::Contracts(std::string org_name, std::string version) {
  org_.name = std::move(org_name);
  org_.version = std::move(version);
}

AccountRef Contracts::AddAccount(std::string name, std::string id) {
  org_.accounts.push_back(Account{name, std::move(id)});
  return AccountRef{std::move(name)};
}

void Contracts::SetCentral(const AccountRef& account) { org_.central_account = account.name; }

RepoRef Contracts::AddRepo(std::string owner, std::string name, std::int64_t installation_id) {
  return RepoRef{Repo{std::move(owner), std::move(name), installation_id}};
}

BuildRef Contracts::AddBuild(std::string id, BuildKind kind, const RepoRef& repo) {
  Build b;
  b.id = std::move(id);
  b.kind = kind;
  b.repo = repo.repo;
  org_.builds.push_back(std::move(b));
  return BuildRef(this, org_.builds.size() - 1);
}

Org Contracts::Finish() const {
  Org org = org_;
  InheritCloneConsumers(org);
  Canonicalize(org);
  return org;
}

std::vector<Violation> Contracts::Validate() const { return model::Validate(Finish()); }

}  // namespace odmd::model

// Reactions: every new version of a product applies each consumer's reaction. `redeploy`
// queues a deployment, `notify` records an alert, `ignore` does nothing; tag envers never
// react; a consumer that ran on the product's placeholder is redeployed whatever its
// reaction (that is how cycles converge). All deployments and alerts of one change go to
// the store in one batch. The root cause of the change (the deployment that published it)
// travels with the queued deployments, so a cascade queues one deployment per enver.
// Every new version of a declared product is also recorded as a "product.published" event,
// in the same commit as its reactions.
// Exactly once across crashes: the commit of a product version's reactions also records it
// as handled (kReactionsDonePrefix: the revision of the last version handled, one record per
// product) and, from the reaction loop, the loop's cursor. A restarted platform watches from
// the cursor and skips what the records say was handled; nothing is kept in memory.
#include <map>
#include <optional>
#include <utility>

#include "../crash_point.h"
#include "impl.h"
#include "odmd/base/strings.h"
#include "odmd/model/naming.h"
#include "odmd/reconcile/state.h"
#include "records.h"

namespace odmd::reconcile {

namespace {

// From this many consumers of a change on, their states are read with one List of the
// envers' records rather than a Get each (issue 17: 1,000 Gets were a tenth of a change's
// reactions).
constexpr size_t kListStatesFrom = 32;

// The states of a change's consumers: a Get each, or one List when they are many.
class ConsumerStates {
 public:
  ConsumerStates(store::ConfigStore& store, size_t consumers)
      : store_(store), list_(consumers >= kListStatesFrom) {}

  Result<EnverState> Read(const std::string& enver_id) {
    if (!list_) return ReadEnverState(store_, enver_id);
    if (!listed_) {
      ODMD_ASSIGN_OR_RETURN(std::vector<store::Entry> entries, store_.List(kEnversPrefix));
      listed_.emplace();
      for (store::Entry& e : entries) listed_->emplace(e.key, std::move(e));
    }
    auto it = listed_->find(EnverStateKey(enver_id));
    if (it == listed_->end()) {
      EnverState state;
      state.enver_id = enver_id;
      return state;
    }
    return ParseEnverState(enver_id, it->second);
  }

 private:
  store::ConfigStore& store_;
  const bool list_;
  std::optional<std::map<std::string, store::Entry, std::less<>>> listed_;
};

// "/odmd/reactions/done/<build>/<rev>/<product>" for "/odmd-share/<build>/<rev>/<product>".
std::string DoneKey(std::string_view path) {
  return std::string(kReactionsDonePrefix) + std::string(path.substr(access::kSharePrefix.size()));
}

}  // namespace

Status Platform::Impl::StartReactions() {
  store::Revision cursor = 0;
  Result<store::Entry> e = store_.Get(kReactionsCursorKey);
  if (e.ok()) {
    cursor = std::strtoll(e->value.c_str(), nullptr, 10);
  } else if (!IsNotFound(e.status())) {
    return e.status();
  }
  {
    std::lock_guard<std::mutex> lock(reactions_mu_);
    reactions_stop_ = false;
  }
  reactions_thread_ = std::thread([this] { ReactionLoop(); });
  ODMD_ASSIGN_OR_RETURN(
      store::WatchHandlePtr watch,
      store_.Watch(access::kSharePrefix, cursor, [this](const store::ChangeEvent& change) {
        std::lock_guard<std::mutex> lock(reactions_mu_);
        reaction_backlog_.push_back(change);
        reactions_cv_.notify_all();
      }));
  std::lock_guard<std::mutex> lock(reactions_mu_);
  product_watch_ = std::move(watch);
  return OkStatus();
}

void Platform::Impl::StopReactions() {
  store::WatchHandlePtr watch;
  {
    std::lock_guard<std::mutex> lock(reactions_mu_);
    reactions_stop_ = true;
    watch = std::move(product_watch_);
  }
  watch.reset();
  reactions_cv_.notify_all();
  if (reactions_thread_.joinable()) reactions_thread_.join();
}

void Platform::Impl::ReactionLoop() {
  std::unique_lock<std::mutex> lock(reactions_mu_);
  while (true) {
    reactions_cv_.wait(lock, [&] { return reactions_stop_ || !reaction_backlog_.empty(); });
    if (reactions_stop_) return;
    store::ChangeEvent change = std::move(reaction_backlog_.front());
    reaction_backlog_.pop_front();
    ++reactions_in_flight_;
    lock.unlock();
    bool cursor_written = false;
    if (change.kind == store::ChangeKind::kPut) {
      Result<bool> reacted = React(change.key, change.version, change.revision);
      if (reacted.ok()) {
        cursor_written = *reacted;
      } else {
        Event e;
        e.kind = "alert";
        e.message = "reactions to " + change.key + " v" + std::to_string(change.version) +
                    " failed: " + reacted.status().ToString();
        (void)Emit(std::move(e));
      }
    }
    if (!cursor_written) {
      (void)store_.Put(kReactionsCursorKey, std::to_string(change.revision), std::nullopt);
    }
    lock.lock();
    --reactions_in_flight_;
    Wake();
  }
}

bool Platform::Impl::ReactionsIdle() {
  std::lock_guard<std::mutex> lock(reactions_mu_);
  return reaction_backlog_.empty() && reactions_in_flight_ == 0;
}

Status Platform::Impl::ReactTo(const std::string& path, store::Version version) {
  return React(path, version, std::nullopt).status();
}

Result<bool> Platform::Impl::React(const std::string& path, store::Version version,
                                   std::optional<store::Revision> cursor) {
  if (path.size() >= kConsumedSuffix.size() &&
      path.compare(path.size() - kConsumedSuffix.size(), kConsumedSuffix.size(), kConsumedSuffix) ==
          0) {
    return false;
  }
  const std::string key = path + "@" + std::to_string(version);
  // One reaction at a time: the watch thread and the workers both call in.
  std::lock_guard<std::mutex> lock(reacted_mu_);
  Result<store::Entry> written = store_.GetVersion(path, version);
  if (IsNotFound(written.status())) return false;  // its history is gone: nothing to do
  if (!written.ok()) return written.status();
  // Handled already (before a crash, or by the other caller): the done record is at or past it.
  const std::string done_key = DoneKey(path);
  Result<store::Entry> done = store_.Get(done_key);
  if (!done.ok() && !IsNotFound(done.status())) return done.status();
  if (done.ok() && std::strtoll(done->value.c_str(), nullptr, 10) >= written->revision) {
    return false;
  }
  std::vector<store::BatchOp> ops;
  ops.push_back(store::BatchOp::Put(done_key, std::to_string(written->revision),
                                    done.ok() ? done->revision : store::Revision{0}));
  if (cursor) {
    ops.push_back(store::BatchOp::Put(std::string(kReactionsCursorKey), std::to_string(*cursor)));
  }
  WorldPtr w = world();
  const model::Graph& graph = w->graph();
  std::optional<model::ProductLocation> loc = graph.FindProduct(path);
  if (!loc) return false;
  const std::string producer_id = graph.node(loc->enver).id;
  ODMD_ASSIGN_OR_RETURN(EnverState producer, ReadEnverState(store_, producer_id));
  Cause cause;
  cause.root =
      producer.status == "running" && !producer.root.empty() ? producer.root : "product:" + key;
  std::vector<EnqueueRequest> requests;
  std::vector<Event> events;
  const model::SharedText& product = graph.enver(loc->enver).products[loc->product_index].name;
  if (product != "contractsLibLatest") {
    // The console follows product changes through this event (one per version).
    Event e;
    e.kind = "product.published";
    e.enver_id = producer_id;
    e.message = producer_id + " published " + product + " version " + std::to_string(version);
    e.fields = {{"path", path},
                {"version", std::to_string(version)},
                {"revision", std::to_string(written->revision)}};
    events.push_back(std::move(e));
  }
  std::vector<std::string> unconverged;
  std::vector<std::string> active = queue_.ActiveEnvers();
  std::set<std::string> active_set(active.begin(), active.end());
  ConsumerStates states(store_, graph.dependents(loc->enver).size());
  for (model::EdgeIndex ei : graph.dependents(loc->enver)) {
    const model::Edge& edge = graph.edge(ei);
    if (edge.product_index != loc->product_index) continue;
    const model::Enver& consumer_enver = graph.enver(edge.consumer);
    const model::Build& consumer_build = graph.build(edge.consumer);
    const model::Consumer& consumer = graph.consumer(edge);
    const std::string cid = graph.node(edge.consumer).id;
    if (consumer_enver.rev.IsImmutable()) continue;  // tags never react
    bool placeholder = false;
    if (edge.has_placeholder) {
      const auto consumed = ReadConsumedVersions(store_, consumer_build, consumer_enver);
      auto it = consumed.find(consumer.name);
      placeholder = it != consumed.end() && it->second.placeholder;
    }
    model::Reaction reaction = placeholder ? model::Reaction::kRedeploy : consumer.reaction;
    if (reaction == model::Reaction::kIgnore) continue;
    if (reaction == model::Reaction::kNotify) {
      Event e;
      e.kind = "alert";
      e.enver_id = cid;
      e.message = path + " changed to version " + std::to_string(version) + "; " + cid +
                  " consumes it as " + Quote(consumer.name) + " with reaction notify";
      e.suggestion = "redeploy it when ready: odmd redeploy " + cid;
      e.fields = {
          {"product", path}, {"version", std::to_string(version)}, {"consumer", consumer.name}};
      events.push_back(std::move(e));
      continue;
    }
    ODMD_ASSIGN_OR_RETURN(EnverState state, states.Read(cid));
    if (state.sha.empty() && !active_set.count(cid)) continue;  // never deployed: nothing to redo
    if (state.status == "deleted") continue;
    int& rounds = rounds_[{cid, cause.root}];
    if (++rounds > options_.max_rounds) {
      unconverged.push_back(cid);
      continue;
    }
    EnqueueRequest r;
    r.enver_id = cid;
    r.cause.kind = placeholder ? "placeholder" : "reaction";
    r.cause.detail = path + " v" + std::to_string(version) +
                     (placeholder ? " replaces the placeholder of " : " changed; consumed as ") +
                     Quote(consumer.name);
    r.cause.root = cause.root;
    requests.push_back(std::move(r));
  }
  if (!unconverged.empty()) {
    Event e;
    e.kind = "convergence.failed";
    e.message = "redeploys caused by " + cause.root + " did not converge within " +
                std::to_string(options_.max_rounds) +
                " rounds; envers involved: " + StrJoin(unconverged, ", ");
    e.suggestion = "look for a cycle whose products change on every deployment";
    events.push_back(std::move(e));
  }
  ODMD_RETURN_IF_ERROR(EnqueueAll(std::move(requests), std::move(events), std::move(ops)));
  CrashPoint("reactions.committed");
  return cursor.has_value();
}

}  // namespace odmd::reconcile

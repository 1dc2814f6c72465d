// odmd plan <manifest>: the bootstrap plan, wave by wave, with explanations.
#include <memory>

#include "command.h"
#include "common.h"
#include "odmd/base/strings.h"
#include "odmd/model/plan.h"

namespace odmd::cli {

namespace {

nlohmann::json PlanJson(const model::Plan& plan, const model::PlanExplainer& why) {
  nlohmann::json steps = nlohmann::json::array();
  for (const model::PlanStep& s : plan.steps) {
    steps.push_back({{"wave", s.wave},
                     {"enver", s.enver_id},
                     {"kind", model::StepKindName(s.kind)},
                     {"placeholders", s.placeholders},
                     {"explanation", why.Explain(s)}});
  }
  return {{"waves", plan.wave_count},
          {"converged", plan.converged},
          {"unconverged", plan.unconverged},
          {"steps", std::move(steps)}};
}

// `why` is null when the steps go unexplained (--brief).
void PrintPlan(Io& io, const model::Plan& plan, const model::PlanExplainer* why) {
  int wave = 0;
  for (const model::PlanStep& s : plan.steps) {
    if (s.wave != wave) {
      wave = s.wave;
      io.out << "wave " << wave << ":\n";
    }
    io.out << "  " << model::StepKindName(s.kind) << " " << s.enver_id;
    if (!s.placeholders.empty())
      io.out << " (placeholders: " << StrJoin(s.placeholders, ", ") << ")";
    io.out << "\n";
    if (why != nullptr) io.out << "      why: " << why->Explain(s) << "\n";
  }
  io.out << plan.steps.size() << " steps in " << plan.wave_count << " waves"
         << (plan.converged ? "" : "; NOT converged: " + StrJoin(plan.unconverged, ", ")) << "\n";
}

}  // namespace

RunFn SetupPlan(CLI::App& sub, Io& io) {
  struct Opts {
    std::string manifest;
    bool json = false;
    bool brief = false;
    int max_rounds = model::PlanOptions{}.max_rounds;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  AddJsonFlag(sub, o->json);
  sub.add_flag("--brief", o->brief, "Omit the explanation of each step");
  sub.add_option("--max-rounds", o->max_rounds, "Redeploy rounds allowed per cycle")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  return [o, &io]() {
    auto org = LoadManifestOrReport(io, o->json, o->manifest);
    if (!org) return kExitFailure;
    model::Graph graph(*org);
    model::Plan plan = model::ComputeBootstrapPlan(graph, {.max_rounds = o->max_rounds});
    if (o->json) {
      PrintJson(io, PlanJson(plan, model::PlanExplainer(graph, plan)));
    } else if (o->brief) {
      PrintPlan(io, plan, nullptr);
    } else {
      model::PlanExplainer why(graph, plan);
      PrintPlan(io, plan, &why);
    }
    return plan.converged ? kExitOk : kExitFailure;
  };
}

}  // namespace odmd::cli

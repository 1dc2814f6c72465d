#pragma once

// Private to validation: the check function of every rule (one row each in the table in
// validate.cc) and the small helpers the rules_*.cc files share to phrase a violation the
// same way everywhere: a JSON Pointer path in the manifest layout, a subject naming ids,
// the offending value and a lowercase message. The manifest reader shares DidYouMean.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "odmd/model/graph.h"
#include "odmd/model/org.h"
#include "odmd/model/validate.h"
#include "odmd/model/violation.h"

namespace odmd::model::rules {

// rules_names.cc
void CheckBuildIds(const RuleInput& in, std::vector<Violation>* out);      // R1
void CheckRevs(const RuleInput& in, std::vector<Violation>* out);          // R2
void CheckDerivedNames(const RuleInput& in, std::vector<Violation>* out);  // R10
// rules_deps.cc
void CheckImmutableConsumes(const RuleInput& in, std::vector<Violation>* out);  // R3
void CheckConsumerTargets(const RuleInput& in, std::vector<Violation>* out);    // R4
void CheckSameRegion(const RuleInput& in, std::vector<Violation>* out);         // R5
void CheckProducerOnly(const RuleInput& in, std::vector<Violation>* out);       // R6
void CheckCycles(const RuleInput& in, std::vector<Violation>* out);             // R8
// rules_org.cc
void CheckSingletons(const RuleInput& in, std::vector<Violation>* out);  // R7
void CheckClones(const RuleInput& in, std::vector<Violation>* out);      // R9
void CheckAccounts(const RuleInput& in, std::vector<Violation>* out);    // R11
void CheckHasEnvers(const RuleInput& in, std::vector<Violation>* out);   // R12
void CheckNetworking(const RuleInput& in, std::vector<Violation>* out);  // R13

// The graph node of each enver, for rules that walk the org in order: nodes are numbered in
// org order, skipping envers that repeat an earlier enver's id (R2).
class NodeCursor {
 public:
  explicit NodeCursor(const Graph& graph) : graph_(graph) {}
  // The node of enver `e` of build `b`, or nullopt. Call for every enver, in org order.
  std::optional<EnverIndex> Next(size_t b, size_t e) {
    if (next_ < graph_.enver_count() && graph_.node(next_).build_index == b &&
        graph_.node(next_).enver_index == e) {
      return next_++;
    }
    return std::nullopt;
  }

 private:
  const Graph& graph_;
  EnverIndex next_ = 0;
};

// "/builds/3", "/builds/3/envers/0", "/builds/3/envers/0/consumers/1", ...
std::string BuildPath(size_t b);
std::string EnverPath(size_t b, size_t e);
std::string ProductPathOf(size_t b, size_t e, size_t p);
std::string ConsumerPathOf(size_t b, size_t e, size_t c);

// `build "orderSvc"`, `enver "svcA/b..main"`, `enver "svcA/b..main": consumer "vpc"`,
// `enver "svcA/b..main": product "url"`, `account "central"`, `org "sandbox"`.
std::string BuildSubject(const Build& b);
std::string EnverSubject(const Build& b, const Enver& e);
std::string ConsumerSubject(const Build& b, const Enver& e, const Consumer& c);
std::string ProductSubject(const Build& b, const Enver& e, const Product& p);
std::string AccountSubject(const Account& a);
std::string OrgSubject(const Org& org);

// Appends one violation.
void Report(std::vector<Violation>* out, std::string_view rule, std::string path,
            std::string subject, std::string value, std::string message);

// For every name equal to an earlier one in `names` (name, original index, indices
// increasing), returns (index, index of its first occurrence), ordered by index. Through a
// hash table: on the stack for small lists (an enver's consumers), so a loop over many small
// groups does not allocate per group.
std::vector<std::pair<std::uint32_t, std::uint32_t>> FindDuplicates(
    const std::vector<std::pair<std::string_view, std::uint32_t>>& names);

// `; did you mean "x"` for the candidate closest to `word` (edit distance at most 2), or "".
// Only words up to 256 bytes and candidates of nearly the same length are compared, so a
// hostile multi-megabyte name cannot make one suggestion cost length squared.
std::string DidYouMean(std::string_view word, std::span<const std::string_view> candidates);

// Edit-distance suggestions cost O(candidates) each, so a hostile manifest with a million
// misspelt names could make them quadratic. Each check function owns one budget and stops
// suggesting once it is spent; the violations themselves are always reported.
class SuggestionBudget {
 public:
  // `; did you mean "x"` or "" when nothing is close or the budget is spent.
  std::string DidYouMean(std::string_view word, std::span<const std::string> candidates);

 private:
  int left_ = 100;
};

}  // namespace odmd::model::rules

#pragma once

// RecordingRunner: the Runner test double (ninja's FakeCommandRunner). Header-only, since
// odmd_testing links base only: tests that use it link odmd::reconcile.

#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "odmd/base/status.h"
#include "odmd/reconcile/runner.h"

namespace odmd::testing {

// Records every request and answers from a script: each Run takes the next scripted answer
// (in the order added); with the script empty it succeeds (exit code 0, no log). A scripted
// log is sent to the request's log sink and written to its log file, and counted in
// log_bytes. Starts no process. Thread-safe.
class RecordingRunner final : public reconcile::Runner {
 public:
  // The next unanswered Run returns `result` after logging `log`.
  void AddResult(reconcile::RunResult result, std::string log = "") {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(Answer{OkStatus(), std::move(result), std::move(log)});
  }
  // The next unanswered Run fails with `status` (it "could not start").
  void AddError(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(Answer{std::move(status), {}, ""});
  }

  Result<reconcile::RunResult> Run(const reconcile::RunRequest& request) override {
    Answer answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      std::string joined;
      for (const std::string& arg : request.argv) {
        if (!joined.empty()) joined += ' ';
        joined += arg;
      }
      commands_ran_.push_back(std::move(joined));
      if (!script_.empty()) {
        answer = std::move(script_.front());
        script_.pop_front();
      } else {
        answer.result.exit_code = 0;
      }
    }
    if (!answer.status.ok()) return answer.status;
    if (!answer.log.empty()) {
      if (request.log_sink) request.log_sink(answer.log);
      if (!request.log_path.empty()) std::ofstream(request.log_path) << answer.log;
    }
    answer.result.log_bytes = answer.log.size();
    return answer.result;
  }

  // Each run's argv joined by spaces, in the order run.
  std::vector<std::string> commands_ran() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commands_ran_;
  }
  // Each run's request, in the order run (sinks and cancel pointers copied as given).
  std::vector<reconcile::RunRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  struct Answer {
    Status status;
    reconcile::RunResult result;
    std::string log;
  };

  mutable std::mutex mu_;
  std::deque<Answer> script_;
  std::vector<std::string> commands_ran_;
  std::vector<reconcile::RunRequest> requests_;
};

}  // namespace odmd::testing

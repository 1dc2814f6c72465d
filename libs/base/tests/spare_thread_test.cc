// The spare thread the canonical manifest read hands its second part to (spare_thread.h):
// one task at a time on one thread that outlives each read, Wait returning only once the
// task has returned, and nothing handed over in a forked child, where the thread is absent.

#include "odmd/base/spare_thread.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace odmd {
namespace {

TEST(SpareThreadTest, RunsATaskOnTheSameOtherThreadEachTime) {
  SpareThread& spare = SpareThread::Get();
  std::thread::id first, second;
  std::uint64_t a = spare.Start([&] { first = std::this_thread::get_id(); });
  ASSERT_NE(a, 0u);
  spare.Wait(a);
  std::uint64_t b = spare.Start([&] { second = std::this_thread::get_id(); });
  ASSERT_NE(b, 0u);
  spare.Wait(b);
  EXPECT_GT(b, a);
  EXPECT_NE(first, std::this_thread::get_id());
  EXPECT_EQ(first, second);  // one thread, kept: not one per task
}

TEST(SpareThreadTest, WaitReturnsOnlyAfterTheTaskReturnedAndABusyThreadTakesNothing) {
  SpareThread& spare = SpareThread::Get();
  std::atomic<bool> release{false}, returned{false};
  std::uint64_t ticket = spare.Start([&] {
    while (!release.load()) std::this_thread::yield();
    returned = true;
  });
  ASSERT_NE(ticket, 0u);
  bool ran = false;
  EXPECT_EQ(spare.Start([&] { ran = true; }), 0u);  // busy: the caller does its own work
  std::thread releaser([&] { release = true; });
  spare.Wait(ticket);
  EXPECT_TRUE(returned.load());
  releaser.join();
  EXPECT_FALSE(ran);
}

TEST(SpareThreadTest, AForkedChildHandsNothingOver) {
  SpareThread& spare = SpareThread::Get();
  spare.Wait(spare.Start([] {}));  // started in this process
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(spare.Start([] {}) == 0 ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "a forked child handed a task to a thread it has not";
}

}  // namespace
}  // namespace odmd

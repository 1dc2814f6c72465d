#pragma once

// Shell commands in tests (never in production code, which goes through the Runner and
// Git seams): setting up real git repositories and reading them back.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace odmd::testing {

// Runs `command` with /bin/sh; fails the test on a non-zero exit (naming the command and
// its output). Returns stdout and stderr without trailing newlines.
inline std::string Sh(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return out;
  }
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int rc = ::pclose(pipe);
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// `s` as one word of a shell command line: in single quotes, each ' as '\''.
inline std::string Q(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Makes git in this process and its children hermetic: no system or user config (HOME is
// `home`), and a fixed author and committer.
inline void UseHermeticGit(const std::string& home) {
  ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  ::setenv("HOME", home.c_str(), 1);
  ::setenv("GIT_AUTHOR_NAME", "Dev", 1);
  ::setenv("GIT_AUTHOR_EMAIL", "dev@example.com", 1);
  ::setenv("GIT_COMMITTER_NAME", "Dev", 1);
  ::setenv("GIT_COMMITTER_EMAIL", "dev@example.com", 1);
}

}  // namespace odmd::testing

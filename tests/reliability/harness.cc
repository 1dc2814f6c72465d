#include "harness.h"

#include <fcntl.h>
#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "odmd/reconcile/state.h"
#include "odmd/store/open_config_store.h"

extern char** environ;

namespace odmd::reliability {

int Rounds(int full, int least) {
  const char* quick = std::getenv("ODMD_RELIABILITY_QUICK");
  if (quick == nullptr || std::string(quick).empty() || std::string(quick) == "0") return full;
  return std::max(least, full / 10);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& p, const std::string& content, bool executable) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  if (executable) fs::permissions(p, fs::perms::owner_all, fs::perm_options::add);
}

// --- Repo ---

Repo::Repo(const fs::path& root, const std::string& name)
    : bare_(root / "git" / (name + ".git")), work_(root / "work" / name) {
  Sh("git -c init.defaultBranch=main init -q --bare " + Q(bare_.string()));
  Sh("git -c init.defaultBranch=main init -q " + Q(work_.string()));
}

void Repo::Commit(const std::string& branch, const std::string& message,
                  const std::map<std::string, std::string>& files, const std::string& from) {
  const std::string git = "git -C " + Q(work_.string()) + " ";
  if (commits_ > 0) {
    // The branch as the bare repo has it (the platform commits workflows into branches).
    const std::string exists =
        Sh("git -C " + Q(bare_.string()) + " branch --list " + Q(branch) + " | wc -l");
    const std::string base = exists == "0" ? from : branch;
    Sh(git + "fetch -q " + Q(bare_.string()) + " +refs/heads/" + base + ":refs/remotes/b/" + base);
    Sh(git + "checkout -q -B " + Q(branch) + " refs/remotes/b/" + base);
  }
  for (const auto& [path, content] : files) {
    WriteFile(work_ / path, content, path.size() > 3 && path.substr(path.size() - 3) == ".sh");
  }
  Sh(git + "add -A && " + git + "-c user.name=r -c user.email=r@x commit -q --allow-empty -m " +
     Q(message));
  Sh(git + "push -q -f " + Q(bare_.string()) + " HEAD:refs/heads/" + branch);
  ++commits_;
}

void Repo::Tag(const std::string& tag, const std::string& branch) {
  Sh("git -C " + Q(bare_.string()) + " tag -f " + Q(tag) + " refs/heads/" + branch);
}

std::optional<std::string> Repo::Show(const std::string& ref, const std::string& path) const {
  std::string out;
  FILE* pipe = ::popen(
      ("git -C " + Q(bare_.string()) + " show " + Q(ref + ":" + path) + " 2>/dev/null").c_str(),
      "r");
  if (pipe == nullptr) return std::nullopt;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return out;
}

// --- Server ---

Server::Server(const fs::path& state, const std::vector<std::string>& repos, bool once,
               const std::string& crash_at)
    : Server(state, repos,
             // Every member named: g++ warns about the ones a designated initializer omits.
             ServerOptions{
                 .once = once, .crash_at = crash_at, .store = "", .args = {}, .log = "serve.log"}) {
}

Server::Server(const fs::path& state, const std::vector<std::string>& repos,
               const ServerOptions& options)
    : state_(state), store_(options.store) {
  fs::create_directories(state_);
  const std::string& crash_at = options.crash_at;
  std::vector<std::string> args = {ODMD_BINARY,   "serve",         "--store",  store_url(),
                                   "--state-dir", state_.string(), "--listen", "127.0.0.1:0"};
  for (const std::string& r : repos) {
    args.push_back("--repo");
    args.push_back(r);
  }
  if (options.once) args.push_back("--once");
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var = *e;
    if (var.rfind("ODMD_", 0) == 0) continue;  // the developer's settings stay out
    env.push_back(var);
  }
  if (!crash_at.empty()) env.push_back("ODMD_TEST_CRASH_AT=" + crash_at);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe failed";
    return;
  }
  const fs::path log = state_ / options.log;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  if (posix_spawn(&pid_, ODMD_BINARY, &actions, nullptr, argv.data(), envp.data()) != 0) {
    ADD_FAILURE() << "cannot start " << ODMD_BINARY;
    pid_ = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  out_fd_ = out[0];
}

Server::~Server() {
  if (pid_ > 0) Kill();
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool Server::WaitReady() {
  return ReadUntilListening(std::chrono::duration_cast<std::chrono::milliseconds>(kWaitLimit));
}

bool Server::Listening() { return ReadUntilListening(std::chrono::milliseconds(0)); }

bool Server::ReadUntilListening(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (out_.find("listening on") == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (out_fd_ < 0) return false;
    pollfd p = {out_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) <= 0) {
      return false;
    }
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n <= 0) return false;  // it exited
    out_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string Server::listen_url() const {
  const std::string marker = "listening on ";
  const size_t at = out_.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return out_.substr(start, out_.find(' ', start) - start);
}

void Server::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  killed_ = true;
  pid_ = -1;
}

bool Server::Ended() {
  if (pid_ <= 0) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
  killed_ = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  pid_ = -1;
  return true;
}

int Server::Wait() {
  const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      killed_ = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Kill();
  return -1;
}

std::string Server::url() const {
  std::string u = ReadFile(state_ / "api.url");
  while (!u.empty() && (u.back() == '\n' || u.back() == '\r')) u.pop_back();
  return u;
}

std::string Server::admin_token() const {
  std::string t = ReadFile(state_ / "admin.token");
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

Reply Call(const Server& server, const std::string& method, const std::string& path,
           const std::string& body, std::chrono::milliseconds timeout) {
  return Call(server.url(), server.admin_token(), method, path, body, timeout);
}

Reply Call(const std::string& url, const std::string& token, const std::string& method,
           const std::string& path, const std::string& body, std::chrono::milliseconds timeout) {
  httplib::Client client(url);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  auto reply = [](const httplib::Result& r) { return r ? Reply{r->status, r->body} : Reply{}; };
  if (method == "GET") return reply(client.Get(path, headers));
  if (method == "PUT") return reply(client.Put(path, headers, body, "application/octet-stream"));
  return reply(client.Post(path, headers, body, "application/json"));
}

store::ConfigStorePtr OpenStore(const std::string& url) {
  store::StoreOptions options;
  options.url = url;
  Result<store::ConfigStorePtr> s = store::OpenConfigStore(options);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::vector<store::Entry> List(store::ConfigStore& store, std::string_view prefix) {
  Result<std::vector<store::Entry>> entries = store.List(prefix);
  EXPECT_TRUE(entries.ok()) << entries.status();
  return entries.ok() ? std::move(entries).value() : std::vector<store::Entry>{};
}

void EventFacts::Advance(store::ConfigStore& store, bool stopped) {
  for (;;) {
    Result<store::Entry> e = store.Get(reconcile::EventKey(count + 1));
    if (IsNotFound(e.status())) break;
    if (!e.ok()) {
      problems.push_back("cannot read event " + std::to_string(count + 1) + ": " +
                         e.status().ToString());
      return;
    }
    ++count;
    const nlohmann::json j = nlohmann::json::parse(e->value, nullptr, false);
    if (!j.is_object() || j.value("seq", std::int64_t{0}) != count) {
      problems.push_back("event " + e->key + " is not seq " + std::to_string(count));
      continue;
    }
    const std::string kind = j.value("kind", "");
    ++kinds[kind];
    const nlohmann::json fields = j.value("fields", nlohmann::json::object());
    auto field = [&](const char* name) { return fields.value(name, std::string()); };
    if (kind == "product.published" &&
        !published_.insert(field("path") + "@" + field("version")).second) {
      problems.push_back("product.published twice for " + field("path") + " v" + field("version"));
    }
    if (kind == "alert" && !field("product").empty() &&
        !alerts_.insert(field("product") + "@" + field("version") + " " + field("consumer"))
             .second) {
      problems.push_back("alert twice: " + j.value("message", ""));
    }
    if (kind == "contracts.published") ++contracts_published[field("version")];
    if (kind == "clone.created") created_clones.insert(j.value("enver", ""));
    if (kind == "clone.deleted") deleted_clones.insert(j.value("enver", ""));
  }
  // No event past a gap: the counter (read after the events) is at least the last seq read,
  // and, with nothing writing, exactly it.
  Result<store::Entry> counter = store.Get(reconcile::kEventSeqKey);
  const std::int64_t last = counter.ok() ? std::atoll(counter->value.c_str()) : 0;
  if (last < count || (stopped && last != count)) {
    problems.push_back("the event counter is " + std::to_string(last) + " but events 1.." +
                       std::to_string(count) + " are stored");
  }
  if (stopped) {
    Result<std::vector<store::Entry>> all = store.List(reconcile::kEventsPrefix);
    if (!all.ok() || static_cast<std::int64_t>(all->size()) != count) {
      problems.push_back("the event log holds " + std::to_string(all.ok() ? all->size() : 0) +
                         " records, not " + std::to_string(count));
    }
  }
}

EventFacts CheckEvents(store::ConfigStore& store, bool stopped) {
  EventFacts facts;
  facts.Advance(store, stopped);
  return facts;
}

}  // namespace odmd::reliability

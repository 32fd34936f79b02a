// Atomic writes, the --out check, and running helper programs (git, python).
#include "experiments/common/fsutil.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace attnlab::exp::fsutil {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_in_write = 0;  // a write_atomic is between open and rename
volatile std::sig_atomic_t g_pending = 0;   // the signal that arrived meanwhile
volatile pid_t g_child = 0;                 // the helper program run_process waits for

[[noreturn]] void stop_now(int sig) {
  // async-signal-safe only: write(2) and _exit(2)
  const char* msg = sig == SIGINT ? "attnlab: interrupted by SIGINT: stopped; files already written are complete, "
                                    "the unfinished experiment has no report\n"
                                  : "attnlab: interrupted by SIGTERM: stopped; files already written are complete, "
                                    "the unfinished experiment has no report\n";
  ssize_t ignored = write(2, msg, std::strlen(msg));
  (void)ignored;
  _exit(128 + sig);
}

extern "C" void on_interrupt(int sig) {
  if (g_child > 0) kill(g_child, SIGTERM);
  if (g_in_write) {
    g_pending = sig;
    return;
  }
  stop_now(sig);
}

// Marks a write_atomic; on leaving, a signal that arrived meanwhile takes effect.
struct WriteSection {
  WriteSection() { g_in_write = 1; }
  ~WriteSection() {
    g_in_write = 0;
    if (g_pending) stop_now(g_pending);
  }
};

bool is_temporary_name(const std::string& name) {
  const std::size_t at = name.rfind(".tmp.");
  if (at == std::string::npos || at + 5 == name.size()) return false;
  for (std::size_t i = at + 5; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return true;
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void remove_temporaries(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (const fs::directory_entry& f : fs::directory_iterator(dir, ec))
    if (f.is_regular_file(ec) && is_temporary_name(f.path().filename().string())) fs::remove(f.path(), ec);
}

void write_atomic(const fs::path& path, const std::string& content) {
  std::error_code ec;
  WriteSection section;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot create " + path.parent_path().string() + ": " + ec.message());
  }
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.flush();
    if (!f) {
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  }
}

std::string read_text(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw std::runtime_error("is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw std::runtime_error("read error");
  return ss.str();
}

std::string output_dir_problem(const std::string& out) {
  if (out.empty()) return "the output path is empty";
  fs::path p(out);
  std::error_code ec;
  auto status = fs::status(p, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) return out + " exists and is not a directory";
    if (access(p.c_str(), W_OK | X_OK) != 0) return out + " is not writable: " + std::strerror(errno);
    return "";
  }
  // Walk up to the nearest existing ancestor: it must be a writable directory.
  fs::path q = p;
  while (true) {
    fs::path parent = q.parent_path();
    if (parent.empty() || parent == q) parent = q.is_absolute() ? q.root_path() : fs::path(".");
    q = parent;
    auto st = fs::status(q, ec);
    if (fs::exists(st)) {
      if (!fs::is_directory(st)) return "cannot create " + out + ": " + q.string() + " is not a directory";
      if (access(q.c_str(), W_OK | X_OK) != 0)
        return "cannot create " + out + ": " + q.string() + " is not writable (" + std::strerror(errno) + ")";
      return "";
    }
    if (q == "." || q == q.root_path()) return "cannot create " + out + ": no existing parent directory";
  }
}

int run_process(const std::vector<std::string>& argv, std::string* output,
                const std::map<std::string, std::string>& extra_env) {
  if (argv.empty()) return -1;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  std::vector<std::string> env_store;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    std::string k = kv.substr(0, kv.find('='));
    if (!extra_env.count(k)) env_store.push_back(kv);
  }
  for (const auto& [k, v] : extra_env) env_store.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& kv : env_store) envp.push_back(kv.data());
  envp.push_back(nullptr);

  int fds[2];
  if (pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc == 0) g_child = pid;
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    if (output) *output = std::string(argv[0]) + ": " + std::strerror(rc);
    return -1;
  }
  std::string captured;
  char buf[4096];
  while (true) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      captured.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      g_child = 0;
      return -1;
    }
  }
  g_child = 0;
  if (output) *output = std::move(captured);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -1;
}

}  // namespace attnlab::exp::fsutil

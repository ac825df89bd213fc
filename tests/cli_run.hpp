// Running the rmtsolve binary from a test: exit code, stdout and stderr as a user sees them.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace rmtsolve_test {

struct CliRun {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `args` go through the shell; `prefix` (e.g. "RMTSOLVE_PROGRESS=lines") is put before the binary.
inline CliRun run_cli(const std::string& args, const std::string& prefix = "") {
  // CTest runs tests in parallel processes: every call gets its own capture files.
  static int calls = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(calls++);
  const std::string out = (dir / ("rmtsolve_cli_out_" + tag)).string(), err = (dir / ("rmtsolve_cli_err_" + tag)).string();
  const std::string cmd = prefix + (prefix.empty() ? "" : " ") + std::string(RMTSOLVE_CLI) + " " + args + " >" + out +
                          " 2>" + err + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliRun r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

inline int data_lines(const std::string& csv) {
  int n = 0;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') ++n;
  return n - 1;  // header
}

inline bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

}  // namespace rmtsolve_test

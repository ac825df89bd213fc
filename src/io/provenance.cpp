#include "rmtsolve/io/provenance.hpp"

#include <ctime>
#include <fstream>
#include <thread>

#include "rmtsolve/core/blas_kernel.hpp"
#include "rmtsolve_git.hpp"


namespace rmtsolve {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> run_provenance(int threads) {
  const std::string cores = std::to_string(std::thread::hardware_concurrency());
  std::vector<std::pair<std::string, std::string>> out{
      {"git_revision", RMTSOLVE_GIT_REVISION},
      {"time_utc", utc_now()},
      {"cpu", cpu_model() + " (" + cores + " logical cores)"},
      {"blas", blas::describe()}};
  if (threads >= 0) out.emplace_back("threads", threads > 0 ? std::to_string(threads) : cores + " (one per core)");
  return out;
}

}  // namespace rmtsolve

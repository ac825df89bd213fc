#include "rmtsolve/provenance.hpp"

#include <ctime>
#include <fstream>
#include <thread>

#include "rmtsolve_git.hpp"

// OpenBLAS's own report of its build and of the kernel it selected for this CPU at run time
// (declared in its cblas.h, which would clash with Eigen's BLAS declarations).
extern "C" {
char* openblas_get_config(void);
char* openblas_get_corename(void);
int openblas_get_num_threads(void);
}

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
      {"blas", std::string(openblas_get_config()) + "; kernel " + openblas_get_corename() + "; " +
                   std::to_string(openblas_get_num_threads()) + " BLAS threads"}};
  if (threads >= 0) out.emplace_back("threads", threads > 0 ? std::to_string(threads) : cores + " (one per core)");
  return out;
}

}  // namespace rmtsolve

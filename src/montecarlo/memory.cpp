#include "rmtsolve/montecarlo/memory.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

// A number from a one-value cgroup file; infinity for "max", a missing file or garbage.
double read_bytes(const std::string& path) {
  std::ifstream f(path);
  std::string word;
  if (!(f >> word) || word == "max") return INFINITY;
  char* end = nullptr;
  const double v = std::strtod(word.c_str(), &end);
  return end && *end == '\0' && v >= 0.0 ? v : INFINITY;
}

// This process's cgroup path (v2: the "0::" line of /proc/self/cgroup).
std::string cgroup_path() {
  std::ifstream f("/proc/self/cgroup");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "/";
}

double cgroup_headroom() {
  const std::string v2 = "/sys/fs/cgroup" + cgroup_path();
  double limit = read_bytes(v2 + "/memory.max");
  double used = read_bytes(v2 + "/memory.current");
  if (std::isinf(limit)) {
    limit = read_bytes("/sys/fs/cgroup/memory.max");
    used = read_bytes("/sys/fs/cgroup/memory.current");
  }
  if (std::isinf(limit)) {  // cgroup v1; an unlimited v1 group reports a huge number
    limit = read_bytes("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    used = read_bytes("/sys/fs/cgroup/memory/memory.usage_in_bytes");
    if (limit > 1e18) limit = INFINITY;
  }
  if (std::isinf(limit)) return INFINITY;
  return std::max(0.0, limit - (std::isinf(used) ? 0.0 : used));
}

double mem_available() {
  std::ifstream f("/proc/meminfo");
  for (std::string key; f >> key;) {
    double kb = 0.0;
    std::string unit;
    f >> kb >> unit;
    if (key == "MemAvailable:") return kb * 1024.0;
  }
  return INFINITY;
}

std::string gigabytes(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g GB", bytes / 1e9);
  return buf;
}

}  // namespace

double available_memory_bytes() {
  double available = std::min(mem_available(), cgroup_headroom());
  if (const char* cap = std::getenv("RMTSOLVE_MEMORY_LIMIT")) {
    char* end = nullptr;
    const double v = std::strtod(cap, &end);
    if (end != cap && v > 0.0) available = std::min(available, v);
  }
  return available;
}

double dense_sample_bytes(double n, double n_test, double d, const std::vector<double>& widths) {
  const double rows = n + n_test;
  double weights = 0.0, widest = d, fan_in = d;
  for (double w : widths) {
    weights += w * fan_in;
    widest = std::max(widest, w);
    fan_in = w;
  }
  return 8.0 * (rows * d + weights + 2.0 * rows * widest);
}

void check_memory(double bytes_per_seed, const mc::SeedOptions& seeds, const std::string& parameter,
                  const std::string& model) {
  const int hardware = std::max(1u, std::thread::hardware_concurrency());
  const int threads = seeds.threads > 0 ? seeds.threads : hardware;
  const int at_once = std::max(1, std::min(threads, seeds.seeds));
  const double needed = bytes_per_seed * at_once;
  const double available = available_memory_bytes();
  if (needed > available)
    throw InvalidInput(parameter, "the Monte Carlo of model " + model + " needs about " + gigabytes(needed) + " (" +
                                      std::to_string(at_once) + (at_once == 1 ? " seed" : " seeds") + " at once), but " +
                                      gigabytes(available) + " is available; lower --d, the size ratios or --threads");
}

}  // namespace rmtsolve

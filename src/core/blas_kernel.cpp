#include "rmtsolve/core/blas_kernel.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// OpenBLAS's own report (declared in its cblas.h, which would clash with Eigen's BLAS declarations).
extern "C" {
char* openblas_get_config(void);
char* openblas_get_corename(void);
int openblas_get_num_threads(void);
}

namespace rmtsolve::blas {
namespace {

// Set in the re-executed process: "KERNEL:FALLBACK" after a selection, "rejected:KERNEL:FALLBACK"
// after a failed self-check sent it back to OpenBLAS's own kernel.
constexpr const char* kSelectedVar = "RMTSOLVE_BLAS_SELECTED";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Vector width family of an OpenBLAS kernel name (the `corename` table of its dynamic.c):
// 3 AVX-512, 2 AVX2+FMA, 1 AVX, 0 SSE-only, -1 a name this table does not know (then nothing is
// changed: a newer library may know better).
int family(const std::string& kernel) {
  const std::string k = lower(kernel);
  for (const char* n : {"skylakex", "cooperlake", "sapphirerapids"})
    if (k == n) return 3;
  for (const char* n : {"haswell", "zen", "excavator"})
    if (k == n) return 2;
  for (const char* n : {"sandybridge", "bulldozer", "piledriver", "steamroller"})
    if (k == n) return 1;
  for (const char* n : {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "coppermine",
                        "northwood", "banias", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat",
                        "unknown"})
    if (k == n) return 0;
  return -1;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

void reexec(char** argv) {
  execv("/proc/self/exe", argv);
  // Only reached when execv failed (no /proc, say): carry on with OpenBLAS's own kernel.
  std::fprintf(stderr, "rmtsolve: warning: could not restart with a faster BLAS kernel (%s); set OPENBLAS_CORETYPE=%s yourself\n",
               std::strerror(errno), env("OPENBLAS_CORETYPE").c_str());
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kSelectedVar);
}

}  // namespace

CpuFeatures CpuFeatures::detect() {
  CpuFeatures f;
  __builtin_cpu_init();
  f.avx = __builtin_cpu_supports("avx");
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl");
  return f;
}

Advice advise(const std::string& current, const CpuFeatures& cpu, bool explicit_coretype, bool keep) {
  Advice a{current, "", ""};
  const int have = family(current);
  const char* best = cpu.avx512 ? "SkylakeX" : (cpu.avx2 && cpu.fma) ? "Haswell" : cpu.avx ? "Sandybridge" : nullptr;
  const int can = cpu.avx512 ? 3 : (cpu.avx2 && cpu.fma) ? 2 : cpu.avx ? 1 : 0;
  if (keep) {
    a.reason = "kept: RMTSOLVE_BLAS_KERNEL=keep";
  } else if (explicit_coretype) {
    a.reason = "kept: set by OPENBLAS_CORETYPE";
  } else if (have < 0) {
    a.reason = "kept: a kernel rmtsolve does not know";
  } else if (best == nullptr || have >= 2 || have >= can) {
    a.reason = "kept: OpenBLAS's own choice for this CPU";
  } else {
    a.recommended = best;
    a.reason = "OpenBLAS fell back to its " + current + " kernel on a CPU with " +
               (cpu.avx512 ? "AVX-512" : can == 2 ? "AVX2" : "AVX") + "; the " + best + " kernel is several times faster";
  }
  return a;
}

Advice advice() {
  // RMTSOLVE_BLAS_ASSUME_KERNEL: pretend OpenBLAS chose this kernel, so that the selection and
  // re-execution can be exercised (tests, diagnosis) on a CPU that OpenBLAS recognises.
  std::string current = env("RMTSOLVE_BLAS_ASSUME_KERNEL");
  if (current.empty()) current = openblas_get_corename();
  return advise(current, CpuFeatures::detect(), std::getenv("OPENBLAS_CORETYPE") != nullptr,
                lower(env("RMTSOLVE_BLAS_KERNEL")) == "keep");
}

bool self_check() {
  // Sizes above Eigen's small-product threshold, so that A*B goes to dgemm and A*x to dgemv.
  const int m = 67, k = 53, n = 71;
  Eigen::MatrixXd A(m, k), B(k, n);
  for (int j = 0; j < k; ++j)
    for (int i = 0; i < m; ++i) A(i, j) = std::sin(0.37 * i + 1.3 * j) + 0.01 * (i - j);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i) B(i, j) = std::cos(0.71 * i - 0.29 * j);
  const Eigen::VectorXd x = B.col(3);
  const Eigen::MatrixXd C = A * B;
  const Eigen::MatrixXd C_ref = A.lazyProduct(B);  // Eigen's coefficient loop, no BLAS
  const Eigen::VectorXd y = A * x;
  const Eigen::VectorXd y_ref = A.lazyProduct(x);
  // Each entry sums k = 53 terms of size <= ~1: rounding differences are ~1e-15 relative to the norm.
  const double tol = 1e-12;
  return (C - C_ref).norm() <= tol * C_ref.norm() && (y - y_ref).norm() <= tol * y_ref.norm() && C.allFinite();
}

namespace {

void select_kernel(char** argv) {
  const std::string selected = env(kSelectedVar);
  if (!selected.empty()) {
    if (selected.rfind("rejected:", 0) == 0) return;
    const std::string kernel = selected.substr(0, selected.find(':'));
    const std::string fallback = selected.substr(selected.find(':') + 1);
    const bool ok = env("RMTSOLVE_BLAS_TEST") == "fail-check" ? false : self_check();
    if (ok) return;
    std::fprintf(stderr, "rmtsolve: warning: OpenBLAS's %s kernel failed rmtsolve's numerical self-check on this CPU; using its %s kernel\n",
                 kernel.c_str(), fallback.c_str());
    setenv("OPENBLAS_CORETYPE", fallback.c_str(), 1);
    setenv(kSelectedVar, ("rejected:" + selected).c_str(), 1);
    reexec(argv);
    return;
  }
  const Advice a = advice();
  if (a.recommended.empty()) return;
  setenv("OPENBLAS_CORETYPE", a.recommended.c_str(), 1);
  setenv(kSelectedVar, (a.recommended + ":" + a.current).c_str(), 1);
  reexec(argv);
}

}  // namespace

void limit_idle_spin() {
  if (std::getenv("OPENBLAS_THREAD_TIMEOUT")) return;  // the user's own setting
  // Exported by OpenBLAS's pthread build (looked up, not linked: its OpenMP build has no thread
  // server): re-read its environment settings, and stop its workers, which restart with them at
  // the next threaded call.
  auto read_env = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "openblas_read_env"));
  auto shutdown = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"));
  if (!read_env || !shutdown) return;
  setenv("OPENBLAS_THREAD_TIMEOUT", std::to_string(kIdleSpinLog2).c_str(), 1);
  read_env();
  // Not inherited by child processes (a numpy baseline run by a benchmark keeps its own default).
  unsetenv("OPENBLAS_THREAD_TIMEOUT");
  shutdown();
}

void select_kernel_or_reexec(char** argv) {
  select_kernel(argv);
  limit_idle_spin();
}

std::string describe() {
  std::string kernel = openblas_get_corename();
  const std::string selected = env(kSelectedVar);
  if (selected.rfind("rejected:", 0) == 0) {
    const std::string rest = selected.substr(9);
    kernel += " (rmtsolve's choice " + rest.substr(0, rest.find(':')) + " failed its self-check)";
  } else if (!selected.empty()) {
    kernel += " (selected by rmtsolve; OpenBLAS chose " + selected.substr(selected.find(':') + 1) + " for this CPU)";
  }
  return std::string(openblas_get_config()) + "; kernel " + kernel + "; " + std::to_string(openblas_get_num_threads()) +
         " BLAS threads";
}

}  // namespace rmtsolve::blas

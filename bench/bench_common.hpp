#pragma once
// What every benchmark binary shares: the BLAS ceiling its Monte Carlo figures are read against,
// and a main() that selects the BLAS kernel as the CLI does and names it in the report.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <Eigen/Dense>
#include <random>

#include "rmtsolve/core/blas_kernel.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::bench {

/// The BLAS ceiling for a seed's shapes: C (2d × 2d) = X (2d × d) · Wᵀ (d × 2d), d = state.range(0).
inline void dgemm_ceiling(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), m = 2 * d;
  std::mt19937_64 rng(1);
  const Eigen::MatrixXd X = mc::gaussian_matrix(m, d, rng), W = mc::gaussian_matrix(m, d, rng);
  Eigen::MatrixXd C(m, m);
  for (auto _ : state) {
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m, m, d, 1.0, X.data(), m, W.data(), m, 0.0, C.data(), m);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * double(m) * m * d, benchmark::Counter::kIsIterationInvariantRate);
}

/// Every report names the BLAS kernel (a fallback kernel changes every BLAS-bound figure 4–5×),
/// and the binary selects a better kernel exactly as the CLI does.
inline int run_benchmarks(int argc, char** argv) {
  blas::select_kernel_or_reexec(argv);
  benchmark::AddCustomContext("blas", blas::describe());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace rmtsolve::bench

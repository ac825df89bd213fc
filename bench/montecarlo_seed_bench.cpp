// One rf Monte Carlo seed at d = 1000, stage by stage, next to the BLAS ceiling of the same run
// (issue 16, part 6a): where a whole seed loses against dgemm.  Real (wall-clock) time; run:
//   build/bench/montecarlo_seed_bench --benchmark_repetitions=3
// Shapes are those of `simulate rf --alpha 2 --beta 2 --n-test 4d`: p = n = 2d, 4d test points.
// Numbers in bench/notes/montecarlo_seed_speed.md.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <lapacke.h>

#include <cmath>
#include <random>

#include "bench_common.hpp"
#include "rmtsolve/core/blas_kernel.hpp"
#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/montecarlo/random_features.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

using namespace rmtsolve;

namespace {

void gflops(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * flops, benchmark::Counter::kIsIterationInvariantRate);
}

// The ceiling, as BM_Dgemm in rmtsolve_bench (bench_common.hpp).
void BM_SeedDgemm(benchmark::State& state) { bench::dgemm_ceiling(state); }

// The whole seed (simulate_random_features), flops as rf_flops in rmtsolve_bench.
void BM_SeedWhole(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), p = 2 * d, n = 2 * d, n_test = 4 * d;
  mc::RandomFeaturesSample s{make_activation("tanh"), make_activation("linear")};
  s.d = d;
  s.p = p;
  s.n = n;
  s.n_test = n_test;
  std::mt19937_64 rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(mc::simulate_random_features(s, rng).test);
  gflops(state, 2.0 * n * d * p + 2.0 * n_test * d * p + double(p) * p * n + double(p) * p * p / 3.0);
}

// Sampling: the seed's Gaussian entries (W, X, X_test: (p + n + n_test) × d).
void BM_SeedSampling(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(mc::gaussian_matrix(2 * d, d, rng).data());
    benchmark::DoNotOptimize(mc::gaussian_matrix(2 * d, d, rng).data());
    benchmark::DoNotOptimize(mc::gaussian_matrix(4 * d, d, rng).data());
  }
  state.counters["Msamples/s"] = benchmark::Counter(8e-6 * d * d, benchmark::Counter::kIsIterationInvariantRate);
}

// Features σ(X Wᵀ)/√p of `rows` inputs (rows = 2d: the training set, 4d: the test set), as the seed
// computes them (activated_product: dgemm, then σ and the scale chunk by chunk).
void BM_SeedFeatures(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), p = 2 * d, rows = static_cast<int>(state.range(1)) * d;
  std::mt19937_64 rng(1);
  const Eigen::MatrixXd W = mc::unit_rows(p, d, rng), X = mc::gaussian_matrix(rows, d, rng);
  const Activation sigma = make_activation("tanh");
  for (auto _ : state)
    benchmark::DoNotOptimize(mc::activated_product(X, W, {}, sigma, 1.0 / std::sqrt(double(p)), false).data());
  gflops(state, 2.0 * rows * d * p);
}

// The activation alone on a 2d × 2d matrix (in place, chunked over the sampling threads).
void BM_SeedTanh(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  std::mt19937_64 rng(1);
  Eigen::MatrixXd A = mc::gaussian_matrix(2 * d, 2 * d, rng, 0.5);
  const Activation sigma = make_activation("tanh");
  for (auto _ : state) {
    mc::apply_activation(sigma, A);
    benchmark::DoNotOptimize(A.data());
  }
  state.counters["Mentries/s"] = benchmark::Counter(4e-6 * d * d, benchmark::Counter::kIsIterationInvariantRate);
}

// Gram FᵀF (dsyrk, lower) of the 2d × 2d training features.
void BM_SeedGram(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), k = 2 * d;
  std::mt19937_64 rng(1);
  const Eigen::MatrixXd F = mc::gaussian_matrix(k, k, rng);
  Eigen::MatrixXd G(k, k);
  for (auto _ : state) {
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, k, k, 1.0, F.data(), k, 0.0, G.data(), k);
    benchmark::DoNotOptimize(G.data());
  }
  gflops(state, double(k) * k * k);
}

// Cholesky (dpotrf) of a 2d × 2d well-conditioned SPD matrix; uplo 0 = lower (what the seed
// factors), 1 = upper; on `threads` BLAS threads (0: OpenBLAS's default).
void BM_SeedCholesky(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), k = 2 * d;
  const char uplo = state.range(1) == 0 ? 'L' : 'U';
  const int threads_before = openblas_get_num_threads();
  if (state.range(2) > 0) openblas_set_num_threads(static_cast<int>(state.range(2)));
  std::mt19937_64 rng(1);
  const Eigen::MatrixXd F = mc::gaussian_matrix(2 * k, k, rng);
  Eigen::MatrixXd G0(k, k);
  cblas_dsyrk(CblasColMajor, uplo == 'L' ? CblasLower : CblasUpper, CblasTrans, k, 2 * k, 1.0, F.data(), 2 * k, 0.0,
              G0.data(), k);
  Eigen::MatrixXd G(k, k);
  for (auto _ : state) {
    state.PauseTiming();
    G = G0;
    state.ResumeTiming();
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, uplo, k, G.data(), k) != 0) state.SkipWithError("not SPD");
    benchmark::DoNotOptimize(G.data());
  }
  openblas_set_num_threads(threads_before);
  gflops(state, double(k) * k * k / 3.0);
}

#define SEED_BENCH(name) BENCHMARK(name)->Arg(1000)->ArgName("d")->UseRealTime()->Unit(benchmark::kMillisecond)
SEED_BENCH(BM_SeedDgemm);
SEED_BENCH(BM_SeedWhole);
SEED_BENCH(BM_SeedSampling);
BENCHMARK(BM_SeedFeatures)->Args({1000, 2})->Args({1000, 4})->ArgNames({"d", "rows_per_d"})->UseRealTime()->Unit(benchmark::kMillisecond);
SEED_BENCH(BM_SeedTanh);
SEED_BENCH(BM_SeedGram);
BENCHMARK(BM_SeedCholesky)->ArgsProduct({{1000}, {0, 1}, {0, 1}})->ArgNames({"d", "upper", "threads"})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return rmtsolve::bench::run_benchmarks(argc, argv); }

// Stages of the GCM-from-files and deep drawn-weights theory paths (issue 16), to see where a curve's
// time goes and what OpenBLAS's thread count does to each stage.  Run:
//   build/bench/rmtsolve_bench --benchmark_filter='Stage'
// (numbers in bench/notes/gcm_files_deep.md).  blas_threads:0 leaves OpenBLAS at its default.
#include <benchmark/benchmark.h>
#include <lapacke.h>

#include <chrono>
#include <random>
#include <vector>
#include <string>

#include "gcm_files.hpp"
#include "drf_notebook.hpp"
#include "equations/deep_rf/deep_rf.hpp"
#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/numerics/matrix_checks.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/numerics/spectral.hpp"

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

using namespace rmtsolve;

namespace {

// Sets OpenBLAS's thread count for one benchmark and restores it afterwards.
class BlasThreads {
 public:
  explicit BlasThreads(int n) : before_(openblas_get_num_threads()) {
    if (n > 0) openblas_set_num_threads(n);
  }
  ~BlasThreads() { openblas_set_num_threads(before_); }

 private:
  int before_;
};

struct Files {
  Eigen::MatrixXd psi, phi, omega;
};
Files read_files(int p) {
  const std::string dir = bench::covariance_files(p, "a");
  return {read_matrix(dir + "/psi.npy", "psi"), read_matrix(dir + "/phi.npy", "phi"), read_matrix(dir + "/omega.npy", "omega")};
}

// Reading the three .npy files (Ω p×p, Φ p/2×p, Ψ).
void BM_StageGcmRead(benchmark::State& state) {
  const int p = static_cast<int>(state.range(0));
  bench::covariance_files(p, "a");
  for (auto _ : state) benchmark::DoNotOptimize(read_files(p).omega.data());
}
BENCHMARK(BM_StageGcmRead)->Arg(1000)->Arg(2000)->ArgName("p")->UseRealTime()->Unit(benchmark::kMillisecond);

// The joint (k+p)×(k+p) PSD check by a shifted Cholesky factorisation (the check before 2026-12-01).
void BM_StageGcmJointCholesky(benchmark::State& state) {
  const Files f = read_files(static_cast<int>(state.range(0)));
  const BlasThreads threads(static_cast<int>(state.range(1)));
  for (auto _ : state) {
    Eigen::MatrixXd joint(f.psi.rows() + f.omega.rows(), f.psi.rows() + f.omega.rows());
    joint << f.psi, f.phi, f.phi.transpose(), f.omega;
    benchmark::DoNotOptimize(positive_semidefinite_by_cholesky(std::move(joint), 1e-8));
  }
}
BENCHMARK(BM_StageGcmJointCholesky)->ArgsProduct({{1000, 2000}, {1, 2}})->ArgNames({"p", "blas_threads"})->UseRealTime()->Unit(benchmark::kMillisecond);

// Ω's eigenvalues and ‖Φ u_j‖² (dsytrd, dormtr, dstedc, Φ Q Z), by OpenBLAS thread count.
void BM_StageGcmProjectedSpectrum(benchmark::State& state) {
  const Files f = read_files(static_cast<int>(state.range(0)));
  const BlasThreads threads(static_cast<int>(state.range(1)));
  for (auto _ : state) benchmark::DoNotOptimize(projected_spectrum(f.omega, f.phi).values.data());
}
BENCHMARK(BM_StageGcmProjectedSpectrum)->ArgsProduct({{1000, 2000}, {1, 2}})->ArgNames({"p", "blas_threads"})->UseRealTime()->Unit(benchmark::kMillisecond);

// The parts of projected_spectrum, each timed (seconds per iteration as counters): dsytrd, dormtr
// (Φ Q), the tridiagonal eigenproblem by divide and conquer (dstedc) or by MRRR (dstemr), and the
// product (Φ Q) Z.
void BM_StageGcmSpectrumParts(benchmark::State& state) {
  const Files f = read_files(static_cast<int>(state.range(0)));
  const BlasThreads threads(static_cast<int>(state.range(1)));
  const lapack_int n = static_cast<lapack_int>(f.omega.rows()), k = static_cast<lapack_int>(f.phi.rows());
  double t_trd = 0, t_ormtr = 0, t_stedc = 0, t_stemr = 0, t_gemm = 0;
  using clock = std::chrono::steady_clock;
  auto since = [](clock::time_point t0) { return std::chrono::duration<double>(clock::now() - t0).count(); };
  for (auto _ : state) {
    Eigen::MatrixXd A = f.omega, BQ = f.phi, Z(n, n), Z2(n, n);
    Eigen::VectorXd d(n), e(n), tau(n);
    auto t0 = clock::now();
    LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'L', n, A.data(), n, d.data(), e.data(), tau.data());
    t_trd += since(t0);
    t0 = clock::now();
    LAPACKE_dormtr(LAPACK_COL_MAJOR, 'R', 'L', 'N', k, n, A.data(), n, tau.data(), BQ.data(), k);
    t_ormtr += since(t0);
    Eigen::VectorXd d2 = d, e2 = e, w(n);
    t0 = clock::now();
    LAPACKE_dstedc(LAPACK_COL_MAJOR, 'I', n, d.data(), e.data(), Z.data(), n);
    t_stedc += since(t0);
    t0 = clock::now();
    lapack_int m = 0, tryrac = 1;
    std::vector<lapack_int> isuppz(2 * static_cast<size_t>(n));
    LAPACKE_dstemr(LAPACK_COL_MAJOR, 'V', 'A', n, d2.data(), e2.data(), 0, 0, 0, 0, &m, w.data(), Z2.data(), n, n, isuppz.data(), &tryrac);
    t_stemr += since(t0);
    t0 = clock::now();
    Eigen::MatrixXd G = BQ * Z;
    t_gemm += since(t0);
    benchmark::DoNotOptimize(G.data());
  }
  const double it = static_cast<double>(state.iterations());
  state.counters["dsytrd_s"] = t_trd / it;
  state.counters["dormtr_s"] = t_ormtr / it;
  state.counters["dstedc_s"] = t_stedc / it;
  state.counters["dstemr_s"] = t_stemr / it;
  state.counters["gemm_s"] = t_gemm / it;
}
BENCHMARK(BM_StageGcmSpectrumParts)->ArgsProduct({{1000, 2000}, {1, 2}})->ArgNames({"p", "blas_threads"})->UseRealTime()->Unit(benchmark::kMillisecond);

// dsytrd alone on an n×n symmetric matrix, by OpenBLAS thread count.
void BM_StageDsytrd(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::mt19937_64 rng(3);
  const Eigen::MatrixXd G = mc::gaussian_matrix(n, n, rng);
  const Eigen::MatrixXd A = G + G.transpose();
  const BlasThreads threads(static_cast<int>(state.range(1)));
  Eigen::VectorXd d(n), e(n), tau(n);
  for (auto _ : state) {
    Eigen::MatrixXd M = A;
    benchmark::DoNotOptimize(LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'L', n, M.data(), n, d.data(), e.data(), tau.data()));
  }
}
BENCHMARK(BM_StageDsytrd)->ArgsProduct({{1000, 1200, 2000, 2400}, {1, 2}})->ArgNames({"n", "blas_threads"})->UseRealTime()->Unit(benchmark::kMillisecond);

// One drawn network in the dRF notebook's setting (2 tanh layers of width 4d, sign RF teacher of
// width 2d): the whole draw (weights, layer recursion, spectrum), by OpenBLAS thread count.
void BM_StageDeepDraw(benchmark::State& state) {
  const deep_rf::Spec spec = drf_notebook_spec(static_cast<int>(state.range(0)));
  const BlasThreads threads(static_cast<int>(state.range(1)));
  for (auto _ : state) benchmark::DoNotOptimize(deep_rf::draw_network(spec).omega.data());
}
BENCHMARK(BM_StageDeepDraw)->ArgsProduct({{300, 600}, {1, 2}})->ArgNames({"d", "blas_threads"})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

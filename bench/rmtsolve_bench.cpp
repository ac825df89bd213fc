// Benchmarks: theory curves (points per second) and the Monte Carlo pipeline against a plain dgemm
// measured in the same run.  Every benchmark reports real (wall-clock) time and its rate counters
// divide by it (UseRealTime): CPU time of the main thread misses BLAS's and the seeds' threads.  Run: build/bench/rmtsolve_bench  (numbers in bench/README.md).
#include <benchmark/benchmark.h>

#include "baseline_process.hpp"
#include "bench_common.hpp"
#include <cblas.h>

#include <cstdio>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/gcm/gcm.hpp"
#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"
#include "rmtsolve/core/blas_kernel.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/mlp.hpp"
#include "rmtsolve/montecarlo/random_features.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/engine/sweep.hpp"

using namespace rmtsolve;

namespace {

// A 100-point α sweep of the rf model through the same path as `rmtsolve curve rf`.
void BM_RfCurve100(benchmark::State& state) {
  const Model& rf = find_model("rf");
  SweepSpec spec;
  for (int i = 0; i < 100; ++i) spec.grids["alpha"].push_back(0.05 + 0.05 * i);
  spec.grids["beta"] = {2.0};
  spec.grids["lambda"] = {1e-3};
  spec.grids["noise"] = {0.25};
  spec.texts["activation"] = state.range(0) ? "relu" : "tanh";
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(rf, spec, {}).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(100, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_RfCurve100)->Arg(0)->Arg(1)->ArgName("relu")->Unit(benchmark::kMillisecond)->UseRealTime();

// The optimal-ridge curve of the README example (rf, tanh, β = 2, Δ = 0.25, 20 α): --optimize lambda
// (scan + Brent per point) against the by-hand way, a dense log grid of λ per α whose minimum is
// read off.  The grid runs report max_rel_gap, the largest relative excess of the grid minimum over
// the optimised error, to say which grid size matches the optimiser's accuracy.
SweepSpec rf_optimum_spec() {
  SweepSpec spec;
  for (int i = 0; i < 20; ++i) spec.grids["alpha"].push_back(0.2 + 0.2 * i);
  spec.grids["beta"] = {2.0};
  spec.grids["noise"] = {0.25};
  spec.texts["activation"] = "tanh";
  return spec;
}
std::vector<double> column_of(const Table& t, const std::string& name) {
  const size_t c = static_cast<size_t>(std::find(t.columns.begin(), t.columns.end(), name) - t.columns.begin());
  std::vector<double> v;
  for (const auto& row : t.rows) v.push_back(std::get<double>(row[c]));
  return v;
}
void BM_RfOptimalRidgeCurve20(benchmark::State& state) {
  SearchSpec search;
  search.optimize = "lambda";
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(find_model("rf"), rf_optimum_spec(), {}, search).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(20, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_RfOptimalRidgeCurve20)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RfOptimalRidgeDenseGrid20(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  SweepSpec spec = rf_optimum_spec();
  for (int k = 0; k < n; ++k) spec.grids["lambda"].push_back(std::pow(10.0, -6.0 + 9.0 * k / (n - 1)));
  std::vector<double> grid_min;
  for (auto _ : state) {
    const Table t = run_curve(find_model("rf"), spec, {}).table;
    const auto alpha = column_of(t, "alpha"), error = column_of(t, "test_error");
    std::map<double, double> lowest;
    for (size_t r = 0; r < t.rows.size(); ++r)
      lowest[alpha[r]] = lowest.count(alpha[r]) ? std::min(lowest[alpha[r]], error[r]) : error[r];
    grid_min.clear();
    for (const auto& [a, e] : lowest) grid_min.push_back(e);
  }
  SearchSpec search;
  search.optimize = "lambda";
  const auto optimum = column_of(run_curve(find_model("rf"), rf_optimum_spec(), {}, search).table, "test_error");
  double gap = 0.0;
  for (size_t i = 0; i < optimum.size() && i < grid_min.size(); ++i) gap = std::max(gap, grid_min[i] / optimum[i] - 1.0);
  state.counters["max_rel_gap"] = gap;
  state.counters["points/s"] = benchmark::Counter(20, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_RfOptimalRidgeDenseGrid20)->Arg(100)->Arg(1000)->Arg(10000)->ArgName("lambdas")->Unit(benchmark::kMillisecond)->UseRealTime();

// A 100-point α sweep of the spiked random-features model (seed-free), tanh student and target.
void BM_SrfCurve100(benchmark::State& state) {
  const Model& srf = find_model("srf");
  SweepSpec spec;
  for (int i = 0; i < 100; ++i) spec.grids["alpha"].push_back(0.05 + 0.05 * i);
  spec.grids["eta"] = {2.0};
  spec.texts["activation"] = state.range(0) ? "relu" : "tanh";
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(srf, spec, {}).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(100, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SrfCurve100)->Arg(0)->Arg(1)->ArgName("relu")->Unit(benchmark::kMillisecond)->UseRealTime();

// The same tanh/tanh α sweep (warm-started) by the source code's scheme, one fixed point on all seven
// order parameters (docs/theory/srf.md §6.1): scheme 0 = rmtsolve's reduced solver, 1 = the 7-variable map with
// rmtsolve's Anderson iteration, 2 = the authors' plain damped iteration (damping 0.5).  Reports
// how many points each scheme converged.
void BM_SrfSevenVariable(benchmark::State& state) {
  const int scheme = static_cast<int>(state.range(0));
  SolverOptions o;
  if (scheme == 2) {
    o.anderson_memory = 0;
    o.multiroot_fallback = false;
    o.damping = 0.5;
    o.max_iterations = 5000;
  }
  srf::Spec s;
  s.eta = 2.0;
  int converged = 0;
  for (auto _ : state) {
    converged = 0;
    Eigen::VectorXd warm;
    for (int i = 0; i < 100; ++i) {
      s.alpha = 0.05 + 0.05 * i;
      const srf::Result r = scheme == 0 ? srf::solve(s, o, nullptr, nullptr, &warm) : srf::solve_full_iteration(s, o);
      converged += r.summary.converged;
    }
  }
  state.counters["converged"] = converged;
}
BENCHMARK(BM_SrfSevenVariable)->Arg(0)->Arg(1)->Arg(2)->ArgName("scheme")->Unit(benchmark::kMillisecond)->UseRealTime();

// A 100-point η̃ sweep of the classification model (srf-class) at α = 2: logistic (range 0 = 0)
// or hinge (1) readout, warm-started along the sweep.
void BM_SrfClassCurve100(benchmark::State& state) {
  const Model& model = find_model("srf-class");
  SweepSpec spec;
  for (int i = 0; i < 100; ++i) spec.grids["eta"].push_back(0.04 * i);
  spec.grids["alpha"] = {2.0};
  spec.texts["loss"] = state.range(0) ? "hinge" : "logistic";
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(model, spec, {}).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(100, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SrfClassCurve100)->Arg(0)->Arg(1)->ArgName("hinge")->Unit(benchmark::kMillisecond)->UseRealTime();

// A 100-point α sweep of a depth-3 tanh network: seed-free chain (range 0 = 0), or one drawn
// network at d = range 0 (per-neuron linearisation and one eigen-decomposition per point).
void BM_DeepCurve100(benchmark::State& state) {
  const Model& deep = find_model("deep");
  SweepSpec spec;
  for (int i = 0; i < 100; ++i) spec.grids["alpha"].push_back(0.05 + 0.05 * i);
  spec.texts["widths"] = "1.5,1.5,1";
  spec.texts["method"] = state.range(0) ? "drawn:" + std::to_string(state.range(0)) + ":1" : "chain";
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(deep, spec, {}).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(100, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DeepCurve100)->Arg(0)->Arg(600)->ArgName("drawn_d")->Unit(benchmark::kMillisecond)->UseRealTime();

// One drawn depth-3 network at d: the covariance recursion, the eigen-decomposition and one point.
void BM_DeepDrawnPoint(benchmark::State& state) {
  deep_rf::Spec spec;
  spec.layers = deep_rf::parse_layers("1.5,1.5,1", "tanh", "gaussian");
  spec.method = deep_rf::Method::kDrawn;
  spec.d = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(deep_rf::solve(spec, {}).test_error);
}
BENCHMARK(BM_DeepDrawnPoint)->Arg(400)->Arg(800)->ArgName("d")->Unit(benchmark::kMillisecond)->UseRealTime();

// GCM ridge: one eigen-decomposition of a p × p covariance, then 100 points by the scalar root
// (range 1 = 0) or by the (V, q, m) state evolution that GCMProject iterates (range 1 = 1).
void BM_GcmCurve100(benchmark::State& state) {
  const int p = static_cast<int>(state.range(0));
  std::mt19937_64 rng(1);
  const Eigen::MatrixXd A = mc::gaussian_matrix(p, p, rng, 1.0 / std::sqrt(double(p)));
  gcm_ridge::Covariances c{Eigen::MatrixXd::Identity(p, p), 0.8 * A.transpose(),
                           0.64 * A * A.transpose() + 0.36 * Eigen::MatrixXd::Identity(p, p)};
  const auto method = state.range(1) ? gcm_ridge::Method::kIteration : gcm_ridge::Method::kRoot;
  SolverOptions o;
  o.anderson_memory = 0;  // the plain damped iteration of the source code
  o.tolerance = 1e-10;
  o.max_iterations = 100000;
  for (auto _ : state) {
    const auto problem = gcm_ridge::Problem::from_covariances(c);
    Eigen::VectorXd warm;
    for (int i = 0; i < 100; ++i)
      benchmark::DoNotOptimize(gcm_ridge::solve(problem, {0.05 + 0.05 * i, 1e-2, 0.1}, method, o, &warm).test_error);
  }
}
BENCHMARK(BM_GcmCurve100)->Args({500, 0})->Args({500, 1})->Args({1000, 0})->ArgNames({"p", "iteration"})->Unit(benchmark::kMillisecond)->UseRealTime();

// Time per point of the GCM state evolution for each loss (sign teacher; square loss on a linear
// teacher is the ridge baseline), p = 500, the eigen-decomposition done once outside the loop.
void BM_GcmLossPoint(benchmark::State& state) {
  const int p = 500;
  std::mt19937_64 rng(2);
  const Eigen::MatrixXd A = mc::gaussian_matrix(p, p, rng, 1.0 / std::sqrt(double(p)));
  const auto problem = gcm_ridge::Problem::from_covariances(
      {Eigen::MatrixXd::Identity(p, p), 0.8 * A.transpose(), 0.64 * A * A.transpose() + 0.36 * Eigen::MatrixXd::Identity(p, p)});
  const Loss loss = static_cast<Loss>(state.range(0));
  const auto teacher = loss == Loss::kSquare ? gcm::Teacher::kLinear : gcm::Teacher::kSign;
  for (auto _ : state) benchmark::DoNotOptimize(gcm::solve(problem.spectrum(), loss, teacher, {1.5, 0.05, 0.0}, {}).test_mse);
}
BENCHMARK(BM_GcmLossPoint)->Arg(0)->Arg(1)->Arg(2)->ArgName("loss")->Unit(benchmark::kMillisecond)->UseRealTime();

// Floating-point work of one random-features ridge sample: features of the training and test
// sets (2ndp each), the p×p or n×n Gram matrix (syrk, min(n,p)² max(n,p)) and its Cholesky
// (min(n,p)³/3).
double rf_flops(int d, int p, int n, int n_test) {
  const double big = std::max(n, p), small = std::min(n, p);
  return 2.0 * double(n) * d * p + 2.0 * double(n_test) * d * p + small * small * big + small * small * small / 3.0 +
         2.0 * double(n_test) * p;
}

void BM_MonteCarloRf(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  mc::RandomFeaturesSample s{make_activation("tanh"), make_activation("linear")};
  s.single_precision = state.range(1) == 32;
  s.d = d;
  s.p = 2 * d;
  s.n = 2 * d;
  s.n_test = 4 * d;
  s.lambda = 1e-2;
  std::mt19937_64 rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(mc::simulate_random_features(s, rng).test);
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * rf_flops(d, s.p, s.n, s.n_test),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
// precision 32: the float32 feature path (--precision float32), same problem, readout in double.
BENCHMARK(BM_MonteCarloRf)->ArgsProduct({{400, 1000}, {64, 32}})->ArgNames({"d", "precision"})->Unit(benchmark::kMillisecond)->UseRealTime();

// The same simulation written plainly in numpy (bench/numpy_baseline.py, Debian's numpy on the same
// OpenBLAS), run by this driver; manual time = the script's own timing of the simulation.
void BM_NumpyBaseline(benchmark::State& state) {
  const std::string command = "/usr/bin/python3 " RMTSOLVE_SOURCE_DIR "/bench/numpy_baseline.py --d " +
                              std::to_string(state.range(0));
  run_timed_script(state, command, "numpy baseline");
}
BENCHMARK(BM_NumpyBaseline)->Arg(400)->Arg(1000)->ArgName("d")->UseManualTime()->Unit(benchmark::kMillisecond);

// The BLAS-3 stage of the Monte Carlo alone, as the library runs it: training features X Wᵀ
// (n × d × p), activation, and the Gram matrix FᵀF (syrk).  Target: ≥ 70 % of BM_Dgemm's rate.
void BM_FeatureGram(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), p = 2 * d, n = 2 * d;
  std::mt19937_64 rng(1);
  const Eigen::MatrixXd X = mc::gaussian_matrix(n, d, rng), W = mc::unit_rows(p, d, rng);
  const Activation sigma = make_activation("tanh");
  Eigen::MatrixXd F(n, p), G(p, p);
  for (auto _ : state) {
    F.noalias() = X * W.transpose();
    mc::apply_activation(sigma, F);
    G.setZero();
    G.selfadjointView<Eigen::Lower>().rankUpdate(F.transpose());
    benchmark::DoNotOptimize(G.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * (2.0 * n * d * p + double(n) * p * p),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FeatureGram)->Arg(400)->Arg(1000)->ArgName("d")->Unit(benchmark::kMillisecond)->UseRealTime();

// Dynamics and kernels: a 100-point curve of each theory model (closed forms; krr flow by quadrature).
void BM_TheoryCurve100(benchmark::State& state, const std::string& model, const std::string& axis, double from,
                       double step, std::map<std::string, std::string> texts) {
  const Model& m = find_model(model);
  SweepSpec spec;
  for (int i = 0; i < 100; ++i) spec.grids[axis].push_back(from + step * i);
  spec.texts = std::move(texts);
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(m, spec, {}).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(100, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_TheoryCurve100, kernel_relu_depth3, "kernel", "rho", -0.99, 0.0198, {})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TheoryCurve100, krr_ridge, "krr", "alpha", 0.05, 0.05, {})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TheoryCurve100, krr_flow, "krr", "alpha", 0.05, 0.05, {{"training", "flow"}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TheoryCurve100, linear_dynamics_w1000, "linear-dynamics", "t", 0.0, 0.1, {})->Unit(benchmark::kMillisecond)->UseRealTime();

// One full-batch gradient step of a two-layer ReLU net (n × d inputs, k hidden units) with the MLP
// trainer: forward X W₁ᵀ and the first layer's gradient Dᵀ X — two GEMMs of n·d·k (the readout's
// and the elementwise parts are O(nk)).
void BM_MlpGradientStep(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), k = 2 * d, n = 2 * d;
  std::mt19937_64 rng(1);
  const mc::Mlp net = mc::standard_mlp(make_activation("relu"), d, {k}, {1.0}, 1.0, rng);
  mc::TrainingOptions options;
  options.learning_rates = {1e-3};
  mc::MlpTrainer trainer(net, mc::gaussian_matrix(n, d, rng), mc::gaussian_matrix(n, 1, rng).col(0), options);
  long steps = 0;
  for (auto _ : state) trainer.train_to(++steps);
  state.counters["GFLOP/s"] = benchmark::Counter(1e-9 * 4.0 * n * d * k, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MlpGradientStep)->Arg(400)->Arg(1000)->ArgName("d")->Unit(benchmark::kMillisecond)->UseRealTime();

// The BLAS ceiling for the same shapes (bench_common.hpp).
void BM_Dgemm(benchmark::State& state) { bench::dgemm_ceiling(state); }
BENCHMARK(BM_Dgemm)->Arg(400)->Arg(1000)->ArgName("d")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) { return rmtsolve::bench::run_benchmarks(argc, argv); }

// Issue 16 parts 4 and 5: the deep drawn-weights path against a numpy re-write of the dRF notebook
// (bench/baselines/drf_ridge_notebook.py), and kernel matrices of numerical duals (Mehler series)
// against the pairwise 2-D rule they replace.  Each new path runs next to its baseline, real time.
// Run: build/bench/rmtsolve_bench --benchmark_filter='DeepDrawnNotebook|DrfNotebook|KernelMatrix'
// (numbers in bench/notes/deep_kernels.md).
#include <benchmark/benchmark.h>

#include "drf_notebook.hpp"
#include "baseline_process.hpp"

#include <cstdio>
#include <random>
#include <string>

#include "equations/deep_rf/deep_rf.hpp"
#include "equations/kernels/kernels.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

using namespace rmtsolve;

namespace {

// The notebook's curve: two tanh layers of width 4d, a sign random-features teacher of width 2d,
// λ = 1e-3, 20 values of n/d in linspace(0.1, 8, 20), one drawn network (draw + 20 points).
void BM_DeepDrawnNotebook(benchmark::State& state) {
  deep_rf::Spec spec = drf_notebook_spec(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    const deep_rf::DrawnNetwork net = deep_rf::draw_network(spec);
    for (int i = 0; i < 20; ++i) {
      spec.alpha = 0.1 + (8.0 - 0.1) * i / 19.0;
      benchmark::DoNotOptimize(deep_rf::solve(spec, {}, &net).test_error);
    }
  }
}
BENCHMARK(BM_DeepDrawnNotebook)->Arg(300)->Arg(600)->ArgName("d")->UseRealTime()->Unit(benchmark::kMillisecond);

// The baseline: the notebook's algorithm in numpy (its own timer, interpreter start-up excluded).
void BM_DrfNotebookBaseline(benchmark::State& state) {
  const std::string command = "/usr/bin/python3 " RMTSOLVE_SOURCE_DIR "/bench/baselines/drf_ridge_notebook.py --d " +
                              std::to_string(state.range(0));
  run_timed_script(state, command, "dRF notebook baseline");
}
BENCHMARK(BM_DrfNotebookBaseline)->Arg(300)->Arg(600)->ArgName("d")->UseManualTime()->Unit(benchmark::kMillisecond);

// Depth-3 tanh NNGP + NTK (W_std 1, b_std 0.1) of n × n inputs in d = 50, rows of norms |x|²/d ∈ [0.5, 2].
Eigen::MatrixXd kernel_inputs(Eigen::Index n) {
  std::mt19937_64 rng(5);
  Eigen::MatrixXd X = mc::gaussian_matrix(n, 50, rng);
  std::uniform_real_distribution<double> norm(0.5, 2.0);
  for (Eigen::Index i = 0; i < n; ++i) X.row(i) *= std::sqrt(norm(rng) * 50.0) / X.row(i).norm();
  return X;
}

void run_kernel(benchmark::State& state, bool series) {
  kernels::NumericalDualOptions options;
  options.series = series;
  const kernels::Architecture arch =
      kernels::Architecture::fully_connected(kernels::make_dual("tanh", "activation", options), 3, 1.0, 0.1);
  const Eigen::MatrixXd X = kernel_inputs(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(kernels::nngp_ntk(arch, X).ntk.data());
  const double entries = double(X.rows()) * double(X.rows());
  state.counters["entries"] = entries;
  state.counters["s/entry"] =
      benchmark::Counter(entries, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
void BM_KernelMatrixTanhDepth3(benchmark::State& state) { run_kernel(state, true); }
BENCHMARK(BM_KernelMatrixTanhDepth3)->Arg(100)->Arg(1000)->ArgName("n")->UseRealTime()->Unit(benchmark::kMillisecond);
// The pairwise 2-D rule (the reference path) on a small subset: compare s/entry.
void BM_KernelMatrixTanhDepth3Reference(benchmark::State& state) { run_kernel(state, false); }
BENCHMARK(BM_KernelMatrixTanhDepth3Reference)->Arg(6)->ArgName("n")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

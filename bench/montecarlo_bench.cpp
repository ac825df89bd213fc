// Monte Carlo at the hardware limit (issue 16): whole processes against the numpy baseline, a λ grid
// against one λ, and the srf simulation in float64 and float32.  Real (wall-clock) time throughout;
// run: build/bench/montecarlo_bench  (numbers in bench/notes/montecarlo.md).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/montecarlo/one_step.hpp"
#include "rmtsolve/montecarlo/random_features.hpp"
#include "rmtsolve/montecarlo/ridge_sweep_cache.hpp"

using namespace rmtsolve;

namespace {

// Wall time of a whole command (process start, interpreter or library loading, the simulation, exit).
void time_command(benchmark::State& state, const std::string& command) {
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    FILE* pipe = popen((command + " >/dev/null").c_str(), "r");
    const int status = pipe ? pclose(pipe) : -1;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (status != 0) {
      state.SkipWithError(("failed: " + command).c_str());
      break;
    }
    state.SetIterationTime(elapsed.count());
  }
}

// `rmtsolve simulate rf` on the problem of bench/numpy_baseline.py: tanh features, linear target,
// p = n = 2d, 4d test points, λ = 1e-2, no noise; seeds spread over the cores as the CLI does.
void BM_SimulateRfProcess(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), seeds = static_cast<int>(state.range(1));
  time_command(state, RMTSOLVE_CLI " simulate rf --alpha 2 --beta 2 --lambda 0.01 --noise 0 --activation tanh"
                      " --target linear --d " + std::to_string(d) + " --n-test " + std::to_string(4 * d) +
                      " --seeds " + std::to_string(seeds) + " --format csv");
}

// The same seeds written plainly in numpy (one after another, as a notebook loop runs them).
void BM_NumpyBaselineProcess(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), seeds = static_cast<int>(state.range(1));
  time_command(state, "/usr/bin/python3 " RMTSOLVE_SOURCE_DIR "/bench/numpy_baseline.py --d " + std::to_string(d) +
                          " --seeds " + std::to_string(seeds));
}
// Interleaved pairs: each rmtsolve process is followed by the numpy one of the same size.
BENCHMARK(BM_SimulateRfProcess)->Args({1000, 1})->ArgNames({"d", "seeds"})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NumpyBaselineProcess)->Args({1000, 1})->ArgNames({"d", "seeds"})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulateRfProcess)->Args({1000, 4})->ArgNames({"d", "seeds"})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NumpyBaselineProcess)->Args({1000, 4})->ArgNames({"d", "seeds"})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulateRfProcess)->Args({400, 8})->ArgNames({"d", "seeds"})->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NumpyBaselineProcess)->Args({400, 8})->ArgNames({"d", "seeds"})->UseManualTime()->Unit(benchmark::kMillisecond);

// One seed of rf at d for a grid of k λ values, as a sweep asks for them (mc::RidgeSweepCache): the
// ratio of k = 2, 3 to k = 1 is the price of the grid.
void BM_RfLambdaGrid(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1));
  mc::RandomFeaturesSample s{make_activation("tanh"), make_activation("linear")};
  s.d = d;
  s.p = 2 * d;
  s.n = 2 * d;
  s.n_test = 4 * d;
  std::vector<double> grid;
  for (int j = 0; j < k; ++j) grid.push_back(1e-3 * std::pow(10.0, j));
  const mc::SeedOptions seeds{1, 1, 1};
  for (auto _ : state) {
    const mc::RidgeSweepCache cache;
    for (double lambda : grid)
      benchmark::DoNotOptimize(cache.estimates("rf", lambda, grid, seeds, [&](std::mt19937_64& rng) {
        return mc::sample_random_features(s, rng);
      }));
  }
}
BENCHMARK(BM_RfLambdaGrid)->ArgsProduct({{1000}, {1, 2, 3}})->ArgNames({"d", "lambdas"})->UseRealTime()->Unit(benchmark::kMillisecond);

// One seed of the one-step network (srf --network real) at d: p = n = 2d, n0 = 2d, 4d test
// points; precision 32 = the float32 feature path (readout in double).
void BM_MonteCarloSrf(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  const Activation tanh_ = make_activation("tanh");
  mc::OneStepSample s{tanh_, tanh_, d, 2 * d, 2 * d, 2 * d, 4 * d, 2.0, 1e-2, 0.0};
  s.single_precision = state.range(1) == 32;
  std::mt19937_64 rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(mc::simulate_one_step_network(s, rng).test);
}
BENCHMARK(BM_MonteCarloSrf)->ArgsProduct({{1000}, {64, 32}})->ArgNames({"d", "precision"})->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

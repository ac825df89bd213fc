// Benchmarks of the Gaussian covariate model (issue 16, parts 2 and 3), each beside its baseline so
// that a ratio comes from one run.  Run: build/bench/rmtsolve_bench --benchmark_filter=Gcm
// (numbers in bench/notes/gcm.md).
#include <benchmark/benchmark.h>

#include "baseline_process.hpp"
#include "gcm_files.hpp"
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/engine/sweep.hpp"

using namespace rmtsolve;
using bench::covariance_files;

namespace {

SweepSpec files_spec(const std::string& dir) {
  SweepSpec spec;
  for (int i = 0; i < 100; ++i) spec.grids["alpha"].push_back(0.05 + 0.05 * i);
  spec.grids["lambda"] = {1e-2};
  spec.texts["omega"] = dir + "/omega.npy";
  spec.texts["phi"] = dir + "/phi.npy";
  spec.texts["psi"] = dir + "/psi.npy";
  return spec;
}

// `rmtsolve curve gcm --omega --phi --psi` (ridge, linear teacher), 100 α, file reading and every
// decomposition included, on the CLI's default threads (one per core).
void BM_GcmFilesCurve100(benchmark::State& state) {
  const int p = static_cast<int>(state.range(0));
  const std::string dirs[2] = {covariance_files(p, "a"), covariance_files(p, "b")};
  SolverOptions o;
  o.threads = 0;
  static int turn = 0;  // across repetitions too: consecutive runs never see the same files
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(find_model("gcm"), files_spec(dirs[turn++ % 2]), o).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(100, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GcmFilesCurve100)->Arg(1000)->Arg(2000)->ArgName("p")->UseRealTime()->Unit(benchmark::kMillisecond);

// Its baseline: the algorithm of the authors' GCMProject in numpy (bench/baselines/gcm_ridge_numpy.py)
// on the same files; manual time = the script's own timing of the whole curve, file reading included.
void BM_GcmFilesNumpyBaseline(benchmark::State& state) {
  const std::string command = "/usr/bin/python3 " RMTSOLVE_SOURCE_DIR "/bench/baselines/gcm_ridge_numpy.py --dir " +
                              covariance_files(static_cast<int>(state.range(0)), "a");
  run_timed_script(state, command, "GCMProject-algorithm baseline");
}
BENCHMARK(BM_GcmFilesNumpyBaseline)->Arg(1000)->Arg(2000)->ArgName("p")->UseManualTime()->Unit(benchmark::kMillisecond);

// A 100-point classification curve (sign teacher, λ = 0.05) with the logistic (loss:1) or hinge
// (loss:2) loss on p = 500 random-features covariances, serial (threads:1) or split into
// warm-started segments over one thread per core (threads:0).  The problem is loaded once.
void BM_GcmConvexCurve100(benchmark::State& state) {
  SweepSpec spec = files_spec(covariance_files(500, "a"));
  spec.grids["lambda"] = {0.05};
  spec.texts["loss"] = state.range(0) == 1 ? "logistic" : "hinge";
  spec.texts["teacher"] = "sign";
  SolverOptions o;
  o.threads = static_cast<int>(state.range(1));
  run_curve(find_model("gcm"), files_spec(covariance_files(500, "a")), o);  // load outside the timing
  for (auto _ : state) benchmark::DoNotOptimize(run_curve(find_model("gcm"), spec, o).table.rows.size());
  state.counters["points/s"] = benchmark::Counter(100, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GcmConvexCurve100)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->ArgNames({"loss", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

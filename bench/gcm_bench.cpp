// Benchmarks of the Gaussian covariate model (issue 16, parts 2 and 3), each beside its baseline so
// that a ratio comes from one run.  Run: build/bench/rmtsolve_bench --benchmark_filter=Gcm
// (numbers in bench/notes/gcm.md).
#include <benchmark/benchmark.h>

#include "baseline_process.hpp"
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

namespace {

// Ω, Φ, Ψ of erf random features v = erf(W x) of a Gaussian input x ∈ R^d, teacher u = x (k = d),
// W with N(0, 1/d) entries, d = p/2, by the Gaussian equivalence of the features:
//   Ω = κ1² W Wᵀ + κ*² I,  Φ = E[u vᵀ] = κ1 Wᵀ,  Ψ = I,  κ1 = 2/√(3π), κ*² = (2/π) asin(2/3) − κ1².
// Written twice (copies a and b) so that alternating between them defeats the model's cache of
// the last loaded problem: every timed curve reads and decomposes its files.
std::string covariance_files(int p, const char* copy) {
  static std::map<int, std::filesystem::path> made;
  const auto root = std::filesystem::temp_directory_path() / ("rmtsolve_gcm_bench_" + std::to_string(::getpid()));
  const auto dir = root / ("p" + std::to_string(p) + copy);
  if (!std::filesystem::exists(dir / "psi.npy")) {
    std::filesystem::create_directories(dir);
    const int d = p / 2;
    std::mt19937_64 rng(1);
    const Eigen::MatrixXd W = mc::gaussian_matrix(p, d, rng, 1.0 / std::sqrt(double(d)));
    const double k1 = 2.0 / std::sqrt(3.0 * M_PI), ks2 = 2.0 / M_PI * std::asin(2.0 / 3.0) - k1 * k1;
    Eigen::MatrixXd Omega = k1 * k1 * W * W.transpose();
    Omega.diagonal().array() += ks2;
    write_npy((dir / "omega.npy").string(), Omega);
    write_npy((dir / "phi.npy").string(), k1 * W.transpose());
    write_npy((dir / "psi.npy").string(), Eigen::MatrixXd::Identity(d, d));
  }
  return dir.string();
}

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

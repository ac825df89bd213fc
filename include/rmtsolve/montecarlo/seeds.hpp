#pragma once
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace rmtsolve::mc {

/// Mean and standard error of one Monte Carlo output over independent seeds.
struct Estimate {
  double mean = 0.0;
  double standard_error = 0.0;
  int seeds = 0;
};

struct SeedOptions {
  int seeds = 8;
  std::uint64_t base_seed = 20261123;
  int threads = 0;  // 0: one per hardware core
  std::function<void()> on_seed_done;  // progress report, called from the worker threads
};

/// The random stream of seed `index`: a function of (base_seed, index) only, so results do not
/// depend on the number of threads or the order in which seeds run.
std::mt19937_64 seed_stream(std::uint64_t base_seed, std::uint64_t index);

/// Runs `task(rng, seed_index)` once per seed, seeds spread over threads (OpenBLAS held to one
/// thread meanwhile).  An exception in any task is rethrown after all threads stop; an interrupt
/// request stops the remaining seeds with Interrupted.
void for_each_seed(const SeedOptions& options, const std::function<void(std::mt19937_64&, int)>& task);

/// Mean, standard error and count of each output over seeds (rows: seeds).
std::vector<Estimate> summarize(const std::vector<std::vector<double>>& per_seed);

/// Runs `trial` once per seed, seeds spread over threads (OpenBLAS is held to one thread meanwhile,
/// so the cores are not oversubscribed), and returns one Estimate per output of `trial`.
/// An exception in any trial is rethrown after all threads stop.
std::vector<Estimate> run_seeds(const SeedOptions& options,
                                const std::function<std::vector<double>(std::mt19937_64&)>& trial);

}  // namespace rmtsolve::mc

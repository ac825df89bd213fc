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
  /// Distributed runs: this process runs the seeds i with i mod shard_count == shard; the others
  /// run elsewhere and the partial estimates are pooled (pool_estimates).
  int shard = 0, shard_count = 1;
  std::function<void()> on_seed_done;  // progress report, called from the worker threads
};

/// The random stream of seed `index`: a function of (base_seed, index) only, so results do not
/// depend on the number of threads or the order in which seeds run.
std::mt19937_64 seed_stream(std::uint64_t base_seed, std::uint64_t index);

/// Runs `task(rng, seed_index)` once per seed, seeds spread over threads (OpenBLAS held to one
/// thread meanwhile).  An exception in any task is rethrown after all threads stop; an interrupt
/// request stops the remaining seeds with Interrupted.
void for_each_seed(const SeedOptions& options, const std::function<void(std::mt19937_64&, int)>& task);

/// Whether seed `index` runs in this process (SeedOptions::shard).
bool owns_seed(const SeedOptions& options, int index);

/// Mean, standard error and count of each output over seeds (rows: seeds; empty rows are seeds
/// that ran in another process and are skipped).
std::vector<Estimate> summarize(const std::vector<std::vector<double>>& per_seed);

/// Sufficient statistics of one output over a set of seeds: pooling the moments of disjoint seed
/// sets gives the estimate over their union (up to rounding).
struct SeedMoments {
  double count = 0.0, sum = 0.0, centred_squares = 0.0;
};
SeedMoments moments_of(const Estimate& e);
Estimate estimate_of(const SeedMoments& m);
SeedMoments& operator+=(SeedMoments& a, const SeedMoments& b);

/// Runs `trial` once per seed, seeds spread over threads (OpenBLAS is held to one thread meanwhile,
/// so the cores are not oversubscribed), and returns one Estimate per output of `trial`.
/// An exception in any trial is rethrown after all threads stop.
std::vector<Estimate> run_seeds(const SeedOptions& options,
                                const std::function<std::vector<double>(std::mt19937_64&)>& trial);

}  // namespace rmtsolve::mc

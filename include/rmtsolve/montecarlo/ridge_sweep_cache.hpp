#pragma once
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "rmtsolve/montecarlo/readout.hpp"
#include "rmtsolve/montecarlo/ridge_path.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

namespace rmtsolve::mc {

/// Monte Carlo of a ridge readout for one λ of a sweep, solving the whole λ grid from one draw.  A
/// seed's data depend only on (base seed, seed index), not on λ, so at the first point of a `key`
/// (everything but λ) each seed is drawn once and its errors are computed for every λ of `grid`
/// that the sweep will ask for: up to kCholeskyGrid values by one Gram matrix and one Cholesky per
/// λ (ridge_readouts), longer grids by one eigen-decomposition (RidgePath).  Only the errors are
/// kept, so further points of the grid cost nothing and memory does not grow with the grid.
/// Results equal the direct ones up to rounding.  Outputs: test and train mean squared error.
class RidgeSweepCache {
 public:
  /// grid: the λ values of the sweep (empty, or without `lambda`: this λ alone).
  std::vector<Estimate> estimates(const std::string& key, double lambda, const std::vector<double>& grid,
                                  const SeedOptions& options,
                                  const std::function<ReadoutData(std::mt19937_64&)>& draw) const;

  /// Above this many λ one eigen-decomposition (≈ 9 k³ flops and a test-set product) is cheaper
  /// than a Cholesky (k³/3) per λ.
  static constexpr size_t kCholeskyGrid = 16;
  /// Solved points of this many keys are kept (a 2-D sweep with λ as the outer grid revisits
  /// every key once per λ); beyond, the record starts afresh.
  static constexpr size_t kKeysKept = 4096;

 private:
  using PerSeed = std::vector<std::vector<double>>;  // by seed index: {test, train}; empty: not ours
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::map<double, PerSeed>> done_;  // key → λ → per-seed errors
};

}  // namespace rmtsolve::mc

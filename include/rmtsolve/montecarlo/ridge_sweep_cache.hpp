#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rmtsolve/montecarlo/readout.hpp"
#include "rmtsolve/montecarlo/ridge_path.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

namespace rmtsolve::mc {

/// Monte Carlo of a ridge readout for one λ of a sweep, reusing work across a λ grid.  A seed's
/// data depend only on (base seed, seed index), not on λ, so once two consecutive points differ
/// only in λ (same `key`), every seed's problem is kept as a RidgePath — one eigen-decomposition —
/// and each further λ costs no sampling and no factorisation.  Results equal the direct ones up to
/// rounding.  Outputs: test and train mean squared error.
class RidgeSweepCache {
 public:
  std::vector<Estimate> estimates(const std::string& key, double lambda, const SeedOptions& options,
                                  const std::function<ReadoutData(std::mt19937_64&)>& draw, double bytes_per_seed) const;

 private:
  static constexpr double kMemoryBudget = 4e9;  // bytes of kept paths, all seeds together
  mutable std::mutex mutex_;
  mutable std::string last_key_, cached_key_;
  mutable std::vector<std::unique_ptr<RidgePath>> paths_;  // by seed index; null: not ours
};

}  // namespace rmtsolve::mc

#include "rmtsolve/montecarlo/ridge_sweep_cache.hpp"

#include <algorithm>

#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {

std::vector<Estimate> RidgeSweepCache::estimates(const std::string& key, double lambda, const std::vector<double>& grid,
                                                 const SeedOptions& options,
                                                 const std::function<ReadoutData(std::mt19937_64&)>& draw) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (done_.size() >= kKeysKept && !done_.count(key)) done_.clear();  // a long-lived process (Python) does not grow
  auto& by_lambda = done_[key];
  const auto hit = by_lambda.find(lambda);
  if (hit != by_lambda.end()) {
    for (const auto& r : hit->second)
      if (!r.empty() && options.on_seed_done) options.on_seed_done();
    return summarize(hit->second);
  }
  std::vector<double> lambdas{lambda};
  if (std::find(grid.begin(), grid.end(), lambda) != grid.end()) {
    lambdas.clear();
    for (double l : grid)  // the grid's values not solved yet, each once
      if (!by_lambda.count(l) && std::find(lambdas.begin(), lambdas.end(), l) == lambdas.end()) lambdas.push_back(l);
  }
  const size_t seeds = static_cast<size_t>(std::max(1, options.seeds));
  std::vector<PerSeed> per_seed(lambdas.size(), PerSeed(seeds));
  for_each_seed(options, [&](std::mt19937_64& rng, int i) {
    ReadoutData data = draw(rng);
    std::vector<ReadoutErrors> errors;
    if (lambdas.size() == 1) {
      errors.push_back(evaluate_readout(data, {Loss::kSquare, lambdas.front()}));
    } else if (lambdas.size() <= kCholeskyGrid) {
      errors = evaluate_ridge_grid(data, lambdas);
    } else {
      const RidgePath path(data.F, data.y, data.F_test, data.y_test);
      for (double l : lambdas) errors.push_back(path.errors(l));
    }
    for (size_t j = 0; j < lambdas.size(); ++j) per_seed[j][static_cast<size_t>(i)] = {errors[j].test, errors[j].train};
    recycle(data.F);  // the next seed of this thread draws into the same storage
    recycle(data.F_test);
  });
  for (size_t j = 0; j < lambdas.size(); ++j) by_lambda[lambdas[j]] = std::move(per_seed[j]);
  return summarize(by_lambda[lambda]);
}

}  // namespace rmtsolve::mc

#include "rmtsolve/montecarlo/ridge_sweep_cache.hpp"

namespace rmtsolve::mc {

std::vector<Estimate> RidgeSweepCache::estimates(const std::string& key, double lambda, const SeedOptions& options,
                                                 const std::function<ReadoutData(std::mt19937_64&)>& draw,
                                                 double bytes_per_seed) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t seeds = static_cast<size_t>(std::max(1, options.seeds));
  std::vector<std::vector<double>> per_seed(seeds);
  const bool affordable = bytes_per_seed * static_cast<double>(seeds) <= kMemoryBudget;
  if (key != cached_key_ && key == last_key_ && affordable) {
    std::vector<std::unique_ptr<RidgePath>> built(seeds);
    for_each_seed(options, [&](std::mt19937_64& rng, int i) {
      const ReadoutData data = draw(rng);
      built[static_cast<size_t>(i)] = std::make_unique<RidgePath>(data.F, data.y, data.F_test, data.y_test);
    });
    paths_ = std::move(built);
    cached_key_ = key;
  }
  if (key == cached_key_) {
    for (size_t i = 0; i < seeds; ++i) {
      if (!paths_[i]) continue;  // a seed of another process
      const ReadoutErrors e = paths_[i]->errors(lambda);
      per_seed[i] = {e.test, e.train};
      if (options.on_seed_done) options.on_seed_done();
    }
    return summarize(per_seed);
  }
  last_key_ = key;
  for_each_seed(options, [&](std::mt19937_64& rng, int i) {
    const ReadoutErrors e = evaluate_readout(draw(rng), {Loss::kSquare, lambda});
    per_seed[static_cast<size_t>(i)] = {e.test, e.train};
  });
  return summarize(per_seed);
}

}  // namespace rmtsolve::mc

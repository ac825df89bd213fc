#include "rmtsolve/montecarlo/seeds.hpp"

#include "rmtsolve/interrupt.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

namespace rmtsolve::mc {

std::mt19937_64 seed_stream(std::uint64_t base_seed, std::uint64_t index) {
  std::seed_seq seq{static_cast<std::uint32_t>(base_seed), static_cast<std::uint32_t>(base_seed >> 32),
                    static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), 0x726d74u};
  return std::mt19937_64(seq);
}

void for_each_seed(const SeedOptions& options, const std::function<void(std::mt19937_64&, int)>& task) {
  const int seeds = std::max(1, options.seeds);
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::min(seeds, options.threads > 0 ? options.threads : hw);
  std::atomic<int> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    for (int i = next++; i < seeds; i = next++) {
      try {
        if (interrupted()) throw Interrupted();
        auto rng = seed_stream(options.base_seed, static_cast<std::uint64_t>(i));
        task(rng, i);
        if (options.on_seed_done) options.on_seed_done();
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  const int blas_threads = openblas_get_num_threads();
  if (threads > 1) openblas_set_num_threads(1);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  openblas_set_num_threads(blas_threads);
  if (failure) std::rethrow_exception(failure);
}

std::vector<Estimate> summarize(const std::vector<std::vector<double>>& per_seed) {
  const auto seeds = static_cast<double>(per_seed.size());
  const size_t outputs = per_seed.empty() ? 0 : per_seed.front().size();
  std::vector<Estimate> est(outputs);
  for (size_t k = 0; k < outputs; ++k) {
    double sum = 0.0, sq = 0.0;
    for (const auto& r : per_seed) sum += r[k];
    const double mean = sum / seeds;
    for (const auto& r : per_seed) sq += (r[k] - mean) * (r[k] - mean);
    est[k].mean = mean;
    est[k].standard_error = seeds > 1 ? std::sqrt(sq / (seeds - 1) / seeds) : std::nan("");
    est[k].seeds = static_cast<int>(per_seed.size());
  }
  return est;
}

std::vector<Estimate> run_seeds(const SeedOptions& options,
                                const std::function<std::vector<double>(std::mt19937_64&)>& trial) {
  std::vector<std::vector<double>> results(static_cast<size_t>(std::max(1, options.seeds)));
  for_each_seed(options, [&](std::mt19937_64& rng, int i) { results[static_cast<size_t>(i)] = trial(rng); });
  return summarize(results);
}

}  // namespace rmtsolve::mc

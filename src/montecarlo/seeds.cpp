#include "rmtsolve/montecarlo/seeds.hpp"

#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

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

bool owns_seed(const SeedOptions& options, int index) {
  return index % std::max(1, options.shard_count) == options.shard;
}

void for_each_seed(const SeedOptions& options, const std::function<void(std::mt19937_64&, int)>& task) {
  std::vector<int> mine;
  for (int i = 0; i < std::max(1, options.seeds); ++i)
    if (owns_seed(options, i)) mine.push_back(i);
  const int count = static_cast<int>(mine.size());
  if (count == 0) return;
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::min(count, options.threads > 0 ? options.threads : hw);
  std::atomic<int> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    // Seeds in parallel already fill the cores: no nested sampling threads.
    const int sampling_before = set_sampling_threads(1);
    if (threads <= 1) set_sampling_threads(sampling_before);
    for (int k = next++; k < count; k = next++) {
      const int i = mine[static_cast<size_t>(k)];
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
    set_sampling_threads(sampling_before);
  };
  const int blas_threads = openblas_get_num_threads();
  if (threads > 1) openblas_set_num_threads(1);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  release_recycled();  // the workers' storage went with them; the caller's goes now
  openblas_set_num_threads(blas_threads);
  if (failure) std::rethrow_exception(failure);
}

std::vector<Estimate> summarize(const std::vector<std::vector<double>>& per_seed) {
  std::vector<const std::vector<double>*> ran;
  for (const auto& r : per_seed)
    if (!r.empty()) ran.push_back(&r);
  const auto seeds = static_cast<double>(ran.size());
  const size_t outputs = ran.empty() ? 0 : ran.front()->size();
  std::vector<Estimate> est(outputs);
  for (size_t k = 0; k < outputs; ++k) {
    double sum = 0.0, sq = 0.0;
    for (const auto* r : ran) sum += (*r)[k];
    const double mean = sum / seeds;
    for (const auto* r : ran) sq += ((*r)[k] - mean) * ((*r)[k] - mean);
    est[k].mean = mean;
    est[k].standard_error = seeds > 1 ? std::sqrt(sq / (seeds - 1) / seeds) : std::nan("");
    est[k].seeds = static_cast<int>(ran.size());
  }
  return est;
}

SeedMoments moments_of(const Estimate& e) {
  const double n = e.seeds;
  if (n <= 0) return {};
  const double spread = n > 1 ? e.standard_error * e.standard_error * n * (n - 1) : 0.0;
  return {n, e.mean * n, spread};
}

Estimate estimate_of(const SeedMoments& m) {
  Estimate e;
  e.seeds = static_cast<int>(std::lround(m.count));
  if (m.count <= 0) return {std::nan(""), std::nan(""), 0};
  e.mean = m.sum / m.count;
  e.standard_error = m.count > 1 ? std::sqrt(m.centred_squares / (m.count - 1) / m.count) : std::nan("");
  return e;
}

SeedMoments& operator+=(SeedMoments& a, const SeedMoments& b) {
  if (b.count <= 0) return a;
  if (a.count <= 0) return a = b;
  // Chan et al.'s pairwise update of the centred sum of squares.
  const double n = a.count + b.count, delta = b.sum / b.count - a.sum / a.count;
  a.centred_squares += b.centred_squares + delta * delta * a.count * b.count / n;
  a.sum += b.sum;
  a.count = n;
  return a;
}

std::vector<Estimate> run_seeds(const SeedOptions& options,
                                const std::function<std::vector<double>(std::mt19937_64&)>& trial) {
  std::vector<std::vector<double>> results(static_cast<size_t>(std::max(1, options.seeds)));
  for_each_seed(options, [&](std::mt19937_64& rng, int i) { results[static_cast<size_t>(i)] = trial(rng); });
  return summarize(results);
}

}  // namespace rmtsolve::mc

#include "rmtsolve/montecarlo/sampling.hpp"

#include <algorithm>
#include <boost/random/normal_distribution.hpp>
#include <cblas.h>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace rmtsolve::mc {
namespace {

thread_local int t_sampling_threads = 0;

// Runs body(begin, end) over [0, size) cut into chunks of `chunk`, on up to sampling_threads()
// threads.  Chunk b always covers the same entries, so the result cannot depend on the thread count.
template <class Body>
void parallel_chunks(Eigen::Index size, Eigen::Index chunk, const Body& body) {
  const Eigen::Index chunks = (size + chunk - 1) / chunk;
  const int threads = static_cast<int>(std::min<Eigen::Index>(sampling_threads(), chunks));
  auto run = [&](int t) {
    for (Eigen::Index b = t; b < chunks; b += threads) body(b, b * chunk, std::min(size, (b + 1) * chunk));
  };
  if (threads <= 1) {
    run(0);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> failures(static_cast<size_t>(threads));
  for (int t = 1; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        run(t);
      } catch (...) {
        failures[static_cast<size_t>(t)] = std::current_exception();
      }
    });
  try {
    run(0);
  } catch (...) {
    failures[0] = std::current_exception();
  }
  for (auto& th : pool) th.join();
  for (const auto& f : failures)
    if (f) std::rethrow_exception(f);
}

// Elementwise work is split only when it is worth a thread start (≈ 10 µs).
constexpr Eigen::Index kElementwiseChunk = Eigen::Index{1} << 16;

}  // namespace

void for_each_block(Eigen::Index size, Eigen::Index chunk,
                    const std::function<void(Eigen::Index, Eigen::Index, Eigen::Index)>& body) {
  if (size > 0) parallel_chunks(size, std::max<Eigen::Index>(1, chunk), body);
}

int set_sampling_threads(int threads) {
  const int before = t_sampling_threads;
  t_sampling_threads = std::max(0, threads);
  return before;
}

int sampling_threads() {
  if (t_sampling_threads > 0) return t_sampling_threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {
// Below 2 MB a fresh allocation costs little (and glibc's heap reuses it anyway).
constexpr Eigen::Index kRecycledMinimum = Eigen::Index{1} << 18;
constexpr size_t kRecycledMaximum = 8;
thread_local std::vector<Eigen::MatrixXd> t_spare;
// Storage handed out by reusable_matrix and not recycled yet (newest last, bounded).  Only that
// storage is taken back: a matrix made elsewhere (say a model's test features built by an Eigen
// expression) has a size no request of this thread asks for, and would only sit in the pool.
thread_local std::vector<const double*> t_handed;
constexpr size_t kHandedMaximum = 32;

Eigen::MatrixXd handed(Eigen::MatrixXd m) {
  if (m.size() >= kRecycledMinimum) {
    if (t_handed.size() == kHandedMaximum) t_handed.erase(t_handed.begin());
    t_handed.push_back(m.data());
  }
  return m;
}
}  // namespace

Eigen::MatrixXd reusable_matrix(Eigen::Index rows, Eigen::Index cols) {
  for (auto it = t_spare.begin(); it != t_spare.end(); ++it)
    if (it->size() == rows * cols) {
      Eigen::MatrixXd m = std::move(*it);
      t_spare.erase(it);
      m.resize(rows, cols);  // same number of entries: Eigen keeps the storage
      return handed(std::move(m));
    }
  return handed(Eigen::MatrixXd(rows, cols));
}

void recycle(Eigen::MatrixXd& m) {
  const auto it = std::find(t_handed.begin(), t_handed.end(), m.data());
  if (m.size() >= kRecycledMinimum && it != t_handed.end()) {
    t_handed.erase(it);
    if (t_spare.size() == kRecycledMaximum) t_spare.erase(t_spare.begin());  // the oldest goes
    t_spare.push_back(std::move(m));
  }
  m = Eigen::MatrixXd();
}

void release_recycled() {
  std::vector<Eigen::MatrixXd>().swap(t_spare);
  std::vector<const double*>().swap(t_handed);
}

Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng, double scale) {
  // Boost's ziggurat sampler: several times faster than libstdc++'s polar method, and the same
  // numbers on every platform for a given stream.
  Eigen::MatrixXd A = reusable_matrix(rows, cols);
  double* a = A.data();
  const Eigen::Index size = A.size();
  if (size <= kSampleBlock) {
    // Fill in storage order so that the stream maps to entries the same way on every platform.
    boost::random::normal_distribution<double> normal(0.0, scale);
    for (Eigen::Index i = 0; i < size; ++i) a[i] = normal(rng);
    return A;
  }
  // Larger matrices: block b (kSampleBlock entries in storage order) from its own stream, seeded by
  // one draw of the caller's stream and b — blocks can then be drawn on any number of threads.
  const std::uint64_t key = rng();
  parallel_chunks(size, kSampleBlock, [&](Eigen::Index b, Eigen::Index begin, Eigen::Index end) {
    const auto block = static_cast<std::uint64_t>(b);
    std::seed_seq seq{static_cast<std::uint32_t>(key), static_cast<std::uint32_t>(key >> 32),
                      static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32), 0x6761u};
    std::mt19937_64 stream(seq);
    boost::random::normal_distribution<double> normal(0.0, scale);
    for (Eigen::Index i = begin; i < end; ++i) a[i] = normal(stream);
  });
  return A;
}

Eigen::MatrixXd unit_rows(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng) {
  Eigen::MatrixXd W = gaussian_matrix(rows, cols, rng);
  W.rowwise().normalize();
  return W;
}

namespace {
void activate_chunk(const Activation& sigma, double* a, Eigen::Index begin, Eigen::Index end) {
  if (sigma.apply_inplace) return sigma.apply_inplace(a + begin, static_cast<long>(end - begin));
  for (Eigen::Index i = begin; i < end; ++i) a[i] = sigma.f(a[i]);
}
}  // namespace

void apply_activation(const Activation& sigma, Eigen::MatrixXd& A) {
  double* a = A.data();
  parallel_chunks(A.size(), kElementwiseChunk,
                  [&](Eigen::Index, Eigen::Index begin, Eigen::Index end) { activate_chunk(sigma, a, begin, end); });
}

void apply_activation(const Activation& sigma, Eigen::MatrixXf& A) {
  float* a = A.data();
  parallel_chunks(A.size(), kElementwiseChunk, [&](Eigen::Index, Eigen::Index begin, Eigen::Index end) {
    if (sigma.apply_inplace_float) return sigma.apply_inplace_float(a + begin, static_cast<long>(end - begin));
    for (Eigen::Index i = begin; i < end; ++i) a[i] = static_cast<float>(sigma.f(a[i]));
  });
}

Eigen::MatrixXd activation_with_slope(const Activation& sigma, Eigen::MatrixXd& A) {
  Eigen::MatrixXd value(A.rows(), A.cols());
  double* a = A.data();
  double* v = value.data();
  parallel_chunks(A.size(), kElementwiseChunk, [&](Eigen::Index, Eigen::Index begin, Eigen::Index end) {
    if (sigma.apply_with_slope) return sigma.apply_with_slope(a + begin, v + begin, static_cast<long>(end - begin));
    for (Eigen::Index i = begin; i < end; ++i) {
      v[i] = sigma.f(a[i]);
      a[i] = sigma.df(a[i]);
    }
  });
  return value;
}

Eigen::MatrixXd activated_product(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, const Eigen::MatrixXf& W_single,
                                  const Activation& sigma, double scale, bool single_precision) {
  if (!single_precision) {
    // dgemm straight into uninitialised storage (β = 0): Eigen's product would first zero F in one
    // serial pass (and take all its page faults on this thread) before a β = 1 dgemm.
    Eigen::MatrixXd F = reusable_matrix(X.rows(), W.rows());
    if (F.size() > 0)
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<int>(X.rows()), static_cast<int>(W.rows()),
                  static_cast<int>(X.cols()), 1.0, X.data(), static_cast<int>(std::max<Eigen::Index>(1, X.rows())),
                  W.data(), static_cast<int>(std::max<Eigen::Index>(1, W.rows())), 0.0, F.data(),
                  static_cast<int>(X.rows()));
    // σ and the scale on each cache-sized chunk while it is hot: one sweep of F through memory, on
    // every core, instead of a second single-threaded one (the same operations, bit for bit).
    double* f = F.data();
    parallel_chunks(F.size(), kElementwiseChunk, [&](Eigen::Index, Eigen::Index begin, Eigen::Index end) {
      activate_chunk(sigma, f, begin, end);
      for (Eigen::Index i = begin; i < end; ++i) f[i] *= scale;
    });
    return F;
  }
  Eigen::MatrixXf F = X.cast<float>() * W_single.transpose();
  apply_activation(sigma, F);
  Eigen::MatrixXd out = reusable_matrix(F.rows(), F.cols());
  out = F.cast<double>() * scale;
  return out;
}

}  // namespace rmtsolve::mc

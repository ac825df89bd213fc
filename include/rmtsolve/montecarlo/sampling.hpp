#pragma once
#include <Eigen/Dense>
#include <functional>
#include <random>

#include "rmtsolve/numerics/activation.hpp"

namespace rmtsolve::mc {

/// Matrices of more entries than this are sampled in blocks of this size, each from its own stream
/// (keyed by one draw of the caller's stream and the block's index), on sampling_threads() threads;
/// the numbers do not depend on the thread count.  Smaller ones come straight from the stream, as
/// before blocks existed.  8 MB per block: a stream's seeding (≈ 5 µs) is negligible next to its
/// ≈ 5 ms of sampling, a d = 1000 seed's matrices (2–8 M entries) still split over 2–8 threads, and
/// problems up to d ≈ 500 (unit tests, reduced validation suites) keep the streams they were
/// validated with.
constexpr Eigen::Index kSampleBlock = Eigen::Index{1} << 20;

/// Threads for the sampling and the elementwise activations of the calling thread (0: one per
/// hardware core, the default).  for_each_seed sets 1 in its workers when seeds run in parallel.
/// Returns the previous setting.
int set_sampling_threads(int threads);
int sampling_threads();

/// Runs body(block, begin, end) over [0, size) cut into blocks of `chunk` entries, on up to
/// sampling_threads() threads; block b always covers the same entries, so per-entry work gives the
/// same numbers whatever the thread count.  The first exception is rethrown once all have joined.
void for_each_block(Eigen::Index size, Eigen::Index chunk,
                    const std::function<void(Eigen::Index, Eigen::Index, Eigen::Index)>& body);

/// Storage of large matrices kept per thread between seeds.  A seed's matrices (inputs, weights,
/// features, Gram) are the same sizes from one seed to the next; taking fresh ones each time made
/// the kernel fault in and zero every page again (≈ 7 % of a d = 1000 seed's cycles).  A matrix
/// recycled by a thread is handed out again, uninitialised, to the next request of that thread for a
/// matrix of exactly as many entries.  At most a few matrices (one seed's worth) are kept;
/// for_each_seed releases the calling thread's storage when it returns, and a thread's storage goes
/// with the thread.
Eigen::MatrixXd reusable_matrix(Eigen::Index rows, Eigen::Index cols);
/// Takes m's storage for reuse by this thread when reusable_matrix handed it out (anything else,
/// and small matrices, are simply freed); m is left empty.
void recycle(Eigen::MatrixXd& m);
/// Frees the storage this thread keeps for reuse.
void release_recycled();

/// rows × cols matrix of i.i.d. N(0, scale²) entries.
Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng, double scale = 1.0);

/// rows × cols matrix whose rows are i.i.d. uniform on the unit sphere of ℝ^cols.
Eigen::MatrixXd unit_rows(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng);

/// σ applied entrywise, in place.
void apply_activation(const Activation& sigma, Eigen::MatrixXd& A);
void apply_activation(const Activation& sigma, Eigen::MatrixXf& A);

/// σ′ in place of the pre-activations A, and σ returned: one vectorised pass where the activation
/// offers it (Activation::apply_with_slope).
Eigen::MatrixXd activation_with_slope(const Activation& sigma, Eigen::MatrixXd& A);

/// Features σ(X Wᵀ)·scale, with the product and σ in double or, for the float32 Monte Carlo path,
/// in single precision (sgemm: twice the throughput; the result is returned in double, and
/// everything downstream — Gram, factorisation, errors — stays in double).
Eigen::MatrixXd activated_product(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, const Eigen::MatrixXf& W_single,
                                  const Activation& sigma, double scale, bool single_precision);

}  // namespace rmtsolve::mc

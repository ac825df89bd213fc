#pragma once
#include <Eigen/Dense>
#include <memory>
#include <random>
#include <string>

namespace rmtsolve::mc {

/// How the rows of one layer's weight matrix W ∈ ℝ^{k_out × k_in} are drawn.  All three give
/// rows with E‖w_i‖² = 1 for C = I/k_in, so pre-activation variances follow r = tr(C Ω).
struct WeightModel {
  enum class Kind {
    kGaussian,       // i.i.d. N(0, 1/k_in) entries
    kOrthogonal,     // Haar (semi-)orthogonal, scaled to unit row norm on average
    kRowCovariance,  // rows i.i.d. N(0, C) for a user-given C (k_in × k_in)
  };
  Kind kind = Kind::kGaussian;
  Eigen::MatrixXd C;  // kRowCovariance only
  /// kRowCovariance: C^{1/2}, decomposed once by prepare() and shared by every draw (seeds, sweeps);
  /// empty: sample_weights decomposes C itself.
  std::shared_ptr<const Eigen::MatrixXd> root;
  /// Checks C (positive semi-definite) and fills `root`; InvalidInput naming "weights" otherwise.
  void prepare();
  std::string describe() const;
};

Eigen::MatrixXd sample_weights(const WeightModel& model, Eigen::Index k_out, Eigen::Index k_in, std::mt19937_64& rng);

}  // namespace rmtsolve::mc

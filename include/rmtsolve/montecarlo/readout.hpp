#pragma once
#include <Eigen/Dense>
#include <functional>
#include <random>

#include "rmtsolve/activation.hpp"

namespace rmtsolve::mc {

/// A single-index teacher on Gaussian inputs: y = σ*(⟨θ, x⟩/√d) + √Δ ε.
struct Teacher {
  const Activation* link = nullptr;
  Eigen::VectorXd theta;  // ‖θ‖² = d
  double noise = 0.0;
  Eigen::VectorXd labels(const Eigen::MatrixXd& X, std::mt19937_64& rng) const;
};

/// Unit vector in ℝ^d scaled to norm √d, uniformly distributed.
Eigen::VectorXd random_direction(int d, std::mt19937_64& rng);

/// Features of a batch of inputs (rows of X), already scaled as the readout sees them.
using FeatureMap = std::function<Eigen::MatrixXd(const Eigen::MatrixXd& X)>;

struct RidgeErrors {
  double test = 0.0;   // mean squared error on n_test fresh samples (label noise included)
  double train = 0.0;  // mean squared error on the training set
};

/// Trains a ridge readout Σ(y − âᵀφ)² + λ‖â‖² on n fresh Gaussian samples and measures it on
/// n_test more (in blocks, to bound memory): the common last stage of every simulated model.
RidgeErrors ridge_readout_errors(const FeatureMap& features, const Teacher& teacher, int d, int n, int n_test,
                                 double lambda, std::mt19937_64& rng);

}  // namespace rmtsolve::mc

#pragma once
#include <Eigen/Dense>
#include <functional>
#include <random>
#include <vector>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/numerics/loss.hpp"

namespace rmtsolve::mc {

/// A teacher on Gaussian inputs: single-index y = σ*(⟨θ, x⟩/√norm) + √Δ ε (norm = d unless set),
/// or, when `hidden` is set, a random-features teacher y = θᵀσ*(W* x)/√k* + √Δ ε.
struct Teacher {
  Teacher() = default;
  Teacher(const Activation* link_, Eigen::VectorXd theta_, double noise_) : link(link_), theta(std::move(theta_)), noise(noise_) {}
  const Activation* link = nullptr;
  Eigen::VectorXd theta;  // single-index: ‖θ‖² ≈ norm; random features: θ ∈ ℝ^{k*}
  double noise = 0.0;
  double norm = 0.0;      // 0: d
  Eigen::MatrixXd hidden; // W* ∈ ℝ^{k*×d}, empty for a single-index teacher
  bool noise_inside = false;  // y = σ*(s + √Δ ε) (probit-like) instead of σ*(s) + √Δ ε
  Eigen::VectorXd labels(const Eigen::MatrixXd& X, std::mt19937_64& rng) const;
};

/// Unit vector in ℝ^d scaled to norm √d, uniformly distributed.
Eigen::VectorXd random_direction(int d, std::mt19937_64& rng);

/// Features of a batch of inputs (rows of X), already scaled as the readout sees them.
using FeatureMap = std::function<Eigen::MatrixXd(const Eigen::MatrixXd& X)>;

struct ReadoutErrors {
  double test = 0.0;            // mean squared error on n_test fresh samples (label noise included)
  double train = 0.0;           // mean squared error on the training set
  double classification = 0.0;  // fraction of fresh samples with sign(ŷ) ≠ y
  double train_loss = 0.0;      // (1/n) Σ ℓ(y, ŷ) on the training set
};

/// How the readout is trained: Σ ℓ(y, ŷ) + (λ/2)‖w‖² (square loss: the ridge of the other models).
struct Estimator {
  Loss loss = Loss::kSquare;
  double lambda = 1e-2;
};

/// A sampled readout problem: training and test features with their labels.
struct ReadoutData {
  Eigen::MatrixXd F, F_test;
  Eigen::VectorXd y, y_test;
};

/// Draws n training and n_test fresh Gaussian samples through `features` and `teacher`: the common
/// last stage of every simulated model.  Inputs are x = diag(input_sd)·g with g ~ N(0, I_d)
/// (input_sd empty: Σ = I).
ReadoutData draw_readout_data(const FeatureMap& features, const Teacher& teacher, int d, int n, int n_test,
                              std::mt19937_64& rng, const Eigen::VectorXd& input_sd = {});

/// Trains the readout on the training part and measures it on the test part.
ReadoutErrors evaluate_readout(const ReadoutData& data, const Estimator& estimator);

/// The ridge (square-loss) readout at every λ of `lambdas` from one Gram matrix (ridge_readouts):
/// what evaluate_readout gives for each λ, up to rounding.
std::vector<ReadoutErrors> evaluate_ridge_grid(const ReadoutData& data, const std::vector<double>& lambdas);

}  // namespace rmtsolve::mc

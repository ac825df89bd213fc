#pragma once
#include <random>
#include <vector>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/montecarlo/readout.hpp"
#include "rmtsolve/montecarlo/weights.hpp"

namespace rmtsolve::mc {

/// A finite deep feature map h_l = σ_l(W_l h_{l−1}) with weights drawn per layer, a teacher
/// (single-index or random features of width k*), and a ridge readout on h_L/√p.
struct DeepSample {
  struct Layer {
    Activation sigma;
    WeightModel weights;
    int width = 0;
  };
  std::vector<Layer> layers;
  Activation link;
  int d = 400, n = 400, n_test = 4000, teacher_width = 0;
  double noise = 0.0;
  bool noise_inside = false;  // probit-like labels σ*(s + √Δ ε)
  Estimator estimator;        // how the readout is trained (loss, λ)
  bool single_precision = false;  // the layers in float32 (same draws); readout in double
  Eigen::VectorXd input_sd;  // √ of the eigenvalues of a diagonal Σ; empty: Σ = I
};

ReadoutData sample_deep_features(const DeepSample& sample, std::mt19937_64& rng);
ReadoutErrors simulate_deep_features(const DeepSample& sample, std::mt19937_64& rng);

}  // namespace rmtsolve::mc

#pragma once
#include <random>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/montecarlo/readout.hpp"

namespace rmtsolve::mc {

/// One finite random-features ridge problem, sampled exactly as the theory of
/// equations/rf_ridge assumes: x ~ N(0, I_d), y = σ*(⟨θ,x⟩/√d) + √Δ ε with ‖θ‖² = d, W with
/// unit-norm rows, features σ(Wx)/√p, ridge Σ(y − âᵀφ)² + λ‖â‖².
struct RandomFeaturesSample {
  Activation sigma, link;
  int d = 400, p = 400, n = 400;
  int n_test = 4000;
  double lambda = 1e-2;
  double noise = 0.0;
  bool single_precision = false;  // features in float32 (same draws; see activated_product)
};

ReadoutData sample_random_features(const RandomFeaturesSample& sample, std::mt19937_64& rng);
ReadoutErrors simulate_random_features(const RandomFeaturesSample& sample, std::mt19937_64& rng);

}  // namespace rmtsolve::mc

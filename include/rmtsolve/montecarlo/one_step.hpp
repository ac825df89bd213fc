#pragma once
#include <random>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/montecarlo/readout.hpp"

namespace rmtsolve::mc {

/// The real two-layer network of docs/theory/srf.md §1.2: W0 with unit-norm rows, a0 = 1/√p, one gradient step
/// W1 = W0 + η̃ (1/n0) Σ_μ (y_μ − f0(x_μ)) σ′(W0 x_μ) x_μᵀ on a batch of n0 samples, then a ridge
/// readout on a fresh batch of n samples.
struct OneStepSample {
  Activation sigma, link;
  int d = 400, p = 400, n0 = 800, n = 400, n_test = 4000;
  double eta = 1.0, lambda = 1e-2, noise = 0.0;
  bool noise_inside = false;  // y = σ*(s + √Δ ε) (probit labels) instead of σ*(s) + √Δ ε
  bool single_precision = false;  // readout features in float32 (same draws; the gradient step stays in double)
};
ReadoutData sample_one_step_network(const OneStepSample& sample, std::mt19937_64& rng);
ReadoutErrors simulate_one_step_network(const OneStepSample& sample, std::mt19937_64& rng);

/// The idealised spiked random-features model the theory describes (docs/theory/srf.md §1.3):
/// φ_i(x) = σ(√c ⟨w̄_i, x⟩ + r κ), κ = ⟨v, x⟩/√d, w̄_i uniform on the sphere, target direction
/// θ = γ v + ρ ζ with ζ ⊥ v.
struct SpikedSample {
  Activation sigma, link;
  int d = 400, p = 400, n = 400, n_test = 4000;
  double r = 0.0, c = 1.0, gamma = 0.0, lambda = 1e-2, noise = 0.0;
  bool noise_inside = false;  // as OneStepSample
  bool single_precision = false;  // features in float32 (same draws)
};
ReadoutData sample_spiked_features(const SpikedSample& sample, std::mt19937_64& rng);
ReadoutErrors simulate_spiked_features(const SpikedSample& sample, std::mt19937_64& rng);

}  // namespace rmtsolve::mc

#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/theory/spiked_features.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {
class Model;
}

namespace rmtsolve::srf {

/// A two-layer network after one large gradient step on its first layer, then a ridge readout
/// (Cui, Pesce, Dandi, Krzakala, Lu, Zdeborová, Loureiro, arXiv:2402.04980); symbols as in
/// README.md beside this file and docs/theory/srf.md.
struct Spec {
  Activation activation = make_activation("tanh");  // σ, must be differentiable (the gradient step uses σ')
  Activation target = make_activation("tanh");      // σ*, single-index link
  double alpha0 = 2.0;  // n0/d, first-step batch
  double alpha = 1.0;   // n/d, readout batch
  double beta = 1.0;    // p/d
  double eta = 1.0;     // η̃, step size in the maximal scaling η = η̃√p
  double lambda = 1e-2; // ridge, convention A (docs/theory/deep.md §1.3)
  double noise = 0.0;   // Δ, label-noise variance (both batches)
  /// docs/theory/srf.md §1.3: for non-odd σ the σ'' term shrinks every row; use the corrected mapping.
  bool shrink_correction = true;
  int kappa_points = 8;      // Gauss–Legendre points per panel of the κ rule (spiked::kappa_rule)
  double kappa_width = 0.0;  // its panel width near κ = 0; 0: min(0.5, 0.65/r), at least 0.01
};

/// The spiked random-features parameters the network maps to (docs/theory/srf.md §1.3).
using Mapping = spiked::Mapping;
Mapping map_network(const Spec& spec);

/// Eigen-decomposed sampled spectrum (docs/theory/srf.md §2.2) for "conditional on this W0" comparisons:
/// D_k eigenvalues of Ω = WΠWᵀ, F_k = (p/d)(u_kᵀWv)², H_k = (p/d)(u_kᵀWζ)².
using SampledSpectrum = spiked::SampledSpectrum;
using spiked::sample_spectrum;

struct Result {
  double test_error = 0.0, train_error = 0.0;
  Mapping mapping;
  double V1 = 0.0, V2 = 0.0, q1 = 0.0, q2 = 0.0, tau = 0.0, psi = 0.0, m = 0.0;
  Summary summary;
};

/// Solves the sRF equations (docs/theory/srf.md §2.3–2.5) by the reduced solver: a 2-D fixed point for
/// (V1, V2) on the shared engine, then linear solves for (τ, m), ψ and (q1, q2).  Seed-free
/// Marchenko–Pastur spectrum unless `sampled` is given.  `mapping` overrides map_network (to
/// study the spiked model at given r, c, γ).
Result solve(const Spec& spec, const SolverOptions& options, const Mapping* mapping = nullptr,
             const SampledSpectrum* sampled = nullptr, Eigen::VectorXd* warm = nullptr);

/// The source code's scheme (docs/theory/srf.md §6.1): one fixed point on all seven order parameters
/// (q1, q2, V1, V2, τ, ψ, m), from the notebook's initial values, seed-free spectrum.  Kept as the
/// baseline the reduced solver is benchmarked against and as an independent check of it; with
/// `options.anderson_memory = 0` and no fallback it is the authors' plain damped iteration, which
/// diverges at small λ (reported as not converged).
Result solve_full_iteration(const Spec& spec, const SolverOptions& options, const Mapping* mapping = nullptr);

std::unique_ptr<Model> make_model();

/// --spectrum of srf and srf-class: "seed-free" (Marchenko–Pastur), or "sampled:D:SEED" for the
/// theory conditional on one drawn W0 and spike.  InvalidInput naming --spectrum otherwise.
struct SpectrumChoice {
  bool sampled = false;
  int d = 0;
  std::uint64_t seed = 0;
};
SpectrumChoice parse_spectrum(const std::string& text);

}  // namespace rmtsolve::srf

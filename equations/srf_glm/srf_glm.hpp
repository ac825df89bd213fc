#pragma once
#include <Eigen/Dense>
#include <memory>
#include <string>

#include "equations/gcm/gcm.hpp"
#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/numerics/loss.hpp"
#include "rmtsolve/theory/spiked_features.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {
class Model;
}

namespace rmtsolve::srf_glm {

/// Binary classification after one large gradient step: the two-layer network of equations/srf
/// (one step of size η̃√p on n0 = α0 d samples, square loss on the labels), then a readout trained
/// with a convex loss, Σ_μ ℓ(y_μ, aᵀσ(W1 x_μ)/√p) + (λ/2)‖a‖² on n = α d fresh samples.
/// Labels y = sign(s) (teacher sign) or sign(s + √Δ ε) (teacher probit), s = ⟨θ*, x⟩/√d — equal to
/// sign(σ*(s)) for any odd increasing link σ*.  Derivation in README.md beside this file.
struct Spec {
  Activation activation = make_activation("tanh");  // σ, differentiable (the step uses σ')
  Loss loss = Loss::kLogistic;
  gcm::Teacher teacher = gcm::Teacher::kSign;  // kSign or kProbit
  double alpha0 = 2.0;  // n0/d
  double alpha = 1.0;   // n/d
  double beta = 1.0;    // p/d
  double eta = 1.0;     // η̃
  double lambda = 1e-2; // ℓ2 penalty: Σℓ + (λ/2)‖a‖² (square loss: the ridge of srf)
  double noise = 0.0;   // Δ, probit label noise
  bool shrink_correction = true;  // srf's row-shrink correction of the mapping for non-odd σ
  int kappa_points = 8;      // Gauss–Legendre points per panel of the κ rule (README.md, Numerics)
  double kappa_width = 0.0;  // panel width of the κ rule near κ = 0; 0: min(0.5, 0.65/r), at least 0.01
  int field_nodes = 0;   // Gauss–Hermite nodes over the student field (square, logistic); 0: per κ node (README.md, Numerics)
  // Hinge: the composite Gauss–Legendre u rule that the closed forms (hinge_channel.hpp) replaced,
  // kept as the reference the tests hold them to; false in production.
  bool hinge_by_quadrature = false;
};

using Mapping = spiked::Mapping;
/// The spiked model the network maps to: srf's map with the moments of the ±1 labels
/// (E y = 0, E[s y] = √(2/π)/√(1 + Δ), E y² = 1).
Mapping map_network(const Spec& spec);

struct Result {
  double classification_error = 0.0;  // P(y ≠ sign ŷ) on fresh data
  double test_error = 0.0;            // E (y − ŷ)²
  double train_error = 0.0;           // (1/n) Σ (y − ŷ)² on the training set
  double train_loss = 0.0;            // (1/n) Σ ℓ(y, ŷ) on the training set
  Mapping mapping;
  double V1 = 0.0, V2 = 0.0, q1 = 0.0, q2 = 0.0, tau = 0.0, psi = 0.0, m = 0.0;
  double Vhat1 = 0.0, Vhat2 = 0.0, qhat1 = 0.0, qhat2 = 0.0, tau_hat = 0.0, psi_hat = 0.0;
  Summary summary;
};

/// Solves the state evolution (README.md) for x = (V1, V2, q1, q2, τ, ψ, m) on the shared
/// fixed-point engine.  `mapping` overrides map_network (the spiked model at given r, c, γ);
/// `sampled` replaces the seed-free Marchenko–Pastur averages by one drawn spectrum; `warm` carries
/// x between the points of a sweep.
Result solve(const Spec& spec, const SolverOptions& options, const Mapping* mapping = nullptr,
             const spiked::SampledSpectrum* sampled = nullptr, Eigen::VectorXd* warm = nullptr);

/// Whether x = (V1, V2, q1, q2, τ, ψ, m) is a state the iteration may start from (V, q > 0, ψ² < q1).
bool admissible(const Eigen::VectorXd& x);

/// P(sign ŷ ≠ sign T) for jointly Gaussian ŷ = ŷ0 + sd·u and T = t0 + t1 u + tsd ε (u, ε ~ N(0,1)
/// independent): the misclassification probability given κ, a bivariate-normal orthant probability
/// in closed form through Owen's T (README.md, "Errors").
double disagreement(double yhat0, double sd, double t0, double t1, double tsd);

std::unique_ptr<Model> make_model();

}  // namespace rmtsolve::srf_glm

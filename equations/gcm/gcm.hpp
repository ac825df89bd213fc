#pragma once
#include <limits>
#include <Eigen/Dense>
#include <memory>
#include <string>

#include "rmtsolve/numerics/loss.hpp"
#include "rmtsolve/theory/ridge_equivalent.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {
class Model;
}

namespace rmtsolve::gcm {

/// Gaussian covariate model with a convex loss and an ℓ2 penalty (Loureiro et al. 2021,
/// arXiv:2102.08127): w = argmin Σ_μ ℓ(y_μ, wᵀv_μ/√p) + (λ/2)‖w‖², teacher local field
/// s = θᵀu/√k averaged over θ ~ N(0, I_k).  Symbols as in README.md beside this file.
enum class Teacher {
  kLinear,  // y = s + √Δ ε
  kSign,    // y = sign(s)
  kProbit,  // y = sign(s + √Δ ε)
};
Teacher parse_teacher(const std::string& name);

struct Setting {
  double alpha = 1.0;   // n/p
  double lambda = 1e-2;
  double noise = 0.0;   // Δ
};

struct Result {
  double train_loss = 0.0;            // (1/n) Σ ℓ(y_μ, ŷ_μ) at the optimum
  double train_mse = 0.0;             // (1/n) Σ (y_μ − ŷ_μ)²
  double test_mse = 0.0;              // E (y − ŷ)² on fresh data
  double classification_error = 0.0;  // P(y ≠ sign ŷ) (NaN for the linear teacher)
  double V = 0.0, q = 0.0, m = 0.0;
  double Vhat = 0.0, qhat = 0.0, mhat = 0.0;
  Summary summary;
};

/// Proximal operator z = prox_{Vℓ(y,·)}(ω) = argmin_z ℓ(y, z) + (z − ω)²/(2V), and dz/dω.
/// `guess` (logistic only): a starting point for the root finder, e.g. the prox at a neighbouring
/// ω extrapolated by its dz/dω; ignored when not finite or outside the bracket [ω, ω + Vy].
struct Prox {
  double z = 0.0, dz = 0.0;
  double s = 0.0;  // logistic: σ(−yz) at the prox (−∂ℓ/∂z = y s), from the root finder's last evaluation
};
Prox proximal(Loss loss, double y, double omega, double V, double guess = std::numeric_limits<double>::quiet_NaN());

/// Solves the state evolution (V, q, m) on the shared fixed-point engine.  `spectrum.sigma_y2` is
/// ρ = E s², the teacher field variance without noise.  `warm` holds (V, q, m) between points.
Result solve(const RidgeSpectrum& spectrum, Loss loss, Teacher teacher, const Setting& setting,
             const SolverOptions& options, Eigen::VectorXd* warm = nullptr);

std::unique_ptr<Model> make_model();

}  // namespace rmtsolve::gcm

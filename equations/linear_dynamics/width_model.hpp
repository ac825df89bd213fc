#pragma once
#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::linear_dynamics {

/// docs/theory/dynamics.md §1.1 [R] (Xu & Ziyin's model as reconstructed there): width d, output scale κ,
///   f(x) = κ Σ_i u_i (w_i·x),  data on a line x = z e, E z² = 1, E zy = c,
///   L = ½(F − c)² + const,  F = κ Σ_i u_i v_i,  v_i = w_i·e,
/// gradient flow with layer rates η_u, η_w.  For scalar inputs w_i = v_i.
struct ScalarWidthModel {
  Eigen::VectorXd u0, w0;  // u_i(0), v_i(0)
  double kappa = 1.0, eta_u = 1.0, eta_w = 1.0, c = 1.0;
};

/// The initialisation enters the output dynamics only through F_0 and Θ_0 (1.2).  Δ is kept
/// separately because Θ_0² − ω²κ²F_0² cancels catastrophically near balance; from the neurons
/// it is computed as a product of two sums of squares instead.
struct Collective {
  double F0 = 0.0, Theta0 = 0.0, Delta = 0.0;
  double kappa = 1.0, omega = 0.0, c = 0.0;  // ω = 2√(η_u η_w)
};

Collective collective_of(const ScalarWidthModel& m);
/// From (F_0, Θ_0) alone (e.g. a row of docs/theory/dynamics.md's reference table); needs Θ_0 ≥ ωκ|F_0|.
Collective collective_of(double F0, double Theta0, double kappa, double eta_u, double eta_w, double c);

/// Output-level state at time t from the closed form (1.3) (or its Δ = 0 logistic or ω = 0
/// lazy limits).  residual = F − c, evaluated without cancellation; τ = ∫_0^t κ(c − F) ds.
struct OutputState {
  double F = 0.0, residual = 0.0, Theta = 0.0, tau = 0.0, loss = 0.0;
};
OutputState output_at(const Collective& k, double t);

/// Which branch of the closed form applies: (1.3), its Δ = 0 logistic limit, or ω = 0 (lazy).
std::string closed_form_method(const Collective& k);

/// First t with |F(t) − c| ≤ fraction·|F_0 − c|, 0 < fraction ≤ 1; +∞ if the output never gets
/// there (Δ = 0 with F_0 on the wrong side of 0: the network stays at the saddle F = 0).
double time_to_residual(const Collective& k, double fraction);

/// Phase quantities (1.4).
struct Phase {
  double rho = 0.0;          // ωκ|c|/Θ_0
  double theta_inf = 0.0;    // Θ at t → ∞ (= late-time rate of F − c ∝ e^{−Θ_∞ t}); 0 when stuck at F = 0
  double theta_ratio = 0.0;  // Θ_∞/Θ_0 = √(1 + ρ²(1 − F_0²/c²))
  double t_learn = 0.0;      // exact: time_to_residual(½), the time to learn half of what is left
  /// (1.4)'s plateau estimate (1/A) ln(A / max(Δ, ωκ|F_0|)), A = ωκ|c|; NaN unless A exceeds
  /// the max (it is an asymptotic statement for ρ ≫ 1).
  double t_plateau = 0.0;
};
Phase phase_of(const Collective& k);

/// Per-neuron and output trajectory at the requested times (1.1)–(1.3).  Neurons evolve linearly in
/// the warped time τ: d(u_i, v_i)/dτ = (η_u v_i, η_w u_i), so u_i(t), v_i(t) keep their signs
/// where they should; p_i = u_i v_i is (1.1).  Matrices are neurons × times.
struct Trajectory {
  std::vector<double> t, F, Theta, loss, tau;
  Eigen::MatrixXd p, u, w, u2, w2;
  Eigen::VectorXd delta;  // conserved δ_i = η_w u_i² − η_u v_i²
  Collective collective;
  Phase phase;
  Summary summary;
};
Trajectory trajectory(const ScalarWidthModel& m, const std::vector<double>& t);

/// Vector inputs in ℝ^D: rows of W0 are w_i(0), e the data direction (normalised here).  The
/// components of w_i orthogonal to e are frozen; v_i = w_i·e follows the scalar model.
struct VectorInputModel {
  Eigen::VectorXd u0;
  Eigen::MatrixXd W0;  // d × D
  Eigen::VectorXd e;   // D
  double kappa = 1.0, eta_u = 1.0, eta_w = 1.0, c = 1.0;
};
ScalarWidthModel project(const VectorInputModel& m);

/// Blocks of the input-space NTK M(t) = κ²[η_u Σ_i w_i w_iᵀ + η_w (Σ_i u_i²) I] in the basis (e, e⊥).
struct KernelBlocks {
  double ee = 0.0;             // e–e entry = Θ(t)
  Eigen::VectorXd e_perp;      // e–⊥ block κ²η_u Σ_i v_i(t) w_i⊥ (a vector orthogonal to e)
  double e_perp_norm = 0.0;
  double perp_isotropic = 0.0; // the only moving part of the ⊥–⊥ block: η_w κ² Σ_i u_i(t)² (times P⊥)
};
std::vector<KernelBlocks> kernel_blocks(const VectorInputModel& m, const std::vector<double>& t);
/// M(t) assembled in full (D × D), for small D.
Eigen::MatrixXd ntk_matrix(const VectorInputModel& m, double t);

/// i.i.d. initialisation u_i ~ N(0, σ_u²), then w_i ~ N(0, σ_w²), from mc::seed_stream(seed, 0):
/// the same draws for the exact solution and for a trainer started from them.
struct Init {
  Eigen::VectorXd u0, w0;
};
Init gaussian_init(int width, double sigma_u, double sigma_w, std::uint64_t seed);
/// "gaussian:SEED" → gaussian_init; InvalidInput("init", …) otherwise.
Init parse_init(const std::string& text, int width, double sigma_u, double sigma_w);

/// Large-d typical values (1.5) for the i.i.d. Gaussian initialisation, hyperparameters as given
/// (no exponents: see phase_scaling for d^a laws).
struct GaussianScaling {
  double width = 100.0, kappa = 1.0, eta_u = 1.0, eta_w = 1.0, sigma_u = 1.0, sigma_w = 1.0, c = 1.0;
};
struct TypicalPhase {
  double Theta0 = 0.0;       // κ² d (η_w σ_u² + η_u σ_w²)
  double F0_sd = 0.0;        // F_0 ~ N(0, κ² d σ_u² σ_w²)
  double rho = 0.0;          // (1.5)
  double theta_ratio = 0.0;  // √(1 + ρ²): (1.4) at F_0 = 0 (ρ²F_0²/c² = O(1/d) in every parametrisation)
  double t_learn = 0.0;      // exact time_to_residual(½) from F_0 = 0, Θ_0 = Δ = typical Θ_0
};
TypicalPhase typical_phase(const GaussianScaling& s);

/// Exponent r of ρ ∝ d^r when κ, η_u, η_w, σ_u, σ_w scale as d^{a_κ}, d^{a_u}, d^{a_w}, d^{a_σu},
/// d^{a_σw} (with non-zero prefactors; a zero rate or scale drops its term):
///   r = (a_u + a_w)/2 − a_κ − 1 − max(a_w + 2a_σu, a_u + 2a_σw).
struct Exponents {
  double kappa = 0.0, eta_u = 0.0, eta_w = 0.0, sigma_u = 0.0, sigma_w = 0.0;
};
double rho_exponent(const Exponents& a, const GaussianScaling& prefactors);

/// Regime code from ρ: 0 kernel/lazy (ρ ≤ rho_lazy), 2 rich (ρ ≥ rho_rich), 1 feature learning.
int regime_code(double rho, double rho_lazy = 0.1, double rho_rich = 10.0);
/// Regime of the d → ∞ limit from the sign of the exponent r (|r| ≤ 1e-9 counts as 0).
int limit_regime_code(double r);

}  // namespace rmtsolve::linear_dynamics

#pragma once
#include <Eigen/Dense>
#include <vector>

#include "ode.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::linear_dynamics {

/// docs/theory/dynamics.md §1.2, Kunin et al.'s single neuron: f(x) = a wᵀx, β = a w,
///   L(β) = ½ βᵀΣβ − bᵀβ (population MSE up to a constant),  ẇ = −η_w a g,  ȧ = −η_a wᵀg,  g = Σβ − b.
/// Conserved δ = η_w a² − η_a |w|².
struct SingleNeuron {
  Eigen::VectorXd w0;
  double a0 = 1.0;
  Eigen::MatrixXd Sigma;  // Σ = E[x xᵀ], symmetric positive semi-definite
  Eigen::VectorXd b;      // E[x y], in the range of Σ
  double eta_a = 1.0, eta_w = 1.0;
};

/// The figures' initialisation: a_0 > 0 and w_0 = β_0/a_0 with the given δ, i.e.
/// a_0² = (δ + √(δ² + 4η_aη_w|β_0|²))/(2η_w).  β_0 = 0 needs δ ≥ 0 (else w_0's direction is free).
SingleNeuron neuron_from_delta(double delta, const Eigen::VectorXd& beta0, const Eigen::MatrixXd& Sigma,
                               const Eigen::VectorXd& b, double eta_a = 1.0, double eta_w = 1.0);

struct NeuronState {
  Eigen::VectorXd beta, w;
  double a = 0.0;
  double mu = 0.0;               // signed magnitude a|w|
  double phi = 0.0;              // alignment ŵ·β̂*, β* = Σ⁺b (NaN when w = 0 or β* = 0)
  double kernel_distance = 0.0;  // S(0,t) = 1 − ⟨M_0, M_t⟩_F/(‖M_0‖_F‖M_t‖_F), M = η_w a² I + η_a w wᵀ
  double loss = 0.0;             // excess loss ½(β − β*)ᵀΣ(β − β*)
};

enum class NeuronMethod {
  kAuto,        // closed form when Σ = σ²I, odeint otherwise
  kClosedForm,  // requires Σ = σ²I
  kOde,         // Boost.Odeint on (a, w)
};

struct NeuronTrajectory {
  std::vector<double> t;
  std::vector<NeuronState> states;
  double delta = 0.0;
  Eigen::VectorXd beta_star;  // Σ⁺b
  Summary summary;
};

/// Closed form for Σ = σ²I [derived for rmtsolve, equivalent to (1.7)]: after the unit-rate,
/// unit-σ reduction, Q = (w, a) obeys Q̇ = BQ − ½|Q|²Q with constant symmetric
/// B = [[−(δ/2)I, β*],[β*ᵀ, δ/2]], so Q(T) = e^{BT}Q_0 / √(1 + ∫_0^T |e^{Bs}Q_0|² ds).  Unlike
/// (1.7) it stays valid when a(t) passes through 0.  Otherwise the flow of (a, w) is integrated.
NeuronTrajectory single_neuron_trajectory(const SingleNeuron& n, const std::vector<double>& t,
                                          NeuronMethod method = NeuronMethod::kAuto, const OdeOptions& ode = {});

/// S(0,t) with the correct ‖M_t‖_F (the notebook's bug used a_0² in its middle term, §1.2).
double kernel_distance(double a0, const Eigen::VectorXd& w0, double a, const Eigen::VectorXd& w, double eta_a,
                       double eta_w);

/// Kunin's mirror map at unit rates: ∇Φ_δ(β) = g(|β|) β̂ with g(m) = √(√(m² + δ²/4) − δ/2), and its
/// primitive G (G' = g): Φ_δ(β) = G(|β|) = (√2/6)(q − 2δ)√(q + δ), q = √(δ² + 4m²).
double mirror_gradient_scale(double m, double delta);
double mirror_potential(double m, double delta);

struct ImplicitBias {
  Eigen::VectorXd beta_inf, beta_ols;  // the limit, and the minimum-norm interpolant Σ⁺b
  Summary summary;
};

/// The limit of the flow for rank-deficient (or full-rank) Σ, as the Bregman projection of β_0 onto
/// the interpolants {Σβ = b} under Φ_δ (§1.2).  The condition P_null ∇Φ(β_∞) = P_null ∇Φ(β_0)
/// forces β_∞ = β_OLS + λ P_null β̂_0 and reduces to a quadratic in λ², solved in closed form
/// (which is the 2-D rank-one formula of docs/theory/dynamics.md for any dimension and null space).
/// Rates enter through the unit-rate reduction β̃ = β/√(η_aη_w), δ̃ = δ/(η_aη_w).  Assumes, as the
/// mirror-flow description does, that β(t) does not pass through 0.
ImplicitBias implicit_bias_limit(const Eigen::MatrixXd& Sigma, const Eigen::VectorXd& b, const Eigen::VectorXd& beta0,
                                 double delta, double eta_a = 1.0, double eta_w = 1.0);

}  // namespace rmtsolve::linear_dynamics

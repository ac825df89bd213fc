#pragma once
#include <vector>

#include "ode.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::linear_dynamics {

/// docs/theory/dynamics.md §1.3 (Saxe, McClelland & Ganguli 2014): one input–output mode of strength s of a
/// deep linear network with whitened inputs, balanced and decoupled initial conditions, mode
/// strength u = product of the layer weights of the mode:
///   τ u̇ = (N_l − 1) u^{2 − 2/(N_l − 1)} (s − u),
/// N_l = number of layers of units (N_l − 1 weight matrices): N_l = 3 is the shallow network,
/// τu̇ = 2u(s − u), whose solution is the Δ = 0 logistic case of §1.1 (d = 1, κ = 1, η = 1/τ).
struct SaxeMode {
  double s = 1.0;     // singular value of E[y xᵀ]
  double u0 = 1e-3;   // initial mode strength (> 0)
  double tau = 1.0;   // time constant
  int depth = 3;      // N_l ≥ 2
};

struct SaxeTrajectory {
  std::vector<double> t, u;
  Summary summary;
};

/// u(t): closed form for N_l = 3, Boost.Odeint otherwise (or when force_ode, for checks).
SaxeTrajectory saxe_trajectory(const SaxeMode& mode, const std::vector<double>& t, bool force_ode = false,
                               const OdeOptions& ode = {});

struct SaxeTime {
  double t = 0.0;
  Summary summary;
};

/// Time for u to go from u0 to u_f: (τ/2s) ln[u_f(s − u_0)/(u_0(s − u_f))] for N_l = 3, otherwise
/// t = τ ∫ du / ((N_l − 1) u^{2−2/(N_l−1)} (s − u)) by Gauss–Kronrod quadrature in ln u.  0 when
/// u_f = u_0; +∞ when u_f is not between u_0 and s.
SaxeTime saxe_learning_time(const SaxeMode& mode, double u_final);

}  // namespace rmtsolve::linear_dynamics

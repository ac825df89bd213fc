#include "saxe.hpp"

#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <limits>

#include "rmtsolve/core/error.hpp"
#include "width_model.hpp"

namespace rmtsolve::linear_dynamics {
namespace {

void check_mode(const SaxeMode& m) {
  if (!(m.s > 0.0) || !std::isfinite(m.s)) throw InvalidInput("s", "must be positive and finite");
  if (!(m.u0 > 0.0) || !std::isfinite(m.u0)) throw InvalidInput("u0", "must be positive and finite (u = 0 is a fixed point)");
  if (!(m.tau > 0.0) || !std::isfinite(m.tau)) throw InvalidInput("tau", "must be positive and finite");
  if (m.depth < 2) throw InvalidInput("depth", "must be at least 2 (N_l layers of units)");
}

// The shallow mode as §1.1's single balanced neuron: p = u, κ = 1, η_u = η_w = 1/τ (ω = 2/τ),
// c = s.
Collective shallow_collective(const SaxeMode& m) {
  ScalarWidthModel neuron;
  neuron.u0 = Eigen::VectorXd::Constant(1, std::sqrt(m.u0));
  neuron.w0 = neuron.u0;  // balanced: a = b = √u_0, so Δ = 0 exactly
  neuron.kappa = 1.0;
  neuron.eta_u = neuron.eta_w = 1.0 / m.tau;
  neuron.c = m.s;
  return collective_of(neuron);
}

double exponent(int depth) { return 2.0 - 2.0 / (depth - 1); }

}  // namespace

SaxeTrajectory saxe_trajectory(const SaxeMode& mode, const std::vector<double>& t, bool force_ode, const OdeOptions& ode) {
  check_mode(mode);
  SaxeTrajectory tr;
  tr.t = t;
  if (mode.depth == 3 && !force_ode) {
    const Collective k = shallow_collective(mode);
    for (double ti : t) tr.u.push_back(output_at(k, ti).F);
    tr.summary.converged = true;
    tr.summary.reason = Termination::kConverged;
    tr.summary.method = "closed form (logistic)";
    return tr;
  }
  const double rate = (mode.depth - 1) / mode.tau, power = exponent(mode.depth);
  auto rhs = [&](const OdeState& x, OdeState& dx, double) {
    dx[0] = rate * std::pow(std::max(x[0], 0.0), power) * (mode.s - x[0]);
  };
  const OdeSolution sol = integrate_at(rhs, {mode.u0}, t, ode);
  tr.summary = sol.summary;
  for (const auto& x : sol.states) tr.u.push_back(x[0]);
  return tr;
}

SaxeTime saxe_learning_time(const SaxeMode& mode, double u_final) {
  check_mode(mode);
  if (!(u_final > 0.0) || !std::isfinite(u_final)) throw InvalidInput("u_final", "must be positive and finite");
  SaxeTime r;
  r.summary.converged = true;
  r.summary.reason = Termination::kConverged;
  const double s = mode.s, u0 = mode.u0;
  const bool reachable = (u0 <= u_final && u_final < s) || (s < u_final && u_final <= u0);
  if (u_final == u0 || !reachable) {
    r.t = u_final == u0 ? 0.0 : std::numeric_limits<double>::infinity();
    r.summary.method = "trivial";
    return r;
  }
  if (mode.depth == 3) {
    r.t = mode.tau / (2.0 * s) * std::log(u_final * (s - u0) / (u0 * (s - u_final)));
    r.summary.method = "closed form";
    return r;
  }
  // dt = τ du / ((N_l−1) u^{p}(s − u)); in x = ln u the integrand is smooth on [ln u0, ln u_f].
  const double power = exponent(mode.depth), scale = mode.tau / (mode.depth - 1);
  auto integrand = [&](double x) {
    const double u = std::exp(x);
    return scale * std::pow(u, 1.0 - power) / (s - u);
  };
  double error = 0.0;
  r.t = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(integrand, std::log(u0), std::log(u_final), 15,
                                                                       1e-13, &error);
  r.summary.method = "gauss-kronrod(61) in ln u";
  r.summary.residual = error;
  if (!std::isfinite(r.t) || error > 1e-9 * std::fabs(r.t)) {
    r.summary.converged = false;
    r.summary.reason = Termination::kMaxIterations;
    r.summary.message = "quadrature error estimate " + std::to_string(error);
  }
  return r;
}

}  // namespace rmtsolve::linear_dynamics

#include "single_neuron.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve::linear_dynamics {
namespace {

const double kNaN = std::nan("");

void check_rates(double eta_a, double eta_w) {
  if (!(eta_a > 0.0) || !std::isfinite(eta_a)) throw InvalidInput("eta_a", "must be positive and finite");
  if (!(eta_w > 0.0) || !std::isfinite(eta_w)) throw InvalidInput("eta_w", "must be positive and finite");
}

// Σ's pseudo-inverse solution and null-space projector, after checking that Σ is a covariance and
// that b = E[xy] can be one (b in the range of Σ: otherwise the loss is unbounded below).
struct Geometry {
  Eigen::VectorXd beta_star;   // Σ⁺b
  Eigen::MatrixXd null_projector;
  double isotropic_scale = kNaN;  // σ² when Σ = σ²I
};

Geometry geometry_of(const Eigen::MatrixXd& Sigma, const Eigen::VectorXd& b) {
  const auto D = b.size();
  if (D < 1) throw InvalidInput("b", "needs at least one entry");
  if (Sigma.rows() != D || Sigma.cols() != D)
    throw InvalidInput("Sigma", "must be " + std::to_string(D) + " x " + std::to_string(D) + " to match b");
  if (!Sigma.allFinite()) throw InvalidInput("Sigma", "must be finite");
  if (!b.allFinite()) throw InvalidInput("b", "must be finite");
  const double scale = Sigma.cwiseAbs().maxCoeff();
  if ((Sigma - Sigma.transpose()).cwiseAbs().maxCoeff() > 1e-12 * scale) throw InvalidInput("Sigma", "must be symmetric");
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(Sigma);
  const Eigen::VectorXd& lambda = eig.eigenvalues();
  const double top = std::max(lambda.cwiseAbs().maxCoeff(), 0.0);
  if (lambda.minCoeff() < -1e-12 * top) throw InvalidInput("Sigma", "must be positive semi-definite");
  Geometry g;
  Eigen::VectorXd inverse = Eigen::VectorXd::Zero(D), null = Eigen::VectorXd::Zero(D);
  for (Eigen::Index i = 0; i < D; ++i) {
    if (top > 0.0 && lambda[i] > 1e-12 * top) inverse[i] = 1.0 / lambda[i];
    else null[i] = 1.0;
  }
  const Eigen::MatrixXd& V = eig.eigenvectors();
  g.beta_star = V * inverse.asDiagonal() * (V.transpose() * b);
  g.null_projector = V * null.asDiagonal() * V.transpose();
  if ((g.null_projector * b).norm() > 1e-10 * b.norm())
    throw InvalidInput("b", "is not in the range of Sigma (no interpolant exists and the loss is unbounded below)");
  const double s2 = Sigma.trace() / static_cast<double>(D);
  if ((Sigma - s2 * Eigen::MatrixXd::Identity(D, D)).cwiseAbs().maxCoeff() <= 1e-13 * std::max(std::fabs(s2), 1e-300))
    g.isotropic_scale = s2;
  return g;
}

void check_neuron(const SingleNeuron& n) {
  check_rates(n.eta_a, n.eta_w);
  if (n.w0.size() != n.b.size())
    throw InvalidInput("w0", "has " + std::to_string(n.w0.size()) + " entries but b has " + std::to_string(n.b.size()));
  if (!n.w0.allFinite()) throw InvalidInput("w0", "must be finite");
  if (!std::isfinite(n.a0)) throw InvalidInput("a0", "must be finite");
}

// e^{−DT} ∫_0^T e^{rs} ds for r ≤ D, without overflow or cancellation.
double scaled_integral(double r, double D, double T) {
  if (r == 0.0) return T * std::exp(-D * T);
  if (std::fabs(r) * T < 1.0) return std::exp(-D * T) * std::expm1(r * T) / r;
  return (std::exp((r - D) * T) - std::exp(-D * T)) / r;
}

struct AW {
  double a;
  Eigen::VectorXd w;
};

// Unit rates, Σ = I, target β*: Q = (w, a) = e^{BT}Q_0 / √(1 + ∫|e^{Bs}Q_0|²), with every
// exponential scaled by e^{−DT/2} (D/2 is B's top eigenvalue) so large T neither overflows nor
// loses the decaying parts.
AW unit_closed_form(double a0, const Eigen::VectorXd& w0, const Eigen::VectorXd& beta_star, double T) {
  const double delta = a0 * a0 - w0.squaredNorm();
  const double s = beta_star.norm();
  Eigen::VectorXd dir = Eigen::VectorXd::Zero(w0.size());
  if (s > 0.0) dir = beta_star / s;
  else dir[0] = 1.0;  // B is diagonal when β* = 0: any direction will do
  const double x0 = dir.dot(w0);
  const Eigen::VectorXd w_perp = w0 - x0 * dir;
  const double D = std::hypot(delta, 2.0 * s);
  const double decay = std::exp(-D * T);
  const double sinh_term = D > 0.0 ? -std::expm1(-D * T) / D : T;  // (1 − e^{−DT})/D
  // e^{M T} e^{−DT/2} (x0, a0), M = [[−δ/2, s], [s, δ/2]], M² = (D/2)² I.
  const double x = 0.5 * (1.0 + decay) * x0 + sinh_term * (-0.5 * delta * x0 + s * a0);
  const double a = 0.5 * (1.0 + decay) * a0 + sinh_term * (s * x0 + 0.5 * delta * a0);
  const Eigen::VectorXd perp = std::exp(-0.5 * (delta + D) * T) * w_perp;
  // |e^{Ms} q|² = c₊² e^{Ds} + c₋² e^{−Ds} on the (x, a) plane; e^{−δs}|w⊥|² across it.
  const double q2 = x0 * x0 + a0 * a0;
  double c_plus = q2, c_minus = 0.0;
  if (D > 0.0) {
    const double qMq = -0.5 * delta * x0 * x0 + 2.0 * s * x0 * a0 + 0.5 * delta * a0 * a0;
    c_plus = 0.5 * (q2 + 2.0 * qMq / D);
    c_minus = std::max(0.0, 0.5 * (q2 - 2.0 * qMq / D));
  }
  const double den = decay + c_plus * scaled_integral(D, D, T) + c_minus * scaled_integral(-D, D, T) +
                     w_perp.squaredNorm() * scaled_integral(-delta, D, T);
  const double inv = 1.0 / std::sqrt(den);
  return {a * inv, (x * dir + perp) * inv};
}

AW closed_form_at(const SingleNeuron& n, const Geometry& g, double t) {
  const double k = std::sqrt(n.eta_a * n.eta_w), s2 = g.isotropic_scale;
  const Eigen::VectorXd target = s2 > 0.0 ? Eigen::VectorXd(n.b / (k * s2)) : Eigen::VectorXd::Zero(n.b.size());
  const AW unit = unit_closed_form(n.a0 / std::sqrt(n.eta_a), n.w0 / std::sqrt(n.eta_w), target, k * k * s2 * t);
  return {unit.a * std::sqrt(n.eta_a), unit.w * std::sqrt(n.eta_w)};
}

NeuronState diagnostics(const SingleNeuron& n, const Geometry& g, const AW& s) {
  NeuronState st;
  st.a = s.a;
  st.w = s.w;
  st.beta = s.a * s.w;
  const double wn = s.w.norm(), bn = g.beta_star.norm();
  st.mu = s.a * wn;
  st.phi = wn > 0.0 && bn > 0.0 ? s.w.dot(g.beta_star) / (wn * bn) : kNaN;
  st.kernel_distance = kernel_distance(n.a0, n.w0, s.a, s.w, n.eta_a, n.eta_w);
  const Eigen::VectorXd e = st.beta - g.beta_star;
  st.loss = 0.5 * e.dot(n.Sigma * e);
  return st;
}

OdeSolution integrate_flow(const SingleNeuron& n, const std::vector<double>& t, const OdeOptions& ode) {
  const auto D = n.b.size();
  OdeState x0(static_cast<std::size_t>(D + 1));
  x0[0] = n.a0;
  Eigen::Map<Eigen::VectorXd>(x0.data() + 1, D) = n.w0;
  Eigen::VectorXd g(D);
  auto rhs = [&](const OdeState& x, OdeState& dx, double) {
    const double a = x[0];
    const Eigen::Map<const Eigen::VectorXd> w(x.data() + 1, D);
    g.noalias() = a * (n.Sigma * w) - n.b;
    dx[0] = -n.eta_a * w.dot(g);
    Eigen::Map<Eigen::VectorXd>(dx.data() + 1, D) = -n.eta_w * a * g;
  };
  return integrate_at(rhs, x0, t, ode);
}

}  // namespace

SingleNeuron neuron_from_delta(double delta, const Eigen::VectorXd& beta0, const Eigen::MatrixXd& Sigma,
                               const Eigen::VectorXd& b, double eta_a, double eta_w) {
  check_rates(eta_a, eta_w);
  if (!std::isfinite(delta)) throw InvalidInput("delta", "must be finite");
  if (!beta0.allFinite()) throw InvalidInput("beta0", "must be finite");
  if (beta0.size() != b.size())
    throw InvalidInput("beta0", "has " + std::to_string(beta0.size()) + " entries but b has " + std::to_string(b.size()));
  const double m2 = beta0.squaredNorm();
  if (m2 == 0.0 && delta < 0.0) throw InvalidInput("beta0", "beta0 = 0 with delta < 0 leaves the direction of w0 free");
  SingleNeuron n;
  // a_0² solves η_w a⁴ − δ a² − η_a|β_0|² = 0; the positive root, written without cancellation.
  const double root = std::sqrt(delta * delta + 4.0 * eta_a * eta_w * m2);
  const double a2 = delta >= 0.0 ? (delta + root) / (2.0 * eta_w) : 2.0 * eta_a * m2 / (root - delta);
  n.a0 = std::sqrt(a2);
  n.w0 = n.a0 > 0.0 ? Eigen::VectorXd(beta0 / n.a0) : Eigen::VectorXd::Zero(b.size());
  n.Sigma = Sigma;
  n.b = b;
  n.eta_a = eta_a;
  n.eta_w = eta_w;
  return n;
}

double kernel_distance(double a0, const Eigen::VectorXd& w0, double a, const Eigen::VectorXd& w, double eta_a,
                       double eta_w) {
  const double D = static_cast<double>(w.size());
  const double p0 = eta_w * a0 * a0, p = eta_w * a * a, n0 = w0.squaredNorm(), n = w.squaredNorm();
  const double inner = p0 * p * D + eta_a * (p0 * n + p * n0) + eta_a * eta_a * std::pow(w0.dot(w), 2);
  const double norm0 = std::sqrt(p0 * p0 * D + 2.0 * eta_a * p0 * n0 + eta_a * eta_a * n0 * n0);
  const double norm = std::sqrt(p * p * D + 2.0 * eta_a * p * n + eta_a * eta_a * n * n);
  return norm0 > 0.0 && norm > 0.0 ? 1.0 - inner / (norm0 * norm) : kNaN;
}

NeuronTrajectory single_neuron_trajectory(const SingleNeuron& n, const std::vector<double>& t, NeuronMethod method,
                                          const OdeOptions& ode) {
  const auto start = std::chrono::steady_clock::now();
  check_neuron(n);
  const Geometry g = geometry_of(n.Sigma, n.b);
  for (double ti : t)
    if (!(ti >= 0.0) || !std::isfinite(ti)) throw InvalidInput("t", "must be finite and non-negative");
  const bool isotropic = std::isfinite(g.isotropic_scale);
  if (method == NeuronMethod::kClosedForm && !isotropic)
    throw InvalidInput("Sigma", "the closed form needs Sigma = sigma^2 I; use the ODE method");
  NeuronTrajectory tr;
  tr.t = t;
  tr.delta = n.eta_w * n.a0 * n.a0 - n.eta_a * n.w0.squaredNorm();
  tr.beta_star = g.beta_star;
  if (isotropic && method != NeuronMethod::kOde) {
    for (double ti : t) tr.states.push_back(diagnostics(n, g, closed_form_at(n, g, ti)));
    tr.summary.method = "closed form (Sigma = sigma^2 I)";
    tr.summary.converged = true;
    tr.summary.reason = Termination::kConverged;
  } else {
    const OdeSolution sol = integrate_flow(n, t, ode);
    tr.summary = sol.summary;
    tr.summary.method += " on (a, w)";
    const auto D = n.b.size();
    for (const auto& x : sol.states)
      tr.states.push_back(diagnostics(n, g, {x[0], Eigen::Map<const Eigen::VectorXd>(x.data() + 1, D)}));
  }
  for (const auto& s : tr.states)
    if (!s.beta.allFinite() || !std::isfinite(s.a)) {
      tr.summary.converged = false;
      tr.summary.reason = Termination::kNonFinite;
      tr.summary.message = "non-finite state";
    }
  tr.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return tr;
}

double mirror_gradient_scale(double m, double delta) {
  const double r = std::sqrt(m * m + 0.25 * delta * delta);
  if (delta >= 0.0) return m > 0.0 ? m / std::sqrt(r + 0.5 * delta) : 0.0;  // = √(r − δ/2), rationalised
  return std::sqrt(r - 0.5 * delta);
}

double mirror_potential(double m, double delta) {
  const double q = std::sqrt(delta * delta + 4.0 * m * m);
  const double q_plus_delta = delta >= 0.0 ? q + delta : 4.0 * m * m / (q - delta);
  return std::sqrt(2.0) / 6.0 * (q - 2.0 * delta) * std::sqrt(q_plus_delta);
}

ImplicitBias implicit_bias_limit(const Eigen::MatrixXd& Sigma, const Eigen::VectorXd& b, const Eigen::VectorXd& beta0,
                                 double delta, double eta_a, double eta_w) {
  check_rates(eta_a, eta_w);
  if (!std::isfinite(delta)) throw InvalidInput("delta", "must be finite");
  if (beta0.size() != b.size())
    throw InvalidInput("beta0", "has " + std::to_string(beta0.size()) + " entries but b has " + std::to_string(b.size()));
  if (!beta0.allFinite()) throw InvalidInput("beta0", "must be finite");
  const Geometry g = geometry_of(Sigma, b);
  const double k = std::sqrt(eta_a * eta_w), d = delta / (k * k);
  const Eigen::VectorXd ols = g.beta_star / k, start = beta0 / k;
  const double m0 = start.norm();
  if (m0 == 0.0 && d < 0.0) throw InvalidInput("beta0", "beta0 = 0 with delta < 0: the mirror map is not differentiable there");
  ImplicitBias r;
  r.beta_ols = g.beta_star;
  // h = P_null ∇Φ(β_0);  β_∞ = β_OLS + λh with λ² = X, X² − (δ + |h|²)X − |β_OLS|² = 0.
  const Eigen::VectorXd h = m0 > 0.0 ? Eigen::VectorXd(mirror_gradient_scale(m0, d) * (g.null_projector * start) / m0)
                                     : Eigen::VectorXd::Zero(b.size());
  const double B = d + h.squaredNorm(), c2 = ols.squaredNorm(), root = std::sqrt(B * B + 4.0 * c2);
  const double X = B >= 0.0 ? 0.5 * (B + root) : 2.0 * c2 / (root - B);
  r.beta_inf = k * (ols + std::sqrt(X) * h);
  r.summary.converged = r.beta_inf.allFinite();
  r.summary.reason = r.summary.converged ? Termination::kConverged : Termination::kNonFinite;
  r.summary.method = "closed form (Bregman projection under Phi_delta)";
  return r;
}

}  // namespace rmtsolve::linear_dynamics

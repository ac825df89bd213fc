#include "width_model.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

namespace rmtsolve::linear_dynamics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

void require_finite(double v, const char* name) {
  if (!std::isfinite(v)) throw InvalidInput(name, "must be finite");
}

void check_hyperparameters(double kappa, double eta_u, double eta_w, double c) {
  require_finite(kappa, "kappa");
  require_finite(eta_u, "eta_u");
  require_finite(eta_w, "eta_w");
  require_finite(c, "c");
  if (!(kappa > 0.0)) throw InvalidInput("kappa", "must be positive");
  if (!(eta_u >= 0.0)) throw InvalidInput("eta_u", "must be non-negative");
  if (!(eta_w >= 0.0)) throw InvalidInput("eta_w", "must be non-negative");
}

void check_model(const ScalarWidthModel& m) {
  check_hyperparameters(m.kappa, m.eta_u, m.eta_w, m.c);
  if (m.u0.size() < 1) throw InvalidInput("u0", "needs at least one neuron");
  if (m.w0.size() != m.u0.size())
    throw InvalidInput("w0", "has " + std::to_string(m.w0.size()) + " entries but u0 has " + std::to_string(m.u0.size()));
  if (!m.u0.allFinite()) throw InvalidInput("u0", "must be finite");
  if (!m.w0.allFinite()) throw InvalidInput("w0", "must be finite");
}

void check_time(double t) {
  if (!(t >= 0.0) || !std::isfinite(t)) throw InvalidInput("t", "must be finite and non-negative");
}

// e^{asinh x} without the cancellation of x + √(1+x²) at x ≪ 0.
double exp_asinh(double x) {
  const double r = std::hypot(1.0, x);
  return x >= 0.0 ? x + r : 1.0 / (r - x);
}

enum class Branch { kLazy, kLogistic, kMobius };

// The problem mirrored so that c ≥ 0 (the flow is odd under F → −F, c → −c): then every
// difference below is a sum of terms of one sign.
struct Frame {
  double sign, F0, c, Delta, Theta0, W, omega, kappa;  // W = ωκ
  Branch branch;
};

Frame frame_of(const Collective& k) {
  Frame f;
  f.sign = k.c < 0.0 ? -1.0 : 1.0;
  f.F0 = f.sign * k.F0;
  f.c = f.sign * k.c;
  f.Delta = k.Delta;
  f.Theta0 = k.Theta0;
  f.omega = k.omega;
  f.kappa = k.kappa;
  f.W = k.omega * k.kappa;
  f.branch = f.W == 0.0 ? Branch::kLazy : (k.Delta == 0.0 ? Branch::kLogistic : Branch::kMobius);
  return f;
}

// In the mirrored frame: F, F − c, Θ and τ.
struct Mirrored {
  double F, residual, Theta, tau;
};

// ω = 0 (a frozen layer): Θ ≡ Θ_0 and the output relaxes exponentially.
Mirrored lazy_at(const Frame& f, double t) {
  const double decay = std::exp(-f.Theta0 * t);
  const double residual = (f.F0 - f.c) * decay;
  const double integral = f.Theta0 > 0.0 ? -std::expm1(-f.Theta0 * t) / f.Theta0 : t;  // ∫_0^t e^{−Θ_0 s} ds
  return {f.c + residual, residual, f.Theta0, f.kappa * (f.c - f.F0) * integral};
}

// ∫_0^t e^{−W c s} ds, finite as c → 0.
double logistic_m(const Frame& f, double t) { return f.c > 0.0 ? -std::expm1(-f.W * f.c * t) / f.c : f.W * t; }

// Δ = 0: Θ = ωκ|F| and F/F_0 = e^{sωτ} (s = sign F_0) follows a logistic law.
Mirrored logistic_at(const Frame& f, double t) {
  if (f.F0 == 0.0) return {0.0, -f.c, 0.0, f.kappa * f.c * t};  // the saddle F = 0 is a fixed point
  const double m = logistic_m(f, t);
  if (f.F0 > 0.0) {
    const double den = 1.0 + (f.F0 - f.c) * m;
    const double F = f.F0 / den;
    return {F, (f.F0 - f.c) * std::exp(-f.W * f.c * t) / den, f.W * F, -std::log1p((f.F0 - f.c) * m) / f.omega};
  }
  // Wrong-sign balanced network: F decays to the saddle 0 and never learns.
  const double den = 1.0 + std::fabs(f.F0) * m;
  const double F = f.F0 * std::exp(-f.W * f.c * t) / den;
  return {F, F - f.c, f.W * std::fabs(F), (f.W * f.c * t + std::log1p(std::fabs(f.F0) * m)) / f.omega};
}

// Δ > 0: z = e^ψ, sinh ψ = ωκF/Δ, obeys the Riccati equation ż = −(Δ/2)(z − z₊)(z − z₋) whose
// solution (1.3) (tanh branch for z_0 < z₊, coth branch for z_0 > z₊) is written as a Möbius map
// in E = e^{−Rt}.  Every difference (z − z_0, z − z₊) is formed as a product, so neither branch
// loses digits near F = c, at F_0 ≪ 0 or at Δ ≪ A.
struct Mobius {
  double x0, z0, A, R, zp, zm_abs, dp, a0m, bpm;
};

Mobius mobius_of(const Frame& f) {
  Mobius g;
  g.x0 = f.W * f.F0 / f.Delta;
  g.z0 = exp_asinh(g.x0);
  g.A = f.W * f.c;
  g.R = std::hypot(g.A, f.Delta);
  g.zp = (g.A + g.R) / f.Delta;
  g.zm_abs = f.Delta / (g.A + g.R);                                       // |z₋|
  g.dp = 2.0 * f.W * (f.c - f.F0) / (f.Delta * (1.0 + 1.0 / (g.zp * g.z0)));  // z₊ − z_0
  g.a0m = g.z0 + g.zm_abs;                                                // z_0 − z₋
  g.bpm = 2.0 * g.R / f.Delta;                                            // z₊ − z₋
  return g;
}

Mirrored mobius_at(const Frame& f, double t) {
  const Mobius g = mobius_of(f);
  const double E = std::exp(-g.R * t), om = -std::expm1(-g.R * t);
  const double den = g.dp >= 0.0 ? g.a0m + g.dp * E : g.bpm - g.dp * om;
  const double dz0 = g.dp * om * g.a0m / den;   // z − z_0
  const double dzp = -g.dp * E * g.bpm / den;   // z − z₊
  const double z = g.dp >= 0.0 ? (g.z0 * g.bpm + g.dp * g.zm_abs * om) / den : (g.zp * g.a0m - E * g.dp * g.zm_abs) / den;
  const double dpsi = std::log1p(dz0 / g.z0);
  const double psi = std::asinh(g.x0) + dpsi;
  return {f.Delta / f.W * std::sinh(psi), f.Delta / (2.0 * f.W) * dzp * (1.0 + 1.0 / (z * g.zp)), f.Delta * std::cosh(psi),
          dpsi / f.omega};
}

Mirrored mirrored_at(const Frame& f, double t) {
  switch (f.branch) {
    case Branch::kLazy: return lazy_at(f, t);
    case Branch::kLogistic: return logistic_at(f, t);
    case Branch::kMobius: return mobius_at(f, t);
  }
  return {};
}

// Time at which the mirrored residual has shrunk to `fraction` of its start.
double mirrored_time_to_residual(const Frame& f, double fraction) {
  if (f.F0 == f.c || fraction >= 1.0) return 0.0;
  switch (f.branch) {
    case Branch::kLazy: return f.Theta0 > 0.0 ? -std::log(fraction) / f.Theta0 : kInf;
    case Branch::kLogistic: {
      if (f.F0 == 0.0) return kInf;
      double m;  // logistic_m at the crossing
      if (f.F0 > 0.0) {
        m = (1.0 - fraction) / (f.c + fraction * (f.F0 - f.c));
      } else {
        const double target = fraction * (f.c - f.F0) - f.c;  // |F| when the residual is reached
        if (!(target > 0.0)) return kInf;
        const double G = target / std::fabs(f.F0);
        m = (1.0 - G) / (f.c + G * std::fabs(f.F0));
      }
      return f.c > 0.0 ? -std::log1p(-f.c * m) / (f.W * f.c) : m / f.W;
    }
    case Branch::kMobius: {
      const Mobius g = mobius_of(f);
      const double z_star = exp_asinh(f.W * (f.c + fraction * (f.F0 - f.c)) / f.Delta);
      const double log_E = std::log(fraction) + std::log((1.0 + 1.0 / (g.z0 * g.zp)) / (1.0 + 1.0 / (z_star * g.zp))) +
                           std::log(g.a0m / (z_star + g.zm_abs));
      return -log_E / g.R;
    }
  }
  return kNaN;
}

double mirrored_theta_inf(const Frame& f) {
  switch (f.branch) {
    case Branch::kLazy: return f.Theta0;
    case Branch::kLogistic: return f.F0 > 0.0 ? f.W * f.c : 0.0;
    case Branch::kMobius: return std::hypot(f.W * f.c, f.Delta);
  }
  return kNaN;
}

const char* branch_name(const Frame& f) {
  switch (f.branch) {
    case Branch::kLazy: return "closed form, omega = 0 (frozen layer, lazy)";
    case Branch::kLogistic: return "closed form (1.3), Delta = 0 logistic";
    case Branch::kMobius: return "closed form (1.3)";
  }
  return "";
}

// (u_i, v_i) evolve linearly in τ: d/dτ (u, v) = (η_u v, η_w u).  Its eigen-modes √η_w u ± √η_u v
// grow and decay as e^{±ωτ/2}; evolving them separately keeps a decaying neuron (wrong-sign,
// balanced) from being the difference of two huge cosh/sinh terms.
void neurons_at(const ScalarWidthModel& m, double omega, double tau, Eigen::Ref<Eigen::VectorXd> u,
                Eigen::Ref<Eigen::VectorXd> v) {
  if (omega == 0.0) {  // a frozen layer: the other one moves linearly in τ
    u = m.u0 + (m.eta_u * tau) * m.w0;
    v = m.w0 + (m.eta_w * tau) * m.u0;
    return;
  }
  const double su = std::sqrt(m.eta_w), sv = std::sqrt(m.eta_u);
  const double grow = std::exp(0.5 * omega * tau), decay = std::exp(-0.5 * omega * tau);
  // A mode that is exactly 0 (a balanced neuron) stays 0 even when e^{ωτ/2} overflows.
  auto times = [](const Eigen::VectorXd& mode, double factor) -> Eigen::VectorXd {
    return mode.unaryExpr([factor](double x) { return x == 0.0 ? 0.0 : x * factor; });
  };
  const Eigen::VectorXd plus = times(su * m.u0 + sv * m.w0, grow), minus = times(su * m.u0 - sv * m.w0, decay);
  u = (plus + minus) / (2.0 * su);
  v = (plus - minus) / (2.0 * sv);
}

}  // namespace

Collective collective_of(const ScalarWidthModel& m) {
  check_model(m);
  Collective k;
  k.kappa = m.kappa;
  k.c = m.c;
  k.omega = 2.0 * std::sqrt(m.eta_u * m.eta_w);
  const double k2 = m.kappa * m.kappa, su = std::sqrt(m.eta_w), sv = std::sqrt(m.eta_u);
  k.F0 = m.kappa * m.u0.dot(m.w0);
  k.Theta0 = k2 * (m.eta_w * m.u0.squaredNorm() + m.eta_u * m.w0.squaredNorm());
  // Θ_0² − ω²κ²F_0² = κ⁴ Σ(√η_w u + √η_u v)² · Σ(√η_w u − √η_u v)²: both factors are sums of squares.
  const double plus = (su * m.u0 + sv * m.w0).squaredNorm(), minus = (su * m.u0 - sv * m.w0).squaredNorm();
  k.Delta = k2 * std::sqrt(plus * minus);
  return k;
}

Collective collective_of(double F0, double Theta0, double kappa, double eta_u, double eta_w, double c) {
  check_hyperparameters(kappa, eta_u, eta_w, c);
  require_finite(F0, "F0");
  require_finite(Theta0, "Theta0");
  Collective k;
  k.F0 = F0;
  k.Theta0 = Theta0;
  k.kappa = kappa;
  k.c = c;
  k.omega = 2.0 * std::sqrt(eta_u * eta_w);
  const double WF = k.omega * kappa * std::fabs(F0);
  if (!(Theta0 >= WF * (1.0 - 1e-12)))
    throw InvalidInput("Theta0", "must be at least omega*kappa*|F0| (no initialisation gives a smaller NTK)");
  k.Delta = std::sqrt(std::max(0.0, (Theta0 - WF) * (Theta0 + WF)));
  return k;
}

OutputState output_at(const Collective& k, double t) {
  check_time(t);
  const Frame f = frame_of(k);
  const Mirrored s = mirrored_at(f, t);
  OutputState o;
  o.F = f.sign * s.F;
  o.residual = f.sign * s.residual;
  o.Theta = s.Theta;
  o.tau = f.sign * s.tau + 0.0;  // no "-0" at t = 0
  o.loss = 0.5 * s.residual * s.residual;
  return o;
}

double time_to_residual(const Collective& k, double fraction) {
  if (!(fraction > 0.0 && fraction <= 1.0)) throw InvalidInput("fraction", "must be in (0, 1]");
  return mirrored_time_to_residual(frame_of(k), fraction);
}

std::string closed_form_method(const Collective& k) { return branch_name(frame_of(k)); }

Phase phase_of(const Collective& k) {
  const Frame f = frame_of(k);
  Phase p;
  const double A = f.W * f.c;
  p.rho = k.Theta0 > 0.0 ? A / k.Theta0 : (A > 0.0 ? kInf : 0.0);
  p.theta_inf = mirrored_theta_inf(f);
  p.theta_ratio = k.Theta0 > 0.0 ? p.theta_inf / k.Theta0 : kNaN;
  p.t_learn = mirrored_time_to_residual(f, 0.5);
  const double floor = std::max(k.Delta, f.W * std::fabs(f.F0));
  p.t_plateau = A > floor ? std::log(A / floor) / A : kNaN;
  return p;
}

Trajectory trajectory(const ScalarWidthModel& m, const std::vector<double>& t) {
  const auto start = std::chrono::steady_clock::now();
  Trajectory tr;
  tr.collective = collective_of(m);
  for (double ti : t) check_time(ti);
  tr.phase = phase_of(tr.collective);
  const auto d = m.u0.size();
  const auto n = static_cast<Eigen::Index>(t.size());
  tr.t = t;
  tr.p.resize(d, n);
  tr.u.resize(d, n);
  tr.w.resize(d, n);
  tr.delta = m.eta_w * m.u0.array().square() - m.eta_u * m.w0.array().square();
  for (Eigen::Index j = 0; j < n; ++j) {
    const OutputState o = output_at(tr.collective, t[static_cast<std::size_t>(j)]);
    tr.F.push_back(o.F);
    tr.Theta.push_back(o.Theta);
    tr.loss.push_back(o.loss);
    tr.tau.push_back(o.tau);
    neurons_at(m, tr.collective.omega, o.tau, tr.u.col(j), tr.w.col(j));
  }
  tr.p = tr.u.cwiseProduct(tr.w);
  tr.u2 = tr.u.cwiseAbs2();
  tr.w2 = tr.w.cwiseAbs2();
  tr.summary.method = closed_form_method(tr.collective);
  const bool finite = tr.u.allFinite() && tr.w.allFinite() &&
                      std::all_of(tr.F.begin(), tr.F.end(), [](double x) { return std::isfinite(x); }) &&
                      std::all_of(tr.Theta.begin(), tr.Theta.end(), [](double x) { return std::isfinite(x); });
  tr.summary.converged = finite;
  tr.summary.reason = finite ? Termination::kConverged : Termination::kNonFinite;
  if (!finite) tr.summary.message = "the closed form overflowed";
  tr.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return tr;
}

ScalarWidthModel project(const VectorInputModel& m) {
  if (m.e.size() < 1 || !(m.e.norm() > 0.0) || !m.e.allFinite()) throw InvalidInput("e", "must be a finite non-zero vector");
  if (m.W0.cols() != m.e.size())
    throw InvalidInput("W0", "has " + std::to_string(m.W0.cols()) + " columns but e has " + std::to_string(m.e.size()) + " entries");
  if (m.W0.rows() != m.u0.size())
    throw InvalidInput("W0", "has " + std::to_string(m.W0.rows()) + " rows but u0 has " + std::to_string(m.u0.size()) + " entries");
  if (!m.W0.allFinite()) throw InvalidInput("W0", "must be finite");
  ScalarWidthModel s;
  s.u0 = m.u0;
  s.w0 = m.W0 * m.e.normalized();
  s.kappa = m.kappa;
  s.eta_u = m.eta_u;
  s.eta_w = m.eta_w;
  s.c = m.c;
  return s;
}

std::vector<KernelBlocks> kernel_blocks(const VectorInputModel& m, const std::vector<double>& t) {
  const ScalarWidthModel s = project(m);
  const Trajectory tr = trajectory(s, t);
  const Eigen::VectorXd e = m.e.normalized();
  const Eigen::MatrixXd W_perp = m.W0 - s.w0 * e.transpose();  // frozen
  const double k2 = m.kappa * m.kappa;
  std::vector<KernelBlocks> out;
  for (std::size_t j = 0; j < t.size(); ++j) {
    const auto col = static_cast<Eigen::Index>(j);
    KernelBlocks b;
    b.ee = tr.Theta[j];
    b.e_perp = k2 * m.eta_u * (W_perp.transpose() * tr.w.col(col));
    b.e_perp_norm = b.e_perp.norm();
    b.perp_isotropic = k2 * m.eta_w * tr.u2.col(col).sum();
    out.push_back(std::move(b));
  }
  return out;
}

Eigen::MatrixXd ntk_matrix(const VectorInputModel& m, double t) {
  const ScalarWidthModel s = project(m);
  const Trajectory tr = trajectory(s, {t});
  const Eigen::VectorXd e = m.e.normalized();
  const Eigen::MatrixXd W = m.W0 + (tr.w.col(0) - s.w0) * e.transpose();
  const auto D = m.e.size();
  return m.kappa * m.kappa *
         (m.eta_u * W.transpose() * W + m.eta_w * tr.u2.col(0).sum() * Eigen::MatrixXd::Identity(D, D));
}

Init gaussian_init(int width, double sigma_u, double sigma_w, std::uint64_t seed) {
  if (width < 1) throw InvalidInput("width", "must be a positive whole number");
  if (!(sigma_u >= 0.0) || !std::isfinite(sigma_u)) throw InvalidInput("sigma_u", "must be finite and non-negative");
  if (!(sigma_w >= 0.0) || !std::isfinite(sigma_w)) throw InvalidInput("sigma_w", "must be finite and non-negative");
  auto rng = mc::seed_stream(seed, 0);
  Init init;
  init.u0 = sigma_u * mc::gaussian_matrix(width, 1, rng).col(0);
  init.w0 = sigma_w * mc::gaussian_matrix(width, 1, rng).col(0);
  return init;
}

Init parse_init(const std::string& text, int width, double sigma_u, double sigma_w) {
  const std::string tag = "gaussian:";
  const std::string seed = text.rfind(tag, 0) == 0 ? text.substr(tag.size()) : std::string();
  if (seed.empty() || seed.size() > 19 || seed.find_first_not_of("0123456789") != std::string::npos)
    throw InvalidInput("init", "expected gaussian:SEED with SEED a non-negative whole number, got '" + text + "'");
  return gaussian_init(width, sigma_u, sigma_w, std::stoull(seed));
}

TypicalPhase typical_phase(const GaussianScaling& s) {
  check_hyperparameters(s.kappa, s.eta_u, s.eta_w, s.c);
  require_finite(s.width, "width");
  if (!(s.width > 0.0)) throw InvalidInput("width", "must be positive");
  if (!(s.sigma_u >= 0.0) || !std::isfinite(s.sigma_u)) throw InvalidInput("sigma_u", "must be finite and non-negative");
  if (!(s.sigma_w >= 0.0) || !std::isfinite(s.sigma_w)) throw InvalidInput("sigma_w", "must be finite and non-negative");
  TypicalPhase p;
  const double k2 = s.kappa * s.kappa, su2 = s.sigma_u * s.sigma_u, sw2 = s.sigma_w * s.sigma_w;
  p.Theta0 = k2 * s.width * (s.eta_w * su2 + s.eta_u * sw2);
  p.F0_sd = s.kappa * std::sqrt(s.width) * s.sigma_u * s.sigma_w;
  // At F_0 = 0, Δ = Θ_0: the typical network as one collective.
  const Collective k = collective_of(0.0, p.Theta0, s.kappa, s.eta_u, s.eta_w, s.c);
  const Phase ph = phase_of(k);
  p.rho = ph.rho;
  p.theta_ratio = ph.theta_ratio;
  p.t_learn = ph.t_learn;
  return p;
}

double rho_exponent(const Exponents& a, const GaussianScaling& s) {
  for (double v : {a.kappa, a.eta_u, a.eta_w, a.sigma_u, a.sigma_w}) require_finite(v, "exponent");
  if (s.eta_u * s.eta_w == 0.0 || s.c == 0.0) return -kInf;  // ρ ≡ 0
  double denominator = -kInf;
  if (s.eta_w * s.sigma_u > 0.0) denominator = std::max(denominator, a.eta_w + 2.0 * a.sigma_u);
  if (s.eta_u * s.sigma_w > 0.0) denominator = std::max(denominator, a.eta_u + 2.0 * a.sigma_w);
  if (denominator == -kInf) return kInf;  // Θ_0 ≡ 0
  return 0.5 * (a.eta_u + a.eta_w) - a.kappa - 1.0 - denominator;
}

int regime_code(double rho, double rho_lazy, double rho_rich) {
  if (rho <= rho_lazy) return 0;
  if (rho >= rho_rich) return 2;
  return 1;
}

int limit_regime_code(double r) {
  if (r < -1e-9) return 0;
  if (r > 1e-9) return 2;
  return 1;
}

}  // namespace rmtsolve::linear_dynamics

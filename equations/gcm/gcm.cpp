#include "gcm.hpp"

#include <boost/math/constants/constants.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/fixed_point.hpp"
#include "rmtsolve/numerics/gauss_hermite.hpp"
#include "rmtsolve/numerics/gaussian.hpp"

namespace rmtsolve::gcm {
namespace {

using boost::math::constants::one_div_root_two_pi;
using boost::math::constants::pi;

// libm's erfc in double: the channel calls it ~10³ times per iteration, and Boost's default
// policy promotes to long double (a fifth of the run time) for no accuracy the fixed point can use
// (glibc's erfc is within a few ulp).
double normal_cdf(double x) { return 0.5 * std::erfc(-x * boost::math::constants::one_div_root_two<double>()); }
double normal_pdf(double x) { return one_div_root_two_pi<double>() * std::exp(-0.5 * x * x); }
// σ(t) = 1/(1 + e^{−t}) without overflow.
double sigmoid(double t) {
  const double e = std::exp(-std::abs(t));  // one exp, never overflowing
  return t >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

// Conjugate overlaps from the channel (the loss and the teacher), in RidgeSpectrum units:
//   V̂ = n E[−∂_ω f],  q̂ = n E[f²],  m̂ = n E[∂_μ P(y|μ) f],  f = (prox(ω) − ω)/V,
// with ω = √q ξ the student field, μ = (m/√q) ξ and v = ρ − m²/q (+ Δ for probit) the teacher's
// conditional mean and variance, ξ ~ N(0,1).
struct Channel {
  Loss loss;
  Teacher teacher;
  double rho, noise, n;
  const GaussHermiteRule& rule = shared_gauss_hermite(160);  // built once per process

  Overlaps hats(double V, double q, double m) const {
    if (teacher == Teacher::kLinear) {  // square loss: closed form, identical to gcm_ridge
      const double Vhat = n / (1.0 + V);
      return {Vhat, n * (rho + noise + q - 2.0 * m) / ((1.0 + V) * (1.0 + V)), Vhat};
    }
    const double sq = std::sqrt(q);
    const double v = std::max(rho - m * m / q, 1e-14 * rho) + (teacher == Teacher::kProbit ? noise : 0.0);
    const double sv = std::sqrt(v);
    // Integrand terms at one ξ, summed over the labels: (−∂_ω f, f², ∂_μP f) weighted by P(y | μ).
    // `up` and `down` are prox(+1, ω) and prox(−1, ω).
    auto label_terms = [&](double xi, const Prox& up, const Prox& down) {
      const double mu = m / sq * xi, omega = sq * xi;
      Eigen::Array3d t = Eigen::Array3d::Zero();
      for (double y : {-1.0, 1.0}) {
        const Prox& p = y > 0.0 ? up : down;
        const double f = (p.z - omega) / V, P = normal_cdf(y * mu / sv);
        t += Eigen::Array3d(P * (1.0 - p.dz) / V, P * f * f, y * normal_pdf(y * mu / sv) / sv * f);
      }
      return t;
    };
    auto terms = [&](double xi) {
      return label_terms(xi, proximal(loss, 1.0, sq * xi, V), proximal(loss, -1.0, sq * xi, V));
    };
    Eigen::Array3d total = Eigen::Array3d::Zero();
    if (loss == Loss::kHinge) {
      // Piecewise-smooth in ξ (the prox switches branch where yω = 1 and yω = 1 − V): adaptive
      // quadrature split at those points.
      const std::vector<double> kinks{1.0 / sq, -1.0 / sq, (1.0 - V) / sq, -(1.0 - V) / sq};
      for (int k = 0; k < 3; ++k) total[k] = gaussian_expectation([&](double xi) { return terms(xi)[k]; }, 0.0, 1.0, kinks);
    } else {
      // Smooth in ξ: one Gauss–Hermite pass gives all three at spectral accuracy.  The losses
      // depend on y z only, so prox(−1, ω) = −prox(+1, −ω); the nodes are symmetric (ξ_{n−1−i} =
      // −ξ_i), so the label +1 at the mirrored node gives the label −1 here: half the prox solves.
      const Eigen::Index nodes = rule.node.size();
      std::vector<Prox> up(static_cast<size_t>(nodes));
      for (Eigen::Index i = 0; i < nodes; ++i) up[static_cast<size_t>(i)] = proximal(loss, 1.0, sq * rule.node[i], V);
      for (Eigen::Index i = 0; i < nodes; ++i) {
        const Prox& mirror = up[static_cast<size_t>(nodes - 1 - i)];
        total += rule.weight[i] * label_terms(rule.node[i], up[static_cast<size_t>(i)], {-mirror.z, mirror.dz});
      }
    }
    return {n * total[0], n * total[1], n * total[2]};
  }

  // Training averages E[g(y, ŷ)] over the training set: ŷ = prox(ω) at the fixed point.
  template <class G>
  double training_average(double V, double q, double m, G&& g) const {
    const double sq = std::sqrt(q);
    const double sv = std::sqrt(std::max(rho - m * m / q, 1e-14 * rho) + (teacher == Teacher::kProbit ? noise : 0.0));
    return gaussian_expectation([&](double xi) {
      double total = 0.0;
      for (double y : {-1.0, 1.0}) total += normal_cdf(y * m / sq * xi / sv) * g(y, proximal(loss, y, sq * xi, V).z);
      return total;
    }, 0.0, 1.0);
  }
  double train_mse(double V, double q, double m) const {
    if (teacher == Teacher::kLinear) return (rho + noise + q - 2.0 * m) / ((1.0 + V) * (1.0 + V));
    return training_average(V, q, m, [](double y, double z) { return (y - z) * (y - z); });
  }
  double train_loss(double V, double q, double m) const {
    if (teacher == Teacher::kLinear) return 0.5 * train_mse(V, q, m);
    return training_average(V, q, m, [this](double y, double z) { return loss_value(loss, y, z); });
  }
};

}  // namespace

Teacher parse_teacher(const std::string& name) {
  if (name == "linear") return Teacher::kLinear;
  if (name == "sign") return Teacher::kSign;
  if (name == "probit") return Teacher::kProbit;
  throw InvalidInput("teacher", "must be linear, sign or probit, got '" + name + "'");
}

Prox proximal(Loss loss, double y, double omega, double V, double guess) {
  switch (loss) {
    case Loss::kSquare: return {(omega + V * y) / (1.0 + V), 1.0 / (1.0 + V)};
    case Loss::kHinge: {
      const double margin = y * omega;
      if (margin >= 1.0) return {omega, 1.0};
      if (margin >= 1.0 - V) return {y, 0.0};  // pinned at the kink y z = 1
      return {omega + V * y, 1.0};
    }
    case Loss::kLogistic: {
      // z − ω − V y σ(−y z) = 0 is increasing in z, with the root between ω and ω + V y.
      double last_z = std::nan(""), last_s = 0.0;
      auto g = [&](double z) {
        const double s = sigmoid(-y * z);
        last_z = z;
        last_s = s;
        return std::make_pair(z - omega - V * y * s, 1.0 + V * s * (1.0 - s));
      };
      const double lo = std::min(omega, omega + V * y), hi = std::max(omega, omega + V * y);
      if (V <= 1e-12 * std::max(1.0, std::abs(omega))) {  // bracket below round-off: first order in V
        const double s = sigmoid(-y * omega), z = omega + V * y * s;
        return {z, 1.0 / (1.0 + V * s * (1.0 - s)), s};
      }
      boost::uintmax_t iterations = 100;
      const double start = guess >= lo && guess <= hi ? guess : 0.5 * (lo + hi);  // NaN fails both tests
      const double z = boost::math::tools::newton_raphson_iterate(g, start, lo, hi, 50, iterations);
      // σ(−yz) at the root from the last evaluation, moved by its derivative −y s(1 − s): the root
      // is usually one converged Newton step (≤ 2e-15 |z|) away, so this is exact to rounding and
      // saves an exp per solve (the logistic channels' hot loop); recomputed after a bisection exit.
      const double s = std::abs(z - last_z) <= 1e-9 * std::max(1.0, std::abs(z))
                           ? last_s - y * last_s * (1.0 - last_s) * (z - last_z)
                           : sigmoid(-y * z);
      return {z, 1.0 / (1.0 + V * s * (1.0 - s)), s};
    }
  }
  return {};
}

Result solve(const RidgeSpectrum& spectrum, Loss loss, Teacher teacher, const Setting& st, const SolverOptions& options,
             Eigen::VectorXd* warm) {
  if (!(st.alpha > 0.0) || !std::isfinite(st.alpha)) throw InvalidInput("alpha", "n/p must be positive and finite");
  if (!(st.lambda > 0.0) || !std::isfinite(st.lambda))
    throw InvalidInput("lambda", "convex-loss state evolution needs lambda > 0");
  if (!(st.noise >= 0.0) || !std::isfinite(st.noise)) throw InvalidInput("noise", "must be non-negative and finite");
  if (teacher == Teacher::kLinear && loss != Loss::kSquare)
    throw InvalidInput("loss", "a linear (regression) teacher goes with the square loss; use --teacher sign or probit");
  if (teacher == Teacher::kSign && st.noise > 0.0)
    throw InvalidInput("noise", "the sign teacher is noiseless; use --teacher probit for label noise");
  const double rho = spectrum.sigma_y2;
  const Channel channel{loss, teacher, rho, st.noise, st.alpha * static_cast<double>(spectrum.omega.size())};

  Result r;
  const FixedPointMap map = [&](const Eigen::VectorXd& x, Eigen::VectorXd& out) {
    try {
      const Overlaps h = channel.hats(x[0], x[1], x[2]);
      const Overlaps o = l2_prior(spectrum, st.lambda, h.V, h.q, h.m);
      out << o.V, o.q, o.m;
    } catch (const std::exception&) {  // quadrature met a non-finite integrand: let the engine back off
      out.setConstant(std::nan(""));
    }
  };
  // V > 0 and q > 0, and Cauchy–Schwarz m² < ρ q: the teacher's conditional variance stays positive.
  const Admissible physical = [rho](const Eigen::VectorXd& x) {
    return x.allFinite() && x[0] > 0.0 && x[1] > 0.0 && x[2] * x[2] < rho * x[1] * (1.0 - 1e-12);
  };
  Eigen::VectorXd x = Eigen::Vector3d(1.0, 0.5 * rho, 0.1 * rho);
  if (warm && warm->size() == 3 && physical(*warm)) x = *warm;
  r.summary = solve_fixed_point(map, x, options, physical);
  r.summary.method = "GCM state evolution: " + r.summary.method;
  r.V = x[0];
  r.q = x[1];
  r.m = x[2];
  const Overlaps h = channel.hats(r.V, r.q, r.m);
  r.Vhat = h.V;
  r.qhat = h.q;
  r.mhat = h.m;
  r.train_loss = channel.train_loss(r.V, r.q, r.m);
  r.train_mse = channel.train_mse(r.V, r.q, r.m);
  if (teacher == Teacher::kLinear) {
    r.test_mse = rho + st.noise + r.q - 2.0 * r.m;
    r.classification_error = std::nan("");
  } else {
    const double label_field = rho + (teacher == Teacher::kProbit ? st.noise : 0.0);
    r.test_mse = 1.0 + r.q - 2.0 * r.m * std::sqrt(2.0 / (pi<double>() * label_field));
    r.classification_error = std::acos(std::clamp(r.m / std::sqrt(label_field * r.q), -1.0, 1.0)) / pi<double>();
  }
  if (r.summary.converged && warm) *warm = x;
  return r;
}

}  // namespace rmtsolve::gcm

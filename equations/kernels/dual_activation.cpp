#include "dual_activation.hpp"

#include <ceres/jet.h>

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/factorials.hpp>
#include <cmath>
#include <limits>
#include <sstream>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/grid.hpp"
#include "rmtsolve/numerics/gauss_hermite.hpp"  // the rule type, and exact rules for polynomials

namespace rmtsolve::kernels {
namespace {

using boost::math::constants::pi;
using boost::math::constants::two_pi;
using Jet = ceres::Jet<double, 1>;
constexpr double kInf = std::numeric_limits<double>::infinity();

// The geometry of one pair: clamped cosine, θ, √(q1q2 − Σ²).  A zero variance means one of u, v is
// identically 0; θ is then π/2 (neural-tangents' fill value) and every closed form below gives 0
// for φ(0) = 0.
struct Angle {
  bool degenerate;
  double cos, theta, gap, s;
};
Angle angle(double q1, double q2, double s) {
  const double p = q1 * q2;
  if (!(p > 0.0)) return {true, 0.0, pi<double>() / 2, 0.0, 0.0};
  const double root = std::sqrt(p);
  const double c = std::clamp(s / root, -1.0, 1.0);
  return {false, c, std::acos(c), root * std::sqrt(std::max(0.0, 1.0 - c * c)), c * root};
}

// c/gap, with 0 for c = 0 and +∞ at the kink Σ = ±√(q1q2).
double over_gap(double c, double gap) {
  if (c == 0.0) return 0.0;
  return gap > 0.0 ? c / gap : kInf;
}

// ---- smooth closed forms: written once, templated on the scalar; ∂/∂Σ by forward-mode AD --------

template <class Form>
class Smooth final : public DualActivation::Impl {
 public:
  explicit Smooth(Form form) : form_(std::move(form)) {}
  double V(double q1, double q2, double s) const override { return form_.V(q1, q2, s); }
  double Vdot(double q1, double q2, double s) const override { return form_.Vdot(q1, q2, s); }
  double dV(double q1, double q2, double s) const override { return form_.V(Jet(q1), Jet(q2), Jet(s, 0)).v[0]; }
  double dVdot(double q1, double q2, double s) const override {
    return form_.Vdot(Jet(q1), Jet(q2), Jet(s, 0)).v[0];
  }

 private:
  Form form_;
};

struct ErfForm {
  double a, b, c;
  template <class T>
  T V(const T& q1, const T& q2, const T& s) const {
    using std::asin, std::sqrt;
    const double b2 = 2.0 * b * b;
    return a * a * (2.0 / pi<double>()) * asin(b2 * s / sqrt((1.0 + b2 * q1) * (1.0 + b2 * q2))) + c * c;
  }
  template <class T>
  T Vdot(const T& q1, const T& q2, const T& s) const {
    using std::sqrt;
    const double b2 = 2.0 * b * b;
    return a * a * (2.0 * b2 / pi<double>()) / sqrt((1.0 + b2 * q1) * (1.0 + b2 * q2) - b2 * b2 * s * s);
  }
};

struct GeluForm {
  template <class T>
  T V(const T& q1, const T& q2, const T& s) const {
    using std::atan2, std::sqrt;
    const T p = (1.0 + q1) * (1.0 + q2);
    const T delta = sqrt(p - s * s);
    return s / 4.0 + ((s * s + q1 * q2 * delta * delta) / (p * delta) + s * atan2(s, delta)) / two_pi<double>();
  }
  template <class T>
  T Vdot(const T& q1, const T& q2, const T& s) const {
    using std::atan2, std::sqrt;
    const T p = (1.0 + q1) * (1.0 + q2);
    const T delta = sqrt(p - s * s);
    return 0.25 + atan2(s, delta) / two_pi<double>() +
           s / (two_pi<double>() * delta) * (1.0 / (delta * delta) + (1.0 - q1 * q2) / p + 1.0);
  }
};

struct SinForm {
  double a, b, c;
  template <class T>
  T V(const T& q1, const T& q2, const T& s) const {
    using std::exp;
    const T m = (q1 + q2) / 2.0;
    return a * a / 2.0 * (exp(b * b * (s - m)) - std::cos(2.0 * c) * exp(-b * b * (s + m)));
  }
  template <class T>
  T Vdot(const T& q1, const T& q2, const T& s) const {
    using std::exp;
    const T m = (q1 + q2) / 2.0;
    return a * a * b * b / 2.0 * (exp(b * b * (s - m)) + std::cos(2.0 * c) * exp(-b * b * (s + m)));
  }
};

struct ExpForm {
  double a, b;
  template <class T>
  T V(const T& q1, const T& q2, const T& s) const {
    using std::exp;
    return a * a * exp(b * b * ((q1 + q2) / 2.0 + s));
  }
  template <class T>
  T Vdot(const T& q1, const T& q2, const T& s) const {
    return b * b * V(q1, q2, s);
  }
};

struct GaussianForm {  // a·exp(b z²)
  double a, b;
  template <class T>
  T D(const T& q1, const T& q2, const T& s) const {
    return (1.0 - 2.0 * b * q1) * (1.0 - 2.0 * b * q2) - 4.0 * b * b * s * s;
  }
  template <class T>
  T V(const T& q1, const T& q2, const T& s) const {
    using std::sqrt;
    return a * a / sqrt(D(q1, q2, s));
  }
  template <class T>
  T Vdot(const T& q1, const T& q2, const T& s) const {
    using std::sqrt;
    const T d = D(q1, q2, s);
    return 4.0 * a * a * b * b * s / (d * sqrt(d));
  }
};

struct RbfForm {
  double gamma;
  template <class T>
  T V(const T& q1, const T& q2, const T& s) const {
    using std::exp;
    return exp(-gamma * (q1 + q2 - 2.0 * s));
  }
  template <class T>
  T Vdot(const T& q1, const T& q2, const T& s) const {
    return 2.0 * gamma * V(q1, q2, s);
  }
};

// Σ_m c_m z^m re-expanded in Hermite polynomials of the standardised variable (docs/theory/dynamics.md §3.2):
// V = Σ_l r̃_l(q1) r̃_l(q2) Σ^l with r̃_l(q) = Σ_i R[l][i] q^i, R[l][i] = c_{2i+l}(2i+l)!/(2^i i! √(l!)).
// Written with r̃ rather than r_l(q)(Σ/√(q1q2))^l, so a zero variance needs no special case.
struct PolynomialForm {
  std::vector<std::vector<double>> R;
  explicit PolynomialForm(const std::vector<double>& c) {
    using boost::math::factorial;
    const int degree = static_cast<int>(c.size()) - 1;
    R.resize(c.size());
    for (int l = 0; l <= degree; ++l)
      for (int i = 0; 2 * i + l <= degree; ++i)
        R[l].push_back(c[2 * i + l] * factorial<double>(2 * i + l) /
                       (std::pow(2.0, i) * factorial<double>(i) * std::sqrt(factorial<double>(l))));
  }
  template <class T>
  static T horner(const std::vector<double>& coeffs, const T& x) {
    T y(0.0);
    for (auto it = coeffs.rbegin(); it != coeffs.rend(); ++it) y = y * x + *it;
    return y;
  }
  template <class T>
  T V(const T& q1, const T& q2, const T& s) const {
    T total(0.0), power(1.0);
    for (const auto& r : R) {
      total += horner(r, q1) * horner(r, q2) * power;
      power *= s;
    }
    return total;
  }
  template <class T>
  T Vdot(const T& q1, const T& q2, const T& s) const {
    T total(0.0), power(1.0);
    for (size_t l = 1; l < R.size(); ++l) {
      total += static_cast<double>(l) * horner(R[l], q1) * horner(R[l], q2) * power;
      power *= s;
    }
    return total;
  }
};

// ---- kinked closed forms: explicit derivatives, which diverge at Σ = ±√(q1q2) -------------------

class ABReLU final : public DualActivation::Impl {
 public:
  ABReLU(double a, double b) : c_((a - b) * (a - b)), mean_square_((a * a + b * b) / 2) {}
  double V(double q1, double q2, double s) const override {
    const Angle g = angle(q1, q2, s);
    return c_ / two_pi<double>() * g.gap + Vdot(q1, q2, s) * g.s;
  }
  double Vdot(double q1, double q2, double s) const override {
    return mean_square_ - c_ * angle(q1, q2, s).theta / two_pi<double>();
  }
  double dV(double q1, double q2, double s) const override { return Vdot(q1, q2, s); }  // φ continuous
  double dVdot(double q1, double q2, double s) const override {
    return over_gap(c_, two_pi<double>() * angle(q1, q2, s).gap);
  }

 private:
  double c_, mean_square_;
};

class ArcCosine final : public DualActivation::Impl {
 public:
  explicit ArcCosine(int p) : p_(p) {}
  double V(double q1, double q2, double s) const override { return V(p_, q1, q2, s); }
  double Vdot(double q1, double q2, double s) const override { return p_ == 0 ? 0.0 : p_ * p_ * V(p_ - 1, q1, q2, s); }
  double dV(double q1, double q2, double s) const override { return dV(p_, q1, q2, s); }
  double dVdot(double q1, double q2, double s) const override {
    return p_ == 0 ? 0.0 : p_ * p_ * dV(p_ - 1, q1, q2, s);
  }

 private:
  static double V(int p, double q1, double q2, double s) {
    const Angle g = angle(q1, q2, s);
    if (g.degenerate) return 0.0;
    return std::pow(q1 * q2, 0.5 * p) * arccos_J(p, g.theta) / two_pi<double>();
  }
  // ∂V_p/∂Σ = p² V_{p−1} (Price: ReLU^p is continuous for p ≥ 1); the step function jumps.
  static double dV(int p, double q1, double q2, double s) {
    if (p >= 1) return p * p * V(p - 1, q1, q2, s);
    const Angle g = angle(q1, q2, s);
    return g.degenerate ? 0.0 : over_gap(1.0, two_pi<double>() * g.gap);
  }
  int p_;
};

class Sign final : public DualActivation::Impl {
 public:
  double V(double q1, double q2, double s) const override {
    const Angle g = angle(q1, q2, s);
    return g.degenerate ? 0.0 : 1.0 - 2.0 * g.theta / pi<double>();
  }
  double Vdot(double, double, double) const override { return 0.0; }  // sign' = 0 a.e.
  double dV(double q1, double q2, double s) const override {
    const Angle g = angle(q1, q2, s);
    return g.degenerate ? 0.0 : over_gap(2.0 / pi<double>(), g.gap);
  }
  double dVdot(double, double, double) const override { return 0.0; }
};

// ---- quadrature ----------------------------------------------------------------------------------

// φ'' by central differences of φ' (only the NTK slope needs it): error O(h²) ≈ 1e-9 relative.
double second_derivative(const std::function<double(double)>& df, double x) {
  const double h = 1e-4 * std::max(1.0, std::abs(x));
  return (df(x + h) - df(x - h)) / (2.0 * h);
}

class Numerical final : public DualActivation::Impl {
 public:
  Numerical(Activation phi, GaussHermiteRule rule, bool series)
      : phi_(std::move(phi)), rule_(std::move(rule)) {
    if (series) series_.emplace(phi_);
  }
  const MehlerSeries* series() const override { return series_ ? &*series_ : nullptr; }
  double V(double q1, double q2, double s) const override { return expect(phi_.f, q1, q2, s); }
  double Vdot(double q1, double q2, double s) const override { return expect(phi_.df, q1, q2, s); }
  double dV(double q1, double q2, double s) const override { return Vdot(q1, q2, s); }  // Price
  double dVdot(double q1, double q2, double s) const override {
    return expect([this](double x) { return second_derivative(phi_.df, x); }, q1, q2, s);
  }

 private:
  // E[g(u) g(v)] with u = √q1 z1, v = √q2 (ρ z1 + √(1−ρ²) z2): the inner rule in z2 given z1.
  template <class G>
  double expect(const G& g, double q1, double q2, double s) const {
    const Angle a = angle(q1, q2, s);
    const double r1 = std::sqrt(q1), r2 = std::sqrt(q2), rest = std::sqrt(std::max(0.0, 1.0 - a.cos * a.cos));
    double total = 0.0;
    for (Eigen::Index i = 0; i < rule_.node.size(); ++i) {
      const double z1 = rule_.node[i], gu = g(r1 * z1);
      if (gu == 0.0) continue;
      double inner = 0.0;
      if (rest == 0.0) {
        inner = g(r2 * a.cos * z1);
      } else {
        for (Eigen::Index j = 0; j < rule_.node.size(); ++j)
          inner += rule_.weight[j] * g(r2 * (a.cos * z1 + rest * rule_.node[j]));
      }
      total += rule_.weight[i] * gu * inner;
    }
    return total;
  }
  Activation phi_;
  GaussHermiteRule rule_;
  std::optional<MehlerSeries> series_;
};

// E f(z) ≈ Σ_k h φ_N(kh) f(kh), |kh| ≤ cutoff: exponentially accurate for f analytic in a strip.
GaussHermiteRule trapezoid_rule(double step, double cutoff) {
  const Eigen::Index half = static_cast<Eigen::Index>(std::floor(cutoff / step));
  GaussHermiteRule rule{Eigen::VectorXd::LinSpaced(2 * half + 1, -half * step, half * step), Eigen::VectorXd()};
  rule.weight = step / std::sqrt(2.0 * pi<double>()) * (-0.5 * rule.node.array().square()).exp();
  return rule;
}

// ---- pointwise φ for finite networks -------------------------------------------------------------

Activation pointwise(std::string name, std::function<double(double)> f, std::function<double(double)> df,
                     std::vector<double> kinks = {}) {
  Activation a;
  a.name = std::move(name);
  a.f = std::move(f);
  a.df = std::move(df);
  a.kinks = std::move(kinks);
  return a;
}

std::string format(const char* name, std::initializer_list<double> args) {
  std::ostringstream s;
  s << name;
  const char* sep = ":";
  for (double x : args) {
    s << sep << x;
    sep = ",";
  }
  return s.str();
}

template <class Form>
DualActivation smooth(std::string name, Form form, Activation phi) {
  return DualActivation(std::move(name), std::make_shared<Smooth<Form>>(std::move(form)), std::move(phi));
}

// He_k → monomial coefficients: He_k(x) = Σ_i (−1)^i k!/(2^i i! (k−2i)!) x^{k−2i}.
std::vector<double> monomials_of_hermite(const std::vector<double>& he) {
  using boost::math::factorial;
  std::vector<double> c(he.size(), 0.0);
  for (size_t k = 0; k < he.size(); ++k)
    for (size_t i = 0; 2 * i <= k; ++i)
      c[k - 2 * i] += he[k] * (i % 2 ? -1.0 : 1.0) * factorial<double>(static_cast<unsigned>(k)) /
                      (std::pow(2.0, static_cast<double>(i)) * factorial<double>(static_cast<unsigned>(i)) *
                       factorial<double>(static_cast<unsigned>(k - 2 * i)));
  return c;
}

// Hermite coefficients of a polynomial activation, exact: Gauss–Hermite with degree + 1 nodes
// integrates σ·He_k (degree ≤ 2·degree) without error.
std::vector<double> hermite_coefficients_of(const Activation& sigma) {
  const int degree = sigma.polynomial_degree;
  const GaussHermiteRule rule = gauss_hermite(degree + 1);
  std::vector<double> he(static_cast<size_t>(degree) + 1, 0.0);
  for (int k = 0; k <= degree; ++k) {
    double sum = 0.0;
    for (Eigen::Index i = 0; i < rule.node.size(); ++i)
      sum += rule.weight[i] * sigma(rule.node[i]) * hermite_he(k, rule.node[i]);
    he[static_cast<size_t>(k)] = sum / boost::math::factorial<double>(static_cast<unsigned>(k));
  }
  return he;
}


int parse_degree(const std::vector<double>& args, const std::string& spec, const std::string& parameter) {
  if (args.size() != 1 || args[0] < 0 || args[0] != std::floor(args[0]) || args[0] > 30)
    throw InvalidInput(parameter, "'" + spec + "' needs one whole degree p in 0..30");
  return static_cast<int>(args[0]);
}

}  // namespace

// ---- Mehler series ---------------------------------------------------------------------------------

MehlerSeries::MehlerSeries(Activation phi, double tolerance, int max_order)
    : phi_(std::move(phi)), tolerance_(tolerance), max_order_(std::clamp(max_order, 1, 512)) {}

MehlerCoefficients MehlerSeries::coefficients(const Eigen::ArrayXd& q) const {
  const Eigen::Index n = q.size();
  MehlerCoefficients out;
  for (int order = 32;; order = std::min(2 * order, max_order_)) {
    // Orders ≤ K live in |z| ≤ 2√K and oscillate at frequencies ≤ √K: the grid reaches 12 past the
    // turning point and keeps ≥ 2π/(step·√K) ≈ 12 nodes per period, so the trapezoid rule stays
    // exponentially accurate (its error is that of the 2-D reference's rule, README.md).  Beyond
    // K ≈ 700 √w_m underflows before the turning point; the constructor caps max_order at 512.
    const double root_k = std::sqrt(static_cast<double>(order));
    const GaussHermiteRule rule = trapezoid_rule(std::min(0.04, 0.5 / root_k), 2.0 * root_k + 12.0);
    const Eigen::Index m = rule.node.size();
    const Eigen::ArrayXd z = rule.node.array(), root_w = rule.weight.array().sqrt();
    // H(m, k) = √w_m He_k(z_m)/√k!: Hermite functions, bounded where He_k alone overflows.
    Eigen::MatrixXd H(m, order + 1);
    H.col(0) = root_w.matrix();
    H.col(1) = (z * root_w).matrix();
    for (int k = 1; k < order; ++k)
      H.col(k + 1) = ((z * H.col(k).array() - std::sqrt(double(k)) * H.col(k - 1).array()) / std::sqrt(double(k + 1))).matrix();
    Eigen::MatrixXd G(m, n), D(m, n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const double r = std::sqrt(std::max(q(i), 0.0));
      for (Eigen::Index j = 0; j < m; ++j) {
        const double x = r * z(j);
        G(j, i) = root_w(j) * phi_.f(x);
        D(j, i) = root_w(j) * phi_.df(x);
      }
    }
    out.phi.noalias() = H.transpose() * G;
    out.dphi.noalias() = H.transpose() * D;
    out.second = G.colwise().squaredNorm().transpose().array();
    out.dsecond = D.colwise().squaredNorm().transpose().array();
    const Eigen::ArrayXd tail = out.second - out.phi.colwise().squaredNorm().transpose().array();
    const Eigen::ArrayXd dtail = out.dsecond - out.dphi.colwise().squaredNorm().transpose().array();
    out.converged.assign(static_cast<size_t>(n), 1);
    bool all = true;
    for (Eigen::Index i = 0; i < n; ++i) {
      const bool ok = tail(i) <= tolerance_ * std::max(1.0, out.second(i)) &&
                      dtail(i) <= tolerance_ * std::max(1.0, out.dsecond(i));
      out.converged[static_cast<size_t>(i)] = ok;
      all = all && ok;
    }
    if (all || order >= max_order_) return out;
  }
}

// ---- DualActivation ------------------------------------------------------------------------------

DualActivation::DualActivation(std::string name, std::shared_ptr<const Impl> impl, std::optional<Activation> pointwise,
                               std::string method)
    : name_(std::move(name)), method_(std::move(method)), impl_(std::move(impl)), pointwise_(std::move(pointwise)) {}

double DualActivation::V(double q1, double q2, double s) const { return impl_->V(q1, q2, s); }
double DualActivation::Vdot(double q1, double q2, double s) const { return impl_->Vdot(q1, q2, s); }
double DualActivation::dV(double q1, double q2, double s) const { return impl_->dV(q1, q2, s); }
double DualActivation::dVdot(double q1, double q2, double s) const { return impl_->dVdot(q1, q2, s); }

DualActivation DualActivation::with(std::string name, Activation pointwise) const {
  DualActivation d = *this;
  d.name_ = std::move(name);
  d.pointwise_ = std::move(pointwise);
  return d;
}

const Activation& DualActivation::pointwise() const {
  if (!pointwise_) throw InvalidInput("activation", name_ + " has no pointwise form to simulate");
  return *pointwise_;
}

double arccos_J(int p, double theta) {
  if (p < 0) throw InvalidInput("p", "arc-cosine degree must be non-negative");
  const double c = std::cos(theta), s = std::sin(theta), rest = pi<double>() - theta;
  double previous = rest;  // J_0
  if (p == 0) return previous;
  double current = s + rest * c;  // J_1
  for (int n = 1; n < p; ++n) {
    const double next = (2 * n + 1) * c * current + double(n) * n * s * s * previous;
    previous = current;
    current = next;
  }
  return current;
}

DualActivation abrelu_dual(double a, double b) {
  if (!std::isfinite(a) || !std::isfinite(b)) throw InvalidInput("activation", "ABReLU slopes must be finite");
  return DualActivation(format("abrelu", {a, b}), std::make_shared<ABReLU>(a, b),
                        pointwise(format("abrelu", {a, b}), [a, b](double z) { return z < 0 ? a * z : b * z; },
                                  [a, b](double z) { return z < 0 ? a : (z > 0 ? b : 0.0); }, {0.0}));
}

DualActivation arccos_dual(int p) {
  if (p < 0) throw InvalidInput("activation", "arc-cosine degree must be non-negative");
  auto f = [p](double z) { return z > 0 ? std::pow(z, p) : 0.0; };
  auto df = [p](double z) { return z > 0 && p > 0 ? p * std::pow(z, p - 1) : 0.0; };
  const std::string name = "arccos:" + std::to_string(p);
  return DualActivation(name, std::make_shared<ArcCosine>(p), pointwise(name, f, df, {0.0}));
}

DualActivation erf_dual(double a, double b, double c) {
  const std::string name = format("erf", {a, b, c});
  return smooth(name, ErfForm{a, b, c},
                pointwise(name, [a, b, c](double z) { return a * boost::math::erf(b * z) + c; },
                          [a, b](double z) { return a * b * 2.0 / std::sqrt(pi<double>()) * std::exp(-b * b * z * z); }));
}

DualActivation sigmoid_like_dual() {
  const DualActivation d = erf_dual(0.5, 1.0 / 2.4020563531719796, 0.5);
  return d.with("sigmoid_like", d.pointwise());
}

DualActivation gelu_dual() { return smooth("gelu", GeluForm{}, make_activation("gelu")); }

DualActivation sign_dual() {
  Activation phi = make_activation("sign");
  phi.df = [](double) { return 0.0; };  // a.e.; what backprop sees
  return DualActivation("sign", std::make_shared<Sign>(), phi);
}

DualActivation sin_dual(double a, double b, double c) {
  const std::string name = format("sin", {a, b, c});
  return smooth(name, SinForm{a, b, c},
                pointwise(name, [a, b, c](double z) { return a * std::sin(b * z + c); },
                          [a, b, c](double z) { return a * b * std::cos(b * z + c); }));
}

DualActivation exp_dual(double a, double b) {
  const std::string name = format("exp", {a, b});
  return smooth(name, ExpForm{a, b},
                pointwise(name, [a, b](double z) { return a * std::exp(b * z); },
                          [a, b](double z) { return a * b * std::exp(b * z); }));
}

DualActivation gaussian_dual(double a, double b) {
  const std::string name = format("gaussian", {a, b});
  return smooth(name, GaussianForm{a, b},
                pointwise(name, [a, b](double z) { return a * std::exp(b * z * z); },
                          [a, b](double z) { return 2.0 * a * b * z * std::exp(b * z * z); }));
}

DualActivation rbf_dual(double gamma) {
  if (!(gamma > 0.0)) throw InvalidInput("activation", "rbf needs gamma > 0");
  const std::string name = format("rbf", {gamma});
  const double b = std::sqrt(2.0 * gamma), a = std::sqrt(2.0), c = pi<double>() / 4;
  return smooth(name, RbfForm{gamma},
                pointwise(name, [a, b, c](double z) { return a * std::sin(b * z + c); },
                          [a, b, c](double z) { return a * b * std::cos(b * z + c); }));
}

DualActivation polynomial_dual(std::vector<double> c, std::string name) {
  if (c.empty()) throw InvalidInput("activation", "polynomial needs at least one coefficient");
  if (name.empty()) {
    std::ostringstream s;
    s << "polynomial";
    for (size_t m = 0; m < c.size(); ++m) s << (m ? "," : ":") << c[m];
    name = s.str();
  }
  Activation phi = pointwise(
      name, [c](double z) { return PolynomialForm::horner(c, z); },
      [c](double z) {
        double y = 0.0;
        for (size_t m = c.size() - 1; m >= 1; --m) y = y * z + static_cast<double>(m) * c[m];
        return y;
      });
  phi.polynomial_degree = static_cast<int>(c.size()) - 1;
  return smooth(name, PolynomialForm(c), phi);
}

DualActivation hermite_dual(const std::vector<double>& he, std::string name) {
  if (name.empty()) {
    std::ostringstream s;
    s << "hermite";
    for (size_t k = 0; k < he.size(); ++k) s << (k ? "," : ":") << he[k];
    name = s.str();
  }
  return polynomial_dual(monomials_of_hermite(he), name);
}

DualActivation normalised_hermite_dual(int p) {
  if (p < 0) throw InvalidInput("activation", "Hermite degree must be non-negative");
  std::vector<double> he(static_cast<size_t>(p) + 1, 0.0);
  he.back() = 1.0 / std::sqrt(boost::math::factorial<double>(static_cast<unsigned>(p)));
  return hermite_dual(he, "normalised_hermite:" + std::to_string(p));
}

DualActivation numerical_dual(const Activation& phi, const NumericalDualOptions& options, const std::string& parameter) {
  if (!phi.kinks.empty() || !phi.df)
    throw InvalidInput(parameter, phi.name + " is not smooth and has no closed-form dual (tensor Gauss-Hermite "
                                             "quadrature is inaccurate at kinks)");
  if (!(options.step > 0.0 && options.step <= 1.0)) throw InvalidInput("step", "must be in (0, 1]");
  if (!(options.cutoff >= 4.0 && options.cutoff <= 40.0)) throw InvalidInput("cutoff", "must be in [4, 40]");
  std::ostringstream method;
  method << "trapezoid(step " << options.step << ", |z| <= " << options.cutoff << ")^2";
  return DualActivation(phi.name,
                        std::make_shared<Numerical>(phi, trapezoid_rule(options.step, options.cutoff), options.series),
                        phi, method.str());
}

std::vector<std::string> dual_names() {
  return {"linear", "tanh", "erf", "relu", "sign", "sigmoid", "softplus", "gelu", "sin", "cos", "quadratic", "cubic",
          "hermite:c0,c1,...", "abrelu:a,b", "leaky_relu:alpha", "abs", "arccos:p", "erf:a,b,c", "sigmoid_like",
          "sin:a,b,c", "exp:a,b", "gaussian:a,b", "rbf:gamma", "monomial:p", "polynomial:c0,c1,...",
          "normalised_hermite:p"};
}

DualActivation make_dual(const std::string& spec, const std::string& parameter, const NumericalDualOptions& options) {
  const size_t colon = spec.find(':');
  const std::string head = spec.substr(0, colon);
  // Only the dual families take numbers after the colon; expr:, hermite:, python:, user: are σ's.
  static const std::vector<std::string> numeric = {"abrelu", "leaky_relu", "arccos", "erf", "sin", "exp", "gaussian",
                                                   "rbf", "monomial", "polynomial", "normalised_hermite"};
  const bool numeric_family = colon != std::string::npos && std::count(numeric.begin(), numeric.end(), head) > 0;
  const std::vector<double> args =
      numeric_family ? parse_number_list(spec.substr(colon + 1), parameter, spec) : std::vector<double>{};
  auto want = [&](size_t n) {
    if (args.size() != n)
      throw InvalidInput(parameter, "'" + spec + "' needs " + std::to_string(n) + " number(s) after '" + head + ":'");
  };
  if (numeric_family) {
    if (head == "abrelu") return want(2), abrelu_dual(args[0], args[1]);
    if (head == "leaky_relu") return want(1), abrelu_dual(args[0], 1.0);
    if (head == "arccos") return arccos_dual(parse_degree(args, spec, parameter));
    if (head == "erf") return want(3), erf_dual(args[0], args[1], args[2]);
    if (head == "sin") return want(3), sin_dual(args[0], args[1], args[2]);
    if (head == "exp") return want(2), exp_dual(args[0], args[1]);
    if (head == "gaussian") return want(2), gaussian_dual(args[0], args[1]);
    if (head == "rbf") return want(1), rbf_dual(args[0]);
    if (head == "monomial") {
      std::vector<double> c(static_cast<size_t>(parse_degree(args, spec, parameter)) + 1, 0.0);
      c.back() = 1.0;
      return polynomial_dual(c, spec);
    }
    if (head == "polynomial") return polynomial_dual(args, spec);
    if (head == "normalised_hermite") return normalised_hermite_dual(parse_degree(args, spec, parameter));
  }
  if (spec == "abs") return abrelu_dual(-1.0, 1.0);
  if (spec == "sigmoid_like") return sigmoid_like_dual();
  if (spec == "relu") return abrelu_dual(0.0, 1.0).with("relu", make_activation("relu"));
  if (spec == "sign") return sign_dual();
  if (spec == "gelu") return gelu_dual();
  if (spec == "erf") return erf_dual(1.0, 1.0, 0.0).with("erf", make_activation("erf"));
  if (spec == "sin") return sin_dual(1.0, 1.0, 0.0).with("sin", make_activation("sin"));
  if (spec == "cos") return sin_dual(1.0, 1.0, pi<double>() / 2).with("cos", make_activation("cos"));
  if (spec == "tanh" || spec == "sigmoid" || spec == "softplus")
    return numerical_dual(make_activation(spec, parameter), options, parameter);
  Activation phi;
  try {
    phi = make_activation(spec, parameter);
  } catch (const InvalidInput&) {
    if (head == "hermite" || head == "expr") throw;  // their own, more precise messages
    std::string names;
    for (const auto& n : dual_names()) names += (names.empty() ? "" : ", ") + n;
    throw InvalidInput(parameter, "unknown activation '" + spec + "' (known: " + names + ")");
  }
  if (phi.polynomial_degree >= 0) return hermite_dual(hermite_coefficients_of(phi)).with(spec, phi);
  if (head == "expr" && !phi.kinks.empty())
    throw InvalidInput(parameter, "'" + spec + "': the kernel model builds the dual of a formula numerically, which "
                                  "needs an analytic sigma; add ';smooth' if it is one (e.g. expr:tanh(x);smooth), else "
                                  "use a closed-form dual (relu, abs, leaky_relu:a, arccos:p, sign, erf, gelu, sin, cos, polynomials)");
  return numerical_dual(phi, options, parameter);
}

}  // namespace rmtsolve::kernels

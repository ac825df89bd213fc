#include "srf_glm.hpp"

#include "hinge_channel.hpp"

#include <boost/math/constants/constants.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/owens_t.hpp>
#include <gsl/gsl_integration.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/table.hpp"
#include "rmtsolve/numerics/fixed_point.hpp"
#include "rmtsolve/numerics/gauss_hermite.hpp"
#include "rmtsolve/numerics/gaussian.hpp"

namespace rmtsolve::srf_glm {
namespace {

using boost::math::constants::pi;

// The label channel evaluates these ~10⁵ times per iteration: libm's erfc/exp in double (Boost's
// normal distribution promotes to long double, which dominated the profile).
double normal_cdf(double x) { return 0.5 * std::erfc(-x * boost::math::constants::one_div_root_two<double>()); }
double normal_pdf(double x) { return boost::math::constants::one_div_root_two_pi<double>() * std::exp(-0.5 * x * x); }

void validate(const Spec& s) {
  spiked::validate_step(s.alpha, s.beta, s.alpha0, s.eta, s.kappa_points, s.kappa_width);
  auto non_negative = [](double v) { return std::isfinite(v) && v >= 0.0; };
  if (!non_negative(s.lambda)) throw InvalidInput("lambda", "penalty must be non-negative and finite");
  if (!non_negative(s.noise)) throw InvalidInput("noise", "noise variance must be non-negative and finite");
  if (s.teacher == gcm::Teacher::kLinear)
    throw InvalidInput("teacher", "srf-class classifies ±1 labels (sign or probit); regression targets are the srf model");
  if (s.teacher == gcm::Teacher::kSign && s.noise > 0.0)
    throw InvalidInput("noise", "the sign teacher is noiseless; use --teacher probit for label noise");
  if (s.field_nodes != 0 && (s.field_nodes < 4 || s.field_nodes > 1000))
    throw InvalidInput("field-nodes", "must be 0 (automatic) or in 4..1000");
}

// The student's coefficients at the κ nodes: depend on (σ, r, c, rule) only, so a sweep over α,
// β, λ or the loss tabulates them once per thread.
struct Tabulated {
  spiked::StudentNodes table;
  std::vector<double> breaks;  // the κ rule's panel ends (empty for the one-node rule)
};
// The κ rule's panel width: spiked::kappa_rule's default unless given.  Capping it at 1 instead
// of 0.5 for a weak step was measured and dropped (4e-11 at λ = 0.01, but 7e-7 at λ = 10⁻³,
// η̃ = 1); it is computed here so that the cold start's square-loss solve reuses the same table.
double kappa_width(const Spec& spec, const Mapping& mp) {
  if (spec.kappa_width > 0.0) return spec.kappa_width;
  return std::max(0.01, std::min(0.5, 0.65 / std::abs(mp.r)));
}

// The reference stays valid until the next call on this thread with a different key.
const Tabulated& cached_nodes(const Spec& spec, const Mapping& mp) {
  struct Entry {
    ActivationKey activation;
    double r = 0, c = 0, width = 0;
    int points = 0;
    bool flat = false;
    Tabulated nodes;
    bool valid = false;
  };
  thread_local Entry last;
  const ActivationKey activation = activation_key(spec.activation);
  // Without a step (r = 0) and with the target outside the spike (γ = 0) nothing depends on κ:
  // one node of weight 1 is the exact κ average.
  const bool flat = mp.r == 0.0 && mp.gamma == 0.0;
  const double width = kappa_width(spec, mp);
  if (!(last.valid && last.activation == activation && last.r == mp.r && last.c == mp.c && last.points == spec.kappa_points &&
        last.width == width && last.flat == flat)) {
    last.valid = false;  // stays invalid if the tabulation throws
    spiked::KappaRule rule{Eigen::ArrayXd::Zero(1), Eigen::ArrayXd::Ones(1), {}};  // no panels
    if (!flat) rule = spiked::kappa_rule(mp.r, spec.kappa_points, width);
    const Eigen::Index half = rule.kappa.size() / 2;
    if (spec.activation.odd && rule.kappa.size() > 1) {
      // σ odd: μ0 is odd in κ, μ1 and μ*² even, and the rule is mirrored about 0 node for node, so
      // the κ > 0 half gives the other (σ's oddness is measured for user functions).
      const spiked::StudentNodes positive =
          spiked::student_nodes(spec.activation, mp, rule.kappa.tail(half), rule.weight.tail(half));
      spiked::StudentNodes& t = last.nodes.table;
      t = {rule.weight, rule.kappa, Eigen::ArrayXd(2 * half), Eigen::ArrayXd(2 * half), Eigen::ArrayXd(2 * half)};
      t.mu0 << -positive.mu0.reverse(), positive.mu0;
      t.mu1 << positive.mu1.reverse(), positive.mu1;
      t.ms2 << positive.ms2.reverse(), positive.ms2;
    } else {
      last.nodes.table = spiked::student_nodes(spec.activation, mp, rule.kappa, rule.weight);
    }
    last.nodes.breaks = std::move(rule.breaks);
    last = Entry{activation, mp.r, mp.c, width, spec.kappa_points, flat, std::move(last.nodes), true};
  }
  return last.nodes;
}

// Gauss–Hermite rules over the student field u, without the nodes whose weight is below 1e-25
// (|u| ≳ 10.6): every channel term is bounded (by 1, or ρ/tsd for the label derivative), so they
// add nothing a double can hold, and they are a third of a large rule.  Built once per thread.
const GaussHermiteRule& field_rule(int n) {
  thread_local std::map<int, GaussHermiteRule> rules;
  auto it = rules.find(n);
  if (it == rules.end()) {
    const GaussHermiteRule& full = shared_gauss_hermite(n);
    std::vector<Eigen::Index> keep;
    for (Eigen::Index j = 0; j < full.node.size(); ++j)
      if (full.weight[j] >= 1e-25) keep.push_back(j);
    GaussHermiteRule r{Eigen::VectorXd(keep.size()), Eigen::VectorXd(keep.size())};
    for (size_t k = 0; k < keep.size(); ++k) {
      r.node[k] = full.node[keep[k]];
      r.weight[k] = full.weight[keep[k]];
    }
    it = rules.emplace(n, std::move(r)).first;
  }
  return it->second;
}

// The channel quantities of one label at one field value, in forms that stay exact as V → 0 (in
// the κ tails of a saturating σ, μ1(κ) and μ*(κ) and hence V underflow): f = (z − ω)/V = −∂ℓ(y, z)
// at the proximal point z, and a = −∂f/∂ω = (1 − ∂z/∂ω)/V.
constexpr size_t kMemory = 10;  // doubles of prox memory per u node (Channel::moments)

struct ProxTerms {
  double z, f, a;
};
ProxTerms prox_terms(Loss loss, double y, double omega, double V, double guess = std::nan("")) {
  switch (loss) {
    case Loss::kSquare: return {(omega + V * y) / (1.0 + V), (y - omega) / (1.0 + V), 1.0 / (1.0 + V)};
    case Loss::kLogistic: {
      const gcm::Prox p = gcm::proximal(loss, y, omega, V, guess);
      const double s1 = p.s * (1.0 - p.s);  // p.s = σ(−yz)
      return {p.z, y * p.s, s1 / (1.0 + V * s1)};
    }
    case Loss::kHinge: {
      const gcm::Prox p = gcm::proximal(loss, y, omega, V);
      if (p.dz == 0.0) return {p.z, (y - omega) / V, 1.0 / V};  // pinned at y z = 1 (needs V > 0)
      return {p.z, y * omega >= 1.0 ? 0.0 : y, 0.0};
    }
  }
  return {};
}

// Composite Gauss–Legendre over u ∈ [−L, L] (the Gaussian weight is below 1e-27 outside) with
// unit panels, extra panel ends at the integrand's breaks: the hinge channel is only piecewise
// smooth in u, and the label probability switches over a width that can be far below 1.
class PanelRule {
 public:
  explicit PanelRule(int points) : table_(gsl_integration_glfixed_table_alloc(points), gsl_integration_glfixed_table_free) {}
  template <int K, class F>
  Eigen::Array<double, K, 1> expect(std::vector<double> breaks, F&& terms) const {
    constexpr double L = 11.0;
    for (int k = -static_cast<int>(L); k <= static_cast<int>(L); ++k) breaks.push_back(k);
    breaks.erase(std::remove_if(breaks.begin(), breaks.end(), [](double b) { return !(std::abs(b) <= L); }), breaks.end());
    std::sort(breaks.begin(), breaks.end());
    Eigen::Array<double, K, 1> total = Eigen::Array<double, K, 1>::Zero();
    for (size_t j = 0; j + 1 < breaks.size(); ++j) {
      const double a = breaks[j], b = breaks[j + 1];
      if (b - a < 1e-14) continue;
      for (size_t i = 0; i < table_->n; ++i) {
        double u = 0.0, w = 0.0;
        gsl_integration_glfixed_point(a, b, i, &u, &w, table_.get());
        total += (w * std::exp(-0.5 * u * u) * boost::math::constants::one_div_root_two_pi<double>()) * terms(u);
      }
    }
    return total;
  }

 private:
  std::unique_ptr<gsl_integration_glfixed_table, decltype(&gsl_integration_glfixed_table_free)> table_;
};

const PanelRule& cached_panels() {
  thread_local const PanelRule rule(12);
  return rule;
}

// Conditionally on κ the readout's field is ω = ŷ0 + √Q u (u ~ N(0,1)) and the label field
// t = γκ + ρξ (+ √Δ ε for probit) has, given u, mean γκ + ρ(M/√Q)u and variance ρ²(1 − M²/Q) + Δ.
struct Local {
  double V, Q, sq, yhat0;
  double t0, t1, tsd;  // label-field mean t0 + t1 u and standard deviation, given u
  double rho;
};

struct Channel {
  const Spec& spec;
  const spiked::StudentNodes& n;
  double gamma, rho, extra;  // extra: Δ inside the sign (probit), 0 for sign
  const GaussHermiteRule& rule;
  const PanelRule& panels;

  Local local(Eigen::Index i, const Eigen::VectorXd& x) const {
    return local_at(n.kappa[i], n.mu0[i], n.mu1[i], n.ms2[i], x);
  }
  Local local_at(double kappa, double mu0, double mu1, double ms2, const Eigen::VectorXd& x) const {
    Local l{};
    const double m1 = mu1 * mu1;
    l.V = m1 * x[0] + ms2 * x[1];
    l.Q = std::max(m1 * x[2] + ms2 * x[3], 1e-300);
    l.sq = std::sqrt(l.Q);
    const double M = mu1 * x[5];
    l.yhat0 = mu0 * x[6] + mu1 * kappa * x[4];
    const double v = std::max(1.0 - M * M / l.Q, 1e-14);
    l.t0 = gamma * kappa;
    l.t1 = rho * M / l.sq;
    l.tsd = std::sqrt(rho * rho * v + extra);
    l.rho = rho;
    return l;
  }
  static HingeField hinge_field(const Local& l) { return {l.V, l.sq, l.yhat0, l.t0, l.t1, l.tsd, l.rho}; }
  // P(y = ±1 | u) and their derivatives in the mean of ξ, from one erfc and one exp: the smaller
  // probability from erfc (accurate in the tail), the other as its complement.
  static void labels(const Local& l, double u, double P[2], double dP[2]) {
    const double mean = l.t0 + l.t1 * u;
    if (l.tsd > 0.0) {
      const double x = mean / l.tsd, tail = normal_cdf(-std::abs(x));
      P[1] = x >= 0.0 ? 1.0 - tail : tail;  // y = +1
      P[0] = x >= 0.0 ? tail : 1.0 - tail;  // y = −1
      dP[1] = l.rho * normal_pdf(x) / l.tsd;
      dP[0] = -dP[1];
    } else {
      P[1] = mean > 0.0 ? 1.0 : (mean == 0.0 ? 0.5 : 0.0);
      P[0] = 1.0 - P[1];
      dP[0] = dP[1] = 0.0;
    }
  }
  // Points in u where the integrand is not smooth (hinge prox branches) or steep (label switch).
  std::vector<double> breaks(const Local& l) const {
    std::vector<double> k;
    if (spec.loss == Loss::kHinge)
      for (double y : {-1.0, 1.0})
        for (double margin : {1.0, 1.0 - l.V}) k.push_back((y * margin - l.yhat0) / l.sq);
    if (l.t1 != 0.0) {
      const double centre = -l.t0 / l.t1, width = l.tsd / std::abs(l.t1);
      k.push_back(centre);
      for (double f : {0.5, 1.0, 2.0, 4.0, 8.0}) {
        k.push_back(centre - f * width);
        k.push_back(centre + f * width);
      }
    }
    return k;
  }
  // Gauss–Hermite size for E_u at one κ node (README.md, Numerics).  The integrand's features in
  // u are the prox's logistic transition (|yz| ≲ a few, width ~1/√Q in u: ω = ŷ0 + √Q u) and the
  // label switch Φ((t0 + t1 u)/tsd) (width tsd/|t1|); the rule's node spacing near u = 0 shrinks
  // like 1/√n, so n grows with the inverse square of the narrower width.  Measured per κ node
  // (tanh, λ = 0.01, Q up to 15): 12 Q + 20 nodes leave ≤ 1e-12 in A, B, C, D against 400 nodes.
  int field_size(const Local& l) const {
    if (spec.field_nodes > 0) return spec.field_nodes;
    double demand = spec.loss == Loss::kLogistic ? l.Q : 0.0;
    if (l.t1 != 0.0) demand = std::max(demand, l.tsd > 0.0 ? (l.t1 / l.tsd) * (l.t1 / l.tsd) : 1e300);
    const double want = demand < 0.2 ? 12.0 : 12.0 * demand + 20.0;
    static constexpr int ladder[] = {12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256};
    for (int n : ladder)
      if (n >= want) return n;
    return ladder[std::size(ladder) - 1];
  }
  // E_u of an array-valued integrand: Gauss–Hermite for smooth losses (`field`, else `rule`),
  // adaptive quadrature split at the breaks for the hinge (piecewise smooth in u).
  template <int K, class F>
  Eigen::Array<double, K, 1> expect(const Local& l, F&& terms, const GaussHermiteRule* field = nullptr) const {
    if (spec.loss == Loss::kHinge) return panels.expect<K>(breaks(l), terms);
    const GaussHermiteRule& r = field ? *field : rule;
    Eigen::Array<double, K, 1> total = Eigen::Array<double, K, 1>::Zero();
    for (Eigen::Index j = 0; j < r.node.size(); ++j) total += r.weight[j] * terms(r.node[j]);
    return total;
  }
  // (A, B, C, D) = E_u Σ_y of (P(1 − ∂z/∂ω)/V, P f², ∂P f, P f), f = (prox(ω) − ω)/V.
  // `memory` (logistic only, kMemory doubles per u node, NaN until first written): the prox, its
  // field, V, its slope and y s at each (u node, label) from the previous evaluation at this κ node.
  // Near the fixed point the map is evaluated at nearly the same state again and again, so that
  // prox moved by its slope starts Newton within round-off of the root (the root is unchanged).
  Eigen::Array4d moments(const Local& l, double* memory = nullptr, const GaussHermiteRule* field = nullptr) const {
    if (spec.loss == Loss::kHinge && !spec.hinge_by_quadrature) return hinge_moments(hinge_field(l));  // closed form (hinge_channel.cpp)
    // Otherwise the rules visit u in increasing order, so the logistic prox at the previous node,
    // moved by its slope dz/dω = 1 − V a, starts Newton next to the root.
    double last_omega = std::nan(""), last_z[2] = {0.0, 0.0}, last_dz[2] = {0.0, 0.0};
    Eigen::Index node = 0;
    return expect<4>(l, [&](double u) {
      const double omega = l.yhat0 + l.sq * u;
      double P[2], dP[2];
      labels(l, u, P, dP);
      Eigen::Array4d t = Eigen::Array4d::Zero();
      double* slot = memory ? memory + kMemory * node++ : nullptr;
      for (int k = 0; k < 2; ++k) {
        const double y = k ? 1.0 : -1.0;
        double guess = last_z[k] + last_dz[k] * (omega - last_omega);
        // z(ω, V) moves by dz (δω + y s δV) (from z − ω − V y s(z) = 0, s = σ(−yz) = y f).
        double* m = slot ? slot + 5 * k : nullptr;
        if (m && std::isfinite(m[0])) guess = m[0] + m[3] * ((omega - m[1]) + m[4] * (l.V - m[2]));
        const ProxTerms p = prox_terms(spec.loss, y, omega, l.V, guess);
        last_z[k] = p.z;
        last_dz[k] = 1.0 - l.V * p.a;
        if (m) {
          m[0] = p.z;
          m[1] = omega;
          m[2] = l.V;
          m[3] = last_dz[k];
          m[4] = p.f;  // y s
        }
        t += Eigen::Array4d(P[k] * p.a, P[k] * p.f * p.f, dP[k] * p.f, P[k] * p.f);
      }
      last_omega = omega;
      return t;
    }, field);
  }
  // Training averages (loss, squared error) at the fixed point: ŷ = prox(ω) on the training set.
  // `memory` (logistic): moments' roots at this κ node, found at this very state, start Newton.
  Eigen::Array2d training(const Local& l, const GaussHermiteRule* field = nullptr, const double* memory = nullptr) const {
    if (spec.loss == Loss::kHinge && !spec.hinge_by_quadrature) return hinge_training(hinge_field(l));
    Eigen::Index node = 0;
    return expect<2>(l, [&](double u) {
      const double omega = l.yhat0 + l.sq * u;
      Eigen::Array2d t = Eigen::Array2d::Zero();
      double P[2], dP[2];
      labels(l, u, P, dP);
      const double* slot = memory ? memory + kMemory * node++ : nullptr;
      for (int k = 0; k < 2; ++k) {
        const double y = k ? 1.0 : -1.0;
        const double* m = slot ? slot + 5 * k : nullptr;
        const double guess = m ? m[0] + m[3] * ((omega - m[1]) + m[4] * (l.V - m[2])) : std::nan("");
        const double z = prox_terms(spec.loss, y, omega, l.V, guess).z;
        t += P[k] * Eigen::Array2d(loss_value(spec.loss, y, z), (y - z) * (y - z));
      }
      return t;
    }, field);
  }
  // P(sign ŷ ≠ y | κ) on fresh data, in closed form (README.md, "Errors").
  double misclassified(const Local& l) const { return disagreement(l.yhat0, l.sq, l.t0, l.t1, l.tsd); }
};

}  // namespace

bool admissible(const Eigen::VectorXd& x) {
  // V > 0, q > 0 and Cauchy–Schwarz ψ² ≤ q1 (ψ = aᵀWΠζ/√(pd), ‖ζ‖² = d); invariant under the scaling.
  return x.size() == 7 && x.allFinite() && x[0] > 0.0 && x[1] > 0.0 && x[2] > 0.0 && x[3] > 0.0 &&
         x[5] * x[5] < x[2] * (1.0 - 1e-12);
}

double disagreement(double yhat0, double sd, double t0, double t1, double tsd) {
  using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
  if (!(tsd > 0.0) && t1 == 0.0) {  // the label is sign(t0)
    if (t0 == 0.0) return 0.5;
    return normal_cdf((t0 > 0.0 ? -yhat0 : yhat0) / sd);
  }
  // Standardised fields X = (ŷ − ŷ0)/sd and Y = (T − t0)/s_T, correlation r, thresholds −a, −b:
  // P(disagree) = Φ(a) + Φ(b) − 2Φ2(a, b; r) = 2T(a, α_a) + 2T(b, α_b) + 1{ab < 0, or one is 0 and a + b < 0},
  // α_a = (b − r a)/(a √(1 − r²)), α_b = (a − r b)/(b √(1 − r²)) (Owen 1956).
  const double sT = std::hypot(t1, tsd), r = t1 / sT, c = tsd / sT;  // c = √(1 − r²) without cancellation
  const double a = yhat0 / sd, b = t0 / sT;
  if (a == 0.0 && b == 0.0) return std::acos(r) / boost::math::constants::pi<double>();  // both thresholds at the mean
  auto T = [&](double h, double num) {  // T(h, num/(h c)); at h = 0, T(0, ±∞ or 0) = atan(·)/(2π)
    if (h == 0.0) return num == 0.0 ? 0.0 : (num > 0.0 ? 0.25 : -0.25);
    return boost::math::owens_t(h, num / (h * c), Policy());
  };
  const double beta = (a * b > 0.0 || (a * b == 0.0 && a + b >= 0.0)) ? 0.0 : 1.0;
  const double p = 2.0 * T(a, b - r * a) + 2.0 * T(b, a - r * b) + beta;
  return std::min(1.0, std::max(0.0, p));
}

Mapping map_network(const Spec& spec) {
  validate(spec);
  const Activation& sigma = spec.activation;
  if (spec.alpha0 == 0.0 || spec.eta == 0.0) return {};
  const double noise = spec.teacher == gcm::Teacher::kProbit ? spec.noise : 0.0;
  GaussianMoments labels;
  labels.mean = 0.0;
  labels.slope = std::sqrt(2.0 / (pi<double>() * (1.0 + noise)));  // E[s sign(s + √Δ ε)]
  labels.second = 1.0;
  return spiked::map_one_step(sigma, labels, spec.alpha0, spec.eta, spec.shrink_correction);
}

Result solve(const Spec& spec, const SolverOptions& options, const Mapping* given, const spiked::SampledSpectrum* sampled,
             Eigen::VectorXd* warm) {
  validate(spec);
  Result out;
  out.mapping = given ? *given : map_network(spec);
  const Mapping& mp = out.mapping;
  if (!(mp.c > 0.0) || !std::isfinite(mp.r) || !(std::abs(mp.gamma) <= 1.0))
    throw InvalidInput("mapping", "needs c > 0, finite r and |γ| ≤ 1");
  if (spec.lambda == 0.0 && spec.loss != Loss::kSquare && spec.alpha < spec.beta) {
    // n < p samples in general position are linearly separable: without a penalty the logistic
    // norm diverges and the hinge minimisers form an unbounded set.  Reported, never a number.
    out.summary.converged = false;
    out.summary.reason = Termination::kDivergent;
    out.summary.method = "sRF convex-loss state evolution";
    out.summary.message = "no finite minimiser at lambda = 0: with n < p (alpha < beta) the training data are linearly "
                          "separable and the readout norm diverges";
    return out;
  }
  const Tabulated& tabulated = cached_nodes(spec, mp);
  const spiked::StudentNodes& n = tabulated.table;
  auto E = [&](const Eigen::ArrayXd& f) { return (n.weight * f).sum(); };
  if (E(n.mu1.square()) <= 1e-14) {
    if (mp.r != 0.0 || mp.c != 1.0)  // the step saturated σ (the noise sits inside the sign: not a cause)
      throw InvalidInput(spiked::step_culprit(0.0, 1.0, spec.alpha0),
                         "too large for the first gradient step: the trained features (r = " + format_exact(mp.r) +
                             ", c = " + format_exact(mp.c) + ") leave sigma no linear component");
    throw InvalidInput("activation", "σ has no linear component at this (r, c): the equations degenerate");
  }
  const bool has_bias = E(n.mu0.square()) > 1e-14 * E(n.mu1.square());
  const double ap = spec.alpha / spec.beta;  // α_p = n/p
  const MarchenkoPastur law{mp.c, spec.beta};
  auto averages = [&](double Vhat1, double Vhat2) {
    return sampled ? spiked::sampled_averages(*sampled, Vhat1, Vhat2, spec.lambda)
                   : spiked::seed_free_averages(law, Vhat1, Vhat2, spec.lambda);
  };
  const double rho = std::sqrt(std::max(0.0, 1.0 - mp.gamma * mp.gamma));
  const Channel channel{spec, n, mp.gamma, rho, spec.teacher == gcm::Teacher::kProbit ? spec.noise : 0.0,
                        field_rule(spec.field_nodes > 0 ? spec.field_nodes : 120), cached_panels()};
  const Eigen::Index nk = n.weight.size();

  // Channel side at every κ node, then the shared ℓ2 prior.  Conjugates are kept for the output.
  Eigen::Matrix<double, 6, 1> hats;
  double bias_curvature = 0.0;
  // Odd σ: μ0(−κ) = −μ0(κ) while μ1 and μ*² are even, so ŷ0(−κ) = −ŷ0(κ), t0 is odd and V, Q,
  // t1 even; with prox(−y, −ω) = −prox(y, ω) and a symmetric u rule the channel at (−κ, −u, −y)
  // mirrors the one at (κ, u, y): A, B, C are even in κ and D odd, so every sum below (κ D and
  // μ0 D included) is twice its half over κ > 0.  Checked on the tabulated coefficients, not
  // assumed from the activation's name.
  const bool mirrored = [&] {
    for (Eigen::Index i = 0, j = nk - 1; i <= j; ++i, --j) {
      auto near = [](double a, double b) { return std::abs(a - b) <= 1e-14 * std::max({1.0, std::abs(a), std::abs(b)}); };
      if (!near(n.kappa[i], -n.kappa[j]) || !near(n.weight[i], n.weight[j]) || !near(n.mu0[i], -n.mu0[j]) ||
          !near(n.mu1[i], n.mu1[j]) || !near(n.ms2[i], n.ms2[j]))
        return false;
    }
    return true;
  }();
  const Eigen::Index first = mirrored ? nk / 2 : 0;  // κ > 0 (and κ = 0 for an odd count, once)
  // One u rule per κ node, sized from the state (Channel::field_size) and then held fixed for the
  // whole iteration: a rule that changed between iterations would make the map non-smooth.
  // `grow` raises sizes to what the state x asks (with `margin` on the demand); true if any rose.
  std::vector<const GaussHermiteRule*> field(static_cast<size_t>(nk - first), nullptr);
  std::vector<size_t> memory_at(field.size() + 1, 0);
  std::vector<double> prox_memory;
  auto grow = [&](const Eigen::VectorXd& x, double margin) {
    bool rose = false;
    for (Eigen::Index i = first; i < nk; ++i) {
      Local l = channel.local(i, x);
      l.Q *= margin;
      l.t1 *= std::sqrt(margin);
      const GaussHermiteRule& r = field_rule(channel.field_size(l));
      const GaussHermiteRule*& slot = field[static_cast<size_t>(i - first)];
      if (!slot || r.node.size() > slot->node.size()) {
        slot = &r;
        rose = true;
      }
    }
    if (rose) {
      for (size_t k = 0; k < field.size(); ++k) memory_at[k + 1] = memory_at[k] + kMemory * static_cast<size_t>(field[k]->node.size());
      prox_memory.assign(spec.loss == Loss::kLogistic ? memory_at.back() : 0, std::nan(""));
    }
    return rose;
  };
  auto channel_side = [&](const Eigen::VectorXd& x, double& bias_step) {
    double Vh1 = 0, Vh2 = 0, qh1 = 0, qh2 = 0, th = 0, ph = 0, g = 0, h = 0;
    for (Eigen::Index i = first; i < nk; ++i) {
      const size_t k = static_cast<size_t>(i - first);
      double* memory = prox_memory.empty() ? nullptr : prox_memory.data() + memory_at[k];
      const Eigen::Array4d a = channel.moments(channel.local(i, x), memory, field[k]);
      const double w = (mirrored && 2 * i + 1 != nk ? 2.0 : 1.0) * n.weight[i], m1 = n.mu1[i] * n.mu1[i];
      Vh1 += w * m1 * a[0];
      Vh2 += w * n.ms2[i] * a[0];
      qh1 += w * m1 * a[1];
      qh2 += w * n.ms2[i] * a[1];
      ph += w * n.mu1[i] * a[2];
      th += w * n.kappa[i] * n.mu1[i] * a[3];
      g += w * n.mu0[i] * a[3];
      h += w * n.mu0[i] * n.mu0[i] * a[0];
    }
    hats << ap * Vh1, ap * Vh2, ap * qh1, ap * qh2, ap * th, ap * ph;
    // The all-ones direction is unpenalised at this order: m solves E_κ[μ0 E f] = 0 (a Newton
    // step in m per sweep; its derivative is −E_κ[μ0² A]).
    bias_curvature = h;
    bias_step = has_bias && h > 0.0 ? g / h : 0.0;
  };
  // The engine iterates y = x / unit: V ~ 1/λ, (τ, ψ) ~ α_p/λ and q ~ α_p/λ² as λ → ∞ or α → 0,
  // and its stopping rule is absolute below 1, so unscaled small overlaps would stop at round-off.
  const double a_scale = std::min(1.0, ap), l_scale = 1.0 / (1.0 + spec.lambda);
  Eigen::VectorXd unit(7);
  unit << l_scale, l_scale, a_scale * l_scale * l_scale, a_scale * l_scale * l_scale, a_scale * l_scale, a_scale * l_scale, 1.0;
  Eigen::VectorXd xs(7);
  bool hats_at_xs = false;  // `hats` and `bias_curvature` hold the channel side at xs
  const FixedPointMap G = [&](const Eigen::VectorXd& y, Eigen::VectorXd& next) {
    try {
      xs = y.cwiseProduct(unit);
      double step = 0.0;
      hats_at_xs = false;
      channel_side(xs, step);
      hats_at_xs = true;
      const spiked::PriorOverlaps o = spiked::l2_prior(averages(hats[0], hats[1]), hats[2], hats[3], hats[4], hats[5]);
      next << o.V1, o.V2, o.q1, o.q2, o.tau, o.psi, has_bias ? xs[6] + step : 0.0;
      next = next.cwiseQuotient(unit);
    } catch (const std::exception&) {  // a non-finite integrand: let the engine back off
      next.setConstant(std::nan(""));
    }
  };
  const Admissible physical = admissible;
  Eigen::VectorXd x(7);
  x << 1.0, 1.0, 0.5, 0.5, 0.0, 0.1, 0.0;
  bool warm_started = false;
  if (warm && warm->size() == 7 && physical(*warm)) {
    x = warm->cwiseQuotient(unit);
    warm_started = true;
  } else if (spec.loss != Loss::kSquare) {
    // Cold start from the square-loss fixed point of the same point: the hinge iteration started
    // far away can settle on a spurious fixed point where no sample is pinned (m unresolved).
    Spec square = spec;
    square.loss = Loss::kSquare;
    square.kappa_width = kappa_width(spec, mp);  // the same κ rule: `tabulated` must stay valid
    Eigen::VectorXd start;
    const Result r = solve(square, options, &mp, sampled, &start);
    if (r.summary.converged && physical(start)) x = start.cwiseQuotient(unit);
  }
  // Sized at the start with a margin (the state moves along the iteration, most from a cold
  // start), then checked at the fixed point: if it asks for more nodes anywhere, solve again from
  // there with the larger rules.
  grow(x.cwiseProduct(unit), warm_started ? 1.02 : 1.5);
  out.summary = solve_fixed_point(G, x, options, physical);
  for (int pass = 0; pass < 3 && out.summary.converged && grow(x.cwiseProduct(unit), 1.0); ++pass) {
    const Summary first_pass = out.summary;
    out.summary = solve_fixed_point(G, x, options, physical);
    out.summary.iterations += first_pass.iterations;
    out.summary.evaluations += first_pass.evaluations;
    out.summary.wall_seconds += first_pass.wall_seconds;
  }
  x = x.cwiseProduct(unit);
  out.summary.method = "sRF convex-loss state evolution: " + out.summary.method;
  out.V1 = x[0];
  out.V2 = x[1];
  out.q1 = x[2];
  out.q2 = x[3];
  out.tau = x[4];
  out.psi = x[5];
  out.m = x[6];
  if (!out.summary.converged) {
    // Without a penalty the minimiser exists only if the training set is not linearly separable;
    // otherwise the norm grows without bound along the iteration (Candès & Sur 2020; gcm README).
    if (spec.lambda == 0.0 && spec.loss != Loss::kSquare && (!x.allFinite() || x[3] > 1e3)) {
      out.summary.reason = Termination::kDivergent;
      out.summary.message = "no finite minimiser at lambda = 0: the training data are linearly separable at this alpha "
                            "(the readout norm diverges)";
    }
    return out;
  }
  if (warm) *warm = x;
  // The conjugates and the bias curvature at x: the engine's last evaluation was at x itself when
  // it stopped on the tolerance (scaled back bit for bit), so only recompute otherwise.
  double step = 0.0;
  if (!(hats_at_xs && xs == x)) channel_side(x, step);
  if (has_bias && !(bias_curvature > 1e-8 * E(n.mu0.square()))) {
    // The bias equation E_κ[μ0 D] = 0 has no curvature on the κ nodes: the hinge channel's
    // pinned band has collapsed between them (λ → ∞ or α → 0, Q(κ) → 0), so m is not determined
    // by the discretised equations and the point is not reported.
    out.summary.converged = false;
    out.summary.reason = Termination::kNoBracket;
    out.summary.message = "the bias m is not resolved by the kappa rule (hinge at very large lambda or very small alpha)";
    return out;
  }
  out.Vhat1 = hats[0];
  out.Vhat2 = hats[1];
  out.qhat1 = hats[2];
  out.qhat2 = hats[3];
  out.tau_hat = hats[4];
  out.psi_hat = hats[5];

  // Errors, conditionally on κ then averaged.  Test MSE in closed form: E y² = 1, E[y|κ] = h0 and
  // E[ξ y|κ] = h1 for the label field of variance ρ² + Δ.
  const double tsd = std::sqrt(rho * rho + channel.extra);
  for (Eigen::Index i = first; i < nk; ++i) {  // every term is even in κ for odd σ (see `mirrored`)
    const Local l = channel.local(i, x);
    const double w = (mirrored && 2 * i + 1 != nk ? 2.0 : 1.0) * n.weight[i];
    const double h0 = tsd > 0.0 ? 2.0 * normal_cdf(l.t0 / tsd) - 1.0 : (l.t0 > 0.0 ? 1.0 : -1.0);
    const double h1 = tsd > 0.0 ? 2.0 * rho * normal_pdf(l.t0 / tsd) / tsd : 0.0;
    out.test_error += w * (1.0 - 2.0 * l.yhat0 * h0 - 2.0 * n.mu1[i] * out.psi * h1 + l.yhat0 * l.yhat0 + l.Q);
    const size_t k = static_cast<size_t>(i - first);
    const Eigen::Array2d t = channel.training(l, field[k], prox_memory.empty() ? nullptr : prox_memory.data() + memory_at[k]);
    out.train_loss += w * t[0];
    out.train_error += w * t[1];
  }
  // The classification error is not smooth in κ where the mean prediction ŷ0(κ) changes sign and
  // Q(κ) is small (λ → ∞, α → 0: a step in κ, of width √Q/|ŷ0'|), which a fixed rule resolves only
  // to ~1e-3, even with the change at a panel end (odd σ: at κ = 0).  Elsewhere it is as smooth as
  // the channel: the κ rule's panels, on the tabulated nodes.  Where ŷ0 changes sign between two
  // nodes and the step is narrower than a panel (|ŷ0|/√Q > 0.05 at either node, while 8 points
  // per panel resolve the transition Φ(ŷ0/√Q) down to widths of 0.4 panel), the panels within one
  // panel width are integrated adaptively (tanh-sinh), split at the interpolated sign change
  // (test SrfGlm.ClassificationErrorOnPanelsEqualsTheAdaptiveIntegral).
  const Activation& sigma = spec.activation;
  const std::vector<double>& breaks = tabulated.breaks;
  std::vector<std::vector<double>> cuts(breaks.empty() ? 0 : breaks.size() - 1);  // per panel; marked if non-empty
  auto panel_of = [&](double kappa) {
    return static_cast<size_t>(std::upper_bound(breaks.begin(), breaks.end(), kappa) - breaks.begin()) - 1;
  };
  for (Eigen::Index i = 0; i + 1 < nk && !breaks.empty(); ++i) {
    const Local li = channel.local(i, x), lj = channel.local(i + 1, x);
    const double a = li.yhat0, b = lj.yhat0;
    if ((a < 0.0) == (b < 0.0) || std::max(std::abs(a) / li.sq, std::abs(b) / lj.sq) <= 0.05) continue;
    // Between ±κ for odd σ the change is at 0 exactly, a panel end.
    const double at = mirrored && i + 1 == nk - 1 - i ? 0.0 : n.kappa[i] + (n.kappa[i + 1] - n.kappa[i]) * a / (a - b);
    const size_t home = std::min(panel_of(at), cuts.size() - 1);  // at lies between two nodes, inside [−8, 8]
    const double reach = breaks[home + 1] - breaks[home];
    for (size_t p = 0; p < cuts.size(); ++p)
      if (breaks[p + 1] > at - reach && breaks[p] < at + reach) cuts[p].push_back(std::min(std::max(at, breaks[p]), breaks[p + 1]));
  }
  auto misclassified_at = [&](double kappa) {
    const GaussianMoments g = spiked::student_at(sigma, mp, kappa);
    return boost::math::constants::one_div_root_two_pi<double>() * std::exp(-0.5 * kappa * kappa) *
           channel.misclassified(channel.local_at(kappa, g.mean, g.slope, g.second, x));
  };
  thread_local boost::math::quadrature::tanh_sinh<double> segment;
  double cls = 0.0;
  for (Eigen::Index i = first; i < nk; ++i) {  // even in κ for odd σ (see `mirrored`)
    if (!breaks.empty() && !cuts[panel_of(n.kappa[i])].empty()) continue;
    const double w = (mirrored && 2 * i + 1 != nk ? 2.0 : 1.0) * n.weight[i];
    cls += w * channel.misclassified(channel.local(i, x));
  }
  for (size_t p = 0; p < cuts.size(); ++p) {
    if (cuts[p].empty() || (mirrored && breaks[p + 1] <= 0.0)) continue;
    std::vector<double> ends = cuts[p];
    ends.push_back(breaks[p]);
    ends.push_back(breaks[p + 1]);
    std::sort(ends.begin(), ends.end());
    for (size_t k = 0; k + 1 < ends.size(); ++k)
      if (ends[k + 1] > ends[k]) cls += (mirrored ? 2.0 : 1.0) * segment.integrate(misclassified_at, ends[k], ends[k + 1], 1e-13);
  }
  out.classification_error = cls;
  for (double v : {out.test_error, out.train_error, out.train_loss, out.classification_error})
    if (!std::isfinite(v) || v < 0.0) {
      out.summary.converged = false;
      out.summary.reason = Termination::kNonFinite;
      out.summary.message = "errors are not finite (or negative) at the fixed point";
    }
  return out;
}

}  // namespace rmtsolve::srf_glm

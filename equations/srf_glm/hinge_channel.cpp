#include "hinge_channel.hpp"

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/owens_t.hpp>
#include <gsl/gsl_integration.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

// Derivation: README.md beside this file, "Hinge channel in closed form".  Every u integral is a
// sum over the prox's branches of ∫ φ(u) Φ(α + b u) u^k du (a bivariate-normal rectangle plus
// boundary terms) and ∫ φ(u) φ(α + b u) u^k du (a Gaussian in u).

namespace rmtsolve::srf_glm {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;

// libm's erfc/exp in double, as the label channel in srf_glm.cpp (Boost's normal distribution
// promotes to long double).
double Phi(double x) { return 0.5 * std::erfc(-x * boost::math::constants::one_div_root_two<double>()); }
double Phic(double x) { return 0.5 * std::erfc(x * boost::math::constants::one_div_root_two<double>()); }
double phi(double x) { return boost::math::constants::one_div_root_two_pi<double>() * std::exp(-0.5 * x * x); }

// Φ(h) − Φ(l) for l ≤ h from the tail the interval lies in: no cancellation of two values near 1.
double mass(double l, double h) {
  if (!(l < h)) return 0.0;
  if (l >= 0.0) return Phic(l) - Phic(h);
  if (h <= 0.0) return Phi(h) - Phi(l);
  return 1.0 - Phi(l) - Phic(h);
}

// T(h, num/(h c)), Owen's T; T(0, ±∞) = ±¼, T(h, ±∞) = ±Φ(−|h|)/2, and below 1e-300 beyond |h| = 38.
double owen(double h, double num, double c) {
  if (num == 0.0) return 0.0;
  const double sign = num > 0.0 ? 1.0 : -1.0;
  if (h == 0.0) return 0.25 * sign;
  if (std::abs(h) > 38.0) return 0.0;
  const double a = num / (h * c);
  if (!std::isfinite(a)) return 0.5 * sign * Phic(std::abs(h));
  return boost::math::owens_t(h, a, Policy());
}

// Φ2(h, k; r) = P(X < h, Y < k) for standard normals of correlation r, c = √(1 − r²) passed
// separately (exact where r → ±1).  Owen's (1956) reduction
// Φ2 = ½Φ(h) + ½Φ(k) − T(h, α_h) − T(k, α_k) − β, written so that all terms are small when Φ2 is
// (h, k ≤ 0, or mixed signs with ½(Φ(h) + Φ(k) − 1) = ½(Φ(h) − Φ(−k))); with h, k > 0 through the
// upper orthant, Φ2 = 1 − Φ(−h) − Φ(−k) + Φ2(−h, −k; r).
double lower_orthant(double h, double k, double r, double c) {
  if (h == -kInf || k == -kInf) return 0.0;
  if (h == kInf) return Phi(k);
  if (k == kInf) return Phi(h);
  if (h == 0.0 && k == 0.0) return std::atan2(c, -r) / (2.0 * boost::math::constants::pi<double>());  // ¼ + asin(r)/(2π)
  if (h > 0.0 && k > 0.0) return 1.0 - Phic(h) - Phic(k) + lower_orthant(-h, -k, r, c);
  const double Th = owen(h, k - r * h, c), Tk = owen(k, h - r * k, c);
  double base;
  if (h * k > 0.0 || (h * k == 0.0 && h + k >= 0.0))
    base = 0.5 * (Phi(h) + Phi(k));
  else
    base = h < k ? 0.5 * (Phi(h) - Phic(k)) : 0.5 * (Phi(k) - Phic(h));
  return std::max(0.0, base - Th - Tk);
}

// The intervals of one label share ends (u_v, u_1, the label switch), and the orthant forms chosen
// for neighbours often meet there: each label's orthants are remembered (exact arguments) while
// its terms are summed.
struct OrthantMemo {
  int n = 0;
  double h[16], k[16], r[16], value[16];
};
thread_local OrthantMemo memo;

double lower_orthant_remembered(double h, double k, double r, double c) {
  for (int i = 0; i < memo.n; ++i)
    if (memo.h[i] == h && memo.k[i] == k && memo.r[i] == r) return memo.value[i];
  const double v = lower_orthant(h, k, r, c);
  if (memo.n < 16) {
    memo.h[memo.n] = h;
    memo.k[memo.n] = k;
    memo.r[memo.n] = r;
    memo.value[memo.n++] = v;
  }
  return v;
}

// The probability of the label (+1 after the mirror u → −u for −1) given u: Φ(α + b u) with
// α = t0/tsd, b = t1/tsd, or for a noiseless label (tsd = 0) a step, constant on either side of `cut`.
struct Prob {
  bool probit;
  double alpha, b;           // probit
  double S, k, r, c, m, g0;  // S = √(1 + b²), k = α/S, r = −b/S, c = 1/S, m = −αb/S², g0 = φ(α/S)/S
  double cut, left, right;   // step
  Prob(double t0, double t1, double tsd) {
    probit = tsd > 0.0;
    alpha = b = S = k = r = c = m = g0 = 0.0;
    cut = kInf;
    left = right = t0 > 0.0 ? 1.0 : (t0 == 0.0 ? 0.5 : 0.0);
    if (probit) {
      alpha = t0 / tsd;
      b = t1 / tsd;
      S = std::hypot(1.0, b);
      k = alpha / S;
      r = -b / S;
      c = 1.0 / S;
      m = -alpha * b / (S * S);
      g0 = phi(k) / S;
    } else if (t1 != 0.0) {
      cut = -t0 / t1;
      left = t1 > 0.0 ? 0.0 : 1.0;
      right = 1.0 - left;
    }
  }
  double db() const { return probit ? b : 1.0; }  // the factor of K in ∫ u^k φ P′ = db·K_k
  Prob flipped() const {  // Φ(−α − b u): the complement of a probit
    Prob p = *this;
    p.alpha = -alpha;
    p.b = -b;
    p.k = -k;
    p.r = -r;
    return p;  // m, g0 even in (α, b)
  }
  double at(double u) const {
    if (probit) return Phi(alpha + b * u);
    return u < cut ? left : right;
  }
  // g(u) = φ(u) P(u) and u g(u), zero at ±∞.
  double g(double u) const { return std::isinf(u) ? 0.0 : phi(u) * at(u); }
  double ug(double u) const { return std::isinf(u) ? 0.0 : u * phi(u) * at(u); }
  // d log g/du = −u + b φ(α + b u)/Φ(α + b u); only its sign is used (which tail form to take),
  // so the deep lower tail takes the asymptote −x of the inverse Mills ratio.
  double slope(double u) const {
    const double x = alpha + b * u;
    return -u + b * (x < -30.0 ? -x : phi(x) / Phi(x));
  }
};

// ∫_l^h φ(u) Φ(α + b u) du where Φ(α + b u) ≤ ½ on [l, h]: the rectangle P(l < U < h, W < k) of
// U and W = (Z − bU)/S (Z ⊥ U), written as a difference of orthants on the side where the
// log-concave integrand falls off (the tails beyond it are then no larger than the interval's
// mass), or as the total minus both tails when its mode lies inside.
double rectangle_small(double l, double h, const Prob& p) {
  auto L = [&](double x) { return lower_orthant_remembered(x, p.k, p.r, p.c); };    // ∫_{−∞}^x
  auto R = [&](double x) { return lower_orthant_remembered(-x, p.k, -p.r, p.c); };  // ∫_x^∞
  if (l == -kInf) return h == kInf ? Phi(p.k) : L(h);
  if (h == kInf) return R(l);
  if (p.slope(l) <= 0.0) return std::max(0.0, R(l) - R(h));
  if (p.slope(h) >= 0.0) return std::max(0.0, L(h) - L(l));
  return std::max(0.0, Phi(p.k) - L(l) - R(h));
}

// J0 = ∫_l^h φ(u) P(u) du, split where α + b u changes sign; where Φ(α + b u) > ½ as the interval's
// mass minus the integral of the complement Φ(−α − b u) (no cancellation either way).
double J0(double l, double h, const Prob& p) {
  if (!(l < h)) return 0.0;
  if (!p.probit) {
    const double cut = std::clamp(p.cut, l, h);
    return p.left * mass(l, cut) + p.right * mass(cut, h);
  }
  if (p.b == 0.0) return (p.alpha > 0.0 ? 1.0 - Phic(p.alpha) : Phi(p.alpha)) * mass(l, h);
  auto piece = [&](double lo, double hi) {
    if (!(lo < hi)) return 0.0;
    const double inner = std::isinf(lo) ? (std::isinf(hi) ? 0.0 : hi - 1.0) : (std::isinf(hi) ? lo + 1.0 : 0.5 * (lo + hi));
    if (p.alpha + p.b * inner >= 0.0) return std::max(0.0, mass(lo, hi) - rectangle_small(lo, hi, p.flipped()));
    return rectangle_small(lo, hi, p);
  };
  const double root = -p.alpha / p.b;
  if (l < root && root < h) return piece(l, root) + piece(root, h);
  return piece(l, h);
}

// K0, K1 = ∫_l^h φ(u) φ(α + b u) u^k du: φ(u)φ(α + b u) = g0 φ(S(u − m)) S, a Gaussian in u.
// The integrations by parts below use b K_k = ∫ u^k φ(u) P′(u) du; for the noiseless label with a
// switch (t1 ≠ 0) P′ = jump δ(u − cut), so there K0 = jump φ(cut), K1 = cut K0 (and "b" = 1) if
// the switch lies inside.  (That label's ∂P with respect to the mean of ξ is taken as 0, as in the
// quadrature: C = 0.)
struct Kterms {
  double k0 = 0.0, k1 = 0.0;
};
Kterms K(double l, double h, const Prob& p) {
  Kterms out;
  if (!(l < h)) return out;
  if (!p.probit) {
    if (l < p.cut && p.cut < h) {
      out.k0 = (p.right - p.left) * phi(p.cut);
      out.k1 = p.cut * out.k0;
    }
    return out;
  }
  const double lo = p.S * (l - p.m), hi = p.S * (h - p.m);
  out.k0 = p.g0 * mass(lo, hi);
  out.k1 = p.m * out.k0 + p.g0 / p.S * ((std::isinf(lo) ? 0.0 : phi(lo)) - (std::isinf(hi) ? 0.0 : phi(hi)));
  return out;
}

struct LabelTerms {
  double A = 0.0, B = 0.0, G = 0.0, D = 0.0, loss = 0.0, sq = 0.0;
};

// The pinned band u ∈ [u_v, u_1) (width ε = V/sd) in t ∈ [0, 1], u = u_1 − ε t:
// A = (1/sd)∫ g, D = ε∫ t g, B = ε∫ t² g, G = ε∫ t φ φ(α + b u).  Used where the band is narrow
// against the scale on which the integrand varies: the closed-form differences over it would
// cancel (B to O(ε³) from O(ε) terms), while on such a band the integrand is a low-degree
// polynomial to round-off and GSL's 12-point Gauss–Legendre rule integrates it exactly; as ε → 0
// it tends to A = g(u_1)/sd, the other terms to 0, with no division by V.
void narrow_band(double u1, double eps, double sd, const Prob& p, LabelTerms& t) {
  thread_local const std::unique_ptr<gsl_integration_glfixed_table, decltype(&gsl_integration_glfixed_table_free)> table(
      gsl_integration_glfixed_table_alloc(12), gsl_integration_glfixed_table_free);
  double sg = 0.0, stg = 0.0, st2g = 0.0, stk = 0.0;
  for (size_t i = 0; i < table->n; ++i) {
    double x = 0.0, w = 0.0;
    gsl_integration_glfixed_point(0.0, 1.0, i, &x, &w, table.get());
    const double u = u1 - eps * x, g = p.g(u);
    sg += w * g;
    stg += w * x * g;
    st2g += w * x * x * g;
    if (p.probit) stk += w * x * phi(u) * phi(p.alpha + p.b * u);
  }
  t.A = sg / sd;
  t.D += eps * stg;
  t.B += eps * st2g;
  t.G += eps * stk;
}

// One label y = +1 with field ω = c0 + sd u and probability p(u): the prox is free (f = 0) for
// u ≥ u_1 = (1 − c0)/sd, pinned at z = 1 (f = (1 − ω)/V = (u_1 − u)/ε, −∂f/∂ω = 1/V) on
// [u_v, u_1), u_v = u_1 − V/sd, and moves by V (f = 1) below u_v.
LabelTerms one_label(double c0, double sd, double V, const Prob& p, bool training) {
  LabelTerms t;
  memo.n = 0;
  const double u1 = (1.0 - c0) / sd, eps = V / sd, uv = V > 0.0 ? u1 - eps : u1;
  const double Pv = J0(-kInf, uv, p);
  const Kterms Kv = K(-kInf, uv, p);
  t.B = t.D = Pv;
  t.G = p.probit ? Kv.k0 : 0.0;
  if (V > 0.0) {
    const double reach = std::max(std::abs(u1), std::abs(uv));
    // The rate at which log Φ(α + b u) changes over the band: b φ(x)/Φ(x) (≈ |b x| in the lower
    // tail, ≈ b φ(x) where Φ ≈ 1), b alone where the switch x = 0 lies inside.
    double steep = 0.0;
    if (p.probit) {
      const double xv = p.alpha + p.b * uv, x1 = p.alpha + p.b * u1;
      auto rate = [](double x) { return x < -30.0 ? -x : phi(x) / Phi(x); };
      steep = std::abs(p.b) * ((xv < 0.0) != (x1 < 0.0) ? 1.0 + std::max(rate(xv), rate(x1)) : std::max(rate(xv), rate(x1)));
    }
    const bool cut_inside = !p.probit && uv < p.cut && p.cut < u1;
    // Up to ε (1 + |u| + steep) = 4 the band's integrand is within 2^24/24! ≈ 3e-17 of a polynomial
    // of degree 23, which the 12-point rule integrates exactly.
    if (!cut_inside && eps * (1.0 + reach + steep) <= 4.0) {  // (a switch of a noiseless label inside: exact below)
      narrow_band(u1, eps, sd, p, t);
    } else {
      // Band integrals by parts: J1 = [−g] + b K0, J2 = J0 + [−u g] + b K1 over [u_v, u_1).
      const double Pb = J0(uv, u1, p);
      const Kterms Kb = K(uv, u1, p);
      const double J1b = p.g(uv) - p.g(u1) + p.db() * Kb.k0;
      const double J2b = Pb + p.ug(uv) - p.ug(u1) + p.db() * Kb.k1;
      t.A = Pb / V;
      t.D += (u1 * Pb - J1b) / eps;
      t.B += (u1 * u1 * Pb - 2.0 * u1 * J1b + J2b) / (eps * eps);
      if (p.probit) t.G += (u1 * Kb.k0 - Kb.k1) / eps;
    }
  }
  if (training) {
    // Below u_v: loss 1 − V − ω = sd (u_v − u), squared error sd²(u_v − u)²; above u_1: squared
    // error sd²(u − u_1)²; zero in the band.  Written with the margins dv = sd u_v, d1 = sd u_1
    // (u_v², u_1² alone can overflow when Q underflows).
    const double dv = 1.0 - V - c0, d1 = 1.0 - c0, gv = p.g(uv), g1 = p.g(u1), db = p.db();
    t.loss = dv * Pv + sd * gv - sd * db * Kv.k0;
    const double Pf = J0(u1, kInf, p);
    const Kterms Kf = K(u1, kInf, p);
    const double below = (sd * sd + dv * dv) * Pv + sd * dv * gv - 2.0 * dv * sd * db * Kv.k0 + sd * sd * db * Kv.k1;
    const double above = (sd * sd + d1 * d1) * Pf - sd * d1 * g1 - 2.0 * d1 * sd * db * Kf.k0 + sd * sd * db * Kf.k1;
    t.sq = below + above;
  }
  return t;
}

// Label −1 at (ŷ0, t0) is label +1 at (−ŷ0, −t0) after u → −u (prox(−1, ω) = −prox(1, −ω)).
struct Both {
  LabelTerms up, down;
};
Both both_labels(const HingeField& f, bool training) {
  return {one_label(f.yhat0, f.sd, f.V, Prob(f.t0, f.t1, f.tsd), training),
          one_label(-f.yhat0, f.sd, f.V, Prob(-f.t0, f.t1, f.tsd), training)};
}

}  // namespace

Eigen::Array4d hinge_moments(const HingeField& f) {
  const Both l = both_labels(f, false);
  // ∂P(±1)/∂(mean) = ±(ρ/tsd) φ(α + b u); with f(−1, ω) = −f(+1, −ω) both labels enter C with +.
  const double C = f.tsd > 0.0 ? f.rho / f.tsd * (l.up.G + l.down.G) : 0.0;
  return {l.up.A + l.down.A, l.up.B + l.down.B, C, l.up.D - l.down.D};
}

Eigen::Array2d hinge_training(const HingeField& f) {
  const Both l = both_labels(f, true);
  return {l.up.loss + l.down.loss, l.up.sq + l.down.sq};
}

}  // namespace rmtsolve::srf_glm

// Tests of the activation catalogue and the Gaussian moment engine (activation.cpp, gaussian.cpp).
//
// Every expected value here is either a textbook closed form (docs/theory/deep.md §2.1, docs/theory/srf.md §2.1) or a
// Gaussian moment derived by hand in the comments, or an identity between two independent code paths
// (closed form vs adaptive quadrature; Stein's lemma with a hand-written derivative).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"

using namespace rmtsolve;

namespace {

constexpr double kPi = 3.14159265358979323846;

// |a − b| ≤ tol, measured relative to |expected| once that exceeds 1.
::testing::AssertionResult Close(double actual, double expected, double tol) {
  const double scale = std::max(1.0, std::abs(expected));
  if (std::isfinite(actual) && std::abs(actual - expected) <= tol * scale)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "actual " << actual << " vs expected " << expected
                                       << " (diff " << actual - expected << ", allowed "
                                       << tol * scale << ")";
}

struct MS {
  double m, s;
};
const MS kPoints[] = {{0.0, 0.3}, {0.0, 1.0}, {0.0, 2.5},  {1.3, 0.3},  {1.3, 1.0},
                      {1.3, 2.5}, {-1.3, 0.3}, {-1.3, 1.0}, {-1.3, 2.5}, {0.4, 1.7}};

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * kPi); }

// Raw moments of u ~ N(m, s²).
double EU2(double m, double s) { return m * m + s * s; }
double EU3(double m, double s) { return m * m * m + 3.0 * m * s * s; }
double EU4(double m, double s) {
  return std::pow(m, 4) + 6.0 * m * m * s * s + 3.0 * std::pow(s, 4);
}
double EU6(double m, double s) {
  return std::pow(m, 6) + 15.0 * std::pow(m, 4) * s * s + 45.0 * m * m * std::pow(s, 4) +
         15.0 * std::pow(s, 6);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Closed forms vs adaptive quadrature.

TEST(GaussianClosedForm, MatchesQuadrature) {
  for (const char* name : {"relu", "erf", "sign", "linear"}) {
    const Activation act = make_activation(name);
    ASSERT_TRUE(act.closed_form.has_value()) << name;
    for (const auto& p : kPoints) {
      const GaussianMoments cf = gaussian_moments(act, p.m, p.s);
      const GaussianMoments q = gaussian_moments_by_quadrature(act, p.m, p.s);
      EXPECT_TRUE(Close(cf.mean, q.mean, 1e-10)) << name << " mean m=" << p.m << " s=" << p.s;
      EXPECT_TRUE(Close(cf.slope, q.slope, 1e-10)) << name << " slope m=" << p.m << " s=" << p.s;
      EXPECT_TRUE(Close(cf.second, q.second, 1e-10)) << name << " second m=" << p.m << " s=" << p.s;
    }
  }
}

// An odd σ at m = 0 takes the half-line route (mean 0, the even moments twice their integral over
// z > 0); the same activation with `odd` cleared takes the general two-sided route.  For tanh and
// sign (a kink at 0) the two halves are mirror images, so the routes agree to round-off (1e-14); for a
// user clamp with symmetric kinks at ±1 to the quadrature tolerance (1e-12).  A wrong factor (2) or
// a dropped segment would be O(1) off.
TEST(GaussianQuadrature, OddCentredHalfLineEqualsTwoSidedRule) {
  for (const std::string name : {"tanh", "sign", "expr:min(max(x,-1),1);kinks=-1:1"}) {
    const Activation odd = make_activation(name);
    ASSERT_TRUE(odd.odd) << name;
    Activation general = odd;
    general.odd = false;
    const double tol = name[0] == 'e' ? 1e-12 : 1e-14;
    for (const double s : {0.3, 1.0, 3.0}) {
      const GaussianMoments h = gaussian_moments_by_quadrature(odd, 0.0, s), g = gaussian_moments_by_quadrature(general, 0.0, s);
      EXPECT_EQ(h.mean, 0.0) << name;
      EXPECT_NEAR(g.mean, 0.0, tol) << name << " s=" << s;
      EXPECT_TRUE(Close(h.slope, g.slope, tol)) << name << " slope s=" << s << ": " << h.slope << " vs " << g.slope;
      EXPECT_TRUE(Close(h.second, g.second, tol)) << name << " second s=" << s << ": " << h.second << " vs " << g.second;
    }
  }
}

// The closed forms themselves, against formulas written out independently (docs/theory/srf.md §2.1).
TEST(GaussianClosedForm, ReluAndSignGeneralMean) {
  const Activation relu = make_activation("relu");
  const Activation sign = make_activation("sign");
  for (const auto& p : kPoints) {
    const double a = p.m / p.s;
    const GaussianMoments r = gaussian_moments(relu, p.m, p.s);
    EXPECT_TRUE(Close(r.mean, p.m * Phi(a) + p.s * phi(a), 1e-13));
    EXPECT_TRUE(Close(r.slope, Phi(a), 1e-13));
    EXPECT_TRUE(Close(r.second, (p.m * p.m + p.s * p.s) * Phi(a) + p.m * p.s * phi(a), 1e-13));
    const GaussianMoments g = gaussian_moments(sign, p.m, p.s);
    EXPECT_TRUE(Close(g.mean, 2.0 * Phi(a) - 1.0, 1e-13));
    EXPECT_TRUE(Close(g.slope, 2.0 * phi(a) / p.s, 1e-13));
    EXPECT_TRUE(Close(g.second, 1.0, 1e-13));  // sign² = 1, by quadrature
  }
}

TEST(GaussianClosedForm, ErfGeneralMeanAndSlope) {
  const Activation erf = make_activation("erf");
  for (const auto& p : kPoints) {
    const double v = 1.0 + 2.0 * p.s * p.s;
    const GaussianMoments e = gaussian_moments(erf, p.m, p.s);
    EXPECT_TRUE(Close(e.mean, std::erf(p.m / std::sqrt(v)), 1e-13));
    EXPECT_TRUE(Close(e.slope, 2.0 / std::sqrt(kPi) * std::exp(-p.m * p.m / v) / std::sqrt(v), 1e-13));
  }
}

// ---------------------------------------------------------------------------------------------
// Linearisation coefficients at m = 0 (docs/theory/deep.md §2.1).

TEST(ActivationLinearise, TextbookFormulas) {
  const Activation erf = make_activation("erf");
  const Activation relu = make_activation("relu");
  const Activation sign = make_activation("sign");
  const Activation lin = make_activation("linear");
  for (double r : {0.5, 1.0, 3.0}) {
    SCOPED_TRACE("r = " + std::to_string(r));
    const Linearisation e = linearise(erf, r);
    EXPECT_NEAR(e.r, r, 0.0);
    EXPECT_NEAR(e.kappa0, 0.0, 1e-12);
    EXPECT_NEAR(e.kappa1, (2.0 / std::sqrt(kPi)) / std::sqrt(1.0 + 2.0 * r), 1e-12);
    EXPECT_NEAR(e.second, (2.0 / kPi) * std::asin(2.0 * r / (1.0 + 2.0 * r)), 1e-12);
    EXPECT_NEAR(e.kappa_star * e.kappa_star, e.second - r * e.kappa1 * e.kappa1, 1e-12);

    const Linearisation rl = linearise(relu, r);
    EXPECT_NEAR(rl.kappa0, std::sqrt(r / (2.0 * kPi)), 1e-12);
    EXPECT_NEAR(rl.kappa1, 0.5, 1e-12);
    EXPECT_NEAR(rl.second, r / 2.0, 1e-12);
    // κ*² = r/2 − r/(2π) − r/4 = r (1/4 − 1/(2π)).
    EXPECT_NEAR(rl.kappa_star, std::sqrt(r * (0.25 - 1.0 / (2.0 * kPi))), 1e-12);

    const Linearisation sg = linearise(sign, r);
    EXPECT_NEAR(sg.kappa0, 0.0, 1e-12);
    EXPECT_NEAR(sg.kappa1, std::sqrt(2.0 / (kPi * r)), 1e-12);
    EXPECT_NEAR(sg.second, 1.0, 1e-12);
    EXPECT_NEAR(sg.kappa_star, std::sqrt(1.0 - 2.0 / kPi), 1e-12);

    const Linearisation l = linearise(lin, r);
    EXPECT_NEAR(l.kappa0, 0.0, 1e-12);
    EXPECT_NEAR(l.kappa1, 1.0, 1e-12);
    EXPECT_NEAR(l.second, r, 1e-12);
    EXPECT_NEAR(l.kappa_star, 0.0, 1e-6);  // sqrt of a cancellation, clamped at 0
  }
}

// ---------------------------------------------------------------------------------------------
// Stein's lemma for smooth activations without a closed form: E[z σ(m+sz)]/s = E σ'(m+sz).

TEST(GaussianStein, SlopeEqualsMeanDerivative) {
  struct Case {
    const char* name;
    std::function<double(double)> derivative;
  };
  auto logistic = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  const Case cases[] = {
      {"tanh", [](double x) { const double c = std::cosh(x); return 1.0 / (c * c); }},
      {"sigmoid", [&](double x) { const double p = logistic(x); return p * (1.0 - p); }},
      {"softplus", logistic},
      // gelu(x) = x Φ(x)  ⇒  gelu'(x) = Φ(x) + x φ(x).
      {"gelu", [](double x) { return Phi(x) + x * phi(x); }},
  };
  for (const auto& c : cases) {
    const Activation act = make_activation(c.name);
    EXPECT_FALSE(act.closed_form.has_value()) << c.name;
    for (const auto& p : kPoints) {
      const double slope = gaussian_moments(act, p.m, p.s).slope;
      const double stein = gaussian_expectation(c.derivative, p.m, p.s);
      EXPECT_TRUE(Close(slope, stein, 1e-10)) << c.name << " m=" << p.m << " s=" << p.s;
    }
  }
}

// The activation functions themselves, pointwise.
TEST(ActivationValues, Pointwise) {
  const double x = 0.7;
  EXPECT_DOUBLE_EQ(make_activation("tanh")(x), std::tanh(x));
  EXPECT_DOUBLE_EQ(make_activation("relu")(-x), 0.0);
  EXPECT_DOUBLE_EQ(make_activation("relu")(x), x);
  EXPECT_DOUBLE_EQ(make_activation("sign")(-x), -1.0);
  EXPECT_DOUBLE_EQ(make_activation("sign")(0.0), 0.0);
  EXPECT_NEAR(make_activation("sigmoid")(x), 1.0 / (1.0 + std::exp(-x)), 1e-15);
  EXPECT_NEAR(make_activation("softplus")(x), std::log(1.0 + std::exp(x)), 1e-15);
  EXPECT_NEAR(make_activation("softplus")(-x), std::log(1.0 + std::exp(-x)), 1e-15);
  EXPECT_NEAR(make_activation("softplus")(800.0), 800.0, 1e-12);  // no overflow
  EXPECT_NEAR(make_activation("gelu")(x), x * Phi(x), 1e-15);
  EXPECT_NEAR(make_activation("erf")(x), std::erf(x), 1e-15);
  EXPECT_NEAR(make_activation("quadratic")(x), x * x, 1e-15);
  EXPECT_NEAR(make_activation("cubic")(x), x * x * x - 3.0 * x, 1e-15);
  EXPECT_NEAR(hermite_he(4, x), std::pow(x, 4) - 6.0 * x * x + 3.0, 1e-14);
  EXPECT_NEAR(hermite_he(5, x), std::pow(x, 5) - 10.0 * std::pow(x, 3) + 15.0 * x, 1e-14);
}

// sigmoid(x) = (1 + tanh(x/2))/2, so with t = tanh((m + s z)/2) = tanh(m/2 + (s/2) z):
//   mean = (1 + E t)/2,  slope = E tanh'(·/2)/4,  second = (1 + 2 E t + E t²)/4.
TEST(GaussianIdentity, SigmoidFromTanh) {
  const Activation sig = make_activation("sigmoid");
  const Activation th = make_activation("tanh");
  for (const auto& p : kPoints) {
    const GaussianMoments a = gaussian_moments(sig, p.m, p.s);
    const GaussianMoments t = gaussian_moments(th, p.m / 2.0, p.s / 2.0);
    EXPECT_TRUE(Close(a.mean, 0.5 * (1.0 + t.mean), 1e-10)) << "m=" << p.m << " s=" << p.s;
    EXPECT_TRUE(Close(a.slope, 0.25 * t.slope, 1e-10)) << "m=" << p.m << " s=" << p.s;
    EXPECT_TRUE(Close(a.second, 0.25 * (1.0 + 2.0 * t.mean + t.second), 1e-10))
        << "m=" << p.m << " s=" << p.s;
  }
}

// ---------------------------------------------------------------------------------------------
// Polynomials: moments from the raw Gaussian moments of u ~ N(m, s²).

TEST(GaussianPolynomial, Quadratic) {
  const Activation q = make_activation("quadratic");
  EXPECT_EQ(q.polynomial_degree, 2);
  EXPECT_FALSE(q.odd);
  for (const auto& p : kPoints) {
    const GaussianMoments mo = gaussian_moments(q, p.m, p.s);
    EXPECT_TRUE(Close(mo.mean, EU2(p.m, p.s), 1e-10)) << "m=" << p.m << " s=" << p.s;
    EXPECT_TRUE(Close(mo.slope, 2.0 * p.m, 1e-10)) << "m=" << p.m << " s=" << p.s;
    EXPECT_TRUE(Close(mo.second, EU4(p.m, p.s), 1e-10)) << "m=" << p.m << " s=" << p.s;
  }
}

// He3(u) = u³ − 3u:  E = E u³ − 3m,  E He3' = 3 E u² − 3,  E He3² = E u⁶ − 6 E u⁴ + 9 E u².
TEST(GaussianPolynomial, CubicHe3) {
  const Activation c = make_activation("cubic");
  EXPECT_EQ(c.polynomial_degree, 3);
  EXPECT_TRUE(c.odd);
  for (const auto& p : kPoints) {
    const double m = p.m, s = p.s;
    const GaussianMoments mo = gaussian_moments(c, m, s);
    EXPECT_TRUE(Close(mo.mean, EU3(m, s) - 3.0 * m, 1e-10)) << "m=" << m << " s=" << s;
    EXPECT_TRUE(Close(mo.slope, 3.0 * EU2(m, s) - 3.0, 1e-10)) << "m=" << m << " s=" << s;
    EXPECT_TRUE(Close(mo.second, EU6(m, s) - 6.0 * EU4(m, s) + 9.0 * EU2(m, s), 1e-10))
        << "m=" << m << " s=" << s;
  }
}

// "hermite:0.5,1,0.3" = 0.5 + u + 0.3 (u² − 1) = 0.2 + u + 0.3 u²:
//   E = 0.2 + m + 0.3 E u²,   E σ' = 1 + 0.6 m,
//   E σ² = 0.04 + 0.4 m + 1.12 E u² + 0.6 E u³ + 0.09 E u⁴.
TEST(GaussianPolynomial, HermiteSpec) {
  const Activation h = make_activation("hermite:0.5,1,0.3");
  EXPECT_EQ(h.polynomial_degree, 2);
  EXPECT_FALSE(h.odd);
  for (const auto& p : kPoints) {
    const double m = p.m, s = p.s;
    const GaussianMoments mo = gaussian_moments(h, m, s);
    EXPECT_TRUE(Close(mo.mean, 0.2 + m + 0.3 * EU2(m, s), 1e-10)) << "m=" << m << " s=" << s;
    EXPECT_TRUE(Close(mo.slope, 1.0 + 0.6 * m, 1e-10)) << "m=" << m << " s=" << s;
    EXPECT_TRUE(Close(mo.second,
                      0.04 + 0.4 * m + 1.12 * EU2(m, s) + 0.6 * EU3(m, s) + 0.09 * EU4(m, s), 1e-10))
        << "m=" << m << " s=" << s;
  }
}

// ---------------------------------------------------------------------------------------------
// Hermite coefficients c_k = E[σ(√r z) He_k(z)]/k!.

TEST(GaussianHermite, PolynomialsReturnTheirCoefficients) {
  const auto cubic = hermite_coefficients(make_activation("cubic"), 1.0, 5);
  const double expected_cubic[] = {0, 0, 0, 1, 0, 0};
  ASSERT_EQ(cubic.size(), 6u);
  for (size_t k = 0; k < 6; ++k) EXPECT_NEAR(cubic[k], expected_cubic[k], 1e-10) << "k=" << k;

  const auto h = hermite_coefficients(make_activation("hermite:0.2,1,0.5"), 1.0, 4);
  const double expected_h[] = {0.2, 1.0, 0.5, 0.0, 0.0};
  ASSERT_EQ(h.size(), 5u);
  for (size_t k = 0; k < 5; ++k) EXPECT_NEAR(h[k], expected_h[k], 1e-10) << "k=" << k;
}

// ReLU at r = 1, with ∫₀^∞ zⁿ φ(z) dz = 1/2, 1/√(2π), 1/2, 2/√(2π), 3/2, 8/√(2π) for n = 0..5:
//   c0 = E relu = 1/√(2π),  c1 = E[z² 1{z>0}] = 1/2,
//   c2 = (E[z³1{z>0}] − E[z1{z>0}])/2 = (2 − 1)/(2√(2π)) = 1/(2√(2π)),
//   c3 = (E[z⁴1{z>0}] − 3E[z²1{z>0}])/6 = (3/2 − 3/2)/6 = 0,
//   c4 = (E[z⁵1{z>0}] − 6E[z³1{z>0}] + 3E[z1{z>0}])/24 = (8 − 12 + 3)/(24√(2π)) = −1/(24√(2π)).
// relu(√r z) = √r relu(z), so every coefficient scales by √r.
TEST(GaussianHermite, Relu) {
  const double g = 1.0 / std::sqrt(2.0 * kPi);
  const double expected[] = {g, 0.5, 0.5 * g, 0.0, -g / 24.0};
  for (double r : {1.0, 2.0}) {
    const auto c = hermite_coefficients(make_activation("relu"), r, 4);
    ASSERT_EQ(c.size(), 5u);
    for (size_t k = 0; k < 5; ++k)
      EXPECT_NEAR(c[k], std::sqrt(r) * expected[k], 1e-10) << "r=" << r << " k=" << k;
  }
}

// sign at any r (sign(√r z) = sign(z)), with E|z|ⁿ = 2∫₀^∞ zⁿφ: E|z| = √(2/π), E|z|³ = 2√(2/π),
// E|z|⁵ = 8√(2/π):  c1 = √(2/π),  c3 = (2 − 3)√(2/π)/6 = −√(2/π)/6,
// c5 = (8 − 20 + 15)√(2/π)/120 = √(2/π)/40, even coefficients vanish.
TEST(GaussianHermite, Sign) {
  const double a = std::sqrt(2.0 / kPi);
  const double expected[] = {0.0, a, 0.0, -a / 6.0, 0.0, a / 40.0};
  for (double r : {1.0, 0.3}) {
    const auto c = hermite_coefficients(make_activation("sign"), r, 5);
    ASSERT_EQ(c.size(), 6u);
    for (size_t k = 0; k < 6; ++k) EXPECT_NEAR(c[k], expected[k], 1e-10) << "r=" << r << " k=" << k;
  }
}

// ---------------------------------------------------------------------------------------------
// Bad input.

TEST(ActivationInput, UnknownNameNamesParameterAndValue) {
  try {
    make_activation("swishy", "student_activation");
    FAIL() << "no exception";
  } catch (const InvalidInput& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("student_activation"), std::string::npos) << what;
    EXPECT_NE(what.find("swishy"), std::string::npos) << what;
    EXPECT_EQ(e.parameter(), "student_activation");
  }
  EXPECT_THROW(make_activation(""), InvalidInput);
  EXPECT_THROW(make_activation("Tanh"), InvalidInput);
}

TEST(ActivationInput, MalformedHermite) {
  EXPECT_THROW(make_activation("hermite:1,x"), InvalidInput);
  EXPECT_THROW(make_activation("hermite:"), InvalidInput);
  EXPECT_THROW(make_activation("hermite:1,,2"), InvalidInput);
  EXPECT_THROW(make_activation("hermite:1,2x"), InvalidInput);
  EXPECT_THROW(make_activation("hermite:1,nan"), InvalidInput);
  try {
    make_activation("hermite:1,x", "target");
    FAIL() << "no exception";
  } catch (const InvalidInput& e) {
    EXPECT_NE(std::string(e.what()).find("target"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(make_activation("hermite:1,-2.5,1e-3"));
}

TEST(ActivationInput, LineariseRejectsBadVariance) {
  const Activation a = make_activation("tanh");
  EXPECT_THROW(linearise(a, 0.0), InvalidInput);
  EXPECT_THROW(linearise(a, -1.0), InvalidInput);
  EXPECT_THROW(linearise(a, std::numeric_limits<double>::quiet_NaN()), InvalidInput);
  EXPECT_THROW(linearise(a, std::numeric_limits<double>::infinity()), InvalidInput);
  EXPECT_THROW(gaussian_moments(a, 0.0, 0.0), InvalidInput);
  EXPECT_THROW(gaussian_moments(a, 0.0, std::numeric_limits<double>::quiet_NaN()), InvalidInput);
}

// ---------------------------------------------------------------------------------------------
// κ* over the whole catalogue, with exact values where they are known:
//   relu: r(1/4 − 1/(2π));  sign: 1 − 2/π;  linear: 0;  quadratic: E u⁴ − (E u²)² = 2r²;
//   cubic: 15r³ − 18r² + 9r − r(3r − 3)² = 6r³.
TEST(ActivationKappaStar, NonNegativeAndFinite) {
  std::vector<std::string> names;
  for (const auto& n : activation_names())
    if (n.find(':') == std::string::npos) names.push_back(n);
  EXPECT_GE(names.size(), 10u);
  names.push_back("hermite:0.1,1,0.5,0.2");
  for (const auto& name : names) {
    const Activation act = make_activation(name);
    for (double r : {1e-3, 1.0, 100.0}) {
      const Linearisation lin = linearise(act, r);
      EXPECT_TRUE(std::isfinite(lin.kappa_star)) << name << " r=" << r;
      EXPECT_GE(lin.kappa_star, 0.0) << name << " r=" << r;
      EXPECT_TRUE(std::isfinite(lin.kappa0) && std::isfinite(lin.kappa1) && std::isfinite(lin.second))
          << name << " r=" << r;
      double k2 = std::numeric_limits<double>::quiet_NaN();
      if (name == "relu") k2 = r * (0.25 - 1.0 / (2.0 * kPi));
      if (name == "sign") k2 = 1.0 - 2.0 / kPi;
      if (name == "linear") k2 = 0.0;
      if (name == "quadratic") k2 = 2.0 * r * r;
      if (name == "cubic") k2 = 6.0 * r * r * r;
      if (!std::isnan(k2))
        EXPECT_TRUE(Close(lin.kappa_star * lin.kappa_star, k2, 1e-10)) << name << " r=" << r;
      // Non-linear activations keep a strictly positive remainder.
      if (name != "linear") EXPECT_GT(lin.kappa_star, 0.0) << name << " r=" << r;
    }
  }
}

TEST(ActivationVectorised, MatchesScalarDefinition) {
  // The Monte Carlo applies σ through Eigen's vectorised array functions where it can: they must
  // agree with the scalar definition to rounding.
  for (const char* name : {"tanh", "relu", "sigmoid", "linear"}) {
    const rmtsolve::Activation a = rmtsolve::make_activation(name);
    ASSERT_TRUE(static_cast<bool>(a.apply_inplace)) << name;
    std::vector<double> x;
    for (int i = -400; i <= 400; ++i) x.push_back(i * 0.05);
    std::vector<double> y = x;
    a.apply_inplace(y.data(), static_cast<long>(y.size()));
    // Absolute agreement to a few ulps of 1: the features are O(1) and enter sums.
    for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(y[i], a(x[i]), 4e-16 * (1 + std::abs(y[i]))) << name << " at " << x[i];
  }
}

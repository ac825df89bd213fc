#include <gtest/gtest.h>

#include <boost/math/constants/constants.hpp>
#include <boost/math/quadrature/exp_sinh.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/numeric/odeint.hpp>
#include <cmath>
#include <functional>

#include "equations/kernels/empirical.hpp"
#include "equations/kernels/kernels.hpp"
#include "equations/kernels/predict.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

using namespace rmtsolve;
using namespace rmtsolve::kernels;
using boost::math::constants::pi;

namespace {

using Fn = std::function<double(double)>;

// Independent route for every dual: E[f(u) g(v)] in polar coordinates.  With u = √q1 r cos φ and
// v = √q2 r cos(φ − α), cos α = ρ, a kink of f or g at 0 is a ray φ = const, so splitting the angle
// there leaves smooth integrands for double-exponential quadrature (docs/theory/dynamics.md §3.2 warning).
// For f, g positively homogeneous of total degree k ≥ 0 (ReLU-like, sign) the radial integral is
// ∫ r^{1+k} e^{−r²/2} dr = 2^{k/2} Γ(1 + k/2), and only the angle is integrated numerically.
double polar_expectation(const Fn& f, const Fn& g, double q1, double q2, double s, int homogeneous_degree = -1) {
  const double rho = std::clamp(s / std::sqrt(q1 * q2), -1.0, 1.0), alpha = std::acos(rho);
  const double r1 = std::sqrt(q1), r2 = std::sqrt(q2), half = pi<double>() / 2;
  std::vector<double> cuts{-half, half, alpha - half, alpha + half, alpha + 3 * half, 3 * half};
  for (double& c : cuts) c = std::fmod(c + 2 * pi<double>() + half, 2 * pi<double>()) - half;  // into [−π/2, 3π/2)
  cuts.push_back(-half);
  cuts.push_back(3 * half);
  std::sort(cuts.begin(), cuts.end());
  boost::math::quadrature::tanh_sinh<double> angular;
  boost::math::quadrature::exp_sinh<double> radial;
  auto at_angle = [&](double phi) {
    const double cu = std::cos(phi), cv = std::cos(phi - alpha);
    if (homogeneous_degree >= 0)
      return std::pow(2.0, 0.5 * homogeneous_degree) * std::tgamma(1.0 + 0.5 * homogeneous_degree) * f(r1 * cu) * g(r2 * cv);
    return radial.integrate(
        [&](double r) {
          const double w = r * std::exp(-0.5 * r * r);
          return w == 0.0 ? 0.0 : w * f(r1 * r * cu) * g(r2 * r * cv);
        },
        0.0, std::numeric_limits<double>::infinity(), 1e-11);
  };
  double total = 0.0;
  for (size_t k = 0; k + 1 < cuts.size(); ++k)
    if (cuts[k + 1] - cuts[k] > 1e-14) total += angular.integrate(at_angle, cuts[k], cuts[k + 1], 1e-12);
  return total / (2 * pi<double>());
}

struct Triple {
  double q1, q2, s;
};
const Triple kTriples[] = {{1.0, 1.0, 0.3}, {0.7, 1.6, -0.5}, {2.0, 0.5, 0.99}, {1.3, 1.3, 0.0}, {0.4, 0.9, -0.59}};

// `degree` ≥ 0: φ is positively homogeneous of that degree (φ' of degree − 1).
void expect_matches_quadrature(const DualActivation& d, double tol, int degree = -1) {
  const Activation& phi = d.pointwise();
  for (const Triple& t : kTriples) {
    const double V = polar_expectation(phi.f, phi.f, t.q1, t.q2, t.s, degree < 0 ? -1 : 2 * degree);
    const double Vdot = polar_expectation(phi.df, phi.df, t.q1, t.q2, t.s, degree < 0 ? -1 : std::max(0, 2 * degree - 2));
    EXPECT_NEAR(d.V(t.q1, t.q2, t.s), V, tol * std::max(1.0, std::abs(V))) << d.name() << " q1=" << t.q1 << " s=" << t.s;
    EXPECT_NEAR(d.Vdot(t.q1, t.q2, t.s), Vdot, tol * std::max(1.0, std::abs(Vdot))) << d.name() << " q1=" << t.q1;
  }
}

// Central differences of a function of Σ (away from kinks), for the Σ-derivatives.
double central(const std::function<double(double)>& F, double s, double h = 1e-5) {
  return (F(s + h) - F(s - h)) / (2 * h);
}

}  // namespace

// ---- dual activations ----------------------------------------------------------------------------

TEST(KernelDuals, SmoothClosedFormsMatchQuadrature) {
  for (const char* spec : {"erf", "erf:1.5,0.7,0.3", "sigmoid_like", "gelu", "sin", "cos", "sin:0.8,1.3,0.4",
                           "exp:0.5,0.6", "gaussian:1.2,-0.4", "rbf:0.7", "polynomial:0.3,-1,0.5,0.2",
                           "quadratic", "cubic", "hermite:0.1,1,0.3,0,0.05", "linear"})
    expect_matches_quadrature(make_dual(spec), 1e-8);
}

TEST(KernelDuals, KinkedClosedFormsMatchPolarQuadrature) {
  for (const char* spec : {"relu", "abs", "leaky_relu:0.1", "abrelu:0.3,-0.7"}) expect_matches_quadrature(make_dual(spec), 1e-10, 1);
  expect_matches_quadrature(make_dual("sign"), 1e-10, 0);  // φ' = 0: V̇ = 0 whatever the degree
  for (int p : {0, 1, 2, 3, 5}) expect_matches_quadrature(arccos_dual(p), 1e-10, p);
}

TEST(KernelDuals, SlopesAreDerivativesInSigma) {
  // ∂V/∂Σ and ∂V̇/∂Σ against central differences; and Price's theorem ∂V/∂Σ = V̇ for continuous φ,
  // which also checks the table's V̇ (e.g. GELU's) against its V.
  for (const char* spec : {"relu", "abrelu:0.3,-0.7", "arccos:2", "arccos:3", "erf:1.5,0.7,0.3", "gelu", "sin:0.8,1.3,0.4",
                           "exp:0.5,0.6", "gaussian:1.2,-0.4", "rbf:0.7", "hermite:0.1,1,0.3,0,0.05", "tanh", "softplus"}) {
    const DualActivation d = make_dual(spec);
    for (const Triple& t : kTriples) {
      if (std::abs(std::abs(t.s) - std::sqrt(t.q1 * t.q2)) < 0.05) continue;  // too close to a kink for differences
      const double dV = central([&](double s) { return d.V(t.q1, t.q2, s); }, t.s);
      const double dVdot = central([&](double s) { return d.Vdot(t.q1, t.q2, s); }, t.s);
      EXPECT_NEAR(d.dV(t.q1, t.q2, t.s), dV, 1e-6 * std::max(1.0, std::abs(dV))) << spec;
      EXPECT_NEAR(d.dVdot(t.q1, t.q2, t.s), dVdot, 1e-6 * std::max(1.0, std::abs(dVdot))) << spec;
      EXPECT_NEAR(d.dV(t.q1, t.q2, t.s), d.Vdot(t.q1, t.q2, t.s), 1e-8 * std::max(1.0, std::abs(dV))) << spec;
    }
  }
}

TEST(KernelDuals, JumpsMakeDVDifferFromVdot) {
  // sign and the step function ReLU⁰ jump at 0: V̇ = 0 (what backprop sees) but ∂V/∂Σ carries δ.
  for (const char* spec : {"sign", "arccos:0"}) {
    const DualActivation d = make_dual(spec);
    const double dV = central([&](double s) { return d.V(1.2, 0.8, s); }, 0.3);
    EXPECT_NEAR(d.dV(1.2, 0.8, 0.3), dV, 1e-7 * dV) << spec;
    EXPECT_NEAR(d.Vdot(1.2, 0.8, 0.3), 0.0, 1e-15);
  }
  EXPECT_TRUE(std::isinf(make_dual("relu").dVdot(1.0, 1.0, 1.0)));  // (π−θ)/2π has slope ∞ at θ = 0
}

TEST(KernelDuals, ArcCosineRecursionMatchesDerivativeFormulaAndTable) {
  for (double theta : {0.0, 0.4, 1.3, 2.2, 3.0, pi<double>()}) {
    const double c = std::cos(theta), s = std::sin(theta), rest = pi<double>() - theta;
    EXPECT_NEAR(arccos_J(0, theta), rest, 1e-15);
    EXPECT_NEAR(arccos_J(1, theta), s + rest * c, 1e-14);
    EXPECT_NEAR(arccos_J(2, theta), 3 * s * c + rest * (1 + 2 * c * c), 1e-13);
    // Derivative route: dV_p/dρ = p² V_{p−1} and V_p(ρ = −1) = 0 give J_p(θ) = p² ∫_θ^π sin t J_{p−1}(t) dt.
    boost::math::quadrature::tanh_sinh<double> integrator;
    for (int p = 1; p <= 6; ++p) {
      const double integral = theta >= pi<double>() ? 0.0
                                                     : integrator.integrate([&](double t) { return std::sin(t) * arccos_J(p - 1, t); },
                                                                            theta, pi<double>(), 1e-14);
      EXPECT_NEAR(arccos_J(p, theta), p * p * integral, 1e-11 * std::max(1.0, std::abs(arccos_J(p, theta)))) << p;
    }
  }
  // θ = 0: V_p(q, q, q) = E ReLU(u)^{2p} = q^p (2p−1)!!/2, so J_p(0) = π (2p−1)!!.
  double double_factorial = 1.0;
  for (int p = 1; p <= 8; ++p) {
    double_factorial *= 2 * p - 1;
    EXPECT_NEAR(arccos_J(p, 0.0), pi<double>() * double_factorial, 1e-12 * double_factorial) << p;
  }
}

TEST(KernelDuals, ReluIsABReLUAndArcCosineOfDegreeOne) {
  const DualActivation relu = make_dual("relu"), ab = abrelu_dual(0.0, 1.0), arc = arccos_dual(1);
  for (const Triple& t : kTriples) {
    EXPECT_NEAR(relu.V(t.q1, t.q2, t.s), ab.V(t.q1, t.q2, t.s), 1e-15);
    EXPECT_NEAR(relu.V(t.q1, t.q2, t.s), arc.V(t.q1, t.q2, t.s), 1e-14);
    EXPECT_NEAR(relu.Vdot(t.q1, t.q2, t.s), arc.Vdot(t.q1, t.q2, t.s), 1e-15);
    EXPECT_NEAR(relu.dVdot(t.q1, t.q2, t.s), arc.dVdot(t.q1, t.q2, t.s), 1e-12);
  }
}

TEST(KernelDuals, HermiteOrthogonalityAndMonomialTable) {
  // He_p/√p! at unit variances: V = Σ^p (orthogonality E[He_k He_l] = k! δ_kl under correlation ρ).
  for (int p = 0; p <= 7; ++p)
    for (double rho : {-0.8, 0.2, 0.9}) EXPECT_NEAR(normalised_hermite_dual(p).V(1, 1, rho), std::pow(rho, p), 1e-12) << p;
  // Σ c_k He_k: V = Σ c_k² k! ρ^k at unit variances.
  const DualActivation h = make_dual("hermite:0.4,1,-0.3,0.2");
  for (double rho : {-0.5, 0.7})
    EXPECT_NEAR(h.V(1, 1, rho), 0.16 + rho + 0.09 * 2 * rho * rho + 0.04 * 6 * rho * rho * rho, 1e-13);
  // z^p, p ≤ 5, against the table of docs/theory/dynamics.md §3.2 (P = q1 q2).
  const double q1 = 0.7, q2 = 1.9, s = -0.4, P = q1 * q2;
  const double table[] = {1, s, 2 * s * s + P, 6 * s * s * s + 9 * s * P, 3 * (8 * std::pow(s, 4) + 3 * P * (8 * s * s + P)),
                          15 * s * (8 * std::pow(s, 4) + 5 * P * (8 * s * s + 3 * P))};
  for (int p = 0; p <= 5; ++p) {
    const DualActivation m = make_dual("monomial:" + std::to_string(p));
    EXPECT_NEAR(m.V(q1, q2, s), table[p], 1e-12 * std::max(1.0, std::abs(table[p]))) << p;
    if (p >= 1) EXPECT_NEAR(m.Vdot(q1, q2, s), p * p * table[p - 1], 1e-12 * std::max(1.0, std::abs(table[p]))) << p;
  }
}

TEST(KernelDuals, RbfIsTheDualOfItsSine) {
  const DualActivation rbf = rbf_dual(0.7), sine = sin_dual(std::sqrt(2.0), std::sqrt(1.4), pi<double>() / 4);
  for (const Triple& t : kTriples) {
    EXPECT_NEAR(rbf.V(t.q1, t.q2, t.s), sine.V(t.q1, t.q2, t.s), 1e-14);
    EXPECT_NEAR(rbf.Vdot(t.q1, t.q2, t.s), sine.Vdot(t.q1, t.q2, t.s), 1e-14);
  }
}

TEST(KernelDuals, NumericalDualForSmoothActivations) {
  // tanh, the logistic sigmoid and softplus have no closed form: nested Gauss–Hermite.
  for (const char* spec : {"tanh", "sigmoid", "softplus"}) {
    const DualActivation d = make_dual(spec);
    EXPECT_FALSE(d.closed_form());
    expect_matches_quadrature(d, 1e-9);
  }
  // The project's sigmoid is the logistic function, not neural-tangents' erf-based Sigmoid_like.
  EXPECT_GT(std::abs(make_dual("sigmoid").V(1, 1, 0.5) - make_dual("sigmoid_like").V(1, 1, 0.5)), 1e-4);
}

// Kernel matrices through the Mehler series against the pairwise 2-D rule (the reference, documented
// to ≤ 3e-10 for q ∈ [0.5, 8]).  Rows with norms |x|²/d from 0.3 to 6 (first-layer q up to ≈ 9 with
// W_std 1.2), and pairs at ρ = ±(1 − 1e-6) and exactly ±1.  Tolerance 1e-8 relative to the matrix
// scale: the series is truncated at a bound of 1e-12 and both rules are far inside 1e-8, while a
// wrong coefficient, order or correlation moves entries by ≥ 1e-4.
TEST(KernelDuals, MehlerSeriesMatchesPairwiseRuleOnKernelMatrices) {
  std::mt19937_64 rng(11);
  const Eigen::Index n = 9, d = 7;
  Eigen::MatrixXd X = mc::gaussian_matrix(n, d, rng);
  const double norms[] = {0.3, 0.8, 1.0, 1.5, 2.5, 4.0, 6.0, 1.0, 1.0};
  for (Eigen::Index i = 0; i < n; ++i) X.row(i) *= std::sqrt(norms[i] * d) / X.row(i).norm();
  X.row(7) = X.row(1) * std::sqrt(1.0 / 0.8) + 1e-3 * X.row(0);  // ρ ≈ 1 − O(1e-6) with row 1
  X.row(8) = -X.row(7);                                          // ρ = −1 exactly with row 7
  for (const char* spec : {"tanh", "sigmoid", "softplus"}) {
    NumericalDualOptions reference;
    reference.series = false;
    const DualActivation fast = make_dual(spec), slow = make_dual(spec, "activation", reference);
    ASSERT_NE(fast.series(), nullptr);
    ASSERT_EQ(slow.series(), nullptr);
    for (double b_std : {0.0, 0.3}) {
      const KernelPair a = nngp_ntk(Architecture::fully_connected(fast, 3, 1.2, b_std), X, X.topRows(7));
      const KernelPair r = nngp_ntk(Architecture::fully_connected(slow, 3, 1.2, b_std), X, X.topRows(7));
      const double scale = std::max(1.0, r.ntk.cwiseAbs().maxCoeff());
      EXPECT_LT((a.nngp - r.nngp).cwiseAbs().maxCoeff(), 1e-8 * scale) << spec << " b_std " << b_std;
      EXPECT_LT((a.ntk - r.ntk).cwiseAbs().maxCoeff(), 1e-8 * scale) << spec << " b_std " << b_std;
      EXPECT_LT((a.nngp_diag1 - r.nngp_diag1).cwiseAbs().maxCoeff(), 1e-8 * scale) << spec;
      EXPECT_LT((a.ntk_diag2 - r.ntk_diag2).cwiseAbs().maxCoeff(), 1e-8 * scale) << spec;
    }
  }
  // The truncation bound is what stops the series: a tolerance nobody can meet leaves the rows
  // unconverged (and nngp_ntk then uses the pairwise rule for them).
  const MehlerSeries strict(make_activation("tanh"), 0.0, 64);
  const MehlerCoefficients c = strict.coefficients(Eigen::ArrayXd::Constant(2, 3.0));
  EXPECT_FALSE(c.converged[0]);
  EXPECT_EQ(c.phi.rows(), 65);
  // The default bound (1e-9) is met up to q = 8 (the documented range of the pairwise rule), and
  // the series reproduces E φ² (the diagonal) within it.
  const MehlerSeries loose(make_activation("tanh"));
  const MehlerCoefficients l = loose.coefficients((Eigen::ArrayXd(3) << 0.0, 1.0, 8.0).finished());
  for (char ok : l.converged) EXPECT_TRUE(ok);
  for (Eigen::Index i = 0; i < 3; ++i) EXPECT_NEAR(l.phi.col(i).squaredNorm(), l.second(i), 1e-9);
  EXPECT_NEAR(l.dphi(0, 0), 1.0, 1e-12);  // q = 0: φ'(0) = 1 only
}

TEST(KernelDuals, RejectsKinkedActivationsWithoutClosedFormAndBadSpecs) {
  Activation kinked = make_activation("relu");  // a kinked φ handed to the quadrature route
  EXPECT_THROW(numerical_dual(kinked), InvalidInput);
  EXPECT_THROW(numerical_dual(make_activation("sign")), InvalidInput);
  for (const char* bad : {"nope", "abrelu:1", "arccos:1.5", "arccos:-1", "erf:1,2", "rbf:-1", "polynomial:", "sin:a,b,c"})
    EXPECT_THROW(make_dual(bad), InvalidInput) << bad;
}

// ---- kernel recursion ----------------------------------------------------------------------------

TEST(KernelRecursion, DepthOneReluMatchesArcCosineNtk) {
  // One ReLU layer, W_std = 1, no bias, unit inputs: K = J_1(θ)/2π and Θ = ρ(π−θ)/2π + K (Jacot; Arora et al.).
  const DotProductKernel k(Architecture::fully_connected(make_dual("relu"), 1, 1.0, 0.0));
  for (double rho : {-0.9, -0.2, 0.0, 0.5, 0.95}) {
    const double theta = std::acos(rho), K = (std::sin(theta) + (pi<double>() - theta) * rho) / (2 * pi<double>());
    const DotProductValues v = k.at(rho);
    EXPECT_NEAR(v.nngp, K, 1e-15);
    EXPECT_NEAR(v.ntk, rho * (pi<double>() - theta) / (2 * pi<double>()) + K, 1e-15);
  }
}

TEST(KernelRecursion, MatrixKernelsAgreeWithDotProductKernelAndAreConsistent) {
  std::mt19937_64 rng(3);
  Eigen::MatrixXd X = mc::gaussian_matrix(6, 5, rng);
  X = X.rowwise().normalized() * std::sqrt(5.0);  // |x|²/d = 1
  const Architecture arch = Architecture::fully_connected(make_dual("erf"), 3, 1.4, 0.3);
  const KernelPair k = nngp_ntk(arch, X);
  const DotProductKernel dot(arch);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      const DotProductValues v = dot.at(std::clamp(X.row(i).dot(X.row(j)) / 5.0, -1.0, 1.0));
      EXPECT_NEAR(k.nngp(i, j), v.nngp, 1e-13);
      EXPECT_NEAR(k.ntk(i, j), v.ntk, 1e-13);
    }
  EXPECT_NEAR((k.nngp.diagonal() - k.nngp_diag1).norm(), 0.0, 1e-13);
  EXPECT_NEAR((k.ntk.diagonal() - k.ntk_diag2).norm(), 0.0, 1e-13);
  // Cross kernel: blocks of the joint one; PSD.
  const KernelPair cross = nngp_ntk(arch, X.topRows(2), X.bottomRows(4));
  EXPECT_NEAR((cross.ntk - k.ntk.block(0, 2, 2, 4)).norm(), 0.0, 1e-13);
  EXPECT_GT(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(k.ntk).eigenvalues().minCoeff(), -1e-12);
  // Non-unit norms enter through q: scaling an input by 2 under a linear network scales K by 4.
  const Architecture lin = Architecture::fully_connected(make_dual("linear"), 2, 1.0, 0.0);
  Eigen::MatrixXd Y = X;
  Y.row(0) *= 2.0;
  EXPECT_NEAR(nngp_ntk(lin, Y).nngp(0, 0), 4.0 * nngp_ntk(lin, X).nngp(0, 0), 1e-12);
}

TEST(KernelRecursion, SlopesAreDerivativesInRho) {
  for (const char* spec : {"relu", "tanh", "erf", "gelu", "sign", "arccos:2"}) {
    const DotProductKernel k(Architecture::fully_connected(make_dual(spec), 3, 1.2, 0.4));
    for (double rho : {-0.6, 0.1, 0.7}) {
      const DotProductValues v = k.at(rho);
      const double dn = central([&](double r) { return k.at(r).nngp; }, rho);
      const double dt = central([&](double r) { return k.at(r).ntk; }, rho);
      EXPECT_NEAR(v.nngp_deriv, dn, 1e-6 * std::max(1.0, std::abs(dn))) << spec << " rho=" << rho;
      EXPECT_NEAR(v.ntk_deriv, dt, 1e-6 * std::max(1.0, std::abs(dt))) << spec << " rho=" << rho;
    }
  }
}

TEST(KernelRecursion, InvalidInputsAreRejected) {
  const DualActivation relu = make_dual("relu");
  EXPECT_THROW(nngp_ntk(Architecture::fully_connected(relu, 2, -1.0, 0.0), Eigen::MatrixXd::Ones(2, 3)), InvalidInput);
  EXPECT_THROW(nngp_ntk(Architecture::fully_connected(relu, 2, 1.0, 0.0), Eigen::MatrixXd::Ones(2, 3), Eigen::MatrixXd::Ones(2, 4)),
               InvalidInput);
  // Standard parametrisation without the hidden widths.
  EXPECT_THROW(nngp_ntk(Architecture::fully_connected(relu, 2, 1.0, 0.0, Parametrisation::kStandard), Eigen::MatrixXd::Ones(2, 3)),
               InvalidInput);
  EXPECT_THROW(DotProductKernel(Architecture::fully_connected(relu, 1, 1.0, 0.0, Parametrisation::kStandard, 10.0)), InvalidInput);
  EXPECT_THROW(DotProductKernel(Architecture::fully_connected(relu, 1, 1.0, 0.0)).at(1.5), InvalidInput);
  EXPECT_THROW(parse_parametrisation("mup"), InvalidInput);
}

// ---- linearisation constants ---------------------------------------------------------------------

TEST(KernelConstants, DepthOneNngpConstantsAreSquaresOfTheRfLinearisation) {
  // k(ρ) = E σ(u)σ(v) at unit variances: k(0) = (Eσ)², k'(0) = (Eσ')², k(1) − k(0) − k'(0) = Var σ − (Eσ')²,
  // i.e. the rf model's κ0², κ1², κ*² (its κ0 is set to 0 for odd σ, where Eσ = 0 anyway).
  for (const char* spec : {"relu", "tanh", "erf", "gelu", "sigmoid", "softplus", "sign", "hermite:0.2,1,0.4"}) {
    const ProportionalConstants c = DotProductKernel(Architecture::fully_connected(make_dual(spec), 1, 1.0, 0.0)).nngp_constants();
    const Linearisation rf = linearise(make_activation(spec), 1.0);
    EXPECT_NEAR(c.kappa0, rf.kappa0 * rf.kappa0, 1e-9) << spec;
    EXPECT_NEAR(c.kappa1, rf.kappa1 * rf.kappa1, 1e-9) << spec;
    EXPECT_NEAR(c.kappa_star, rf.kappa_star * rf.kappa_star, 1e-9) << spec;
  }
}

TEST(KernelConstants, DeepNngpSlopeIsTheProductOfLayerLinearisations) {
  // Odd φ keeps Σ = 0 at ρ = 0, so by the chain rule k'(0) = Π_l W² (E φ'(√q_l z))² with q_l the
  // propagated diagonal: the per-layer κ1 of rmtsolve::linearise (deep chain, docs/theory/deep.md §2.7) at r = q_l.
  const double w = 1.3;
  const ProportionalConstants c = DotProductKernel(Architecture::fully_connected(make_dual("tanh"), 3, w, 0.0)).nngp_constants();
  double q = w * w, slope = w * w;  // the readout W² and, per layer, the dense W² and act κ1²
  for (int l = 0; l < 3; ++l) {
    const Linearisation lin = linearise(make_activation("tanh"), q);
    slope *= w * w * lin.kappa1 * lin.kappa1;
    q = w * w * lin.second;
  }
  EXPECT_NEAR(c.kappa0, 0.0, 1e-15);
  EXPECT_NEAR(c.kappa1, slope, 1e-9 * slope);
  EXPECT_NEAR(c.kappa0 + c.kappa1 + c.kappa_star, q, 1e-9 * q);  // k(1) is the output variance
}

TEST(KernelConstants, GramMatrixIsLinearisedInTheProportionalRegime) {
  // El Karoui: on the sphere |x|² = d with n ∝ d, K ≈ κ0 11ᵀ + κ1 XXᵀ/d + κ* I in operator norm.  The
  // 11ᵀ coefficient moves by O(1/d) (an O(1) shift of one eigenvalue): compare off the ones direction.
  const int d = 400, n = 300;
  std::mt19937_64 rng(11);
  Eigen::MatrixXd X = mc::gaussian_matrix(n, d, rng);
  X = X.rowwise().normalized() * std::sqrt(double(d));
  const Architecture arch = Architecture::fully_connected(make_dual("relu"), 2, 1.0, 0.2);
  const KernelPair k = nngp_ntk(arch, X);
  const Eigen::MatrixXd P = Eigen::MatrixXd::Identity(n, n) - Eigen::MatrixXd::Constant(n, n, 1.0 / n);
  const DotProductKernel dot(arch);
  for (const auto& [K, c] : {std::pair{k.nngp, dot.nngp_constants()}, std::pair{k.ntk, dot.ntk_constants()}}) {
    const Eigen::MatrixXd lin = c.kappa1 * X * X.transpose() / d + c.kappa_star * Eigen::MatrixXd::Identity(n, n);
    const Eigen::MatrixXd diff = P * (K - lin) * P;
    const double err = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(diff).eigenvalues().cwiseAbs().maxCoeff();
    const double scale = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(P * K * P).eigenvalues().maxCoeff();
    EXPECT_LT(err, 0.05 * scale) << "operator-norm error " << err << " vs " << scale;
  }
}

// ---- finite networks -----------------------------------------------------------------------------

namespace {

// Mean of the empirical kernels of `seeds` drawn networks at width m against the analytic limit,
// within k = 4 standard errors plus the O(1/m) bias allowance `bias`.
void expect_empirical_agrees(const Architecture& arch_theory, const Architecture& arch_drawn, int width, double rho,
                             int d, int seeds, double bias) {
  Eigen::MatrixXd x1 = Eigen::MatrixXd::Zero(1, d), x2 = Eigen::MatrixXd::Zero(1, d);
  x1(0, 0) = std::sqrt(double(d));
  x2(0, 0) = std::sqrt(double(d)) * rho;
  x2(0, 1) = std::sqrt(double(d) * (1 - rho * rho));
  const DotProductValues th = DotProductKernel(arch_theory).at(rho);
  mc::SeedOptions o{seeds, 7, 1};
  const auto est = mc::run_seeds(o, [&](std::mt19937_64& rng) {
    const EmpiricalKernels e = empirical_kernels(arch_drawn, width, x1, x2, rng);
    return std::vector<double>{e.nngp(0, 0), e.ntk(0, 0)};
  });
  EXPECT_LE(std::abs(est[0].mean - th.nngp), 4 * est[0].standard_error + bias * std::abs(th.nngp))
      << "nngp MC " << est[0].mean << " ± " << est[0].standard_error << " theory " << th.nngp;
  EXPECT_LE(std::abs(est[1].mean - th.ntk), 4 * est[1].standard_error + bias * std::abs(th.ntk))
      << "ntk MC " << est[1].mean << " ± " << est[1].standard_error << " theory " << th.ntk;
  EXPECT_LT(est[1].standard_error, 0.03 * std::abs(th.ntk));  // the check has teeth
}

}  // namespace

TEST(KernelEmpirical, WideNetworksMatchNtkParametrisation) {
  for (const char* spec : {"relu", "tanh", "erf:1,2,0.1"}) {
    const Architecture arch = Architecture::fully_connected(make_dual(spec), 2, 1.3, 0.2);
    expect_empirical_agrees(arch, arch, 500, 0.4, 50, 48, 0.01);
  }
}

TEST(KernelEmpirical, WideNetworksMatchStandardParametrisation) {
  // Standard: the empirical NTK at actual fan-ins (d, m, m, …) against the recursion with those fan-ins.
  const int d = 50, m = 500;
  Architecture arch = Architecture::fully_connected(make_dual("relu"), 2, 1.2, 0.3, Parametrisation::kStandard, m);
  arch.hidden[0].dense.fan_in = d;
  expect_empirical_agrees(arch, arch, m, -0.3, d, 48, 0.01);
}

// ---- predictors ----------------------------------------------------------------------------------

namespace {

struct Problem {
  KernelBlocks k;
  Eigen::MatrixXd Y;
  Eigen::MatrixXd Xd, Xt;
  Architecture arch = Architecture::fully_connected(make_dual("relu"), 2, 1.0, 0.1);
};

Problem problem() {
  Problem p;
  std::mt19937_64 rng(5);
  p.Xd = mc::gaussian_matrix(8, 4, rng);
  p.Xt = mc::gaussian_matrix(3, 4, rng);
  p.Y = mc::gaussian_matrix(8, 2, rng);
  p.k = kernel_blocks(p.arch, p.Xd, p.Xt);
  return p;
}

}  // namespace

TEST(KernelPredict, TimeZeroIsThePrior) {
  const Problem p = problem();
  for (KernelMode mode : {KernelMode::kNtk, KernelMode::kNngp}) {
    const Prediction r = predict_gd_mse(mode, p.k, p.Y, {0.0});
    ASSERT_TRUE(r.summary.converged) << r.summary.message;
    EXPECT_NEAR(r.mean[0].norm(), 0.0, 1e-12);
    EXPECT_NEAR((r.covariance[0] - p.k.nngp_tt).norm(), 0.0, 1e-12);
  }
}

TEST(KernelPredict, InfiniteTimeInterpolatesAndNngpIsKernelRegression) {
  const Problem p = problem();
  // Predicting at the training inputs themselves: the mean is Y and the covariance vanishes.
  KernelBlocks on_train = kernel_blocks(p.arch, p.Xd, p.Xd);
  for (KernelMode mode : {KernelMode::kNtk, KernelMode::kNngp}) {
    const Prediction r = predict_gp(mode, on_train, p.Y);
    ASSERT_TRUE(r.summary.converged);
    EXPECT_NEAR((r.mean[0] - p.Y).norm(), 0.0, 1e-8);
    EXPECT_NEAR(r.covariance[0].norm(), 0.0, 1e-8);
    EXPECT_EQ(r.clipped_eigenvalues, 0);
    EXPECT_GT(r.condition_number, 1.0);
  }
  // NNGP mode with ridge λ at t = ∞ is kernel ridge regression with the NNGP (direct solve).
  PredictionOptions o;
  o.ridge = 0.05;
  const Prediction r = predict_gp(KernelMode::kNngp, p.k, p.Y, o);
  const Eigen::LDLT<Eigen::MatrixXd> solve(p.k.nngp_dd + 0.05 * Eigen::MatrixXd::Identity(8, 8));
  EXPECT_NEAR((r.mean[0] - p.k.nngp_td * solve.solve(p.Y)).norm(), 0.0, 1e-10);
  EXPECT_NEAR((r.covariance[0] - (p.k.nngp_tt - p.k.nngp_td * solve.solve(p.k.nngp_td.transpose()))).norm(), 0.0, 1e-10);
  EXPECT_DOUBLE_EQ(r.regulariser, 0.05);
  // Relative ridge: λ times the mean diagonal.
  o.ridge_relative = true;
  EXPECT_NEAR(predict_gp(KernelMode::kNngp, p.k, p.Y, o).regulariser, 0.05 * p.k.nngp_dd.trace() / 8, 1e-14);
}

TEST(KernelPredict, FiniteTimeMeanSolvesTheFunctionSpaceOde) {
  // df/dt = −(η/N_out) Θ(·, X)(f(X) − Y), f_0 = 0, integrated by Boost.Odeint on train and test points.
  const Problem p = problem();
  const double eta = 3.0, t_end = 40.0, n_out = double(p.Y.size());
  using State = std::vector<double>;
  const Eigen::Index n = 8, nt = 3, k = 2;
  State f((n + nt) * k, 0.0);
  auto rhs = [&](const State& x, State& dx, double) {
    const Eigen::Map<const Eigen::MatrixXd> F(x.data(), n + nt, k);
    Eigen::Map<Eigen::MatrixXd> dF(dx.data(), n + nt, k);
    const Eigen::MatrixXd residual = F.topRows(n) - p.Y;
    dF.topRows(n) = -(eta / n_out) * p.k.ntk_dd * residual;
    dF.bottomRows(nt) = -(eta / n_out) * p.k.ntk_td * residual;
  };
  boost::numeric::odeint::integrate_adaptive(
      boost::numeric::odeint::make_controlled<boost::numeric::odeint::runge_kutta_dopri5<State>>(1e-12, 1e-12), rhs, f, 0.0,
      t_end, 0.01);
  PredictionOptions o;
  o.learning_rate = eta;
  o.covariance = false;
  const Prediction r = predict_gd_mse(KernelMode::kNtk, p.k, p.Y, {t_end}, o);
  const Eigen::Map<const Eigen::MatrixXd> F(f.data(), n + nt, k);
  EXPECT_NEAR((r.mean[0] - F.bottomRows(nt)).norm(), 0.0, 1e-8);
}

TEST(KernelPredict, NtkCovarianceMatchesSampledInitialisations) {
  // f_t = f_0 + G_t (Y − f_0(X)) with f_0 ~ GP(0, K): sample f_0 jointly on train and test inputs.
  const Problem p = problem();
  const double t = 25.0;
  const Prediction r = predict_gd_mse(KernelMode::kNtk, p.k, p.Y, {t});
  ASSERT_TRUE(r.summary.converged);
  Eigen::MatrixXd joint(11, 11);
  joint << p.k.nngp_dd, p.k.nngp_td.transpose(), p.k.nngp_td, p.k.nngp_tt;
  const Eigen::MatrixXd L = joint.llt().matrixL();
  // G_t through the ODE-free closed form of a plain eigen-decomposition (Eigen's own solver).
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(p.k.ntk_dd);
  const Eigen::VectorXd h = (1.0 - (-es.eigenvalues().array() * t / double(p.Y.size())).exp()) / es.eigenvalues().array();
  const Eigen::MatrixXd G = p.k.ntk_td * es.eigenvectors() * h.asDiagonal() * es.eigenvectors().transpose();
  std::mt19937_64 rng(9);
  const int samples = 40000;
  Eigen::MatrixXd ft(3, samples);
  for (int s = 0; s < samples; ++s) {
    const Eigen::VectorXd f0 = L * mc::gaussian_matrix(11, 1, rng);
    ft.col(s) = f0.tail(3) - G * f0.head(8);  // Y = 0 here: the covariance does not depend on Y
  }
  const Eigen::MatrixXd cov = ft * ft.transpose() / samples;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      // SE of a sample covariance of Gaussians: √((C_ii C_jj + C_ij²)/N).
      const double c = r.covariance[0](i, j);
      const double se = std::sqrt((r.covariance[0](i, i) * r.covariance[0](j, j) + c * c) / samples);
      EXPECT_NEAR(cov(i, j), c, 4 * se) << i << "," << j;
    }
}

TEST(KernelPredict, LearningRateBound) {
  const Problem p = problem();
  const double eta_max = max_learning_rate(p.k.ntk_dd, p.Y.size());
  const double top = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(p.k.ntk_dd).eigenvalues().maxCoeff();
  EXPECT_NEAR(eta_max, 2.0 * p.Y.size() / top, 1e-12 * eta_max);
  EXPECT_NEAR(predict_gd_mse(KernelMode::kNtk, p.k, p.Y, {1.0}).eta_max, eta_max, 1e-12 * eta_max);
  // Discrete GD f ← f − (η/N) Θ (f − Y) on the training set converges just below η_max and diverges above.
  auto final_residual = [&](double eta) {
    Eigen::MatrixXd F = Eigen::MatrixXd::Zero(8, 2);
    for (int step = 0; step < 4000; ++step) F -= (eta / double(p.Y.size())) * p.k.ntk_dd * (F - p.Y);
    return (F - p.Y).norm();
  };
  EXPECT_LT(final_residual(0.95 * eta_max), 1e-3 * p.Y.norm());
  EXPECT_GT(final_residual(1.05 * eta_max), 1e3 * p.Y.norm());
}

TEST(KernelPredict, RejectsBadInput) {
  const Problem p = problem();
  PredictionOptions o;
  o.learning_rate = -1;
  EXPECT_THROW(predict_gd_mse(KernelMode::kNtk, p.k, p.Y, {1.0}, o), InvalidInput);
  EXPECT_THROW(predict_gd_mse(KernelMode::kNtk, p.k, p.Y, {-1.0}), InvalidInput);
  EXPECT_THROW(predict_gd_mse(KernelMode::kNtk, p.k, Eigen::MatrixXd::Ones(5, 1), {1.0}), InvalidInput);
  KernelBlocks bad = p.k;
  bad.ntk_dd(0, 1) = std::nan("");
  EXPECT_FALSE(predict_gd_mse(KernelMode::kNtk, bad, p.Y, {1.0}).summary.converged);
  bad = p.k;
  bad.ntk_dd -= 10.0 * Eigen::MatrixXd::Identity(8, 8);  // indefinite
  const Prediction r = predict_gd_mse(KernelMode::kNtk, bad, p.Y, {1.0});
  EXPECT_FALSE(r.summary.converged);
  EXPECT_TRUE(r.mean.empty());
}

// ---- the "kernel" model --------------------------------------------------------------------------

namespace {
Point kernel_point(const std::string& act, double rho, int depth, const std::string& param = "ntk", double b = 0.1) {
  Point p;
  p.number = {{"rho", rho}, {"depth", depth}, {"w_std", 1.2}, {"b_std", b}, {"width", 2.0}};
  p.text = {{"activation", act}, {"parametrisation", param}};
  return p;
}
}  // namespace

TEST(KernelModel, TheoryAgreesWithSimulatedNetworks) {
  const Model& m = find_model("kernel");
  SimulationOptions o;
  o.d = 200;  // width m = 400
  o.seeds.seeds = 16;
  o.seeds.threads = 1;
  for (const Point& pt : {kernel_point("relu", 0.3, 3), kernel_point("tanh", -0.6, 2), kernel_point("relu", 0.5, 2, "standard")}) {
    std::vector<double> warm;
    const PointResult th = m.solve(pt, {}, warm);
    ASSERT_TRUE(th.summary.converged);
    const auto mc = m.simulate(pt, o);
    const Allowance allow = m.finite_size_allowance(pt);
    for (int k = 0; k < 2; ++k)
      EXPECT_LE(std::abs(mc[k].mean - th.values[k]), 3 * mc[k].standard_error + allow.above * std::abs(th.values[k]))
          << pt.str("activation") << " " << pt.str("parametrisation") << " output " << k << ": MC " << mc[k].mean << " ± "
          << mc[k].standard_error << " theory " << th.values[k];
  }
}

TEST(KernelModel, WellPosedAndRejectsBadInput) {
  const Model& m = find_model("kernel");
  std::vector<double> warm;
  const PointResult r = m.solve(kernel_point("gelu", 0.2, 4), {}, warm);
  ASSERT_TRUE(r.summary.converged);
  for (double v : r.values) EXPECT_TRUE(std::isfinite(v));
  EXPECT_THROW(m.solve(kernel_point("gelu", 1.2, 2), {}, warm), InvalidInput);
  EXPECT_THROW(m.solve(kernel_point("gelu", 0.2, 2, "mup"), {}, warm), InvalidInput);
  EXPECT_THROW(m.solve(kernel_point("bogus", 0.2, 2), {}, warm), InvalidInput);
  // a·exp(b z²) leaves its domain when 1 − 2b q ≤ 0: reported as not converged, not as a number.
  const PointResult out = m.solve(kernel_point("gaussian:1,0.8", 0.2, 2), {}, warm);
  EXPECT_FALSE(out.summary.converged);
}


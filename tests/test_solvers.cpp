// Tests of the scalar root finder (root.cpp) and the fixed-point engine (fixed_point.cpp).
// Expected roots/fixed points come from closed forms (Cardano, linear algebra) written in the test.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <string>

#include "rmtsolve/numerics/fixed_point.hpp"
#include "rmtsolve/numerics/root.hpp"
#include "rmtsolve/core/summary.hpp"

using namespace rmtsolve;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Real root of x³ + p x + q = 0 (p > 0: exactly one) by Cardano's formula.
double cardano(double p, double q) {
  const double d = std::sqrt(q * q / 4.0 + p * p * p / 27.0);
  return std::cbrt(-q / 2.0 + d) + std::cbrt(-q / 2.0 - d);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// solve_increasing_root

TEST(RootIncreasing, ExpandsBracketAndConverges) {
  const double root = cardano(1.0, -3.0);  // ≈ 1.2134
  ASSERT_GT(root, 1.0);
  ASSERT_NEAR(root * root * root + root - 3.0, 0.0, 1e-14);
  int calls = 0;
  auto f = [&](double x) {
    ++calls;
    return x * x * x + x - 3.0;
  };
  SolverOptions o;
  const RootResult r = solve_increasing_root(f, 0.0, 1.0, o);
  EXPECT_TRUE(r.summary.converged) << r.summary.brief();
  EXPECT_EQ(r.summary.reason, Termination::kConverged);
  EXPECT_NEAR(r.x, root, 1e-11);
  EXPECT_LT(r.summary.residual, 1e-10);
  EXPECT_NEAR(r.summary.residual, std::abs(r.x * r.x * r.x + r.x - 3.0), 1e-15);
  EXPECT_GT(r.summary.iterations, 0);
  EXPECT_EQ(r.summary.evaluations, calls);
  EXPECT_GE(r.summary.wall_seconds, 0.0);
  EXPECT_FALSE(r.summary.method.empty());
  EXPECT_TRUE(contains(r.summary.brief(), "converged")) << r.summary.brief();
}

TEST(RootIncreasing, RootInsideInitialBracket) {
  // log-variable style: f(t) = e^t − 5, root log 5.
  const RootResult r = solve_increasing_root([](double t) { return std::exp(t) - 5.0; }, -3.0, 4.0,
                                             SolverOptions{});
  ASSERT_TRUE(r.summary.converged) << r.summary.brief();
  EXPECT_NEAR(r.x, std::log(5.0), 1e-12);
}

TEST(RootIncreasing, NoSignChangeIsNoBracket) {
  int calls = 0;
  const RootResult r = solve_increasing_root(
      [&](double x) {
        ++calls;
        return -1.0 - std::exp(-x);
      },
      0.0, 1.0, SolverOptions{});
  EXPECT_FALSE(r.summary.converged);
  EXPECT_EQ(r.summary.reason, Termination::kNoBracket);
  // f(lo), f(hi) and at most 60 expansions of hi by 2.
  EXPECT_LE(calls, 62);
  EXPECT_EQ(r.summary.evaluations, calls);
  EXPECT_LE(r.x, 1.0 + 60 * 2.0);
  EXPECT_FALSE(r.summary.message.empty());
  EXPECT_TRUE(contains(r.summary.brief(), "no_bracket")) << r.summary.brief();
}

TEST(RootIncreasing, PositiveAtLowerEndIsNoBracket) {
  const RootResult r =
      solve_increasing_root([](double x) { return x + 1.0; }, 0.0, 1.0, SolverOptions{});
  EXPECT_FALSE(r.summary.converged);
  EXPECT_EQ(r.summary.reason, Termination::kNoBracket);
  EXPECT_FALSE(r.summary.message.empty());
}

TEST(RootIncreasing, NaNIsNonFinite) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const RootResult a = solve_increasing_root([&](double) { return nan; }, 0.0, 1.0, SolverOptions{});
  EXPECT_FALSE(a.summary.converged);
  EXPECT_EQ(a.summary.reason, Termination::kNonFinite);
  // Finite at the lower end, NaN once the bracket is pushed up.
  const RootResult b = solve_increasing_root(
      [&](double x) { return x < 1.5 ? x - 10.0 : nan; }, 0.0, 1.0, SolverOptions{});
  EXPECT_FALSE(b.summary.converged);
  EXPECT_EQ(b.summary.reason, Termination::kNonFinite);
}

TEST(RootIncreasing, IterationCapIsMaxIterations) {
  // A flat root (multiplicity 5) converges slowly; two iterations cannot reach 1e-15.
  SolverOptions o;
  o.max_iterations = 2;
  o.tolerance = 1e-15;
  const RootResult r = solve_increasing_root(
      [](double x) { return std::pow(x - 0.3, 5) + 1e-3 * (x - 0.3); }, 0.0, 1.0, o);
  EXPECT_FALSE(r.summary.converged);
  EXPECT_EQ(r.summary.reason, Termination::kMaxIterations);
  EXPECT_FALSE(r.summary.message.empty());
  EXPECT_LE(r.summary.iterations, 2);
  // With the default budget the same problem converges.
  const RootResult ok = solve_increasing_root(
      [](double x) { return std::pow(x - 0.3, 5) + 1e-3 * (x - 0.3); }, 0.0, 1.0, SolverOptions{});
  EXPECT_TRUE(ok.summary.converged) << ok.summary.brief();
  EXPECT_NEAR(ok.x, 0.3, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// feasibility_boundary

TEST(RootFeasibility, StepPredicate) {
  int calls = 0;
  auto step = [&](double t) {
    ++calls;
    return t >= 0.37;
  };
  EXPECT_NEAR(feasibility_boundary(step, 0.0, 1.0), 0.37, 1e-12);
  EXPECT_LT(calls, 200);
  EXPECT_NEAR(feasibility_boundary(step, -5.0, 20.0), 0.37, 1e-12);
  // Feasible at the lower end: lo itself.
  EXPECT_EQ(feasibility_boundary(step, 0.5, 1.0), 0.5);
}

// ---------------------------------------------------------------------------------------------
// solve_fixed_point

namespace {

Eigen::Matrix3d contraction_matrix() {
  Eigen::Matrix3d A;
  A << 0.9, -0.4, 0.2,  //
      0.3, 0.7, -0.5,   //
      -0.2, 0.6, 0.8;
  return A;
}

}  // namespace

TEST(FixedPointSolve, ContractionConverges) {
  const Eigen::Matrix3d A = contraction_matrix();
  const Eigen::Vector3d c(1.0, -0.5, 2.0);
  // G(x) = cos(A x + c)/2; its Jacobian has norm ≤ ‖A‖/2 < 1.
  ASSERT_LT(Eigen::JacobiSVD<Eigen::Matrix3d>(A).singularValues()(0) / 2.0, 1.0);
  auto G = [&](const Eigen::VectorXd& x, Eigen::VectorXd& out) {
    out = ((A * x + c).array().cos() / 2.0).matrix();
  };
  Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
  SolverOptions o;
  const Summary s = solve_fixed_point(G, x, o);
  ASSERT_TRUE(s.converged) << s.brief();
  EXPECT_EQ(s.reason, Termination::kConverged);
  EXPECT_LE(s.residual, o.tolerance * std::max(1.0, x.cwiseAbs().maxCoeff()));
  const Eigen::VectorXd g = ((A * x + c).array().cos() / 2.0).matrix();
  EXPECT_LT((g - x).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_NEAR(s.residual, (g - x).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(FixedPointSolve, AndersonBeatsPlainIterationOnSlowLinearMap) {
  // M = Q diag(0.999, 0.5, −0.3) Q⁻¹ with a non-orthogonal Q: spectral radius 0.999.
  Eigen::Matrix3d Q;
  Q << 1.0, 0.3, -0.2,  //
      0.1, 1.0, 0.4,    //
      -0.3, 0.2, 1.0;
  const Eigen::Matrix3d M = Q * Eigen::Vector3d(0.999, 0.5, -0.3).asDiagonal() * Q.inverse();
  const Eigen::Vector3d b(0.01, -0.02, 0.005);
  const Eigen::Vector3d exact = (Eigen::Matrix3d::Identity() - M).partialPivLu().solve(b);
  auto G = [&](const Eigen::VectorXd& x, Eigen::VectorXd& out) { out = M * x + b; };

  SolverOptions o;
  o.tolerance = 1e-10;
  o.max_iterations = 200000;
  o.multiroot_fallback = false;

  o.anderson_memory = 0;
  Eigen::VectorXd x_plain = Eigen::VectorXd::Zero(3);
  const Summary plain = solve_fixed_point(G, x_plain, o);
  ASSERT_TRUE(plain.converged) << plain.brief();
  EXPECT_EQ(plain.method, "damped");

  o.anderson_memory = 5;
  Eigen::VectorXd x_and = Eigen::VectorXd::Zero(3);
  const Summary acc = solve_fixed_point(G, x_and, o);
  ASSERT_TRUE(acc.converged) << acc.brief();
  EXPECT_TRUE(contains(acc.method, "anderson")) << acc.method;

  EXPECT_GT(plain.iterations, 1000);  // the map really is slow for plain iteration
  EXPECT_LT(10 * acc.iterations, plain.iterations)
      << "anderson " << acc.iterations << " vs plain " << plain.iterations;
  // G(x) − x = −(I − M)(x − x*), so ‖x − x*‖∞ ≤ ‖(I − M)⁻¹‖∞ · ‖G(x) − x‖∞, and the residual
  // is at most tolerance · max(1, ‖x‖∞).
  const Eigen::Matrix3d inv = (Eigen::Matrix3d::Identity() - M).inverse();
  const double inv_norm = inv.cwiseAbs().rowwise().sum().maxCoeff();
  for (const Eigen::VectorXd* x : {&x_plain, &x_and}) {
    Eigen::VectorXd g(3);
    G(*x, g);
    const double res = (g - *x).cwiseAbs().maxCoeff();
    EXPECT_LE(res, o.tolerance * std::max(1.0, x->cwiseAbs().maxCoeff()));
    EXPECT_LE((*x - exact).cwiseAbs().maxCoeff(), inv_norm * res * (1.0 + 1e-6) + 1e-14);
  }
  EXPECT_NEAR(plain.residual, (M * x_plain + b - x_plain).cwiseAbs().maxCoeff(), 1e-15);
}

// x ↦ 3x − 2 (fixed point 1): the damped step (δ = 0.5) is x ← 2x − 1, which doubles the error.
TEST(FixedPointSolve, DivergentPlainIterationRescued) {
  int calls = 0;
  auto G = [&](const Eigen::VectorXd& x, Eigen::VectorXd& out) {
    ++calls;
    out = 3.0 * x - Eigen::VectorXd::Constant(1, 2.0);
  };
  // (1) Anderson alone.
  {
    SolverOptions o;
    o.multiroot_fallback = false;
    Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
    const Summary s = solve_fixed_point(G, x, o);
    ASSERT_TRUE(s.converged) << s.brief();
    EXPECT_NEAR(x[0], 1.0, 1e-10);
  }
  // (2) Plain damped iteration, rescued by the GSL fallback.
  {
    SolverOptions o;
    o.anderson_memory = 0;
    o.multiroot_fallback = true;
    Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
    calls = 0;
    const Summary s = solve_fixed_point(G, x, o);
    ASSERT_TRUE(s.converged) << s.brief();
    EXPECT_EQ(s.reason, Termination::kConverged);
    EXPECT_NEAR(x[0], 1.0, 1e-10);
    EXPECT_TRUE(contains(s.method, "gsl")) << s.method;
    EXPECT_EQ(s.evaluations, calls);
  }
  // (3) Neither: not converged, the best (finite) iterate — the start, residual 2 — is kept.
  for (int budget : {200, 3000}) {  // 3000: the iterates overflow to ±inf on the way
    SolverOptions o;
    o.anderson_memory = 0;
    o.multiroot_fallback = false;
    o.max_iterations = budget;
    Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
    const Summary s = solve_fixed_point(G, x, o);
    EXPECT_FALSE(s.converged) << s.brief();
    EXPECT_EQ(s.reason, Termination::kMaxIterations) << s.brief();
    ASSERT_EQ(x.size(), 1);
    EXPECT_TRUE(std::isfinite(x[0]));
    EXPECT_EQ(x[0], 0.0);  // the warm start is handed back as given, not recomputed
    EXPECT_NEAR(s.residual, 2.0, 1e-14);
    EXPECT_FALSE(s.message.empty());
    EXPECT_EQ(s.iterations, budget);
    EXPECT_GE(s.evaluations, s.iterations);
    EXPECT_TRUE(contains(s.brief(), "max_iterations")) << s.brief();
    EXPECT_TRUE(contains(s.brief(), s.message)) << s.brief();
  }
}

TEST(FixedPointSolve, NaNFromTheStartIsNonFinite) {
  auto G = [](const Eigen::VectorXd& x, Eigen::VectorXd& out) {
    out = Eigen::VectorXd::Constant(x.size(), std::numeric_limits<double>::quiet_NaN());
  };
  for (bool fallback : {false, true}) {
    SolverOptions o;
    o.multiroot_fallback = fallback;
    Eigen::VectorXd x(2);
    x << 0.25, -1.0;
    const Summary s = solve_fixed_point(G, x, o);
    EXPECT_FALSE(s.converged);
    EXPECT_EQ(s.reason, Termination::kNonFinite) << s.brief();
    EXPECT_FALSE(s.message.empty());
    EXPECT_TRUE(contains(s.brief(), "non_finite")) << s.brief();
    // The warm start is left untouched.
    EXPECT_EQ(x[0], 0.25);
    EXPECT_EQ(x[1], -1.0);
  }
}

TEST(FixedPointSolve, SummaryFieldsPopulated) {
  auto G = [](const Eigen::VectorXd& x, Eigen::VectorXd& out) {
    out.resize(2);
    out[0] = 0.5 * std::cos(x[1]);
    out[1] = 0.5 * std::sin(x[0]) + 0.1;
  };
  Eigen::VectorXd x = Eigen::VectorXd::Zero(2);
  const Summary s = solve_fixed_point(G, x, SolverOptions{});
  ASSERT_TRUE(s.converged) << s.brief();
  EXPECT_GT(s.iterations, 0);
  EXPECT_GE(s.evaluations, s.iterations);
  EXPECT_GE(s.wall_seconds, 0.0);
  EXPECT_FALSE(s.method.empty());
  EXPECT_TRUE(s.message.empty()) << s.message;
  EXPECT_TRUE(std::isfinite(s.residual));
  const std::string b = s.brief();
  EXPECT_TRUE(contains(b, to_string(Termination::kConverged))) << b;
  EXPECT_TRUE(contains(b, s.method)) << b;
  EXPECT_NEAR(x[0], 0.5 * std::cos(x[1]), 1e-11);
  EXPECT_NEAR(x[1], 0.5 * std::sin(x[0]) + 0.1, 1e-11);
}

TEST(FixedPointSolve, AlreadyAtFixedPoint) {
  auto G = [](const Eigen::VectorXd& x, Eigen::VectorXd& out) { out = 0.5 * x; };
  Eigen::VectorXd x = Eigen::VectorXd::Zero(4);
  const Summary s = solve_fixed_point(G, x, SolverOptions{});
  EXPECT_TRUE(s.converged) << s.brief();
  EXPECT_EQ(s.iterations, 1);
  EXPECT_NEAR(s.residual, 0.0, 1e-15);
}

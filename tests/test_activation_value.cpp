// Activations are parsed once, where a parameter's text becomes a Spec; the equations take the
// Activation value.  An Activation built from lambdas under a name that no parser knows (not a
// built-in, not registered) can only work if no equation path turns the name back into σ: any
// re-parse would throw InvalidInput("unknown activation ...").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cli_run.hpp"
#include "equations/deep_rf/deep_rf.hpp"
#include "equations/krr/krr.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"
#include "equations/srf_glm/srf_glm.hpp"
#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/core/error.hpp"

using namespace rmtsolve;

namespace {

// tanh with nothing of the built-in's vectorised paths: only f, σ′ and oddness.
Activation unnamed_tanh() {
  Activation a;
  a.name = "lambda tanh, registered nowhere";
  a.f = [](double x) { return std::tanh(x); };
  a.df = [](double x) { return 1.0 / (std::cosh(x) * std::cosh(x)); };
  a.odd = true;
  return a;
}

// Both go through the same adaptive quadrature (tanh has no closed form) with the same σ and
// σ′ up to rounding (sech² against 1 − tanh²): the solvers' answers agree far below their own
// tolerance (1e-10); 1e-10 relative leaves room for the rounding of σ′ and nothing more.
constexpr double kSameQuadrature = 1e-10;

TEST(ActivationValue, RfSrfAndDeepNeverReparseTheName) {
  EXPECT_THROW(make_activation(unnamed_tanh().name), InvalidInput);  // the name alone means nothing

  rf_ridge::Spec rf;
  rf.alpha = 1.5;
  rf.beta = 2.0;
  const double rf_builtin = rf_ridge::solve(rf).test_error;
  rf.activation = unnamed_tanh();
  EXPECT_NEAR(rf_ridge::solve(rf).test_error, rf_builtin, kSameQuadrature * rf_builtin);

  srf::Spec srf;  // a real step (r ≠ 0): the mapping and the κ-node tables use σ and σ′
  srf.eta = 1.5;
  srf.alpha = 2.0;
  const srf::Result srf_builtin = srf::solve(srf, {});
  srf.activation = unnamed_tanh();
  srf.target = unnamed_tanh();
  const srf::Result srf_lambda = srf::solve(srf, {});
  ASSERT_TRUE(srf_builtin.summary.converged && srf_lambda.summary.converged);
  EXPECT_GT(srf_builtin.mapping.r, 0.1);
  EXPECT_NEAR(srf_lambda.mapping.r, srf_builtin.mapping.r, kSameQuadrature * srf_builtin.mapping.r);
  EXPECT_NEAR(srf_lambda.test_error, srf_builtin.test_error, kSameQuadrature * srf_builtin.test_error);
  EXPECT_NEAR(srf_lambda.train_error, srf_builtin.train_error, kSameQuadrature * srf_builtin.test_error);

  srf_glm::Spec glm;
  const double glm_builtin = srf_glm::solve(glm, {}).classification_error;
  glm.activation = unnamed_tanh();
  EXPECT_NEAR(srf_glm::solve(glm, {}).classification_error, glm_builtin, 1e-8 * glm_builtin);

  deep_rf::Spec deep;
  deep.layers = deep_rf::parse_layers("1.5,1", "tanh", "gaussian");
  deep.target = make_activation("erf");
  const double deep_builtin = deep_rf::solve(deep, {}).test_error;
  for (auto& l : deep.layers) l.activation = unnamed_tanh();
  deep.target = make_activation("erf");
  EXPECT_NEAR(deep_rf::solve(deep, {}).test_error, deep_builtin, kSameQuadrature * deep_builtin);

  // A drawn network applies σ to whole matrices: the built-in's vectorised tanh (1 − 2/(e^{2x} + 1))
  // against std::tanh entry by entry differ by rounding, summed over a d = 80 eigen-decomposition.
  deep_rf::Spec drawn = deep;
  drawn.method = deep_rf::Method::kDrawn;
  drawn.d = 80;
  drawn.seed = 3;
  const double drawn_lambda = deep_rf::solve(drawn, {}).test_error;
  drawn.layers = deep_rf::parse_layers("1.5,1", "tanh", "gaussian");
  EXPECT_NEAR(drawn_lambda, deep_rf::solve(drawn, {}).test_error, 1e-9 * drawn_lambda);
}

TEST(ActivationValue, KrrTargetIsAValue) {
  krr::Spec s;
  s.target = make_activation("tanh");
  const double builtin = krr::solve(s).test_error;
  s.target = unnamed_tanh();
  EXPECT_NEAR(krr::solve(s).test_error, builtin, kSameQuadrature * builtin);
}

// The srf κ-node table is cached per thread; two different σ under one name must not share it.
TEST(ActivationValue, CacheTellsApartTwoActivationsWithOneName) {
  srf::Spec s;
  s.eta = 1.0;
  Activation a = unnamed_tanh(), b = make_activation("erf");
  b.name = a.name;
  s.activation = a;
  const double with_tanh = srf::solve(s, {}).test_error;
  s.activation = b;
  const double with_erf = srf::solve(s, {}).test_error;
  s.activation = make_activation("erf");
  EXPECT_NEAR(with_erf, srf::solve(s, {}).test_error, kSameQuadrature * with_erf);
  EXPECT_GT(std::abs(with_erf - with_tanh), 1e-4 * with_tanh);
}

// The kernel model builds the dual of an analytic formula numerically (the route of tanh): the
// formula and the built-in go through one trapezoid rule, so NNGP/NTK agree to rounding of σ′
// (the formula's is Boost's sixth-order difference, ~1e-13) carried through the depth.
TEST(ActivationValue, KernelTakesASmoothFormula) {
  using rmtsolve_test::run_cli;
  const std::string cmd = "curve kernel --depth 2 --rho -0.5,0.3,0.9 --format csv --columns nngp,ntk --activation ";
  const auto a = run_cli(cmd + "tanh"), b = run_cli(cmd + "'expr:tanh(x);smooth'");
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  std::istringstream x(a.out), y(b.out);
  int values = 0;
  for (std::string l1, l2; std::getline(x, l1) && std::getline(y, l2);) {
    if (l1.empty() || l1[0] == '#' || l1.find("nngp") != std::string::npos) continue;
    std::istringstream r1(l1), r2(l2);
    for (std::string c1, c2; std::getline(r1, c1, ',') && std::getline(r2, c2, ',');) {
      const double v1 = std::stod(c1), v2 = std::stod(c2);
      EXPECT_NEAR(v2, v1, 1e-9 * (1.0 + std::abs(v1))) << l1 << " / " << l2;
      ++values;
    }
  }
  EXPECT_EQ(values, 6);

  // Without 'smooth' a formula may hide a kink at 0: one line naming the flag and the way out.
  const auto kinked = run_cli("curve kernel --rho 0.5 --activation 'expr:tanh(x)'");
  EXPECT_EQ(kinked.code, 2);
  EXPECT_NE(kinked.err.find("--activation"), std::string::npos) << kinked.err;
  EXPECT_NE(kinked.err.find(";smooth"), std::string::npos) << kinked.err;
  EXPECT_NE(kinked.err.find("relu"), std::string::npos) << kinked.err;
  EXPECT_EQ(std::count(kinked.err.begin(), kinked.err.end(), '\n'), 1) << kinked.err;

  const auto both = run_cli("curve kernel --rho 0.5 --activation 'expr:tanh(x);smooth;kinks=1'");
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("contradict"), std::string::npos) << both.err;
}

}  // namespace

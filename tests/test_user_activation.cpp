// Activations the user brings (expr: formulas, registered functions) against the built-ins they
// rewrite: Gaussian moments, σ′, and whole models (rf, srf, deep, a Monte Carlo seed).
#include <gtest/gtest.h>

#include <cmath>

#include "cli_run.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"

using namespace rmtsolve;

namespace {

// The accuracy claim: a formula goes through the same adaptive quadrature as a built-in without a
// closed form, so its Gaussian moments agree with the built-in's to the quadrature's tolerance
// (1e-10 relative, gaussian.hpp), whether the built-in uses quadrature (tanh) or a closed form (relu, erf).
TEST(UserActivation, FormulaMomentsMatchBuiltIns) {
  const std::pair<const char*, const char*> pairs[] = {
      {"tanh", "expr:tanh(x)"}, {"relu", "expr:max(x,0)"}, {"relu", "expr:x > 0 ? x : 0"}, {"softplus", "expr:log(1+exp(x))"},
      {"sigmoid", "expr:1/(1+exp(-x))"}, {"cubic", "expr:x^3-3*x"}};
  for (const auto& [builtin, formula] : pairs) {
    const Activation a = make_activation(builtin), b = make_activation(formula);
    for (double m : {0.0, 0.7, -1.3})
      for (double s : {0.3, 1.0, 2.5}) {
        const GaussianMoments x = gaussian_moments(a, m, s), y = gaussian_moments(b, m, s);
        EXPECT_NEAR(y.mean, x.mean, 1e-9 * (1 + std::abs(x.mean))) << formula << " m=" << m << " s=" << s;
        EXPECT_NEAR(y.slope, x.slope, 1e-9 * (1 + std::abs(x.slope))) << formula << " m=" << m << " s=" << s;
        EXPECT_NEAR(y.second, x.second, 1e-9 * (1 + x.second)) << formula << " m=" << m << " s=" << s;
      }
  }
}

TEST(UserActivation, NumericalDerivativeAndOddness) {
  const Activation t = make_activation("expr:tanh(x)");
  EXPECT_TRUE(t.odd);
  for (double x : {-3.0, -0.5, 0.0, 0.2, 2.0})
    EXPECT_NEAR(t.df(x), 1.0 - std::tanh(x) * std::tanh(x), 1e-10) << x;  // 6th-order difference: ~1e-13
  EXPECT_FALSE(make_activation("expr:max(x,0)").odd);
  EXPECT_FALSE(make_activation("expr:tanh(x)+0.01").odd);
  // A given derivative formula is used as is.
  const Activation g = make_activation("expr:tanh(x);d=1-tanh(x)^2");
  EXPECT_NEAR(g.df(0.3), 1.0 - std::tanh(0.3) * std::tanh(0.3), 1e-15);
  EXPECT_EQ(make_activation("expr:abs(x-1);kinks=1").kinks, (std::vector<double>{0.0, 1.0}));
}

TEST(UserActivation, BadFormulasNameTheParameter) {
  for (const char* bad : {"expr:", "expr:tanh(x", "expr:y+1", "expr:log(x)", "expr:1/x", "expr:tanh(x);q=1",
                          "expr:abs(x);kinks=a"}) {
    try {
      make_activation(bad, "target");
      ADD_FAILURE() << bad << " accepted";
    } catch (const InvalidInput& e) {
      EXPECT_NE(std::string(e.what()).find("target"), std::string::npos) << e.what();
    }
  }
}

TEST(UserActivation, RegisteredFunctionIsFoundByName) {
  Activation a;
  a.f = [](double x) { return std::tanh(x); };
  register_activation("user:mytanh", a);
  rf_ridge::Spec s;
  s.alpha = 1.5;
  s.beta = 2.0;
  s.activation = make_activation("tanh");
  const double builtin = rf_ridge::solve(s, {}).test_error;
  s.activation = make_activation("user:mytanh");
  EXPECT_NEAR(rf_ridge::solve(s, {}).test_error, builtin, 1e-9 * builtin);
  unregister_activations("user:");
  EXPECT_THROW(make_activation("user:mytanh"), InvalidInput);
  EXPECT_THROW(register_activation("plain", a), InvalidInput);  // names need a PREFIX:
}

// Whole models through the CLI: rf, srf (needs σ′), deep (a chain of layers), and a Monte Carlo
// seed (the same draws, σ applied entry by entry instead of vectorised).
TEST(UserActivation, ModelsGiveTheBuiltInNumbers) {
  using rmtsolve_test::run_cli;
  const std::pair<std::string, std::string> runs[] = {
      {"curve rf --alpha 0.5,2 --beta 2", "--activation"},
      {"curve srf --alpha 0.5,2 --eta 1.5", "--activation"},
      {"curve deep --widths 1.5,1 --alpha 0.5,2", "--activations"},
      {"simulate rf --alpha 1 --beta 1 --d 60 --seeds 2", "--activation"}};
  for (const auto& [cmd, flag] : runs) {
    const auto a = run_cli(cmd + " " + flag + " tanh --format csv --columns " +
                           (cmd.rfind("simulate", 0) == 0 ? "test_error_mean" : "test_error"));
    const auto b = run_cli(cmd + " " + flag + " 'expr:tanh(x)' --format csv --columns " +
                           (cmd.rfind("simulate", 0) == 0 ? "test_error_mean" : "test_error"));
    ASSERT_EQ(a.code, 0) << cmd << a.err;
    ASSERT_EQ(b.code, 0) << cmd << b.err;
    std::istringstream x(a.out), y(b.out);
    int rows = 0;
    for (std::string l1, l2; std::getline(x, l1) && std::getline(y, l2);) {
      if (l1.empty() || l1[0] == '#' || l1.find("test_error") != std::string::npos) continue;
      const double v1 = std::stod(l1), v2 = std::stod(l2);
      EXPECT_NEAR(v2, v1, 1e-8 * std::abs(v1)) << cmd;
      ++rows;
    }
    EXPECT_GT(rows, 0) << cmd;
  }
}

}  // namespace

namespace {
// A newline typed into a flag (here inside a formula, where it is whitespace) must not break the
// CSV: every header line stays a comment and the table parses.
TEST(UserActivation, NewlineInAFlagKeepsTheCsvHeaderCommented) {
  const auto r = rmtsolve_test::run_cli("curve rf --alpha 1 --activation \"$(printf 'expr:tanh(x\\n)')\"");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  int comments = 0;
  while (std::getline(in, line) && line.rfind("#", 0) == 0) ++comments;
  EXPECT_GT(comments, 3);
  EXPECT_EQ(line.rfind("alpha,", 0), 0u) << "first non-comment line: " << line;
  EXPECT_NE(r.out.find("expr:tanh(x\\n)"), std::string::npos) << r.out;
}
}  // namespace

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/math/constants/constants.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "equations/gcm/gcm.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"
#include "equations/srf_glm/srf_glm.hpp"
#include "rmtsolve/error.hpp"
#include "rmtsolve/model.hpp"

using namespace rmtsolve;
using boost::math::constants::pi;

namespace {

srf_glm::Spec spec(Loss loss, const std::string& act, double alpha0, double eta, double alpha, double beta, double lambda) {
  srf_glm::Spec s;
  s.loss = loss;
  s.activation = act;
  s.alpha0 = alpha0;
  s.eta = eta;
  s.alpha = alpha;
  s.beta = beta;
  s.lambda = lambda;
  return s;
}

struct CliRun {
  int status;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

CliRun run_cli(const std::string& args) {
  static int calls = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "_glm_" + std::to_string(calls++);
  const std::string out = (dir / ("rmtsolve_glm_out_" + tag)).string(), err = (dir / ("rmtsolve_glm_err_" + tag)).string();
  const std::string cmd = std::string(RMTSOLVE_CLI) + " " + args + " >" + out + " 2>" + err + " </dev/null";
  const int status = std::system(cmd.c_str());
  CliRun r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

}  // namespace

TEST(SrfGlm, SquareLossIsSrfRidgeOnTheSameLabels) {
  // The square loss through the general proximal channel (label sums, Gauss–Hermite over the
  // field, Newton step for the bias) against srf's closed-form ridge channel with the sign link:
  // two different solvers and quadratures for the same fixed point.
  struct Case {
    const char* act;
    double alpha0, eta, alpha, beta, lambda;
  };
  for (const Case& c : {Case{"tanh", 2.0, 1.0, 1.0, 1.0, 1e-2}, Case{"tanh", 1.0, 3.0, 0.5, 2.0, 0.1},
                        Case{"erf", 4.0, 2.0, 3.0, 0.5, 1e-3}, Case{"relu", 2.0, 1.5, 2.0, 1.0, 0.05}}) {
    const auto s = spec(Loss::kSquare, c.act, c.alpha0, c.eta, c.alpha, c.beta, c.lambda);
    const auto r = srf_glm::solve(s, {});
    srf::Spec ref_spec;
    ref_spec.activation = c.act;
    ref_spec.target = "sign";
    ref_spec.alpha0 = c.alpha0;
    ref_spec.eta = c.eta;
    ref_spec.alpha = c.alpha;
    ref_spec.beta = c.beta;
    ref_spec.lambda = c.lambda;
    const auto ref = srf::solve(ref_spec, {});
    ASSERT_TRUE(r.summary.converged) << r.summary.brief();
    ASSERT_TRUE(ref.summary.converged);
    EXPECT_NEAR(r.mapping.r, ref.mapping.r, 1e-12);
    EXPECT_NEAR(r.mapping.c, ref.mapping.c, 1e-12);
    EXPECT_NEAR(r.mapping.gamma, ref.mapping.gamma, 1e-12);
    EXPECT_NEAR(r.test_error, ref.test_error, 1e-8) << c.act << " eta " << c.eta;
    EXPECT_NEAR(r.train_error, ref.train_error, 1e-8) << c.act << " eta " << c.eta;
    EXPECT_NEAR(r.q1, ref.q1, 1e-8);
    EXPECT_NEAR(r.q2, ref.q2, 1e-8);
    EXPECT_NEAR(r.tau, ref.tau, 1e-8);
    EXPECT_NEAR(r.psi, ref.psi, 1e-8);
    EXPECT_NEAR(r.m, ref.m, 1e-8);
  }
}

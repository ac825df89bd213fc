// The vanishing-step regime of srf (docs/theory/srf.md §5): finite networks leave a fraction
// 1/(1 + r²p) of the one-step gain unrealised, and simulate/validate say so for such points.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_run.hpp"

using rmtsolve_test::run_cli;

namespace {

double first_row(const std::string& json, const std::string& column) {
  return nlohmann::json::parse(json)["rows"][0][column].get<double>();
}

TEST(Srf, SmallStepFiniteNetworkMissesTheMeasuredFractionOfTheGain) {
  const std::string setting = " --activation tanh --target tanh --alpha0 2 --alpha 1 --beta 1 --lambda 0.01";
  const auto limit = run_cli("curve srf" + setting + " --eta 0.1 --format json");
  const auto zero = run_cli("curve srf" + setting + " --eta 0 --format json");
  ASSERT_EQ(limit.code, 0) << limit.err;
  ASSERT_EQ(zero.code, 0) << zero.err;
  const double e_limit = first_row(limit.out, "test_error"), e_zero = first_row(zero.out, "test_error");
  const double r = first_row(limit.out, "r"), d_min = first_row(limit.out, "d_min");
  const int d = 250;
  EXPECT_NEAR(d_min * r * r, 19.0, 1e-9);  // β = 1
  const auto mc = run_cli("simulate srf" + setting + " --eta 0.1 --d 250 --seeds 8 --format json");
  ASSERT_EQ(mc.code, 0) << mc.err;
  const double mean = first_row(mc.out, "test_error_mean"), se = first_row(mc.out, "test_error_se");
  const double predicted = e_limit + (e_zero - e_limit) / (1.0 + r * r * d);
  // 3 SE of the Monte Carlo plus 5 % of the gain for the fit (docs/theory/srf.md §5).
  EXPECT_NEAR(mean, predicted, 3.0 * se + 0.05 * (e_zero - e_limit)) << "limit " << e_limit << " zero " << e_zero;
  // Far from the limit curve, as the law says (not within the same allowance of it).
  EXPECT_GT(mean - e_limit, 3.0 * se + 0.05 * (e_zero - e_limit));
  // The note names the regime; a large step gets none.
  EXPECT_NE(mc.err.find("small step"), std::string::npos) << mc.err;
  const auto big = run_cli("simulate srf" + setting + " --eta 2 --d 250 --seeds 2 --format json");
  ASSERT_EQ(big.code, 0) << big.err;
  EXPECT_EQ(big.err.find("small step"), std::string::npos) << big.err;
}

}  // namespace

#include <gtest/gtest.h>

#include <cmath>

#include "equations/rf_ridge/rf_ridge.hpp"
#include "rmtsolve/chain.hpp"
#include "rmtsolve/error.hpp"

using namespace rmtsolve;

namespace {

// srf.md §4 item 1 / deep.md §3.3: Mei–Montanari closed form for a tanh student, linear target,
// τ² = 0.25, with λ (convention A) = ψ2 · λ_MM.
struct MeiMontanariRow {
  double psi1, psi2, lambda_mm, expected;
};
const MeiMontanariRow kMeiMontanari[] = {
    {2.0, 1.0, 1e-2, 0.967402164798},
    {0.5, 3.0, 1e-1, 0.932299074316},
    {3.0, 3.0, 1e-3, 0.758740226700},
    {1.5, 0.7, 1.0, 1.008816175047},
};

rf_ridge::Spec tanh_spec(double beta, double alpha, double lambda) {
  rf_ridge::Spec s;
  s.activation = "tanh";
  s.target = "linear";
  s.beta = beta;
  s.alpha = alpha;
  s.lambda = lambda;
  s.noise = 0.25;
  return s;
}

}  // namespace

TEST(RfRidge, MeiMontanariTable) {
  for (const auto& row : kMeiMontanari) {
    const auto r = rf_ridge::solve(tanh_spec(row.psi1, row.psi2, row.psi2 * row.lambda_mm));
    ASSERT_TRUE(r.summary.converged) << r.summary.brief();
    // The table is quoted to 12 digits; the chain and the MM closed form agree to 1e-12 there.
    EXPECT_NEAR(r.test_error, row.expected, 1e-9) << "psi1=" << row.psi1 << " psi2=" << row.psi2;
  }
}

#include <gtest/gtest.h>

#include <cmath>

#include "rmtsolve/model/model.hpp"
#include "rmtsolve/engine/sweep.hpp"

using namespace rmtsolve;

namespace {

Point linear_point(double t, double width, double dt, double noise) {
  Point pt;
  pt.number = {{"t", t},         {"width", width}, {"kappa", 0.3}, {"eta_u", 1.0}, {"eta_w", 0.5}, {"sigma_u", 0.4},
               {"sigma_w", 0.6}, {"c", -1.5},      {"dt", dt},     {"n", 1000.0},  {"noise", noise}};
  pt.text = {{"init", "gaussian:3"}};
  return pt;
}

}  // namespace

TEST(LinearDynamicsMonteCarlo, GradientDescentFollowsTheExactFlowAtAnyWidth) {
  // The MLP trainer (linear activation, two layers, per-layer rates h·η) started from the drawn
  // initialisation of the exact solution, on n sampled points per seed: the sample moments E_n z²,
  // E_n zy move F and Θ by O(n^{-1/2}) (the SE), the step h = 10⁻² by O(h) (the 1 % allowance).
  // The trainer's first-order convergence in h is tested in test_nfa.cpp.
  const Model& m = find_model("linear-dynamics");
  SimulationOptions o;
  o.seeds.seeds = 4;
  for (double width : {1.0, 10.0, 300.0})
    for (double noise : {0.0, 0.2}) {
      const Point pt = linear_point(2.0, width, 1e-2, noise);
      std::vector<double> warm;
      const PointResult exact = m.solve(pt, {}, warm);
      ASSERT_TRUE(exact.summary.converged);
      const auto mc = m.simulate(pt, o);
      for (size_t j = 0; j < 2; ++j)  // F, Θ
        EXPECT_NEAR(mc[j].mean, exact.values[j], 4.0 * mc[j].standard_error + 0.01 * std::abs(exact.values[j]))
            << "width " << width << " noise " << noise << " output " << j;
    }
}

TEST(LinearDynamicsMonteCarlo, ValidateFlagsACoarseStep) {
  const Model& m = find_model("linear-dynamics");
  SweepSpec spec;
  spec.grids = {{"t", {0.5}}, {"width", {50}}, {"kappa", {0.2}}, {"sigma_u", {0.5}}, {"sigma_w", {0.5}}, {"eta_w", {0.5}},
                {"n", {2000}}};
  SimulationOptions o;
  o.seeds.seeds = 6;
  spec.grids["dt"] = {1e-2};
  EXPECT_EQ(run_validation(m, spec, {}, o, {}).failed_points, 0);
  spec.grids["dt"] = {0.25};  // two steps to t = 0.5: F is ~30 % off the flow
  EXPECT_EQ(run_validation(m, spec, {}, o, {}).failed_points, 1);
}

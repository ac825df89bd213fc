#include <gtest/gtest.h>

#include "rmtsolve/model/warm_start.hpp"

using namespace rmtsolve;

namespace {

const auto anything = [](const Eigen::VectorXd&) { return true; };

// A state that is a quadratic in the moved number t (second number fixed at 5).
Eigen::VectorXd state_at(double t) { return Eigen::Vector2d(1.0 + 2.0 * t + 3.0 * t * t, -t * t); }

std::vector<double> sweep_to(const std::vector<double>& ts, double fixed = 5.0) {
  std::vector<double> warm;
  for (double t : ts) remember_state(warm, 2, {t, fixed}, state_at(t));
  return warm;
}

}  // namespace

TEST(WarmStart, ThreePointsExtrapolateAQuadraticExactly) {
  const std::vector<double> warm = sweep_to({0.0, 0.5, 1.0});
  const Eigen::VectorXd guess = extrapolated_start(warm, 2, {1.5, 5.0}, anything);
  ASSERT_EQ(guess.size(), 2);
  // Lagrange weights (1, −3, 3) on values of size ~10: exact up to a few rounding errors.
  EXPECT_NEAR(guess[0], state_at(1.5)[0], 1e-12);
  EXPECT_NEAR(guess[1], state_at(1.5)[1], 1e-12);
}

TEST(WarmStart, KeepsAtMostTheRememberedPoints) {
  std::vector<double> warm;
  for (int i = 0; i < 9; ++i) remember_state(warm, 2, {double(i), 5.0}, state_at(i), 5);
  EXPECT_EQ(warm.size(), 5u * 4u);  // 5 points × (2 state + 2 numbers)
  EXPECT_EQ(warm[2], 8.0);         // newest first
}

TEST(WarmStart, FallsBackToThePreviousStateWhenExtrapolationDoesNotApply) {
  const std::vector<double> warm = sweep_to({0.0, 0.5, 1.0});
  const Eigen::VectorXd previous = state_at(1.0);
  // Two numbers moved at once; a step backwards; a step more than twice the spacing; a guess the
  // model refuses: each starts from the newest state, unchanged.
  EXPECT_EQ(extrapolated_start(warm, 2, {1.5, 6.0}, anything), previous);
  EXPECT_EQ(extrapolated_start(warm, 2, {0.75, 5.0}, anything), previous);
  EXPECT_EQ(extrapolated_start(warm, 2, {2.5, 5.0}, anything), previous);
  EXPECT_EQ(extrapolated_start(warm, 2, {1.5, 5.0}, [](const Eigen::VectorXd&) { return false; }), previous);
  // The same point again: its own state.
  EXPECT_EQ(extrapolated_start(warm, 2, {1.0, 5.0}, anything), previous);
}

TEST(WarmStart, AFailedPointForgetsEverything) {
  std::vector<double> warm = sweep_to({0.0, 0.5, 1.0});
  remember_state(warm, 2, {1.5, 5.0}, Eigen::VectorXd());
  EXPECT_TRUE(warm.empty());
  EXPECT_EQ(extrapolated_start(warm, 2, {2.0, 5.0}, anything).size(), 0);
}

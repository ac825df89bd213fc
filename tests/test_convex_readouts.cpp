// The hinge (SVM) readout of the classification Monte Carlo: dual coordinate descent with random
// order, shrinking and a duality-gap stop, checked against the KKT conditions and against an
// independent solve on small random problems.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/montecarlo/estimators.hpp"

using namespace rmtsolve;

namespace {

struct Problem {
  Eigen::MatrixXd F;
  Eigen::VectorXd y;
};

// Gaussian features; labels from a linear teacher, a fraction `flip` of them flipped (flip = 0 and
// n < p: linearly separable).
Problem draw(int n, int p, double flip, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::uniform_real_distribution<double> u;
  Problem pr;
  pr.F = Eigen::MatrixXd::NullaryExpr(n, p, [&] { return g(rng); });
  const Eigen::VectorXd theta = Eigen::VectorXd::NullaryExpr(p, [&] { return g(rng); });
  const Eigen::VectorXd z = pr.F * theta;
  pr.y.resize(n);
  for (int i = 0; i < n; ++i) pr.y[i] = ((z[i] > 0) != (u(rng) < flip)) ? 1.0 : -1.0;
  return pr;
}

double primal(const Problem& pr, const Eigen::VectorXd& w, double lambda) {
  const Eigen::VectorXd m = pr.y.cwiseProduct(pr.F * w);
  double hinge = 0.0;
  for (Eigen::Index i = 0; i < m.size(); ++i) hinge += std::max(0.0, 1.0 - m[i]);
  return hinge + 0.5 * lambda * w.squaredNorm();
}

// The reference: the textbook cyclic dual coordinate descent, no shrinking, no random order, no
// gap test, run until every projected gradient is below 1e-13 — a different path to the optimum.
struct Reference {
  Eigen::VectorXd w, alpha;
};
Reference cyclic_reference(const Problem& pr, double lambda) {
  const Eigen::Index n = pr.F.rows();
  Reference r{Eigen::VectorXd::Zero(pr.F.cols()), Eigen::VectorXd::Zero(n)};
  for (int pass = 0; pass < 1000000; ++pass) {
    double worst = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double q = pr.F.row(i).squaredNorm() / lambda;
      const double G = pr.y[i] * pr.F.row(i).dot(r.w) - 1.0;
      const double pg = r.alpha[i] == 0.0 ? std::min(G, 0.0) : (r.alpha[i] == 1.0 ? std::max(G, 0.0) : G);
      worst = std::max(worst, std::abs(pg));
      if (pg == 0.0) continue;
      const double a = std::clamp(r.alpha[i] - G / q, 0.0, 1.0);
      r.w += ((a - r.alpha[i]) * pr.y[i] / lambda) * pr.F.row(i).transpose();
      r.alpha[i] = a;
    }
    if (worst < 1e-13) return r;
  }
  ADD_FAILURE() << "the reference solve did not converge";
  return r;
}

// KKT of the hinge problem with the returned dual variables: α ∈ [0, 1] (exactly: the update
// clips), stationarity λw = Σ α_i y_i f_i (to rounding: w is updated incrementally over many
// steps, 1e-11 relative), and complementary slackness.  The duality gap is the sum over samples
// of max(0, 1 − m_i)(1 − α_i) (m_i < 1) or α_i (m_i − 1) (m_i ≥ 1), each ≥ 0, so the solver's stop
// (gap ≤ 1e-9 |P|) bounds every one of them by 1e-9 |P|; 2e-9 leaves room for rounding.
void expect_kkt(const Problem& pr, const mc::HingeFit& fit, double lambda) {
  ASSERT_GE(fit.alpha.minCoeff(), 0.0);
  ASSERT_LE(fit.alpha.maxCoeff(), 1.0);
  const Eigen::VectorXd sum = pr.F.transpose() * pr.y.cwiseProduct(fit.alpha);
  EXPECT_LE((lambda * fit.w - sum).norm(), 1e-11 * sum.norm());
  const Eigen::VectorXd m = pr.y.cwiseProduct(pr.F * fit.w);
  const double P = primal(pr, fit.w, lambda);
  double total = 0.0;
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    const double slack = m[i] < 1.0 ? (1.0 - m[i]) * (1.0 - fit.alpha[i]) : fit.alpha[i] * (m[i] - 1.0);
    EXPECT_LE(slack, 2e-9 * P) << "sample " << i << ", margin " << m[i] << ", alpha " << fit.alpha[i];
    total += slack;
  }
  EXPECT_LE(total, 2e-9 * P);
  EXPECT_NEAR(fit.primal, P, 1e-12 * P);
}

// Against the reference.  Rigorous: P(w) − P* ≤ gap and P(w_ref) − P* ≤ gap_ref (each solve's
// own duality gap), so the two primal values differ by at most the larger of the gaps; and
// ‖w − w*‖ ≤ sqrt(2 gap / λ) for both, by strong convexity.  That bound is loose when the hinge
// term dominates P, so w is also compared at 1e-6 relative: the measured distance on these
// problems is 3e-10 … 3e-8, while a single sample's α off by 1e-3 moves w by ~1e-3 ‖f_i‖/(λ‖w‖),
// ≥ 1e-3 relative here.
void expect_matches_reference(const Problem& pr, const mc::HingeFit& fit, double lambda) {
  const Reference ref = cyclic_reference(pr, lambda);
  const double P = primal(pr, fit.w, lambda), P_ref = primal(pr, ref.w, lambda);
  const double gap = fit.primal - fit.dual;
  const double gap_ref = P_ref - (ref.alpha.sum() - 0.5 * lambda * ref.w.squaredNorm());
  const double rounding = 1e-13 * P_ref;
  EXPECT_LE(P - P_ref, gap + rounding);
  EXPECT_LE(P_ref - P, gap_ref + rounding);
  EXPECT_LE((fit.w - ref.w).norm(), std::sqrt(2.0 * gap / lambda) + std::sqrt(2.0 * std::max(gap_ref, 0.0) / lambda) +
                                        1e-12 * ref.w.norm());
  EXPECT_LE((fit.w - ref.w).norm(), 1e-6 * ref.w.norm());
}

}  // namespace

TEST(HingeReadout, NonSeparableDataMeetsKktAndMatchesAnIndependentSolve) {
  // n > p with flipped labels: many samples inside the margin (α = 1), many well classified
  // (α = 0), and the support vectors between.
  struct Case {
    int n, p;
    double flip, lambda;
  };
  for (const Case c : {Case{300, 40, 0.15, 0.05}, Case{300, 40, 0.15, 1.0}, Case{120, 60, 0.1, 0.05}}) {
    const Problem pr = draw(c.n, c.p, c.flip, 11);
    const mc::HingeFit fit = mc::hinge_dual_cd(pr.F, pr.y, c.lambda, {});
    SCOPED_TRACE("n " + std::to_string(c.n) + ", lambda " + std::to_string(c.lambda));
    expect_kkt(pr, fit, c.lambda);
    expect_matches_reference(pr, fit, c.lambda);
    // Most samples are bounded: shrinking set at least half of them aside at some point.
    EXPECT_GT(fit.most_shrunk, static_cast<std::size_t>(c.n / 2));
  }
}

TEST(HingeReadout, SeparableDataAtSmallLambdaApproachesTheHardMargin) {
  // n < p and clean labels: separable; λ = 1e-4 is nearly the hard-margin SVM, where every
  // training margin is ≥ 1 at the optimum and no sample is pinned at the upper bound.
  for (const double lambda : {0.05, 1e-4}) {
    SCOPED_TRACE("lambda " + std::to_string(lambda));
    const Problem pr = draw(60, 120, 0.0, 12);
    const mc::HingeFit fit = mc::hinge_dual_cd(pr.F, pr.y, lambda, {});
    expect_kkt(pr, fit, lambda);
    expect_matches_reference(pr, fit, lambda);
    if (lambda < 1e-3) {
      const Eigen::VectorXd m = pr.y.cwiseProduct(pr.F * fit.w);
      EXPECT_GT(m.minCoeff(), 1.0 - 1e-6);
      EXPECT_LT(fit.alpha.maxCoeff(), 1.0);
    }
  }
}

TEST(HingeReadout, FitReadoutIsTheDualSolversPrimalSolution) {
  const Problem pr = draw(120, 60, 0.1, 13);
  const mc::HingeFit fit = mc::hinge_dual_cd(pr.F, pr.y, 0.05, {});
  const Eigen::VectorXd w = mc::fit_readout(Loss::kHinge, pr.F, pr.y, 0.05);
  // Same algorithm, same order: the same arithmetic.  Compared to rounding, not bitwise.
  EXPECT_LE((w - fit.w).norm(), 1e-14 * fit.w.norm());
}

TEST(HingeReadout, TighterGapMovesTheSolutionOnlyWithinTheBound) {
  const Problem pr = draw(300, 40, 0.15, 14);
  const double lambda = 1.0;
  const mc::HingeFit fit = mc::hinge_dual_cd(pr.F, pr.y, lambda, {});
  mc::HingeOptions tight;
  tight.relative_gap = 1e-12;  // about the rounding floor of the gap itself
  const mc::HingeFit exact = mc::hinge_dual_cd(pr.F, pr.y, lambda, tight);
  EXPECT_LE(exact.primal - exact.dual, 1e-12 * exact.primal);
  EXPECT_LE(fit.primal - exact.primal, fit.primal - fit.dual);
  EXPECT_LE((fit.w - exact.w).norm(), std::sqrt(2.0 * (fit.primal - fit.dual) / lambda) +
                                          std::sqrt(2.0 * (exact.primal - exact.dual) / lambda));
}

TEST(HingeReadout, ExhaustedBudgetIsReportedAsNotConverged) {
  const Problem pr = draw(100, 50, 0.2, 15);
  mc::HingeOptions one;
  one.max_passes = 1;
  EXPECT_THROW(mc::hinge_dual_cd(pr.F, pr.y, 0.05, one), TrainingNotConverged);
}

TEST(HingeReadout, ZeroFeatureRowSitsAtItsBound) {
  // A sample with f_i = 0 has margin 0 for every w: its dual variable goes to 1 and it does not
  // move w; without it the rest is the same problem.
  Problem pr = draw(80, 40, 0.1, 16);
  const mc::HingeFit without = mc::hinge_dual_cd(pr.F, pr.y, 0.5, {});
  pr.F.conservativeResize(81, Eigen::NoChange);
  pr.F.row(80).setZero();
  pr.y.conservativeResize(81);
  pr.y[80] = 1.0;
  const mc::HingeFit with = mc::hinge_dual_cd(pr.F, pr.y, 0.5, {});
  EXPECT_EQ(with.alpha[80], 1.0);  // set exactly by the update, not computed
  EXPECT_LE((with.w - without.w).norm(), std::sqrt(2.0 * (with.primal - with.dual) / 0.5) +
                                             std::sqrt(2.0 * (without.primal - without.dual) / 0.5));
}

// --optimize / --reach on the shared sweep engine, against the closed forms of isotropic ridge
// regression (equations/gcm_ridge/README.md, "Optimal ridge of the isotropic model") and the
// β → ∞ limit of linear random features (equations/rf_ridge/README.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>

#include "rmtsolve/engine/optimize.hpp"
#include "rmtsolve/engine/point_search.hpp"
#include "rmtsolve/engine/reach.hpp"
#include "rmtsolve/engine/sweep.hpp"

using namespace rmtsolve;

namespace {

std::vector<double> column(const Table& t, const std::string& name) {
  std::vector<double> v;
  const auto it = std::find(t.columns.begin(), t.columns.end(), name);
  if (it == t.columns.end()) throw std::runtime_error("no column " + name);
  const size_t c = static_cast<size_t>(it - t.columns.begin());
  for (const auto& row : t.rows) v.push_back(std::holds_alternative<double>(row[c]) ? std::get<double>(row[c]) : std::nan(""));
  return v;
}

std::vector<std::string> text_column(const Table& t, const std::string& name) {
  std::vector<std::string> v;
  const size_t c = static_cast<size_t>(std::find(t.columns.begin(), t.columns.end(), name) - t.columns.begin());
  for (const auto& row : t.rows) v.push_back(std::holds_alternative<std::string>(row[c]) ? std::get<std::string>(row[c]) : "");
  return v;
}

// Ω = I_p, t_j = ρ/p: isotropic ridge with signal ρ (gcm_ridge README).
std::string isotropic_spectrum(double rho) {
  const int p = 50;
  const auto path = std::filesystem::temp_directory_path() /
                    ("rmtsolve_opt_spectrum_" + std::to_string(::getpid()) + "_" + std::to_string(rho) + ".csv");
  std::ofstream f(path);
  f.precision(17);
  f << "omega,t\n";
  for (int j = 0; j < p; ++j) f << "1," << rho / p << "\n";
  return path.string();
}

SweepSpec isotropic_sweep(double rho, std::vector<double> alpha, double noise) {
  SweepSpec s;
  s.texts["spectrum"] = isotropic_spectrum(rho);
  s.grids["rho"] = {rho};
  if (!alpha.empty()) s.grids["alpha"] = std::move(alpha);
  s.grids["noise"] = {noise};
  return s;
}

// The positive root s of α s² + (α − 1 − λ) s − λ = 0.
double s_root(double alpha, double lambda) {
  const double b = alpha - 1.0 - lambda;
  return (-b + std::sqrt(b * b + 4.0 * alpha * lambda)) / (2.0 * alpha);
}

}  // namespace

TEST(Optimize, IsotropicRidgeOptimumIsNoiseToSignalRatio) {
  // λ* = Δ/ρ and E* = Δ + ρ s*/(1+s*).  Tolerances: Brent stops at 2^-19 ≈ 2e-6 relative in log λ
  // and the objective is solved to 1e-12, so λ* is good to ~1e-6 and E* (flat at the optimum) to
  // ~1e-12; 1e-4 and 1e-9 leave margin and still fail for λ* = Δ at ρ = 2 or a wrong E* by far.
  const double noise = 0.25;
  for (double rho : {1.0, 2.0}) {
    const std::vector<double> alphas{0.5, 1.0, 2.0};
    SearchSpec search;
    search.optimize = "lambda";
    const SweepOutcome out = run_curve(find_model("gcm"), isotropic_sweep(rho, alphas, noise), {}, search);
    ASSERT_EQ(out.failed_points, 0) << (out.notes.empty() ? "" : out.notes[0]);
    const auto lambda = column(out.table, "lambda_opt"), error = column(out.table, "test_error");
    const auto bound = text_column(out.table, "on_bound");
    for (size_t i = 0; i < alphas.size(); ++i) {
      const double star = noise / rho, s = s_root(alphas[i], star);
      EXPECT_NEAR(lambda[i] / star, 1.0, 1e-4) << "rho=" << rho << " alpha=" << alphas[i];
      EXPECT_NEAR(error[i], noise + rho * s / (1.0 + s), 1e-9) << "rho=" << rho << " alpha=" << alphas[i];
      EXPECT_EQ(bound[i], "no");
    }
    EXPECT_TRUE(std::isnan(column(out.table, "lambda")[0]));  // the searched parameter's own column is empty
  }
}

TEST(Optimize, NoiselessOptimumIsTheRidgelessLimit) {
  // Δ = 0: λ* → 0, reported on the bound at λ = 0 with the ridgeless errors ρ(1 − α) and 0.
  SearchSpec search;
  search.optimize = "lambda";
  const SweepOutcome out = run_curve(find_model("gcm"), isotropic_sweep(1.0, {0.5, 2.0}, 0.0), {}, search);
  ASSERT_EQ(out.failed_points, 0);
  const auto lambda = column(out.table, "lambda_opt"), error = column(out.table, "test_error");
  const auto bound = text_column(out.table, "on_bound");
  EXPECT_EQ(lambda[0], 0.0);  // set, not computed: the λ = 0 limit itself
  EXPECT_EQ(bound[0], "zero");
  EXPECT_NEAR(error[0], 0.5, 1e-9);
  EXPECT_EQ(bound[1], "zero");
  EXPECT_NEAR(error[1], 0.0, 1e-9);
  // Bounds that exclude 0 are respected: the optimum is their lower end, said to be on the bound.
  search.bounds = "1e-4:10";
  const SweepOutcome bounded = run_curve(find_model("gcm"), isotropic_sweep(1.0, {0.5}, 0.0), {}, search);
  EXPECT_NEAR(column(bounded.table, "lambda_opt")[0] / 1e-4, 1.0, 1e-4);
  EXPECT_EQ(text_column(bounded.table, "on_bound")[0], "lower");
  // Bounds from 0: log scan of eight decades below HI, then λ = 0 itself.
  search.bounds = "0:10";
  const SweepOutcome from_zero = run_curve(find_model("gcm"), isotropic_sweep(1.0, {0.5}, 0.0), {}, search);
  EXPECT_EQ(column(from_zero.table, "lambda_opt")[0], 0.0);
  EXPECT_EQ(text_column(from_zero.table, "on_bound")[0], "zero");
}

TEST(Reach, RidgelessDoubleDescentFirstCrossing) {
  // ρ = 1, Δ = 0.25, λ = 0: E = u + Δ/u (u = 1 − α) below α = 1, Δα/(α − 1) above.
  const Model& gcm = find_model("gcm");
  auto crossing = [&](double target) {
    SweepSpec sweep = isotropic_sweep(1.0, {}, 0.25);
    sweep.grids["lambda"] = {0.0};
    SearchSpec search;
    search.reach = "test_error=" + std::to_string(target);
    search.over = "alpha";
    return run_curve(gcm, sweep, {}, search);
  };
  const SweepOutcome early = crossing(1.1);  // first descent: α = 1 − (1.1 + √(1.21 − 1))/2
  ASSERT_EQ(early.failed_points, 0);
  EXPECT_NEAR(column(early.table, "alpha_reach")[0] / (1.0 - (1.1 + std::sqrt(0.21)) / 2.0), 1.0, 1e-6);
  const SweepOutcome late = crossing(0.4);  // past the peak: α = ε/(ε − Δ) = 8/3
  ASSERT_EQ(late.failed_points, 0);
  EXPECT_NEAR(column(late.table, "alpha_reach")[0] / (8.0 / 3.0), 1.0, 1e-6);
  EXPECT_NEAR(column(late.table, "test_error")[0], 0.4, 1e-8);
  EXPECT_NE(text_column(late.table, "search")[0].find("not monotone"), std::string::npos);
  const SweepOutcome never = crossing(0.2);  // below the noise floor Δ
  EXPECT_EQ(never.failed_points, 0);
  EXPECT_TRUE(std::isnan(column(never.table, "alpha_reach")[0]));
  EXPECT_EQ(column(never.table, "converged")[0], 1.0);
  EXPECT_NE(text_column(never.table, "search")[0].find("not reached"), std::string::npos);
}

TEST(Reach, SampleComplexityAtOptimalRidge) {
  // α(ε) = [s + λ*(1+s)]/[s(1+s)], s = m/(1 − m), m = (ε − Δ)/ρ.
  for (const auto& [rho, target] : std::vector<std::pair<double, double>>{{1.0, 0.5}, {2.0, 0.6}}) {
    const double noise = 0.25, star = noise / rho, m = (target - noise) / rho, s = m / (1.0 - m);
    const double expected = (s + star * (1.0 + s)) / (s * (1.0 + s));
    SearchSpec search;
    search.optimize = "lambda";
    search.reach = "test_error=" + std::to_string(target);
    search.over = "alpha:0.05:50";
    const SweepOutcome out = run_curve(find_model("gcm"), isotropic_sweep(rho, {}, noise), {}, search);
    ASSERT_EQ(out.failed_points, 0) << (out.notes.empty() ? "" : out.notes[0]);
    EXPECT_NEAR(column(out.table, "alpha_reach")[0] / expected, 1.0, 1e-6) << "rho=" << rho;
    EXPECT_NEAR(column(out.table, "lambda_opt")[0] / star, 1.0, 1e-4) << "rho=" << rho;
  }
}

TEST(Optimize, MinimiserFindsTheLowerOfTwoWells) {
  // A non-convex objective: wells at x = 1 (depth 1) and x = 4 (depth 2); the scan must bracket the deeper.
  auto f = [](double x, std::vector<double>&) {
    Evaluation e;
    e.value = -std::exp(-8.0 * (x - 1.0) * (x - 1.0)) - 2.0 * std::exp(-8.0 * (x - 4.0) * (x - 4.0));
    e.result.summary.converged = true;
    return e;
  };
  std::vector<std::vector<double>> warm;
  SearchRange r;
  r.lo = 0.0;
  r.hi = 5.0;
  const SearchOutcome out = minimise(f, r, warm);
  ASSERT_TRUE(out.found);
  EXPECT_NEAR(out.x, 4.0, 1e-4);
  EXPECT_NE(out.note.find("2 local minima"), std::string::npos) << out.note;
}

TEST(Optimize, FailedInnerSolveIsNeverAnOptimum) {
  auto f = [](double x, std::vector<double>&) {
    Evaluation e;
    e.value = (x - 2.0) * (x - 2.0);
    e.result.summary.converged = x < 3.0;
    if (x >= 3.0) {
      e.failed = true;
      e.failure = "x = " + std::to_string(x) + ": did not converge";
    }
    return e;
  };
  std::vector<std::vector<double>> warm;
  SearchRange r;
  r.lo = 0.0;
  r.hi = 5.0;
  const SearchOutcome out = minimise(f, r, warm);
  EXPECT_TRUE(out.failed);
  EXPECT_FALSE(out.found);
  EXPECT_NE(out.at.failure.find("did not converge"), std::string::npos);
}

TEST(Optimize, LinearRandomFeaturesApproachIsotropicRidgeAsBetaGrows) {
  // rf with a linear activation is ridge with the penalty p·bᵀ(WᵀW)⁻¹b on b = Wᵀa/√p; as β → ∞,
  // WᵀW/p → I/d and it becomes isotropic ridge in α = n/d with λ* = Δ/F1² and
  // E* = Δ + F1² s*/(1+s*) (equations/rf_ridge/README.md).  The gap is O(1/β) (measured ≈ 0.25/β on
  // λ*, ≈ 0.2/β on E*); at β = 1e4 the bounds 1e-3 (relative, λ*) and 1e-4 (absolute, E*) hold with
  // a factor ≥ 4 of margin, and the gap must shrink by ~10 from β = 1e3 to 1e4 (between 5 and 20).
  const double noise = 0.25;
  auto optimum = [&](double beta) {
    SweepSpec sweep;
    sweep.texts["activation"] = "linear";
    sweep.grids["alpha"] = {0.5, 1.0, 2.0};
    sweep.grids["beta"] = {beta};
    sweep.grids["noise"] = {noise};
    SearchSpec search;
    search.optimize = "lambda";
    const SweepOutcome out = run_curve(find_model("rf"), sweep, {}, search);
    EXPECT_EQ(out.failed_points, 0);
    return std::make_pair(column(out.table, "lambda_opt"), column(out.table, "test_error"));
  };
  const auto [lambda_3, error_3] = optimum(1e3);
  const auto [lambda_4, error_4] = optimum(1e4);
  const double alphas[] = {0.5, 1.0, 2.0};
  for (size_t i = 0; i < 3; ++i) {
    const double s = s_root(alphas[i], noise), limit = noise + s / (1.0 + s);
    EXPECT_NEAR(lambda_4[i] / noise, 1.0, 1e-3) << "alpha=" << alphas[i];
    EXPECT_NEAR(error_4[i], limit, 1e-4) << "alpha=" << alphas[i];
    const double shrink = (error_3[i] - limit) / (error_4[i] - limit);
    EXPECT_GT(shrink, 5.0) << "alpha=" << alphas[i];
    EXPECT_LT(shrink, 20.0) << "alpha=" << alphas[i];
  }
}

namespace {

// Simulated test error at the optimum against its neighbours, paired by seed: seed k of every
// setting is the stream (base 9000 + k, 0), so each difference compares networks and data drawn
// from the same stream (for a λ sweep, literally the same problem).  Passes when the mean paired
// excess of each neighbour is above 3 standard errors of that mean.
struct PairedGap {
  double mean = 0.0, se = 0.0;
};
std::vector<double> per_seed_test_error(const Model& model, const Point& point, int d, int seeds) {
  std::vector<double> v;
  for (int k = 0; k < seeds; ++k) {
    SimulationOptions o;
    o.d = d;
    o.seeds.seeds = 1;
    o.seeds.base_seed = 9000 + static_cast<std::uint64_t>(k);
    o.seeds.threads = 1;
    v.push_back(model.simulate(point, o)[0].mean);
  }
  return v;
}
PairedGap paired_excess(const std::vector<double>& optimum, const std::vector<double>& neighbour) {
  const double n = static_cast<double>(optimum.size());
  PairedGap g;
  for (size_t k = 0; k < optimum.size(); ++k) g.mean += (neighbour[k] - optimum[k]) / n;
  for (size_t k = 0; k < optimum.size(); ++k) g.se += std::pow(neighbour[k] - optimum[k] - g.mean, 2) / (n - 1);
  g.se = std::sqrt(g.se / n);
  return g;
}

// The grid point of `sweep` (one point) with `name` set to each value.
std::vector<Point> points_at(const Model& model, SweepSpec sweep, const std::string& name, const std::vector<double>& values) {
  std::vector<Point> out;
  for (double v : values) {
    sweep.grids[name] = {v};
    out.push_back(expand(model, sweep).at(0));
  }
  return out;
}

double optimum_of(const Model& model, const SweepSpec& sweep, const std::string& name) {
  SearchSpec search;
  search.optimize = name;
  const SweepOutcome out = run_curve(model, sweep, {}, search);
  EXPECT_EQ(out.failed_points, 0);
  return column(out.table, name + "_opt").at(0);
}

void expect_optimum_beats_neighbours(const Model& model, const SweepSpec& sweep, const std::string& name,
                                     double below, double above, int d, int seeds) {
  const double star = optimum_of(model, sweep, name);
  const auto pts = points_at(model, sweep, name, {star, star * below, star * above});
  const auto at_optimum = per_seed_test_error(model, pts[0], d, seeds);
  for (int i : {1, 2}) {
    const PairedGap g = paired_excess(at_optimum, per_seed_test_error(model, pts[i], d, seeds));
    std::cout << "[ measured ] " << model.name() << " " << name << "* = " << star << " vs " << pts[i][name]
              << ": paired simulated excess " << g.mean << " +- " << g.se << " (z = " << g.mean / g.se << ")\n";
    EXPECT_GT(g.mean, 3.0 * g.se) << model.name() << " " << name << "* = " << star << " vs " << pts[i][name]
                                  << ": simulated excess " << g.mean << " ± " << g.se;
  }
}

}  // namespace

TEST(OptimizeMonteCarlo, DeepTheoryLambdaStarBeatsTenfoldNeighbours) {
  // Depth 2, tanh, widths 2d, α = 1, Δ = 0.5: theory E = 1.457 / 1.217 / 1.359 at λ*/10, λ*, 10λ*.
  SweepSpec sweep;
  sweep.texts["widths"] = "2,2";
  sweep.texts["activations"] = "tanh";
  sweep.grids["alpha"] = {1.0};
  sweep.grids["noise"] = {0.5};
  expect_optimum_beats_neighbours(find_model("deep"), sweep, "lambda", 0.1, 10.0, 300, 8);
}

TEST(OptimizeMonteCarlo, SrfTheoryLambdaStarBeatsTenfoldNeighbours) {
  // Idealised spiked model (the real network sits above the theory, srf README), α0 = 2, η̃ = 2,
  // β = 1, α = 1, Δ = 0.25: theory E = 0.500 / 0.420 / 0.437 at λ*/10, λ*, 10λ*.
  SweepSpec sweep;
  sweep.texts["network"] = "spiked";
  sweep.grids["alpha"] = {1.0};
  sweep.grids["eta"] = {2.0};
  sweep.grids["noise"] = {0.25};
  expect_optimum_beats_neighbours(find_model("srf"), sweep, "lambda", 0.1, 10.0, 300, 8);
}

TEST(OptimizeMonteCarlo, SrfTheoryEtaStarBeatsItsNeighboursOnTheGridSuiteSetting) {
  // validation/srf_grid.json, first run at β = 2 (α0 = 2, α = 1, λ = 0.05, spiked): the η̃ optimum
  // is flat (theory +6.6 % at η̃*/2, +19 % at 2η̃*), hence d = 400 and 12 paired seeds.
  SweepSpec sweep;
  sweep.texts["network"] = "spiked";
  sweep.grids["alpha0"] = {2.0};
  sweep.grids["beta"] = {2.0};
  sweep.grids["alpha"] = {1.0};
  sweep.grids["lambda"] = {0.05};
  expect_optimum_beats_neighbours(find_model("srf"), sweep, "eta", 0.5, 2.0, 400, 12);
}

// Property tests over random valid parameter draws (fixed seed, so failures reproduce): every
// equation system converges to finite, non-negative errors with train ≤ test, the training error
// never decreases with the ridge, and the test error never decreases with the label noise.
#include <algorithm>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "rmtsolve/model/model.hpp"

using namespace rmtsolve;

namespace {

struct Draw {
  std::mt19937_64 rng{20261123};
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
  double log_uniform(double a, double b) { return std::exp(uniform(std::log(a), std::log(b))); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)]; }
};

Point defaults(const Model& m) {
  Point p;
  for (const auto& n : m.numbers()) p.number[n.name] = n.default_value;
  for (const auto& t : m.texts()) p.text[t.name] = t.default_value;
  return p;
}

void check_point(const Model& m, const Point& p, const std::string& what) {
  std::vector<double> warm;
  const PointResult r = m.solve(p, {}, warm);
  ASSERT_TRUE(r.summary.converged) << what << ": " << r.summary.brief();
  const double test = r.values[0], train = r.values[1];
  EXPECT_TRUE(std::isfinite(test) && std::isfinite(train)) << what;
  EXPECT_GE(train, 0.0) << what;
  EXPECT_LE(train, test * (1 + 1e-12)) << what;
  // The training error grows with the ridge; the test error grows with the label noise.
  Point more_ridge = p, more_noise = p;
  more_ridge.number["lambda"] *= 3.0;
  more_noise.number["noise"] += 0.1;
  std::vector<double> w1, w2;
  const PointResult r_ridge = m.solve(more_ridge, {}, w1), r_noise = m.solve(more_noise, {}, w2);
  ASSERT_TRUE(r_ridge.summary.converged && r_noise.summary.converged) << what;
  EXPECT_GE(r_ridge.values[1], train * (1 - 1e-9)) << what << " (train vs 3 lambda)";
  EXPECT_GT(r_noise.values[0], test) << what << " (test vs noise + 0.1)";
}

std::string describe(const Point& p) {
  std::string s;
  for (const auto& [k, v] : p.number) s += k + "=" + std::to_string(v) + " ";
  for (const auto& [k, v] : p.text) if (!v.empty()) s += k + "=" + v + " ";
  return s;
}

}  // namespace

TEST(Properties, RandomFeatures) {
  const Model& m = find_model("rf");
  Draw draw;
  for (int i = 0; i < 60; ++i) {
    Point p = defaults(m);
    p.text["activation"] = draw.pick<std::string>({"tanh", "erf", "relu", "sigmoid", "softplus", "gelu", "sign", "hermite:0,1,0.5,0.2"});
    p.text["target"] = draw.pick<std::string>({"linear", "tanh", "relu", "sin", "hermite:0.1,1,0.3"});
    p.number["alpha"] = draw.log_uniform(0.05, 10);
    p.number["beta"] = draw.log_uniform(0.1, 10);
    p.number["lambda"] = draw.log_uniform(1e-6, 100);
    p.number["noise"] = draw.uniform(0, 1);
    check_point(m, p, describe(p));
  }
}

TEST(Properties, SpikedRandomFeatures) {
  const Model& m = find_model("srf");
  Draw draw;
  for (int i = 0; i < 30; ++i) {
    Point p = defaults(m);
    p.text["activation"] = draw.pick<std::string>({"tanh", "erf", "relu", "gelu"});
    p.text["target"] = draw.pick<std::string>({"tanh", "linear", "sin", "relu"});
    p.number["alpha"] = draw.log_uniform(0.1, 5);
    p.number["beta"] = draw.log_uniform(0.25, 4);
    p.number["alpha0"] = draw.log_uniform(0.3, 30);
    p.number["eta"] = draw.uniform(0, 4);
    p.number["lambda"] = draw.log_uniform(1e-3, 10);
    p.number["noise"] = draw.uniform(0, 0.5);
    check_point(m, p, describe(p));
  }
}

TEST(Properties, DeepChain) {
  const Model& m = find_model("deep");
  Draw draw;
  for (int i = 0; i < 30; ++i) {
    Point p = defaults(m);
    const int depth = 1 + static_cast<int>(draw.uniform(0, 3.999));
    std::string widths;
    for (int l = 0; l < depth; ++l) widths += (l ? "," : "") + std::to_string(draw.log_uniform(0.3, 3));
    p.text["widths"] = widths;
    p.text["activations"] = draw.pick<std::string>({"tanh", "erf", "sign", "linear"});
    p.number["alpha"] = draw.log_uniform(0.1, 8);
    p.number["lambda"] = draw.log_uniform(1e-4, 10);
    p.number["noise"] = draw.uniform(0, 1);
    check_point(m, p, describe(p));
  }
}

TEST(Properties, GaussianCovariateConvexLosses) {
  // Classification outputs: error in [0, 1/2], training loss ≥ 0, for random spectra and losses.
  const Model& m = find_model("gcm");
  Draw draw;
  for (int i = 0; i < 12; ++i) {
    Point p = defaults(m);
    p.text["features"] = "deep:" + std::to_string(draw.log_uniform(0.5, 3)) + ":" +
                         draw.pick<std::string>({"tanh", "erf", "relu"}) + ":120:" + std::to_string(i + 1);
    p.text["loss"] = draw.pick<std::string>({"square", "logistic", "hinge"});
    p.text["teacher"] = draw.pick<std::string>({"sign", "probit"});
    p.number["alpha"] = draw.log_uniform(0.2, 5);
    p.number["lambda"] = draw.log_uniform(1e-2, 10);
    p.number["noise"] = p.text["teacher"] == "probit" ? draw.uniform(0, 0.5) : 0.0;
    std::vector<double> warm;
    const PointResult r = m.solve(p, {}, warm);
    ASSERT_TRUE(r.summary.converged) << describe(p) << r.summary.brief();
    const double cls = r.values[2], loss = r.values[3];
    EXPECT_TRUE(cls >= 0.0 && cls <= 0.5) << describe(p);
    EXPECT_GE(loss, 0.0) << describe(p);
    EXPECT_TRUE(std::isfinite(r.values[0])) << describe(p);
    // The reported errors are those of the reported overlaps (equations/gcm/README.md): for a
    // label ±1 with teacher variance ρ + Δ, P(error) = arccos(m/√((ρ+Δ)q))/π and
    // E(y − sign-free ŷ)² = 1 + q − 2m√(2/(π(ρ+Δ))).  A mis-assembled row fails this.
    const double q = r.values[5], mm = r.values[6], rho = r.values[10] + p.number["noise"];
    ASSERT_GT(q, 0.0) << describe(p);
    EXPECT_NEAR(cls, std::acos(std::clamp(mm / std::sqrt(rho * q), -1.0, 1.0)) / M_PI, 1e-10) << describe(p);
    EXPECT_NEAR(r.values[0], 1.0 + q - 2.0 * mm * std::sqrt(2.0 / (M_PI * rho)), 1e-10 * (1.0 + q)) << describe(p);
  }
}

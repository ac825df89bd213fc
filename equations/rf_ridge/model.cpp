#include <map>
#include <cmath>

#include "rf_ridge.hpp"
#include "rmtsolve/montecarlo/memory.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/random_features.hpp"
#include "rmtsolve/montecarlo/ridge_sweep_cache.hpp"

namespace rmtsolve::rf_ridge {
namespace {

Spec spec_of(const Point& pt) {
  Spec s;
  s.activation = make_activation(pt.str("activation"), "activation");
  s.target = make_activation(pt.str("target"), "target");
  s.alpha = pt["alpha"];
  s.beta = pt["beta"];
  s.lambda = pt["lambda"];
  s.noise = pt["noise"];
  return s;
}

class RfModel final : public Model {
 public:
  std::string name() const override { return "rf"; }
  std::string description() const override {
    return "random-features ridge regression (Mei-Montanari), seed-free proportional limit";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"alpha", "alpha = n/d, training samples per input dimension", 1.0, Domain::kPositive},
            {"beta", "beta = p/d, random features per input dimension", 1.0, Domain::kPositive},
            {"lambda", "lambda, ridge on the un-normalised squared loss (convention A, docs/theory/deep.md 1.3)", 1e-2, Domain::kNonNegative},
            {"noise", "Delta, label-noise variance", 0.0, Domain::kNonNegative}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"activation", "student activation sigma", "tanh"},
            {"target", "target link sigma* of <theta,x>/sqrt(d) (hermite:c0,c1,... for any mix)", "linear"}};
  }
  std::vector<std::string> outputs() const override {
    return {"test_error", "train_error", "kappa0", "kappa1", "kappa_star", "f1", "fstar", "df1", "df2", "nu0", "nu1"};
  }
  PointResult solve(const Point& pt, const SolverOptions& options, std::vector<double>&) const override {
    const Result r = rf_ridge::solve(spec_of(pt), options);
    return {{r.test_error, r.train_error, r.student.kappa0, r.student.kappa1, r.student.kappa_star,
             r.target_linear, r.target_nonlinear, r.df1, r.df2, r.nu_in, r.nu_out},
            r.summary};
  }
  bool supports_single_precision() const override { return true; }
  std::map<std::string, std::string> output_help() const override {
    return {{"kappa0", "kappa0 = E sigma(z): the student's mean (z ~ N(0,1))"},
        {"kappa1", "kappa1 = E z sigma(z): its linear coefficient"},
        {"kappa_star", "kappa* = sqrt(Var sigma - kappa1^2): its non-linear part"},
        {"f1", "F1 = E z sigma*(z): the target's linear coefficient (signal F1^2)"},
        {"fstar", "F* = sqrt(Var sigma* - F1^2): the target's non-linear part, acting as noise"},
        {"df1", "df1/n: degrees of freedom sum w/(w + nu1) over the feature spectrum, divided by n"},
        {"df2", "df2/n: sum w^2/(w + nu1)^2 divided by n; 1 - df2/n -> 0 at the interpolation threshold"},
        {"nu0", "nu0: the self-consistent ridge of the input layer of the chain"},
        {"nu1", "nu1 = p kappa: the effective ridge the readout sees"}};
  }
  std::vector<std::string> simulated_outputs() const override { return {"test_error", "train_error"}; }
  std::vector<mc::Estimate> simulate(const Point& pt, const SimulationOptions& o) const override {
    const Spec s = spec_of(pt);
    mc::RandomFeaturesSample sample{s.activation, s.target};
    sample.d = o.d;
    sample.p = size_from_ratio(s.beta, o.d, "beta");
    sample.n = size_from_ratio(s.alpha, o.d, "alpha");
    sample.n_test = o.n_test > 0 ? o.n_test : 4000;
    sample.lambda = s.lambda;
    sample.noise = s.noise;
    sample.single_precision = o.single_precision;
    check_memory(dense_sample_bytes(sample.n, sample.n_test, sample.d, {double(sample.p)}) +
                     mc::RidgePath::bytes_needed(sample.n, sample.p, sample.n_test),
                 o.seeds, "d", name());
    return sweep_cache_.estimates(simulation_key(*this, pt, o), s.lambda, o.lambda_grid, o.seeds,
                                  [&](std::mt19937_64& rng) { return mc::sample_random_features(sample, rng); });
  }

 private:
  mc::RidgeSweepCache sweep_cache_;
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<RfModel>(); }

}  // namespace rmtsolve::rf_ridge

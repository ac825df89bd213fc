#include <cmath>
#include <cstdio>
#include <map>

#include "rmtsolve/montecarlo/memory.hpp"
#include "rmtsolve/core/cache.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/one_step.hpp"
#include "rmtsolve/montecarlo/ridge_sweep_cache.hpp"
#include "srf.hpp"

namespace rmtsolve::srf {
namespace {

Spec spec_of(const rmtsolve::Point& pt) {
  Spec s;
  s.activation = make_activation(pt.str("activation"), "activation");
  s.target = make_activation(pt.str("target"), "target");
  s.alpha0 = pt["alpha0"];
  s.alpha = pt["alpha"];
  s.beta = pt["beta"];
  s.eta = pt["eta"];
  s.lambda = pt["lambda"];
  s.noise = pt["noise"];
  spiked::is_real_network(pt.str("network"));
  parse_spectrum(pt.str("spectrum"));  // refused by every command, not only by the theory
  s.shrink_correction = spiked::is_shrink_correction(pt.str("correction"));
  return s;
}

// Finite networks realise a fraction 1 − 1/(1 + r²p) of the one-step gain (measured,
// docs/theory/srf.md §5): within 5 % from r²p ≥ 19.  No step, no requirement.
double d_min(double r, double beta) { return r > 0.0 ? 19.0 / (r * r * beta) : 0.0; }

class SrfModel final : public Model {
 public:
  std::string name() const override { return "srf"; }
  std::string description() const override {
    return "spiked random features: two-layer network after one large gradient step, ridge readout";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"alpha", "alpha = n/d, readout samples per input dimension", 1.0, Domain::kPositive},
            {"eta", "eta~, first-step size (eta = eta~ sqrt(p), maximal scaling)", 1.0, Domain::kNonNegative},
            {"alpha0", "alpha0 = n0/d, first-step batch per input dimension", 2.0, Domain::kNonNegative},
            {"beta", "beta = p/d, hidden units per input dimension", 1.0, Domain::kPositive},
            {"lambda", "lambda, readout ridge on the un-normalised loss", 1e-2, Domain::kNonNegative},
            {"noise", "Delta, label-noise variance (both batches)", 0.0, Domain::kNonNegative}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"activation", "student activation sigma (differentiable)", "tanh"},
            {"target", "target link sigma* of <theta,x>/sqrt(d)", "tanh"},
            {"correction", "network-to-sRF mapping for non-odd sigma: shrink (docs/theory/srf.md 1.3) or none", "shrink"},
            {"spectrum", "seed-free (Marchenko-Pastur) or sampled:D:SEED (one drawn W0 and spike)", "seed-free"},
            {"network", "Monte Carlo: real (one-step network) or spiked (idealised sRF model)", "real"}};
  }
  std::vector<std::string> outputs() const override {
    return {"test_error", "train_error", "r", "c", "gamma", "V1", "V2", "q1", "q2", "tau", "psi", "m", "d_min"};
  }
  PointResult solve(const rmtsolve::Point& pt, const SolverOptions& options, std::vector<double>& warm) const override {
    const Spec spec = spec_of(pt);
    const SpectrumChoice choice = parse_spectrum(pt.str("spectrum"));
    Eigen::VectorXd state = Eigen::Map<const Eigen::VectorXd>(warm.data(), static_cast<Eigen::Index>(warm.size()));
    Result r;
    if (choice.sampled) {
      const Mapping m = map_network(spec);
      const auto spectrum = sampled_spectrum(choice, spec.beta, m.c);
      r = srf::solve(spec, options, &m, spectrum.get(), &state);
    } else {
      r = srf::solve(spec, options, nullptr, nullptr, &state);
    }
    warm.assign(state.data(), state.data() + state.size());
    return {{r.test_error, r.train_error, r.mapping.r, r.mapping.c, r.mapping.gamma, r.V1, r.V2, r.q1, r.q2, r.tau,
             r.psi, r.m, d_min(r.mapping.r, spec.beta)},
            r.summary};
  }
  std::map<std::string, std::string> output_help() const override {
    auto help = spiked::output_help();
    help["d_min"] = "smallest d at which a finite network keeps at most 5 % of the one-step gain unrealised: "
                    "19/(r^2 beta), from the measured 1/(1 + r^2 p) (docs/theory/srf.md 5); 0 without a step";
    return help;
  }
  std::string regime_note(const rmtsolve::Point& pt, const SimulationOptions& o) const override {
    const Spec spec = spec_of(pt);
    if (spec.eta == 0.0) return {};
    const double r = map_network(spec).r, p = spec.beta * o.d, missing = 1.0 / (1.0 + r * r * p);
    if (missing <= 0.05) return {};
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "small step: r^2 p = %.3g, so a network of this size is expected to leave about %.0f %% of the "
                  "one-step gain unrealised (1/(1 + r^2 p), docs/theory/srf.md 5); the proportional-limit curve "
                  "needs d >= %.3g here",
                  r * r * p, 100.0 * missing, d_min(r, spec.beta));
    return buf;
  }
  bool supports_single_precision() const override { return true; }
  std::vector<std::string> simulated_outputs() const override { return {"test_error", "train_error"}; }
  std::vector<mc::Estimate> simulate(const rmtsolve::Point& pt, const SimulationOptions& o) const override {
    const Spec spec = spec_of(pt);
    const std::string& network = pt.str("network");
    const Activation &sigma = spec.activation, &link = spec.target;
    const int p = size_from_ratio(spec.beta, o.d, "beta");
    const int n = size_from_ratio(spec.alpha, o.d, "alpha");
    const int n_test = o.n_test > 0 ? o.n_test : 4000;
    check_memory(dense_sample_bytes(n, n_test, o.d, {double(p)}) + mc::RidgePath::bytes_needed(n, p, n_test), o.seeds,
                 "d", name());
    if (network == "real") {
      mc::OneStepSample s{sigma, link, o.d, p, size_from_ratio(spec.alpha0, o.d, "alpha0", 0), n, n_test,
                          spec.eta, spec.lambda, spec.noise};
      s.single_precision = o.single_precision;
      return sweep_cache_.estimates(simulation_key(*this, pt, o), spec.lambda, o.lambda_grid, o.seeds,
                                    [&](std::mt19937_64& rng) { return mc::sample_one_step_network(s, rng); });
    }
    if (network == "spiked") {
      const Mapping m = map_network(spec);
      mc::SpikedSample s{sigma, link, o.d, p, n, n_test, m.r, m.c, m.gamma, spec.lambda, spec.noise};
      s.single_precision = o.single_precision;
      return sweep_cache_.estimates(simulation_key(*this, pt, o), spec.lambda, o.lambda_grid, o.seeds,
                                    [&](std::mt19937_64& rng) { return mc::sample_spiked_features(s, rng); });
    }
    throw InvalidInput("network", "must be real or spiked, got '" + network + "'");
  }
  /// docs/theory/srf.md §1.3, §8.5: the idealised sRF model agrees with the theory to ≈1–3 % at d = 1000–2000;
  /// the real one-step network sits 2–8 % *above* it at every size tested (the sRF is a model of
  /// the network, not its exact limit).  The verdict encodes both, one-sided for the network.
  Allowance finite_size_allowance(const rmtsolve::Point& pt) const override {
    if (pt.str("network") == "real") return {0.03, 0.05};
    return {0.03, 0.03};
  }

 private:
  std::shared_ptr<const SampledSpectrum> sampled_spectrum(const SpectrumChoice& choice, double beta, double c) const {
    const int p = size_from_ratio(beta, choice.d, "beta");
    const std::string key = std::to_string(choice.d) + ":" + std::to_string(p) + ":" + std::to_string(choice.seed) +
                            ":" + std::to_string(c);
    return cache_.get(key, [&] {
      std::mt19937_64 rng(choice.seed);
      return sample_spectrum(choice.d, p, c, rng);
    });
  }
  LastValueCache<SampledSpectrum> cache_;
  mc::RidgeSweepCache sweep_cache_;
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<SrfModel>(); }

}  // namespace rmtsolve::srf

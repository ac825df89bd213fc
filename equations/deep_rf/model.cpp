#include <map>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "deep_rf.hpp"
#include "rmtsolve/numerics/matrix_checks.hpp"
#include "rmtsolve/montecarlo/memory.hpp"
#include "rmtsolve/core/cache.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/deep_features.hpp"
#include "rmtsolve/montecarlo/ridge_sweep_cache.hpp"

namespace rmtsolve::deep_rf {
namespace {

// Layers (and the decomposed row covariances of file:/spectrum: weights) per distinct text: a
// sweep or a multi-seed simulation reads and decomposes C once.
std::vector<Layer> layers_of(const rmtsolve::Point& pt) {
  static const LastValueCache<std::vector<Layer>> cache;
  const std::string& w = pt.str("widths");
  const std::string& a = pt.str("activations");
  const std::string& m = pt.str("weights");
  // A file rewritten under the same name (a Python session, a test) must not hit a stale entry.
  std::string key = w + "\n" + a + "\n" + m;
  for (const std::string& prefix : {std::string("file:"), std::string("spectrum:")})
    for (size_t at = m.find(prefix); at != std::string::npos; at = m.find(prefix, at + 1)) {
      const std::string path = m.substr(at + prefix.size(), m.find(',', at) - at - prefix.size());
      std::error_code ec;
      const auto stamp = std::filesystem::last_write_time(path, ec);
      const auto size = std::filesystem::file_size(path, ec);
      key += "\n" + std::to_string(stamp.time_since_epoch().count()) + ":" + std::to_string(size);
    }
  std::vector<Layer> layers = *cache.get(key, [&] { return parse_layers(w, a, m); });
  // Parsed afresh (cheap): a Python function re-registered under its old name must not be served stale.
  const std::vector<Activation> acts = parse_activations(a, layers.size());
  for (size_t i = 0; i < layers.size(); ++i) layers[i].activation = acts[i];
  return layers;
}

Spec spec_of(const rmtsolve::Point& pt) {
  Spec s;
  s.layers = layers_of(pt);
  s.target = make_activation(pt.str("target"), "target");
  s.teacher_width = pt["teacher_width"];
  s.alpha = pt["alpha"];
  s.lambda = pt["lambda"];
  s.noise = pt["noise"];
  const std::string& input = pt.str("input");
  if (input != "identity") s.input_spectrum = require_vector(read_matrix(input, "input"), "input");
  const std::string& method = pt.str("method");
  if (method == "chain") s.method = Method::kChain;
  else if (parse_size_and_seed(method, "drawn", s.d, s.seed)) s.method = Method::kDrawn;
  else {
    throw InvalidInput("method", "must be chain or drawn:D:SEED, got '" + method + "'");
  }
  const std::string& lin = pt.str("linearisation");
  if (lin != "offsets" && lin != "plain") throw InvalidInput("linearisation", "must be offsets or plain, got '" + lin + "'");
  s.linearisation = lin == "offsets" ? Linearisation::kOffsets : Linearisation::kPlain;
  return s;
}

class DeepModel final : public Model {
 public:
  std::string name() const override { return "deep"; }
  std::string description() const override {
    return "ridge readout on deep random or structured features (seed-free chain or drawn weights)";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"alpha", "alpha = n/d, samples per input dimension", 1.0, Domain::kPositive},
            {"lambda", "lambda, ridge on the un-normalised loss (convention A, docs/theory/deep.md 1.3)", 1e-2, Domain::kNonNegative},
            {"noise", "Delta, label-noise variance", 0.0, Domain::kNonNegative},
            {"teacher_width", "k*/d of a random-features teacher (0: single-index teacher)", 0.0, Domain::kNonNegative}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"widths", "k_l/d per layer, comma list (depth = its length)", "1"},
            {"activations", "activation per layer (one for all, or a comma list)", "tanh"},
            {"weights", "weights per layer: gaussian, orthogonal, file:C.npy (row covariance) or spectrum:eig.npy (diagonal C)", "gaussian"},
            {"target", "teacher link sigma*", "linear"},
            {"input", "input covariance: identity, or a file of the eigenvalues of a diagonal Sigma", "identity"},
            {"method", "chain (seed-free, i.i.d. Gaussian weights) or drawn:D:SEED (one drawn network)", "chain"},
            {"linearisation", "drawn networks: offsets (per-neuron, docs/theory/deep.md 2.3.3) or plain", "offsets"}};
  }
  std::vector<std::string> outputs() const override {
    return {"test_error", "train_error", "df1", "df2", "depth", "r_last", "kappa0_last", "kappa1_last", "kappa_star_last"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"df1", "df1/n: degrees of freedom sum w/(w + kappa) over the last layer's feature spectrum, divided by n"},
            {"df2", "df2/n: sum w^2/(w + kappa)^2 divided by n; 1 - df2/n -> 0 at the interpolation threshold"},
            {"depth", "L: number of hidden layers (the length of --widths)"},
            {"r_last", "r_L: pre-activation variance of the last hidden layer"},
            {"kappa0_last", "kappa0 = E sigma_L(sqrt(r_L) z): the last layer's mean"},
            {"kappa1_last", "kappa1: the last layer's linear coefficient"},
            {"kappa_star_last", "kappa*: the last layer's non-linear part"}};
  }
  PointResult solve(const rmtsolve::Point& pt, const SolverOptions& options, std::vector<double>&) const override {
    const Spec spec = spec_of(pt);
    const Result r = spec.method == Method::kDrawn ? deep_rf::solve(spec, options, drawn(pt, spec).get())
                                                   : deep_rf::solve(spec, options);
    const LayerReport& last = r.layers.back();
    return {{r.test_error, r.train_error, r.df1, r.df2, double(r.layers.size()), last.r, last.kappa0, last.kappa1,
             last.kappa_star},
            r.summary};
  }
  bool supports_single_precision() const override { return true; }
  std::vector<std::string> simulated_outputs() const override { return {"test_error", "train_error"}; }
  std::vector<mc::Estimate> simulate(const rmtsolve::Point& pt, const SimulationOptions& o) const override {
    const Spec s = spec_of(pt);
    mc::DeepSample sample;
    sample.d = o.d;
    for (const Layer& l : s.layers)
      sample.layers.push_back({l.activation, l.weights, size_from_ratio(l.width, o.d, "widths")});
    sample.link = s.target;
    sample.n = size_from_ratio(s.alpha, o.d, "alpha");
    sample.n_test = o.n_test > 0 ? o.n_test : 4000;
    sample.teacher_width = size_from_ratio(s.teacher_width, o.d, "teacher_width", 0);
    sample.estimator.lambda = s.lambda;
    sample.noise = s.noise;
    sample.single_precision = o.single_precision;
    if (s.input_spectrum.size()) {
      if (s.input_spectrum.size() != o.d)
        throw InvalidInput("input", "has " + std::to_string(s.input_spectrum.size()) + " eigenvalues but --d is " + std::to_string(o.d));
      sample.input_sd = s.input_spectrum.cwiseSqrt();
    }
    std::vector<double> widths;
    for (const auto& l : sample.layers) widths.push_back(l.width);
    check_memory(dense_sample_bytes(sample.n, sample.n_test, sample.d, widths) +
                     mc::RidgePath::bytes_needed(sample.n, sample.layers.back().width, sample.n_test),
                 o.seeds, "d", name());
    return sweep_cache_.estimates(simulation_key(*this, pt, o), s.lambda, o.lambda_grid, o.seeds,
                                  [&](std::mt19937_64& rng) { return mc::sample_deep_features(sample, rng); });
  }
  /// Chain: finite-size bias ≲ 1 % at d = 400 (docs/theory/deep.md §6).  Drawn: one draw of the weights
  /// against Monte Carlo that redraws them, 1–4 % between draws at d = 400 (docs/theory/deep.md §3.8).
  Allowance finite_size_allowance(const rmtsolve::Point& pt) const override {
    if (pt.str("method") == "chain") return {0.03, 0.03};
    return {0.05, 0.05};
  }

 private:
  // One drawn network per distinct structure: a sweep over α, λ or Δ reuses it.
  std::shared_ptr<const DrawnNetwork> drawn(const rmtsolve::Point& pt, const Spec& spec) const {
    std::string key;
    for (const char* name : {"widths", "activations", "weights", "target", "input", "method", "linearisation"})
      key += pt.str(name) + "\n";
    key += std::to_string(pt["teacher_width"]);
    return cache_.get(key, [&] { return draw_network(spec); });
  }
  LastValueCache<DrawnNetwork> cache_;
  mc::RidgeSweepCache sweep_cache_;
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<DeepModel>(); }

}  // namespace rmtsolve::deep_rf

#include <map>
#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>

#include "nfa.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/feature_learning.hpp"
#include "rmtsolve/montecarlo/readout.hpp"
#include "rmtsolve/montecarlo/run_cache.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::nfa {
namespace {

constexpr long kMaxSteps = 1000000000;
constexpr long kInterruptCheck = 256;   // steps between interrupt checks
constexpr double kCacheBudget = 2e9;    // bytes of kept trajectories, all keys and seeds
constexpr int kDefaultTestSamples = 1000;

struct Spec {
  long step = 0;
  int n = 0, n_test = 0, d = 0, width = 0, depth = 1, layer = 1;
  double lr = 0.0, lr_ratio = 1.0, kappa = 1.0, sigma = 1.0, noise = 0.0, power = 1.0;
  Activation phi;
  std::optional<Activation> link;  // σ* of a single-index target; empty: y = x0 x1
  mc::Optimizer optimizer = mc::Optimizer::kGradientDescent;
};

int parse_layer(const std::string& text, int depth) {
  if (text == "last") return depth;
  std::size_t used = 0;
  int layer = 0;
  try {
    layer = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || layer < 1 || layer > depth)
    throw InvalidInput("layer", "must be a layer number 1.." + std::to_string(depth) + " or 'last', got '" + text + "'");
  return layer;
}

Spec spec_of(const Point& pt, const SimulationOptions& o) {
  Spec s;
  const double step = pt["step"];
  if (step != std::floor(step) || step > kMaxSteps) throw InvalidInput("step", "must be a whole number of steps up to 1e9");
  s.step = static_cast<long>(step);
  s.d = o.d;
  s.n = size_from_ratio(pt["alpha"], o.d, "alpha");
  s.n_test = o.n_test > 0 ? o.n_test : kDefaultTestSamples;
  s.width = static_cast<int>(pt["width"]);
  s.depth = static_cast<int>(pt["depth"]);
  s.layer = parse_layer(pt.str("layer"), s.depth);
  s.lr = pt["lr"];
  s.lr_ratio = pt["lr_ratio"];
  s.kappa = pt["kappa"];
  s.sigma = pt["sigma"];
  s.noise = pt["noise"];
  s.power = pt["power"];
  s.phi = make_activation(pt.str("activation"), "activation");
  if (!s.phi.df) throw InvalidInput("activation", "'" + s.phi.name + "' has no derivative; gradient training needs one");
  const std::string& target = pt.str("target");
  if (target == "x0x1" && s.d < 2) throw InvalidInput("target", "x0x1 needs d >= 2");
  if (target != "x0x1") s.link = make_activation(target, "target");
  s.optimizer = mc::parse_optimizer(pt.str("optimizer"));
  return s;
}

// Inputs x ~ N(0, I_d) and labels y = x₀x₁ or σ*(⟨θ, x⟩/√d) with ‖θ‖² = d, plus √Δ ε.
struct Dataset {
  Eigen::MatrixXd X, X_test;
  Eigen::VectorXd y, y_test;
};

Dataset draw_dataset(const Spec& s, std::mt19937_64& rng) {
  Dataset data;
  if (!s.link) {
    auto labels = [&](const Eigen::MatrixXd& X) {
      Eigen::VectorXd y = X.col(0).cwiseProduct(X.col(1));
      if (s.noise > 0.0) y += std::sqrt(s.noise) * mc::gaussian_matrix(X.rows(), 1, rng);
      return y;
    };
    data.X = mc::gaussian_matrix(s.n, s.d, rng);
    data.y = labels(data.X);
    data.X_test = mc::gaussian_matrix(s.n_test, s.d, rng);
    data.y_test = labels(data.X_test);
    return data;
  }
  const mc::Teacher teacher{&*s.link, mc::random_direction(s.d, rng), s.noise};
  data.X = mc::gaussian_matrix(s.n, s.d, rng);
  data.y = teacher.labels(data.X, rng);
  data.X_test = mc::gaussian_matrix(s.n_test, s.d, rng);
  data.y_test = teacher.labels(data.X_test, rng);
  return data;
}

// One seed's trajectory: kept between the points of a step sweep and resumed.
struct SeedRun {
  std::unique_ptr<mc::MlpTrainer> trainer;
  std::unique_ptr<mc::FeatureLearningMonitor> monitor;
  mc::EarlyCnfaPrediction prediction;
  double bytes() const {
    const auto n = static_cast<double>(trainer->inputs().rows());
    return trainer->bytes() + 8.0 * n * n;  // Θ(0)
  }
};

std::unique_ptr<SeedRun> start_run(const Spec& s, std::mt19937_64& rng) {
  Dataset data = draw_dataset(s, rng);
  const mc::Mlp initial =
      mc::standard_mlp(s.phi, s.d, std::vector<int>(static_cast<size_t>(s.depth), s.width), {s.sigma}, s.kappa, rng);
  auto run = std::make_unique<SeedRun>();
  run->prediction = mc::predict_early_cnfa(initial, data.X, data.y, s.layer, s.power);
  mc::TrainingOptions options;
  options.optimizer = s.optimizer;
  options.learning_rates.assign(static_cast<size_t>(s.depth), s.lr);
  options.learning_rates.push_back(s.lr * s.lr_ratio);
  run->trainer = std::make_unique<mc::MlpTrainer>(initial, std::move(data.X), std::move(data.y), options);
  run->monitor = std::make_unique<mc::FeatureLearningMonitor>(*run->trainer, mc::DiagnosticOptions{s.power},
                                                              std::move(data.X_test), std::move(data.y_test));
  return run;
}


std::vector<double> outputs_of(const mc::Diagnostics& d, const mc::EarlyCnfaPrediction& p, int layer) {
  const mc::LayerDiagnostics& l = d.layers[static_cast<size_t>(layer - 1)];
  return {d.train_loss,       d.test_loss,       l.nfa.pearson,     l.nfa.cosine,
          l.cnfa.pearson,     l.cnfa.cosine,     l.weight_change,   d.kernel_distance,
          d.kernel_alignment, p.finite.pearson,  p.infinite.pearson, p.infinite_no_f0.pearson};
}

class NfaModel final : public Model {
 public:
  std::string name() const override { return "nfa"; }
  std::string description() const override {
    return "feature learning of a bias-free MLP trained by full-batch GD/Adam: NFA, C-NFA, NTK change, early-time "
           "C-NFA (Beaglehole et al.); Monte Carlo only (simulate), input dimension --d";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"step", "t, gradient steps (a grid trains each seed once and measures at every step)", 100, Domain::kNonNegative},
            {"alpha", "alpha = n/d, training samples per input dimension", 2.0, Domain::kPositive},
            {"width", "k, width of every hidden layer", 256, Domain::kPositiveInteger},
            {"depth", "L, number of hidden layers (at most 1000)", 1, Domain::kPositiveInteger, 1000},
            {"lr", "eta, learning rate of the hidden layers (loss 1/2 mean squared error)", 0.02, Domain::kPositive},
            {"lr_ratio", "eta_a/eta, readout learning rate relative to lr (0 freezes the readout)", 1.0, Domain::kNonNegative},
            {"kappa", "kappa, output scale in f = kappa a.phi(...)", 1.0, Domain::kPositive},
            {"sigma", "sigma, initial std: W ~ N(0, sigma^2/fan_in), a ~ N(0, sigma^2/k)", 1.0, Domain::kPositive},
            {"noise", "Delta, label-noise variance", 0.0, Domain::kNonNegative},
            {"power", "s, AGOP power in rho(NFM, AGOP^s)", 1.0, Domain::kPositive}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"activation", "phi, hidden activation (differentiable a.e.)", "relu"},
            {"optimizer", "gd (full-batch gradient descent) or adam", "gd"},
            {"target", "x0x1 (y = x_0 x_1), or a link sigma* of <theta,x>/sqrt(d) (linear, tanh, hermite:...)", "x0x1"},
            {"layer", "layer whose NFA, C-NFA and prediction are reported: 1..L or last", "1"}};
  }
  std::vector<std::string> outputs() const override { return simulated_outputs(); }
  PlotHint plot_hint(const Point&) const override {
    return {{{{"nfa_pearson", "cnfa_pearson", "cnfa_pred"}, "Pearson correlation (NFA, C-NFA, early-time C-NFA)"},
             {{"train_loss", "test_loss"}, "loss (½ mean squared error)", true},
             {{"kernel_distance", "weight_change"}, "change from initialisation"}}};
  }
  PointResult solve(const Point&, const SolverOptions&, std::vector<double>&) const override {
    throw InvalidInput("model", "nfa has no theory curve; use 'rmtsolve simulate nfa'");
  }
  std::vector<std::string> simulated_outputs() const override {
    return {"train_loss",       "test_loss",     "nfa_pearson",    "nfa_cosine",   "cnfa_pearson",   "cnfa_cosine",
            "weight_change",    "kernel_distance", "kernel_alignment", "cnfa_pred", "cnfa_pred_inf", "cnfa_pred_inf_no_f0"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"train_loss", "half the mean squared error on the training set"},
            {"test_loss", "half the mean squared error on n_test fresh samples"},
            {"nfa_pearson", "NFA: Pearson correlation of the NFM W^T W and the AGOP (W^T K W)^s of --layer"},
            {"nfa_cosine", "NFA: cosine similarity of the NFM and the AGOP"},
            {"cnfa_pearson", "C-NFA: Pearson correlation of dW^T dW and (dW^T K dW)^s, dW = W - W(0); empty at step 0"},
            {"cnfa_cosine", "C-NFA: cosine similarity of the same matrices"},
            {"weight_change", "|W - W(0)|_F/|W|_F of --layer"},
            {"kernel_distance", "S(0, t) = 1 - <Theta_0, Theta_t>_F/(|Theta_0|_F |Theta_t|_F) of the empirical NTK"},
            {"kernel_alignment", "kernel-target alignment y^T Theta_t y/(|Theta_t|_F |y|^2)"},
            {"cnfa_pred", "early-time C-NFA predicted from the network at initialisation (Pearson)"},
            {"cnfa_pred_inf", "the same with the infinite-width ReLU kernel; one-layer ReLU only, NaN otherwise"},
            {"cnfa_pred_inf_no_f0", "cnfa_pred_inf with the initial output ignored (r = -y)"}};
  }
  std::vector<mc::Estimate> simulate(const Point& pt, const SimulationOptions& o) const override {
    const Spec s = spec_of(pt, o);
    std::lock_guard<std::mutex> lock(mutex_);
    auto& runs = cache_.runs(simulation_key(*this, pt, o, "step"), std::max(1, o.seeds.seeds));
    std::vector<std::vector<double>> per_seed(runs.size());
    try {
      mc::for_each_seed(o.seeds, [&](std::mt19937_64& rng, int i) {
        auto& run = runs[static_cast<size_t>(i)];
        if (!run || run->trainer->step() > s.step) run = start_run(s, rng);
        mc::advance_with_interrupts(*run->trainer, s.step, kInterruptCheck);
        per_seed[static_cast<size_t>(i)] = outputs_of(run->monitor->measure(*run->trainer), run->prediction, s.layer);
      });
    } catch (...) {
      cache_.trim();
      throw;
    }
    cache_.trim();
    return mc::summarize(per_seed);
  }

 private:
  mutable std::mutex mutex_;
  mutable mc::RunCache<SeedRun> cache_{kCacheBudget};
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<NfaModel>(); }

}  // namespace rmtsolve::nfa

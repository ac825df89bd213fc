#include <map>
#include <cmath>

#include "equations/kernels/predict.hpp"
#include "krr.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/readout.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

namespace rmtsolve::krr {
namespace {

Spec spec_of(const Point& pt) {
  Spec s;
  s.activation = kernels::make_dual(pt.str("activation"), "activation");
  s.target = make_activation(pt.str("target"), "target");
  s.kernel = pt.str("kernel");
  const std::string& training = pt.str("training");
  if (training != "converged" && training != "flow")
    throw InvalidInput("training", "must be converged (kernel ridge regression) or flow, got '" + training + "'");
  s.flow = training == "flow";
  s.depth = static_cast<int>(pt["depth"]);
  s.w_std = pt["w_std"];
  s.b_std = pt["b_std"];
  s.alpha = pt["alpha"];
  s.lambda = pt["lambda"];
  s.noise = pt["noise"];
  s.tau = pt["time"];
  return s;
}

// One finite problem: n training and n_test fresh samples, the exact kernel of the architecture
// (not its linearisation), and the ensemble-mean predictor of neural-tangents' predict functions.
std::vector<double> simulate_once(const Spec& s, const kernels::Architecture& arch, int d, int n, int n_test,
                                  std::mt19937_64& rng) {
  const mc::Teacher teacher{&s.target, mc::random_direction(d, rng), s.noise};
  Eigen::MatrixXd X_all = mc::gaussian_matrix(n + n_test, d, rng);
  const Eigen::VectorXd y_all = teacher.labels(X_all, rng);
  const Eigen::MatrixXd X = X_all.topRows(n);
  throw_if_interrupted();
  const kernels::KernelPair train = kernels::nngp_ntk(arch, X);
  throw_if_interrupted();
  const kernels::KernelPair across = kernels::nngp_ntk(arch, X_all, X);
  throw_if_interrupted();
  kernels::KernelBlocks blocks;
  blocks.nngp_dd = train.nngp;
  blocks.nngp_td = across.nngp;
  blocks.ntk_dd = train.ntk;
  blocks.ntk_td = across.ntk;
  const auto mode = s.kernel == "ntk" ? kernels::KernelMode::kNtk : kernels::KernelMode::kNngp;
  kernels::PredictionOptions options;
  options.ridge = s.lambda;
  options.covariance = false;
  const Eigen::MatrixXd Y = y_all.head(n);
  // τ = η t/n: neural-tangents' flow runs on the loss 1/(2n) Σ (f − y)², i.e. in time t = τ n.
  const kernels::Prediction p = s.flow ? kernels::predict_gd_mse(mode, blocks, Y, {s.tau * n}, options)
                                       : kernels::predict_gp(mode, blocks, Y, options);
  throw_if_interrupted();
  if (!p.summary.converged) throw std::runtime_error("kernel predictor failed: " + p.summary.message);
  const Eigen::VectorXd residual = y_all - p.mean.front().col(0);
  return {residual.tail(n_test).squaredNorm() / n_test, residual.head(n).squaredNorm() / n};
}

class KrrModel final : public Model {
 public:
  std::string name() const override { return "krr"; }
  std::string description() const override {
    return "kernel ridge regression / kernel gradient flow with a deep network's NTK or NNGP, proportional limit";
  }
  std::vector<NumberParameter> numbers() const override {
    return {{"alpha", "alpha = n/d, training samples per input dimension", 1.0, Domain::kPositive},
            {"lambda", "lambda, ridge on the kernel: f = k(x,X)(K + lambda I)^-1 y", 1e-2, Domain::kNonNegative},
            {"noise", "Delta, label-noise variance", 0.0, Domain::kNonNegative},
            {"time", "tau = eta t / n, gradient-flow time (with --training flow)", 1.0, Domain::kPositive},
            {"depth", "L, hidden layers of the network whose kernel is used (at most 1000)", 1.0, Domain::kPositiveInteger, 1000},
            {"w_std", "W_std of every layer (NTK parametrisation)", 1.0, Domain::kNonNegative},
            {"b_std", "b_std of every layer; 0 = no bias", 0.0, Domain::kNonNegative}};
  }
  std::vector<TextParameter> texts() const override {
    return {{"activation", "phi of the network (closed-form duals: relu, erf, gelu, sign, sin, cos, polynomials, ...)", "relu"},
            {"target", "target link sigma* of <theta,x>/sqrt(d) (hermite:c0,c1,... for any mix)", "linear"},
            {"kernel", "ntk (all layers trained) or nngp (readout only)", "ntk"},
            {"training", "converged (kernel ridge regression) or flow (gradient flow to --time)", "converged"}};
  }
  std::vector<std::string> outputs() const override {
    return {"test_error", "train_error", "bias", "variance", "kappa0", "kappa1", "kappa_star", "effective_ridge"};
  }
  std::map<std::string, std::string> output_help() const override {
    return {{"bias", "bias term of E_test (E_test = bias + variance + label noise)"},
            {"variance", "variance term of E_test"},
            {"kappa0", "kappa0 = k(0) of the kernel's linearisation K ~ kappa0 11^T + kappa1 XX^T/d + kappa* I"},
            {"kappa1", "kappa1 = k'(0) of the kernel's linearisation"},
            {"kappa_star", "kappa* = k(1) - k(0) - k'(0), the implicit ridge"},
            {"effective_ridge", "(kappa* + lambda)/kappa1: the ridge the linearised estimator sees"}};
  }
  PointResult solve(const Point& pt, const SolverOptions&, std::vector<double>&) const override {
    const Result r = krr::solve(spec_of(pt));
    return {{r.test_error, r.train_error, r.bias, r.variance, r.constants.kappa0, r.constants.kappa1,
             r.constants.kappa_star, r.effective_ridge},
            r.summary};
  }
  std::vector<std::string> simulated_outputs() const override { return {"test_error", "train_error"}; }
  std::vector<mc::Estimate> simulate(const Point& pt, const SimulationOptions& o) const override {
    const Spec s = spec_of(pt);
    krr::solve(s);  // InvalidInput before any thread starts
    const kernels::Architecture arch = architecture_of(s);
    const int n = size_from_ratio(s.alpha, o.d, "alpha", 2);
    const int n_test = o.n_test > 0 ? o.n_test : 1000;
    return mc::run_seeds(o.seeds, [&](std::mt19937_64& rng) { return simulate_once(s, arch, o.d, n, n_test, rng); });
  }
  /// The exact kernel differs from its linearisation by O(1/√d) terms (El Karoui 2010); measured
  /// gaps at d = 400 are in README.md.
  Allowance finite_size_allowance(const Point&) const override { return {0.03, 0.03}; }
};

}  // namespace

std::unique_ptr<Model> make_model() { return std::make_unique<KrrModel>(); }

}  // namespace rmtsolve::krr

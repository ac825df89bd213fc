#include "rmtsolve/montecarlo/mlp.hpp"

#include <cmath>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {
namespace {

// φ and φ′ of the pre-activations in `Z` (n × k, overwritten by φ(h)); `S` receives φ′(h).  For
// the common activations φ′ is a vectorised function of φ(h): one std::function call per entry
// was a quarter of a training step.
void activate(const Activation& phi, Eigen::MatrixXd& Z, Eigen::MatrixXd& S) {
  if (phi.name == "linear") {
    S.setOnes();
    return;
  }
  if (phi.name == "relu" || phi.name == "tanh") {
    apply_activation(phi, Z);
    if (phi.name == "relu")
      S.array() = (Z.array() > 0.0).cast<double>();
    else
      S.array() = 1.0 - Z.array().square();
    return;
  }
  const double* h = Z.data();
  double* s = S.data();
  for (Eigen::Index i = 0; i < Z.size(); ++i) s[i] = phi.df(h[i]);
  apply_activation(phi, Z);
}

// Per-layer values from "one for all" or "one per layer (ℓ = 1…L, then the readout)".
std::vector<double> per_layer(const std::vector<double>& values, int depth, const char* parameter) {
  const auto layers = static_cast<size_t>(depth) + 1;
  if (values.size() == 1) return std::vector<double>(layers, values.front());
  if (values.size() != layers)
    throw InvalidInput(parameter, "needs one value or " + std::to_string(layers) + " (one per layer and the readout), got " +
                                      std::to_string(values.size()));
  return values;
}

MlpGradient zeros_like(const Mlp& net) {
  MlpGradient g;
  for (const auto& w : net.W) g.W.push_back(Eigen::MatrixXd::Zero(w.rows(), w.cols()));
  g.a = Eigen::VectorXd::Zero(net.a.size());
  return g;
}

}  // namespace

Eigen::VectorXd Mlp::output(const Eigen::MatrixXd& X) const {
  MlpPass pass;
  pass.forward(*this, X);
  return pass.output();
}

void Mlp::validate() const {
  if (W.empty()) throw InvalidInput("weights", "need at least one hidden layer");
  for (size_t l = 0; l < W.size(); ++l) {
    if (W[l].size() == 0) throw InvalidInput("weights", "W_" + std::to_string(l + 1) + " is empty");
    if (l > 0 && W[l].cols() != W[l - 1].rows())
      throw InvalidInput("weights", "W_" + std::to_string(l + 1) + " has " + std::to_string(W[l].cols()) +
                                        " columns but layer " + std::to_string(l) + " has width " + std::to_string(W[l - 1].rows()));
    if (!W[l].allFinite()) throw InvalidInput("weights", "W_" + std::to_string(l + 1) + " has non-finite entries");
  }
  if (a.size() != W.back().rows())
    throw InvalidInput("weights", "readout a has " + std::to_string(a.size()) + " entries for a last width of " +
                                      std::to_string(W.back().rows()));
  if (!a.allFinite()) throw InvalidInput("weights", "readout a has non-finite entries");
  if (!std::isfinite(kappa) || kappa == 0.0) throw InvalidInput("kappa", "must be finite and non-zero");
  if (!activation.f || !activation.df)
    throw InvalidInput("activation", "'" + activation.name + "' has no derivative; gradient training needs one");
}

Mlp standard_mlp(const Activation& phi, int d, const std::vector<int>& widths, const std::vector<double>& init_std,
                 double kappa, std::mt19937_64& rng) {
  if (d < 1) throw InvalidInput("d", "must be a positive whole number");
  if (widths.empty()) throw InvalidInput("widths", "need at least one hidden layer");
  const std::vector<double> sigma = per_layer(init_std, static_cast<int>(widths.size()), "sigma");
  for (double s : sigma)
    if (!(s >= 0.0) || !std::isfinite(s)) throw InvalidInput("sigma", "initial standard deviations must be finite and >= 0");
  Mlp net;
  net.activation = phi;
  net.kappa = kappa;
  Eigen::Index fan_in = d;
  for (size_t l = 0; l < widths.size(); ++l) {
    if (widths[l] < 1) throw InvalidInput("widths", "every width must be a positive whole number");
    net.W.push_back(gaussian_matrix(widths[l], fan_in, rng, sigma[l] / std::sqrt(static_cast<double>(fan_in))));
    fan_in = widths[l];
  }
  net.a = gaussian_matrix(fan_in, 1, rng, sigma.back() / std::sqrt(static_cast<double>(fan_in)));
  net.validate();
  return net;
}

void MlpPass::forward(const Mlp& net, const Eigen::MatrixXd& X) {
  const auto depth = static_cast<size_t>(net.depth());
  X_ = &X;
  Z_.resize(depth);
  S_.resize(depth);
  D_.resize(depth);
  for (size_t l = 0; l < depth; ++l) {
    const Eigen::MatrixXd& input = l == 0 ? X : Z_[l - 1];
    Z_[l].resize(X.rows(), net.W[l].rows());  // no-ops once sized
    S_[l].resize(X.rows(), net.W[l].rows());
    Z_[l].noalias() = input * net.W[l].transpose();
    activate(net.activation, Z_[l], S_[l]);
  }
  f_.resize(X.rows());
  f_.noalias() = net.kappa * (Z_.back() * net.a);
}

void MlpPass::backward(const Mlp& net, const Eigen::VectorXd& e) {
  const auto depth = static_cast<size_t>(net.depth());
  // ∂f/∂h_L = κ a ⊙ φ′(h_L); ∂f/∂h_{ℓ−1} = W_ℓᵀ ∂f/∂h_ℓ ⊙ φ′(h_{ℓ−1}), one row per sample.
  D_[depth - 1].resize(S_[depth - 1].rows(), S_[depth - 1].cols());
  scaled_readout_ = net.kappa * net.a.transpose();  // a buffer: a rowwise operand expression would be a temporary
  D_[depth - 1].array() = (S_[depth - 1].array().rowwise() * scaled_readout_.array()).colwise() * e.array();
  for (size_t l = depth - 1; l > 0; --l) {
    D_[l - 1].resize(S_[l - 1].rows(), S_[l - 1].cols());
    D_[l - 1].noalias() = D_[l] * net.W[l];
    D_[l - 1].array() *= S_[l - 1].array();
  }
}

void MlpPass::accumulate_gradient(const Mlp& net, const Eigen::VectorXd& e, MlpGradient& g) const {
  const auto depth = static_cast<size_t>(net.depth());
  g.W.resize(depth);
  for (size_t l = 0; l < depth; ++l) {
    g.W[l].resize(net.W[l].rows(), net.W[l].cols());
    g.W[l].noalias() = D_[l].transpose() * (l == 0 ? *X_ : Z_[l - 1]);
  }
  g.a.resize(net.a.size());
  g.a.noalias() = net.kappa * (Z_.back().transpose() * e);
}

double half_mean_squared_error(const Mlp& net, const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  return 0.5 * (net.output(X) - y).squaredNorm() / static_cast<double>(X.rows());
}

MlpGradient loss_gradient(const Mlp& net, const Eigen::MatrixXd& X, const Eigen::VectorXd& y) {
  MlpPass pass;
  pass.forward(net, X);
  const Eigen::VectorXd e = (pass.output() - y) / static_cast<double>(X.rows());
  pass.backward(net, e);
  MlpGradient g;
  pass.accumulate_gradient(net, e, g);
  return g;
}

Optimizer parse_optimizer(const std::string& text, const std::string& parameter) {
  if (text == "gd") return Optimizer::kGradientDescent;
  if (text == "adam") return Optimizer::kAdam;
  throw InvalidInput(parameter, "unknown optimizer '" + text + "' (known: gd, adam)");
}

MlpTrainer::MlpTrainer(Mlp initial, Eigen::MatrixXd X, Eigen::VectorXd y, TrainingOptions options)
    : net_(initial), initial_(std::move(initial)), X_(std::move(X)), y_(std::move(y)), options_(std::move(options)) {
  initial_.validate();
  if (X_.rows() < 1 || X_.cols() != initial_.input_dim())
    throw InvalidInput("inputs", "need n >= 1 rows of dimension " + std::to_string(initial_.input_dim()) + ", got " +
                                     std::to_string(X_.rows()) + " x " + std::to_string(X_.cols()));
  if (y_.size() != X_.rows()) throw InvalidInput("labels", "need one label per input row");
  if (!X_.allFinite() || !y_.allFinite()) throw InvalidInput("inputs", "data must be finite");
  rates_ = per_layer(options_.learning_rates, initial_.depth(), "lr");
  for (double r : rates_)
    if (!(r >= 0.0) || !std::isfinite(r)) throw InvalidInput("lr", "learning rates must be finite and >= 0");
  if (options_.optimizer == Optimizer::kAdam) {
    if (!(options_.beta1 >= 0.0 && options_.beta1 < 1.0)) throw InvalidInput("beta1", "must be in [0, 1)");
    if (!(options_.beta2 >= 0.0 && options_.beta2 < 1.0)) throw InvalidInput("beta2", "must be in [0, 1)");
    if (!(options_.epsilon > 0.0) || !std::isfinite(options_.epsilon)) throw InvalidInput("epsilon", "must be positive");
    first_moment_ = zeros_like(initial_);
    second_moment_ = zeros_like(initial_);
  }
  gradient_ = zeros_like(initial_);
  residual_.resize(X_.rows());
}

void MlpTrainer::train_to(long target) {
  if (target < step_)
    throw InvalidInput("step", "cannot train back from step " + std::to_string(step_) + " to " + std::to_string(target));
  while (step_ < target) {
    throw_if_interrupted();  // one step of a wide network can take seconds; a run, hours
    step_once();
  }
}

void MlpTrainer::step_once() {
  pass_.forward(net_, X_);
  residual_ = (pass_.output() - y_) / static_cast<double>(X_.rows());
  pass_.backward(net_, residual_);
  pass_.accumulate_gradient(net_, residual_, gradient_);
  ++step_;
  const size_t depth = net_.W.size();
  if (options_.optimizer == Optimizer::kGradientDescent) {
    for (size_t l = 0; l < depth; ++l) net_.W[l] -= rates_[l] * gradient_.W[l];
    net_.a -= rates_[depth] * gradient_.a;
    return;
  }
  const double b1 = options_.beta1, b2 = options_.beta2, eps = options_.epsilon;
  // Bias corrections folded into the step: θ ← θ − η (m/c1) / (√(v/c2) + ε).
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(step_)), c2 = 1.0 - std::pow(b2, static_cast<double>(step_));
  auto update = [&](auto& theta, const auto& g, auto& m, auto& v, double rate) {
    m.array() = b1 * m.array() + (1.0 - b1) * g.array();
    v.array() = b2 * v.array() + (1.0 - b2) * g.array().square();
    theta.array() -= rate * (m.array() / c1) / ((v.array() / c2).sqrt() + eps);
  };
  for (size_t l = 0; l < depth; ++l)
    update(net_.W[l], gradient_.W[l], first_moment_.W[l], second_moment_.W[l], rates_[l]);
  update(net_.a, gradient_.a, first_moment_.a, second_moment_.a, rates_[depth]);
}

double MlpTrainer::bytes() const {
  double entries = static_cast<double>(X_.size() + y_.size());
  for (const auto& w : net_.W) entries += 2.0 * static_cast<double>(w.size()) * (options_.optimizer == Optimizer::kAdam ? 4.0 : 2.0);
  for (int l = 1; l <= net_.depth(); ++l) entries += 3.0 * static_cast<double>(X_.rows() * net_.W[static_cast<size_t>(l - 1)].rows());
  return 8.0 * entries;
}

}  // namespace rmtsolve::mc

#include <algorithm>

#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/run_cache.hpp"

namespace rmtsolve::mc {

void advance_with_interrupts(MlpTrainer& trainer, long target, long chunk) {
  while (trainer.step() < target) {
    if (interrupted()) throw Interrupted();
    trainer.train_to(std::min(target, trainer.step() + chunk));
  }
}

}  // namespace rmtsolve::mc

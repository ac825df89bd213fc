#pragma once
#include <Eigen/Dense>
#include <random>
#include <string>
#include <vector>

#include "rmtsolve/numerics/activation.hpp"

namespace rmtsolve::mc {

/// Bias-free multilayer perceptron with one output (docs/theory/dynamics.md §2.1 notation):
///   h_ℓ = W_ℓ z_{ℓ−1},  z_ℓ = φ(h_ℓ),  z_0 = x,  f(x) = κ aᵀ z_L,
/// W_ℓ ∈ ℝ^{k_ℓ × k_{ℓ−1}} (k_0 = d), a ∈ ℝ^{k_L}.  Layers are numbered 1…L as in the note;
/// `W[ℓ − 1]` holds W_ℓ.
struct Mlp {
  Activation activation;
  double kappa = 1.0;
  std::vector<Eigen::MatrixXd> W;
  Eigen::VectorXd a;

  int depth() const { return static_cast<int>(W.size()); }
  int input_dim() const { return W.empty() ? 0 : static_cast<int>(W.front().cols()); }
  /// f on the rows of X.
  Eigen::VectorXd output(const Eigen::MatrixXd& X) const;
  /// InvalidInput (naming "weights", "kappa" or "activation") unless the shapes chain, every entry
  /// is finite, κ is finite and non-zero and φ has a derivative (gradients need φ′).
  void validate() const;
};

/// Standard initialisation: W_ℓ ~ N(0, σ_ℓ²/k_{ℓ−1}), a ~ N(0, σ_a²/k_L), drawn in the order
/// W_1, …, W_L, a from `rng`.  `init_std` holds (σ_1, …, σ_L, σ_a), or one σ for every layer.
Mlp standard_mlp(const Activation& phi, int d, const std::vector<int>& widths, const std::vector<double>& init_std,
                 double kappa, std::mt19937_64& rng);

/// ∂L/∂W_ℓ and ∂L/∂a, laid out as the weights.
struct MlpGradient {
  std::vector<Eigen::MatrixXd> W;
  Eigen::VectorXd a;
};

/// One forward and backward pass of an Mlp over a batch (rows of X), in buffers sized on the first
/// call and reused afterwards (no allocation for a batch of the same shape).  For a weight vector
/// e ∈ ℝⁿ the backward pass gives D_ℓ = diag(e) J_ℓ, where row i of J_ℓ is ∇_{h_ℓ} f(x_i); e = 1
/// gives the pre-activation Jacobians J_ℓ themselves (the PTK rows), e = (f − y)/n the gradient of
/// ½·mean squared error.
class MlpPass {
 public:
  /// Keeps a pointer to X: X must outlive the pass's later calls.
  void forward(const Mlp& net, const Eigen::MatrixXd& X);
  void backward(const Mlp& net, const Eigen::VectorXd& e);
  /// Σ_i e_i ∇_θ f(x_i) after backward(net, e): ∂/∂W_ℓ = D_ℓᵀ z_{ℓ−1}, ∂/∂a = κ Z_Lᵀ e.
  void accumulate_gradient(const Mlp& net, const Eigen::VectorXd& e, MlpGradient& gradient) const;

  const Eigen::VectorXd& output() const { return f_; }
  /// Z_ℓ (n × k_ℓ), ℓ = 0 … L; Z_0 = X.
  const Eigen::MatrixXd& activations(int layer) const { return layer == 0 ? *X_ : Z_[static_cast<size_t>(layer - 1)]; }
  /// D_ℓ (n × k_ℓ) of the last backward pass, ℓ = 1 … L.
  const Eigen::MatrixXd& deltas(int layer) const { return D_[static_cast<size_t>(layer - 1)]; }

 private:
  const Eigen::MatrixXd* X_ = nullptr;
  std::vector<Eigen::MatrixXd> Z_, S_, D_;  // z_ℓ, φ′(h_ℓ), diag(e) J_ℓ
  Eigen::VectorXd f_;
  Eigen::RowVectorXd scaled_readout_;  // κ aᵀ
};

/// L(θ) = ½ · (1/n) Σ_i (f(x_i) − y_i)², the loss every trainer here minimises.
double half_mean_squared_error(const Mlp& net, const Eigen::MatrixXd& X, const Eigen::VectorXd& y);
/// ∇_θ L by backpropagation (allocates; the trainer uses its own buffers).
MlpGradient loss_gradient(const Mlp& net, const Eigen::MatrixXd& X, const Eigen::VectorXd& y);

enum class Optimizer { kGradientDescent, kAdam };
/// "gd" or "adam"; InvalidInput naming `parameter` otherwise.
Optimizer parse_optimizer(const std::string& text, const std::string& parameter = "optimizer");

struct TrainingOptions {
  Optimizer optimizer = Optimizer::kGradientDescent;
  /// η per layer (η_1, …, η_L, η_a), or one η for all; 0 freezes a layer.
  std::vector<double> learning_rates{0.01};
  /// Adam (Kingma & Ba 2015, as torch.optim.Adam without weight decay):
  /// m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², θ ← θ − η m̂/(√v̂ + ε), m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ).
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
};

/// Full-batch training of an Mlp on ½·mean squared error from given initial weights.  Training is
/// resumable: train_to(s) continues from the current step, so a sweep over checkpoint steps trains
/// once.  The step loop runs on preallocated buffers (Eigen products on BLAS, no allocation).
class MlpTrainer {
 public:
  /// Copies the data.  InvalidInput for inconsistent shapes, non-finite data or bad options.
  MlpTrainer(Mlp initial, Eigen::MatrixXd X, Eigen::VectorXd y, TrainingOptions options);
  MlpTrainer(const MlpTrainer&) = delete;  // the pass points into this object's own X
  MlpTrainer& operator=(const MlpTrainer&) = delete;

  /// Runs steps until step() == target; InvalidInput if target < step() (rebuild to go back).
  void train_to(long target);
  long step() const { return step_; }

  const Mlp& net() const { return net_; }
  const Mlp& initial() const { return initial_; }
  const Eigen::MatrixXd& inputs() const { return X_; }
  const Eigen::VectorXd& labels() const { return y_; }
  /// (η_1, …, η_L, η_a), expanded from the options.
  const std::vector<double>& learning_rates() const { return rates_; }
  const TrainingOptions& options() const { return options_; }
  double loss() const { return half_mean_squared_error(net_, X_, y_); }
  /// Bytes held (weights, optimiser state, buffers), for cache budgets.
  double bytes() const;

 private:
  void step_once();

  Mlp net_, initial_;
  Eigen::MatrixXd X_;
  Eigen::VectorXd y_;
  TrainingOptions options_;
  std::vector<double> rates_;
  long step_ = 0;
  MlpPass pass_;
  Eigen::VectorXd residual_;
  MlpGradient gradient_, first_moment_, second_moment_;  // moments: Adam only
};

}  // namespace rmtsolve::mc
